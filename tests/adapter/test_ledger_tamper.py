"""Tampering with a real three-day ledger on disk is detected at the right file, line and seq."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest

from bots import i18n
from bots.audit.entry import Flaw, Head, Sealer, parse_line
from bots.audit.ledger import LedgerWriter, verify

JST = timezone(timedelta(hours=9))
KEY = b"ledger-test-key"
DAY1, DAY2, DAY3 = "ledger-2026-04-01.jsonl", "ledger-2026-04-02.jsonl", "ledger-2026-04-03.jsonl"


class StepClock:
    """Five entries a day, three hours apart: 5 lines per daily file."""

    def __init__(self) -> None:
        self.now = datetime(2026, 4, 1, 6, 0, tzinfo=JST)
        self.count = 0

    def __call__(self) -> datetime:
        self.count += 1
        return self.now + timedelta(days=(self.count - 1) // 5, hours=3 * ((self.count - 1) % 5))


def build(folder: Path, key: bytes | None) -> Head:
    """15 entries, seq 1–5 on day 1, 6–10 on day 2, 11–15 on day 3."""
    with LedgerWriter(folder, key=key, clock=StepClock(), actor="kazama") as ledger:
        for seq in range(1, 16):
            ledger.append("record_keyed", None, "run-1", {"record": f"R-{seq:04d}", "氏名": "風間 太郎"})
        return ledger.head


@pytest.fixture(params=[None, KEY], ids=["no-key", "key"])
def key(request: pytest.FixtureRequest) -> bytes | None:
    value: bytes | None = request.param
    return value


def edit(path: Path, change: Callable[[list[bytes]], list[bytes]]) -> None:
    path.write_bytes(b"".join(change(path.read_bytes().splitlines(keepends=True))))


def forge(fields: dict[str, Any]) -> bytes:
    """What a forger without the key can do: a perfectly hashed, unsigned line."""
    return Sealer(None).seal(fields)[2]


def body(line: bytes) -> dict[str, Any]:
    obj = parse_line(line)
    assert obj is not None
    return {k: v for k, v in obj.items() if k not in ("hash", "mac")}


def assert_problem(folder: Path, key: bytes | None, flaw: Flaw, file: str, line: int, seq: int | None,
                   **kwargs: Any) -> None:
    report = verify(folder, key=key, **kwargs)
    assert not report.ok
    problem = report.problem
    assert problem is not None
    assert (problem.flaw, problem.file.name, problem.line, problem.seq) == (flaw, file, line, seq), report.message
    assert report.message.startswith(f"{folder / file}:{line}: ")


def test_clean_ledger_verifies(tmp_path: Path, key: bytes | None) -> None:
    head = build(tmp_path, key)
    report = verify(tmp_path, key=key, expected_head=head)
    assert report.ok and report.message == "改ざんは検出されませんでした"
    assert (report.entries, report.head, [p.name for p in report.files]) == (15, head, [DAY1, DAY2, DAY3])


def test_one_edited_byte_in_data(tmp_path: Path, key: bytes | None) -> None:
    build(tmp_path, key)
    edit(tmp_path / DAY2, lambda lines: [ln.replace(b"R-0008", b"R-0009") for ln in lines])
    assert_problem(tmp_path, key, Flaw.HASH, DAY2, 3, 8)
    assert verify(tmp_path, key=key).message.endswith("seq 8: ハッシュが一致しません（内容が変更されています）")


def test_deleted_line(tmp_path: Path, key: bytes | None) -> None:
    build(tmp_path, key)
    edit(tmp_path / DAY2, lambda lines: lines[:2] + lines[3:])
    assert_problem(tmp_path, key, Flaw.LINK, DAY2, 3, 9)


def test_deleted_first_line_of_a_day_breaks_the_link_across_files(tmp_path: Path, key: bytes | None) -> None:
    build(tmp_path, key)
    edit(tmp_path / DAY3, lambda lines: lines[1:])
    assert_problem(tmp_path, key, Flaw.LINK, DAY3, 1, 12)


def test_inserted_forged_entry(tmp_path: Path, key: bytes | None) -> None:
    build(tmp_path, key)
    lines = (tmp_path / DAY2).read_bytes().splitlines(keepends=True)
    forged = forge(body(lines[2]) | {"data": {"record": "R-FAKE", "氏名": "偽物"}})  # seq 8, prev of seq 7
    edit(tmp_path / DAY2, lambda lines: lines[:2] + [forged] + lines[2:])
    if key:  # the forged line itself has no MAC
        assert_problem(tmp_path, key, Flaw.UNSIGNED, DAY2, 3, 8)
    else:  # it hashes fine and links to seq 7: the genuine seq 8 after it no longer links
        assert_problem(tmp_path, key, Flaw.LINK, DAY2, 4, 8)


def test_swapped_lines(tmp_path: Path, key: bytes | None) -> None:
    build(tmp_path, key)
    edit(tmp_path / DAY2, lambda lines: lines[:1] + [lines[2], lines[1]] + lines[3:])
    assert_problem(tmp_path, key, Flaw.LINK, DAY2, 2, 8)


def test_truncated_tail_against_the_recorded_head(tmp_path: Path, key: bytes | None) -> None:
    head = build(tmp_path, key)
    edit(tmp_path / DAY3, lambda lines: lines[:3])
    assert verify(tmp_path, key=key).ok  # without the run store's head a clean cut is invisible
    assert_problem(tmp_path, key, Flaw.TRUNCATED, DAY3, 4, 14, expected_head=head)
    assert "末尾が切り詰められています" in verify(tmp_path, key=key, expected_head=head).message


def test_whole_last_day_removed_is_truncation(tmp_path: Path, key: bytes | None) -> None:
    head = build(tmp_path, key)
    (tmp_path / DAY3).unlink()
    assert_problem(tmp_path, key, Flaw.TRUNCATED, DAY2, 6, 11, expected_head=head)


def test_torn_last_line(tmp_path: Path, key: bytes | None) -> None:
    build(tmp_path, key)
    edit(tmp_path / DAY3, lambda lines: lines[:4] + [lines[4][:40]])
    assert_problem(tmp_path, key, Flaw.TORN, DAY3, 5, None)


def rewrite_chain(folder: Path, *, keep_macs: bool) -> None:
    """A forger without the key changes seq 8 and recomputes every hash and link after it."""
    prev = None
    for name in (DAY1, DAY2, DAY3):
        out = []
        for line in (folder / name).read_bytes().splitlines(keepends=True):
            obj = parse_line(line)
            assert obj is not None
            fields = body(line) | ({"prev": prev} if prev else {})
            if fields["seq"] == 8:
                fields["data"] = {"record": "R-0008", "氏名": "別人 花子"}
            new = forge(fields)
            prev = orjson.loads(new)["hash"]
            if keep_macs and "mac" in obj:
                new = new[:-2] + b',"mac":"' + obj["mac"].encode() + b'"}\n'
            out.append(new)
        (folder / name).write_bytes(b"".join(out))


def test_rewritten_chain_is_invisible_without_a_key(tmp_path: Path) -> None:
    head = build(tmp_path, KEY)
    rewrite_chain(tmp_path, keep_macs=True)
    report = verify(tmp_path, key=None)
    assert report.ok and report.macs_unchecked and "鍵" in report.message
    # …but not to the run store's copy of the head
    assert_problem(tmp_path, None, Flaw.HEAD_MISMATCH, DAY3, 5, 15, expected_head=head)


def test_rewritten_chain_with_old_macs_is_detected_with_the_key(tmp_path: Path) -> None:
    build(tmp_path, KEY)
    rewrite_chain(tmp_path, keep_macs=True)
    assert_problem(tmp_path, KEY, Flaw.MAC, DAY2, 3, 8)


def test_rewritten_chain_without_macs_is_detected_with_the_key(tmp_path: Path) -> None:
    build(tmp_path, KEY)
    rewrite_chain(tmp_path, keep_macs=False)
    assert_problem(tmp_path, KEY, Flaw.UNSIGNED, DAY1, 1, 1)


def test_wrong_key(tmp_path: Path) -> None:
    build(tmp_path, KEY)
    assert_problem(tmp_path, b"not the key", Flaw.MAC, DAY1, 1, 1)


def test_seq_gap_with_intact_links(tmp_path: Path) -> None:
    build(tmp_path, None)
    lines = (tmp_path / DAY2).read_bytes().splitlines(keepends=True)
    gap = forge(body(lines[2]) | {"seq": 9})
    edit(tmp_path / DAY2, lambda lines: lines[:2] + [gap])
    assert_problem(tmp_path, None, Flaw.SEQ_GAP, DAY2, 3, 9)
    assert "連番が飛んでいます（8 のはずが 9）" in verify(tmp_path).message


def test_garbage_line(tmp_path: Path) -> None:
    build(tmp_path, None)
    edit(tmp_path / DAY1, lambda lines: lines[:1] + [b"not json\n"] + lines[1:])
    assert_problem(tmp_path, None, Flaw.INVALID_JSON, DAY1, 2, None)


def test_single_file_is_checked_on_its_own(tmp_path: Path) -> None:
    build(tmp_path, KEY)
    report = verify(tmp_path / DAY2, key=KEY)
    assert report.ok and report.entries == 5 and report.head is not None and report.head.seq == 10
    assert report.notes
    edit(tmp_path / DAY2, lambda lines: lines[:2] + lines[3:])
    problem = verify(tmp_path / DAY2, key=KEY).problem
    assert problem is not None and (problem.flaw, problem.line) == (Flaw.LINK, 3)


def test_english_report(tmp_path: Path) -> None:
    build(tmp_path, None)
    i18n.set_language("en")
    assert verify(tmp_path).message == "no tampering detected"
    edit(tmp_path / DAY2, lambda lines: lines[:2] + lines[3:])
    assert verify(tmp_path).message.endswith(
        "seq 9: broken link to the previous entry (a line was deleted, inserted or swapped)")

"""Archiving old days as ``.jsonl.gz``: byte-exact, still verified, the chain unbroken."""

from __future__ import annotations

import gzip
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bots.audit.entry import Flaw, Head
from bots.audit.ledger import LedgerError, LedgerLocked, LedgerWriter, archive, verify

JST = timezone(timedelta(hours=9))
KEY = b"ledger-test-key"
APRIL = [date(2026, 4, d) for d in range(1, 5)]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 4, 1, 9, 0, tzinfo=JST)

    def __call__(self) -> datetime:
        return self.now


def build(folder: Path, clock: Clock, days: int = 4) -> Head:
    """Three entries on each of ``days`` days from 1 April."""
    with LedgerWriter(folder, key=KEY, clock=clock) as ledger:
        for day in range(days):
            clock.now = datetime(2026, 4, 1 + day, 9, 0, tzinfo=JST)
            for i in range(3):
                ledger.append("record_keyed", "scheduler", f"run-{day}", {"i": i, "氏名": "風間"})
        return ledger.head


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("ledger-*"))


def test_archive_gzips_old_days_byte_for_byte_and_the_chain_still_verifies(tmp_path: Path) -> None:
    head = build(tmp_path, Clock())
    originals = {p.name: p.read_bytes() for p in tmp_path.glob("ledger-*")}
    done = archive(tmp_path, 1, today=APRIL[3])  # 1 and 2 April are more than a day old
    assert [p.name for p in done] == ["ledger-2026-04-01.jsonl.gz", "ledger-2026-04-02.jsonl.gz"]
    assert names(tmp_path) == ["ledger-2026-04-01.jsonl.gz", "ledger-2026-04-02.jsonl.gz",
                               "ledger-2026-04-03.jsonl", "ledger-2026-04-04.jsonl"]
    for gz in done:
        assert gzip.decompress(gz.read_bytes()) == originals[gz.name.removesuffix(".gz")]
    assert not list(tmp_path.glob("*.tmp"))
    report = verify(tmp_path, key=KEY, expected_head=head)
    assert report.ok and report.entries == 12 and len(report.files) == 4


def test_todays_file_is_never_archived(tmp_path: Path) -> None:
    build(tmp_path, Clock())
    done = archive(tmp_path, 0, today=APRIL[3])
    assert len(done) == 3 and "ledger-2026-04-04.jsonl" in names(tmp_path)
    assert archive(tmp_path, 0, today=APRIL[3]) == []  # nothing left to do
    with pytest.raises(ValueError):
        archive(tmp_path, -1, today=APRIL[3])


def test_archive_is_refused_while_a_writer_owns_the_folder(tmp_path: Path) -> None:
    clock = Clock()
    build(tmp_path, clock)
    with LedgerWriter(tmp_path, key=KEY, clock=clock):
        with pytest.raises(LedgerLocked):
            archive(tmp_path, 1, today=APRIL[3])


def test_writer_archives_and_records_each_file(tmp_path: Path) -> None:
    clock = Clock()
    build(tmp_path, clock)
    with LedgerWriter(tmp_path, key=KEY, clock=clock) as ledger:
        done = ledger.archive(0)
        entry = ledger.append("run_finished", "scheduler", "run-3", {})
    assert [p.name for p in done] == [f"ledger-2026-04-0{d}.jsonl.gz" for d in (1, 2, 3)]
    today = (tmp_path / "ledger-2026-04-04.jsonl").read_text(encoding="utf-8")
    assert today.count('"type":"archive_created"') == 3 and "ledger-2026-04-01.jsonl.gz" in today
    assert verify(tmp_path, key=KEY, expected_head=entry.head).ok


def test_writer_recovers_from_an_archived_newest_file(tmp_path: Path) -> None:
    clock = Clock()
    head = build(tmp_path, clock, days=2)
    archive(tmp_path, 0, today=APRIL[3])  # the ledger sat idle: even its newest day is archived
    assert names(tmp_path) == ["ledger-2026-04-01.jsonl.gz", "ledger-2026-04-02.jsonl.gz"]
    clock.now = datetime(2026, 4, 4, 9, 0, tzinfo=JST)
    with LedgerWriter(tmp_path, key=KEY, clock=clock) as ledger:
        assert ledger.head == head
        entry = ledger.append("login", "kazama")
    assert entry.prev == head.hash
    assert verify(tmp_path, key=KEY, expected_head=entry.head).ok


def test_tampering_inside_an_archive_is_found(tmp_path: Path) -> None:
    build(tmp_path, Clock())
    archive(tmp_path, 1, today=APRIL[3])
    gz = tmp_path / "ledger-2026-04-02.jsonl.gz"
    content = gzip.decompress(gz.read_bytes()).replace(b'"i":1', b'"i":7')
    gz.write_bytes(gzip.compress(content))
    problem = verify(tmp_path, key=KEY).problem
    assert problem is not None
    assert (problem.flaw, problem.file.name, problem.line, problem.seq) == (Flaw.HASH, gz.name, 2, 5)


def test_a_damaged_archive_is_unreadable_at_its_file(tmp_path: Path) -> None:
    build(tmp_path, Clock())
    archive(tmp_path, 1, today=APRIL[3])
    gz = tmp_path / "ledger-2026-04-01.jsonl.gz"
    gz.write_bytes(gz.read_bytes()[:-20])
    problem = verify(tmp_path, key=KEY).problem
    assert problem is not None and (problem.flaw, problem.file.name) == (Flaw.UNREADABLE, gz.name)


def test_an_archive_run_stopped_half_way(tmp_path: Path) -> None:
    build(tmp_path, Clock())
    day1 = tmp_path / "ledger-2026-04-01.jsonl"
    gz = tmp_path / "ledger-2026-04-01.jsonl.gz"
    gz.write_bytes(gzip.compress(day1.read_bytes()))  # stopped after the rename, before the removal
    report = verify(tmp_path, key=KEY)
    assert report.ok and report.entries == 12
    assert archive(tmp_path, 2, today=APRIL[3]) == [gz] and not day1.exists()

    build(tmp_path / "other", Clock())
    day1 = tmp_path / "other" / "ledger-2026-04-01.jsonl"
    (tmp_path / "other" / "ledger-2026-04-01.jsonl.gz").write_bytes(gzip.compress(b"something else\n"))
    problem = verify(tmp_path / "other", key=KEY).problem
    assert problem is not None and problem.flaw is Flaw.DUPLICATE_DAY
    with pytest.raises(LedgerError, match="内容が違います"):
        archive(tmp_path / "other", 2, today=APRIL[3])
    assert day1.exists()

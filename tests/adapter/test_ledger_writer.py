"""The ledger writer on real files: daily rotation, the folder lock, recovery after a crash."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest

from bots.audit.entry import GENESIS, EventType, Flaw
from bots.audit.files import LOCK_NAME
from bots.audit.ledger import FsyncPolicy, LedgerCorrupt, LedgerError, LedgerLocked, LedgerWriter, verify
from bots.audit.lock import FileLock

JST = timezone(timedelta(hours=9))
KEY = b"ledger-test-key"
REPO_ROOT = Path(__file__).resolve().parents[2]


class Clock:
    """A hand-moved clock: tests say when midnight passes."""

    def __init__(self, start: datetime = datetime(2026, 4, 1, 23, 0, tzinfo=JST)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def lines(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_days_rotate_and_the_chain_runs_across_files(tmp_path: Path) -> None:
    clock = Clock()
    with LedgerWriter(tmp_path, key=KEY, clock=clock) as ledger:
        first = ledger.append("run_started", "scheduler", "run-1", {"flow": "shinsei-nyuryoku"})
        for _ in range(3):
            clock.advance(hours=1)  # 00:00, 01:00, 02:00 of the next day …
            ledger.append("record_keyed", "scheduler", "run-1", {"record": "行 2"})
        clock.advance(days=1)
        last = ledger.append("run_finished", "scheduler", "run-1", {"status": "completed"})
    assert (first.seq, first.prev, first.ts) == (1, GENESIS, "2026-04-01T23:00:00.000+09:00")
    assert (last.seq, last.type, last.actor) == (5, "run_finished", "scheduler")
    names = sorted(p.name for p in tmp_path.glob("ledger-*"))
    assert names == ["ledger-2026-04-01.jsonl", "ledger-2026-04-02.jsonl", "ledger-2026-04-03.jsonl"]
    day1, day2 = lines(tmp_path / names[0]), lines(tmp_path / names[1])
    assert day2[0]["prev"] == day1[-1]["hash"] and day2[0]["seq"] == 2
    report = verify(tmp_path, key=KEY, expected_head=last.head)
    assert report.ok and report.entries == 5 and report.macs_checked


def test_japanese_data_is_stored_unescaped(tmp_path: Path) -> None:
    with LedgerWriter(tmp_path, clock=Clock()) as ledger:
        entry = ledger.append("record_review", "車田", None, {"理由": "二重登録の疑い", "氏名": "********"})
    raw = (tmp_path / "ledger-2026-04-01.jsonl").read_bytes()
    assert "二重登録の疑い".encode() in raw and "車田".encode() in raw and b"\\u" not in raw
    assert lines(tmp_path / "ledger-2026-04-01.jsonl")[0]["data"] == dict(entry.data)


def test_actor_defaults_to_the_writers_actor_and_types_may_be_enum_members(tmp_path: Path) -> None:
    with LedgerWriter(tmp_path, clock=Clock(), actor="kazama") as ledger:
        entry = ledger.append(EventType.LOGIN)
    assert (entry.actor, entry.type) == ("kazama", "login")
    assert lines(tmp_path / "ledger-2026-04-01.jsonl")[0]["type"] == "login"


def test_a_missing_ledger_is_reported_not_raised(tmp_path: Path) -> None:
    report = verify(tmp_path / "nowhere")
    assert not report.ok and report.problem is not None and report.problem.flaw is Flaw.UNREADABLE


def test_second_writer_in_the_same_process_is_refused(tmp_path: Path) -> None:
    with LedgerWriter(tmp_path, clock=Clock()):
        with pytest.raises(LedgerLocked, match="使用中"):
            LedgerWriter(tmp_path, clock=Clock())
    with LedgerWriter(tmp_path, clock=Clock()) as again:  # released on close
        again.append("login", "kazama")


HOLDER = """
import sys
from pathlib import Path
from bots.audit.ledger import LedgerWriter
with LedgerWriter(Path(sys.argv[1])) as ledger:
    ledger.append("login", "other")
    print("ready", flush=True)
    sys.stdin.readline()
"""


def test_second_writer_in_another_process_is_refused_until_it_exits(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], cwd=REPO_ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        with pytest.raises(LedgerLocked, match=f"pid {proc.pid}"):
            LedgerWriter(tmp_path)
    finally:
        proc.kill()  # a crashed holder: the OS drops its lock, nothing stale is left
        proc.wait(timeout=30)
    with LedgerWriter(tmp_path) as ledger:
        assert ledger.append("login", "kazama").seq == 2


def test_reopening_continues_seq_and_chain(tmp_path: Path) -> None:
    clock = Clock()
    with LedgerWriter(tmp_path, key=KEY, clock=clock) as ledger:
        for _ in range(3):
            ledger.append("record_keyed", "scheduler", "run-1", {})
        head = ledger.head
    clock.advance(days=2)
    with LedgerWriter(tmp_path, key=KEY, clock=clock) as ledger:
        assert ledger.head == head
        entry = ledger.append("run_finished", "scheduler", "run-1", {})
    assert (entry.seq, entry.prev) == (4, head.hash)
    assert verify(tmp_path, key=KEY, expected_head=entry.head).ok


def test_torn_last_line_is_quarantined_and_recorded(tmp_path: Path) -> None:
    clock = Clock()
    with LedgerWriter(tmp_path, clock=clock) as ledger:
        ledger.append("record_keyed", "scheduler", "run-1", {"record": "行 2"})
        torn = ledger.append("record_keyed", "scheduler", "run-1", {"record": "行 3"})
    day = tmp_path / "ledger-2026-04-01.jsonl"
    whole = day.read_bytes()
    fragment = whole.splitlines(keepends=True)[1][:50]
    day.write_bytes(whole.splitlines(keepends=True)[0] + fragment)  # the crash cut the second write
    problem = verify(tmp_path).problem
    assert problem is not None and (problem.flaw, problem.line) == (Flaw.TORN, 2)

    with LedgerWriter(tmp_path, clock=clock) as ledger:
        recovered = lines(day)[-1]
        nxt = ledger.append("record_keyed", "scheduler", "run-1", {"record": "行 3"})
    side = tmp_path / f"{day.name}.torn-{len(whole.splitlines(keepends=True)[0])}"
    assert side.read_bytes() == fragment
    assert recovered["type"] == "ledger_recovered" and recovered["seq"] == torn.seq
    assert recovered["data"]["quarantine"] == side.name and recovered["data"]["bytes"] == 50
    assert nxt.seq == torn.seq + 1
    report = verify(tmp_path, expected_head=nxt.head)
    assert report.ok and any("退避" in note for note in report.notes)


def test_a_newest_file_holding_only_a_torn_line(tmp_path: Path) -> None:
    clock = Clock()
    with LedgerWriter(tmp_path, clock=clock) as ledger:
        head = ledger.append("record_keyed", "scheduler", None, {}).head
    (tmp_path / "ledger-2026-04-02.jsonl").write_bytes(b'{"actor":"sched')
    clock.advance(days=1)
    with LedgerWriter(tmp_path, clock=clock) as ledger:
        assert ledger.head.seq == 2  # the recovery entry follows seq 1
    assert lines(tmp_path / "ledger-2026-04-02.jsonl")[0]["prev"] == head.hash
    assert verify(tmp_path).ok


def test_a_corrupt_last_entry_is_refused_and_left_untouched(tmp_path: Path) -> None:
    with LedgerWriter(tmp_path, clock=Clock()) as ledger:
        ledger.append("record_keyed", "scheduler", None, {"record": "R-1"})
    day = tmp_path / "ledger-2026-04-01.jsonl"
    day.write_bytes(day.read_bytes().replace(b"R-1", b"R-2") + b'{"torn')
    before = day.read_bytes()
    with pytest.raises(LedgerCorrupt, match="ハッシュが一致しません"):
        LedgerWriter(tmp_path, clock=Clock())
    assert day.read_bytes() == before and not list(tmp_path.glob("*.torn-*"))
    FileLock(tmp_path / LOCK_NAME).release()  # the failed open released the folder's lock


def test_key_and_ledger_must_agree(tmp_path: Path) -> None:
    with LedgerWriter(tmp_path / "signed", key=KEY, clock=Clock()) as ledger:
        ledger.append("login", "kazama")
    with pytest.raises(LedgerError, match="鍵が設定されていません"):
        LedgerWriter(tmp_path / "signed", clock=Clock())
    with pytest.raises(LedgerCorrupt, match="署名"):
        LedgerWriter(tmp_path / "signed", key=b"another key", clock=Clock())
    with LedgerWriter(tmp_path / "plain", clock=Clock()) as ledger:
        ledger.append("login", "kazama")
    with pytest.raises(LedgerError, match="署名のない台帳"):
        LedgerWriter(tmp_path / "plain", key=KEY, clock=Clock())


def test_clock_going_back_stays_in_the_newest_file(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 4, 1, 23, 59, 59, tzinfo=JST))
    with LedgerWriter(tmp_path, clock=clock) as ledger:
        clock.advance(seconds=2)
        ledger.append("record_keyed", "scheduler", None, {})
        clock.advance(seconds=-3)  # NTP correction back over midnight
        ledger.append("record_keyed", "scheduler", None, {})
    assert [p.name for p in tmp_path.glob("ledger-*")] == ["ledger-2026-04-02.jsonl"]
    assert verify(tmp_path).ok


def test_concurrent_appends_from_threads_keep_one_chain(tmp_path: Path) -> None:
    with LedgerWriter(tmp_path, key=KEY, clock=Clock()) as ledger:
        def work(n: int) -> None:
            for i in range(250):
                ledger.append("record_keyed", "scheduler", f"run-{n}", {"i": i})
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        head = ledger.head
    report = verify(tmp_path, key=KEY, expected_head=head)
    assert report.ok and report.entries == 1000 and head.seq == 1000


def test_synced_head_follows_the_fsync_policy(tmp_path: Path) -> None:
    policy = FsyncPolicy(every=0, interval_s=0)
    with LedgerWriter(tmp_path, clock=Clock(), fsync=policy) as ledger:
        ledger.append("run_started", "scheduler", "r", {})
        ledger.append("record_keyed", "scheduler", "r", {})
        assert (ledger.head.seq, ledger.synced_head.seq) == (2, 0)
        ledger.append("run_finished", "scheduler", "r", {})
        assert ledger.synced_head == ledger.head
    with LedgerWriter(tmp_path, clock=Clock(), fsync=FsyncPolicy(every=2, interval_s=0)) as ledger:
        ledger.append("record_keyed", "scheduler", "r", {})
        assert ledger.synced_head.seq == 3
        ledger.append("record_keyed", "scheduler", "r", {})
        assert ledger.synced_head.seq == 5


def test_bad_appends_are_refused(tmp_path: Path) -> None:
    with LedgerWriter(tmp_path, clock=Clock()) as ledger:
        with pytest.raises(ValueError, match="JSON"):
            ledger.append("record_keyed", "scheduler", None, {"when": datetime(2026, 4, 1)})
        with pytest.raises(ValueError):
            ledger.append("Record Keyed", "scheduler")
        with pytest.raises(ValueError, match="strings"):
            ledger.append("login", 123)  # type: ignore[arg-type]
        assert ledger.head.seq == 0  # nothing was written
    with LedgerWriter(tmp_path / "naive", clock=lambda: datetime(2026, 4, 1)) as ledger:
        with pytest.raises(ValueError, match="aware"):
            ledger.append("login", "kazama")
    with pytest.raises(LedgerError, match="閉じられています"):
        ledger.append("login", "kazama")

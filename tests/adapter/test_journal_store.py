"""The per-record journal in the run store, on real databases (SQLite and a private PostgreSQL,
see ``store_url`` in tests/conftest.py): ``mark``/``entries``, finding an interrupted job
(``find_interrupted``, ``interrupted_run``, ``alive``), ``mark_interrupted``, ``run_request``,
and the engine's :class:`~bots.engine.journal.RunJournal` wrapper (masking, ``JournalError``).

Runs are built the way the run-store listener builds them: ``start_run`` when the run starts,
``set_input`` once the input is counted, ``finish_run`` at the end (never, for a crashed run).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bots.engine.journal import RunJournal
from bots.errors import JournalError
from bots.masking import Masker, mynumber_check_digit
from bots.results.journal import InterruptedRun, JournalEntry, JournalState
from bots.results.model import RecordResult, RunResult, RunStatus
from bots.store import RunStore, StoreError

JST = dt.timezone(dt.timedelta(hours=9))
T0 = dt.datetime(2026, 11, 2, 9, 30, tzinfo=JST)
FLOW = "住民票・写し交付"
USER = "髙橋 𠮷子"
SHA = "c" * 64
OTHER_SHA = "d" * 64
HOST = socket.gethostname()
TOTAL = 10

S = JournalState
#: One record in every state (index = position + 1): 3 settled, 3 unsettled, a retryable failure
#: (neither: a resume keys it again) and a pending one; records 9 and 10 were never started.
EVERY_STATE: list[tuple[JournalState, bool]] = [
    (S.CONFIRMED, False), (S.REVIEW, False), (S.FAILED, False), (S.FAILED, True),
    (S.IN_PROGRESS, False), (S.SUBMITTING, False), (S.SUBMITTED, False), (S.PENDING, False)]


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[RunStore]:
    with RunStore.open(store_url, tmp_path / "logs") as opened:
        yield opened


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A live process other than this one (the pid of a run still keying)."""
    process = subprocess.Popen(["sleep", "30"])
    yield process
    process.kill()
    process.wait()


@pytest.fixture
def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped): a run that crashed."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def begin(store: RunStore, run_id: str, *, minute: int = 0, flow: str = FLOW, sha: str | None = SHA,
          dry_run: bool = False, total: int | None = TOTAL, resumes: str | None = None, host: str = HOST,
          pid: int | None = None, request: dict[str, Any] | None = None) -> None:
    """Start a run as the listener does. ``resumes``: the journal (first run's id) it takes over."""
    journal_id = None if dry_run else resumes or run_id  # a dry run has no journal
    store.start_run(run_id=run_id, flow_id=flow, flow_version="1.0.0", flow_hash="a" * 64, selectors_hash=None,
                    trigger="manual", os_user=USER, host=host, started_at=at(minute), dry_run=dry_run,
                    journal_id=journal_id, resumed_from=resumes, pid=pid, request=request)
    store.set_input(run_id, input_name="申請一覧（11月）.xlsx", input_sha256=sha, total=total,
                    journal_id=journal_id, resumed_from=resumes)


def end(store: RunStore, run_id: str, status: RunStatus, *, records: int = TOTAL, flow: str = FLOW) -> None:
    """Finish a run with ``records`` outcomes (``finish_run`` sets ``total`` to their number)."""
    store.finish_run(RunResult(run_id=run_id, flow_id=flow, flow_version="1.0.0", status=status,
                               records=[RecordResult(index=i, location=f"申請一覧!{i + 1}", key=f"申請-{i}")
                                        for i in range(1, records + 1)]))


def journal(store: RunStore, journal_id: str, run_id: str, states: list[tuple[JournalState, bool]]) -> None:
    """Mark records 1..n of a job in ``states`` (state, retryable)."""
    for index, (state, retryable) in enumerate(states, start=1):
        store.mark(journal_id, run_id, index, state, key=f"申請-{index}", retryable=retryable,
                   error_kind="timeout" if retryable else None)


def interrupted(run_id: str, status: str, *, journal_id: str | None = None, settled: int = 3, unsettled: int = 3,
                total: int | None = TOTAL, minute: int = 0, flow: str = FLOW, alive: bool = False) -> InterruptedRun:
    """The InterruptedRun expected for a run built by :func:`begin` with :data:`EVERY_STATE` journaled."""
    return InterruptedRun(run_id=run_id, journal_id=journal_id or run_id, flow_id=flow, status=status,
                          started_at=at(minute), os_user=USER, host=HOST, settled=settled, unsettled=unsettled,
                          total=total, input_sha256=SHA, alive=alive)


def mynumber(seed: int) -> str:
    body = f"{seed:011d}"
    return body + str(mynumber_check_digit(body))


# --- mark / entries --------------------------------------------------------------------------


def test_mark_creates_one_row_per_record_then_updates_it_in_place(store: RunStore) -> None:
    before = dt.datetime.now(dt.UTC)
    store.mark("job-1", "r1", 1, S.IN_PROGRESS, key="申請-1", outputs={"受付番号": "受-0001"})
    store.mark("job-1", "r1", 2, S.IN_PROGRESS, key="申請-2")
    store.mark("job-2", "r9", 1, S.CONFIRMED, key="別の仕事")  # same index, another job
    first = store.entries("job-1")[1]
    store.mark("job-1", "r1", 1, S.SUBMITTING, key="申請-1")  # outputs=None: keeps the earlier ones
    store.mark("job-1", "r2", 2, S.FAILED, key="申請-2", error="基幹システムが応答しません",
               error_kind="timeout", retryable=True)
    after = dt.datetime.now(dt.UTC)

    entries = store.entries("job-1")
    assert entries == {
        1: JournalEntry(index=1, key="申請-1", state=S.SUBMITTING, run_id="r1", outputs={"受付番号": "受-0001"},
                        updated_at=entries[1].updated_at),
        2: JournalEntry(index=2, key="申請-2", state=S.FAILED, run_id="r2", outputs={},
                        error="基幹システムが応答しません", error_kind="timeout", retryable=True,
                        updated_at=entries[2].updated_at),
    }
    for entry in entries.values():
        assert entry.updated_at is not None and entry.updated_at.utcoffset() == dt.timedelta(0)
        assert before <= entry.updated_at <= after
    created, updated = first.updated_at, entries[1].updated_at
    assert created is not None and updated is not None and updated >= created
    assert [(e.index, e.state) for e in store.entries("job-2").values()] == [(1, S.CONFIRMED)]
    assert store.entries("unknown") == {}
    assert len(store.dump()["record_journal"]) == 3  # updated in place, never appended


def test_a_later_mark_replaces_outputs_and_clears_the_error(store: RunStore) -> None:
    store.mark("job-1", "r1", 1, S.FAILED, key="k", outputs={"a": 1}, error="一時的な障害", error_kind="timeout",
               retryable=True)
    store.mark("job-1", "r2", 1, S.CONFIRMED, key="k", outputs={"受付番号": "受-9"})  # the resume keyed it
    [entry] = store.entries("job-1").values()
    assert (entry.state, entry.run_id, entry.outputs) == (S.CONFIRMED, "r2", {"受付番号": "受-9"})
    assert (entry.error, entry.error_kind, entry.retryable) == (None, None, False)
    assert entry.settled


def test_japanese_keys_and_non_bmp_kanji_round_trip(store: RunStore) -> None:
    key = "髙橋 𠮷子・1975-04-01・〒100-0001"
    outputs = {"受付番号": "受-０００１", "𠮷野家の備考": "𩸽（ほっけ）𠀋", "件数": 3, "生年月日": dt.date(1975, 4, 1),
               "明細": [{"項目": "𡈽"}]}
    store.mark("仕事-𠮷", "実行-1", 7, S.REVIEW, key=key, outputs=outputs, error="氏名が一致しません：𠮷 ≠ 吉",
               error_kind="input_record")
    [entry] = store.entries("仕事-𠮷").values()
    assert (entry.index, entry.key, entry.run_id, entry.state) == (7, key, "実行-1", S.REVIEW)
    assert entry.outputs == {**outputs, "生年月日": "1975-04-01"}  # a date is stored as readable text
    assert entry.error == "氏名が一致しません：𠮷 ≠ 吉" and entry.error_kind == "input_record"


# --- find_interrupted --------------------------------------------------------------------------


def test_find_interrupted_finds_nothing_for_runs_that_keyed_everything_or_nothing(store: RunStore) -> None:
    assert store.find_interrupted(FLOW, SHA) is None  # no run at all
    begin(store, "done", sha="1" * 64)
    journal(store, "done", "done", EVERY_STATE)
    end(store, "done", RunStatus.COMPLETED)
    begin(store, "dry", sha="2" * 64, dry_run=True)
    end(store, "dry", RunStatus.STOPPED)
    begin(store, "refused", sha="3" * 64)
    end(store, "refused", RunStatus.INVALID, records=0)
    begin(store, "no-input", sha=None)  # a flow without an input file: never matched
    journal(store, "no-input", "no-input", EVERY_STATE)
    end(store, "no-input", RunStatus.STOPPED)

    for sha in ("1" * 64, "2" * 64, "3" * 64, None):
        assert store.find_interrupted(FLOW, sha) is None, sha


@pytest.mark.parametrize("status", [RunStatus.STOPPED, RunStatus.ABORTED, RunStatus.RUNNING])
def test_find_interrupted_returns_the_run_with_its_counts(store: RunStore, status: RunStatus, dead_pid: int) -> None:
    begin(store, "r1", pid=dead_pid)
    journal(store, "r1", "r1", EVERY_STATE)
    if status is not RunStatus.RUNNING:
        end(store, "r1", status)

    found = store.find_interrupted(FLOW, SHA)
    assert found == interrupted("r1", status.value)
    assert found is not None and found.started_at.utcoffset() == dt.timedelta(0)
    # The counts agree with JournalEntry.settled / JournalState.interrupted.
    entries = store.entries("r1").values()
    assert found.settled == sum(e.settled for e in entries)
    assert found.unsettled == sum(e.state.interrupted for e in entries)


def test_find_interrupted_returns_the_latest_run_of_the_job(store: RunStore) -> None:
    begin(store, "r1")
    journal(store, "r1", "r1", EVERY_STATE[:5])
    end(store, "r1", RunStatus.STOPPED)
    begin(store, "r2", minute=10, resumes="r1")  # a resume that was stopped too
    journal(store, "r1", "r2", EVERY_STATE)
    end(store, "r2", RunStatus.ABORTED)

    assert store.find_interrupted(FLOW, SHA) == interrupted("r2", "aborted", journal_id="r1", minute=10)


def test_a_retryable_failure_is_not_settled(store: RunStore) -> None:
    begin(store, "r1", total=3)
    journal(store, "r1", "r1", [(S.CONFIRMED, False), (S.REVIEW, False), (S.FAILED, True)])
    end(store, "r1", RunStatus.STOPPED, records=3)
    assert store.find_interrupted(FLOW, SHA) == interrupted("r1", "stopped", settled=2, unsettled=0, total=3)


@pytest.mark.parametrize("status", [RunStatus.STOPPED, RunStatus.ABORTED])
def test_find_interrupted_ignores_a_run_whose_records_are_all_settled(store: RunStore, status: RunStatus) -> None:
    begin(store, "r1", total=3)
    journal(store, "r1", "r1", [(S.CONFIRMED, False), (S.REVIEW, False), (S.FAILED, False)])
    end(store, "r1", status, records=3)  # stopped after its last record: nothing left to resume
    assert store.find_interrupted(FLOW, SHA) is None


def test_a_running_run_is_found_even_when_all_its_records_are_settled(store: RunStore,
                                                                     sleeper: subprocess.Popen[bytes]) -> None:
    begin(store, "r1", total=2, pid=sleeper.pid)  # between its last record and finish_run
    journal(store, "r1", "r1", [(S.CONFIRMED, False), (S.CONFIRMED, False)])
    found = store.find_interrupted(FLOW, SHA)
    assert found == interrupted("r1", "running", settled=2, unsettled=0, total=2, alive=True)


def test_a_later_invalid_or_dry_run_does_not_hide_the_interrupted_one(store: RunStore) -> None:
    begin(store, "r1")
    journal(store, "r1", "r1", EVERY_STATE)
    end(store, "r1", RunStatus.STOPPED)
    begin(store, "refused", minute=5)  # refused before keying (e.g. nobody chose resume or fresh)
    end(store, "refused", RunStatus.INVALID, records=0)
    begin(store, "dry", minute=10, dry_run=True)
    end(store, "dry", RunStatus.COMPLETED)

    assert store.find_interrupted(FLOW, SHA) == interrupted("r1", "stopped")


def test_a_later_fresh_run_on_the_same_input_hides_it(store: RunStore) -> None:
    begin(store, "r1")
    journal(store, "r1", "r1", EVERY_STATE)
    end(store, "r1", RunStatus.STOPPED)
    assert store.find_interrupted(FLOW, SHA) is not None
    begin(store, "fresh", minute=10)  # --fresh: keys everything again, in its own journal
    journal(store, "fresh", "fresh", [(S.CONFIRMED, False)] * TOTAL)
    end(store, "fresh", RunStatus.COMPLETED)

    assert store.find_interrupted(FLOW, SHA) is None


def test_find_interrupted_matches_only_the_same_flow_and_input(store: RunStore) -> None:
    begin(store, "r1")
    journal(store, "r1", "r1", EVERY_STATE)
    end(store, "r1", RunStatus.STOPPED)
    assert store.find_interrupted(FLOW, OTHER_SHA) is None
    assert store.find_interrupted("税額照会", SHA) is None
    assert store.find_interrupted(FLOW, SHA) is not None


# --- alive -------------------------------------------------------------------------------------


def test_a_running_run_whose_process_lives_on_this_host_is_alive(store: RunStore,
                                                                 sleeper: subprocess.Popen[bytes]) -> None:
    begin(store, "r1", pid=sleeper.pid)
    journal(store, "r1", "r1", EVERY_STATE)
    assert store.find_interrupted(FLOW, SHA) == interrupted("r1", "running", alive=True)
    assert store.interrupted_run("r1") == interrupted("r1", "running", alive=True)

    sleeper.kill()
    sleeper.wait()
    assert store.find_interrupted(FLOW, SHA) == interrupted("r1", "running", alive=False)


@pytest.mark.parametrize("case", ["this process", "another host", "stopped"])
def test_alive_only_for_a_running_run_of_another_process_on_this_host(store: RunStore, case: str,
                                                                      sleeper: subprocess.Popen[bytes]) -> None:
    pid = os.getpid() if case == "this process" else sleeper.pid
    begin(store, "r1", pid=pid, host="窓口PC-02" if case == "another host" else HOST)
    journal(store, "r1", "r1", EVERY_STATE)
    if case == "stopped":  # a stopped run's pid may since belong to anything
        end(store, "r1", RunStatus.STOPPED)
    found = store.find_interrupted(FLOW, SHA)
    assert found is not None and found.run_id == "r1"
    assert found.alive is False


# --- interrupted_run ---------------------------------------------------------------------------


def test_interrupted_run_returns_a_resumable_run(store: RunStore) -> None:
    begin(store, "r1")
    journal(store, "r1", "r1", EVERY_STATE)
    end(store, "r1", RunStatus.ABORTED)
    assert store.interrupted_run("r1") == interrupted("r1", "aborted")
    assert store.interrupted_run("nope") is None


def test_interrupted_run_refuses_a_run_a_resume_took_over(store: RunStore) -> None:
    begin(store, "r1")
    journal(store, "r1", "r1", EVERY_STATE)
    end(store, "r1", RunStatus.STOPPED)
    begin(store, "r2", minute=10, resumes="r1")
    end(store, "r2", RunStatus.STOPPED)

    assert store.interrupted_run("r1") is None  # resumed already: resume r2 instead
    assert store.interrupted_run("r2") == interrupted("r2", "stopped", journal_id="r1", minute=10)


def test_interrupted_run_refuses_a_run_a_resume_took_over_even_without_an_input(store: RunStore) -> None:
    begin(store, "r1", sha=None)
    journal(store, "r1", "r1", EVERY_STATE)
    end(store, "r1", RunStatus.STOPPED)
    assert store.interrupted_run("r1") is not None
    begin(store, "r2", sha=None, minute=10, resumes="r1")
    assert store.interrupted_run("r1") is None


def test_interrupted_run_refuses_a_run_superseded_by_a_later_real_run_on_the_same_input(store: RunStore) -> None:
    begin(store, "r1")
    journal(store, "r1", "r1", EVERY_STATE)
    end(store, "r1", RunStatus.STOPPED)
    # Neither a refused run, a dry run, another input nor another flow takes its job over.
    begin(store, "refused", minute=1)
    end(store, "refused", RunStatus.INVALID, records=0)
    begin(store, "dry", minute=2, dry_run=True)
    end(store, "dry", RunStatus.COMPLETED)
    begin(store, "other-input", minute=3, sha=OTHER_SHA)
    end(store, "other-input", RunStatus.COMPLETED)
    begin(store, "other-flow", minute=4, flow="税額照会")
    end(store, "other-flow", RunStatus.COMPLETED, flow="税額照会")
    assert store.interrupted_run("r1") == interrupted("r1", "stopped")

    begin(store, "fresh", minute=10)  # a fresh real run on the same file
    assert store.interrupted_run("r1") is None


@pytest.mark.parametrize("status", [RunStatus.COMPLETED, RunStatus.INVALID])
def test_interrupted_run_refuses_a_finished_run(store: RunStore, status: RunStatus) -> None:
    begin(store, "r1")
    journal(store, "r1", "r1", EVERY_STATE)
    end(store, "r1", status)
    assert store.interrupted_run("r1") is None


def test_interrupted_run_refuses_a_dry_run(store: RunStore) -> None:
    begin(store, "r1", dry_run=True)
    end(store, "r1", RunStatus.STOPPED)
    assert store.interrupted_run("r1") is None


# --- mark_interrupted, run_request -------------------------------------------------------------


def test_mark_interrupted_changes_only_a_running_run(store: RunStore, dead_pid: int) -> None:
    begin(store, "crashed", pid=dead_pid)
    journal(store, "crashed", "crashed", EVERY_STATE)
    begin(store, "stopped", sha=OTHER_SHA)
    end(store, "stopped", RunStatus.STOPPED)
    begin(store, "completed", sha="e" * 64)
    end(store, "completed", RunStatus.COMPLETED)

    for run_id in ("crashed", "stopped", "completed", "nope"):
        store.mark_interrupted(run_id)

    statuses = {run.run_id: run.status for run in store.list_runs(None, None)}
    assert statuses == {"crashed": "interrupted", "stopped": "stopped", "completed": "completed"}
    # An interrupted run is still the job's latest run, until a resume starts.
    assert store.find_interrupted(FLOW, SHA) == interrupted("crashed", "interrupted")


def test_run_request_returns_the_stored_request(store: RunStore) -> None:
    request: dict[str, object] = {"flow": "flows/住民票.yaml", "inputs": {"申請一覧": "申請一覧（11月）.xlsx"},
               "options": {"limit": 5, "dry_run": False, "names": ["𠮷野"]}}
    begin(store, "r1", request=request)
    begin(store, "r2", sha=OTHER_SHA)
    assert store.run_request("r1") == request
    assert store.run_request("r2") is None
    assert store.run_request("nope") is None


# --- RunJournal: masking and JournalError -------------------------------------------------------


def test_run_journal_masks_mynumber_in_keys_outputs_and_errors(store: RunStore) -> None:
    number = mynumber(12345678901)
    last4 = number[-4:]
    wide = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    run = RunJournal(store, "job-1", "r1", Masker(sensitive_fields={"個人番号"}))

    run.mark(1, S.IN_PROGRESS, f"山田 太郎・{number}",
             outputs={"個人番号": "0000-1111-2222", f"備考{number}": "x", "メモ": f"番号 {wide} を確認",
                      "数値": int(number)})
    run.record(1, f"山田 太郎・{number}").submitting()
    run.mark(2, S.FAILED, f"佐藤・{number[:4]}-{number[4:8]}-{number[8:]}", error=f"個人番号 {number} が重複しています",
             error_kind="input_record")
    run.flush()  # a record's end is written in the background; the run waits for it before it ends

    dumped = repr(store.dump())
    assert number not in dumped and wide not in dumped and number[:4] + "-" + number[4:8] not in dumped
    assert "0000-1111-2222" not in dumped and str(int(number)) not in dumped
    first, second = store.entries("job-1")[1], store.entries("job-1")[2]
    assert first.state is S.SUBMITTING  # the marker kept the masked outputs
    assert first.key == f"山田 太郎・********{last4}"
    assert first.outputs == {"個人番号": "********2222", f"備考********{last4}": "x", "メモ": f"番号 ********{last4} を確認",
                             "数値": f"********{last4}"}
    assert second.key == f"佐藤・********{last4}" and second.error == f"個人番号 ********{last4} が重複しています"


def test_run_journal_raises_journal_error_when_its_table_is_gone(store: RunStore, store_url: str) -> None:
    run = RunJournal(store, "job-1", "r1", Masker())
    run.mark(1, S.IN_PROGRESS, "申請-1")
    raw = create_engine(store_url)
    with raw.begin() as connection:
        connection.execute(text("DROP TABLE record_journal"))
    raw.dispose()

    with pytest.raises(JournalError, match="record_journal") as caught:
        run.mark(1, S.SUBMITTING, "申請-1")
    assert isinstance(caught.value.__cause__, StoreError)


@pytest.mark.parametrize("removed", ["database file", "logs folder"])
def test_run_journal_raises_journal_error_when_the_sqlite_file_is_gone(tmp_path: Path, removed: str) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    store = RunStore.open("sqlite:///" + (logs / "kazaguruma.sqlite3").as_posix(), logs)
    run = RunJournal(store, "job-1", "r1", Masker())
    run.mark(1, S.IN_PROGRESS, "申請-1")
    store.close()  # the engine lets go of the file; a next write would open it again
    if removed == "logs folder":
        shutil.rmtree(logs)
    else:
        for file in logs.glob("kazaguruma.sqlite3*"):  # with its -wal and -shm
            file.unlink()

    with pytest.raises(JournalError) as caught:
        run.mark(1, S.SUBMITTING, "申請-1")
    assert isinstance(caught.value.__cause__, StoreError)
    store.close()


@pytest.mark.parametrize("status", [RunStatus.STOPPED, RunStatus.ABORTED])
def test_a_run_that_stopped_before_its_first_record_is_not_offered_for_resume(store: RunStore,
                                                                               status: RunStatus) -> None:
    begin(store, "r1")  # e.g. the login in setup failed: nothing journalled, nothing keyed
    end(store, "r1", status)
    assert store.find_interrupted(FLOW, SHA) is None
    journal(store, "r1", "r1", [(JournalState.CONFIRMED, False)])
    assert store.find_interrupted(FLOW, SHA) is not None


# --- RunJournal: only submitting is written before going on; every other state in the background --


class HeldStore:
    """The real run store, with each write's state and thread noted, and ``in_progress`` writes
    held until ``release`` is set (to catch the journal writing in the background)."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self.release = threading.Event()
        self.writes: list[tuple[JournalState, str]] = []

    def mark(self, journal_id: str, run_id: str, index: int, state: JournalState, **details: Any) -> None:
        if state is S.IN_PROGRESS:
            assert self.release.wait(30), "never released"
        self.store.mark(journal_id, run_id, index, state, **details)
        self.writes.append((state, threading.current_thread().name))


def test_in_progress_is_written_in_the_background_and_the_commit_pair_waits_for_it(store: RunStore) -> None:
    held = HeldStore(store)
    run = RunJournal(held, "job-1", "r1", Masker())  # type: ignore[arg-type]

    run.mark(1, S.IN_PROGRESS, "申請-1")  # returns while its write is still held
    assert held.writes == [] and store.entries("job-1") == {}
    submitting = threading.Thread(target=run.record(1, "申請-1").submitting)
    submitting.start()
    submitting.join(0.3)
    assert submitting.is_alive(), "the commit step's mark went ahead of the record's earlier write"
    held.release.set()
    submitting.join(30)

    assert [state for state, _ in held.writes] == [S.IN_PROGRESS, S.SUBMITTING]  # the engine's order
    assert held.writes[0][1] == "journal writer" and held.writes[1][1] != "journal writer"
    assert store.entries("job-1")[1].state is S.SUBMITTING  # durable when submitting() returned
    run.mark(1, S.CONFIRMED, "申請-1", outputs={"受付番号": "R-1"})  # queued: lost to a kill, a resume looks it up
    run.flush()  # what the run does before it reports its end
    assert store.entries("job-1")[1].state is S.CONFIRMED
    assert [state for state, _ in held.writes][-1] is S.CONFIRMED and held.writes[-1][1] == "journal writer"


def test_a_background_write_that_failed_fails_the_next_mark_and_flush(store: RunStore, store_url: str) -> None:
    raw = create_engine(store_url)
    with raw.begin() as connection:
        connection.execute(text("DROP TABLE record_journal"))
    raw.dispose()
    run = RunJournal(store, "job-1", "r1", Masker())

    run.mark(1, S.IN_PROGRESS, "申請-1")  # queued: its failure shows at the next write
    with pytest.raises(JournalError, match="record_journal") as caught:
        run.mark(1, S.SUBMITTING, "申請-1")
    assert isinstance(caught.value.__cause__, StoreError)
    with pytest.raises(JournalError):  # and keeps failing: nothing is keyed without a journal
        run.flush()
    with pytest.raises(JournalError):
        run.mark(2, S.IN_PROGRESS, "申請-2")

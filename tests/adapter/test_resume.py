"""Resuming an interrupted job of the sample flow, for real: the per-record journal in a SQLite
run store under tmp, the demo web system, chromium.

A crash is staged as a killed run leaves the run store: the run row still ``running`` with the
pid of a process that is gone, its input's real SHA-256 and count, the journal rows it wrote —
while the demo system holds what that run really keyed (keyed by the real flow beforehand).
Each test judges the outcome by the demo store (what was keyed, how often), the run store
(statuses, carried_from, resumed_from, journal rows) and the results workbook.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from demo_client import VALID, Client
from flow_harness import application_list, receipts, run_job, sample_flow, stored_keys
from kazaguruma_demo.web.server import DemoServer

from bots.engine.executor import current_user
from bots.flow.loader import load_flow
from bots.platform.process import pid_alive
from bots.project import Project
from bots.records.digest import file_sha256
from bots.results.folder import new_run_id
from bots.results.journal import InterruptedRun, JournalState
from bots.results.model import RecordResult, RunStatus, Status
from bots.store.store import RunStore

pytestmark = pytest.mark.browser

Demo = Callable[..., DemoServer]
FLOW_ID = "shinsei-nyuryoku"
Key = tuple[str, str]


@pytest.fixture
def flow(project: Project) -> Path:
    return sample_flow(project)


def _text(key: Key) -> str:
    """A record's key as the engine writes it into the journal (``氏名・生年月日``)."""
    return "・".join(key)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not pid_alive(child.pid)
    return child.pid


def stage_crash(store: RunStore, project: Project, flow: Path, input_file: Path, keys: list[Key],
                journal: dict[int, tuple[JournalState, dict[str, Any]]]) -> str:
    """The run store as a run killed mid-way leaves it; returns that run's id.

    ``journal``: record index → (state, outputs) of the rows it had written. Confirmed records
    also have their outcome row (the run store listener writes one per finished record).
    """
    loaded, _ = load_flow(flow, project)
    assert loaded is not None
    started = dt.datetime.now().astimezone() - dt.timedelta(minutes=5)
    run_id = new_run_id(started)
    store.start_run(run_id=run_id, flow_id=FLOW_ID, flow_version=loaded.flow.version, flow_hash=loaded.content_hash,
                    selectors_hash=None, trigger="manual", os_user=current_user(), host=socket.gethostname(),
                    started_at=started, pid=_dead_pid(), request={"flow": str(flow), "primary_input": str(input_file)})
    store.set_input(run_id, input_name=input_file.name, input_sha256=file_sha256(input_file), total=len(keys),
                    journal_id=run_id)
    for index, (state, outputs) in sorted(journal.items()):
        store.mark(run_id, run_id, index, state, key=_text(keys[index - 1]), outputs=outputs)
        if state is JournalState.CONFIRMED:
            store.add_record(run_id, RecordResult(index=index, location=f"申請一覧!{index + 1}",
                                                  key=_text(keys[index - 1]), status=Status.PASS, outputs=outputs,
                                                  started=started))
    return run_id


def _key_with_flow(project: Project, flow: Path, path: Path, keys: list[Key], server: DemoServer) -> dict[Key, str]:
    """Key ``keys`` (written to ``path`` by the caller) with the real flow, no journal: what the
    crashed run had really keyed. Returns their 受付番号."""
    out = run_job(project, flow, store_url=None, input_file=path)
    assert out.result.status is RunStatus.COMPLETED and out.result.count(Status.PASS) == len(keys)
    found = receipts(server.config.db_path)
    assert sorted(found) == sorted(keys)
    return found


def _prefix(source: Path, target: Path, n: int) -> Path:
    """The first ``n`` data rows of ``source`` as their own workbook (same cells, other bytes)."""
    import openpyxl

    book = openpyxl.load_workbook(source)
    sheet = book["申請一覧"]
    sheet.delete_rows(n + 2, sheet.max_row)
    book.save(target)
    book.close()
    return target


def _verified(events: list[dict[str, Any]]) -> list[tuple[str, bool, str]]:
    """The run log's ``verified`` notices: (record, found, journal state it was left in)."""
    return [(e["record"], e["found"], e["previous_state"]) for e in events if e.get("event") == "verified"]


def _notices(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get("event") == kind]


# --- a. a crash mid-list, resumed --------------------------------------------------------------

def test_resume_after_crash_carries_verifies_and_keys_each_record_once(
        demo_web: Demo, project: Project, flow: Path, store: RunStore, runs_url: str, tmp_path: Path) -> None:
    server = demo_web()
    source = tmp_path / "申請一覧.xlsx"
    keys = application_list(source, 7, seed=31)
    # What the crashed run really keyed: records 1-3 (the first rows of the very same list).
    keyed_before = _key_with_flow(project, flow, _prefix(source, tmp_path / "keyed_before.xlsx", 3), keys[:3], server)
    crashed = stage_crash(store, project, flow, source, keys, {
        1: (JournalState.CONFIRMED, {"受付番号": keyed_before[keys[0]]}),
        2: (JournalState.CONFIRMED, {"受付番号": keyed_before[keys[1]]}),
        3: (JournalState.SUBMITTING, {}),  # the submit reached the system, then the power went
        4: (JournalState.SUBMITTING, {}),  # killed before the submit went out
        5: (JournalState.IN_PROGRESS, {}),
        6: (JournalState.PENDING, {}),
    })  # record 7: never started, no row
    assert store.find_interrupted(FLOW_ID, file_sha256(source)) is not None

    out = run_job(project, flow, store_url=runs_url, input_file=source, if_interrupted="resume")

    result = out.result
    assert result.status is RunStatus.COMPLETED, result.error
    assert (result.resumed_from, result.journal_id) == (crashed, crashed)
    # The demo store: every record exactly once; what the crashed run keyed left as it was.
    stored = stored_keys(server.config.db_path)
    assert Counter(stored) == Counter(keys), "a record was keyed twice, or not at all"
    final = receipts(server.config.db_path)
    assert all(final[k] == keyed_before[k] for k in keys[:3])
    assert stored[:3] == keys[:3] and sorted(stored[3:]) == sorted(keys[3:])
    # The new run's report: 1-2 carried with their old outputs, 3 found by verify, 4-7 keyed.
    records = out.by_index()
    assert [records[i].status for i in range(1, 8)] == [Status.PASS] * 7
    assert [records[i].carried_from for i in range(1, 8)] == [crashed, crashed, None, None, None, None, None]
    assert {i: records[i].outputs["受付番号"] for i in range(1, 8)} == {i: final[keys[i - 1]] for i in range(1, 8)}
    assert _verified(out.events) == [(_text(keys[2]), True, "submitting"), (_text(keys[3]), False, "submitting"),
                                     (_text(keys[4]), False, "in_progress")]
    assert len(_notices(out.events, "resumed")) == 1
    # The run store: the dead run became `interrupted`; the new one names the job it continued.
    old, new = store.get_run(crashed), store.get_run(result.run_id)
    assert old is not None and new is not None
    assert old.status == "interrupted"
    assert (new.status, new.resumed_from, new.journal_id, new.passed, new.total) == (
        "completed", crashed, crashed, 7, 7)
    assert [(r.index, r.status, r.carried_from) for r in new.records] == [
        (i, Status.PASS, crashed if i <= 2 else None) for i in range(1, 8)]
    assert new.records[0].outputs == {"受付番号": keyed_before[keys[0]]}
    journal = store.entries(crashed)
    assert sorted(journal) == list(range(1, 8))
    assert all(e.state is JournalState.CONFIRMED for e in journal.values())
    assert {i: e.outputs.get("受付番号") for i, e in journal.items()} == {i: final[keys[i - 1]] for i in range(1, 8)}
    assert [journal[i].run_id for i in range(1, 8)] == [crashed] * 2 + [result.run_id] * 5
    assert store.find_interrupted(FLOW_ID, file_sha256(source)) is None
    assert store.interrupted_run(crashed) is None, "a job resumed to its end cannot be resumed again"
    # The results workbook reports all seven with their 受付番号.
    rows = out.results_rows()
    assert [(r["状態"], r["受付番号"]) for r in rows] == [("成功", final[k]) for k in keys]


# --- b. no verify block ------------------------------------------------------------------------

def _without_verify(text: str) -> str:
    edited = re.sub(r"\nverify:\n.*?(?=\nsteps:\n)", "\n", text, flags=re.S)
    assert "verify:" not in edited and "\nsteps:\n" in edited and "on_session_expired:" in edited
    return edited


def test_without_verify_a_submitting_record_goes_to_review_and_an_in_progress_one_is_keyed(
        demo_web: Demo, project: Project, store: RunStore, runs_url: str, tmp_path: Path) -> None:
    server = demo_web()
    flow = sample_flow(project, name="shinsei_no_verify.yaml", edit=_without_verify)
    source = tmp_path / "申請一覧.xlsx"
    keys = application_list(source, 3, seed=32)
    crashed = stage_crash(store, project, flow, source, keys, {
        1: (JournalState.SUBMITTING, {}),
        2: (JournalState.IN_PROGRESS, {}),
    })

    out = run_job(project, flow, store_url=runs_url, input_file=source, if_interrupted="resume")

    assert out.result.status is RunStatus.COMPLETED, out.result.error
    assert out.result.resumed_from == crashed
    records = out.by_index()
    assert (records[1].status, records[1].error_kind) == (Status.REVIEW, "unverified")
    assert records[1].error and "verify" in records[1].error and "確認" in records[1].error
    assert (records[2].status, records[3].status) == (Status.PASS, Status.PASS)
    assert any("登録操作の前に中断" in n for n in records[2].notes)
    assert Counter(stored_keys(server.config.db_path)) == Counter(keys[1:]), "only records 2 and 3 may be keyed"
    assert _verified(out.events) == []
    journal = store.entries(crashed)
    assert [journal[i].state for i in (1, 2, 3)] == [JournalState.REVIEW, JournalState.CONFIRMED,
                                                      JournalState.CONFIRMED]
    assert journal[1].error_kind == "unverified"
    rows = out.results_rows()
    assert [r["状態"] for r in rows] == ["要確認", "成功", "成功"]
    assert out.result.exit_code == 1


# --- c. refusing, starting over, a changed input -----------------------------------------------

def test_new_run_on_an_interrupted_input_is_refused_unless_fresh(
        demo_web: Demo, project: Project, flow: Path, store: RunStore, runs_url: str, tmp_path: Path) -> None:
    server = demo_web()
    source = tmp_path / "申請一覧.xlsx"
    keys = application_list(source, 3, seed=33)
    sha = file_sha256(source)
    crashed = stage_crash(store, project, flow, source, keys, {1: (JournalState.IN_PROGRESS, {})})

    refused = run_job(project, flow, store_url=runs_url, input_file=source)  # if_interrupted="ask", nobody to ask

    assert refused.result.status is RunStatus.INVALID
    assert refused.result.error and "--resume" in refused.result.error and "--fresh" in refused.result.error
    assert crashed in refused.result.error
    assert refused.result.records == [] and refused.result.exit_code == 2
    assert stored_keys(server.config.db_path) == []
    assert [e for e in refused.events if e.get("event") == "step_finished"] == [], "not even the login ran"
    run = store.get_run(refused.result.run_id)
    assert run is not None and run.status == "invalid"
    old = store.get_run(crashed)
    assert old is not None and old.status == "running", "a refused run must not take the job over"
    found = store.find_interrupted(FLOW_ID, sha)
    assert found is not None and found.run_id == crashed

    # Someone is asked: the callback sees the interrupted run and refuses too.
    asked: list[InterruptedRun] = []

    def ask(run: InterruptedRun) -> Any:
        asked.append(run)
        return "refuse"

    again = run_job(project, flow, store_url=runs_url, input_file=source, ask=ask)
    assert again.result.status is RunStatus.INVALID
    assert [(a.run_id, a.unsettled, a.settled, a.total, a.alive) for a in asked] == [(crashed, 1, 0, 3, False)]
    assert stored_keys(server.config.db_path) == []

    fresh = run_job(project, flow, store_url=runs_url, input_file=source, if_interrupted="fresh")

    assert fresh.result.status is RunStatus.COMPLETED, fresh.result.error
    assert fresh.result.resumed_from is None and fresh.result.journal_id == fresh.result.run_id
    assert Counter(stored_keys(server.config.db_path)) == Counter(keys)
    assert [n.get("superseded") for n in _notices(fresh.events, "fresh_start")] == [crashed]
    assert store.find_interrupted(FLOW_ID, sha) is None
    assert store.interrupted_run(crashed) is None, "a job superseded by a fresh run cannot be resumed"
    assert set(store.entries(fresh.result.run_id)) == {1, 2, 3}
    assert list(store.entries(crashed)) == [1], "the old job's journal is left as it was"
    old = store.get_run(crashed)
    assert old is not None and old.status == "interrupted", "the dead run no longer shows as running"


def test_explicit_resume_refuses_a_changed_input_file(
        demo_web: Demo, project: Project, flow: Path, store: RunStore, runs_url: str, tmp_path: Path) -> None:
    server = demo_web()
    source = tmp_path / "申請一覧.xlsx"
    keys = application_list(source, 2, seed=34)
    original = source.read_bytes()
    crashed = stage_crash(store, project, flow, source, keys, {1: (JournalState.IN_PROGRESS, {})})
    application_list(source, 2, seed=35)  # the list was edited since: other bytes at the same path
    assert source.read_bytes() != original

    changed = run_job(project, flow, store_url=runs_url, input_file=source, resume=crashed)

    assert changed.result.status is RunStatus.INVALID
    assert changed.result.error and "入力ファイルが実行" in changed.result.error and crashed in changed.result.error
    assert stored_keys(server.config.db_path) == []
    old = store.get_run(crashed)
    assert old is not None and old.status == "running"

    # With the original bytes back, the same explicit resume is accepted.
    source.write_bytes(original)
    resumed = run_job(project, flow, store_url=runs_url, input_file=source, resume=crashed)
    assert resumed.result.status is RunStatus.COMPLETED, resumed.result.error
    assert resumed.result.resumed_from == crashed
    assert Counter(stored_keys(server.config.db_path)) == Counter(keys)


# --- d. verify finds the record twice ----------------------------------------------------------

def test_verify_finding_two_matches_sends_the_record_to_review(
        demo_web: Demo, project: Project, flow: Path, store: RunStore, runs_url: str, tmp_path: Path) -> None:
    server = demo_web()
    source = tmp_path / "申請一覧.xlsx"
    keys = application_list(source, 2, seed=36)
    # Record 1 is already in the core system twice (keyed by hand at the counter, twice).
    client = Client(server)
    client.login()
    for _ in range(2):
        done = client.submit({**VALID, "shimei": keys[0][0], "birth": keys[0][1]})
        assert done.kz_page == "complete", done.body[:300]
    before = stored_keys(server.config.db_path)
    assert before == [keys[0], keys[0]]
    crashed = stage_crash(store, project, flow, source, keys, {1: (JournalState.SUBMITTING, {})})

    out = run_job(project, flow, store_url=runs_url, input_file=source, if_interrupted="resume")

    assert out.result.status is RunStatus.COMPLETED, out.result.error
    first = out.by_index()[1]
    assert (first.status, first.error_kind) == (Status.REVIEW, "unverified")
    assert first.error and "複数" in first.error
    assert out.by_index()[2].status is Status.PASS
    assert Counter(stored_keys(server.config.db_path)) == Counter({keys[0]: 2, keys[1]: 1}), \
        "record 1 must not be keyed a third time"
    journal = store.entries(crashed)
    assert (journal[1].state, journal[2].state) == (JournalState.REVIEW, JournalState.CONFIRMED)
    assert out.results_rows()[0]["状態"] == "要確認"

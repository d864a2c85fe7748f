"""The sample flow against a core system that misbehaves mid-run, for real: sessions that expire,
a maintenance window, a stop request — the demo web system, chromium, a SQLite run store (with
the per-record journal) under tmp.

A listener changes the demo system at a chosen record or step, as an operator or the nightly
batch would. Each test judges the outcome by what the demo store holds (each record once), the
run store (statuses, journal rows) and the run log.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flow_harness import application_list, receipts, run_job, sample_flow, stored_keys
from kazaguruma_demo.web.server import DemoServer

from bots.project import Project
from bots.records.digest import file_sha256
from bots.results.journal import JournalState
from bots.results.listener import RunListener
from bots.results.model import RecordResult, RunStatus, Status
from bots.selectors.loader import load_selector_map
from bots.store.store import RunStore

pytestmark = pytest.mark.browser

Demo = Callable[..., DemoServer]
FLOW_ID = "shinsei-nyuryoku"
SAMPLE_RETRY = "retry: {attempts: 10, backoff: 500ms, max_backoff: 4s, on: [target_system, timeout]}"


class At(RunListener):
    """Calls ``action`` once: when record ``index`` starts (``when="start"``), finishes
    (``"finish"``), or when its step labelled ``step`` starts."""

    def __init__(self, index: int, action: Callable[[], Any], *, when: str = "start", step: str | None = None) -> None:
        self.index, self.action, self.when, self.step = index, action, when, step
        self.current: int | None = None
        self.results: list[Any] = []

    def _fire(self) -> None:
        if not self.results:
            self.results.append(self.action())

    def record_started(self, record: RecordResult) -> None:
        self.current = record.index
        if record.index == self.index and self.when == "start":
            self._fire()

    def step_started(self, action: str, label: str, depth: int) -> None:
        if self.current == self.index and self.when == "step" and label == self.step:
            self._fire()

    def record_finished(self, record: RecordResult) -> None:
        self.current = None
        if record.index == self.index and self.when == "finish":
            self._fire()


def _events(out: Any, kind: str) -> list[dict[str, Any]]:
    return [e for e in out.events if e.get("event") == kind]


# --- e. session expiry mid-run -----------------------------------------------------------------

def test_expired_sessions_are_logged_in_again_and_every_record_keyed_once(
        demo_web: Demo, project: Project, store: RunStore, runs_url: str, tmp_path: Path) -> None:
    server = demo_web()
    flow = sample_flow(project)
    source = tmp_path / "申請一覧.xlsx"
    keys = application_list(source, 5, seed=41)
    # Once as record 2 starts: its first screen meets the expired session, it is started over
    # after logging in again. Once just before record 4's commit step: the 登録 POST is answered
    # by the expiry screen. Unless the selector map declares that screen nothing_saved, the
    # engine logs in again, looks the record up (verify: not there) and keys it again.
    selector_map, _ = load_selector_map(project.selectors / "demo_web.yaml")
    assert selector_map is not None
    (expiry,) = [i for i in selector_map.error_indicators if i.kind == "session_expired"]
    on_start = At(2, server.expire_sessions)
    before_commit = At(4, server.expire_sessions, when="step", step="登録")

    out = run_job(project, flow, store_url=runs_url, input_file=source, extra=[on_start, before_commit])

    assert on_start.results == [1] and before_commit.results == [1], "no session was expired: the test proves nothing"
    result = out.result
    assert result.status is RunStatus.COMPLETED, result.error
    assert [r.status for r in result.records] == [Status.PASS] * 5, [r.error for r in result.records]
    assert Counter(stored_keys(server.config.db_path)) == Counter(keys), "a record was keyed twice, or not at all"
    expired = _events(out, "session_expired")
    assert [e["record"] for e in expired] == ["・".join(keys[1]), "・".join(keys[3])]
    looked_up = [] if expiry.nothing_saved else ["・".join(keys[3])]
    assert [e["record"] for e in _events(out, "verify_after_error")] == looked_up
    assert [(e["record"], e["found"]) for e in _events(out, "verified")] == [(k, False) for k in looked_up]
    logins = [e for e in _events(out, "audit") if e.get("type") == "login"]
    assert len(logins) == 3, "setup login plus one re-login per expiry"
    final = receipts(server.config.db_path)
    assert [r.outputs["受付番号"] for r in result.records] == [final[k] for k in keys]
    journal = store.entries(result.run_id)
    assert [journal[i].state for i in range(1, 6)] == [JournalState.CONFIRMED] * 5


# --- f. the target system goes down ------------------------------------------------------------

def _quick_retry(text: str) -> str:
    assert text.count(SAMPLE_RETRY) == 1
    return text.replace(SAMPLE_RETRY, "retry: {attempts: 2, backoff: 100ms, max_backoff: 100ms, on: [target_system, timeout]}")


def test_target_down_aborts_after_consecutive_failures_and_a_resume_keys_the_rest(
        demo_web: Demo, project: Project, store: RunStore, runs_url: str, tmp_path: Path) -> None:
    server = demo_web()
    flow = sample_flow(project, edit=_quick_retry)  # the sample's 10 attempts up to 4 s apart, shortened
    source = tmp_path / "申請一覧.xlsx"
    keys = application_list(source, 7, seed=42)
    down = At(3, lambda: server.reconfigure(maintenance=True), when="finish")

    out = run_job(project, flow, store_url=runs_url, input_file=source, extra=[down])

    result = out.result
    assert down.results, "maintenance was never switched on"
    assert result.status is RunStatus.ABORTED
    assert result.error and "基幹システムが応答しないため停止しました" in result.error and "3件連続" in result.error
    assert [r.status for r in result.records] == [Status.PASS] * 3 + [Status.FAIL] * 3 + [Status.NOT_RUN]
    assert {r.error_kind for r in result.records[3:6]} == {"target_system"}
    assert Counter(stored_keys(server.config.db_path)) == Counter(keys[:3]), "nothing is stored while down"
    journal = store.entries(result.run_id)
    assert sorted(journal) == [1, 2, 3, 4, 5, 6], "record 7 was never started"
    assert [journal[i].state for i in (1, 2, 3)] == [JournalState.CONFIRMED] * 3
    assert [(journal[i].state, journal[i].retryable, journal[i].error_kind) for i in (4, 5, 6)] == [
        (JournalState.FAILED, True, "target_system")] * 3
    assert not any(journal[i].settled for i in (4, 5, 6))
    run = store.get_run(result.run_id)
    assert run is not None and (run.status, run.passed, run.failed, run.not_run) == ("aborted", 3, 3, 1)
    found = store.find_interrupted(FLOW_ID, file_sha256(source))
    assert found is not None and (found.run_id, found.settled, found.total) == (result.run_id, 3, 7)

    server.reconfigure(maintenance=False)
    resumed = run_job(project, flow, store_url=runs_url, input_file=source, if_interrupted="resume")

    again = resumed.result
    assert again.status is RunStatus.COMPLETED, again.error
    assert again.resumed_from == result.run_id and again.journal_id == result.run_id
    assert [r.status for r in again.records] == [Status.PASS] * 7
    assert [r.carried_from for r in again.records] == [result.run_id] * 3 + [None] * 4
    stored = stored_keys(server.config.db_path)
    assert Counter(stored) == Counter(keys), "each record exactly once in the end"
    assert stored[:3] == keys[:3] and sorted(stored[3:]) == sorted(keys[3:])
    journal = store.entries(result.run_id)
    assert all(journal[i].state is JournalState.CONFIRMED for i in range(1, 8))
    assert [journal[i].run_id for i in range(1, 8)] == [result.run_id] * 3 + [again.run_id] * 4
    old = store.get_run(result.run_id)
    assert old is not None and old.status == "aborted", "an aborted run keeps its status"
    assert store.find_interrupted(FLOW_ID, file_sha256(source)) is None


# --- g. a graceful stop ------------------------------------------------------------------------

def test_stop_request_finishes_the_current_record_and_a_resume_completes_the_rest(
        demo_web: Demo, project: Project, store: RunStore, runs_url: str, tmp_path: Path) -> None:
    server = demo_web()
    flow = sample_flow(project)
    source = tmp_path / "申請一覧.xlsx"
    keys = application_list(source, 6, seed=43)
    stop = threading.Event()
    request_stop = At(3, stop.set)

    out = run_job(project, flow, store_url=runs_url, input_file=source, extra=[request_stop], stop=stop)

    result = out.result
    assert request_stop.results == [None]
    assert result.status is RunStatus.STOPPED
    assert [r.status for r in result.records] == [Status.PASS] * 3 + [Status.NOT_RUN] * 3
    assert Counter(stored_keys(server.config.db_path)) == Counter(keys[:3])
    journal = store.entries(result.run_id)
    assert sorted(journal) == [1, 2, 3] and all(e.state is JournalState.CONFIRMED for e in journal.values())
    run = store.get_run(result.run_id)
    assert run is not None and (run.status, run.passed, run.not_run) == ("stopped", 3, 3)
    assert [r["状態"] for r in out.results_rows()] == ["成功"] * 3 + ["未処理"] * 3

    resumed = run_job(project, flow, store_url=runs_url, input_file=source, if_interrupted="resume")

    again = resumed.result
    assert again.status is RunStatus.COMPLETED, again.error
    assert again.resumed_from == result.run_id
    assert [r.carried_from for r in again.records] == [result.run_id] * 3 + [None] * 3
    assert [r.status for r in again.records] == [Status.PASS] * 6
    assert Counter(stored_keys(server.config.db_path)) == Counter(keys), "each record exactly once in the end"
    final = receipts(server.config.db_path)
    assert [r["受付番号"] for r in resumed.results_rows()] == [final[k] for k in keys]
    assert all(e.state is JournalState.CONFIRMED for e in store.entries(result.run_id).values())

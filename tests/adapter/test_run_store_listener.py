"""RunStoreListener on real runs: LocalExecutor drives control-only flows over a real .xlsx made
by ``kazaguruma_demo.sample_data``, and the store (SQLite and PostgreSQL) is read back as an auditor would."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from kazaguruma_demo.sample_data import make_applications, write_applications_xlsx

from bots.engine.executor import LocalExecutor, RunRequest
from bots.flow.loader import load_flow
from bots.project import Project
from bots.results.model import RecordResult, RunResult, RunStatus, Status
from bots.store import RunStore, RunStoreListener, StoreError

REPO_SELECTORS = Path(__file__).resolve().parents[2] / "selectors" / "demo_web.yaml"
FLOW = """\
id: {flow_id}
title: 実行記録の検査
version: 2.1.0
owner: 情報政策係
systems:
  demo_web: {{base_url: "http://127.0.0.1:9"}}
inputs:
  file: {{type: path, required: true}}
settings: {{max_failures: {max_failures}}}
records:
  from: excel
  file: "{{{{ inputs.file }}}}"
  sheet: 申請一覧
  key: [氏名, 生年月日]
  columns:
    氏名: {{type: str, required: true}}
    フリガナ: {{type: kana, required: true}}
    生年月日: {{type: wareki, required: true}}
    郵便番号: {{type: zip, required: true}}
    電話番号: {{type: phone, required: true}}
    申請種別: {{type: str, required: true}}
outputs: [受付番号]
steps:
  - fail: {{message: "対象外の申請です: {{{{ record.申請種別 }}}}"}}
    when: "record.申請種別 == '国民健康保険加入'"
  - set: {{受付番号: "{{{{ 'R-' ~ record.氏名 }}}}"}}
"""


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[RunStore]:
    with RunStore.open(store_url, tmp_path / "store-logs") as opened:
        yield opened


@pytest.fixture
def project(tmp_project: Project) -> Project:
    shutil.copy(REPO_SELECTORS, tmp_project.selectors / "demo_web.yaml")
    return tmp_project


def run(project: Project, store: RunStore, *, flow_id: str = "kiroku-kensa", user: str = "tester", rows: int = 8,
        bad: int = 2, max_failures: int = 0, sheet: str = "申請一覧", dry_run: bool = False) -> RunResult:
    flow = project.flows / f"{flow_id}.yaml"
    flow.write_text(FLOW.format(flow_id=flow_id, max_failures=max_failures), encoding="utf-8")
    data = [row for row, _ in make_applications(rows, seed=7, bad=bad)]
    book = write_applications_xlsx(project.root / "申請一覧.xlsx", data, sheet=sheet)
    request = RunRequest(flow=str(flow), primary_input=str(book), user=user, cwd=str(project.root), dry_run=dry_run)
    return LocalExecutor(project).run(request, listeners=lambda info: [RunStoreListener(store)])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_run_is_recorded_with_its_versions_input_and_every_record(project: Project, store: RunStore) -> None:
    result = run(project, store)
    statuses = [r.status for r in result.records]
    assert result.status is RunStatus.COMPLETED and Status.PASS in statuses and Status.FAIL in statuses

    row = store.get_run(result.run_id)
    assert row is not None
    flow_file = project.flows / "kiroku-kensa.yaml"
    loaded, _ = load_flow(flow_file, project)
    assert loaded is not None
    assert (row.flow_id, row.flow_version, row.flow_hash) == ("kiroku-kensa", "2.1.0", sha256(flow_file))
    assert row.selectors_hash == loaded.selectors_hash and row.selectors_hash is not None
    assert (row.trigger, row.os_user, row.host, row.dry_run) == ("manual", "tester", socket.gethostname(), False)
    assert (row.input_name, row.input_sha256) == ("申請一覧.xlsx", sha256(project.root / "申請一覧.xlsx"))
    assert row.status == "completed" and row.error is None
    assert (row.passed, row.failed, row.review, row.not_run, row.total) == (
        result.count(Status.PASS), result.count(Status.FAIL), 0, 0, 8)
    assert row.started_at == result.started and row.finished_at == result.finished
    assert [(r.index, r.location, r.key, r.status, r.error, r.error_kind, r.outputs) for r in row.records] == [
        (r.index, r.location, r.key, r.status, r.error, r.error_kind, r.outputs) for r in result.records]
    assert {r.error_kind for r in row.records if r.status is Status.FAIL} <= {"input_record", "fail"}

    timings = {t.action: t for t in store.step_summary(result.run_id)}
    assert set(timings) == {"control.fail", "control.set"}
    keyed = sum(1 for r in result.records if r.error_kind != "input_record")  # bad rows run no steps
    assert timings["control.fail"].count == keyed
    assert timings["control.fail"].failures == sum(1 for r in result.records if r.error_kind == "fail")
    assert timings["control.set"].count == result.count(Status.PASS)
    assert all(t.max_ms <= t.total_ms for t in timings.values())


def test_runs_are_found_by_period_flow_user_and_status(project: Project, store: RunStore) -> None:
    first = run(project, store, flow_id="nyuryoku-a", user="山田")
    aborted = run(project, store, flow_id="nyuryoku-a", user="佐藤", rows=12, bad=4, max_failures=2)
    other = run(project, store, flow_id="nyuryoku-b", user="山田", dry_run=True)
    assert aborted.status is RunStatus.ABORTED

    today = dt.date.today()

    def ids(**filters: str) -> list[str]:
        return [r.run_id for r in store.list_runs(today - dt.timedelta(days=1), today + dt.timedelta(days=1),
                                                  **filters)]

    assert ids() == [first.run_id, aborted.run_id, other.run_id]
    assert ids(flow_id="nyuryoku-a") == [first.run_id, aborted.run_id]
    assert ids(user="山田") == [first.run_id, other.run_id]
    assert ids(status="aborted") == [aborted.run_id]
    assert ids(flow_id="nyuryoku-a", user="山田", status="completed") == [first.run_id]
    assert store.list_runs(today - dt.timedelta(days=30), today - dt.timedelta(days=2)) == []
    assert [r.dry_run for r in store.list_runs(None, None, flow_id="nyuryoku-b")] == [True]

    # Records never started (after the abort) are stored too: every input row has an outcome.
    stopped = store.get_run(aborted.run_id)
    assert stopped is not None and stopped.error == aborted.error
    assert len(stopped.records) == 12 and stopped.not_run == aborted.count(Status.NOT_RUN) > 0
    assert [r.status for r in stopped.records] == [r.status for r in aborted.records]


def test_a_run_refused_for_its_input_is_recorded_as_invalid(project: Project, store: RunStore) -> None:
    result = run(project, store, sheet="Sheet1")  # the flow reads 申請一覧
    assert result.status is RunStatus.INVALID

    row = store.get_run(result.run_id)
    assert row is not None
    assert row.status == "invalid" and row.error == result.error and row.records == ()
    assert row.finished_at is not None and row.input_sha256 is None


def test_the_listener_raises_when_it_cannot_write(store: RunStore) -> None:
    listener = RunStoreListener(store)
    with pytest.raises(StoreError):  # no such run: the outcome has nowhere to go
        listener.record_finished(RecordResult(index=1, location="申請一覧!2", key="山田 太郎・1975-04-01"))

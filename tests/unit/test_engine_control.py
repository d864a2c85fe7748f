"""The engine without a browser: real flows of control steps, real .xlsx records, real results.

Each test writes its flow into a temporary project and runs it through ``LocalExecutor``;
run logs go to a temporary ``KZ_LOGS`` (see the ``tmp_project`` fixture).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from bots.engine.executor import LocalExecutor, RunRequest
from bots.errors import ErrorKind, ExitCode, FlowError
from bots.project import Project
from bots.results.listener import RunListener
from bots.results.model import RecordResult, RunResult, RunStatus, Status, StepResult
from bots.spec.types import RetryOn, RetryPolicy

HEADER = """\
id: engine-test
title: エンジン検査
version: 1.0.0
owner: 情報政策係
"""
RECORDS = """\
inputs:
  file: {type: path, required: true}
records:
  from: excel
  file: "{{ inputs.file }}"
  sheet: 申請一覧
  key: [氏名, 生年月日]
  columns:
    氏名: {type: str, required: true}
    生年月日: {type: date, required: true}
    区分: str
"""
ROWS = [
    ("山田 太郎", "1975-04-01", "一般"),
    ("佐藤 花子", "1980-12-24", "対象外"),
    ("鈴木 一郎", "1990-01-15", "一般"),
    ("高橋 陽子", "2001-07-07", "対象外"),
    ("田中 誠", "1965-03-03", "一般"),
]


class Recorder(RunListener):
    """Keeps what the engine reported, in order."""

    def __init__(self) -> None:
        self.steps: list[tuple[StepResult, int]] = []
        self.notices: list[tuple[str, str, dict[str, Any]]] = []
        self.records: list[RecordResult] = []

    def step_finished(self, result: StepResult, depth: int) -> None:
        self.steps.append((result, depth))

    def notice(self, kind: str, message: str, data: dict[str, Any]) -> None:
        self.notices.append((kind, message, data))

    def record_finished(self, record: RecordResult) -> None:
        self.records.append(record)

    def step(self, label: str) -> list[StepResult]:
        return [s for s, _ in self.steps if s.label == label]


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], header: Sequence[str] = ("氏名", "生年月日", "区分")) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "申請一覧"
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def run_flow(project: Project, text: str, *, name: str = "test.yaml", rows: Sequence[Sequence[Any]] | None = None,
             dry_run: bool = False, inputs: dict[str, Any] | None = None) -> tuple[RunResult, Recorder]:
    flow = project.flows / name
    flow.parent.mkdir(parents=True, exist_ok=True)
    flow.write_text(text, encoding="utf-8")
    recorder = Recorder()
    primary = str(write_xlsx(project.root / "申請一覧.xlsx", rows)) if rows is not None else None
    request = RunRequest(flow=f"flows/{name}", cwd=str(project.root), dry_run=dry_run, primary_input=primary,
                         inputs=inputs or {}, user="tester")
    result = LocalExecutor(project).run(request, listeners=lambda info: [recorder])
    return result, recorder


def statuses(result: RunResult) -> list[Status]:
    return [r.status for r in result.records]


# --- per-record isolation ---------------------------------------------------------------------


def test_a_failing_record_does_not_stop_the_others(tmp_project: Project) -> None:
    flow = HEADER + RECORDS + """\
outputs: [受付番号]
steps:
  - fail: {message: "対象外の申請です: {{ record.区分 }}"}
    when: "record.区分 == '対象外'"
  - set: {受付番号: "{{ 'R-' ~ record.氏名 }}"}
"""
    result, recorder = run_flow(tmp_project, flow, rows=ROWS)

    assert result.status is RunStatus.COMPLETED
    assert statuses(result) == [Status.PASS, Status.FAIL, Status.PASS, Status.FAIL, Status.PASS]
    assert result.exit_code == ExitCode.RECORDS_FAILED == 1
    failed = result.records[1]
    assert failed.error == "対象外の申請です: 対象外"
    assert failed.error_kind == "fail"
    assert failed.key == "佐藤 花子・1980-12-24"
    assert failed.location == "申請一覧!3"
    assert failed.outputs == {"受付番号": None}
    assert result.records[2].outputs == {"受付番号": "R-鈴木 一郎"}
    assert [r.key for r in recorder.records] == [r.key for r in result.records]


def test_variables_do_not_leak_from_one_record_to_the_next(tmp_project: Project) -> None:
    flow = HEADER + RECORDS + """\
steps:
  - fail: {message: "前の行の変数が残っています: {{ vars.前の氏名 }}"}
    when: "vars.前の氏名 is defined"
  - set: {前の氏名: "{{ record.氏名 }}"}
"""
    result, _ = run_flow(tmp_project, flow, rows=ROWS[:3])

    assert statuses(result) == [Status.PASS] * 3


def test_a_bad_row_fails_without_running_its_steps(tmp_project: Project) -> None:
    flow = HEADER + RECORDS + """\
outputs: [処理]
steps:
  - set: {処理: 済}
"""
    result, recorder = run_flow(tmp_project, flow, rows=[ROWS[0], (None, "1980-01-01", "一般"), ROWS[2]])

    assert statuses(result) == [Status.PASS, Status.FAIL, Status.PASS]
    assert result.records[1].error_kind == "input_record"
    assert "氏名" in (result.records[1].error or "")
    assert len(recorder.step("control.set")) == 2  # the bad row ran nothing


def test_an_undefined_value_at_run_time_fails_the_record_as_bad_input(tmp_project: Project) -> None:
    # 番号 is only set for 一般 rows, so the log fails for the others: a record error, not our bug.
    flow = HEADER + RECORDS + """\
steps:
  - set: {番号: 1}
    when: "record.区分 == '一般'"
  - log: "{{ vars.番号 }}"
"""
    result, _ = run_flow(tmp_project, flow, rows=ROWS[:2])

    assert result.status is RunStatus.COMPLETED
    assert statuses(result) == [Status.PASS, Status.FAIL]
    assert result.records[1].error_kind == "input_record"
    assert "式の値が未定義です" in (result.records[1].error or "")


def test_on_record_failure_runs_after_a_failed_record_only(tmp_project: Project) -> None:
    flow = HEADER + RECORDS + """\
steps:
  - fail: 対象外
    when: "record.区分 == '対象外'"
on_record_failure:
  - log: {message: "復旧: {{ record.氏名 }}", level: warning}
"""
    result, recorder = run_flow(tmp_project, flow, rows=ROWS[:3])

    assert statuses(result) == [Status.PASS, Status.FAIL, Status.PASS]
    assert [data for kind, _, data in recorder.notices if kind == "log"] == [{"step": "control.log", "level": "warning"}]
    assert [m for kind, m, _ in recorder.notices if kind == "log"] == ["復旧: 佐藤 花子"]


# --- max_failures -----------------------------------------------------------------------------


def test_max_failures_stops_cleanly_and_leaves_the_rest_not_run(tmp_project: Project) -> None:
    flow = HEADER + RECORDS + """\
settings: {max_failures: 2}
steps:
  - fail: 対象外
    when: "record.区分 == '対象外'"
"""
    result, recorder = run_flow(tmp_project, flow, rows=ROWS)

    assert result.status is RunStatus.ABORTED
    assert result.exit_code == ExitCode.ABORTED
    assert statuses(result) == [Status.PASS, Status.FAIL, Status.PASS, Status.FAIL, Status.NOT_RUN]
    assert result.records[4].key == "田中 誠・1965-03-03"
    assert result.records[4].error is None
    assert "上限（2件）" in (result.error or "")
    assert len(recorder.records) == 4  # the record not run was never started
    assert result.finished is not None


def test_max_failures_zero_never_stops(tmp_project: Project) -> None:
    flow = HEADER + RECORDS + """\
settings: {max_failures: 0}
steps:
  - fail: 全件失敗
"""
    result, _ = run_flow(tmp_project, flow, rows=ROWS)

    assert result.status is RunStatus.COMPLETED
    assert statuses(result) == [Status.FAIL] * 5


# --- retry ------------------------------------------------------------------------------------

RETRY = HEADER + """\
outputs: [試行]
steps:
  - set: {試行: 0}
  - name: 不安定な処理
    retry: {attempts: 3, backoff: 10ms, factor: 2, on: [KINDS]}
    group:
      steps:
        - set: {試行: "{{ vars.試行 + 1 }}"}
        - fail: まだ準備ができていません
          when: "vars.試行 < SUCCEED_AT"
"""


def retry_flow(kinds: str, succeed_at: int) -> str:
    return RETRY.replace("KINDS", kinds).replace("SUCCEED_AT", str(succeed_at))


def test_retry_reruns_the_group_until_it_succeeds(tmp_project: Project) -> None:
    result, recorder = run_flow(tmp_project, retry_flow("fail", 3))

    assert statuses(result) == [Status.PASS]
    assert result.records[0].outputs == {"試行": 3}
    group = recorder.step("不安定な処理")
    assert [(s.status, s.attempt) for s in group] == [(Status.PASS, 3)]
    retries = [data for kind, _, data in recorder.notices if kind == "retry"]
    assert [r["attempt"] for r in retries] == [2, 3]
    assert {r["kind"] for r in retries} == {"fail"}
    assert 0.03 <= group[0].elapsed < 2  # 10ms, then 20ms (factor 2) of backoff


def test_retry_gives_up_after_the_last_attempt(tmp_project: Project) -> None:
    result, recorder = run_flow(tmp_project, retry_flow("fail", 10))

    assert statuses(result) == [Status.FAIL]
    assert result.records[0].outputs == {"試行": 3}
    assert result.records[0].error == "まだ準備ができていません"
    assert [(s.status, s.attempt) for s in recorder.step("不安定な処理")] == [(Status.FAIL, 3)]


def test_retry_ignores_error_kinds_it_was_not_told_about(tmp_project: Project) -> None:
    result, recorder = run_flow(tmp_project, retry_flow("timeout, target_system", 3))

    assert statuses(result) == [Status.FAIL]
    assert result.records[0].outputs == {"試行": 1}
    assert not [kind for kind, _, _ in recorder.notices if kind == "retry"]


# --- when -------------------------------------------------------------------------------------


def test_when_false_skips_the_step(tmp_project: Project) -> None:
    flow = HEADER + """\
inputs:
  モード: {type: str, default: 本番}
outputs: [結果]
steps:
  - set: {結果: 初期値}
  - name: 練習のときだけ
    set: {結果: 練習}
    when: "inputs.モード == '練習'"
  - name: 本番のときだけ
    log: 本番です
    when: "{{ inputs.モード == '本番' }}"
"""
    result, recorder = run_flow(tmp_project, flow)

    assert result.status is RunStatus.COMPLETED
    assert result.records[0].outputs == {"結果": "初期値"}
    assert [s.status for s in recorder.step("練習のときだけ")] == [Status.SKIP]
    assert [s.status for s in recorder.step("本番のときだけ")] == [Status.PASS]

    practice, _ = run_flow(tmp_project, flow, inputs={"モード": "練習"})
    assert practice.records[0].outputs == {"結果": "練習"}


# --- dry run ----------------------------------------------------------------------------------

DRY = HEADER + RECORDS + """\
outputs: [入力済み, 登録済み, 後続]
steps:
  - set: {入力済み: "{{ record.氏名 }}"}
  - name: 登録
    set: {登録済み: true}
    commit: true
  - set: {後続: true}
"""


def test_dry_run_holds_back_the_commit_step_and_the_rest_of_the_record(tmp_project: Project) -> None:
    result, recorder = run_flow(tmp_project, DRY, rows=ROWS[:2], dry_run=True)

    assert result.dry_run is True
    assert result.status is RunStatus.COMPLETED
    assert statuses(result) == [Status.PASS, Status.PASS]
    # Steps before the commit ran for every record; the commit and everything after did not.
    assert [r.outputs for r in result.records] == [
        {"入力済み": "山田 太郎", "登録済み": None, "後続": None},
        {"入力済み": "佐藤 花子", "登録済み": None, "後続": None},
    ]
    assert [s.status for s in recorder.step("登録")] == [Status.SKIP, Status.SKIP]
    assert [data["step"] for kind, _, data in recorder.notices if kind == "dry_run_skip"] == ["登録", "登録"]


def test_without_dry_run_the_commit_step_runs(tmp_project: Project) -> None:
    result, _ = run_flow(tmp_project, DRY, rows=ROWS[:1])

    assert result.records[0].outputs == {"入力済み": "山田 太郎", "登録済み": True, "後続": True}


def test_a_failure_after_the_commit_step_goes_to_review(tmp_project: Project) -> None:
    flow = HEADER + RECORDS + """\
steps:
  - name: 登録
    log: 登録しました
    commit: true
  - fail: 受付番号が表示されません
    retry: {attempts: 3, backoff: 10ms, on: [fail]}
"""
    result, recorder = run_flow(tmp_project, flow, rows=ROWS[:1])

    assert statuses(result) == [Status.REVIEW]
    assert "登録の有無を確認してください" in (result.records[0].error or "")
    assert [kind for kind, _, _ in recorder.notices if kind.startswith("retry")] == ["retry_refused"]


# --- nesting ----------------------------------------------------------------------------------


def test_nested_for_each(tmp_project: Project) -> None:
    flow = HEADER + """\
outputs: [名簿, 件数]
steps:
  - set: {世帯: [[山田太郎, 山田花子], [佐藤一郎]], 名簿: [], 件数: 0}
  - for_each:
      items: vars.世帯
      as: 世帯員
      steps:
        - for_each:
            items: vars.世帯員
            as: 氏名
            steps:
              - set: {名簿: "{{ vars.名簿 + [vars.氏名] }}", 件数: "{{ vars.件数 + 1 }}"}
"""
    result, recorder = run_flow(tmp_project, flow)

    assert result.records[0].outputs == {"名簿": ["山田太郎", "山田花子", "佐藤一郎"], "件数": 3}
    depths = [depth for s, depth in recorder.steps if s.action == "control.set"]
    assert depths == [0, 2, 2, 2]


def test_for_each_over_something_that_is_not_a_list_fails_the_record(tmp_project: Project) -> None:
    flow = HEADER + """\
steps:
  - set: {件数: 3}
  - for_each: {items: vars.件数, steps: [{log: x}]}
"""
    result, _ = run_flow(tmp_project, flow)

    assert statuses(result) == [Status.FAIL]
    assert result.records[0].error_kind == "input_record"
    assert "リストではありません" in (result.records[0].error or "")


def test_if_else_picks_a_branch_per_record(tmp_project: Project) -> None:
    flow = HEADER + RECORDS + """\
outputs: [振分]
steps:
  - if:
      cond: "record.区分 == '一般'"
      then:
        - set: {振分: 通常}
      else:
        - group:
            steps:
              - set: {振分: 保留}
"""
    result, _ = run_flow(tmp_project, flow, rows=ROWS[:2])

    assert [r.outputs["振分"] for r in result.records] == ["通常", "保留"]


# --- sub-flows --------------------------------------------------------------------------------

SUB = """\
id: add-tax
title: 税込計算
version: 1.0.0
owner: 情報政策係
inputs:
  金額: {type: int, required: true}
  税率: {type: int, default: 10}
steps:
  - set:
      税込: "{{ inputs.金額 + inputs.金額 * inputs.税率 // 100 }}"
      内部メモ: "{{ inputs.金額 }}円の計算"
"""


def test_call_passes_with_inputs_and_copies_outputs_back(tmp_project: Project) -> None:
    (tmp_project.flows / "common").mkdir()
    (tmp_project.flows / "common" / "add_tax.yaml").write_text(SUB, encoding="utf-8")
    flow = HEADER + RECORDS + """\
outputs: [税込, 内部が見えるか, 呼出元の変数]
steps:
  - set: {呼出元の変数: 残る}
  - call:
      flow: common/add_tax.yaml
      with: {金額: 1000}
      outputs: [税込]
  - set: {内部が見えるか: "{{ '内部メモ' in vars }}"}
"""
    result, _ = run_flow(tmp_project, flow, rows=ROWS[:1])

    assert statuses(result) == [Status.PASS]
    assert result.records[0].outputs == {"税込": 1100, "内部が見えるか": False, "呼出元の変数": "残る"}


def test_call_without_a_required_input_fails_the_record(tmp_project: Project) -> None:
    (tmp_project.flows / "common").mkdir()
    (tmp_project.flows / "common" / "add_tax.yaml").write_text(SUB, encoding="utf-8")
    flow = HEADER + """\
steps:
  - call: {flow: common/add_tax.yaml, with: {税率: 8}}
"""
    result, _ = run_flow(tmp_project, flow)

    assert statuses(result) == [Status.FAIL]
    assert result.records[0].error == "サブフロー add-tax の入力がありません: 金額"


def test_the_valid_corpus_runs_without_a_browser(tmp_project: Project) -> None:
    corpus = Path(__file__).resolve().parents[1] / "flows" / "valid"
    runs = {name: LocalExecutor(tmp_project).run(RunRequest(flow=str(corpus / name)))
            for name in ("control_steps.yaml", "nested_loops.yaml")}

    assert [r.status for r in runs.values()] == [RunStatus.COMPLETED, RunStatus.COMPLETED]
    assert runs["control_steps.yaml"].records[0].outputs == {"合計": 750, "区分名": "一般申請", "税込": 825, "件数": 3}
    assert runs["nested_loops.yaml"].records[0].outputs == {"組合せ": ["A1", "A3", "B1", "B3"]}


# --- duplicates, setup, invalid flows ---------------------------------------------------------


def test_a_duplicate_record_key_goes_to_review_and_is_not_keyed_twice(tmp_project: Project) -> None:
    flow = HEADER + RECORDS + """\
outputs: [処理]
steps:
  - set: {処理: 済}
"""
    rows = [ROWS[0], ROWS[1], ("山田 太郎", "1975-04-01", "再提出")]
    result, recorder = run_flow(tmp_project, flow, rows=rows)

    assert statuses(result) == [Status.PASS, Status.PASS, Status.REVIEW]
    duplicate = result.records[2]
    assert duplicate.key == "山田 太郎・1975-04-01"
    assert "申請一覧!2" in (duplicate.error or "")
    assert duplicate.outputs == {}
    assert len(recorder.step("control.set")) == 2
    assert result.status is RunStatus.COMPLETED
    assert result.exit_code == ExitCode.RECORDS_FAILED


def test_a_failing_setup_aborts_and_marks_every_record_not_run(tmp_project: Project) -> None:
    flow = HEADER + RECORDS + """\
setup:
  - fail: ログインできません
steps:
  - log: x
"""
    result, recorder = run_flow(tmp_project, flow, rows=ROWS[:3])

    assert result.status is RunStatus.ABORTED
    assert "ログインできません" in (result.error or "")
    assert statuses(result) == [Status.NOT_RUN] * 3
    assert recorder.step("control.log") == []


def test_an_invalid_flow_raises_flow_error_before_anything_runs(tmp_project: Project) -> None:
    with pytest.raises(FlowError) as caught:
        run_flow(tmp_project, HEADER + "steps:\n  - fial: x\n")

    assert caught.value.exit_code == ExitCode.INVALID
    assert any("もしかして: fail" in d.message for d in caught.value.diagnostics)  # type: ignore[attr-defined]
    assert not (tmp_project.root.parent / "logs").exists()


def test_run_logs_go_to_kz_logs_not_the_project(tmp_project: Project) -> None:
    run_flow(tmp_project, HEADER + "steps:\n  - log: x\n")

    assert tmp_project.logs == tmp_project.root.parent / "logs"
    assert list((tmp_project.logs / "runs").glob("*/*"))
    assert not (tmp_project.root / "logs").exists()


def test_retry_may_name_every_kind_a_step_can_raise_and_nothing_else() -> None:
    from typing import get_args


    assert set(get_args(RetryOn)) == {str(kind) for kind in ErrorKind.retryable()} | {"any"}
    assert RetryPolicy.model_validate({"on": ["focus_lost", "screen_mismatch"]}).matches("focus_lost")
    with pytest.raises(ValueError):
        RetryPolicy.model_validate({"on": ["interrupted"]})  # record-level: a step never raises it

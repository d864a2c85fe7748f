"""Expressions under the engine: bounded by the step's timeout, loops capped, errors at file:line:col.

Real flows run through ``LocalExecutor`` (no browser): the issue's cases that only data makes
expensive (``validate`` cannot see them) fail the record quickly instead of hanging the run, and
the record's error points at the expression in the flow file.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_engine_control import HEADER, run_flow, statuses

from bots.project import Project
from bots.results.model import RunStatus, Status

REPO = Path(__file__).resolve().parents[2]
EXPONENTIAL = "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(vars.n) }}"


@pytest.mark.timeout(120)
def test_a_data_dependent_blow_up_fails_the_record_at_its_file_line_col(tmp_project: Project) -> None:
    flow = HEADER + """\
steps:
  - set: {n: 9}
  - set: {x: "{{ vars.n ** (vars.n ** vars.n) }}"}
"""
    started = time.monotonic()
    result, _ = run_flow(tmp_project, flow)

    assert statuses(result) == [Status.FAIL]
    record = result.records[0]
    assert record.error_kind == "input_record"
    assert (record.error or "").startswith("flows/test.yaml:7:14: 式が上限を超えました: vars.n ** (vars.n ** vars.n)")
    assert time.monotonic() - started < 30


@pytest.mark.timeout(120)
def test_an_expression_stops_at_the_step_timeout(tmp_project: Project) -> None:
    # The issue: such a render ran past 45 s despite ``timeout: 2s``.
    flow = HEADER + f"""\
steps:
  - set: {{n: 40}}
  - name: 重い式
    set: {{x: "{EXPONENTIAL}"}}
    timeout: 1s
"""
    started = time.monotonic()
    result, _ = run_flow(tmp_project, flow)

    elapsed = time.monotonic() - started
    assert statuses(result) == [Status.FAIL]
    assert "flows/test.yaml:8:14:" in (result.records[0].error or "")
    assert "時間切れです（1秒）" in (result.records[0].error or "")
    assert elapsed < 30


@pytest.mark.timeout(120)
def test_a_when_condition_is_bounded_and_located(tmp_project: Project) -> None:
    flow = HEADER + """\
steps:
  - set: {s: abc}
  - {log: x, when: "(vars.s * 10 ** 9) | length > 0"}
"""
    result, _ = run_flow(tmp_project, flow)

    assert (result.records[0].error or "").startswith("flows/test.yaml:7:20: 式が上限を超えました")


@pytest.mark.timeout(120)
def test_nested_for_each_over_huge_ranges_stops_before_its_first_iteration(tmp_project: Project) -> None:
    # The issue: nested for_each over range(100000) hung; validate cannot see a range from data.
    flow = HEADER + """\
outputs: [回数]
steps:
  - set: {n: 100000, 回数: 0}
  - for_each:
      items: range(vars.n)
      steps:
        - for_each:
            items: range(vars.n)
            steps: [{set: {回数: "{{ vars.回数 + 1 }}"}}]
"""
    result, recorder = run_flow(tmp_project, flow)

    record = result.records[0]
    assert statuses(result) == [Status.FAIL]
    assert (record.error or "").startswith("flows/test.yaml:9:14: for_each の繰り返しが上限を超えます")
    assert recorder.step("control.set")[1:] == []  # not one iteration ran


@pytest.mark.timeout(120)
def test_nested_loops_count_together_against_the_per_record_cap(tmp_project: Project) -> None:
    flow = HEADER + """\
settings: {max_loop_iterations: 300}
outputs: [回数]
steps:
  - set: {n: 20, 回数: 0}
  - for_each:
      items: range(vars.n)
      steps:
        - for_each: {items: "range(vars.n)", steps: [{set: {回数: "{{ vars.回数 + 1 }}"}}]}
"""
    result, _ = run_flow(tmp_project, flow)

    assert statuses(result) == [Status.FAIL]
    assert "for_each の繰り返しが上限を超えます" in (result.records[0].error or "")
    # 20 outer + 14 inner loops of 20 fill the 300; the 15th inner loop is refused before it starts.
    assert result.records[0].outputs == {"回数": 14 * 20}


@pytest.mark.timeout(120)
def test_a_for_each_with_a_timeout_stops_when_it_is_used_up(tmp_project: Project) -> None:
    flow = HEADER + """\
steps:
  - for_each:
      items: range(5000)
      steps: [{set: {x: "{% for i in range(20000) %}{% endfor %}"}}]
    timeout: 1s
"""
    started = time.monotonic()
    result, _ = run_flow(tmp_project, flow)

    assert statuses(result) == [Status.FAIL]
    assert result.records[0].error_kind == "timeout"
    assert "for_each が時間切れです（1秒" in (result.records[0].error or "")
    assert time.monotonic() - started < 30


@pytest.mark.timeout(120)
def test_ordinary_loops_and_expressions_still_run(tmp_project: Project) -> None:
    flow = HEADER + """\
outputs: [合計]
steps:
  - set: {合計: 0}
  - for_each:
      items: range(100)
      as: i
      steps: [{set: {合計: "{{ vars.合計 + vars.i }}"}}]
"""
    result, _ = run_flow(tmp_project, flow)

    assert result.status is RunStatus.COMPLETED
    assert result.records[0].outputs == {"合計": 4950}


@pytest.mark.timeout(180)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_console_shows_no_traceback_for_a_failing_expression(tmp_path: Path, lang: str) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (tmp_path / "selectors").mkdir()
    (flows / "bad.yaml").write_text(HEADER + """\
steps:
  - set: {n: 1}
  - set: {x: "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(vars.n) }}"}
""", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "KZ_HOME": str(tmp_path), "KZ_LOGS": str(tmp_path / "logs"), "KZ_LANG": lang}

    done = subprocess.run([sys.executable, str(REPO / "runner.py"), "run", "flows/bad.yaml"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=150)

    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output and "RecursionError" not in output
    log = next((tmp_path / "logs").rglob("run.jsonl")).read_text(encoding="utf-8")
    expected = "式の入れ子・再帰が深すぎます" if lang == "ja" else "expression nested or recursing too deeply"
    assert "flows/bad.yaml:7:14: " + expected in log

"""The abort hotkey, pressed for real (``xdotool key``) while a desktop flow runs: the run stops
after the step in hand, the record is reported 中断 (not failed), the journal stays resumable."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import openpyxl
import pytest
from desktop_harness import HEADER, TkApp, desktop_project, tk_app  # noqa: F401
from flow_harness import run_job

from bots.project import Project
from bots.results.journal import JournalState
from bots.results.model import RunStatus, Status
from bots.store.store import RunStore

pytestmark = pytest.mark.display

RECORDS = """\
inputs: {file: {type: path, required: true}}
records: {from: excel, file: "{{ inputs.file }}", columns: {名前: str}}
steps:
  - desktop.focus: 入力
  - desktop.type: {target: 入力.欄A, value: "{{ record.名前 }}"}
  - desktop.wait_for: 入力.完了図
    timeout: 30s
    when: "{when_before}"
  - desktop.press: {key: tab}
    commit: true
  - desktop.wait_for: 入力.完了図
    timeout: 30s
    when: "{when_after}"
  - desktop.type: {target: 入力.欄B, value: 次の手順}
"""


@pytest.fixture
def project(tmp_project: Project, tk_app: TkApp) -> Project:  # noqa: F811
    tk_app.reset()
    return desktop_project(tmp_project, tk_app)


def _press_when(tk: TkApp, filled: str) -> threading.Thread:
    """Press the hotkey once field A holds ``filled`` (the run is then in its long wait)."""
    def press() -> None:
        tk.wait(lambda s: s["a"] == filled, timeout=30)
        time.sleep(0.3)  # let the run enter the wait step: the hotkey must cut a step short
        subprocess.run(["xdotool", "key", "ctrl+shift+F12"], check=True, timeout=10)

    thread = threading.Thread(target=press)
    thread.start()
    return thread


@pytest.mark.parametrize(("stage", "state"), [("before", JournalState.IN_PROGRESS),
                                              ("after", JournalState.SUBMITTED)])
def test_hotkey_stops_after_the_current_step_with_the_journal_consistent(
        project: Project, tk_app: TkApp, runs_url: str, store: RunStore, tmp_path: Path,  # noqa: F811
        stage: str, state: JournalState) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["名前"])
    sheet.append(["一人目"])
    sheet.append(["二人目"])
    book.save(tmp_path / "list.xlsx")
    flow = project.flows / "abort.yaml"
    flow.write_text(HEADER.format(id="abort") + RECORDS.replace("{when_before}", str(stage == "before").lower())
                    .replace("{when_after}", str(stage == "after").lower()), encoding="utf-8")
    presser = _press_when(tk_app, "一人目")
    started = time.monotonic()
    outcome = run_job(project, flow, store_url=runs_url, input_file=tmp_path / "list.xlsx")
    elapsed = time.monotonic() - started
    presser.join()
    assert elapsed < 20  # the 30 s wait was cut short
    assert outcome.result.status is RunStatus.STOPPED
    first, second = outcome.result.records
    # Stopped before its commit step: not done; after it: it may have been keyed, so 要確認.
    assert first.status is (Status.NOT_RUN if stage == "before" else Status.REVIEW)
    assert first.error_kind == "interrupted" and "中断" in (first.error or "")
    assert second.status is Status.NOT_RUN and second.error_kind is None
    assert tk_app.state()["b"] == ""  # the step after the wait never ran
    journal = store.entries(outcome.result.journal_id)
    assert journal[1].state is state
    assert 2 not in journal or journal[2].state is JournalState.PENDING


def test_mouse_thrown_into_a_corner_stops_the_run_before_anything_is_typed(
        project: Project, tk_app: TkApp) -> None:  # noqa: F811
    from desktop_harness import run_steps

    subprocess.run(["xdotool", "mousemove", "0", "0"], check=True, timeout=10)
    try:
        outcome = run_steps(project, """
            - desktop.focus: 入力
            - desktop.type: {target: 入力.欄A, value: 打たない}
            - desktop.type: {value: 打たない}
        """)
    finally:
        subprocess.run(["xdotool", "mousemove", "640", "400"], check=True, timeout=10)
    assert outcome.result.status is RunStatus.STOPPED and "フェイルセーフ" in (outcome.result.error or "")
    assert outcome.record.status is Status.NOT_RUN and outcome.record.error_kind == "interrupted"
    assert tk_app.state()["a"] == ""

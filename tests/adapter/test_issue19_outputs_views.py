"""Issue 19 (mend): a run's own results (the flow's ``run_outputs``) where staff and reviewers look
besides the console and the audit trail — the tray's 実行結果 window (from a real worker process's
``finished`` event and from the run store, for a run in 最近の実行) and ``runner.py flows diff``
(the 手順書's line is tested with the other 手順書 tests, test_procedure_doc.py). Values are masked
like in every log: a マイナンバー keeps only its last 4 digits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from governance_support import commit_all, governed_project, runner_in
from openpyxl import Workbook
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QWidget

import bots.actions  # noqa: F401  (fills the registry)
from bots import i18n
from bots.api import current_user
from bots.masking import mynumber_check_digit
from bots.project import Project
from bots.store.store import RunStore
from bots.tray.app import TrayApp
from bots.tray.session import RunSession
from bots.tray.summary import RunOutcome, SummaryWindow

REPO = Path(__file__).resolve().parents[2]
#: A valid マイナンバー (check digit computed), set in setup: the tray must show it masked.
MY_NUMBER = "12345678901" + str(mynumber_check_digit("12345678901"))
MASKED = "********" + MY_NUMBER[-4:]

#: Keys nothing (control steps only, no browser); its setup and teardown leave three run outputs.
OUTPUTS_FLOW = f"""\
id: outputs-test
title: 実行結果の検査
version: 1.0.0
owner: 情報政策係
department: 市民課 住民記録係
inputs:
  file: {{type: path, required: true}}
records:
  from: excel
  file: "{{{{ inputs.file }}}}"
  sheet: 申請一覧
  key: [番号]
  columns:
    番号: {{type: int, required: true}}
    氏名: {{type: str, required: true}}
outputs: [処理]
run_outputs: [締め, 控え, 未設定]
setup:
  - set: {{控え: "番号 {MY_NUMBER}"}}
steps:
  - set: {{処理: 済}}
teardown:
  - set: {{締め: 12月分}}
  - set: {{未設定: null}}
"""


@pytest.fixture(scope="module")
def qapp() -> QApplication:
    """One QApplication for the module, on Qt's offscreen platform (no display needed)."""
    app = QApplication.instance() or QApplication(["kazaguruma-test", "-platform", "offscreen"])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    return app


@pytest.fixture(autouse=True)
def _japanese() -> Iterator[None]:
    yield
    i18n.set_language("ja")


@pytest.fixture(autouse=True)
def _close_windows() -> Iterator[None]:
    yield
    app = QApplication.instance()
    if isinstance(app, QApplication):
        for widget in app.topLevelWidgets():
            if widget.isVisible() and widget.objectName() == "kzSummary":
                widget.close()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Run the event loop until ``condition`` holds (checked every 20 ms), failing after ``timeout`` seconds."""
    loop = QEventLoop()
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.start(int(timeout * 1000))
    while not condition():
        if not deadline.isActive():
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        QTimer.singleShot(20, loop.quit)
        loop.exec()


def window(name: str) -> QWidget | None:
    """The visible top-level window with this objectName."""
    return next((w for w in QApplication.topLevelWidgets() if w.objectName() == name and w.isVisible()), None)


def outputs_label(summary: QWidget) -> QLabel:
    found = summary.findChild(QLabel, "kzRunOutputs")
    assert isinstance(found, QLabel)
    return found


def write_list(path: Path, rows: int) -> Path:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("申請一覧")
    ws.append(["番号", "氏名"])
    for i in range(1, rows + 1):
        ws.append([i, f"申請者{i}"])
    wb.save(path)
    return path


# --- the tray's 実行結果 window ------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_summary_shows_the_run_outputs_masked_from_the_worker_and_from_the_store(
        qapp: QApplication, tmp_project: Project, tmp_path: Path, lang: str) -> None:
    i18n.set_language(lang)
    (tmp_project.flows / "outputs.yaml").write_text(OUTPUTS_FLOW, encoding="utf-8")
    source = write_list(tmp_path / "申請一覧.xlsx", 3)
    session = RunSession("実行結果の検査", {"flow": "flows/outputs.yaml", "cwd": str(tmp_project.root),
                                           "primary_input": str(source), "inputs": {}, "dry_run": False}, tmp_project)
    ended: list[bool] = []
    session.ended.connect(lambda: ended.append(True))
    session.start()
    wait_until(lambda: bool(ended), 90, "the worker to finish")

    # The worker's finished event carries the masked values (never the engine's own, unmasked result).
    finished = session.window.state.finished
    assert finished is not None and finished["status"] == "completed", finished
    assert finished["run_outputs"] == [["締め", "12月分"], ["控え", f"番号 {MASKED}"], ["未設定", None]]
    heading = "実行結果" if lang == "ja" else "Run results"
    expected = f"{heading}\n  締め: 12月分\n  控え: 番号 {MASKED}\n  未設定: -"
    summary = window("kzSummary")
    assert summary is not None
    shown = outputs_label(summary)
    assert shown.isVisible() and shown.text() == expected
    assert MY_NUMBER not in shown.text()
    summary.close()

    # The same run from 最近の実行: read back from the run store (masked there too).
    run_id = str(session.window.state.run_id)
    with RunStore.open(None, tmp_project.logs) as store:
        row = store.get_run(run_id)
    assert row is not None
    from_store = SummaryWindow(RunOutcome.from_row("実行結果の検査", row, tmp_project.logs, resumable=False))
    from_store.show()
    assert outputs_label(from_store).text() == expected
    from_store.close()

    tray = TrayApp(tmp_project, current_user(), quit_app=lambda: None)
    tray.fill_recent()
    entries = [a for a in tray.recent_menu.actions() if a.data() == run_id]
    assert len(entries) == 1
    entries[0].trigger()
    again = window("kzSummary")
    assert again is not None and outputs_label(again).text() == expected


def test_a_run_without_run_outputs_shows_no_such_lines(qapp: QApplication) -> None:
    summary = SummaryWindow(RunOutcome.from_event("一覧", {"status": "completed", "run_id": "r", "counts": {"PASS": 2},
                                                         "run_outputs": {}}))
    summary.show()
    assert not outputs_label(summary).isVisible() and outputs_label(summary).text() == ""
    older = RunOutcome.from_event("一覧", {"status": "completed", "run_id": "r", "counts": {}})  # an older worker
    assert older.run_outputs == ()
    # A value is shown as text, never as markup (a value read from a screen can be anything).
    marked = SummaryWindow(RunOutcome.from_event("一覧", {"status": "completed", "counts": {},
                                                        "run_outputs": {"見出し": "<b>太字</b>"}}))
    marked.show()
    assert outputs_label(marked).text().endswith("見出し: <b>太字</b>")
    assert outputs_label(marked).textFormat().name == "PlainText"


# --- runner.py flows diff and the 手順書 ---------------------------------------------------------


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_flows_diff_words_a_change_of_the_run_outputs(tmp_path: Path, lang: str) -> None:
    root = governed_project(tmp_path / "町役場")
    kz = runner_in(root)
    approved = kz("flows", "approve", "flows/spa_chumon.yaml", "--by", "kurumada", "--comment", "確認済み")
    assert approved.returncode == 0, approved.stdout
    flow = root / "flows" / "spa_chumon.yaml"
    flow.write_text(flow.read_text(encoding="utf-8").replace("run_outputs: [合計件数]\n", ""), encoding="utf-8")
    commit_all(root, "合計件数を実行結果に残さない")

    diff = kz("flows", "diff", "flows/spa_chumon.yaml", KZ_LANG=lang)
    assert diff.returncode == 0, diff.stdout
    said = ("実行結果（実行全体で1つの値）を変更: 合計件数 → （なし）" if lang == "ja"
            else "run results (one value per run) changed: 合計件数 → (none)")
    assert f"  - {said}" in diff.stdout.splitlines(), diff.stdout
    # The file that changed, then what changed in it: the teardown that reads the total is unchanged.
    changes = [line for line in diff.stdout.splitlines() if line.startswith("  - ")]
    assert len(changes) == 2 and "flows/spa_chumon.yaml" in changes[0], diff.stdout


def test_the_error_in_the_finished_event_is_masked_too(qapp: QApplication, tmp_project: Project) -> None:
    """A setup that fails quoting a マイナンバー: the tray hears the error as every log has it."""
    (tmp_project.flows / "fails.yaml").write_text(
        f'id: fails\ntitle: 失敗の検査\nversion: 1.0.0\nowner: 情報政策係\nsetup:\n  - fail: "番号 {MY_NUMBER} は使えません"\n'
        "steps:\n  - log: 来ない\n", encoding="utf-8")
    session = RunSession("失敗の検査", {"flow": "flows/fails.yaml", "cwd": str(tmp_project.root), "inputs": {},
                                      "dry_run": False}, tmp_project)
    ended: list[bool] = []
    session.ended.connect(lambda: ended.append(True))
    session.start()
    wait_until(lambda: bool(ended), 90, "the worker to finish")
    finished = session.window.state.finished
    assert finished is not None and finished["status"] == "aborted", finished
    assert finished["error"] == f"準備処理に失敗しました: 番号 {MASKED} は使えません"
    assert finished["run_outputs"] == []
    summary = window("kzSummary")
    assert summary is not None
    details = summary.findChild(QLabel, "kzDetails")
    assert isinstance(details, QLabel) and f"番号 {MASKED}" in details.text() and MY_NUMBER not in details.text()

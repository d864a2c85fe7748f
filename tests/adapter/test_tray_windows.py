"""The tray's windows with real Qt (offscreen platform): the progress and summary windows built from
recorded worker events, the confirmation's masking, English labels, and — with real worker
processes on a real Excel list — a refused run, the quit question (keep running / stop and quit,
never a kill) and resuming a stopped run from the 最近の実行 menu. The whole tray under Xvfb with a
real tray host is the end-to-end test's."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtGui import QAccessible
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QPushButton, QWidget

from bots import i18n
from bots.api import current_user, preview_input
from bots.project import Project
from bots.store.store import RunStore
from bots.tray.app import TrayApp, _lock_file, run_tray
from bots.tray.launch import ConfirmDialog
from bots.tray.progress import ProgressWindow
from bots.tray.session import RunSession
from bots.tray.summary import RunOutcome, SummaryWindow

REPO = Path(__file__).resolve().parents[2]
TITLE = "申請一覧をデモ基幹システムへ入力"

#: What a worker said for the sample flow (recorded from ``python -m bots.tray.worker`` against the demo).
RECORDED: list[dict[str, Any]] = [
    {"event": "started", "run_id": "20261207-145153-9951f6", "flow_id": "shinsei-nyuryoku", "title": TITLE,
     "desktop": False, "hotkey": None, "dry_run": False},
    {"event": "counted", "total": None},
    {"event": "counted", "estimate": 60},
    {"event": "record", "index": 1, "location": "申請一覧!2", "key": "小林 花子・1953-01-08"},
    {"event": "settled", "index": 1, "status": "PASS", "counts": {"PASS": 1, "FAIL": 0, "REVIEW": 0}},
    {"event": "record", "index": 2, "location": "申請一覧!3", "key": "東海林 誠・1981-02-07"},
    {"event": "settled", "index": 2, "status": "FAIL", "counts": {"PASS": 1, "FAIL": 1, "REVIEW": 0}},
    {"event": "record", "index": 3, "location": "申請一覧!4", "key": "林 千鶴・1993-05-30"},
    {"event": "settled", "index": 3, "status": "REVIEW", "counts": {"PASS": 1, "FAIL": 1, "REVIEW": 1}},
]

STREAM_FLOW = """\
id: stream-test
title: ストリーム検査
version: 1.0.0
owner: 情報政策係
department: 市民課 住民記録係
inputs:
  file: {type: path, required: true}
records:
  from: excel
  file: "{{ inputs.file }}"
  sheet: 申請一覧
  key: [番号]
  columns:
    番号: {type: int, required: true}
    氏名: {type: str, required: true}
outputs: [処理]
steps:
  - set: {処理: 済}
"""


@pytest.fixture(scope="module")
def qapp() -> QApplication:
    """One QApplication for the module, on Qt's offscreen platform (no display needed)."""
    app = QApplication.instance() or QApplication(["kazaguruma-test", "-platform", "offscreen"])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    return app


@pytest.fixture(autouse=True)
def _close_windows(qapp: QApplication) -> Iterator[None]:
    yield
    for widget in qapp.topLevelWidgets():
        if widget.isVisible():
            if isinstance(widget, ProgressWindow):
                widget.ended = True
            widget.close()
    wait_until(lambda: True, 0.05)


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Run the event loop until ``condition`` holds (checked every 20 ms), failing after ``timeout`` seconds."""
    loop = QEventLoop()
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.start(int(timeout * 1000))
    while not condition():
        if not deadline.isActive():
            pytest.fail(f"timed out after {timeout}s waiting for {what or condition}")
        QTimer.singleShot(20, loop.quit)
        loop.exec()


def window(name: str) -> QWidget | None:
    """The visible top-level window with this objectName."""
    return next((w for w in QApplication.topLevelWidgets() if w.objectName() == name and w.isVisible()), None)


def when_shown(name: str, act: Callable[[QWidget], None]) -> None:
    """Once a (modal) window named ``name`` is on screen, hand it to ``act``: for dialogs run with exec()."""

    def poll() -> None:
        found = window(name)
        if found is None:
            QTimer.singleShot(20, poll)
        else:
            act(found)

    QTimer.singleShot(0, poll)


def label(parent: QWidget, name: str) -> str:
    found = parent.findChild(QLabel, name)
    assert found is not None, name
    return found.text()


def button(parent: QWidget, name: str) -> QPushButton:
    found = parent.findChild(QPushButton, name)
    assert found is not None, name
    return found


def test_qt_keeps_the_reference_to_none_it_returns(qapp: QApplication) -> None:
    # PySide6 6.12.0 on Python 3.11 drops a reference to None on every call that returns it, and the
    # tray crashes ("deallocating None") within minutes. On 3.12+ None is immortal and this holds anyway.
    probe = QLabel()
    before = sys.getrefcount(None)
    for _ in range(2000):
        probe.setText("x")
    assert sys.getrefcount(None) - before > -100


def test_the_progress_window_follows_the_worker_events(qapp: QApplication) -> None:
    progress = ProgressWindow(TITLE)
    progress.show()
    progress.place()
    stops: list[bool] = []
    progress.stop_requested.connect(lambda: stops.append(True))
    for event in RECORDED[:3]:
        progress.apply(event)
    assert progress.windowTitle() == f"{TITLE} — 実行中 0/?"
    assert label(progress, "kzDone") == "0 / 約 60 件"
    progress.apply(RECORDED[3])
    assert label(progress, "kzCurrent") == "小林 花子・1953-01-08（申請一覧!2）"
    for event in RECORDED[4:]:
        progress.apply(event)
    assert progress.windowTitle() == f"{TITLE} — 実行中 3/?"
    assert (label(progress, "kzPass"), label(progress, "kzFail"), label(progress, "kzReview")) == ("1 件", "1 件", "1 件")
    assert label(progress, "kzDone") == "3 / 約 60 件" and progress.bar.value() == 3 and progress.bar.maximum() == 60
    assert label(progress, "kzElapsed") != "-" and label(progress, "kzRemaining") != "-"
    assert not progress.findChild(QLabel, "kzHotkey").isVisible()  # a browser bot: no hotkey
    progress.apply({"event": "counted", "total": 60})
    assert progress.windowTitle() == f"{TITLE} — 実行中 3/60"

    # Small, on top, in the top-right corner, and never taking the focus from a bot's window.
    screen = qapp.primaryScreen().availableGeometry()
    frame = progress.frameGeometry()
    assert (progress.width(), progress.height()) == (420, 260)
    assert screen.right() - frame.right() < 40 and frame.top() - screen.top() < 40
    assert progress.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert progress.windowFlags() & Qt.WindowType.WindowDoesNotAcceptFocus

    # Closing it does not end the run: 停止 does, after the record in hand.
    progress.close()
    assert progress.isVisible()
    stop = button(progress, "kzStop")
    assert stop.text() == "停止(&T)"
    QTest.mouseClick(stop, Qt.MouseButton.LeftButton)
    assert stops == [True] and stop.text() == "停止中…" and not stop.isEnabled()
    progress.apply({"event": "finished", "status": "stopped", "exit_code": 3, "run_id": RECORDED[0]["run_id"],
                    "counts": {"PASS": 1, "FAIL": 1, "REVIEW": 1}, "resumable": True})
    assert progress.windowTitle() == f"{TITLE} — 停止"
    assert not stop.isVisible()
    progress.close()
    assert not progress.isVisible()


def test_a_desktop_bot_shows_its_abort_hotkey_in_large_type(qapp: QApplication) -> None:
    progress = ProgressWindow("申請一覧を住民記録システム（デスクトップ）へ入力")
    progress.show()
    progress.apply({**RECORDED[0], "desktop": True, "hotkey": "ctrl+shift+f12", "dry_run": True})
    assert label(progress, "kzTitle").endswith("（リハーサル・登録しません）")
    hotkey = progress.findChild(QLabel, "kzHotkey")
    assert hotkey.isVisible() and hotkey.text() == "緊急停止: Ctrl+Shift+F12"
    assert hotkey.font().pointSizeF() > 1.5 * progress.findChild(QLabel, "kzDone").font().pointSizeF()
    progress.apply({"event": "finished", "status": "completed", "counts": {}})
    assert not hotkey.isVisible()


def test_the_summary_window_of_a_stopped_run(qapp: QApplication, tmp_path: Path) -> None:
    folder = tmp_path / "runs" / "2026-12-07" / "20261207-145153-9951f6"
    folder.mkdir(parents=True)
    results = folder / "結果_申請一覧.xlsx"
    Workbook().save(results)
    outcome = RunOutcome.from_event(TITLE, {
        "event": "finished", "status": "stopped", "exit_code": 3, "run_id": "20261207-145153-9951f6",
        "folder": str(folder), "results_workbook": str(results), "review_workbooks": [str(tmp_path / "なし.xlsx")],
        "counts": {"PASS": 22, "FAIL": 2, "REVIEW": 0}, "error": None, "resumable": True},
        notices=("中断された実行 … を再開します",))
    summary = SummaryWindow(outcome)
    summary.show()
    resumed: list[str] = []
    summary.resume_requested.connect(resumed.append)
    assert summary.objectName() == "kzSummary" and summary.windowTitle() == f"実行結果 — {TITLE}"
    assert label(summary, "kzStatus") == "停止"
    assert label(summary, "kzCounts") == "成功 22 件 / 失敗 2 件 / 要確認 0 件"
    assert "「再開」で続きから" in label(summary, "kzDetails") and "20261207-145153-9951f6" in label(summary, "kzDetails")
    assert label(summary, "kzNotices") == "中断された実行 … を再開します"
    states = {name: (button(summary, name).text(), button(summary, name).isEnabled())
              for name in ("kzOpenResults", "kzOpenReview", "kzOpenLog", "kzResume", "kzClose")}
    assert states == {"kzOpenResults": ("結果ファイルを開く(&O)", True), "kzOpenReview": ("要確認を開く(&V)", False),
                      "kzOpenLog": ("実行記録を開く(&L)", True), "kzResume": ("再開(&R)", True),
                      "kzClose": ("閉じる(&C)", True)}
    # The accessibility tree (UIA / AT-SPI) names each button by its text.
    access = QAccessible.queryAccessibleInterface(button(summary, "kzOpenResults"))
    assert access is not None and access.text(QAccessible.Text.Name) == "結果ファイルを開く(O)"
    QTest.mouseClick(button(summary, "kzResume"), Qt.MouseButton.LeftButton)
    assert resumed == ["20261207-145153-9951f6"]
    wait_until(lambda: not summary.isVisible(), 5, "the summary to close after 再開")


def test_a_completed_dry_run_with_a_review_workbook(qapp: QApplication, tmp_path: Path) -> None:
    review = tmp_path / "要確認" / "要確認_shinsei.xlsx"
    review.parent.mkdir()
    Workbook().save(review)
    summary = SummaryWindow(RunOutcome.from_event("スキャンした申請書をデモ基幹システムへ入力", {
        "status": "completed", "run_id": "r1", "review_workbooks": [str(review)], "counts": {"PASS": 3, "REVIEW": 2},
        "resumable": False}, dry_run=True))
    summary.show()
    assert label(summary, "kzStatus") == "完了（リハーサル）"
    assert button(summary, "kzOpenReview").isEnabled() and not button(summary, "kzResume").isEnabled()
    assert not button(summary, "kzOpenResults").isEnabled() and not button(summary, "kzOpenLog").isEnabled()


def test_the_confirmation_shows_the_first_rows_masked(qapp: QApplication, repo_project: Project) -> None:
    source = REPO / "flows" / "data" / "申請一覧.xlsx"
    preview = preview_input(REPO / "flows" / "shinsei_nyuryoku.yaml", repo_project, primary_input=str(source))
    dialog = ConfirmDialog(TITLE, preview, source)
    dialog.show()
    assert dialog.objectName() == "kzConfirm" and dialog.windowTitle() == f"実行の確認 — {TITLE}"
    assert label(dialog, "kzInput") == str(source) and label(dialog, "kzCount") == "件数: 約 60 件"
    table = dialog.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    cells = [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]
    assert table.rowCount() == 5 and headers[:3] == ["氏名", "フリガナ", "生年月日"]
    # Row 1's マイナンバー (545276964891 in the workbook) is masked like in every log; the name is not.
    assert cells[0][headers.index("個人番号")] == "********4891" and cells[0][0] == "小林 花子"
    assert not any("545276964891" in cell for row in cells for cell in row)
    assert dialog.dry_run.text() == "リハーサル（登録しない）(&D)" and not dialog.dry_run.isChecked()
    start = button(dialog, "kzStart")
    assert start.text() == "開始(&S)" and start.isDefault() and button(dialog, "kzCancel").text() == "キャンセル"
    QTest.keyClick(dialog.dry_run, Qt.Key.Key_Space)  # リハーサル ticked from the keyboard …
    QTest.keyClick(dialog, Qt.Key.Key_Return)  # … and Enter starts
    assert dialog.result() == ConfirmDialog.DialogCode.Accepted and dialog.dry_run.isChecked()


def test_every_label_in_english(qapp: QApplication, repo_project: Project) -> None:
    i18n.set_language("en")
    progress = ProgressWindow(TITLE)
    for event in RECORDED:
        progress.apply(event)
    assert progress.windowTitle() == f"{TITLE} — running 3/?"
    assert label(progress, "kzDone") == "3 / about 60" and button(progress, "kzStop").text() == "S&top"
    form_labels = {w.text() for w in progress.findChildren(QLabel)}
    assert {"Done", "Current record", "Succeeded", "Failed", "Needs review", "Elapsed",
            "Remaining (estimate)"} <= form_labels
    progress.apply({**RECORDED[0], "desktop": True, "hotkey": "ctrl+alt+q"})
    assert label(progress, "kzHotkey") == "Emergency stop: Ctrl+Alt+Q"
    summary = SummaryWindow(RunOutcome.from_event(TITLE, {"status": "aborted", "run_id": "r", "counts": {},
                                                          "resumable": True}))
    assert summary.windowTitle() == f"Run result — {TITLE}" and label(summary, "kzStatus") == "aborted"
    assert [button(summary, n).text() for n in ("kzOpenResults", "kzOpenReview", "kzOpenLog", "kzResume", "kzClose")] \
        == ["&Open results", "Open re&view workbook", "Open run &log", "&Resume", "&Close"]
    source = REPO / "flows" / "data" / "申請一覧.xlsx"
    preview = preview_input(REPO / "flows" / "shinsei_nyuryoku.yaml", repo_project, primary_input=str(source))
    dialog = ConfirmDialog(TITLE, preview, source)
    assert dialog.windowTitle() == f"Confirm the run — {TITLE}" and label(dialog, "kzCount") == "Records: about 60"
    assert dialog.dry_run.text() == "&Dry run (register nothing)" and button(dialog, "kzStart").text() == "&Start"


# --- with real worker processes ------------------------------------------------------------------


def write_list(path: Path, rows: int) -> Path:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("申請一覧")
    ws.append(["番号", "氏名"])
    for i in range(1, rows + 1):
        ws.append([i, f"申請者{i}"])
    wb.save(path)
    return path


@pytest.fixture
def stream_project(tmp_project: Project) -> Project:
    """A project with a bot that keys nothing (control steps only), so runs need no browser."""
    (tmp_project.flows / "stream.yaml").write_text(STREAM_FLOW, encoding="utf-8")
    return tmp_project


def request(project: Project, source: Path) -> dict[str, Any]:
    return {"flow": "flows/stream.yaml", "cwd": str(project.root), "primary_input": str(source), "inputs": {},
            "dry_run": False, "if_interrupted": "resume"}


def run_to_its_end(project: Project, request: dict[str, Any]) -> QMessageBox:
    """Start a worker that will not run; the 実行できません box it leads to."""
    session = RunSession("ストリーム検査", request, project)
    ended: list[bool] = []
    session.ended.connect(lambda: ended.append(True))
    session.start()
    wait_until(lambda: bool(ended), 60, "the worker to refuse")
    assert not session.window.isVisible() and window("kzSummary") is None
    box = window("kzRefused")
    assert isinstance(box, QMessageBox) and box.windowTitle() == "実行できません — ストリーム検査"
    box.close()
    return box


def test_a_refused_run_says_why(qapp: QApplication, stream_project: Project, tmp_path: Path) -> None:
    # An input that is not there: refused before anything is keyed (the run store says invalid).
    box = run_to_its_end(stream_project, request(stream_project, tmp_path / "ない.xlsx"))
    assert "入力ファイルが見つかりません" in box.text() and "ない.xlsx" in box.text()
    # A user the roles do not let run the bot: the worker refuses it whatever the menu showed.
    shutil.copytree(REPO / "config", stream_project.root / "config")
    (stream_project.root / "config" / "roles.yaml").write_text("accounts: {}\n", encoding="utf-8")
    box = run_to_its_end(stream_project, request(stream_project, write_list(tmp_path / "一覧.xlsx", 3)))
    assert "職員名簿にいない" in box.text()


def test_quitting_asks_while_a_bot_runs_and_a_stopped_run_resumes_from_the_menu(
        qapp: QApplication, stream_project: Project, tmp_path: Path) -> None:
    source = write_list(tmp_path / "申請一覧.xlsx", 20_000)
    quits: list[bool] = []
    tray = TrayApp(stream_project, current_user(), quit_app=lambda: quits.append(True))
    first = tray.start_run("ストリーム検査", request(stream_project, source))
    wait_until(lambda: first.window.state.done >= 20, 60, "records to settle")

    # 終了 while it runs: the question, 実行を続ける the default and Escape; the run goes on.
    seen: dict[str, Any] = {}

    def keep_running(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        seen.update(title=box.windowTitle(), text=box.text(), buttons=[b.text() for b in box.buttons()],
                    default=box.defaultButton().text())
        QTest.keyClick(box, Qt.Key.Key_Escape)

    when_shown("kzQuit", keep_running)
    tray.request_quit()
    assert seen["title"] == "Kazaguruma — 終了の確認" and "実行中" in seen["text"]
    assert sorted(seen["buttons"]) == sorted(["実行を続ける(&K)", "停止して終了(&E)"])
    assert seen["default"] == "実行を続ける(&K)"
    assert not quits and first.running and not tray.quitting
    done = first.window.state.done
    wait_until(lambda: first.window.state.done > done + 20, 60, "the run to go on")

    # 停止 in the progress window: the record in hand is finished, then the summary offers 再開.
    QTest.mouseClick(button(first.window, "kzStop"), Qt.MouseButton.LeftButton)
    wait_until(lambda: not first.running, 60, "the worker to stop")
    assert first.window.state.finished is not None and first.window.state.finished["status"] == "stopped"
    assert first.process.exit_code == 3  # it stopped by itself (exit 3), nothing killed it
    summary = window("kzSummary")
    assert summary is not None and button(summary, "kzResume").isEnabled()
    first_id = first.window.state.run_id
    summary.close()
    assert not first.window.isVisible()

    # The run is in 最近の実行 with its status; its summary's 再開 continues it.
    tray.fill_recent()
    entries = [a for a in tray.recent_menu.actions() if a.data() == first_id]
    assert len(entries) == 1 and entries[0].text().startswith("停止 ストリーム検査 ")
    entries[0].trigger()
    again = window("kzSummary")
    assert again is not None and label(again, "kzStatus") == "停止"
    QTest.mouseClick(button(again, "kzResume"), Qt.MouseButton.LeftButton)
    wait_until(lambda: len(tray.sessions) == 1 and tray.sessions[0] is not first, 10, "the resumed run")
    second = tray.sessions[0]
    wait_until(lambda: second.window.state.done > 0, 60, "the resumed run to settle records")
    assert any("再開します" in n for n in second.window.state.notices)

    # 停止して終了: a graceful stop, the tray waits for the worker, then quits.
    when_shown("kzQuit", lambda box: QTest.mouseClick(
        next(b for b in box.findChildren(QPushButton) if b.text() == "停止して終了(&E)"), Qt.MouseButton.LeftButton))
    tray.request_quit()
    assert tray.quitting and not quits  # not before the worker has finished
    wait_until(lambda: bool(quits), 60, "the tray to quit")
    assert not second.running and second.process.exit_code == 3
    assert second.window.state.finished is not None and second.window.state.finished["status"] == "stopped"
    assert window("kzSummary") is None  # quitting: the notification only
    with RunStore.open(None, stream_project.logs) as store:
        resumed = store.get_run(str(second.window.state.run_id))
    assert resumed is not None and resumed.resumed_from == first_id and resumed.trigger == "tray"


def test_a_second_tray_of_the_same_user_is_refused(qapp: QApplication, stream_project: Project,
                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    held = _lock_file(current_user())
    assert held.tryLock(100)
    try:
        seen: list[str] = []

        def acknowledge(box: QWidget) -> None:
            assert isinstance(box, QMessageBox)
            seen.append(box.text())
            box.accept()

        when_shown("kzAlreadyRunning", acknowledge)
        assert run_tray(stream_project) == 1
        assert seen == ["Kazaguruma はすでに起動しています"]
    finally:
        held.unlock()

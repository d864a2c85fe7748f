"""The tray launcher itself: the icon, its menu, one tray per user, and quitting without losing a run.

The menu lists the bots this user may run (:func:`bots.tray.menu.menu_model`), one submenu per
所管課, then the user's last runs, 再読み込み and 終了. Left and right click open the same menu.
Quitting while a bot runs asks first; the tray never kills a worker: it either keeps running (and
so does the tray) or is stopped gracefully and waited for.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QEventLoop, QLibraryInfo, QLockFile, QObject, QStandardPaths, QTimer, QTranslator
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QSystemTrayIcon

from bots.api import current_user, resume_request
from bots.catalogue.build import Catalogue, build_catalogue
from bots.errors import KazagurumaError
from bots.governance.roles import load_roles
from bots.i18n import language, tr
from bots.project import Project
from bots.store.rows import RunRow
from bots.store.store import RunStore
from bots.tray.icons import pinwheel_icon
from bots.tray.launch import ask_launch, refusal_box
from bots.tray.menu import FlowItem, Group, menu_model, recent_runs
from bots.tray.session import RunSession
from bots.tray.summary import RunOutcome, SummaryWindow

#: How far back the 最近の実行 menu looks for the user's runs.
RECENT_DAYS = 365
#: How long the tray waits for the desktop's notification area at login (Windows starts it late).
TRAY_WAIT_SECONDS = 60


def app_name() -> str:
    """The header of the menu and the icon's tooltip."""
    return tr("Kazaguruma（風車）", "Kazaguruma (風車)")


def _menu_text(text: str) -> str:
    """A title as a menu entry: ``&`` is Qt's mnemonic marker, so a literal one is doubled."""
    return text.replace("&", "&&")


class TrayApp(QObject):
    """The tray icon and everything started from it."""

    def __init__(self, project: Project, account: str | None = None,
                 quit_app: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.project = project
        self.account = account or current_user()
        self.quit_app = quit_app or QApplication.quit
        self.sessions: list[RunSession] = []
        self.summaries: list[SummaryWindow] = []
        self.quitting = False
        self.quit_box: QMessageBox | None = None
        self.catalogue: Catalogue | None = None
        self.groups: list[Group] = []
        self.recent_rows: dict[str, RunRow] = {}
        self.angle = 0.0
        self.icon = QSystemTrayIcon(pinwheel_icon(), self)
        self.icon.setToolTip(app_name())
        self.menu = QMenu()
        self.menu.setObjectName("kzMenu")
        self.recent_menu = QMenu(tr("最近の実行", "Recent runs"), self.menu)
        self.recent_menu.setObjectName("kzRecent")
        self.recent_menu.aboutToShow.connect(self.fill_recent)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.spinner = QTimer(self)
        self.spinner.setInterval(150)
        self.spinner.timeout.connect(self._turn)
        self.reload()

    # --- the menu --------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the catalogue, the roles and the run store again, and rebuild the menu."""
        roles, _ = load_roles(self.project)
        try:
            with RunStore.open(None, self.project.logs) as store:
                self.catalogue = build_catalogue(self.project, store)
        except KazagurumaError:  # no run store: no approvals known, so production offers nothing
            self.catalogue = build_catalogue(self.project, None)
        production = self.catalogue.settings.mode == "production"
        self.groups = menu_model(self.catalogue, roles, self.catalogue.staff, self.account, production)
        self._build_menu()

    def _build_menu(self) -> None:
        self.menu.clear()
        header = self.menu.addAction(_menu_text(app_name()))
        header.setEnabled(False)
        self.menu.addSeparator()
        for group in self.groups:
            submenu = self.menu.addMenu(_menu_text(group.department))
            submenu.setObjectName("kzDepartment")
            for item in group.items:
                action = submenu.addAction(_menu_text(item.title))
                action.setData(item.flow_id)
                action.triggered.connect(partial(self.start_item, item))
        if not self.groups:
            none = self.menu.addAction(tr("実行できるボットはありません", "No bots you may run"))
            none.setEnabled(False)
        self.menu.addSeparator()
        self.menu.addMenu(self.recent_menu)
        self.fill_recent()
        self.menu.addSeparator()
        reload_action = self.menu.addAction(tr("再読み込み", "Reload"))
        reload_action.triggered.connect(self.reload)
        quit_action = self.menu.addAction(tr("終了(&Q)", "&Quit"))
        quit_action.triggered.connect(self.request_quit)

    def titles(self) -> dict[str, str]:
        """Flow id → title, for the runs listed in the menu."""
        entries = self.catalogue.entries if self.catalogue is not None else ()
        return {e.flow_id: e.title for e in entries if e.title}

    def fill_recent(self) -> None:
        """The user's last runs, read from the run store each time the submenu opens."""
        self.recent_menu.clear()
        since = dt.datetime.now().astimezone() - dt.timedelta(days=RECENT_DAYS)
        try:
            with RunStore.open(None, self.project.logs) as store:
                rows = store.list_runs(since, None, user=self.account)
        except KazagurumaError:
            rows = []
        runs = recent_runs(rows, self.titles())
        self.recent_rows = {r.run_id: r for r in rows if r.run_id in {run.run_id for run in runs}}
        for run in runs:
            action = self.recent_menu.addAction(_menu_text(run.label))
            action.setData(run.run_id)
            action.triggered.connect(partial(self.show_run, run.run_id, run.title))
        if not runs:
            empty = self.recent_menu.addAction(tr("（まだありません）", "(none yet)"))
            empty.setEnabled(False)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # Right click opens the context menu by itself; a left click opens the same menu.
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.menu.popup(QCursor.pos())

    def show(self) -> None:
        """Put the icon in the notification area."""
        self.icon.show()

    # --- runs ------------------------------------------------------------------------------------

    def start_item(self, item: FlowItem, _checked: bool = False) -> RunSession | None:
        """Input dialog, confirmation, then the run in its own worker process."""
        if self.quitting:
            return None
        launch = ask_launch(item, self.project)
        if launch is None:
            return None
        request = {"flow": item.flow, "cwd": str(self.project.root), "inputs": {}, "dry_run": launch.dry_run,
                   "primary_input": str(launch.primary_input) if launch.primary_input is not None else None,
                   # A stopped run on this very input is continued, never keyed again from the top
                   # (the worker says so: a "resumed" notice).
                   "if_interrupted": "resume"}
        return self.start_run(item.title, request)

    def start_run(self, title: str, request: dict[str, Any]) -> RunSession:
        """Start a worker for ``request`` (a :class:`bots.api.RunRequest` as a dict) with its progress window."""
        taken = {s.slot for s in self.sessions}
        slot = next(i for i in range(len(self.sessions) + 1) if i not in taken)
        session = RunSession(title, {**request, "lang": language()}, self.project, slot, self)
        session.notify.connect(self._notify)
        session.resume_requested.connect(partial(self.resume, title))
        session.ended.connect(partial(self._session_ended, session))
        self.sessions.append(session)
        session.start()
        self.spinner.start()
        return session

    def resume(self, title: str, run_id: str) -> RunSession | None:
        """Continue a stopped run (its stored request, set to resume; nothing settled is keyed again)."""
        try:
            stored = resume_request(run_id, self.project)
        except KazagurumaError as exc:
            refusal_box(title, str(exc))
            return None
        request = stored.model_dump(exclude={"trigger", "user", "headless"})
        return self.start_run(title, {**request, "resume": run_id, "if_interrupted": "resume"})

    def show_run(self, run_id: str, title: str, _checked: bool = False) -> SummaryWindow | None:
        """The summary window of one of the user's runs (再開 continues it when it stopped half-way)."""
        row = self.recent_rows.get(run_id)
        if row is None:
            return None
        resumable = False
        try:
            with RunStore.open(None, self.project.logs) as store:
                found = store.interrupted_run(run_id)
            resumable = found is not None and not found.alive
        except KazagurumaError:
            pass
        window = SummaryWindow(RunOutcome.from_row(title, row, self.project.logs, resumable))
        window.resume_requested.connect(partial(self.resume, title))
        window.finished.connect(partial(self._forget_summary, window))
        self.summaries.append(window)
        window.show()
        return window

    def _forget_summary(self, window: SummaryWindow, _result: int = 0) -> None:
        if window in self.summaries:
            self.summaries.remove(window)

    def _notify(self, title: str, text: str, warning: bool) -> None:
        icon = QSystemTrayIcon.MessageIcon.Warning if warning else QSystemTrayIcon.MessageIcon.Information
        self.icon.showMessage(title, text, icon, 10_000)

    def _session_ended(self, session: RunSession) -> None:
        if session in self.sessions:
            self.sessions.remove(session)
        if not self.active():
            self.spinner.stop()
            self.icon.setIcon(pinwheel_icon())
        if self.quitting and not self.active():
            self._quit_now()

    def _turn(self) -> None:
        self.angle = (self.angle + 30) % 360
        self.icon.setIcon(pinwheel_icon(self.angle))

    def active(self) -> list[RunSession]:
        """The sessions whose worker is still running."""
        return [s for s in self.sessions if s.running]

    # --- quitting --------------------------------------------------------------------------------

    def request_quit(self, _checked: bool = False) -> None:
        """終了: at once when nothing runs; else ask, and either keep running or stop gracefully and wait."""
        running = self.active()
        if running and all(session.closing for session in running):  # runs over, workers closing files
            for session in running:
                session.wait_closed()
            running = self.active()
        if not running:
            self._quit_now()
            return
        box = QMessageBox(QMessageBox.Icon.Question, tr("Kazaguruma — 終了の確認", "Kazaguruma — quit?"),
                          tr("ボットが実行中です（{n} 件）。終了するには実行を停止します。\n"
                             "停止すると、処理中の行を終えてから止まります（あとで続きから再開できます）。",
                             "A bot is running ({n}). Quitting stops it: it finishes the record in hand, then stops "
                             "(you can resume it later).", n=len(running)))
        box.setObjectName("kzQuit")
        keep = box.addButton(tr("実行を続ける(&K)", "&Keep running"), QMessageBox.ButtonRole.RejectRole)
        stop = box.addButton(tr("停止して終了(&E)", "Stop and &exit"), QMessageBox.ButtonRole.DestructiveRole)
        keep.setObjectName("kzKeepRunning")
        stop.setObjectName("kzStopAndExit")
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        self.quit_box = box
        try:
            box.exec()
        finally:
            self.quit_box = None
        if box.clickedButton() is not stop:
            return
        self.quitting = True
        for session in self.active():
            session.quiet = True
            session.stop()
        if not self.active():
            self._quit_now()

    def _quit_now(self) -> None:
        self.icon.hide()
        self.quit_app()


def _lock_file(account: str) -> QLockFile:
    """One tray per OS user: a lock in the user's temporary folder."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.TempLocation)
    lock = QLockFile(f"{folder}/kazaguruma-tray-{re.sub(r'[^A-Za-z0-9_.-]', '_', account)}.lock")
    lock.setStaleLockTime(0)  # a live tray's lock never goes stale; a dead one's is taken over
    return lock


def _install_translations(app: QApplication) -> None:
    """Qt's own words (file dialog, OK/Cancel) in Japanese, unless English was asked for."""
    if language() != "ja":
        return
    translator = QTranslator(app)
    if translator.load("qtbase_ja", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(translator)


def _wait_for_tray() -> bool:
    """Whether a notification area appears within :data:`TRAY_WAIT_SECONDS` (at login it may come later)."""
    waited = 0
    while not QSystemTrayIcon.isSystemTrayAvailable() and waited < TRAY_WAIT_SECONDS:
        loop = QEventLoop()
        QTimer.singleShot(1000, loop.quit)
        loop.exec()
        waited += 1
    return QSystemTrayIcon.isSystemTrayAvailable()


def run_tray(project: Project, argv: list[str] | None = None) -> int:
    """Run the tray until 終了; 1 when another tray of this user runs or there is no notification area."""
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Kazaguruma")
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(pinwheel_icon())
    _install_translations(app)
    account = current_user()
    lock = _lock_file(account)
    if not lock.tryLock(100):
        box = QMessageBox(QMessageBox.Icon.Information, app_name(),
                          tr("Kazaguruma はすでに起動しています", "Kazaguruma is already running"))
        box.setObjectName("kzAlreadyRunning")
        box.exec()
        return 1
    try:
        if not _wait_for_tray():
            box = QMessageBox(QMessageBox.Icon.Warning, app_name(),
                              tr("通知領域（システムトレイ）が見つかりません", "No notification area (system tray) found"))
            box.setObjectName("kzNoTray")
            box.exec()
            return 1
        tray = TrayApp(project, account)
        tray.show()
        return int(app.exec())
    finally:
        lock.unlock()

"""The small progress window of a running bot: how far, which record, how it is going, and 停止.

It follows the worker's events (:mod:`bots.tray.protocol`); the state is plain data
(:class:`ProgressState`) so what the window shows is exactly what the events said. The window stays
on top in the top-right corner without taking the focus: a desktop bot keys into another window and
must not find this one in its way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QFont, QGuiApplication
from PySide6.QtWidgets import QFormLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from bots.i18n import tr
from bots.tray.words import duration, hotkey_label, status_word

#: The window's size (it must stay out of the way) and its margin from the screen's corner.
WINDOW_SIZE = (420, 260)
MARGIN = 12


@dataclass
class ProgressState:
    """What the events said so far about one run."""

    title: str
    run_id: str | None = None
    total: int | None = None
    estimate: int | None = None
    done: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {"PASS": 0, "FAIL": 0, "REVIEW": 0})
    current: str = ""
    desktop: bool = False
    hotkey: str | None = None
    dry_run: bool = False
    started_at: float | None = None
    #: The ``finished`` event once it came.
    finished: dict[str, Any] | None = None
    refused: str | None = None
    notices: list[str] = field(default_factory=list)
    clock: Callable[[], float] = time.monotonic

    def apply(self, event: dict[str, Any]) -> None:
        """Take one worker event into account."""
        kind = event.get("event")
        if kind == "started":
            self.run_id = event.get("run_id")
            self.title = str(event.get("title") or self.title)
            self.desktop = bool(event.get("desktop"))
            self.hotkey = event.get("hotkey")
            self.dry_run = bool(event.get("dry_run"))
            self.started_at = self.clock()
        elif kind == "counted":
            if event.get("total") is not None:
                self.total = int(event["total"])
            if event.get("estimate") is not None:
                self.estimate = int(event["estimate"])
        elif kind == "record":
            location = event.get("location")
            key = str(event.get("key") or "")
            self.current = f"{key}（{location}）" if location and key else str(key or location or "")
        elif kind == "settled":
            self.done += 1
            counts = event.get("counts")
            if isinstance(counts, dict):
                self.counts = {name: int(counts.get(name, 0)) for name in ("PASS", "FAIL", "REVIEW")}
        elif kind == "notice":
            self.notices.append(str(event.get("message", "")))
        elif kind == "finished":
            self.finished = event
            self.current = ""
        elif kind == "refused":
            self.refused = str(event.get("message", ""))

    @property
    def target(self) -> int | None:
        """How many records there are: exact when counted, else the estimate."""
        return self.total if self.total is not None else self.estimate

    def elapsed(self) -> float | None:
        """Seconds since the run started."""
        return None if self.started_at is None else self.clock() - self.started_at

    def remaining(self) -> float | None:
        """Seconds still to go at the pace so far (a guess: records are not all alike)."""
        elapsed, target = self.elapsed(), self.target
        if elapsed is None or target is None or self.done == 0 or self.finished is not None:
            return None
        return max(0.0, elapsed / self.done * (target - self.done))

    def window_title(self) -> str:
        """``<title> — 実行中 <done>/<total or ?>`` while it runs, ``<title> — <終了状態>`` at the end."""
        if self.finished is not None:
            return f"{self.title} — {status_word(str(self.finished.get('status')))}"
        total = str(self.total) if self.total is not None else "?"
        return f"{self.title} — {tr('実行中', 'running')} {self.done}/{total}"

    def done_text(self) -> str:
        """``12 / 60 件`` (``約 60`` for an estimate)."""
        if self.total is not None:
            return tr("{d} / {t} 件", "{d} / {t}", d=self.done, t=self.total)
        if self.estimate is not None:
            return tr("{d} / 約 {t} 件", "{d} / about {t}", d=self.done, t=self.estimate)
        return tr("{d} 件", "{d}", d=self.done)


class ProgressWindow(QWidget):
    """``<flow title> — 実行中 n/N``: counts, the record in hand, times, and the 停止 button."""

    #: 停止 was pressed (the owner sends the stop command).
    stop_requested = Signal()

    def __init__(self, title: str, slot: int = 0) -> None:
        super().__init__(None, Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint
                         | Qt.WindowType.WindowDoesNotAcceptFocus)
        self.setObjectName("kzProgress")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.state = ProgressState(title)
        self.slot = slot
        self.stopping = False
        #: The worker has exited (set by the owner): the window may close.
        self.ended = False
        self.done_label, self.current_label = QLabel(), QLabel()
        self.pass_label, self.fail_label, self.review_label = QLabel(), QLabel(), QLabel()
        self.elapsed_label, self.remaining_label = QLabel(), QLabel()
        for name, label in (("kzDone", self.done_label), ("kzCurrent", self.current_label),
                            ("kzPass", self.pass_label), ("kzFail", self.fail_label), ("kzReview", self.review_label),
                            ("kzElapsed", self.elapsed_label), ("kzRemaining", self.remaining_label)):
            label.setObjectName(name)
        self.current_label.setWordWrap(True)
        self.title_label = QLabel(title)
        self.title_label.setObjectName("kzTitle")
        bold = QFont(self.title_label.font())
        bold.setBold(True)
        self.title_label.setFont(bold)
        self.bar = QProgressBar()
        self.bar.setObjectName("kzBar")
        self.hotkey_label = QLabel()
        self.hotkey_label.setObjectName("kzHotkey")
        big = QFont(self.hotkey_label.font())
        big.setPointSizeF(big.pointSizeF() * 1.8)
        big.setBold(True)
        self.hotkey_label.setFont(big)
        self.hotkey_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hotkey_label.hide()
        self.stop_button = QPushButton(tr("停止(&T)", "S&top"))
        self.stop_button.setObjectName("kzStop")
        self.stop_button.clicked.connect(self._stop_clicked)
        form = QFormLayout()
        form.addRow(tr("処理済み", "Done"), self.done_label)
        form.addRow(tr("現在の行", "Current record"), self.current_label)
        form.addRow(tr("成功", "Succeeded"), self.pass_label)
        form.addRow(tr("失敗", "Failed"), self.fail_label)
        form.addRow(tr("要確認", "Needs review"), self.review_label)
        form.addRow(tr("経過", "Elapsed"), self.elapsed_label)
        form.addRow(tr("残り（目安）", "Remaining (estimate)"), self.remaining_label)
        layout = QVBoxLayout(self)
        layout.setSpacing(4)
        form.setVerticalSpacing(2)
        layout.addWidget(self.title_label)
        layout.addWidget(self.hotkey_label)
        layout.addLayout(form)
        layout.addWidget(self.bar)
        layout.addWidget(self.stop_button, alignment=Qt.AlignmentFlag.AlignRight)
        self.clock = QTimer(self)
        self.clock.setInterval(1000)
        self.clock.timeout.connect(self.refresh)
        self.clock.start()
        self.resize(*WINDOW_SIZE)
        self.refresh()

    def place(self) -> None:
        """Top-right of the screen, below the windows of runs started earlier."""
        screen = QGuiApplication.primaryScreen()
        if screen is None:
            return
        area = screen.availableGeometry()
        frame = self.frameGeometry()
        x = area.right() - frame.width() - MARGIN
        y = area.top() + MARGIN + self.slot * (frame.height() + MARGIN)
        self.move(max(area.left(), x), min(y, max(area.top(), area.bottom() - frame.height())))

    def apply(self, event: dict[str, Any]) -> None:
        """Show what one worker event changed."""
        self.state.apply(event)
        if event.get("event") == "finished":
            self.clock.stop()
            self.stop_button.hide()
        self.refresh()

    def refresh(self) -> None:
        """Redraw from the state (also every second, for the times)."""
        state = self.state
        self.setWindowTitle(state.window_title())
        rehearsal = tr("（リハーサル・登録しません）", " (dry run: nothing is registered)") if state.dry_run else ""
        self.title_label.setText(state.window_title() + rehearsal)
        self.done_label.setText(state.done_text())
        self.current_label.setText(state.current or "-")
        self.pass_label.setText(tr("{n} 件", "{n}", n=state.counts["PASS"]))
        self.fail_label.setText(tr("{n} 件", "{n}", n=state.counts["FAIL"]))
        self.review_label.setText(tr("{n} 件", "{n}", n=state.counts["REVIEW"]))
        self.elapsed_label.setText(duration(state.elapsed()))
        self.remaining_label.setText(duration(state.remaining()))
        target = state.target
        if state.finished is not None and state.finished.get("status") == "completed":
            self.bar.setRange(0, 1)
            self.bar.setValue(1)
        elif target:
            self.bar.setRange(0, max(target, state.done))
            self.bar.setValue(state.done)
        else:
            self.bar.setRange(0, 0)  # busy: nothing known yet
        if state.desktop and state.hotkey and state.finished is None:
            self.hotkey_label.setText(tr("緊急停止: {k}", "Emergency stop: {k}", k=hotkey_label(state.hotkey)))
            self.hotkey_label.show()
        else:
            self.hotkey_label.hide()

    def _stop_clicked(self) -> None:
        self.mark_stopping()
        self.stop_requested.emit()

    def mark_stopping(self) -> None:
        """停止中…: the stop was sent; the record in hand is being finished."""
        self.stopping = True
        self.stop_button.setText(tr("停止中…", "Stopping…"))
        self.stop_button.setEnabled(False)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """While the bot runs the window stays: 停止 is the way to end a run, never closing a window."""
        if not self.ended and self.state.finished is None and self.state.refused is None:
            event.ignore()
            return
        self.clock.stop()
        event.accept()

"""One run started from the tray, from its worker's first event to the summary window.

A session ties the worker process (:mod:`bots.tray.process`) to its progress window, turns a
``refused`` event into the 実行できません message and a ``finished`` event into the notification
and the summary window. A worker that exits without saying how the run ended (it crashed) still
gets a summary, with what the run store knows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from bots.errors import KazagurumaError
from bots.i18n import tr
from bots.project import Project
from bots.store.store import RunStore
from bots.tray.launch import refusal_box
from bots.tray.process import RunProcess
from bots.tray.progress import ProgressWindow
from bots.tray.summary import RunOutcome, SummaryWindow
from bots.tray.words import status_word


class RunSession(QObject):
    """A run's worker, its progress window and, at the end, its summary window."""

    #: (title, text, warning): what the tray shows as a notification when the run ends.
    notify = Signal(str, str, bool)
    #: The summary's 再開 was pressed: the run id to resume.
    resume_requested = Signal(str)
    #: The worker exited (the session is over as far as the tray's quitting is concerned).
    ended = Signal()

    def __init__(self, title: str, request: dict[str, Any], project: Project, slot: int = 0,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.request = request
        self.project = project
        self.slot = slot
        #: When the tray is quitting, no summary opens (the notification still tells how it ended).
        self.quiet = False
        self.summary: SummaryWindow | None = None
        self.window = ProgressWindow(title, slot)
        self.window.stop_requested.connect(self.stop)
        self.process = RunProcess(Path(str(request.get("cwd") or project.root)), self)
        self.process.received.connect(self._event)
        self.process.ended.connect(self._ended)

    @property
    def running(self) -> bool:
        """Whether the worker is still there (also while it finishes the record in hand after 停止)."""
        return self.process.running

    @property
    def closing(self) -> bool:
        """The run is over (``finished`` came) and the worker is only closing its files."""
        return self.running and self.window.state.finished is not None

    def wait_closed(self, timeout_ms: int = 10_000) -> None:
        """Let a finished worker close its files before the tray goes (Qt would kill it on exit)."""
        self.process.wait(timeout_ms)

    def start(self) -> None:
        """Start the worker and show the progress window in its corner."""
        self.window.show()
        self.window.place()
        self.process.start(self.request)

    def stop(self) -> None:
        """The graceful stop: the record in hand is finished, then the run stops (resumable)."""
        self.window.mark_stopping()
        self.process.stop()

    def _event(self, event: dict[str, Any]) -> None:
        self.window.apply(event)
        kind = event.get("event")
        if kind == "started":
            self.title = self.window.state.title
        elif kind == "refused":
            refusal_box(self.title, str(event.get("message", "")))
        elif kind == "finished" and event.get("status") == "invalid":
            # The flow or its input was refused before anything was keyed: a reason, not a result.
            self.window.state.refused = str(event.get("error") or "")
            refusal_box(self.title, self.window.state.refused)
        elif kind == "finished":
            self._finished(RunOutcome.from_event(self.title, event, self.window.state.dry_run,
                                                 tuple(self.window.state.notices)))

    def _ended(self, code: int) -> None:
        state = self.window.state
        self.window.ended = True
        if state.refused is not None:
            self.window.close()
        elif state.finished is None:  # the worker died without a word: tell what is known
            tail = "\n".join(self.process.stderr_tail)
            error = tr("実行プロセスが異常終了しました（終了コード {c}）", "the run's process ended abnormally (exit code {c})",
                       c=code) + (f"\n{tail}" if tail else "")
            state.finished = {"status": "failed"}
            self.window.refresh()
            self._finished(RunOutcome(title=self.title, run_id=state.run_id, status="failed",
                                      counts=dict(state.counts), resumable=self._resumable(state.run_id),
                                      error=error, dry_run=state.dry_run, notices=tuple(state.notices)))
        self.ended.emit()

    def _resumable(self, run_id: str | None) -> bool:
        if run_id is None:
            return False
        try:
            with RunStore.open(None, self.project.logs) as store:
                found = store.interrupted_run(run_id)
        except KazagurumaError:
            return False
        return found is not None and not found.alive

    def _finished(self, outcome: RunOutcome) -> None:
        counts = outcome.counts
        text = tr("成功 {p} 件 / 失敗 {f} 件 / 要確認 {r} 件", "succeeded {p} / failed {f} / needs review {r}",
                  p=counts.get("PASS", 0), f=counts.get("FAIL", 0), r=counts.get("REVIEW", 0))
        warning = outcome.status != "completed" or bool(counts.get("FAIL") or counts.get("REVIEW"))
        self.notify.emit(f"{outcome.title} — {status_word(outcome.status)}", text, warning)
        if self.quiet:
            self._done()
            return
        self.summary = SummaryWindow(outcome)
        self.summary.resume_requested.connect(self.resume_requested)
        self.summary.finished.connect(self._summary_closed)
        self.summary.show()

    def _summary_closed(self) -> None:
        self.summary = None
        self._done()

    def _done(self) -> None:
        """The run is over and its summary closed: the progress window goes too."""
        self.window.ended = True
        self.window.close()

"""A run's worker process seen from the tray: ``python -m bots.tray.worker`` under a QProcess.

The request goes in as the first stdin line, ``{"cmd": "stop"}`` lines after it; events come back
one JSON object per stdout line (:mod:`bots.tray.protocol`). The tray never kills a worker: the only
way it ends a run is the graceful stop, and it keeps the QProcess alive (a destroyed QProcess kills
its child) until the worker has exited.
"""

from __future__ import annotations

import json
import os
import sys
from collections import deque
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

from bots.tray.protocol import decode

#: How much of the worker's stderr is kept for the summary when it dies without saying why.
STDERR_LINES = 20


def worker_command() -> tuple[str, list[str]]:
    """The interpreter and arguments that start a worker; on Windows ``pythonw.exe`` when beside
    ``python.exe``, so no console window opens over the staff's work."""
    executable = Path(sys.executable)
    if os.name == "nt" and executable.name.lower() == "python.exe":
        windowless = executable.with_name("pythonw.exe")
        if windowless.is_file():
            executable = windowless
    return str(executable), ["-m", "bots.tray.worker"]


class RunProcess(QObject):
    """One worker: start it with a request, read its events, ask it to stop."""

    #: A decoded protocol event (a dict with ``event``).
    received = Signal(dict)
    #: The worker exited: its exit code (-1 when it crashed).
    ended = Signal(int)

    def __init__(self, cwd: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cwd = cwd
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_LINES)
        self.process = QProcess(self)
        self.process.setWorkingDirectory(str(cwd))
        environment = QProcessEnvironment.systemEnvironment()
        # The protocol is UTF-8 JSON both ways, whatever the Windows code page (cp932) says.
        environment.insert("PYTHONIOENCODING", "utf-8")
        environment.insert("PYTHONUTF8", "1")
        self.process.setProcessEnvironment(environment)
        self.process.readyReadStandardOutput.connect(self._read_events)
        self.process.readyReadStandardError.connect(self._read_errors)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._failed_to_start)
        self._ended = False
        #: The worker's exit code once it has exited (-1: it crashed or never started).
        self.exit_code: int | None = None

    @property
    def running(self) -> bool:
        """Whether the worker has not exited yet (a stopping worker is still running)."""
        return not self._ended and self.process.state() != QProcess.ProcessState.NotRunning

    def start(self, request: dict[str, Any]) -> None:
        """Start the worker and hand it the request (its first stdin line)."""
        program, arguments = worker_command()
        self.process.start(program, arguments)
        self._send(request)

    def wait(self, timeout_ms: int) -> None:
        """Block until the worker has exited (at most ``timeout_ms``): used only when quitting."""
        if self.process.state() != QProcess.ProcessState.NotRunning:
            self.process.waitForFinished(timeout_ms)

    def stop(self) -> None:
        """Ask for the graceful stop: the worker finishes the record in hand, then stops."""
        if self.running:
            self._send({"cmd": "stop"})

    def _send(self, message: dict[str, Any]) -> None:
        self.process.write((json.dumps(message, ensure_ascii=False) + "\n").encode("utf-8"))

    def _read_events(self) -> None:
        while self.process.canReadLine():
            line = bytes(self.process.readLine().data()).decode("utf-8", errors="replace")
            event = decode(line)
            if event is not None and "event" in event:
                self.received.emit(event)

    def _read_errors(self) -> None:
        text = bytes(self.process.readAllStandardError().data()).decode("utf-8", errors="replace")
        self.stderr_tail.extend(line for line in text.splitlines() if line.strip())

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read_events()
        if self.process.bytesAvailable():  # a last event without its newline
            event = decode(bytes(self.process.readAll().data()).decode("utf-8", errors="replace"))
            if event is not None and "event" in event:
                self.received.emit(event)
        self._read_errors()
        self._end(code if status == QProcess.ExitStatus.NormalExit else -1)

    def _failed_to_start(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.stderr_tail.append(self.process.errorString())
            self._end(-1)

    def _end(self, code: int) -> None:
        if not self._ended:
            self._ended = True
            self.exit_code = code
            self.ended.emit(code)

"""Graceful stop on SIGINT/SIGTERM (Ctrl+C, ``systemctl stop``, the task manager).

First signal: finish the current record, then stop (status ``stopped``). Second signal: abort
now — the current record is left in the journal as it stands, and a resume verifies it. Once the
records are over and the run is writing its results (:func:`bots.platform.interrupts.settling`),
a second signal only says so; a third one quits without them.

Ctrl+C reaches the whole foreground process group; the children the runner starts (Playwright's
driver and browser, desktop applications, OCR workers) are shielded from it
(:mod:`bots.platform.process`), so the record in flight can really finish.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from bots.i18n import tr
from bots.platform.interrupts import is_settling

#: SIGBREAK is what Windows sends to a console process on Ctrl+Break / close.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK") if hasattr(signal, name))


@contextmanager
def graceful_stop(stop: threading.Event, say: Callable[[str], None]) -> Iterator[None]:
    """Install the handlers for the duration of a run (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    warned_settling = False

    def handle(signum: int, frame: FrameType | None) -> None:
        nonlocal warned_settling
        if not stop.is_set():
            stop.set()
            say(tr("停止の指示を受けました。処理中の行を終えてから停止します（もう一度で強制停止）",
                   "stop requested: finishing the current record, then stopping (again to abort now)"))
            return
        if is_settling() and not warned_settling:
            warned_settling = True
            say(tr("結果を保存しています。完了までお待ちください（もう一度で保存せずに終了）",
                   "saving the results; please wait (again to quit without them)"))
            return
        if warned_settling:
            say(tr("結果を保存せずに終了します", "quitting without saving the results"))
        else:
            say(tr("強制停止します。処理途中の行は再開時に確認します", "aborting now; the current record is checked on resume"))
        raise KeyboardInterrupt

    previous: dict[int, Any] = {}
    for sig in STOP_SIGNALS:
        previous[sig] = signal.signal(sig, handle)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

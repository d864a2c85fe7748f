"""Graceful stop on SIGINT/SIGTERM (Ctrl+C, ``systemctl stop``, the task manager).

First signal: finish the current record, then stop (status ``stopped``). Second signal: abort
now — the current record is left in the journal as it stands, and a resume verifies it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from bots.i18n import tr

#: SIGBREAK is what Windows sends to a console process on Ctrl+Break / close.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK") if hasattr(signal, name))


@contextmanager
def graceful_stop(stop: threading.Event, say: Callable[[str], None]) -> Iterator[None]:
    """Install the handlers for the duration of a run (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        if not stop.is_set():
            stop.set()
            say(tr("停止の指示を受けました。処理中の行を終えてから停止します（もう一度で強制停止）",
                   "stop requested: finishing the current record, then stopping (again to abort now)"))
            return
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

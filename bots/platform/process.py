"""Child processes: is one still running, and keeping them out of the terminal's Ctrl+C.

Ctrl+C in a terminal signals the whole foreground process group, not just the runner. A child
in that group (a desktop application, an OCR worker, their tesseract calls) would die at the
first Ctrl+C — which must only *ask* the runner to finish the record in flight and stop. So
children are started in a group of their own: a new session on POSIX (``start_new_session``),
``CREATE_NEW_PROCESS_GROUP`` on Windows (which also turns Ctrl+C off inside the child). The
runner still ends them itself when the run ends. (Playwright's driver is shielded by Playwright's
own ``handle_sigint=False``: see :mod:`bots.adapters.browser_pool`.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

import psutil


def pid_alive(pid: int | None) -> bool:
    """True when ``pid`` names a live process other than this one (zombies count as gone)."""
    if pid is None or pid <= 0 or pid == os.getpid():
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def shielded() -> dict[str, Any]:
    """``subprocess.Popen``/``run`` keyword arguments that keep the child out of the terminal's
    Ctrl+C (see the module docstring): ``Popen(args, **shielded())``."""
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined,unused-ignore]
    return {"start_new_session": True}


def leave_terminal_group() -> None:
    """The same from inside a child we did not start ourselves (a process pool's worker, as its
    ``initializer``): its own session on POSIX — so what it starts (tesseract) is shielded too —
    and Ctrl+C ignored everywhere."""
    if sys.platform != "win32":
        try:
            os.setsid()
        except OSError:  # already a group leader: a session of its own is not possible, ignoring is
            pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)

"""Is a process still running? Portable (``os.kill(pid, 0)`` would terminate it on Windows)."""

from __future__ import annotations

import os

import psutil


def pid_alive(pid: int | None) -> bool:
    """True when ``pid`` names a live process other than this one (zombies count as gone)."""
    if pid is None or pid <= 0 or pid == os.getpid():
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False

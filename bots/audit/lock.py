"""An exclusive, non-blocking lock on a file: one ledger writer per folder, across processes.

``flock`` on POSIX (per open file, so a second writer in the same process is refused too) and
``msvcrt.locking`` on Windows. The OS drops the lock when the process dies, so a crash never
leaves a stale lock behind; the pid and host written into the file only explain who holds it.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from bots.errors import LedgerLocked
from bots.i18n import tr

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class FileLock:
    """Held from construction until :meth:`release`; raises :class:`LedgerLocked` if taken."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        try:
            _try_lock(fd)
        except OSError as exc:
            holder = _read_holder(path)
            os.close(fd)
            raise LedgerLocked(tr(
                "台帳フォルダ {folder} は別のプロセス（{holder}）が使用中です。同時に書けるのは 1 つだけです",
                "the ledger folder {folder} is in use by another process ({holder}); only one may write",
                folder=path.parent, holder=holder)) from exc
        self._fd: int | None = fd
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())

    def release(self) -> None:
        """Give the lock up; a no-op once released, so cleanup paths may call it freely."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            _unlock(fd)
        finally:
            os.close(fd)

    @property
    def held(self) -> bool:
        """Whether this object still holds the lock (False once released)."""
        return self._fd is not None


def _read_holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip() or "?"
    except OSError:  # Windows: the holder's locked byte cannot be read
        return "?"

"""The one writer of a ledger folder: appends entries, rotates daily files, recovers after a crash.

Each entry is one ``write()`` of one complete line to a file opened ``O_APPEND``, so a crash can
leave at most one torn line at the end of the newest file. On open such a line is *quarantined*
rather than refused: its bytes move to ``<file>.torn-<offset>`` (kept as evidence), the file is
cut back to its last complete line, and a ``ledger_recovered`` entry records what was moved. An
append that never returned was never part of the chain, and a scheduled night run should not
stop for it. A last *complete* line that does not verify is another matter: the writer refuses
(:class:`LedgerCorrupt`) and ``verify`` tells the operator where the damage is.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from bots.audit import archive as _archive
from bots.audit.entry import GENESIS_HEAD, Entry, EventType, Flaw, Head, Sealer, parse_line
from bots.audit.files import LOCK_NAME, DayFile, day_files, day_path, fsync_dir, gz_path, read_all, split_tail
from bots.audit.lock import FileLock
from bots.errors import LedgerCorrupt, LedgerError
from bots.i18n import tr

_WRITE_FLAGS: Final = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)


def local_now() -> datetime:
    """Now, with the machine's UTC offset (+09:00 in Japan)."""
    return datetime.now().astimezone()


def default_actor() -> str:
    """The OS login name recorded as actor; ``unknown`` where there is none, so writing never fails on it."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (service account without a passwd entry)
        return "unknown"


@dataclass(frozen=True)
class FsyncPolicy:
    """When appended lines are forced to disk. Every line reaches the OS at once, so a crashed
    process loses nothing; ``fsync`` guards against power loss and OS crashes.

    Default: at once for the event types below, and otherwise once ``every`` entries or
    ``interval_s`` seconds have passed since the last sync (checked on append; close syncs too).
    A bot keying one record every few seconds thus syncs each entry, while a burst of thousands
    per second pays about one fsync per second. ``FsyncPolicy(every=1)`` syncs every entry.
    """

    every: int = 1000
    interval_s: float = 1.0
    on_types: frozenset[str] = field(default_factory=lambda: frozenset({
        EventType.RUN_FINISHED, EventType.CONFIG_CHANGED, EventType.LEDGER_ROTATED,
        EventType.LEDGER_RECOVERED, EventType.ARCHIVE_CREATED}))


class LedgerWriter:
    """Appends to the ledger in ``folder``; holds the folder's lock until :meth:`close`.

    ``clock`` returns an aware datetime; its local date picks the daily file. Should it go back
    (a clock correction at midnight), entries stay in the newest file, since file order is chain
    order. ``head`` is the last appended entry; ``synced_head`` the last one known to be on disk,
    which is what the run store should keep for :func:`verify`'s ``expected_head``.
    """

    def __init__(self, folder: Path, *, key: bytes | None = None, clock: Callable[[], datetime] = local_now,
                 fsync: FsyncPolicy | None = None, actor: str | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._policy = fsync or FsyncPolicy()
        self._actor = actor or default_actor()
        self._sealer = Sealer(key)
        self._mutex = threading.Lock()
        self._fd: int | None = None
        self._size = 0
        self._unsynced = 0
        self._synced_at = time.monotonic()
        self._lock = FileLock(self.folder / LOCK_NAME)
        try:
            self._head, self._day, torn = self._recover()
            self._synced_head = self._head
            if torn:
                with self._mutex:
                    self._append_locked(EventType.LEDGER_RECOVERED, self._actor, None, torn)
        except Exception:
            self.close()
            raise

    @property
    def head(self) -> Head:
        """The last appended entry (possibly not yet on disk)."""
        return self._head

    @property
    def synced_head(self) -> Head:
        """The last entry known to be on disk: the head the run store may safely keep."""
        return self._synced_head

    def append(self, type: str, actor: str | None = None, run_id: str | None = None,
               data: Mapping[str, Any] | None = None) -> Entry:
        """Write one entry (``data`` already masked) and return it; ``actor`` defaults to the OS user."""
        with self._mutex:
            return self._append_locked(type, actor or self._actor, run_id, dict(data) if data else {})

    def archive(self, older_than_days: int) -> list[Path]:
        """Archive old daily files (see :func:`bots.audit.archive.archive`), one entry per file."""
        with self._mutex:
            keep = day_path(self.folder, self._day) if self._day else None
            done = _archive.archive_days(self.folder, older_than_days, today=self._clock().date(), keep=keep)
            for item in done:
                self._append_locked(EventType.ARCHIVE_CREATED, self._actor, None, item.as_data())
            return [item.path for item in done]

    def sync(self) -> None:
        """Force every appended entry to disk now, regardless of the fsync policy."""
        with self._mutex:
            self._sync()

    def close(self) -> None:
        """Sync, close the file and release the folder lock; safe to call twice."""
        with self._mutex:
            if self._fd is not None:
                self._sync()
                os.close(self._fd)
                self._fd = None
            self._lock.release()

    def __enter__(self) -> LedgerWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- appending ------------------------------------------------------------------------------

    def _append_locked(self, type: str, actor: str, run_id: str | None, data: dict[str, Any]) -> Entry:
        if not self._lock.held:
            raise LedgerError(tr("台帳は閉じられています", "the ledger is closed"))
        if not isinstance(actor, str) or not isinstance(run_id, str | None):
            raise ValueError(f"actor and run_id must be strings: {actor!r}, {run_id!r}")
        now = self._clock()
        if now.utcoffset() is None:
            raise ValueError("the ledger clock must return an aware datetime")
        day = now.date()
        fd = self._fd if self._fd is not None and day == self._day else self._open_day(day)
        head = self._head
        ts, type = now.isoformat(timespec="milliseconds"), str(type)
        fields = {"seq": head.seq + 1, "ts": ts, "type": type, "actor": actor, "run_id": run_id, "data": data,
                  "prev": head.hash}
        digest, mac, line = self._sealer.seal(fields)
        self._write(fd, line)
        self._head = Head(head.seq + 1, digest)
        self._unsynced += 1
        policy = self._policy
        if (self._unsynced >= policy.every > 0 or type in policy.on_types
                or 0 < policy.interval_s <= time.monotonic() - self._synced_at):
            self._sync()
        return Entry(head.seq + 1, ts, type, actor, run_id, data, head.hash, digest, mac)

    def _write(self, fd: int, line: bytes) -> None:
        try:
            written = os.write(fd, line)
            while written < len(line):
                written += os.write(fd, line[written:])
        except OSError as exc:
            try:  # leave no torn line behind, so the writer stays usable
                os.ftruncate(fd, self._size)
            except OSError:
                self._lock.release()  # refuse further appends; reopening quarantines the tail
            raise LedgerError(tr("台帳に書き込めません: {e}", "cannot write the ledger: {e}", e=exc)) from exc
        self._size += len(line)

    def _open_day(self, day: date) -> int:
        if self._day is not None and day < self._day:
            day = self._day  # the clock went back: stay in the newest file
            if self._fd is not None:
                return self._fd
        path = day_path(self.folder, day)
        if gz_path(path).exists():
            raise LedgerError(tr("{file} は既に圧縮保管されているため追記できません",
                                 "{file} is already archived; cannot append to it", file=gz_path(path)))
        if self._fd is not None:
            self._sync()
            os.close(self._fd)
            self._fd = None
        created = not path.exists()
        fd = self._fd = os.open(path, _WRITE_FLAGS, 0o644)
        self._size = os.fstat(fd).st_size
        self._day = day
        if created:
            fsync_dir(self.folder)
        return fd

    def _sync(self) -> None:
        if self._fd is not None and self._unsynced:
            try:
                os.fsync(self._fd)
            except OSError as exc:
                raise LedgerError(tr("台帳をディスクに書き出せません: {e}", "cannot sync the ledger: {e}", e=exc)) from exc
        self._unsynced = 0
        self._synced_head = self._head
        self._synced_at = time.monotonic()

    # -- recovery -------------------------------------------------------------------------------

    def _recover(self) -> tuple[Head, date | None, dict[str, Any] | None]:
        """The chain head, the newest day, and what was quarantined (if a torn line was found)."""
        newest: dict[date, DayFile] = {}
        for day_file in day_files(self.folder):
            newest.setdefault(day_file.day, day_file)  # the plain file wins over a half-done archive
        torn_at: tuple[Path, int] | None = None
        head = GENESIS_HEAD
        for day_file in sorted(newest.values(), key=lambda f: f.day, reverse=True):
            if day_file.archived:
                raw = read_all(day_file.path)
                if raw and not raw.endswith(b"\n"):
                    raise LedgerCorrupt(f"{day_file.path}: {Flaw.TORN.message()}")
                line: bytes | None = raw[raw.rfind(b"\n", 0, max(0, len(raw) - 1)) + 1:] or None
            else:
                line, end, size = split_tail(day_file.path)
                if end < size and torn_at is None:
                    torn_at = day_file.path, end
            if line:
                head = self._check_tail(day_file.path, line)
                break
        # Only once the last complete entry verified: a corrupt ledger is left exactly as found.
        torn = self._quarantine(*torn_at) if torn_at else None
        return head, max(newest) if newest else None, torn

    def _quarantine(self, path: Path, end: int) -> dict[str, Any]:
        with path.open("r+b") as stream:
            stream.seek(end)
            fragment = stream.read()
            side = path.with_name(f"{path.name}.torn-{end}")
            n = 1
            while side.exists():
                side, n = path.with_name(f"{path.name}.torn-{end}-{n}"), n + 1
            with side.open("xb") as out:
                out.write(fragment)
                out.flush()
                os.fsync(out.fileno())
            fsync_dir(self.folder)
            stream.truncate(end)
            stream.flush()
            os.fsync(stream.fileno())
        return {"file": path.name, "offset": end, "bytes": len(fragment),
                "sha256": hashlib.sha256(fragment).hexdigest(), "quarantine": side.name}

    def _check_tail(self, path: Path, line: bytes) -> Head:
        obj = parse_line(line)
        if obj is None:
            problem: tuple[Flaw, str] | None = (Flaw.INVALID_JSON, "")
        else:
            problem = self._sealer.check(obj)
        if problem is not None and problem[0] is Flaw.UNSIGNED:
            raise LedgerError(tr(
                "{file}: 署名のない台帳に鍵を設定して追記することはできません。新しい台帳フォルダを使ってください",
                "{file}: cannot append with a key to an unsigned ledger; start a new ledger folder", file=path))
        if obj is None or problem is not None:
            flaw, detail = problem or (Flaw.INVALID_JSON, "")
            raise LedgerCorrupt(tr(
                "{file}: 最後のエントリを検証できません: {why}。追記を止めました。verify で確認してください",
                "{file}: the last entry does not verify: {why}. Appending refused; run verify",
                file=path, why=flaw.message(detail=detail)))
        if "mac" in obj and not self._sealer.signed:
            raise LedgerError(tr("{file}: 署名付きの台帳ですが、鍵が設定されていません",
                                 "{file}: the ledger is signed but no key is configured", file=path))
        return Head(obj["seq"], obj["hash"])

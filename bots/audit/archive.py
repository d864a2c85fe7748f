"""Compressing old daily files: ``ledger-D.jsonl`` → ``ledger-D.jsonl.gz``, never losing a byte.

The ``.gz`` is written under a temporary name, synced, read back and compared byte for byte
with the original (SHA-256 and length), renamed into place, and only then is the original
removed. A crash at any point leaves either the original alone or both files with the same
content; the next archive run (and :func:`~bots.audit.verify.verify`) accepts the latter.
Verification reads ``.gz`` files transparently, so the chain runs on across archived days.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bots.audit.files import LOCK_NAME, day_files, digest, fsync_dir, gz_path, safe_digest
from bots.audit.lock import FileLock
from bots.errors import LedgerError
from bots.i18n import tr


@dataclass(frozen=True, slots=True)
class Archived:
    """One daily file archived: the ``.gz`` and what was verified of it before the original went."""

    path: Path
    source_bytes: int
    sha256: str

    def as_data(self) -> dict[str, Any]:
        """The ``archive_created`` entry's data."""
        return {"file": self.path.name, "source_bytes": self.source_bytes, "sha256": self.sha256}


def archive(folder: Path, older_than_days: int, *, today: date) -> list[Path]:
    """Gzip the daily files more than ``older_than_days`` days before ``today``; return the ``.gz`` paths.

    Takes the folder's lock, so it refuses while a writer is open: a running writer archives
    through :meth:`LedgerWriter.archive <bots.audit.writer.LedgerWriter.archive>`, which also
    records an ``archive_created`` entry per file. Today's file is never archived.
    """
    lock = FileLock(Path(folder) / LOCK_NAME)
    try:
        return [item.path for item in archive_days(Path(folder), older_than_days, today=today)]
    finally:
        lock.release()


def archive_days(folder: Path, older_than_days: int, *, today: date, keep: Path | None = None) -> list[Archived]:
    """Archive without taking the lock (the caller holds it); ``keep`` is the writer's open file."""
    if older_than_days < 0:
        raise ValueError("older_than_days must be >= 0")
    done = []
    for day_file in day_files(folder):
        if day_file.archived or (today - day_file.day).days <= older_than_days or day_file.path == keep:
            continue
        done.append(_archive_one(day_file.path))
    return done


def _archive_one(source: Path) -> Archived:
    target = gz_path(source)
    original = digest(source)
    if target.exists():  # a previous run stopped before removing the original
        if safe_digest(target) != original:
            raise LedgerError(tr("{gz} は既にあり、{src} と内容が違います。手で確認してください",
                                 "{gz} already exists and differs from {src}; resolve by hand",
                                 gz=target, src=source))
    else:
        tmp = target.with_name(target.name + ".tmp")
        with source.open("rb") as src, tmp.open("wb") as raw:
            # mtime=0 and no file name inside: the same day always compresses to the same bytes.
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as out:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
            raw.flush()
            os.fsync(raw.fileno())
        if safe_digest(tmp, gz=True) != original:
            tmp.unlink()
            raise LedgerError(tr("{src} の圧縮結果を読み戻すと内容が一致しません。圧縮を中止しました",
                                 "{src}: the compressed copy does not read back identically; archive aborted",
                                 src=source))
        os.replace(tmp, target)
        fsync_dir(source.parent)
    source.unlink()
    fsync_dir(source.parent)
    return Archived(target, original[0], original[1])

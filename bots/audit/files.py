"""Where a ledger lives on disk: one file per day, ``ledger-YYYY-MM-DD.jsonl`` (``.jsonl.gz``
once archived), in one folder with a lock file. File names sort in chain order."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

LOCK_NAME: Final = ".ledger.lock"
_NAME_RE: Final = re.compile(r"ledger-(\d{4}-\d{2}-\d{2})\.jsonl(\.gz)?")
#: Errors that mean a stored file cannot be read back (as opposed to a bad entry in it).
READ_ERRORS: Final = (OSError, EOFError, zlib.error)


@dataclass(frozen=True, slots=True)
class DayFile:
    """One day's ledger file; the day comes from the name, since that is what orders the chain."""

    day: date
    path: Path

    @property
    def archived(self) -> bool:
        """Whether this is the gzipped copy (read transparently by :func:`open_lines`)."""
        return self.path.suffix == ".gz"


def day_path(folder: Path, day: date) -> Path:
    """The plain file a writer appends to for ``day`` (the writer's local date)."""
    return folder / f"ledger-{day.isoformat()}.jsonl"


def gz_path(path: Path) -> Path:
    """Where the archived copy of ``path`` goes: the same name plus ``.gz``, so it still sorts by day."""
    return path.with_name(path.name + ".gz")


def day_files(folder: Path) -> list[DayFile]:
    """Every daily file in chain order; a day archived and not yet removed appears twice."""
    found = []
    for path in folder.iterdir():
        match = _NAME_RE.fullmatch(path.name)
        if match:
            try:
                found.append(DayFile(date.fromisoformat(match[1]), path))
            except ValueError:  # ledger-2026-13-45.jsonl is not ours
                continue
    return sorted(found, key=lambda f: (f.day, f.archived))


@contextmanager
def open_lines(path: Path, *, gz: bool | None = None) -> Iterator[io.BufferedIOBase]:
    """A binary stream of the file's lines, gunzipped for archived files (or when ``gz``)."""
    if gz or (gz is None and path.suffix == ".gz"):
        with gzip.open(path, "rb") as stream:
            yield stream
    else:
        with path.open("rb") as stream:
            yield stream


def read_all(path: Path) -> bytes:
    """A whole file's content (uncompressed for ``.gz``): for archived files, which have no tail to seek."""
    with open_lines(path) as stream:
        return stream.read()


def digest(path: Path, *, gz: bool | None = None) -> tuple[int, str]:
    """Length and SHA-256 of a file's content (uncompressed for ``.gz``)."""
    h, size = hashlib.sha256(), 0
    with open_lines(path, gz=gz) as stream:
        while chunk := stream.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def safe_digest(path: Path, *, gz: bool | None = None) -> tuple[int, str] | None:
    """:func:`digest`, or None when the file cannot be read back (a damaged ``.gz``)."""
    try:
        return digest(path, gz=gz)
    except READ_ERRORS:
        return None


def split_tail(path: Path, *, window: int = 1 << 16) -> tuple[bytes | None, int, int]:
    """``(last complete line, its end offset, file size)`` of a plain file, reading only its end.

    Bytes after the returned end offset are a torn line; the line is None when there is none.
    """
    size = path.stat().st_size
    with path.open("rb") as stream:
        while True:
            start = max(0, size - window)
            stream.seek(start)
            chunk = stream.read(size - start)
            end = chunk.rfind(b"\n")
            if end < 0 and start > 0:
                window *= 4
                continue
            if end < 0:
                return None, 0, size
            begin = chunk.rfind(b"\n", 0, end) + 1
            if begin == 0 and start > 0:
                window *= 4
                continue
            return chunk[begin:end + 1], start + end + 1, size


def fsync_dir(folder: Path) -> None:
    """Make a created, renamed or removed file's directory entry durable (POSIX only)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

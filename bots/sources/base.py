"""What opening a record source gives the engine (see :class:`bots.ports.RecordSource`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bots.records.model import SourceRecord

#: A notice for the listeners: (kind, message, data).
Notice = tuple[str, str, dict[str, Any]]


@dataclass
class OpenedSource:
    """A flow's records, opened and checked: a refusal happened before anything was keyed.

    ``records`` streams: nothing beyond what the checks need is read before the first record is
    handed out, so the first record of a long list is keyed within seconds. ``total`` is the exact
    count when known up front without reading the records (else None: the engine learns it at the
    end); ``estimate`` is only for progress displays, never for deciding anything."""

    file: Path | None
    headers: list[str]
    total: int | None
    records: Iterator[SourceRecord]
    #: Every input file when there are several (a folder of scans): what identifies the input.
    files: tuple[Path, ...] = ()
    #: Called once the records are exhausted: notices for the listeners (e.g. the review workbook).
    on_finished: Callable[[], list[Notice]] | None = None
    #: About how many records there are (a sheet's stored dimension, the number of scan files).
    estimate: int | None = None
    #: Releases what the source holds open (the workbook, a process pool), read to the end or not.
    on_close: Callable[[], None] | None = None

    def finished(self) -> list[Notice]:
        """Notices once the records are exhausted; none for most sources."""
        return self.on_finished() if self.on_finished is not None else []

    def close(self) -> None:
        """Stop the stream (a generator left half-read is closed now, not at garbage collection)
        and release the source; calling it again does nothing."""
        close = getattr(self.records, "close", None)
        if callable(close):
            close()
        if self.on_close is not None:
            on_close, self.on_close = self.on_close, None
            on_close()

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
    """A flow's records, opened and checked: a refusal happened before anything was keyed."""

    file: Path | None
    headers: list[str]
    total: int | None
    records: Iterator[SourceRecord]
    #: Every input file when there are several (a folder of scans): what identifies the input.
    files: tuple[Path, ...] = ()
    #: Called once the records are exhausted: notices for the listeners (e.g. the review workbook).
    on_finished: Callable[[], list[Notice]] | None = None

    def finished(self) -> list[Notice]:
        """Notices once the records are exhausted; none for most sources."""
        return self.on_finished() if self.on_finished is not None else []

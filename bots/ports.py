"""Every interface between the layers, in one place (APScheduler keeps its ``abc.py`` the same way).

The engine is written against these protocols, not against drivers: a browser session, a desktop
session, a record source, the per-record journal, an executor. Real implementations live in
``bots/adapters``, ``bots/sources``, ``bots/store`` and ``bots/engine``; tests use the real ones.
Protocols are structural: an implementation does not import this module to satisfy it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bots.records.model import SourceRecord
    from bots.results.journal import InterruptedRun, JournalEntry, JournalState, ResumeChoice
    from bots.results.listener import RunInfo, RunListener
    from bots.results.model import RunResult


class Clock(Protocol):
    """Where "now" comes from (the scheduler and the journal stamp times with it)."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware."""


class SystemClock:
    """The real clock, timezone-aware in the host's zone."""

    def now(self) -> dt.datetime:
        """Now, with the local UTC offset (stored times must say their zone)."""
        return dt.datetime.now().astimezone()


class BrowserPort(Protocol):
    """One target web system's browser session (``bots.adapters.browser.BrowserSession``)."""

    def goto(self, url: str, timeout_ms: float) -> None:
        """Open ``url``, waiting at most ``timeout_ms``."""

    def screenshot(self, path: Path) -> Path:
        """Save the page, personal data masked, to ``path``; return the path."""

    def close(self) -> None:
        """End the session and its browser context."""


class DesktopPort(Protocol):
    """One target desktop system's session (``bots.adapters.desktop.DesktopSession``)."""

    def close(self) -> None:
        """End the session: close the applications it started, give the clipboard back."""


class WorkbookReader(Protocol):
    """Typed rows of one sheet (``bots.adapters.excel_reader.RecordReader``)."""

    headers: list[str]
    total: int | None

    def __iter__(self) -> Iterator[SourceRecord]:
        """The sheet's rows as typed records, in sheet order."""


class FormReader(Protocol):
    """Reads scanned forms against a template (``bots.ocr.pipeline.read_forms``)."""

    def __call__(self, files: list[Path], template: Any) -> Iterator[Any]:
        """Read ``files`` against ``template``: one result per form, in file order."""


class RecordSource(Protocol):
    """A flow's records, opened and checked before anything is keyed (``bots/sources``)."""

    #: The input as a whole (a workbook, a folder of scans): what the results and journal refer to.
    file: Path | None
    headers: list[str]
    #: Exact count when known without reading the records; else None (learnt at the end).
    total: int | None
    #: About how many records there are, for progress displays only.
    estimate: int | None
    #: Every input file when there are several (a folder of scans).
    files: tuple[Path, ...]

    @property
    def records(self) -> Iterator[SourceRecord]:
        """The records in input order; a record that cannot be used carries the reason."""

    def finished(self) -> list[tuple[str, str, dict[str, Any]]]:
        """Notices once the records are exhausted (e.g. where the review workbook went)."""
        ...

    def close(self) -> None:
        """Stop reading and release the input (a stop leaves a long list half-read)."""


class JournalStore(Protocol):
    """Durable journal storage. Every method writes or reads at once; failures raise."""

    def mark(self, journal_id: str, run_id: str, index: int, state: JournalState, *, key: str,
             outputs: dict[str, Any] | None = None, error: str | None = None, error_kind: str | None = None,
             retryable: bool = False) -> None:
        """Move one record of a job to ``state``, durably, before the engine goes on."""

    def entries(self, journal_id: str) -> dict[int, JournalEntry]:
        """Where each record of a job stands, by record index."""

    def find_interrupted(self, flow_id: str, input_sha256: str | None) -> InterruptedRun | None:
        """The latest run of this flow on this input that left records unsettled."""

    def interrupted_run(self, run_id: str) -> InterruptedRun | None:
        """``run_id`` if it can be resumed: it stopped early and no later run took over."""

    def mark_interrupted(self, run_id: str) -> None:
        """Record a run that died while running as ``interrupted`` once a resume takes over."""


#: Makes a run's listeners once its identity is known (the run folder, the flow, the user).
ListenerFactory = Callable[["RunInfo"], "list[RunListener]"]
#: Asked what to do about an interrupted earlier run of the same input.
Decide = Callable[["InterruptedRun"], "ResumeChoice"]


class Executor(Protocol):
    """Runs a :class:`bots.engine.executor.RunRequest`: in this process today, on a worker later."""

    def run(self, request: Any, *, listeners: ListenerFactory | None = None,
            stop: threading.Event | None = None, ask: Decide | None = None) -> RunResult:
        """Run one request to its end and return the result; an invalid flow or input raises first."""

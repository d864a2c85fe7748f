"""One run's handle on the per-record journal (see :mod:`bots.results.journal` for the states).

The engine sees only the :class:`bots.ports.JournalStore` protocol; the run store implements it.

Only one write has to hold the engine up: ``submitting``, written durably before the commit step
sends anything. It is what tells a resume that the record may have been keyed (it is then looked
up with ``verify``, never keyed blindly). Every other state is handed to a writer thread and
written while the browser already works on: a process killed before such a write lands leaves the
record in the state before it, which a resume treats the same way or more cautiously — no row or
``in_progress`` is keyed again (nothing was sent), ``submitting`` in place of ``submitted`` or
``confirmed`` is looked up, a lost ``failed`` or ``review`` is tried again. Writes are queued in
the engine's order and ``submitting`` waits for the queue first, so the journal never goes back.
The run waits for the queue before it reports its end (:meth:`RunJournal.flush`). A write that
failed in the writer thread fails the record's next write or the flush (:class:`JournalError`:
the run stops, as for any journal failure).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar

from bots.errors import JournalError
from bots.i18n import tr
from bots.masking import Masker
from bots.ports import JournalStore
from bots.results.journal import JournalState


def _journal_error(exc: BaseException) -> JournalError:
    return JournalError(tr("処理状況（ジャーナル）を記録できません: {e}", "cannot write the journal: {e}", e=exc))


class BackgroundWrites:
    """Writes handed over in order, one after the other, in a thread of their own.

    The thread ends as soon as nothing is queued and is started again by the next write; it is
    not a daemon, so a process that ends normally still finishes what was queued."""

    def __init__(self) -> None:
        self._queue: deque[Callable[[], None]] = deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._busy = False
        self._error: BaseException | None = None

    def put(self, write: Callable[[], None]) -> None:
        """Queue ``write``; raises the error of an earlier write that failed (nothing is queued then)."""
        with self._cond:
            self._raise_failed()
            self._queue.append(write)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="journal writer", daemon=False)
                self._thread.start()

    def drain(self) -> None:
        """Wait until every queued write is done; raises the error of one that failed."""
        with self._cond:
            while self._queue or self._busy:
                self._cond.wait()
            self._raise_failed()

    def _raise_failed(self) -> None:
        if self._error is not None:
            raise _journal_error(self._error) from self._error

    def _work(self) -> None:
        while True:
            with self._cond:
                if not self._queue:
                    self._thread = None
                    self._cond.notify_all()
                    return
                write = self._queue.popleft()
                self._busy = True
            try:
                write()
            except Exception as exc:  # noqa: BLE001 - kept and raised in the engine's thread
                with self._cond:
                    self._error = self._error or exc
                    self._queue.clear()
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


class RunJournal:
    """One run's handle on the journal: masks what it writes (keys and outputs may hold
    personal data) and turns any storage failure into :class:`JournalError`."""

    #: States written in the background (see the module docstring); every other state is written
    #: before :meth:`mark` returns, after whatever was queued before it.
    BACKGROUND: ClassVar[frozenset[JournalState]] = frozenset(set(JournalState) - {JournalState.SUBMITTING})

    def __init__(self, store: JournalStore, journal_id: str, run_id: str, masker: Masker) -> None:
        self.store = store
        self.journal_id = journal_id
        self.run_id = run_id
        self.masker = masker
        self._writes = BackgroundWrites()

    def mark(self, index: int, state: JournalState, key: str, *, outputs: dict[str, Any] | None = None,
             error: str | None = None, error_kind: str | None = None, retryable: bool = False) -> None:
        """Write one record's state, masked: durably before returning, except for the
        :attr:`BACKGROUND` states. A storage failure raises :class:`JournalError` (the run stops:
        nothing is keyed without a journal)."""
        mask = self.masker
        masked_key = mask.text(key)
        masked_outputs = mask.mapping(outputs) if outputs is not None else None
        masked_error = mask.text(error) if error else error

        def write() -> None:
            self.store.mark(self.journal_id, self.run_id, index, state, key=masked_key, outputs=masked_outputs,
                            error=masked_error, error_kind=error_kind, retryable=retryable)

        if state in self.BACKGROUND:
            self._writes.put(write)
            return
        self.flush()
        try:
            write()
        except Exception as exc:
            raise _journal_error(exc) from exc

    def flush(self) -> None:
        """Wait for the background writes; raises :class:`JournalError` if one failed."""
        self._writes.drain()

    def record(self, index: int, key: str) -> RecordMarker:
        """The commit watcher of one record (its scope's ``RecordProgress`` reports to it)."""
        return RecordMarker(self, index, key)


class RecordMarker:
    """Moves one record through the states as its commit step runs (a ``CommitWatcher``)."""

    def __init__(self, journal: RunJournal, index: int, key: str) -> None:
        self.journal, self.index, self.key = journal, index, key

    def mark(self, state: JournalState, **details: Any) -> None:
        """Move this record to ``state`` (``details`` as for :meth:`RunJournal.mark`)."""
        self.journal.mark(self.index, state, self.key, **details)

    def submitting(self) -> None:
        """Journalled before the commit step sends anything: a resume then verifies, never re-keys."""
        self.mark(JournalState.SUBMITTING)

    def submitted(self) -> None:
        """The commit step returned: the submit went out, confirmation pending."""
        self.mark(JournalState.SUBMITTED)

    def not_submitted(self) -> None:
        """Back to in progress: the submit never went out, so keying it again is safe."""
        self.mark(JournalState.IN_PROGRESS)

"""One run's handle on the per-record journal (see :mod:`bots.results.journal` for the states).

The engine sees only the :class:`bots.ports.JournalStore` protocol; the run store implements it.
"""

from __future__ import annotations

from typing import Any

from bots.errors import JournalError
from bots.i18n import tr
from bots.masking import Masker
from bots.ports import JournalStore
from bots.results.journal import JournalState


class RunJournal:
    """One run's handle on the journal: masks what it writes (keys and outputs may hold
    personal data) and turns any storage failure into :class:`JournalError`."""

    def __init__(self, store: JournalStore, journal_id: str, run_id: str, masker: Masker) -> None:
        self.store = store
        self.journal_id = journal_id
        self.run_id = run_id
        self.masker = masker

    def mark(self, index: int, state: JournalState, key: str, *, outputs: dict[str, Any] | None = None,
             error: str | None = None, error_kind: str | None = None, retryable: bool = False) -> None:
        """Write one record's state durably, masked; a storage failure raises :class:`JournalError`
        (the run stops: nothing is keyed without a journal)."""
        mask = self.masker
        try:
            self.store.mark(self.journal_id, self.run_id, index, state, key=mask.text(key),
                            outputs=mask.mapping(outputs) if outputs is not None else None,
                            error=mask.text(error) if error else error, error_kind=error_kind, retryable=retryable)
        except Exception as exc:
            raise JournalError(tr("処理状況（ジャーナル）を記録できません: {e}", "cannot write the journal: {e}",
                                  e=exc)) from exc

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

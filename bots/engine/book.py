"""The record book of a run: writes each record's journal state and makes its scopes.

Shared by the keying of a record and by its recovery (verify, session recovery), which are
composed parts of a run rather than halves of one class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bots.engine.context import RecordProgress, RunContext, Scope
from bots.engine.journal import RunJournal
from bots.records.model import SourceRecord
from bots.results.journal import JournalState
from bots.results.model import RecordResult


@dataclass(frozen=True)
class RecordBook:
    """The journal (None for dry runs and runs without a run store) and the record key columns."""

    run: RunContext
    journal: RunJournal | None
    key_columns: tuple[str, ...]

    def key_of(self, record: SourceRecord) -> str:
        """The record's key as people read it (its location when the flow declares no key)."""
        return record.key_text(self.key_columns)

    def mark(self, result: RecordResult, state: JournalState, **details: Any) -> None:
        """Write the record's state durably (raises JournalError when it cannot)."""
        if self.journal is not None:
            self.journal.mark(result.index, state, result.key, **details)

    def scope(self, record: SourceRecord) -> Scope:
        """A fresh scope for one attempt at a record; its commit steps move the journal."""
        marker = self.journal.record(record.index, self.key_of(record)) if self.journal else None
        return Scope(vars=dict(self.run.globals), record=record, progress=RecordProgress(watcher=marker))

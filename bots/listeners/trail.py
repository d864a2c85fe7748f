"""The audit trail of this process: the run store and the ledger writer, opened once.

``runner.py run``, the tray and the scheduler all give their runs the same two listeners, so
every run, however started, is in the run store and in the ledger.
"""

from __future__ import annotations

from pathlib import Path

from bots.audit.entry import EventType
from bots.audit.listener import AuditListener, open_ledger
from bots.results.listener import RunInfo, RunListener
from bots.spec.diagnostics import Diagnostic
from bots.store.listener import RunStoreListener
from bots.store.store import RunStore


class AuditTrail:
    """The run store and the ledger writer of this process, opened once and shared by all its runs."""

    def __init__(self, logs: Path, store_url: str | None = None) -> None:
        self.store = RunStore.open(store_url, logs)
        self.folder_id, self.writer = open_ledger(logs)

    def listeners(self, info: RunInfo) -> list[RunListener]:
        """The two listeners every run gets, whoever starts it: the run store and the ledger."""
        return [RunStoreListener(self.store), AuditListener(self.writer, self.folder_id, self.store, info)]

    def flow_rejected(self, path: Path, actor: str, diagnostics: list[Diagnostic]) -> None:
        """A run refused because its flow is invalid is an audit event too."""
        first = diagnostics[0].render() if diagnostics else ""
        self.writer.append("flow_rejected", actor, None, {"flow": str(path), "errors": len(diagnostics), "first": first})

    def input_refused(self, path: Path, actor: str, reason: str) -> None:
        """A run refused because of its input is an audit event too (nothing was keyed)."""
        self.writer.append("input_refused", actor, None, {"flow": str(path), "reason": reason})

    def run_refused(self, path: Path, actor: str, trigger: str, reason: str) -> None:
        """A run refused by governance (production mode, unapproved version) is an audit event too."""
        self.writer.append(EventType.RUN_REFUSED, actor, None, {"flow": str(path), "trigger": trigger, "reason": reason})

    def close(self) -> None:
        """Close the ledger writer (releasing its lock), then the run store, even if the first fails."""
        try:
            self.writer.close()
        finally:
            self.store.close()

    def __enter__(self) -> AuditTrail:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

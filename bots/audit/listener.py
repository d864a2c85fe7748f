"""The audit listener: what happened in a run, appended to the tamper-evident ledger.

Data arrives already masked (the listener set masks once for every listener). After the
run's last entry the ledger head is also written to the run store, so a truncated ledger is
detected by ``audit verify``.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from bots.audit.keys import audit_key
from bots.audit.writer import LedgerWriter
from bots.errors import LedgerLocked
from bots.results.listener import RunInfo, RunListener
from bots.results.model import RecordResult, RunResult, Status
from bots.store.store import RunStore

_RECORD_EVENTS = {Status.PASS: "record_keyed", Status.FAIL: "record_failed", Status.REVIEW: "record_review"}


def open_ledger(logs: Path) -> tuple[str, LedgerWriter]:
    """This process's ledger writer: ``audit/main`` unless another process owns it, then a
    folder of our own (one writer per ledger file; ``audit verify`` checks every folder)."""
    key = audit_key()
    try:
        return "main", LedgerWriter(logs / "audit" / "main", key=key)
    except LedgerLocked:
        folder_id = f"{socket.gethostname()}-{os.getpid()}"
        return folder_id, LedgerWriter(logs / "audit" / folder_id, key=key)


#: Notices that are audit events: drift of a screen, and every decision about a job's continuity
#: (resumed, started over, a lookup of a possibly keyed record, a session re-established).
_LEDGER_NOTICES = frozenset({"selector_drift", "resumed", "fresh_start", "verified", "verify_after_error",
                             "session_expired", "unapproved_flow"})


class AuditListener(RunListener):
    """Writes a run to the audit ledger; ``required``, so a run stops rather than key without evidence."""

    required = True

    def __init__(self, writer: LedgerWriter, folder_id: str, store: RunStore | None, info: RunInfo) -> None:
        self.writer = writer
        self.folder_id = folder_id
        self.store = store
        self.actor = info.user
        self.run_id = ""

    def _append(self, type: str, data: dict[str, Any]) -> None:
        self.writer.append(type, self.actor, self.run_id or None, data)

    def run_started(self, info: RunInfo, run: RunResult) -> None:
        """Record which flow (version and hash) ran, who started it and how."""
        self.run_id = run.run_id
        flow = info.flow
        self._append("run_started", {
            "flow_id": flow.id, "flow_version": flow.version, "flow_hash": flow.content_hash,
            "owner": flow.owner, "trigger": info.trigger, "host": info.host, "dry_run": info.dry_run,
            "fingerprint": flow.fingerprint, "approval": flow.approval})

    def records_counted(self, total: int | None) -> None:
        """Record that the input was opened and how many records it holds."""
        self._append("input_opened", {"total": total})

    def record_finished(self, record: RecordResult) -> None:
        """Record a keyed, failed, review or carried record; skipped and unrun ones keyed nothing."""
        event = _RECORD_EVENTS.get(record.status)
        if event is None:
            return
        details = {"location": record.location, "key": record.key, "status": record.status.value,
                   "outputs": record.outputs, "error": record.error, "kind": record.error_kind}
        if record.carried_from:  # reported again by a resume: settled by that earlier run, not keyed now
            event, details["carried_from"] = "record_carried", record.carried_from
        self._append(event, details)

    def notice(self, kind: str, message: str, data: dict[str, Any]) -> None:
        """Record the notices an auditor must trace (drift, resume decisions) and ``audit`` steps."""
        if kind in _LEDGER_NOTICES:  # decisions an auditor must be able to trace
            self._append(kind, {"message": message, **data})
        elif kind == "audit":
            self._append(str(data.get("type", "event")), {"step": data.get("step")})

    def run_finished(self, run: RunResult) -> None:
        """Record the outcome, syncs, and stores the head so truncation is detectable later."""
        self._append("run_finished", {
            "status": run.status.value, "error": run.error, "exit_code": int(run.exit_code),
            "counts": {s.name: run.count(s) for s in Status}})
        self.writer.sync()
        if self.store is not None:
            head = self.writer.synced_head
            self.store.set_ledger_head(self.folder_id, head.seq, head.hash)

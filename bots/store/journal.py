"""The run store's side of the per-record journal (:mod:`bots.engine.journal`).

Each ``mark`` is one short write transaction, committed before it returns: on SQLite with the
default ``synchronous=FULL`` in WAL mode that is on disk, so a power cut right after the commit
step still finds the record in ``submitting``. Keys, outputs and errors arrive masked (the
engine masks before it writes), like everything else in the store.
"""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from bots.platform.process import pid_alive
from bots.results.journal import InterruptedRun, JournalEntry, JournalState
from bots.results.model import RunStatus
from bots.store.queries import RunQueries
from bots.store.schema import JournalRow, Run

#: Statuses of a run that ended (or died) before every record was settled.
RESUMABLE = frozenset({RunStatus.RUNNING.value, RunStatus.STOPPED.value, RunStatus.ABORTED.value,
                       RunStatus.INTERRUPTED.value})


def _entry(row: JournalRow) -> JournalEntry:
    return JournalEntry(index=row.record_index, key=row.record_key, state=JournalState(row.state), run_id=row.run_id,
                        outputs=dict(row.outputs or {}), error=row.error, error_kind=row.error_kind,
                        retryable=row.retryable, updated_at=row.updated_at)


class JournalMethods(RunQueries):
    """The journal half of :class:`~bots.store.store.RunStore`; implements ``JournalStore``."""

    def mark(self, journal_id: str, run_id: str, index: int, state: JournalState, *, key: str,
             outputs: dict[str, Any] | None = None, error: str | None = None, error_kind: str | None = None,
             retryable: bool = False) -> None:
        """Upsert the record's row in its own committed transaction; ``outputs`` None keeps those stored."""
        now = dt.datetime.now(dt.UTC)
        with self._write() as session:
            row = session.get(JournalRow, (journal_id, index))
            if row is None:
                session.add(JournalRow(journal_id=journal_id, record_index=index, record_key=key, state=state.value,
                                       run_id=run_id, outputs=dict(outputs or {}), error=error,
                                       error_kind=error_kind, retryable=retryable, updated_at=now))
                return
            row.record_key, row.state, row.run_id, row.updated_at = key, state.value, run_id, now
            row.error, row.error_kind, row.retryable = error, error_kind, retryable
            if outputs is not None:
                row.outputs = dict(outputs)

    def entries(self, journal_id: str) -> dict[int, JournalEntry]:
        """Where each record of a job stands, by record index (what a resume skips or re-checks)."""
        with self._read() as session:
            rows = session.scalars(select(JournalRow).where(JournalRow.journal_id == journal_id))
            return {row.record_index: _entry(row) for row in rows}

    def find_interrupted(self, flow_id: str, input_sha256: str | None) -> InterruptedRun | None:
        """The latest real run of this flow on this very input, if it left records unsettled.

        Dry runs and runs refused before keying (``invalid``) do not count: they keyed nothing.
        """
        if input_sha256 is None:
            return None
        with self._read() as session:
            latest = session.scalars(
                select(Run).where(Run.flow_id == flow_id, Run.input_sha256 == input_sha256, Run.dry_run.is_(False),
                                  Run.status != RunStatus.INVALID.value)
                .order_by(Run.started_at.desc(), Run.run_id.desc()).limit(1)).first()
            return self._interrupted(session, latest)

    def interrupted_run(self, run_id: str) -> InterruptedRun | None:
        """``run_id`` if it can be resumed: it stopped early and no later run took its job over."""
        with self._read() as session:
            run = session.get(Run, run_id)
            if run is None or run.dry_run:
                return None
            journal_id = run.journal_id or run.run_id
            # Taken over by a later run: a resume of the same job, or any run on the same input.
            same_job = Run.journal_id == journal_id
            if run.input_sha256 is not None:
                same_job = or_(same_job, and_(Run.flow_id == run.flow_id, Run.input_sha256 == run.input_sha256))
            later = session.scalar(select(func.count()).select_from(Run).where(
                same_job, Run.started_at > run.started_at, Run.status != RunStatus.INVALID.value,
                Run.dry_run.is_(False)))
            if later:
                return None
            return self._interrupted(session, run)

    def _interrupted(self, session: Session, run: Run | None) -> InterruptedRun | None:
        if run is None or run.status not in RESUMABLE:
            return None
        journal_id = run.journal_id or run.run_id
        counts: dict[str, int] = {state: count for state, count in session.execute(
            select(JournalRow.state, func.count()).where(JournalRow.journal_id == journal_id)
            .group_by(JournalRow.state)).all()}
        if not counts and run.status != RunStatus.RUNNING.value:
            return None  # stopped before its first record (e.g. the login failed): a new run is the same
        retry_failed = session.scalar(select(func.count()).select_from(JournalRow).where(
            JournalRow.journal_id == journal_id, JournalRow.state == JournalState.FAILED.value,
            JournalRow.retryable.is_(True))) or 0
        settled = sum(counts.get(s.value, 0) for s in (JournalState.CONFIRMED, JournalState.FAILED,
                                                        JournalState.REVIEW)) - retry_failed
        unsettled = sum(counts.get(s.value, 0) for s in JournalState if s.interrupted)
        if run.total is not None and settled >= run.total and run.status != RunStatus.RUNNING.value:
            return None
        alive = (run.status == RunStatus.RUNNING.value and run.host == socket.gethostname()
                 and pid_alive(run.pid))
        return InterruptedRun(run_id=run.run_id, journal_id=journal_id, flow_id=run.flow_id, status=run.status,
                              started_at=run.started_at, os_user=run.os_user, host=run.host, settled=settled,
                              unsettled=unsettled, total=run.total, input_sha256=run.input_sha256,
                              alive=alive)

    def mark_interrupted(self, run_id: str) -> None:
        """A run that died while ``running`` is recorded as ``interrupted`` once a resume takes over."""
        with self._write() as session:
            session.execute(update(Run).where(Run.run_id == run_id, Run.status == RunStatus.RUNNING.value)
                            .values(status=RunStatus.INTERRUPTED.value))

    def run_request(self, run_id: str) -> dict[str, Any] | None:
        """The stored request of a run (what ``resume`` starts again)."""
        with self._read() as session:
            run = session.get(Run, run_id)
            return dict(run.request) if run is not None and run.request else None

"""The auditor's questions, answered from the store: which runs in a period (by flow, user,
status), what happened to each record of one run, how its steps performed — and ``dump`` of
every row, so a test can check that nothing secret was ever written.

Periods are half-open ``[date_from, date_to)`` for datetimes; a *date* means the whole local
day, so ``date_to=2026-11-30`` includes runs on the 30th (auditors think in 日付, not instants).
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bots.i18n import tr
from bots.results.model import Status
from bots.store.engine import session_scope
from bots.store.rows import RecordRow, RunRow, StepTiming
from bots.store.schema import TABLES, RecordOutcome, Run, StepTimingRow

Moment = dt.date | dt.datetime


def moment(value: Moment, *, end: bool = False) -> dt.datetime:
    """A period bound as an aware instant. A date is local midnight (the next one for an end);
    a naive datetime is local time."""
    if not isinstance(value, dt.datetime):
        day = value + dt.timedelta(days=1) if end else value
        return dt.datetime.combine(day, dt.time()).astimezone()
    return value if value.tzinfo is not None else value.astimezone()


def _run_row(run: Run, records: tuple[RecordRow, ...] = ()) -> RunRow:
    return RunRow(run_id=run.run_id, flow_id=run.flow_id, flow_version=run.flow_version, flow_hash=run.flow_hash,
                  selectors_hash=run.selectors_hash, trigger=run.trigger, os_user=run.os_user, host=run.host,
                  started_at=run.started_at, finished_at=run.finished_at, status=run.status, passed=run.passed,
                  failed=run.failed, review=run.review, not_run=run.not_run, total=run.total,
                  input_name=run.input_name, input_sha256=run.input_sha256, dry_run=run.dry_run, error=run.error,
                  records=records, journal_id=run.journal_id, resumed_from=run.resumed_from,
                  fingerprint=run.fingerprint, approval=run.approval, run_outputs=dict(run.run_outputs or {}))


def _record_row(row: RecordOutcome) -> RecordRow:
    return RecordRow(run_id=row.run_id, index=row.record_index, location=row.location, key=row.record_key,
                     status=Status(row.status), outputs=dict(row.outputs), error=row.error, error_kind=row.error_kind,
                     screenshot=row.screenshot, started_at=row.started_at, elapsed_ms=row.elapsed_ms,
                     carried_from=row.carried_from)


class RunQueries:
    """Reads of the run store; :class:`~bots.store.store.RunStore` adds the writes."""

    url: str
    _engine: Engine
    _writer: Engine

    def list_runs(self, date_from: Moment | None, date_to: Moment | None, flow_id: str | None = None,
                  user: str | None = None, status: str | None = None) -> list[RunRow]:
        """Runs started in the period (either bound may be None: open), oldest first."""
        query = select(Run)
        if date_from is not None:
            query = query.where(Run.started_at >= moment(date_from))
        if date_to is not None:
            query = query.where(Run.started_at < moment(date_to, end=True))
        if flow_id is not None:
            query = query.where(Run.flow_id == flow_id)
        if user is not None:
            query = query.where(Run.os_user == user)
        if status is not None:
            query = query.where(Run.status == str(status))
        with self._read() as session:
            return [_run_row(run) for run in session.scalars(query.order_by(Run.started_at, Run.run_id))]

    def get_run(self, run_id: str) -> RunRow | None:
        """One run with its per-record outcomes in input order; None if unknown."""
        with self._read() as session:
            run = session.get(Run, run_id)
            if run is None:
                return None
            records = session.scalars(select(RecordOutcome).where(RecordOutcome.run_id == run_id)
                                      .order_by(RecordOutcome.record_index))
            return _run_row(run, tuple(_record_row(r) for r in records))

    def step_summary(self, run_id: str) -> list[StepTiming]:
        """One run's per-action timings, by action name; [] for an unknown run."""
        with self._read() as session:
            rows = session.scalars(select(StepTimingRow).where(StepTimingRow.run_id == run_id)
                                   .order_by(StepTimingRow.action))
            return [StepTiming(r.action, r.count, r.total_ms, r.max_ms, r.failures) for r in rows]

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of every table, as plain dicts (migration bookkeeping excluded)."""
        with self._read() as session:
            return {table.name: [dict(row._mapping) for row in session.execute(select(table))]
                    for table in TABLES}

    def _read(self) -> AbstractContextManager[Session]:
        return session_scope(self._engine, tr("実行記録を読めません", "cannot read the run store"), self.url)

    def _write(self) -> AbstractContextManager[Session]:
        return session_scope(self._writer, tr("実行記録を書き込めません", "cannot write the run store"), self.url)


__all__ = ["Moment", "RunQueries", "moment"]

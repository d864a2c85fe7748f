"""RunStore: opens the database (SQLite by default, PostgreSQL when configured), keeps its
schema current, and writes a run in short transactions.

Every write is its own transaction and every failure raises :class:`StoreError`: a run the
store could not record must be noticed, never dropped. On SQLite, writes take the write lock
up front (``BEGIN IMMEDIATE``) so two writers queue on the busy timeout instead of failing
half-way through a transaction with "database is locked".
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from bots.errors import StoreError
from bots.i18n import tr
from bots.results.model import RecordResult, RunResult, Status
from bots.store import migrate, sqlalchemy_errors
from bots.store.approvals import ApprovalMethods
from bots.store.engine import create, display_url
from bots.store.journal import JournalMethods
from bots.store.ledger import all_heads, get_head, set_head
from bots.store.rows import LedgerHead, StepTiming
from bots.store.schema import RecordOutcome, Run, StepTimingRow

DEFAULT_FILE = "kazaguruma.sqlite3"
ENV_URL = "KZ_STORE_URL"


def default_url(project_logs: Path) -> str:
    """``KZ_STORE_URL`` when set (e.g. a shared PostgreSQL), else ``<logs>/kazaguruma.sqlite3``."""
    if url := os.environ.get(ENV_URL, "").strip():
        return url
    return "sqlite:///" + (project_logs / DEFAULT_FILE).as_posix()


def _outcome(run_id: str, record: RecordResult) -> RecordOutcome:
    return RecordOutcome(run_id=run_id, record_index=record.index, location=record.location,
                         record_key=record.key, status=record.status.value, outputs=dict(record.outputs),
                         error=record.error, error_kind=record.error_kind, screenshot=record.screenshot,
                         started_at=record.started, elapsed_ms=max(0, round(record.elapsed * 1000)),
                         carried_from=record.carried_from)


class RunStore(JournalMethods, ApprovalMethods):
    """The run store on one database. ``RunStore.open`` for normal use (it migrates)."""

    def __init__(self, url: str) -> None:
        self.url = display_url(url)
        self._engine, self._writer = create(url)

    @classmethod
    def open(cls, url: str | None, project_logs: Path) -> RunStore:
        """Open (creating or upgrading) the store: ``url``, else ``KZ_STORE_URL``, else the
        SQLite file in the project's logs folder."""
        if url is None and not os.environ.get(ENV_URL, "").strip():
            project_logs.mkdir(parents=True, exist_ok=True)
        store = cls(url or default_url(project_logs))
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
        return store

    def migrate(self, revision: str = "head") -> str:
        """Upgrade the schema (to head by default); refuses a database newer than this code."""
        with sqlalchemy_errors.edge(tr("データベースを更新できません", "cannot migrate the database"), self.url):
            return migrate.upgrade(self._writer, revision)

    def revision(self) -> str | None:
        """The database's schema revision (None when empty)."""
        with sqlalchemy_errors.edge(tr("データベースを読めません", "cannot read the database"), self.url), \
                self._engine.connect() as connection:
            return migrate.current_revision(connection)

    def close(self) -> None:
        """Dispose of the connection pool (the writer is a view of the same engine, so one pool)."""
        self._engine.dispose()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writes -----------------------------------------------------------------------------

    def start_run(self, *, run_id: str, flow_id: str, flow_version: str, flow_hash: str,
                  selectors_hash: str | None, trigger: str, os_user: str, host: str, started_at: dt.datetime,
                  dry_run: bool = False, input_name: str | None = None, input_sha256: str | None = None,
                  total: int | None = None, journal_id: str | None = None, resumed_from: str | None = None,
                  pid: int | None = None, request: dict[str, Any] | None = None, fingerprint: str | None = None,
                  approval: str | None = None) -> None:
        """Insert the run as ``running``: a run that never finishes stays visible as such."""
        with self._write() as session:
            session.add(Run(run_id=run_id, flow_id=flow_id, flow_version=flow_version, flow_hash=flow_hash,
                            selectors_hash=selectors_hash, trigger=trigger, os_user=os_user, host=host,
                            started_at=started_at, status="running", passed=0, failed=0, review=0, not_run=0,
                            total=total, input_name=input_name, input_sha256=input_sha256, dry_run=dry_run,
                            journal_id=journal_id, resumed_from=resumed_from, pid=pid, request=request,
                            fingerprint=fingerprint, approval=approval))

    def set_input(self, run_id: str, *, input_name: str | None, input_sha256: str | None,
                  total: int | None, journal_id: str | None = None, resumed_from: str | None = None) -> None:
        """The input (and so the job: fresh or resumed) is known only once the records are
        counted, after ``run_started``."""
        self._update_run(run_id, input_name=input_name, input_sha256=input_sha256, total=total,
                         journal_id=journal_id, resumed_from=resumed_from)

    def add_record(self, run_id: str, record: RecordResult) -> None:
        """Write one record's outcome as soon as it is settled, so a crash keeps the records done so far."""
        with self._write() as session:
            session.add(_outcome(run_id, record))

    def finish_run(self, run: RunResult, step_summary: Iterable[StepTiming] = ()) -> None:
        """Final status, counts and timings; also stores the records never reported one by one
        (未処理 rows after a stop or abort), so every input record has an outcome."""
        with self._write() as session:
            stored = set(session.scalars(select(RecordOutcome.record_index)
                                         .where(RecordOutcome.run_id == run.run_id)))
            session.add_all(_outcome(run.run_id, r) for r in run.records if r.index not in stored)
            values: dict[str, Any] = {
                "status": run.status.value, "finished_at": run.finished or dt.datetime.now(dt.UTC),
                "error": run.error, "passed": run.count(Status.PASS), "failed": run.count(Status.FAIL),
                "review": run.count(Status.REVIEW), "not_run": run.count(Status.NOT_RUN),
                # The engine counts the records as they stream: exact once the input was read to the end; when
                # a stop left the rest unread it is unknown (len(records) would make the run look finished).
                "total": run.total if run.total is not None or run.unread_after else (len(run.records) or None),
                "run_outputs": dict(run.run_outputs) or None,
            }
            _update_one(session, run.run_id, values)
            session.execute(delete(StepTimingRow).where(StepTimingRow.run_id == run.run_id))
            session.add_all(StepTimingRow(run_id=run.run_id, action=t.action, count=t.count, total_ms=t.total_ms,
                                          max_ms=t.max_ms, failures=t.failures) for t in step_summary)

    def set_ledger_head(self, folder_id: str, seq: int, hash: str) -> None:
        """Record the audit ledger's head. It only moves forward; repeating the same head is fine."""
        with self._write() as session:
            set_head(session, folder_id, seq, hash)

    def get_ledger_head(self, folder_id: str) -> LedgerHead | None:
        """The head recorded for ``folder_id``; None if that ledger never reported one."""
        with self._read() as session:
            return get_head(session, folder_id)

    def list_ledger_heads(self) -> list[LedgerHead]:
        """Every ledger folder's recorded head (what ``audit verify`` checks truncation against)."""
        with self._read() as session:
            return all_heads(session)

    def _update_run(self, run_id: str, **values: Any) -> None:
        with self._write() as session:
            _update_one(session, run_id, values)


def _update_one(session: Session, run_id: str, values: dict[str, Any]) -> None:
    result = cast(CursorResult[Any], session.execute(update(Run).where(Run.run_id == run_id).values(**values)))
    if result.rowcount != 1:
        raise StoreError(tr("実行記録がありません: {r}", "no such run in the store: {r}", r=run_id))

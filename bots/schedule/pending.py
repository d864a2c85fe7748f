"""Catch-ups and retries waiting to run, kept in the job store's database (table
``kz_pending_fires``) so that a daemon killed before they start runs them after its restart.

APScheduler's own store does not fit: it drops a one-off job the moment it hands it to the
executor, and our run may then still wait for a slot on its target system. A row here lives
from the decision (a catch-up, a retry) until its run begins; the daemon keeps the timer in
APScheduler's memory store and re-creates it from the rows at start-up. Keys are derived from
the fire (schedule, fire time, attempt), so deciding the same miss twice — a daemon killed
between deciding and advancing the schedule — still leaves one row, and one run.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bots.errors import StoreError
from bots.i18n import tr
from bots.store import sqlalchemy_errors
from bots.store.engine import create, display_url

TABLE = "kz_pending_fires"
_metadata = sa.MetaData()
_table = sa.Table(
    TABLE, _metadata,
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("schedule_id", sa.String(200), nullable=False),
    sa.Column("due", sa.Float, nullable=False),  # UTC seconds, as APScheduler stores next run times
    sa.Column("kwargs", sa.Text, nullable=False),  # the job kwargs as JSON (spec, systems, fire time, attempt)
)


def fire_key(schedule_id: str, fire_time: dt.datetime, attempt: int) -> str:
    """One fire's identity: the same miss decided twice is the same row (and APScheduler job id)."""
    return f"{schedule_id}@{fire_time.astimezone(dt.UTC).isoformat()}#{attempt}"


@dataclass(frozen=True)
class PendingFire:
    """A row: which schedule, when it is due, and the job kwargs to run it with."""

    key: str
    schedule_id: str
    due: dt.datetime
    kwargs: dict[str, Any]


class PendingFires:
    """The rows of one job store URL (SQLite or PostgreSQL); database errors leave as StoreError."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self._read, self._write = create(url)
        except StoreError as exc:  # its text names the run store; this is the scheduler's job store
            raise StoreError(tr("スケジューラのジョブストアを開けません（{u}）: {e}", "cannot open the scheduler's job store ({u}): {e}",
                                u=display_url(url), e=exc)) from exc
        with self._edge(tr("実行待ちの記録を開けません", "cannot open the pending fires")):
            _metadata.create_all(self._write)

    def _edge(self, what: str) -> Any:
        return sqlalchemy_errors.edge(what, display_url(self.url))

    def put(self, key: str, schedule_id: str, due: dt.datetime, kwargs: dict[str, Any]) -> None:
        """Keep (or replace) the row for ``key``: written before the timer is set."""
        row = {"key": key, "schedule_id": schedule_id, "due": due.timestamp(),
               "kwargs": json.dumps(kwargs, ensure_ascii=False)}
        with self._edge(tr("実行待ちを記録できません", "cannot record a pending fire")), self._write.begin() as db:
            db.execute(_table.delete().where(_table.c.key == key))
            db.execute(_table.insert().values(**row))

    def remove(self, key: str) -> bool:
        """Drop the row (its run begins); whether it was there."""
        with self._edge(tr("実行待ちの記録を消せません", "cannot clear a pending fire")), self._write.begin() as db:
            return bool(db.execute(_table.delete().where(_table.c.key == key)).rowcount)

    def all(self) -> list[PendingFire]:
        """Every row, soonest first (read at start-up)."""
        with self._edge(tr("実行待ちの記録を読めません", "cannot read the pending fires")), self._read.connect() as db:
            rows = db.execute(sa.select(_table).order_by(_table.c.due, _table.c.key)).all()
        return [PendingFire(r.key, r.schedule_id, dt.datetime.fromtimestamp(r.due, dt.UTC), json.loads(r.kwargs))
                for r in rows]

    def close(self) -> None:
        """Release the connections (the daemon stops)."""
        self._read.dispose()

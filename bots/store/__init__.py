"""The run store: who ran which version of which flow, triggered how, on which input, with what
outcome per record — queryable for any period, on SQLite (default) or PostgreSQL.

::

    schema.py       tables (typed ORM), the UTC timestamp type
    migrate.py      Alembic, run from code; scripts in ``migrations/versions/``
    rows.py         what queries return (plain frozen dataclasses), the step-timing summary
    store.py        RunStore: open, migrate, write in short transactions
    queries.py      the auditor's reads: list_runs, get_run, step_summary, dump
    listener.py     RunStoreListener: records a run through the engine's listener calls

Errors: :class:`StoreError` (a write or read failed: the audit trail is not optional) and its
subclass :class:`StoreVersionError` (the database schema is newer than this code).
"""

from __future__ import annotations

from bots.errors import StoreError, StoreVersionError
from bots.store.listener import RunStoreListener
from bots.store.rows import LedgerHead, RecordRow, RunRow, StepSummary, StepTiming
from bots.store.store import RunStore, default_url

__all__ = [
    "LedgerHead",
    "RecordRow",
    "RunRow",
    "RunStore",
    "RunStoreListener",
    "StepSummary",
    "StepTiming",
    "StoreError",
    "StoreVersionError",
    "default_url",
]

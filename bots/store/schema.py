"""The run store's tables, as typed ORM models.

These models describe the *current* schema; the database is built and changed only by the
migration scripts in ``migrations/versions/`` (a test checks that the two agree). Timestamps
are stored in UTC and come back timezone-aware on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

HASH = String(64)  #: hex SHA-256
JSON_VALUE = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out. Naive values are refused: a timestamp
    without its offset cannot be placed on an auditor's timeline."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """To the database: aware values only, as UTC."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime refused by the run store: {value!r}")
        utc = value.astimezone(dt.UTC)
        # SQLite has no timezone type: store naive UTC text, which also sorts correctly.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """From the database: aware UTC, whether the driver returned naive (SQLite) or offset values."""
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"unexpected timestamp value from the database: {value!r}")
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """The models' metadata: what a test compares with the migrations; never used to create tables."""


class Run(Base):
    """One run: the who/what/when/on-which-input row an auditor starts from."""

    __tablename__ = "runs"

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(200))
    flow_version: Mapped[str] = mapped_column(String(100))
    flow_hash: Mapped[str] = mapped_column(HASH)
    selectors_hash: Mapped[str | None] = mapped_column(HASH)
    trigger: Mapped[str] = mapped_column(String(20))
    os_user: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20))
    passed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    review: Mapped[int] = mapped_column(Integer, default=0)
    not_run: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    input_name: Mapped[str | None] = mapped_column(Text)
    input_sha256: Mapped[str | None] = mapped_column(HASH)
    dry_run: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(Text)
    #: The job this run belongs to: its own id, or the first run's when it resumes one.
    journal_id: Mapped[str | None] = mapped_column(String(64))
    resumed_from: Mapped[str | None] = mapped_column(String(64))
    pid: Mapped[int | None] = mapped_column(Integer)
    #: The run request (flow, inputs, options) as plain data: what ``resume`` starts again.
    request: Mapped[dict[str, Any] | None] = mapped_column(JSON_VALUE)
    #: What an approval covers (flow, sub-flows, selector maps, form template; bots.flow.fingerprint)
    #: and whether that was approved when the run started (approved / pending / changed / unapproved).
    fingerprint: Mapped[str | None] = mapped_column(HASH)
    approval: Mapped[str | None] = mapped_column(String(20))
    #: The flow's run-level results (``run_outputs``), masked, by name in declared order; None when
    #: it declares none. JSON, not JSONB: PostgreSQL's JSONB would reorder the names.
    run_outputs: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_runs_started_at", "started_at"),
        Index("ix_runs_flow_started", "flow_id", "started_at"),
        Index("ix_runs_user_started", "os_user", "started_at"),
        Index("ix_runs_flow_input", "flow_id", "input_sha256", "started_at"),
    )


class RecordOutcome(Base):
    """What happened to one input record in one run."""

    __tablename__ = "record_outcomes"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True)
    record_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    location: Mapped[str] = mapped_column(Text)
    record_key: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON_VALUE)
    error: Mapped[str | None] = mapped_column(Text)
    error_kind: Mapped[str | None] = mapped_column(String(50))
    screenshot: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    elapsed_ms: Mapped[int] = mapped_column(Integer, default=0)
    #: Set when this run only reports an outcome an earlier run of the same job reached.
    carried_from: Mapped[str | None] = mapped_column(String(64))


class JournalRow(Base):
    """Where one record of a job stands (see :mod:`bots.engine.journal`): one row per record,
    updated in place as it moves, durably before and after the commit step."""

    __tablename__ = "record_journal"

    journal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_key: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[str] = mapped_column(String(64))
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON_VALUE)
    error: Mapped[str | None] = mapped_column(Text)
    error_kind: Mapped[str | None] = mapped_column(String(50))
    retryable: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class StepTimingRow(Base):
    """Per run and action: a summary of step timings, not every step (those are in run.jsonl)."""

    __tablename__ = "step_timings"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True)
    action: Mapped[str] = mapped_column(String(100), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    total_ms: Mapped[int] = mapped_column(Integer)
    max_ms: Mapped[int] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer)


class FlowApprovalRow(Base):
    """One person's approval of one version (fingerprint) of a flow; also in the audit ledger."""

    __tablename__ = "flow_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flow_id: Mapped[str] = mapped_column(String(200))
    flow_version: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(HASH)
    #: Staff id of the approver (the directory's ``id``) and of the author of the change.
    approver: Mapped[str] = mapped_column(String(100))
    author: Mapped[str | None] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text)
    os_user: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(200))
    approved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_flow_approvals_flow", "flow_id", "fingerprint"),)


class FlowFileRow(Base):
    """A file of an approved version as it was approved: what ``flows diff`` compares with."""

    __tablename__ = "flow_files"

    fingerprint: Mapped[str] = mapped_column(HASH, primary_key=True)
    path: Mapped[str] = mapped_column(String(500), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(HASH)
    #: The text (flows, maps and templates are UTF-8 YAML); None for images.
    content: Mapped[str | None] = mapped_column(Text)


class LedgerHeadRow(Base):
    """The audit ledger's latest entry per ledger folder, kept here too so a truncated or
    replaced ledger file can be detected against an independent copy."""

    __tablename__ = "ledger_heads"

    folder_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(HASH)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


#: Every table, parents before children.
TABLES: tuple[Table, ...] = tuple(Base.metadata.sorted_tables)

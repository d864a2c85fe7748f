"""Runs and their per-record outcomes: the audit trail's core.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("flow_id", sa.String(200), nullable=False),
        sa.Column("flow_version", sa.String(100), nullable=False),
        sa.Column("flow_hash", sa.String(64), nullable=False),
        sa.Column("selectors_hash", sa.String(64), nullable=True),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("os_user", sa.String(200), nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("review", sa.Integer(), nullable=False),
        sa.Column("not_run", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("input_name", sa.Text(), nullable=True),
        sa.Column("input_sha256", sa.String(64), nullable=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_runs_started_at", "runs", ["started_at"])
    op.create_index("ix_runs_flow_started", "runs", ["flow_id", "started_at"])
    op.create_index("ix_runs_user_started", "runs", ["os_user", "started_at"])
    op.create_table(
        "record_outcomes",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("record_index", sa.Integer(), primary_key=True),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("record_key", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("outputs", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_kind", sa.String(50), nullable=True),
        sa.Column("screenshot", sa.Text(), nullable=True),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("elapsed_ms", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("record_outcomes")
    op.drop_table("runs")

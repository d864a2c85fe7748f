"""The per-record journal; runs know their job (journal), what they resumed, their process and request.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

JSON_VALUE = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("journal_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("resumed_from", sa.String(64), nullable=True))
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("request", JSON_VALUE, nullable=True))
    op.create_index("ix_runs_flow_input", "runs", ["flow_id", "input_sha256", "started_at"])
    with op.batch_alter_table("record_outcomes") as batch:
        batch.add_column(sa.Column("carried_from", sa.String(64), nullable=True))
    op.create_table(
        "record_journal",
        sa.Column("journal_id", sa.String(64), primary_key=True),
        sa.Column("record_index", sa.Integer(), primary_key=True),
        sa.Column("record_key", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("outputs", JSON_VALUE, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_kind", sa.String(50), nullable=True),
        sa.Column("retryable", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("record_journal")
    with op.batch_alter_table("record_outcomes") as batch:
        batch.drop_column("carried_from")
    op.drop_index("ix_runs_flow_input", "runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("request")
        batch.drop_column("pid")
        batch.drop_column("resumed_from")
        batch.drop_column("journal_id")

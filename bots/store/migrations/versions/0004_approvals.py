"""Flow approvals and the files of each approved version; runs record their fingerprint and approval.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(64), nullable=True))
        batch.add_column(sa.Column("approval", sa.String(20), nullable=True))
    op.create_table(
        "flow_approvals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("flow_id", sa.String(200), nullable=False),
        sa.Column("flow_version", sa.String(100), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("approver", sa.String(100), nullable=False),
        sa.Column("author", sa.String(200), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("os_user", sa.String(200), nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_flow_approvals_flow", "flow_approvals", ["flow_id", "fingerprint"])
    op.create_table(
        "flow_files",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("path", sa.String(500), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("flow_files")
    op.drop_index("ix_flow_approvals_flow", "flow_approvals")
    op.drop_table("flow_approvals")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("approval")
        batch.drop_column("fingerprint")

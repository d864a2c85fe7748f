"""Alembic environment: migrations run only from code (``bots.store.migrate``), on the
connection it hands over, so no ``alembic.ini`` or URL is needed at run time."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from bots.store.schema import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run the run-store migrations through bots.store.migrate (RunStore.migrate())")

# Batch mode lets later ALTERs work on SQLite (copy-and-move); it is a no-op on PostgreSQL.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

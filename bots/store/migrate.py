"""Versioned schema migrations, run from code.

The Alembic scripts ship inside the package (``migrations/versions/``), so an installed
Kazaguruma upgrades its own database on open, with no ``alembic.ini``. A database stamped by a
newer Kazaguruma is refused: guessing at an unknown schema could corrupt the audit trail.

A new revision (developers only): ``python -m bots.store.migrate "what changed"``; then edit
the file by hand — migrations must not import the ORM models, which keep changing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from bots.errors import StoreError, StoreVersionError
from bots.i18n import tr

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Serialises concurrent upgrades of one PostgreSQL database (any constant unique to us).
_PG_LOCK_KEY = 0x4B5A5354  # "KZST"


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def scripts() -> ScriptDirectory:
    """The revision scripts shipped in the package; no ``alembic.ini`` is needed."""
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The newest revision this code knows; finding no scripts at all is a packaging error."""
    head = scripts().get_current_head()
    if head is None:
        raise StoreError("no run-store migrations found in " + str(MIGRATIONS))
    return head


def current_revision(connection: Connection) -> str | None:
    """The database's revision, or None for an empty database."""
    heads = MigrationContext.configure(connection).get_current_heads()
    return heads[0] if heads else None


def check_not_newer(connection: Connection) -> None:
    """Refuse a database migrated by a newer Kazaguruma (a revision this code does not know)."""
    known = {script.revision for script in scripts().walk_revisions()}
    current = MigrationContext.configure(connection).get_current_heads()
    unknown = [revision for revision in current if revision not in known]
    if unknown:
        raise StoreVersionError(tr(
            "実行記録データベースの版（{db}）はこの Kazaguruma（対応版 {head}）より新しいため開けません。"
            "Kazaguruma を更新してください",
            "the run store database is at schema revision {db}, newer than this Kazaguruma supports "
            "({head}); upgrade Kazaguruma",
            db=", ".join(unknown), head=head_revision()))


def check_encoding(connection: Connection) -> None:
    """Japanese text must round-trip: a PostgreSQL database must be UTF-8."""
    if connection.dialect.name != "postgresql":
        return
    encoding = connection.execute(text("SHOW server_encoding")).scalar_one()
    if str(encoding).upper() not in {"UTF8", "UTF-8"}:
        raise StoreError(tr(
            "PostgreSQL のデータベースの文字コードが {e} です。UTF8 で作成してください"
            "（CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0）",
            "the PostgreSQL database encoding is {e}; create it with ENCODING 'UTF8' (TEMPLATE template0)",
            e=encoding))


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Upgrade the database to ``revision`` in one transaction; returns the revision reached."""
    with engine.begin() as connection:
        check_encoding(connection)
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        check_not_newer(connection)
        command.upgrade(_config(connection), revision)
        reached = current_revision(connection)
    return reached or ""


def new_revision(message: str) -> None:
    """Write the next numbered revision script (developers; not used at run time)."""
    head = head_revision()
    command.revision(_config(), message=message, rev_id=f"{int(head) + 1:04d}")


if __name__ == "__main__":  # pragma: no cover - a developer tool
    new_revision(" ".join(sys.argv[1:]) or "change")

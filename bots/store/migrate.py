"""Versioned schema migrations, run from code.

The Alembic scripts ship inside the package (``migrations/versions/``), so an installed
Kazaguruma upgrades its own database on open, with no ``alembic.ini``. A database stamped by a
newer Kazaguruma is refused: guessing at an unknown schema could corrupt the audit trail.

A new revision (developers only): ``python -m bots.store.migrate "what changed"``; then edit
the file by hand — migrations must not import the ORM models, which keep changing.

Opening a store that is already current is the common case (every run, every ``audit`` command),
and Alembic costs 0.1–0.2 s there for nothing: importing it, reading every revision script, and
its own version check. So :func:`upgrade` first reads ``alembic_version`` itself and compares it
with :data:`SHIPPED_HEAD` — the highest numbered script in ``migrations/versions/`` (revisions are
numbered ``0001``, ``0002``, … and each file is named after its number) — and loads Alembic only
when they differ: an older database to upgrade, or a newer one to refuse.

An **empty** database (a PC's first run) gets the current schema in one go, as Alembic's own
documentation recommends for new databases: the ORM models' ``create_all`` and a stamp of the head
revision (written as ``alembic stamp`` writes it), in one transaction — instead of importing Alembic
and replaying every revision (0.3–0.5 s of a first run's start). A test checks that this schema is
the one the migration scripts build, table by table and column by column.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from bots.errors import StoreError, StoreVersionError
from bots.i18n import tr
from bots.store.schema import Base

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Serialises concurrent upgrades of one PostgreSQL database (any constant unique to us).
_PG_LOCK_KEY = 0x4B5A5354  # "KZST"

#: Alembic's version table, as Alembic creates it (``alembic.runtime.migration``), for the stamp of
#: a database created at the head (:func:`create_if_empty`).
_VERSION_TABLE = Table("alembic_version", MetaData(),
                       Column("version_num", String(32), nullable=False),
                       PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory


def shipped_head() -> str | None:
    """The newest revision shipped, from the scripts' file names alone (``0004_approvals.py`` →
    ``"0004"``): no Alembic, no script is read. None when no script is named so."""
    numbers = [match.group(1) for path in (MIGRATIONS / "versions").glob("*.py")
               if (match := re.fullmatch(r"(\d{4})_\w+\.py", path.name))]
    return max(numbers, key=int) if numbers else None


#: The head this code knows, as found when the module was imported (see the module docstring).
SHIPPED_HEAD = shipped_head()


def stamped_revisions(connection: Connection) -> list[str] | None:
    """The revisions ``alembic_version`` holds, read with plain SQL; None when it cannot be read
    (an empty database has no such table): Alembic then looks for itself."""
    try:
        return [str(row[0]) for row in connection.execute(text("SELECT version_num FROM alembic_version"))]
    except DBAPIError:
        return None


def _config(connection: Connection | None = None) -> Config:
    # lazy: Alembic only when the schema must change or be checked in depth (module docstring).
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def scripts() -> ScriptDirectory:
    """The revision scripts shipped in the package; no ``alembic.ini`` is needed."""
    # lazy: see _config.
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The newest revision this code knows; finding no scripts at all is a packaging error."""
    head = scripts().get_current_head()
    if head is None:
        raise StoreError("no run-store migrations found in " + str(MIGRATIONS))
    return head


def current_revision(connection: Connection) -> str | None:
    """The database's revision, or None for an empty database (read as :func:`stamped_revisions`)."""
    heads = stamped_revisions(connection)
    return heads[0] if heads else None


def check_not_newer(connection: Connection) -> None:
    """Refuse a database migrated by a newer Kazaguruma (a revision this code does not know)."""
    # lazy: see _config.
    from alembic.runtime.migration import MigrationContext

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


def current_at_head(engine: Engine) -> bool:
    """Whether the database is stamped with exactly :data:`SHIPPED_HEAD` (and, on PostgreSQL, is
    UTF-8): then there is nothing to upgrade and nothing newer to refuse. One short read."""
    if SHIPPED_HEAD is None:
        return False
    with engine.connect() as connection:
        if stamped_revisions(connection) != [SHIPPED_HEAD]:
            return False
        check_encoding(connection)
    return True


def create_if_empty(engine: Engine) -> str | None:
    """Create the current schema, stamped at :data:`SHIPPED_HEAD`, when the database holds no table
    at all; returns the revision, or None when there were tables (the caller upgrades them)."""
    if SHIPPED_HEAD is None:
        return None
    with engine.begin() as connection:
        check_encoding(connection)
        _lock(connection)  # two first runs at once: the second finds the tables and upgrades (a no-op)
        if inspect(connection).get_table_names():
            return None
        Base.metadata.create_all(connection)
        _VERSION_TABLE.create(connection)
        connection.execute(_VERSION_TABLE.insert().values(version_num=SHIPPED_HEAD))
    return SHIPPED_HEAD


def _lock(connection: Connection) -> None:
    """On PostgreSQL, serialise schema changes across processes until the transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Upgrade the database to ``revision`` in one transaction; returns the revision reached.
    A database already at the shipped head is only read (:func:`current_at_head`); an empty one
    is created at the head directly (:func:`create_if_empty`)."""
    if revision == "head":
        if current_at_head(engine):
            return SHIPPED_HEAD or ""
        if created := create_if_empty(engine):
            return created
    # lazy: see _config.
    from alembic import command

    with engine.begin() as connection:
        check_encoding(connection)
        _lock(connection)
        check_not_newer(connection)
        command.upgrade(_config(connection), revision)
        reached = current_revision(connection)
    return reached or ""


def new_revision(message: str) -> None:
    """Write the next numbered revision script (developers; not used at run time)."""
    # lazy: see _config.
    from alembic import command

    head = head_revision()
    command.revision(_config(), message=message, rev_id=f"{int(head) + 1:04d}")


if __name__ == "__main__":  # pragma: no cover - a developer tool
    new_revision(" ".join(sys.argv[1:]) or "change")

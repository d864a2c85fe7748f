"""Database connections for the run store: one URL in, a reading and a writing engine out.

SQLite: WAL (the auditor can read while a run writes), foreign keys on, a busy timeout, and
``BEGIN IMMEDIATE`` for writes. pysqlite's own transaction handling begins lazily, at the first
write, so a read-then-write transaction can fail with "database is locked" instead of waiting;
we therefore begin transactions ourselves. PostgreSQL: psycopg 3, pre-ping for long-lived tray
processes. JSON is written as UTF-8 text (``ensure_ascii=False``), readable in either database.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from bots.errors import StoreError
from bots.i18n import tr
from bots.store import sqlalchemy_errors

BUSY_TIMEOUT_S = 30


def _jsonable(value: Any) -> Any:
    """Captured outputs may hold dates or decimals (typed columns): store them as readable text."""
    return value.isoformat() if isinstance(value, (dt.date, dt.time)) else str(value)


def dumps(value: Any) -> str:
    """The JSON columns' serializer: UTF-8 text, so Japanese stays readable in the database itself."""
    return json.dumps(value, ensure_ascii=False, default=_jsonable)


def parse_url(url: str) -> URL:
    """The store URL, checked: SQLite or PostgreSQL (on psycopg 3) only; errors never echo a password."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        # Not echoed: an unparsable URL may still hold a password.
        raise StoreError(tr("実行記録データベースの URL を解釈できません（KZ_STORE_URL または設定を確認してください）",
                            "cannot parse the run store URL (check KZ_STORE_URL or the configuration)")) from exc
    if parsed.drivername == "postgresql":  # SQLAlchemy's default would be psycopg2; we ship psycopg 3
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise StoreError(tr("実行記録データベースは SQLite か PostgreSQL です: {u}",
                            "the run store supports SQLite and PostgreSQL: {u}", u=display_url(url)))
    return parsed


def display_url(url: str) -> str:
    """The URL as shown in messages: never the password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we send BEGIN ourselves, see the module docstring
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("kz_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def create(url: str) -> tuple[Engine, Engine]:
    """The engine for reads and a view of it whose transactions are writes."""
    parsed = parse_url(url)
    options: dict[str, Any] = {"json_serializer": dumps}
    if parsed.get_backend_name() == "sqlite":
        options["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_S}
    else:  # UTF-8 on the wire whatever the server's default, so a wrong database is reported, not garbled
        options["pool_pre_ping"] = True
        options["connect_args"] = {"client_encoding": "utf8"}
    with sqlalchemy_errors.edge(tr("実行記録データベースを開けません", "cannot open the run store"), display_url(url)):
        engine = create_engine(parsed, **options)
    if parsed.get_backend_name() == "sqlite":
        _sqlite_setup(engine)
    return engine, engine.execution_options(kz_write=True)


@contextmanager
def session_scope(engine: Engine, what: str, url: str) -> Iterator[Session]:
    """One short transaction: committed on success, rolled back on any error; database errors
    leave as StoreError (:mod:`bots.store.sqlalchemy_errors`)."""
    with sqlalchemy_errors.edge(what, url), Session(engine, expire_on_commit=False) as session, session.begin():
        yield session

"""Translate what SQLAlchemy, its drivers and Alembic raise into :class:`~bots.errors.StoreError`,
in one place.

A run that cannot be recorded must not pass silently, so every database failure stops with a
StoreError naming the store (never its password) and, first, what kind of failure it is in words
staff can act on: locked or unreachable (``OperationalError``), a duplicate or dangling row
(``IntegrityError``), another database error. The database's own text follows; the SQL statement
and its parameters do not, as parameters can hold a citizen's data (they stay on the chained
exception, ``__cause__``, for the log).

Alembic's error class joins the mapping only when Alembic itself is loaded (:func:`mapped`): a
store already at the current schema opens without Alembic (:mod:`bots.store.migrate`), and an
Alembic error cannot be raised before Alembic is imported.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError, StatementError

from bots.errors import StoreError
from bots.i18n import tr

#: What each exception says about the store, as a (日本語, English) hint; checked in order, the
#: most specific first (IntegrityError and OperationalError are DBAPIErrors). All become StoreError.
MAPPED: dict[type[BaseException], tuple[str, str]] = {
    IntegrityError: ("同じ記録がすでにあるか、参照先の記録がありません",
                     "a duplicate row, or a row referring to a missing one"),
    OperationalError: ("データベースに接続できないか、ロック中か、書き込めません",
                       "the database cannot be reached, is locked, or cannot be written"),
    DBAPIError: ("データベースがエラーを返しました", "the database reported an error"),
    SQLAlchemyError: ("データベース操作のエラーです", "a database error"),
    ImportError: ("データベースのドライバーがありません", "the database driver is not installed"),
    ValueError: ("保存できない値です", "a value that cannot be stored"),
}
#: Alembic's error (``alembic.util.CommandError``), mapped once Alembic is loaded.
MIGRATION_FAILED = ("データベースの構成を更新できません", "the schema migration failed")


def mapped() -> dict[type[BaseException], tuple[str, str]]:
    """:data:`MAPPED`, with Alembic's error first when Alembic is loaded (see the module docstring)."""
    util: Any = sys.modules.get("alembic.util")
    if util is None:
        return MAPPED
    return {util.CommandError: MIGRATION_FAILED, **MAPPED}


def hint(exc: BaseException) -> tuple[str, str] | None:
    """The mapped (日本語, English) hint for ``exc``, or None when no entry covers it."""
    return next((h for source, h in mapped().items() if isinstance(exc, source)), None)


def detail(exc: BaseException) -> str:
    """The database's own message: a wrapped driver error's text, without the SQL and parameters
    SQLAlchemy appends."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        return f"{type(exc.orig).__name__}: {exc.orig}"
    return str(exc).split("\n[SQL:", 1)[0].split("\n(Background on this error", 1)[0].strip()


def translate(exc: BaseException, what: str, url: str) -> StoreError:
    """The StoreError for ``exc`` raised while doing ``what`` on the store at ``url`` (shown as
    :func:`bots.store.engine.display_url` gives it)."""
    ja, en = hint(exc) or ("予期しないエラーです", "an unexpected error")
    return StoreError(f"{what} ({url}): {tr(ja, en)}: {detail(exc)}")


@contextmanager
def edge(what: str, url: str) -> Iterator[None]:
    """Use the database inside this block; its errors leave as StoreError.

    Only the mapped classes are caught: anything else from our own code is a bug and must show as
    one. ValueError is mapped because the schema's column types refuse values with it (a naive
    timestamp) before SQLAlchemy sees them."""
    try:
        yield
    except StoreError:
        raise
    except tuple(mapped()) as exc:
        raise translate(exc, what, url) from exc

"""SQLite storage of the orders taken by the single-page order app (``/spa/``).

The orders live in their own table of the demo system's database file. Every operation opens and
closes its own connection: the app needs no shutdown hook, and a test may read the file
(``read_orders``) while the server writes. Nothing here stops the same 依頼番号 from being
ordered twice — on purpose: a robot that submits a record twice must show up as a duplicate in
the list, not be hidden by the system.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from .store import JST

#: The order fields, in the order of the form, the list and the CSV export.
ORDER_FIELDS: tuple[str, ...] = ("依頼番号", "頭部", "胴体", "脚部", "配送先", "数量")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spa_orders (
    id INTEGER PRIMARY KEY,
    receipt_no TEXT NOT NULL UNIQUE,
    "依頼番号" TEXT NOT NULL,
    "頭部" TEXT NOT NULL,
    "胴体" TEXT NOT NULL,
    "脚部" INTEGER NOT NULL,
    "配送先" TEXT NOT NULL,
    "数量" INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""
_COLUMNS = ", ".join(f'"{name}"' for name in ORDER_FIELDS)


def _connect(db_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path, timeout=5.0, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


class OrderStore:
    """The ``spa_orders`` table of one database file (schema created on first use)."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as conn:
            conn.executescript(_SCHEMA)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with closing(_connect(self.db_path)) as conn:
            yield conn

    def insert(self, values: dict[str, Any], created_by: str) -> dict[str, Any]:
        """Store one order; returns it as stored, with its receipt number (``S2026-000001``)."""
        now = datetime.now(JST)
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")  # serialises writers so the next id is ours
            try:
                next_id = int(conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM spa_orders").fetchone()[0])
                receipt_no = f"S{now.year}-{next_id:06d}"
                conn.execute(
                    f"INSERT INTO spa_orders (id, receipt_no, {_COLUMNS}, created_by, created_at)"
                    f" VALUES (?, ?, {', '.join('?' * len(ORDER_FIELDS))}, ?, ?)",
                    (next_id, receipt_no, *(values[name] for name in ORDER_FIELDS), created_by,
                     now.isoformat(timespec="seconds")),
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            row = conn.execute("SELECT * FROM spa_orders WHERE id = ?", (next_id,)).fetchone()
        return dict(row)

    def page(self, number: int, size: int, request_no: str = "") -> tuple[int, list[dict[str, Any]]]:
        """The total count and the orders of page ``number`` (1-based), oldest first; only those of
        ``request_no`` (依頼番号) when given."""
        where, params = ('WHERE "依頼番号" = ?', (request_no,)) if request_no else ("", ())
        with self._connection() as conn:
            total = int(conn.execute(f"SELECT COUNT(*) FROM spa_orders {where}", params).fetchone()[0])
            rows = conn.execute(f"SELECT * FROM spa_orders {where} ORDER BY id LIMIT ? OFFSET ?",
                                (*params, size, (number - 1) * size)).fetchall()
        return total, [dict(row) for row in rows]

    def all(self) -> list[dict[str, Any]]:
        """Every order, oldest first."""
        with self._connection() as conn:
            return [dict(row) for row in conn.execute("SELECT * FROM spa_orders ORDER BY id")]


def read_orders(db_path: Path) -> list[dict[str, Any]]:
    """Every stored order as plain dicts (Japanese column names), for tests and tools; [] before any."""
    if not Path(db_path).exists():
        return []
    with closing(_connect(Path(db_path))) as conn:
        try:
            return [dict(row) for row in conn.execute("SELECT * FROM spa_orders ORDER BY id")]
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise

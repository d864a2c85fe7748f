"""SQLite storage of received applications and the files attached to them.

WAL mode lets tests read the file (``read_all``) while the server writes. Each server thread keeps
its own connection, so a request never pays for opening one. ``submit_token`` is UNIQUE: a submit
token can create at most one row, whatever happens to sessions, retries or the process.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

JST = timezone(timedelta(hours=9), "JST")

# Order of the application fields, as on the entry form and in the CSV export.
FIELDS: tuple[str, ...] = (
    "氏名",
    "フリガナ",
    "生年月日",
    "性別",
    "郵便番号",
    "住所",
    "電話番号",
    "個人番号",
    "申請種別",
    "同意",
    "備考",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS applications (
    id INTEGER PRIMARY KEY,
    receipt_no TEXT NOT NULL UNIQUE,
    "氏名" TEXT NOT NULL,
    "フリガナ" TEXT NOT NULL,
    "生年月日" TEXT NOT NULL,
    "性別" TEXT NOT NULL,
    "郵便番号" TEXT NOT NULL,
    "住所" TEXT NOT NULL,
    "電話番号" TEXT NOT NULL,
    "個人番号" TEXT NOT NULL DEFAULT '',
    "申請種別" TEXT NOT NULL,
    "同意" INTEGER NOT NULL,
    "備考" TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    submit_token TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS applications_name_birth ON applications ("氏名", "生年月日");
CREATE TABLE IF NOT EXISTS attachments (
    id INTEGER PRIMARY KEY,
    receipt_no TEXT NOT NULL REFERENCES applications (receipt_no),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attachments_receipt ON attachments (receipt_no);
"""

_COLUMNS = ", ".join(f'"{name}"' for name in FIELDS)

# Columns added after the first release: a demo database created before them gets them on open.
_ADDED_COLUMNS: tuple[tuple[str, str], ...] = (("個人番号", "TEXT NOT NULL DEFAULT ''"),)


def _migrate(conn: sqlite3.Connection) -> None:
    """Add the columns an older demo database lacks (existing rows get the default)."""
    have = {str(row[1]) for row in conn.execute("PRAGMA table_info(applications)")}
    for name, decl in _ADDED_COLUMNS:
        if name not in have:
            try:
                conn.execute(f'ALTER TABLE applications ADD COLUMN "{name}" {decl}')
            except sqlite3.OperationalError as exc:  # another process opening the same file won the race
                if "duplicate column" not in str(exc):
                    raise


class DuplicateSubmit(Exception):
    """The submit token was already used; carries the receipt number it produced."""

    def __init__(self, receipt_no: str) -> None:
        super().__init__(receipt_no)
        self.receipt_no = receipt_no


def _connect(db_path: Path) -> sqlite3.Connection:
    # check_same_thread=False only so close_all() may run from the stopping thread;
    # in service each connection is used by its own thread alone.
    conn = sqlite3.connect(db_path, timeout=5.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def _rows(conn: sqlite3.Connection, where: str = "", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    sql = f"SELECT * FROM applications {where} ORDER BY id"
    return [dict(row) for row in conn.execute(sql, params)]


class ApplicationStore:
    """Thread-safe access to one applications database (one connection per thread)."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        with closing(_connect(self.db_path)) as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(_SCHEMA)
            _migrate(conn)

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.db_path)
            # WAL + NORMAL survives an application crash; only a power cut may lose the last commit.
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def insert(self, values: dict[str, Any], created_by: str, submit_token: str | None = None) -> str:
        """Store one application and return its receipt number, e.g. ``R2026-000123``.

        Raises ``DuplicateSubmit`` when ``submit_token`` already produced a row.
        """
        conn = self._conn()
        now = datetime.now(JST)
        conn.execute("BEGIN IMMEDIATE")  # serialises writers so the next id is ours
        try:
            if submit_token is not None:
                found = conn.execute(
                    "SELECT receipt_no FROM applications WHERE submit_token = ?", (submit_token,)
                ).fetchone()
                if found is not None:
                    raise DuplicateSubmit(str(found[0]))
            next_id = int(conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM applications").fetchone()[0])
            receipt_no = f"R{now.year}-{next_id:06d}"
            params = tuple(values.get(name, "") for name in FIELDS)
            conn.execute(
                f"INSERT INTO applications (id, receipt_no, {_COLUMNS}, created_by, created_at, submit_token)"
                f" VALUES (?, ?, {', '.join('?' * len(FIELDS))}, ?, ?, ?)",
                (next_id, receipt_no, *params, created_by, now.isoformat(timespec="seconds"), submit_token),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return receipt_no

    def receipt_for_token(self, submit_token: str) -> str | None:
        """The receipt number a submit token produced, if any."""
        row = (
            self._conn()
            .execute("SELECT receipt_no FROM applications WHERE submit_token = ?", (submit_token,))
            .fetchone()
        )
        return None if row is None else str(row[0])

    def get(self, receipt_no: str) -> dict[str, Any] | None:
        """One application by receipt number."""
        rows = _rows(self._conn(), "WHERE receipt_no = ?", (receipt_no,))
        return rows[0] if rows else None

    def search(self, shimei: str = "", birth: str = "") -> list[dict[str, Any]]:
        """Applications matching the given name (spaces ignored) and/or birth date; both empty → none."""
        clauses: list[str] = []
        params: list[str] = []
        if shimei:
            clauses.append("""REPLACE(REPLACE("氏名", ' ', ''), '　', '') = ?""")
            params.append(shimei.replace(" ", "").replace("　", ""))
        if birth:
            clauses.append('"生年月日" = ?')
            params.append(birth)
        if not clauses:
            return []
        return _rows(self._conn(), "WHERE " + " AND ".join(clauses), tuple(params))

    def list_all(self) -> list[dict[str, Any]]:
        """Every application, oldest first."""
        return _rows(self._conn())

    def iter_all(self) -> Iterator[dict[str, Any]]:
        """Every application, oldest first, without loading them all at once."""
        for row in self._conn().execute("SELECT * FROM applications ORDER BY id"):
            yield dict(row)

    def add_attachment(self, receipt_no: str, filename: str, content_type: str, content: bytes,
                       uploaded_by: str) -> dict[str, Any]:
        """Record one attached file of an application; returns the stored row.

        Only what identifies the file is kept (name, size, SHA-256): the demo has no document store.
        """
        conn = self._conn()
        now = datetime.now(JST).isoformat(timespec="seconds")
        digest = hashlib.sha256(content).hexdigest()
        cursor = conn.execute(
            "INSERT INTO attachments (receipt_no, filename, content_type, size, sha256, uploaded_by, uploaded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (receipt_no, filename, content_type, len(content), digest, uploaded_by, now),
        )
        found = self.get_attachment(int(cursor.lastrowid or 0))
        if found is None:  # cannot happen in autocommit mode; keeps the type honest
            raise sqlite3.DatabaseError("attachment row vanished after insert")
        return found

    def get_attachment(self, attachment_id: int) -> dict[str, Any] | None:
        """One attachment row by id."""
        row = self._conn().execute("SELECT * FROM attachments WHERE id = ?", (attachment_id,)).fetchone()
        return None if row is None else dict(row)

    def count(self) -> int:
        """Number of stored applications."""
        return int(self._conn().execute("SELECT COUNT(*) FROM applications").fetchone()[0])

    def close(self) -> None:
        """Close every thread's connection (call once the server threads have stopped)."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()


def _read(db_path: Path, sql: str) -> list[dict[str, Any]]:
    if not Path(db_path).exists():
        return []
    with closing(_connect(Path(db_path))) as conn:
        try:
            return [dict(row) for row in conn.execute(sql)]
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise


def read_all(db_path: Path) -> list[dict[str, Any]]:
    """Every stored application as plain dicts (Japanese column names), for tests and tools.

    A database no server has opened since a column was added reads as if it had the column (empty).
    """
    rows = _read(db_path, "SELECT * FROM applications ORDER BY id")
    for row in rows:
        for name, _ in _ADDED_COLUMNS:
            row.setdefault(name, "")
    return rows


def read_attachments(db_path: Path) -> list[dict[str, Any]]:
    """Every attachment row (receipt_no, filename, size, sha256, uploaded_at, …), oldest first."""
    return _read(db_path, "SELECT * FROM attachments ORDER BY id")

"""The desktop demo's store: the web demo's SQLite schema, so both systems hold the same records.

Tests read it back with ``read_all`` while the app runs (WAL mode).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kazaguruma_demo.web.store import ApplicationStore
from kazaguruma_demo.web.store import read_all as _read_all

__all__ = ["ApplicationStore", "read_all", "find"]


def read_all(db_path: Path) -> list[dict[str, Any]]:
    """Every stored application, oldest first (Japanese column names, ``receipt_no``)."""
    return _read_all(db_path)


def find(db_path: Path, receipt_no: str) -> dict[str, Any] | None:
    """The application stored under ``receipt_no``, if any."""
    return next((row for row in read_all(db_path) if row["receipt_no"] == receipt_no), None)

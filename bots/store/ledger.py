"""The audit ledger's head per ledger folder, kept in the store as an independent copy.

The head only moves forward: a lower sequence number, or the same number with another hash,
means the ledger was rewound or forked, and is refused rather than recorded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from bots.errors import StoreError
from bots.i18n import tr
from bots.store.rows import LedgerHead
from bots.store.schema import LedgerHeadRow

_TABLE = cast(Table, LedgerHeadRow.__table__)


def set_head(session: Session, folder_id: str, seq: int, hash: str) -> None:
    """Move the head forward in one conditional upsert, so concurrent writers cannot rewind it; a lower
    or forked head raises StoreError, the same head again is fine."""
    values = {"folder_id": folder_id, "seq": seq, "hash": hash, "updated_at": dt.datetime.now(dt.UTC)}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(_TABLE).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[_TABLE.c.folder_id],
        set_={name: statement.excluded[name] for name in ("seq", "hash", "updated_at")},
        where=_TABLE.c.seq < statement.excluded.seq,
    )
    result = cast(CursorResult[Any], session.execute(statement))
    if result.rowcount == 1:
        return
    current = get_head(session, folder_id)
    if current is not None and (current.seq, current.hash) == (seq, hash):
        return  # the same head reported twice
    raise StoreError(tr(
        "監査台帳 {f} の先頭が後退または分岐しています（記録済み {a}、新しい値 {b}）",
        "the audit ledger {f} went backwards or forked (stored seq {a}, new seq {b})",
        f=folder_id, a=current.seq if current else "-", b=seq))


def all_heads(session: Session) -> list[LedgerHead]:
    """Every ledger folder's head, by folder id (what ``audit verify`` checks truncation against)."""
    rows = session.scalars(select(LedgerHeadRow).order_by(LedgerHeadRow.folder_id))
    return [LedgerHead(folder_id=r.folder_id, seq=r.seq, hash=r.hash, updated_at=r.updated_at) for r in rows]


def get_head(session: Session, folder_id: str) -> LedgerHead | None:
    """The head recorded for ``folder_id``; None if that ledger never reported one."""
    row = session.scalars(select(LedgerHeadRow).where(LedgerHeadRow.folder_id == folder_id)).one_or_none()
    if row is None:
        return None
    return LedgerHead(folder_id=row.folder_id, seq=row.seq, hash=row.hash, updated_at=row.updated_at)

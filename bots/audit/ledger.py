"""The tamper-evident audit ledger: what happened, provably unaltered. Separate from debug logs.

One folder, one writer, one JSON line per event in daily files ``ledger-YYYY-MM-DD.jsonl``::

    {"actor":"scheduler","data":{…},"hash":"…","mac":"…","prev":"…","run_id":"…","seq":42,
     "ts":"2026-04-01T09:00:00.123+09:00","type":"record_keyed"}

``seq`` counts from 1 across all files; ``prev`` is the previous entry's ``hash`` (the first
entry's is :data:`GENESIS`, the first entry of a day chains to the previous day's last);
``hash`` is SHA-256 of the canonical JSON of the entry without ``hash``/``mac``; ``mac`` is an
HMAC-SHA256 of the same bytes when a key is configured, so that rewriting the whole chain with
recomputed hashes is detected too. Old days are gzipped in place and still verified.

    with LedgerWriter(folder, key=key) as ledger:
        ledger.append("run_started", "scheduler", run_id, {"flow": "shinsei-nyuryoku"})
        store.save_head(ledger.synced_head)
    report = verify(folder, key=key, expected_head=store.head())
    print(report.message)   # 改ざんは検出されませんでした
"""

from __future__ import annotations

from bots.audit.archive import archive
from bots.audit.entry import GENESIS, GENESIS_HEAD, Entry, EventType, Flaw, Head, canonical
from bots.audit.verify import Problem, VerifyReport, verify
from bots.audit.writer import FsyncPolicy, LedgerWriter, local_now
from bots.errors import LedgerCorrupt, LedgerError, LedgerLocked

__all__ = [
    "GENESIS", "GENESIS_HEAD", "Entry", "EventType", "Flaw", "FsyncPolicy", "Head", "LedgerCorrupt",
    "LedgerError", "LedgerLocked", "LedgerWriter", "Problem", "VerifyReport", "archive", "canonical", "local_now",
    "verify",
]

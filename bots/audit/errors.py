"""Errors of the audit ledger. All stop the caller: a run that cannot be audited must not go on.

::

    KazagurumaError
    └── LedgerError            exit 3  the ledger cannot be opened or written
        ├── LedgerLocked               another process owns the ledger folder
        └── LedgerCorrupt              the ledger's tail is damaged; run ``verify`` and resolve by hand
"""

from __future__ import annotations

from bots.errors import KazagurumaError


class LedgerError(KazagurumaError):
    """The audit ledger cannot be opened, written or archived."""


class LedgerLocked(LedgerError):
    """Another writer (process) holds the ledger folder's lock."""


class LedgerCorrupt(LedgerError):
    """The last complete entry does not verify; appending would hide the damage."""

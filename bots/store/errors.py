"""Errors of the run store. Both stop the caller: a run that cannot be recorded must not pass
silently (the audit trail is not optional)."""

from __future__ import annotations

from bots.errors import KazagurumaError


class StoreError(KazagurumaError):
    """The run store could not be opened, read or written (exit 3)."""


class StoreVersionError(StoreError):
    """The database was migrated by a newer Kazaguruma than this one; refuse rather than guess."""

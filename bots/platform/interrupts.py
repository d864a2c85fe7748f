"""Whether "abort now" may cut this process off at this moment.

A second Ctrl+C means "abort now" — while records are being keyed. Once the last record is
settled, the run writes what it leaves behind (the results workbook, the final run record, the
ledger's last entry); cutting that off would lose the results of a run that is already over.
The engine marks that stretch with :func:`settling`; the signal handler
(:mod:`bots.api.signals`) asks :func:`is_settling` and then only warns, unless asked once more.

Process-wide on purpose: signal handlers are process-wide, and runs in other threads (the
scheduler's) settle too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0


@contextmanager
def settling() -> Iterator[None]:
    """Mark the end of a run (writing its results) as not to be cut off by a second stop request."""
    global _depth
    with _lock:
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1


def is_settling() -> bool:
    """True while some run of this process writes its results (see :func:`settling`)."""
    return _depth > 0

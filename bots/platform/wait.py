"""The one wait: poll a condition until it holds or time runs out, re-raising the last real cause.

Desktop and OCR steps cannot ask the target system to tell them when it is ready (no DOM, no
events), so they poll. The interval is short and fixed; a failing probe is remembered, so a
timeout says *why* it kept failing ("window not found") instead of a bare "timed out".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from bots.errors import StepError, StepTimeout
from bots.i18n import tr

T = TypeVar("T")

#: Set by the abort hotkey: waits end at once (the run stops after the current step).
_never = threading.Event()


def wait_until(probe: Callable[[], T | None], timeout: float, interval: float = 0.05, *, what: str,
               cancel: threading.Event | None = None) -> T:
    """``probe()`` until it returns something other than None/False; that value is returned.

    A :class:`StepError` from the probe counts as "not yet"; the last one is re-raised at the
    deadline. The probe always runs at least once, even with ``timeout=0``.
    """
    deadline = time.monotonic() + max(0.0, timeout)
    stop = cancel or _never
    last: StepError | None = None
    while True:
        try:
            value = probe()
            if value is not None and value is not False:
                return value
            last = None
        except StepError as exc:
            last = exc
        remaining = deadline - time.monotonic()
        if remaining <= 0 or stop.is_set():
            if last is not None:
                raise last
            raise StepTimeout(tr("{w}: {t:.1f}秒待っても条件が満たされませんでした", "{w}: not met within {t:.1f}s",
                                 w=what, t=timeout))
        stop.wait(min(interval, remaining))

"""The status reporter: one context manager around every step (Robot Framework's ``StatusReporter``).

It stamps the start and the elapsed time, tells the listeners that the step started and how it
ended, and maps whatever ended it to a status — once, on one path::

    with StatusReporter(listeners, step, depth) as status:
        ...                 # returns normally → PASS, or status.skip() → SKIP
                            # raises           → FAIL with the exception's message and kind

The exception is never swallowed: deciding what a failure means for the record (retry, 失敗,
要確認) is the caller's business; reporting it is this module's.
"""

from __future__ import annotations

import datetime as dt
import time
from types import TracebackType
from typing import TYPE_CHECKING

from bots.errors import error_kind
from bots.results.model import Status, StepResult

if TYPE_CHECKING:
    from bots.flow.steps import StepBase
    from bots.results.listener import RunListener


class StatusReporter:
    """Reports one step's start and end to the listeners; see the module docstring."""

    def __init__(self, listeners: RunListener, step: StepBase, depth: int) -> None:
        self.listeners = listeners
        self.step = step
        self.depth = depth
        self.attempt = 1
        self._skipped = False
        self._started = dt.datetime.now().astimezone()
        self._t0 = time.perf_counter()

    def skip(self) -> None:
        """The step was not run (its condition was false, a dry run held it back)."""
        self._skipped = True

    def __enter__(self) -> StatusReporter:
        self.listeners.step_started(self.step.action, self.step.label, self.depth)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is not None:
            status, error, error_kind_ = Status.FAIL, str(exc) or type(exc).__name__, str(error_kind(exc))
        else:
            status, error, error_kind_ = (Status.SKIP if self._skipped else Status.PASS), None, None
        result = StepResult(self.step.action, self.step.label, status, self._started,
                            time.perf_counter() - self._t0, self.attempt, error, error_kind_)
        self.listeners.step_finished(result, self.depth)

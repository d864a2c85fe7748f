"""Small value types shared by flow, selector and schedule models."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from bots.i18n import tr

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h)?\s*$")
#: The longest duration a file may give (a year): ``.inf`` or 1e300 s would overflow timers and unbound waits.
MAX_DURATION_S = 366 * 24 * 3600.0
_UNIT_SECONDS = {None: 1.0, "s": 1.0, "sec": 1.0, "ms": 0.001, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_duration(value: Any) -> float:
    """``"500ms"``, ``"5s"``, ``"2m"``, ``"1h"`` or a number of seconds → seconds."""
    if isinstance(value, bool):
        raise ValueError(tr("時間は 5s / 500ms / 2m のように書いてください", "write a duration like 5s, 500ms or 2m"))
    if isinstance(value, (int, float)):
        seconds = float(value) if isinstance(value, float) or abs(value) < 10**20 else float("inf")
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    else:
        raise ValueError(tr("時間は 5s / 500ms / 2m のように書いてください", "write a duration like 5s, 500ms or 2m"))
    if seconds < 0:
        raise ValueError(tr("時間は0以上にしてください", "a duration must not be negative"))
    if not seconds <= MAX_DURATION_S:  # also NaN and .inf: every wait needs a real bound, and timers overflow
        raise ValueError(tr("時間が長すぎます（上限 {h:g}h）", "the duration is too long (limit {h:g}h)",
                            h=MAX_DURATION_S / 3600))
    return seconds


#: Seconds, written in YAML as ``5s``, ``500ms``, ``2m`` or a plain number.
Duration = Annotated[float, BeforeValidator(parse_duration)]

#: What ``retry: {on: [...]}`` may name: every kind a step can raise (``bots.errors.ErrorKind.retryable()``,
#: kept equal by a unit test) and ``any``. A Literal so a misspelt kind gets a "did you mean" diagnostic.
RetryOn = Literal[
    "timeout", "element_not_found", "target_system", "session_expired", "expectation", "input_record", "fail",
    "focus_lost", "screen_mismatch", "selector_drift", "step", "any",
]


class FrozenModel(BaseModel):
    """Base of every input model: unknown keys are errors, loaded values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RetryPolicy(FrozenModel):
    """Declarative retry (Ansible's retries/delay): which error kinds, how often, how long between."""

    attempts: int = Field(3, ge=1, le=50)
    backoff: Duration = 1.0
    factor: float = Field(2.0, ge=1.0, le=10.0)
    max_backoff: Duration = 30.0
    on: tuple[RetryOn, ...] = ("timeout", "target_system", "element_not_found")

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before ``attempt`` (2, 3, …)."""
        return float(min(self.max_backoff, self.backoff * self.factor ** max(0, attempt - 2)))

    def matches(self, kind: str) -> bool:
        """Whether an error of ``kind`` is retried (``any`` retries every kind)."""
        return "any" in self.on or kind in self.on

"""A schedule's inputs for one fire: ``{date:%Y%m%d}`` patterns filled from the fire time.

The fire time, not the moment the run starts, names the day: a catch-up at 08:00 of a run due
at 22:00 the evening before reads the evening before's folder.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bots.schedule.model import Schedule


def inputs_for(schedule: Schedule, fire_time: dt.datetime) -> dict[str, Any]:
    """The flow inputs of the run due at ``fire_time`` (shown in the schedule's time zone)."""
    local = fire_time.astimezone(schedule.trigger.zone)
    return {name: value.format(date=local) if isinstance(value, str) else value
            for name, value in schedule.inputs.items()}

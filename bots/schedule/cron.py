"""Five-field crontab lines (分 時 日 月 曜日) as APScheduler triggers, with standard weekday numbers.

Its own module because both the schedule model (checking a ``cron:`` at load time) and the
calendar trigger (firing it) need it.
"""

from __future__ import annotations

import datetime as dt

from apscheduler.triggers.cron import CronTrigger

_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekday_names(field: str) -> str:
    """Crontab weekdays (0/7 = Sunday) as names: APScheduler 3 reads ``1`` as Tuesday."""
    names: list[str] = []
    for part in field.split(","):
        body, _, step = part.partition("/")
        if not body[:1].isdigit():
            return field  # "*", "*/2" or names: nothing numeric to translate
        low, _, high = body.partition("-")
        numbers = range(int(low), int(high or low) + 1, int(step or 1))
        if not numbers or max(numbers) > 7:
            raise ValueError(f"day of week out of range: {part}")
        names.extend(_CRON_DAYS[n] for n in numbers)
    return ",".join(dict.fromkeys(names))


def cron_trigger(expression: str, zone: dt.tzinfo) -> CronTrigger:
    """A five-field crontab line (分 時 日 月 曜日) with standard weekday numbering."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields, got {len(fields)}")
    minute, hour, day, month, weekday = fields
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=_weekday_names(weekday),
                       timezone=zone)

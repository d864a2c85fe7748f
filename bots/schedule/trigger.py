"""An APScheduler 3 trigger with the business calendar applied, shared by the daemon and
``schedule next`` so that what is listed is what runs.

The base trigger (cron, interval or date) proposes fire times; a time on a closed day is
skipped or moved to the same clock time on the previous or next open day. Moving is monotone,
so the first proposal whose moved time lies after the previous fire time is the next one, and
several closed days moved onto one open day fire once.

APScheduler pickles triggers into its job store: this one pickles as plain data (the schedule's
trigger and calendar sections) and rebuilds itself, so a stored job survives code changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bots.schedule.calendar import BusinessCalendar
from bots.schedule.cron import cron_trigger
from bots.schedule.model import CalendarSpec, TriggerSpec

_ONE_US = dt.timedelta(microseconds=1)
#: Give up looking after this many proposals or this far ahead (a cron only on closed days).
_MAX_STEPS = 5000
_MAX_AHEAD = dt.timedelta(days=800)
@dataclass(frozen=True)
class PlannedFire:
    """A fire time, and the base time it was moved from by the closed-day policy (or None)."""

    at: dt.datetime
    moved_from: dt.datetime | None = None


class CalendarTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 ships no type hints
    """A base trigger (cron, interval or once) with the business calendar applied."""

    def __init__(self, spec: TriggerSpec, calendar: CalendarSpec, start: dt.datetime | None = None) -> None:
        self._setup(spec, calendar, start or dt.datetime.now(spec.zone))

    def _setup(self, spec: TriggerSpec, calendar: CalendarSpec, start: dt.datetime) -> None:
        self.spec, self.calendar_spec, self.start = spec, calendar, start
        self.calendar = BusinessCalendar(calendar)
        zone = spec.zone
        self._base: BaseTrigger | None = None
        if spec.cron is not None:
            self._base = cron_trigger(spec.cron, zone)
        elif spec.every is not None:
            self._base = IntervalTrigger(seconds=spec.every, start_date=start, timezone=zone)

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1, "trigger": self.spec.model_dump(mode="json"),
                "calendar": self.calendar_spec.model_dump(mode="json", by_alias=True),
                "start": self.start.isoformat()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._setup(TriggerSpec.model_validate(state["trigger"]), CalendarSpec.model_validate(state["calendar"]),
                    dt.datetime.fromisoformat(state["start"]))

    def __str__(self) -> str:
        what = self.spec.cron or (f"every {self.spec.every:g}s" if self.spec.every else f"at {self.spec.at}")
        return f"calendar[{what}, {self.calendar_spec.on_closed_day}]"

    def _proposal(self, cursor: dt.datetime) -> dt.datetime | None:
        """The base trigger's first time at or after ``cursor``."""
        if self._base is not None:
            found: dt.datetime | None = self._base.get_next_fire_time(None, cursor)
            return found.astimezone(self.spec.zone) if found else None
        at = self.spec.at
        if at is None:
            return None
        at = at if at.tzinfo else at.replace(tzinfo=self.spec.zone)
        return at if at >= cursor else None

    def next_fire(self, previous: dt.datetime | None, now: dt.datetime) -> PlannedFire | None:
        """The next fire strictly after ``previous`` (or at/after ``now`` without one)."""
        zone = self.spec.zone
        floor = (previous or now).astimezone(zone)
        cursor = floor
        policy = self.calendar_spec.on_closed_day
        if policy == "next":  # a base time in the closed days just before may move to after floor
            first = self.calendar.closed_run_before(floor.date())
            cursor = min(floor, dt.datetime.combine(first, dt.time(), zone))
        for _ in range(_MAX_STEPS):
            base = self._proposal(cursor)
            if base is None or base - floor > _MAX_AHEAD:
                return None
            day = self.calendar.shift(base.date(), policy)
            if day is None:  # skipped: nothing else on this day can fire either
                cursor = dt.datetime.combine(base.date() + dt.timedelta(days=1), dt.time(), zone)
                continue
            at = base if day == base.date() else base.replace(year=day.year, month=day.month, day=day.day)
            if at > floor or (previous is None and at == floor):
                return PlannedFire(at, None if at == base else base)
            cursor = base + _ONE_US
        return None

    def get_next_fire_time(self, previous_fire_time: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
        """APScheduler's entry point: :meth:`next_fire` without the moved-from time."""
        fire = self.next_fire(previous_fire_time, now)
        return fire.at if fire else None

    def upcoming(self, now: dt.datetime, until: dt.datetime) -> list[PlannedFire]:
        """Every fire from ``now`` up to ``until`` (for ``schedule next``)."""
        fires: list[PlannedFire] = []
        fire = self.next_fire(None, now)
        while fire is not None and fire.at <= until and len(fires) < _MAX_STEPS:
            fires.append(fire)
            fire = self.next_fire(fire.at, now)
        return fires

    def between(self, first: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
        """Fire times from ``first`` (a stored fire time, included) up to ``until``: the fires
        a stopped daemon missed."""
        times: list[dt.datetime] = []
        at: dt.datetime | None = first.astimezone(self.spec.zone)
        while at is not None and at <= until and len(times) < _MAX_STEPS:
            times.append(at)
            at = self.get_next_fire_time(at, until)
        return times

    def moved_before(self, after: dt.datetime, until: dt.datetime | None) -> list[PlannedFire]:
        """Base times in (after, until) that ``previous`` moved to a time before ``after``: computed
        at ``after``, those fires were already behind and never run (the daemon audits them). A
        time that is an open day's own base time is left out: the moved fire merges with that one."""
        found: list[PlannedFire] = []
        if self.calendar_spec.on_closed_day != "previous":
            return found
        cursor = after + _ONE_US
        for _ in range(_MAX_STEPS):
            base = self._proposal(cursor)
            if base is None or (until is not None and base >= until) or base - after > _MAX_AHEAD or len(found) >= 50:
                break
            cursor = base + _ONE_US
            day = self.calendar.shift(base.date(), "previous")
            if day is not None and day != base.date():
                at = base.replace(year=day.year, month=day.month, day=day.day)
                if at < after and self._proposal(at) != at:
                    found.append(PlannedFire(at, base))
        return found

    def skipped_between(self, after: dt.datetime, before: dt.datetime) -> list[tuple[dt.datetime, str]]:
        """Base times in (after, before) that a closed day skipped or moved, with the reason."""
        found: list[tuple[dt.datetime, str]] = []
        cursor = after + _ONE_US
        while len(found) < 50:
            base = self._proposal(cursor)
            if base is None or base >= before:
                break
            reason = self.calendar.closed_reason(base.date())
            cursor = base + _ONE_US
            if reason is not None:  # one entry a day (an interval proposes many)
                found.append((base, reason))
                cursor = dt.datetime.combine(base.date() + dt.timedelta(days=1), dt.time(), self.spec.zone)
        return found

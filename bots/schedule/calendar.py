"""The business calendar of a 役所: weekends, 国民の祝日 and 振替休日 (jpholiday, offline), the
年末年始 closure 12/29–1/3, extra closed days and blackout periods.

Pure date logic with no clock of its own, so it is tested against known dates across years.
"""

from __future__ import annotations

import datetime as dt

import jpholiday

from bots.i18n import tr
from bots.schedule.model import CalendarSpec, ClosedDayPolicy

#: How far previous/next looks for an open day (a blackout of several months still ends).
MAX_SHIFT_DAYS = 400
_WEEKDAYS = "月火水木金土日"


def weekday_ja(day: dt.date) -> str:
    """The one-kanji weekday (月…日) that Japanese dates carry, as in ``2026-12-28(月)``."""
    return _WEEKDAYS[day.weekday()]


def is_year_end(day: dt.date) -> bool:
    """Whether ``day`` is in the 年末年始 closure (12/29–1/3): offices close, mostly on no holiday."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


class BusinessCalendar:
    """Which days a 役所 is open, per a schedule's ``calendar`` section: where a fire time may land."""

    def __init__(self, spec: CalendarSpec | None = None) -> None:
        self.spec = spec or CalendarSpec()
        self._closed = frozenset(self.spec.closed_days)

    def closed_reason(self, day: dt.date) -> str | None:
        """Why no run happens on ``day`` (in the current language), or None on an open day."""
        spec = self.spec
        if day in self._closed:
            return tr("休業日", "closed day")
        for blackout in spec.blackouts:
            if blackout.start <= day <= blackout.end:
                return blackout.reason
        if not spec.business_days_only:
            return None
        if spec.year_end_closure and is_year_end(day):
            return tr("年末年始", "year-end closure")
        holiday = jpholiday.is_holiday_name(day)
        if holiday:
            return str(holiday)
        if day.weekday() >= 5:
            return tr("{w}曜日", "weekend", w=weekday_ja(day))
        return None

    def is_open(self, day: dt.date) -> bool:
        """Whether runs may happen on ``day`` (see :meth:`closed_reason` for why not)."""
        return self.closed_reason(day) is None

    def shift(self, day: dt.date, policy: ClosedDayPolicy) -> dt.date | None:
        """The day a run planned on ``day`` happens: the day itself when open; when closed,
        None (skip) or the previous/next open day (None when none within MAX_SHIFT_DAYS)."""
        if self.is_open(day):
            return day
        if policy == "skip":
            return None
        step = dt.timedelta(days=-1 if policy == "previous" else 1)
        candidate = day
        for _ in range(MAX_SHIFT_DAYS):
            candidate += step
            if self.is_open(candidate):
                return candidate
        return None

    def closed_run_before(self, day: dt.date) -> dt.date:
        """The first day of the stretch of closed days that ends just before ``day`` (``day``
        itself when the day before is open): where a 'next' policy can move runs from."""
        start = day
        for _ in range(MAX_SHIFT_DAYS):
            before = start - dt.timedelta(days=1)
            if self.is_open(before):
                break
            start = before
        return start

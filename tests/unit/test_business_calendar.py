"""The business calendar against known dates across several years: weekends, 国民の祝日,
振替休日, 国民の休日, 年末年始 (12/29–1/3), extra closed days and blackout periods."""

from __future__ import annotations

import datetime as dt

import pytest

from bots.schedule.calendar import BusinessCalendar
from bots.schedule.model import Blackout, CalendarSpec

D = dt.date.fromisoformat
TAX_SEASON = Blackout.model_validate({"from": "2027-05-10", "to": "2027-05-31", "reason": "当初課税の繁忙期"})
CITY = BusinessCalendar(CalendarSpec(closed_days=(D("2027-03-31"),), blackouts=(TAX_SEASON,)))

# (date, reason or None when open) — reasons are what staff read in ``schedule next``.
KNOWN = [
    ("2024-02-09", None),                           # Friday before a substitute holiday
    ("2024-02-12", "建国記念の日 振替休日"),          # 2/11 was a Sunday
    ("2025-05-06", "みどりの日 振替休日"),            # 5/4 Sunday → 5/6
    ("2025-11-24", "勤労感謝の日 振替休日"),
    ("2026-05-06", "憲法記念日 振替休日"),            # 5/3 Sunday: the substitute falls after 5/4, 5/5
    ("2026-05-07", None),
    ("2026-09-22", "国民の休日"),                    # between 敬老の日 and 秋分の日
    ("2026-11-23", "勤労感謝の日"),
    ("2026-11-27", None),                           # an ordinary Friday
    ("2026-11-28", "土曜日"),
    ("2026-11-29", "日曜日"),
    ("2026-12-28", None),                           # the last business day of the year
    ("2026-12-29", "年末年始"),
    ("2026-12-31", "年末年始"),
    ("2027-01-01", "年末年始"),                      # 元日, inside the closure
    ("2027-01-03", "年末年始"),
    ("2027-01-04", None),                           # 仕事始め
    ("2027-01-11", "成人の日"),                      # second Monday of January
    ("2027-03-22", "春分の日 振替休日"),
    ("2027-03-31", "休業日"),                        # an extra closed day of this city
    ("2027-05-07", None),
    ("2027-05-10", "当初課税の繁忙期"),               # blackout, first day
    ("2027-05-31", "当初課税の繁忙期"),               # blackout, last day
    ("2027-06-01", None),
    ("2028-01-10", "成人の日"),
]


@pytest.mark.parametrize(("day", "reason"), KNOWN, ids=[d for d, _ in KNOWN])
def test_known_dates(day: str, reason: str | None) -> None:
    assert CITY.closed_reason(D(day)) == reason
    assert CITY.is_open(D(day)) is (reason is None)


# (planned day, policy, the day it runs or None)
SHIFTS = [
    ("2026-11-27", "skip", "2026-11-27"),          # open days never move
    ("2026-11-28", "skip", None),
    ("2026-11-28", "previous", "2026-11-27"),
    ("2026-11-28", "next", "2026-11-30"),
    ("2026-12-29", "previous", "2026-12-28"),       # 年末年始 → last business day of the year
    ("2026-12-29", "next", "2027-01-04"),           # … or 仕事始め
    ("2027-01-02", "previous", "2026-12-28"),
    ("2026-05-02", "next", "2026-05-07"),           # Golden Week: Sat, 憲法記念日, みどりの日, こどもの日, 振替休日
    ("2026-05-06", "previous", "2026-05-01"),
    ("2024-02-12", "next", "2024-02-13"),           # 振替休日 Monday → Tuesday
    ("2024-02-12", "previous", "2024-02-09"),
    ("2027-05-15", "next", "2027-06-01"),           # out of the blackout
    ("2027-05-10", "previous", "2027-05-07"),
    ("2027-03-31", "next", "2027-04-01"),
]


@pytest.mark.parametrize(("day", "policy", "runs_on"), SHIFTS, ids=[f"{d}-{p}" for d, p, _ in SHIFTS])
def test_closed_day_policy(day: str, policy: str, runs_on: str | None) -> None:
    assert CITY.shift(D(day), policy) == (D(runs_on) if runs_on else None)  # type: ignore[arg-type]


def test_without_business_days_only_only_the_declared_closures_count() -> None:
    every_day = BusinessCalendar(CalendarSpec(business_days_only=False, blackouts=(TAX_SEASON,)))
    assert every_day.is_open(D("2026-11-28")) and every_day.is_open(D("2027-01-01"))
    assert every_day.closed_reason(D("2027-05-20")) == "当初課税の繁忙期"


def test_year_end_closure_can_be_switched_off_but_holidays_stay() -> None:
    open_year_end = BusinessCalendar(CalendarSpec(year_end_closure=False))
    assert open_year_end.is_open(D("2026-12-29")) and open_year_end.is_open(D("2026-12-30"))
    assert open_year_end.closed_reason(D("2027-01-01")) == "元日"


def test_a_blackout_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="to は from 以降"):
        Blackout.model_validate({"from": "2027-05-31", "to": "2027-05-10"})


def test_closed_run_before_finds_the_start_of_a_closed_stretch() -> None:
    assert CITY.closed_run_before(D("2027-01-04")) == D("2026-12-29")
    assert CITY.closed_run_before(D("2026-11-30")) == D("2026-11-28")
    assert CITY.closed_run_before(D("2026-11-27")) == D("2026-11-27")

"""``on_closed_day: previous`` can move a fire to a time already past when it is computed: such
a fire never runs, so the daemon must record it as a miss — but not a moved fire that merges
with one that does run (several closed days moved onto one open day)."""

from __future__ import annotations

import datetime as dt

from bots.schedule.misses import lost_moves
from bots.schedule.model import CalendarSpec, TriggerSpec
from bots.schedule.trigger import CalendarTrigger

JST = dt.timezone(dt.timedelta(hours=9))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=JST)


def trigger(cron: str, policy: str = "previous", **calendar: object) -> CalendarTrigger:
    return CalendarTrigger(TriggerSpec(cron=cron), CalendarSpec.model_validate({"on_closed_day": policy, **calendar}))


def test_a_weekly_run_moved_before_now_by_a_holiday_is_lost() -> None:
    # Computed on Saturday 2027-01-09: Monday 1/11 is 成人の日, its run moves to Friday 1/8 22:00 — past.
    weekly = trigger("0 22 * * 1")
    now = at("2027-01-09T10:00")
    first = weekly.get_next_fire_time(None, now)
    assert first == at("2027-01-18T22:00")
    assert [(f.at, f.moved_from) for f in weekly.moved_before(now, first)] == [(at("2027-01-08T22:00"),
                                                                                at("2027-01-11T22:00"))]
    assert lost_moves(weekly, now, first, None, None, set()) == [at("2027-01-08T22:00")]
    assert lost_moves(weekly, now, first, None, None, {at("2027-01-08T22:00")}) == []  # decided already


def test_a_closed_day_added_after_the_moved_time_is_lost_but_not_one_the_earlier_version_ran() -> None:
    # Saturday 12/5: Monday 12/7 is made a closed day; its run moves to Friday 12/4 22:00.
    now = at("2026-12-05T10:00")
    before = trigger("0 22 * * 1")
    after = trigger("0 22 * * 1", closed_days=["2026-12-07"])
    first = after.get_next_fire_time(None, now)
    # The earlier version would have run on Monday: nobody ran Friday 22:00.
    assert lost_moves(after, now, first, before, at("2026-12-07T22:00"), set()) == [at("2026-12-04T22:00")]
    # The closed day was there already: the earlier chain ran Friday 22:00 (its next run is past it).
    assert lost_moves(after, now, first, after, at("2026-12-14T22:00"), set()) == []


def test_a_fire_the_chain_moves_behind_its_last_run_is_lost() -> None:
    # Every 7 h from Friday 00:00: Friday runs at 0, 7, 14, 21 h, and at 22 h (Sunday 22:00 moved there).
    # Saturday 04:00 moves to Friday 04:00, behind those runs and no run of its own: never run.
    every = CalendarTrigger(TriggerSpec(every=7 * 3600), CalendarSpec(on_closed_day="previous"),
                            start=at("2026-12-04T00:00"))
    assert every.get_next_fire_time(at("2026-12-04T21:00"), at("2026-12-04T21:00")) == at("2026-12-04T22:00")
    friday = at("2026-12-04T22:00")
    following = every.get_next_fire_time(friday, friday)
    assert following == at("2026-12-07T05:00")
    lost = lost_moves(every, friday, following, every, None, set())
    assert [t.hour for t in lost] == [1, 4, 8, 11, 15, 18] and {t.date() for t in lost} == {dt.date(2026, 12, 4)}


def test_fires_merged_onto_a_run_that_happens_are_not_misses() -> None:
    # Daily: Saturday's and Sunday's runs merge with Friday 22:00's own run.
    daily = trigger("0 22 * * *")
    saturday = at("2026-12-05T10:00")
    assert daily.moved_before(saturday, daily.get_next_fire_time(None, saturday)) == []
    # Weekend only: Sunday 9:00 moves to Friday 9:00, which Saturday 9:00 already moved there and ran.
    weekend = trigger("0 9,22 * * 6,0")
    friday = at("2026-12-04T22:00")
    following = weekend.get_next_fire_time(friday, friday)
    assert following == at("2026-12-11T09:00")
    assert [f.at for f in weekend.moved_before(friday, following)] == [at("2026-12-04T09:00")] * 2  # Sat, Sun
    assert lost_moves(weekend, friday, following, weekend, None, set()) == []


def test_only_the_previous_policy_moves_backwards() -> None:
    for policy in ("skip", "next"):
        weekly = trigger("0 22 * * 1", policy)
        now = at("2027-01-09T10:00")
        assert weekly.moved_before(now, weekly.get_next_fire_time(None, now)) == []

"""The calendar trigger that both ``schedule next`` and the daemon use, with an injected clock:
fire times over known weeks, each closed-day policy, crontab weekday numbering, what a stopped
daemon missed and what is decided about it, and the inputs of a fire time's day."""

from __future__ import annotations

import datetime as dt
import pickle
from zoneinfo import ZoneInfo

import pytest

from bots.schedule.inputs import inputs_for
from bots.schedule.misses import decide
from bots.schedule.model import CalendarSpec, MisfireSpec, Schedule, TriggerSpec
from bots.schedule.trigger import CalendarTrigger

JST = ZoneInfo("Asia/Tokyo")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=JST)


def trigger(policy: str = "skip", start: dt.datetime | None = None, **spec: object) -> CalendarTrigger:
    return CalendarTrigger(TriggerSpec.model_validate(spec or {"cron": "0 22 * * *"}),
                           CalendarSpec(on_closed_day=policy), start=start)  # type: ignore[arg-type]


def days(fires: list[dt.datetime]) -> list[str]:
    return [f"{f:%m-%d %H:%M}" for f in fires]


# Nightly at 22:00 on business days, over the 年末年始 of 2026/27.
YEAR_END = {
    "skip": ["12-24 22:00", "12-25 22:00", "12-28 22:00", "01-04 22:00", "01-05 22:00"],
    "previous": ["12-24 22:00", "12-25 22:00", "12-28 22:00", "01-04 22:00", "01-05 22:00"],
    "next": ["12-24 22:00", "12-25 22:00", "12-28 22:00", "01-04 22:00", "01-05 22:00"],
}


@pytest.mark.parametrize("policy", sorted(YEAR_END))
def test_a_nightly_run_fires_once_per_business_day_whatever_the_policy(policy: str) -> None:
    fires = trigger(policy).upcoming(at("2026-12-24T12:00"), at("2027-01-05T23:00"))
    assert days([f.at for f in fires]) == YEAR_END[policy]
    moved = {f"{f.moved_from:%m-%d}" for f in fires if f.moved_from}
    # Several closed days moved onto one open day fire once; the move is shown from the first.
    assert moved == ({"12-26", "12-29"} if policy == "next" else set())


# A weekly Monday run across 成人の日 (2027-01-11, a Monday).
MONDAYS = {
    "skip": ["01-04 22:00", "01-18 22:00"],
    "previous": ["01-04 22:00", "01-08 22:00", "01-18 22:00"],   # Friday before the holiday
    "next": ["01-04 22:00", "01-12 22:00", "01-18 22:00"],       # Tuesday after it
}


@pytest.mark.parametrize("policy", sorted(MONDAYS))
def test_a_weekly_run_on_a_holiday_is_skipped_or_moved(policy: str) -> None:
    fires = trigger(policy, cron="0 22 * * 1").upcoming(at("2027-01-01T00:00"), at("2027-01-20T00:00"))
    assert days([f.at for f in fires]) == MONDAYS[policy]


def test_previous_day_already_past_is_not_fired_late() -> None:
    # Saturday 1/9: the run moved to Friday 1/8 is history; the next one is 1/18.
    assert trigger("previous", cron="0 22 * * 1").get_next_fire_time(None, at("2027-01-09T10:00")) == \
        at("2027-01-18T22:00")


def test_next_policy_looks_back_over_the_closed_days_just_before_now() -> None:
    # A Saturday-only run, asked on Sunday: Saturday's run moves to Monday, still ahead.
    fire = trigger("next", cron="0 9 * * 6").next_fire(None, at("2026-11-29T10:00"))
    assert fire is not None and fire.at == at("2026-11-30T09:00") and fire.moved_from == at("2026-11-28T09:00")


@pytest.mark.parametrize(("cron", "weekday"), [("0 9 * * 1", 0), ("0 9 * * 0", 6), ("0 9 * * 7", 6),
                                                ("0 9 * * 5", 4), ("0 9 * * sat", 5)])
def test_crontab_weekdays_count_from_sunday(cron: str, weekday: int) -> None:
    every_day = CalendarTrigger(TriggerSpec(cron=cron), CalendarSpec(business_days_only=False))
    fires = every_day.upcoming(at("2026-11-23T00:00"), at("2026-12-07T00:00"))
    assert len(fires) == 2 and {f.at.weekday() for f in fires} == {weekday}


def test_an_interval_jumps_over_closed_days() -> None:
    every = trigger(start=at("2026-11-28T10:00"), every="30m")
    assert every.get_next_fire_time(None, at("2026-11-28T10:00")) == at("2026-11-30T00:00")
    assert every.get_next_fire_time(at("2026-11-30T00:00"), at("2026-11-30T00:00")) == at("2026-11-30T00:30")


def test_a_one_off_run_on_a_closed_day_moves_and_then_never_fires_again() -> None:
    once = trigger("next", at="2027-01-02T09:00:00")
    assert once.get_next_fire_time(None, at("2026-12-01T00:00")) == at("2027-01-04T09:00")
    assert once.get_next_fire_time(at("2027-01-04T09:00"), at("2027-01-04T09:00")) is None


def test_the_trigger_pickles_as_plain_data() -> None:
    original = trigger("previous", cron="30 21 * * 1-5")
    state = original.__getstate__()
    assert set(state) == {"version", "trigger", "calendar", "start"}
    restored = pickle.loads(pickle.dumps(original))
    now = at("2026-12-31T12:00")
    assert restored.get_next_fire_time(None, now) == original.get_next_fire_time(None, now) == at("2027-01-04T21:30")


def test_between_lists_the_fires_a_stopped_daemon_missed() -> None:
    nightly = trigger()
    missed = nightly.between(at("2026-11-26T22:00"), at("2026-12-01T08:00"))
    assert days(missed) == ["11-26 22:00", "11-27 22:00", "11-30 22:00"]


NOW = at("2026-12-01T08:00")
MISSED = [at("2026-11-27T22:00"), at("2026-11-30T22:00"), at("2026-12-01T07:30")]


@pytest.mark.parametrize(("policy", "expected"), [
    ({"grace": "24h", "coalesce": True}, ["skipped", "coalesced", "catch_up"]),
    ({"grace": "24h", "coalesce": False}, ["skipped", "catch_up", "catch_up"]),
    ({"grace": "2h", "coalesce": True}, ["skipped", "skipped", "catch_up"]),
    ({"grace": "10m", "coalesce": True}, ["skipped", "skipped", "skipped"]),
    ({"grace": "168h", "after_downtime": "skip"}, ["skipped", "skipped", "skipped"]),
])
def test_every_missed_fire_gets_a_decision(policy: dict[str, object], expected: list[str]) -> None:
    decisions = decide(MISSED, MisfireSpec.model_validate(policy), NOW, after_downtime=True)
    assert [d.fire_time for d in decisions] == MISSED
    assert [d.decision for d in decisions] == expected


def test_inputs_name_the_day_of_the_fire_time_in_the_schedules_zone() -> None:
    schedule = Schedule.model_validate({"title": "t", "flow": "flows/x.yaml", "trigger": {"cron": "30 0 * * *"},
                                        "inputs": {"file": "inbox/{date:%Y%m%d}/申請一覧.xlsx", "limit": 3}})
    late = dt.datetime(2026, 11, 27, 15, 30, tzinfo=dt.UTC)  # 00:30 on the 28th in Tokyo
    assert inputs_for(schedule, late) == {"file": "inbox/20261128/申請一覧.xlsx", "limit": 3}

"""``on_closed_day: previous`` moving a fire to a time already past is a recorded miss, decided
by the misfire policy (caught up within the grace time, skipped beyond it), in the real daemon
with its SQLite job store, run store and ledger. The weekly run is due tomorrow at the clock time
of ten minutes ago; tomorrow is made a closed day, so the run moves to ten minutes ago."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from schedule_harness import daemon, of, wait_for

JST = dt.timezone(dt.timedelta(hours=9))
WEEKLY = """title: 週次 {name}
flow: flows/shinsei_nyuryoku.yaml
inputs: {{file: "{inbox}/{{date:%Y%m%d_%H%M}}/申請一覧.xlsx"}}
trigger: {{cron: "{minute} {hour} * * {weekday}"}}
calendar: {{business_days_only: false, on_closed_day: previous{closed}}}
misfire: {{grace: {grace}}}
"""


def weekly(name: str, tmp_path: Path, moved_to: dt.datetime, grace: str, closed: bool) -> str:
    base_day = moved_to.date() + dt.timedelta(days=1)
    return WEEKLY.format(name=name, inbox=(tmp_path / "inbox").as_posix(), minute=moved_to.minute,
                         hour=moved_to.hour, weekday=(base_day.weekday() + 1) % 7,  # crontab: 0 = Sunday
                         closed=f", closed_days: [{base_day}]" if closed else "", grace=grace)


def test_a_run_moved_to_a_past_time_is_a_miss_caught_up_or_skipped(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    logs, folder = tmp_path / "logs", tmp_path / "schedules"
    monkeypatch.setenv("KZ_LOGS", str(logs))
    folder.mkdir()
    moved_to = (dt.datetime.now(JST) - dt.timedelta(minutes=10)).replace(second=0, microsecond=0)
    caught, skipped = folder / "caught.yaml", folder / "skipped.yaml"
    caught.write_text(weekly("caught", tmp_path, moved_to, "1h", closed=False), encoding="utf-8")
    skipped.write_text(weekly("skipped", tmp_path, moved_to, "60s", closed=True), encoding="utf-8")

    with daemon(folder, logs) as running:
        running.start()
        # A new schedule whose run moves behind the moment it is loaded: skipped beyond the grace time.
        [miss] = of(logs, "schedule_misfire", schedule="skipped")
        assert (miss["reason"], miss["decision"]) == ("moved_past", "skipped")
        assert dt.datetime.fromisoformat(miss["fire_time"]) == moved_to
        assert not of(logs, "schedule_misfire", schedule="caught")

        # Tomorrow becomes a closed day while running: its run moves to ten minutes ago, within the grace.
        caught.write_text(weekly("caught", tmp_path, moved_to, "1h", closed=True), encoding="utf-8")
        running.files.sync(running)
        wait_for(lambda: bool(of(logs, "schedule_fired", schedule="caught", catch_up=True)), 60, "the catch-up run")
        [miss] = of(logs, "schedule_misfire", schedule="caught")
        assert (miss["reason"], miss["decision"]) == ("moved_past", "catch_up")
        [fired] = of(logs, "schedule_fired", schedule="caught", catch_up=True)
        assert dt.datetime.fromisoformat(fired["fire_time"]) == moved_to and fired["status"] == "invalid"
        closed = of(logs, "schedule_skipped_closed_day", schedule="caught", policy="previous")
        assert [dt.datetime.fromisoformat(d["base_time"]) for d in closed] == [moved_to + dt.timedelta(days=1)]

        # Another edit of the same version: the miss is not recorded again.
        caught.write_text(weekly("caught", tmp_path, moved_to, "1h", closed=True) + "enabled: true\n",
                          encoding="utf-8")
        running.files.sync(running)
        assert len(of(logs, "schedule_reloaded", schedule="caught")) == 2

    # A restart: the stored version had already run (or decided) the moved fire; nothing new.
    with daemon(folder, logs) as restarted:
        restarted.start()
    assert len(of(logs, "schedule_misfire", schedule="caught")) == 1
    assert len(of(logs, "schedule_misfire", schedule="skipped")) == 1
    assert len(of(logs, "schedule_fired")) == 1

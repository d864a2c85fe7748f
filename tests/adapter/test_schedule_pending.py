"""Catch-ups and retries are kept in the job store's database until their run begins: a daemon
stopped (or killed: tests/acceptance/test_scheduler_misfires.py) while one waits runs it at its
next start, once. Real SQLite job store, run store and ledger; the flow's input never arrives,
so every run ends at once without a browser."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from schedule_harness import daemon, of, wait_for

from bots.schedule.pending import PendingFires, fire_key

HOURLY = """title: 毎時
flow: flows/shinsei_nyuryoku.yaml
inputs: {{file: "{inbox}/{{date:%Y%m%d_%H%M}}/申請一覧.xlsx"}}
trigger: {{every: 1h}}
calendar: {{business_days_only: false}}
misfire: {{grace: 150m, coalesce: true}}
"""
JST = dt.timezone(dt.timedelta(hours=9))


def pending_rows(logs: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(logs / "scheduler.sqlite3") as connection:
        return connection.execute("SELECT key, schedule_id FROM kz_pending_fires").fetchall()


def test_the_same_fire_kept_twice_is_one_row(store_url: str) -> None:
    """On SQLite and PostgreSQL (``KZ_SCHEDULER_URL`` may name either)."""
    store = PendingFires(store_url)
    at = dt.datetime(2026, 12, 1, 22, 0, tzinfo=JST)
    key = fire_key("nightly", at, 2)
    assert key == fire_key("nightly", at.astimezone(dt.UTC), 2)  # the same instant, whatever the zone
    due = dt.datetime(2026, 12, 1, 13, 10, tzinfo=dt.UTC)
    store.put(key, "nightly", due, {"fire_time": at.isoformat(), "attempt": 2, "note": "申請"})
    store.put(key, "nightly", due + dt.timedelta(minutes=5), {"fire_time": at.isoformat(), "attempt": 2})
    [row] = store.all()
    assert (row.key, row.schedule_id, row.due) == (key, "nightly", due + dt.timedelta(minutes=5))
    assert store.remove(key) and not store.remove(key) and store.all() == []
    store.close()


def test_a_catch_up_stopped_while_waiting_for_its_slot_runs_once_at_the_next_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    logs, folder = tmp_path / "logs", tmp_path / "schedules"
    monkeypatch.setenv("KZ_LOGS", str(logs))
    folder.mkdir()
    (folder / "hourly.yaml").write_text(HOURLY.format(inbox=(tmp_path / "inbox").as_posix()), encoding="utf-8")
    with daemon(folder, logs) as first:
        first.start()
    down_since = time.time() - 3600 - 60  # two hourly fires missed: the newest is caught up
    with sqlite3.connect(logs / "scheduler.sqlite3") as connection:
        connection.execute("UPDATE apscheduler_jobs SET next_run_time = ? WHERE id = 'hourly'", (down_since,))

    # 2. The catch-up is decided, then waits for its slot on demo_web (held here) when the daemon stops.
    with daemon(folder, logs) as second:
        assert second.slots.acquire(("demo_web",), threading.Event())
        second.start()
        wait_for(lambda: not second.scheduler.get_jobs(jobstore="memory"), 30, "the catch-up handed to a worker")
    [caught] = of(logs, "schedule_misfire", schedule="hourly", decision="catch_up")
    assert of(logs, "schedule_misfire", schedule="hourly", reason="stopped", decision="deferred",
              fire_time=caught["fire_time"])
    assert not of(logs, "schedule_fired") and len(pending_rows(logs)) == 1

    # 3. Restarted: the kept catch-up is restored (audited) and runs, once.
    with daemon(folder, logs) as third:
        third.start()
        wait_for(lambda: bool(of(logs, "schedule_fired", catch_up=True)), 60, "the kept catch-up's run")
    [restored] = of(logs, "schedule_pending_restored", schedule="hourly")
    assert dt.datetime.fromisoformat(restored["fire_time"]) == dt.datetime.fromisoformat(caught["fire_time"])
    [fired] = of(logs, "schedule_fired", catch_up=True)
    assert fired["fire_time"] == caught["fire_time"] and fired["status"] == "invalid"
    assert pending_rows(logs) == []

    # 4. Nothing is left to run again.
    with daemon(folder, logs) as fourth:
        fourth.start()
    assert len(of(logs, "schedule_pending_restored")) == 1 and len(of(logs, "schedule_fired")) == 1
    assert len(of(logs, "scheduler_started")) == 4

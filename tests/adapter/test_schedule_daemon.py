"""The daemon in-process against a real SQLite job store, run store and ledger: a downtime
across four fire times is found from the stored next run time and decided by the policy
(beyond the grace time → skipped, older ones coalesced, the newest caught up and run), and the
closed days ahead are audited. The flow's input never arrives, so the runs end at once without a
browser (the real daemon process and browser runs are in tests/acceptance)."""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from bots.listeners.trail import AuditTrail
from bots.project import Project
from bots.schedule.daemon import SchedulerDaemon
from bots.schedule.notify import Mailer
from bots.schedule.report import Reporter
from bots.schedule.runs import FireRunner, RetryLater
from bots.schedule.slots import SystemSlots
from bots.schedule.watch import ScheduleFiles

REPO = Path(__file__).resolve().parents[2]
JST = dt.timezone(dt.timedelta(hours=9))
HOURLY = """title: 毎時
flow: flows/shinsei_nyuryoku.yaml
# (an underscore in the folder: 12 digits, even 8-4 with a dash, may be a マイナンバー to the ledger's masking)
inputs: {{file: "{inbox}/{{date:%Y%m%d_%H%M}}/申請一覧.xlsx"}}
trigger: {{every: 1h}}
calendar: {{business_days_only: false}}
misfire: {{grace: 150m, coalesce: true}}
"""
NOON = """title: 正午
flow: flows/shinsei_nyuryoku.yaml
trigger: {{cron: "0 12 * * *"}}
calendar: {{business_days_only: false, closed_days: [{closed}]}}
"""


def run_daemon(folder: Path, logs: Path, until: Any = None) -> None:
    """Start a daemon on ``folder``, wait for ``until(ledger)`` (polling), stop it."""
    stop = threading.Event()
    console = Console(file=io.StringIO())
    with AuditTrail(logs) as trail:
        reporter = Reporter(trail.writer, Mailer(None), console)

        def runner(slots: SystemSlots, retry_later: RetryLater) -> FireRunner:
            return FireRunner(Project(REPO), trail, reporter, slots, stop, console, retry_later)

        daemon = SchedulerDaemon(ScheduleFiles(Project(REPO), reporter, console, folder),
                                 "sqlite:///" + (logs / "scheduler.sqlite3").as_posix(), reporter, runner, stop)
        daemon.start()
        deadline = time.monotonic() + 60
        while until is not None and not until(ledger(logs)):
            assert time.monotonic() < deadline, "timed out"
            stop.wait(0.05)
        daemon.shutdown(wait=True)


def ledger(logs: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for path in sorted((logs / "audit").glob("*/ledger-*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def of(entries: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e["data"] for e in entries if e["type"] == kind]


def test_a_downtime_is_decided_fire_by_fire_and_caught_up(tmp_path: Path, monkeypatch: Any) -> None:
    logs, folder = tmp_path / "logs", tmp_path / "schedules"
    monkeypatch.setenv("KZ_LOGS", str(logs))
    folder.mkdir()
    today = dt.datetime.now(JST).date()
    closed = ", ".join(str(today + dt.timedelta(days=n)) for n in range(4))
    (folder / "hourly.yaml").write_text(HOURLY.format(inbox=(tmp_path / "inbox").as_posix()), encoding="utf-8")
    (folder / "noon.yaml").write_text(NOON.format(closed=closed), encoding="utf-8")
    run_daemon(folder, logs)
    # The daemon was "down" for three hours and a minute (four hourly fires): move the stored time back.
    down_since = time.time() - 3 * 3600 - 60
    with sqlite3.connect(logs / "scheduler.sqlite3") as connection:
        connection.execute("UPDATE apscheduler_jobs SET next_run_time = ? WHERE id = 'hourly'", (down_since,))

    run_daemon(folder, logs, until=lambda entries: any(d.get("catch_up") for d in of(entries, "schedule_fired")))

    entries = ledger(logs)
    missed = [d for d in of(entries, "schedule_misfire") if d["schedule"] == "hourly"]
    assert [d["decision"] for d in missed] == ["skipped", "coalesced", "coalesced", "catch_up"]
    assert {d["reason"] for d in missed} == {"daemon_down"}
    due = [dt.datetime.fromisoformat(d["fire_time"]).timestamp() for d in missed]
    assert [round(t - down_since) for t in due] == [0, 3600, 7200, 10800]
    [fired] = [d for d in of(entries, "schedule_fired") if d.get("catch_up")]
    assert fired["fire_time"] == missed[-1]["fire_time"] and fired["status"] == "invalid"
    caught = [e for e in entries if e["type"] == "schedule_fired" and e["data"].get("catch_up")][0]
    run_started = [e for e in entries if e["type"] == "run_started" and e["run_id"] == caught["run_id"]]
    assert run_started and run_started[0]["data"]["trigger"] == "schedule"
    local_due = dt.datetime.fromisoformat(fired["fire_time"]).astimezone(JST)
    refused = [e for e in entries if e["run_id"] == caught["run_id"] and e["type"] == "run_finished"]
    assert refused and f"{local_due:%Y%m%d_%H%M}" in refused[0]["data"]["error"]  # the input of that hour

    # The unchanged interval kept its phase across the restart.
    loaded = [dt.datetime.fromisoformat(d["next_fire"]) for d in of(entries, "schedule_loaded") if d["schedule"] == "hourly"]
    assert len(loaded) == 2 and (loaded[1] - loaded[0]).total_seconds() % 3600 == 0

    skipped = of(entries, "schedule_skipped_closed_day")
    days = {dt.datetime.fromisoformat(d["base_time"]).date() for d in skipped if d["schedule"] == "noon"}
    assert {today + dt.timedelta(days=n) for n in (1, 2, 3)} <= days <= {today + dt.timedelta(days=n) for n in range(4)}
    assert {d["reason"] for d in skipped} == {"休業日"}
    assert of(entries, "scheduler_started") and len(of(entries, "scheduler_stopped")) == 2

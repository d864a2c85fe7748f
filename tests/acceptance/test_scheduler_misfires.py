"""The scheduler's misfire paths in the real ``runner.py scheduler`` process (real SQLite job
store, run store, ledger and a local SMTP server):

- a retry waiting in the job store's database survives two SIGKILLs and runs once;
- "too late": the daemon frozen (SIGSTOP, as a machine asleep) across several fire times wakes
  up to them, skips those beyond the grace time (audited ``late``) in one mail, runs the rest;
- "still running": a slow run (the demo web system answering its login page slowly) keeps the
  schedule's instances busy, so the next due times are skipped (``still_running``), mailed once
  when the outage opens and once, together, when runs resume; the runs still waiting for their
  slot when the daemon stops are ``stopped``.
"""

from __future__ import annotations

import datetime as dt
import shutil
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kazaguruma_demo.sample_data import make_applications, write_applications_xlsx
from runner_proc import REPO, Runner, start, wait_until
from schedule_support import Inbox, ledger, smtp_server

JST = dt.timezone(dt.timedelta(hours=9))
STARTED = "スケジューラを起動しました"








def make_project(tmp_path: Path, schedule: str) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "flows", root / "flows")
    shutil.copytree(REPO / "selectors", root / "selectors")
    (root / "schedules").mkdir()
    (root / "schedules" / "s.yaml").write_text(schedule, encoding="utf-8")
    return root


def events(logs: Path, kind: str, **match: Any) -> list[dict[str, Any]]:
    return [e["data"] for e in ledger(logs) if e["type"] == kind and all(e["data"].get(k) == v for k, v in match.items())]


def pending_rows(logs: Path) -> int:
    with sqlite3.connect(f"file:{logs / 'scheduler.sqlite3'}?mode=ro", uri=True, timeout=5) as connection:
        return int(connection.execute("SELECT count(*) FROM kz_pending_fires").fetchone()[0])


def run_count(logs: Path) -> int:
    with sqlite3.connect(f"file:{logs / 'kazaguruma.sqlite3'}?mode=ro", uri=True, timeout=5) as connection:
        return int(connection.execute("SELECT count(*) FROM runs").fetchone()[0])


def stop(daemon: Runner) -> None:
    daemon.send(signal.SIGTERM)
    assert daemon.wait(90) == 0, daemon.output()[-3000:]


def test_a_waiting_retry_survives_two_kills_and_runs_once(tmp_path: Path) -> None:
    at = (dt.datetime.now(JST) + dt.timedelta(seconds=8)).replace(microsecond=0, tzinfo=None)
    schedule = (f"title: 一回だけ\nflow: flows/shinsei_nyuryoku.yaml\n"
                f"inputs: {{file: \"inbox/{{date:%Y%m%d}}/申請一覧.xlsx\"}}\n"  # never arrives: a retryable failure
                f"trigger: {{at: \"{at.isoformat()}\"}}\ncalendar: {{business_days_only: false}}\n"
                f"retries: {{count: 1, delay: 25s}}\n")
    project = make_project(tmp_path, schedule)
    logs = tmp_path / "logs"
    env = {"KZ_HOME": str(project), "KZ_LOGS": str(logs), "KZ_LANG": "ja"}
    args = ["scheduler", "--poll", "0.3"]

    daemon = start(args, env, tmp_path / "daemon1.log")
    wait_until(lambda: bool(events(logs, "schedule_retry", schedule="s")), 60, "the retry to be scheduled", daemon)
    daemon.kill_hard()  # 1st kill: the retry waits (25 s) in the database, not in memory
    assert pending_rows(logs) == 1

    daemon = start(args, env, tmp_path / "daemon2.log")
    wait_until(lambda: bool(events(logs, "schedule_pending_restored", schedule="s")), 60, "the retry restored", daemon)
    daemon.kill_hard()  # 2nd kill, before it is due
    assert pending_rows(logs) == 1 and not events(logs, "schedule_fired", attempt=2)

    daemon = start(args, env, tmp_path / "daemon3.log")
    wait_until(lambda: bool(events(logs, "schedule_fired", schedule="s", attempt=2)), 90, "the retry's run", daemon)
    stop(daemon)
    daemon = start(args, env, tmp_path / "daemon4.log")  # nothing left: it must not run again
    wait_until(lambda: STARTED in daemon.output(), 60, "the fourth start", daemon)
    stop(daemon)

    fired = events(logs, "schedule_fired", schedule="s")
    assert [d["attempt"] for d in fired] == [1, 2] and {d["status"] for d in fired} == {"invalid"}
    assert len(events(logs, "schedule_pending_restored", schedule="s")) == 2  # by the 2nd and 3rd daemon
    assert pending_rows(logs) == 0 and run_count(logs) == 2


def test_fire_times_reached_too_late_are_skipped_in_one_mail(tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    schedule = ("title: 二秒ごと\nflow: flows/shinsei_nyuryoku.yaml\n"
                "inputs: {file: \"inbox/{date:%Y%m%d}/申請一覧.xlsx\"}\n"
                "trigger: {every: 2s}\ncalendar: {business_days_only: false}\n"
                "misfire: {grace: 3s, coalesce: false}\n"
                "notify: {to: [ops@example.lg.jp], on: [misfire]}\n")
    project = make_project(tmp_path, schedule)
    logs = tmp_path / "logs"
    env = {"KZ_HOME": str(project), "KZ_LOGS": str(logs), "KZ_LANG": "ja", "KZ_SMTP_HOST": "127.0.0.1",
           "KZ_SMTP_PORT": str(port)}
    daemon = start(["scheduler", "--poll", "0.3"], env, tmp_path / "daemon.log")
    wait_until(lambda: bool(events(logs, "schedule_fired", schedule="s")), 60, "a first run", daemon)

    daemon.send(signal.SIGSTOP)  # the machine "sleeps" across several fire times
    frozen_at = time.time()
    wait_until(lambda: time.time() > frozen_at + 11, 30, "eleven seconds to pass")
    daemon.send(signal.SIGCONT)
    wait_until(lambda: bool(events(logs, "schedule_misfire", reason="late")), 60, "the late fire times", daemon)
    woke = time.time()
    wait_until(lambda: any(dt.datetime.fromisoformat(d["fire_time"]).timestamp() > frozen_at
                           for d in events(logs, "schedule_fired", schedule="s")), 60, "a run after waking", daemon)
    stop(daemon)

    late = events(logs, "schedule_misfire", reason="late")
    assert len(late) >= 3 and {d["decision"] for d in late} == {"skipped"}
    due = [dt.datetime.fromisoformat(d["fire_time"]).timestamp() for d in late]
    assert all(frozen_at - 2 < t < woke - 3 for t in due)  # missed while frozen, beyond the grace time
    missed_mail = [s for s in inbox.subjects() if s.startswith("[Kazaguruma] 実行漏れ")]
    assert missed_mail[0] == f"[Kazaguruma] 実行漏れ: 二秒ごと（{len(late)}件）"  # before: one mail per fire time
    assert len(missed_mail) <= 2  # and at most one more, if a due time fell into the stop


@pytest.mark.browser
@pytest.mark.slow
def test_a_run_still_going_skips_the_next_fire_times_mailed_per_outage(tmp_path: Path, demo_web: Any,
                                                                       smtp: tuple[Inbox, int]) -> None:
    demo_web(slow_ms=3000, slow_paths=("/login",))  # a run takes some seconds: fires every second pile up
    inbox, port = smtp
    schedule = ("title: 毎秒\nflow: flows/shinsei_nyuryoku.yaml\n"
                "inputs: {file: \"inbox/{date:%Y%m%d}/申請一覧.xlsx\"}\n"
                "trigger: {every: 1s}\ncalendar: {business_days_only: false}\n"
                "concurrency: {limit: 1}\nnotify: {to: [ops@example.lg.jp], on: [misfire]}\n")
    project = make_project(tmp_path, schedule)
    rows = [dict(row) for row, _ in make_applications(1, seed=7, bad=0)]
    today = dt.datetime.now(JST)
    for day in (today, today + dt.timedelta(days=1)):
        write_applications_xlsx(project / "inbox" / f"{day:%Y%m%d}" / "申請一覧.xlsx", rows)
    logs = tmp_path / "logs"
    env = {"KZ_HOME": str(project), "KZ_LOGS": str(logs), "KZ_LANG": "ja", "KZ_SMTP_HOST": "127.0.0.1",
           "KZ_SMTP_PORT": str(port)}
    daemon = start(["scheduler", "--poll", "0.3"], env, tmp_path / "daemon.log")
    # One run keys, two more wait for its slot (three instances): every later due time is skipped.
    wait_until(lambda: len(events(logs, "schedule_misfire", reason="still_running")) >= 2, 90,
               "due times skipped while earlier runs are still going", daemon)
    wait_until(lambda: any("（続き）" in s for s in inbox.subjects()), 90, "the held misses, mailed when runs resume",
               daemon)
    stop(daemon)

    running = events(logs, "schedule_misfire", reason="still_running")
    assert {d["decision"] for d in running} == {"skipped"}
    # Runs waiting for the slot when the daemon stops never start: audited as stopped.
    assert {d["decision"] for d in events(logs, "schedule_misfire", reason="stopped")} == {"skipped"}
    assert events(logs, "schedule_fired", schedule="s", status="completed")
    missed_mail = [m for m in inbox.messages if str(m["Subject"]).startswith("[Kazaguruma] 実行漏れ")]
    all_misses = events(logs, "schedule_misfire")
    # Every miss is in exactly one mail, and there are far fewer mails than misses.
    listed = sum(m.get_content().count("予定どおり実行されませんでした: s（") for m in missed_mail)
    assert listed == len(all_misses) and len(missed_mail) < len(all_misses)
    assert str(missed_mail[0]["Subject"]) == "[Kazaguruma] 実行漏れ: 毎秒"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as served:
        yield served

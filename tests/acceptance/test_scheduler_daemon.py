"""Issue 7 acceptance: the real ``runner.py scheduler`` process, a real SQLite job store, the
demo web system and a local SMTP server (aiosmtpd), with schedules firing every few seconds.

One daemon life, in phases: two schedules on the same target system with a limit of 1 run the
demo flow (trigger = schedule) and never overlap; one file is broken while running (reported at
``file:line:col``, its previous version keeps running); the daemon is killed with SIGKILL across
a fire time and restarted: the miss is audited and caught up (a second daemon is refused);
SIGTERM stops it cleanly.
"""

from __future__ import annotations

import datetime as dt
import shutil
import signal
import socket
import sqlite3
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from kazaguruma_demo.sample_data import make_applications, write_applications_xlsx
from runner_proc import REPO, start, wait_until
from schedule_support import ledger

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCHEDULE = """title: テスト {name}
flow: flows/shinsei_nyuryoku.yaml
inputs: {{file: "inbox/{{date:%Y%m%d}}/申請一覧.xlsx"}}
trigger: {{every: 3s}}
calendar: {{business_days_only: false}}
misfire: {{grace: 60s, coalesce: true, after_downtime: catch_up}}
concurrency: {{limit: 1}}
notify: {{to: [ops@example.lg.jp], on: [success, misfire]}}
"""
BROKEN = "title: テスト b\nflow: flows/shinsei_nyuryoku.yaml\ntrigger: {every: 3s, timezone: Asia/Tokio}\n"


class Subjects:
    """aiosmtpd handler keeping the subject of each mail received."""

    def __init__(self) -> None:
        self.subjects: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.subjects.append(str(message_from_bytes(envelope.content, policy=policy.default)["Subject"]))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Subjects, int]]:
    handler = Subjects()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The repository's flows and selectors, two schedules, and today's and tomorrow's inbox."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "flows", root / "flows")
    shutil.copytree(REPO / "selectors", root / "selectors")
    (root / "schedules").mkdir()
    for name in ("a", "b"):
        (root / "schedules" / f"{name}.yaml").write_text(SCHEDULE.format(name=name), encoding="utf-8")
    rows = [dict(row) for row, _ in make_applications(1, seed=5, bad=0)]
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=9)))
    for day in (today, today + dt.timedelta(days=1)):
        write_applications_xlsx(root / "inbox" / f"{day:%Y%m%d}" / "申請一覧.xlsx", rows)
    return root




def events(logs: Path, kind: str, **match: Any) -> list[dict[str, Any]]:
    return [e for e in ledger(logs) if e["type"] == kind and all(e["data"].get(k) == v for k, v in match.items())]


def store_rows(logs: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{logs / 'kazaguruma.sqlite3'}?mode=ro", uri=True, timeout=5) as connection:
        return connection.execute(sql).fetchall()


def stored_next_run(logs: Path, job: str) -> float:
    with sqlite3.connect(f"file:{logs / 'scheduler.sqlite3'}?mode=ro", uri=True, timeout=5) as connection:
        return float(connection.execute("SELECT next_run_time FROM apscheduler_jobs WHERE id = ?", (job,)).fetchone()[0])


def test_scheduler_daemon_end_to_end(project: Path, tmp_path: Path, demo_web: Any,
                                     mailbox: tuple[Subjects, int]) -> None:
    demo_web()
    inbox, smtp_port = mailbox
    logs = tmp_path / "logs"
    env = {"KZ_HOME": str(project), "KZ_LOGS": str(logs), "KZ_LANG": "ja", "KZ_SMTP_HOST": "127.0.0.1",
           "KZ_SMTP_PORT": str(smtp_port)}
    args = ["scheduler", "--poll", "0.3"]

    # 1. Both schedules run the demo flow through the engine and the run store.
    daemon = start(args, env, tmp_path / "daemon1.log")
    for name in ("a", "b"):
        wait_until(lambda n=name: bool(events(logs, "schedule_fired", schedule=n, status="completed")), 90,
                   f"a completed run of schedule {name}", daemon)

    # 2. A broken edit of b: reported at file:line:col; b's previous version keeps running.
    (project / "schedules" / "b.yaml").write_text(BROKEN, encoding="utf-8")
    wait_until(lambda: bool(events(logs, "schedule_invalid", schedule="b")), 30, "schedule_invalid", daemon)
    assert "schedules/b.yaml:3:32: エラー: 不明なタイムゾーンです: Asia/Tokio" in daemon.output()
    seq = events(logs, "schedule_invalid", schedule="b")[0]["seq"]
    wait_until(lambda: any(e["seq"] > seq for e in events(logs, "schedule_fired", schedule="b")), 60,
               "a run of b's previous version after the broken edit", daemon)

    # 3. SIGKILL (daemon and browser), past a's next fire time, then a restart.
    daemon.kill_hard()
    due = stored_next_run(logs, "a")
    wait_until(lambda: time.time() > due + 1.0, 30, "a's next fire time to pass while the daemon is down")
    daemon = start(args, env, tmp_path / "daemon2.log")
    wait_until(lambda: "スケジューラを起動しました" in daemon.output(), 60, "the restarted daemon", daemon)
    second = start(args, env, tmp_path / "daemon3.log")  # one daemon per installation
    wait_until(lambda: bool(events(logs, "schedule_fired", schedule="a", catch_up=True)), 90, "a catch-up run", daemon)
    missed = events(logs, "schedule_misfire", schedule="a", reason="daemon_down")
    assert missed and missed[-1]["data"]["decision"] == "catch_up"
    assert events(logs, "schedule_catch_up", schedule="a")
    assert second.wait(60) == 3 and "スケジューラは既に起動しています" in second.output()

    # 4. SIGTERM: the daemon stops gracefully.
    daemon.send(signal.SIGTERM)
    assert daemon.wait(90) == 0, daemon.output()[-3000:]
    assert events(logs, "scheduler_stopped")

    runs = store_rows(logs, "SELECT run_id, trigger, started_at, finished_at FROM runs ORDER BY started_at")
    assert len(runs) >= 4 and {trigger for _, trigger, _, _ in runs} == {"schedule"}
    fired = {e["run_id"] for e in events(logs, "schedule_fired")}
    assert fired <= {run_id for run_id, *_ in runs}
    for (_, _, _, finished), (later, _, started, _) in zip(runs, runs[1:], strict=False):
        if finished is not None:  # the run killed by SIGKILL never finished
            assert started >= finished, f"run {later} started before the previous run finished"
    assert any(s.startswith("[Kazaguruma] 成功: テスト a") for s in inbox.subjects)
    assert any(s.startswith("[Kazaguruma] 実行漏れ: テスト a") for s in inbox.subjects)

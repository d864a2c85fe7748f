"""One mail per outage, not one per missed fire time: a daemon down for five hours under an
hourly schedule sends one mail listing the six misses, while the ledger keeps one
``schedule_misfire`` entry each. Misses that follow an outage's first mail are held and mailed
together when a run of the schedule begins again (or the daemon stops). Real SMTP (aiosmtpd),
real ledger, real daemon with its SQLite job store."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from schedule_harness import daemon, of
from schedule_support import Inbox, smtp_server

from bots.listeners.trail import AuditTrail
from bots.schedule.model import Schedule
from bots.schedule.notify import Mailer, SmtpSettings
from bots.schedule.report import Miss, Reporter

HOURLY = """title: 毎時の入力
flow: flows/shinsei_nyuryoku.yaml
inputs: {{file: "{inbox}/{{date:%Y%m%d_%H%M}}/申請一覧.xlsx"}}
trigger: {{every: 1h}}
calendar: {{business_days_only: false}}
misfire: {{grace: 30m, coalesce: true}}
notify: {{to: [joho@example.lg.jp], on: [misfire]}}
"""


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_long_downtime_is_one_mail_listing_every_miss(lang: str, tmp_path: Path, smtp: tuple[Inbox, int],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port = smtp
    logs, folder = tmp_path / "logs", tmp_path / "schedules"
    monkeypatch.setenv("KZ_LOGS", str(logs))
    monkeypatch.setenv("KZ_LANG", lang)
    folder.mkdir()
    (folder / "hourly.yaml").write_text(HOURLY.format(inbox=(tmp_path / "inbox").as_posix()), encoding="utf-8")
    with daemon(folder, logs, port) as first:
        first.start()
    down_since = time.time() - 5 * 3600 - 60
    with sqlite3.connect(logs / "scheduler.sqlite3") as connection:
        connection.execute("UPDATE apscheduler_jobs SET next_run_time = ? WHERE id = 'hourly'", (down_since,))

    with daemon(folder, logs, port) as second:
        second.start()

    missed = of(logs, "schedule_misfire", schedule="hourly", reason="daemon_down")
    assert [d["decision"] for d in missed] == ["skipped"] * 5 + ["catch_up"]
    [mail] = inbox.messages  # before: one mail per fire time (six)
    body = mail.get_content()
    if lang == "ja":
        assert mail["Subject"] == "[Kazaguruma] 実行漏れ: 毎時の入力（6件）"
        assert "6 件の予定時刻が予定どおり実行されませんでした" in body
        assert body.count("理由: スケジューラが停止していた") == 6 and body.count("→ 実行しません") == 5
    else:
        assert mail["Subject"] == "[Kazaguruma] missed runs: 毎時の入力 (6)"
        assert "6 fire time(s) did not run when due" in body
        assert body.count("because the scheduler was not running") == 6 and body.count("→ not run") == 5
    for entry in missed:  # each listed, at its local time
        local = dt.datetime.fromisoformat(entry["fire_time"])
        assert f"{local:%Y-%m-%d}" in body and f"{local:%H:%M}" in body


def test_misses_after_an_outages_first_mail_are_held_and_mailed_together(
        tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    schedule = Schedule.model_validate({"title": "5分ごと", "flow": "flows/shinsei_nyuryoku.yaml",
                                        "trigger": {"every": "5m"},
                                        "notify": {"to": ["joho@example.lg.jp"], "on": ["misfire"]}})
    start = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
    times = [start + dt.timedelta(minutes=5 * n) for n in range(80)]
    with AuditTrail(tmp_path / "logs") as trail:
        reporter = Reporter(trail.writer, Mailer(SmtpSettings("127.0.0.1", port)), Console(file=io.StringIO()))
        reporter.misfire("s", schedule, times[0], "still_running", "skipped")  # the outage opens: mailed at once
        for at in times[1:60]:  # a long run keeps the schedule busy: held
            reporter.misfire("s", schedule, at, "still_running", "skipped")
        assert inbox.subjects() == ["[Kazaguruma] 実行漏れ: 5分ごと"]
        reporter.outage_over("s")  # a run begins: the held ones, in one mail
        reporter.outage_over("s")  # nothing more to say
        reporter.misfires("s", schedule, [Miss(at, "late", "skipped") for at in times[60:62]])  # a new outage
        reporter.misfire("s", schedule, times[62], "stopped", "skipped")
        reporter.close_outages()  # the daemon stops
    assert inbox.subjects() == ["[Kazaguruma] 実行漏れ: 5分ごと", "[Kazaguruma] 実行漏れ（続き）: 5分ごと（59件）",
                                "[Kazaguruma] 実行漏れ: 5分ごと（2件）", "[Kazaguruma] 実行漏れ（続き）: 5分ごと（1件）"]
    held = inbox.messages[1].get_content()
    assert "59 件の予定時刻" in held and "ほか 9 件（監査ログに 1 件ずつ記録しています）" in held  # 50 listed
    assert held.count("理由: 前回の実行がまだ続いていた") == 50
    entries = of(tmp_path / "logs", "schedule_misfire", schedule="s")
    assert len(entries) == 63 and [e["reason"] for e in entries[-3:]] == ["late", "late", "stopped"]

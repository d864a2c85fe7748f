"""Mail through a real SMTP server (aiosmtpd on localhost): Japanese subject and body arrive
intact, an unreachable server is a clear error, and a scheduled run that fails is retried and
then mailed."""

from __future__ import annotations

import datetime as dt
import io
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from schedule_support import Inbox, smtp_server

from bots.errors import NotifyError
from bots.listeners.trail import AuditTrail
from bots.project import Project
from bots.schedule.model import Schedule
from bots.schedule.notify import Mailer, SmtpSettings
from bots.schedule.report import Reporter
from bots.schedule.runs import Fire, FireRunner
from bots.schedule.slots import SystemSlots
from bots.store.store import RunStore

REPO = Path(__file__).resolve().parents[2]




def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])




def test_a_japanese_mail_arrives_intact(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    settings = SmtpSettings.from_env({"KZ_SMTP_HOST": "127.0.0.1", "KZ_SMTP_PORT": str(port),
                                      "KZ_SMTP_FROM": "robot@example.lg.jp"})
    assert settings is not None and not settings.starttls and settings.user is None
    Mailer(settings).send(("joho@example.lg.jp", "kazama@example.lg.jp"), "[Kazaguruma] 失敗: 申請一覧の夜間入力",
                          "スケジュール: demo_nightly\n状態: aborted（終了コード 3）")
    [message] = inbox.messages
    assert message["Subject"] == "[Kazaguruma] 失敗: 申請一覧の夜間入力"
    assert message["From"] == "robot@example.lg.jp"
    assert inbox.envelopes[0].rcpt_tos == ["joho@example.lg.jp", "kazama@example.lg.jp"]
    assert "状態: aborted（終了コード 3）" in message.get_content()


def test_without_a_server_setting_mail_is_refused_with_the_reason() -> None:
    assert SmtpSettings.from_env({}) is None
    with pytest.raises(NotifyError, match="KZ_SMTP_HOST"):
        Mailer(None).send(("a@example.lg.jp",), "件名", "本文")


def test_an_unreachable_server_is_a_notify_error_naming_it() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(NotifyError, match=f"127.0.0.1:{port}"):
        Mailer(SmtpSettings(host="127.0.0.1", port=port)).send(("a@example.lg.jp",), "件名", "本文")


# --- a scheduled run that fails: retried, then mailed -----------------------------------------

def test_a_missing_days_input_is_a_failed_run_retried_then_mailed(smtp: tuple[Inbox, int], tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the real engine, run store and ledger; the day's folder never arrives."""
    inbox, port = smtp
    logs = tmp_path / "logs"
    monkeypatch.setenv("KZ_LOGS", str(logs))
    schedule = Schedule.model_validate({
        "title": "夜間入力", "flow": "flows/shinsei_nyuryoku.yaml", "trigger": {"cron": "0 22 * * *"},
        "inputs": {"file": (tmp_path / "inbox" / "{date:%Y%m%d}" / "申請一覧.xlsx").as_posix()},
        "retries": {"count": 1, "delay": "0s"}, "notify": {"to": ["joho@example.lg.jp"], "on": ["failure"]}})
    retries: list[Fire] = []
    with AuditTrail(logs) as trail:
        reporter = Reporter(trail.writer, Mailer(SmtpSettings("127.0.0.1", port)), Console(file=io.StringIO()))
        runner = FireRunner(Project(REPO), trail, reporter, SystemSlots(), threading.Event(),
                            Console(file=io.StringIO()), lambda fire, delay: retries.append(fire))
        runner.fire(Fire("nightly", schedule, ("demo_web",), dt.datetime(2026, 11, 27, 13, 0, tzinfo=dt.UTC)))
        assert [f.attempt for f in retries] == [2] and inbox.messages == []  # a retry is left: no mail yet
        runner.fire(retries[0])
        assert len(retries) == 1
    [message] = inbox.messages
    assert message["Subject"] == "[Kazaguruma] 失敗: 夜間入力（2026-11-27(金) 22:00）"
    body = message.get_content()
    assert "試行: 2 回目" in body and "入力ファイルが見つかりません" in body and "20261127" in body
    with RunStore.open(None, logs) as store:
        runs = store.list_runs(None, None)
    assert [(r.trigger, r.status) for r in runs] == [("schedule", "invalid")] * 2
    entries = [json.loads(line) for path in sorted((logs / "audit").glob("*/ledger-*.jsonl"))
               for line in path.read_text(encoding="utf-8").splitlines()]
    fired = [e for e in entries if e["type"] == "schedule_fired"]
    assert [e["data"]["attempt"] for e in fired] == [1, 2]
    assert {e["run_id"] for e in fired} == {r.run_id for r in runs}
    assert [e["data"]["attempt"] for e in entries if e["type"] == "schedule_retry"] == [2]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as served:
        yield served

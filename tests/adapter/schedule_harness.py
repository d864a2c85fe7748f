"""The scheduler daemon in-process for tests: a real APScheduler with its SQLite job store, the
real run store and ledger, real runs through the engine, and a real local SMTP server
(aiosmtpd). Only the process boundary is missing (the subprocess tests are in tests/acceptance)."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from schedule_support import ledger

from bots.listeners.trail import AuditTrail
from bots.project import Project
from bots.schedule.daemon import SchedulerDaemon
from bots.schedule.notify import Mailer, SmtpSettings
from bots.schedule.report import Reporter
from bots.schedule.runs import FireRunner, RetryLater
from bots.schedule.slots import SystemSlots
from bots.schedule.watch import ScheduleFiles

REPO = Path(__file__).resolve().parents[2]


def job_store_url(logs: Path) -> str:
    return "sqlite:///" + (logs / "scheduler.sqlite3").as_posix()


@contextmanager
def daemon(folder: Path, logs: Path, smtp_port: int | None = None,
           console: io.StringIO | None = None) -> Iterator[SchedulerDaemon]:
    """A daemon on ``folder`` (not started: the test may hold a slot first); stopped on exit."""
    stop = threading.Event()
    out = Console(file=console or io.StringIO(), width=200)
    mailer = Mailer(SmtpSettings("127.0.0.1", smtp_port) if smtp_port else None)
    with AuditTrail(logs) as trail:
        reporter = Reporter(trail.writer, mailer, out)

        def runner(slots: SystemSlots, retry_later: RetryLater) -> FireRunner:
            return FireRunner(Project(REPO), trail, reporter, slots, stop, out, retry_later)

        instance = SchedulerDaemon(ScheduleFiles(Project(REPO), reporter, out, folder), job_store_url(logs), reporter,
                                   runner, stop)
        try:
            yield instance
        finally:
            if not stop.is_set():
                instance.shutdown(wait=True)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` (never a fixed sleep) until true, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    stop = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for: {what}"
        stop.wait(0.05)




def of(logs: Path, kind: str, **match: Any) -> list[dict[str, Any]]:
    """The data of every ledger entry of ``kind`` whose data has the ``match`` values."""
    return [e["data"] for e in ledger(logs) if e["type"] == kind and all(e["data"].get(k) == v for k, v in match.items())]

"""``runner.py scheduler``: the long-running scheduler daemon (see ``bots/schedule/daemon.py``).

Run it as a service: ``deploy/kazaguruma-scheduler.service`` (systemd) or Windows Task Scheduler
(``deploy/windows-task-scheduler.md``). SIGTERM / Ctrl+C stops it gracefully; a second one at once.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from bots.api import open_trail
from bots.api.signals import graceful_stop
from bots.audit.lock import FileLock
from bots.errors import ExitCode, KazagurumaError, LedgerLocked
from bots.governance.scheduled import scheduled_approvals
from bots.i18n import tr
from bots.project import Project
from bots.schedule.daemon import SchedulerDaemon, default_store_url
from bots.schedule.notify import Mailer, SmtpSettings
from bots.schedule.report import Reporter
from bots.schedule.runs import FireRunner, RetryLater
from bots.schedule.slots import SystemSlots
from bots.schedule.watch import ScheduleFiles


def scheduler(
    store: str = typer.Option(None, "--store", help=tr("ジョブストアの URL（既定: logs/scheduler.sqlite3、環境変数 KZ_SCHEDULER_URL）",
                                                       "job store URL (default logs/scheduler.sqlite3, or KZ_SCHEDULER_URL)")),
    poll: float = typer.Option(2.0, "--poll", min=0.2, help=tr("定義ファイルの変更を確かめる間隔（秒）",
                                                               "seconds between checks of the schedule files")),
) -> None:
    """``runner.py scheduler``: the daemon, one per installation, refusing to start without an audit trail."""
    console = Console(stderr=True, soft_wrap=True)
    project = Project.discover()
    url = store or os.environ.get("KZ_SCHEDULER_URL") or default_store_url(project.logs)
    lock = _single_instance(console, project.logs)
    try:
        trail = open_trail(project)
    except KazagurumaError as exc:  # nothing runs unrecorded
        console.print(tr("[red]監査記録を開けないため起動しません: {e}[/]", "[red]not started: the audit trail cannot be opened: {e}[/]",
                         e=exc))
        raise typer.Exit(ExitCode.ABORTED) from None
    stop = threading.Event()
    with trail:
        reporter = Reporter(trail.writer, Mailer(SmtpSettings.from_env()), console)

        def runner(slots: SystemSlots, retry_later: RetryLater) -> FireRunner:
            return FireRunner(project, trail, reporter, slots, stop, console, retry_later)

        try:
            daemon = SchedulerDaemon(ScheduleFiles(project, reporter, console), url, reporter, runner, stop)
        except KazagurumaError as exc:  # e.g. a job store URL that is not SQLite or PostgreSQL
            console.print(tr("[red]起動しません: {e}[/]", "[red]not started: {e}[/]", e=exc))
            raise typer.Exit(ExitCode.ABORTED) from None
        with graceful_stop(stop, lambda text: console.print(f"[yellow]{text}[/]")):
            daemon.start()
            console.print(tr("スケジューラを起動しました（{n} 件）。停止は Ctrl+C", "scheduler started ({n} schedules); Ctrl+C stops",
                             n=len(daemon.active)))
            flows = {sid: active.schedule.flow for sid, active in daemon.active.items()}
            for sid, state in scheduled_approvals(project, trail.store, flows).items():
                if not state.will_run:  # said now, in office hours, not only when it fires at night
                    console.print(f"[yellow]{escape(state.warning(sid))}[/]")
            try:
                daemon.serve(poll)
            except KeyboardInterrupt:  # the second stop request: abort now, like ``run`` (a resume verifies)
                daemon.shutdown(wait=False)
                trail.close()
                console.print(tr("強制停止しました", "aborted"))
                os._exit(ExitCode.ABORTED)  # worker threads are not waited for
            daemon.shutdown(wait=True)
    lock.release()
    console.print(tr("スケジューラを停止しました", "scheduler stopped"))


def _single_instance(console: Console, logs: Path) -> FileLock:
    """One daemon per installation: a second one would run every schedule twice."""
    logs.mkdir(parents=True, exist_ok=True)
    try:
        return FileLock(logs / "scheduler.lock")
    except LedgerLocked:
        console.print(tr("[red]スケジューラは既に起動しています（{p}）[/]", "[red]the scheduler is already running ({p})[/]",
                         p=logs / "scheduler.lock"))
        raise typer.Exit(ExitCode.ABORTED) from None

"""One fire of a schedule → one run, exactly as ``runner.py run`` would start it (same executor,
listeners, run store and ledger) apart from ``trigger = schedule``.

Around the run: a slot on each target system, the inputs of the fire time's day, an audit
entry for the outcome, a retry of a failed run when one is left, and the mail.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console

from bots.api import RunRequest, run_flow
from bots.errors import ExitCode, FlowError, InputFileError, Refused
from bots.i18n import tr
from bots.listeners.console import ConsoleListener
from bots.listeners.trail import AuditTrail
from bots.ports import Executor
from bots.project import Project
from bots.results.model import RunStatus
from bots.schedule.inputs import inputs_for
from bots.schedule.model import Schedule
from bots.schedule.report import Reporter, when
from bots.schedule.slots import SystemSlots


@dataclass(frozen=True)
class Fire:
    """One run to do: which schedule, for which fire time, which attempt."""

    schedule_id: str
    schedule: Schedule
    systems: tuple[str, ...]
    fire_time: dt.datetime
    attempt: int = 1
    catch_up: bool = False


@dataclass
class Outcome:
    """How a fire's run ended, and whether trying again could help."""

    run_id: str | None
    status: str
    exit_code: int
    error: str | None
    retryable: bool


#: Schedules a retry: (fire, delay in seconds).
RetryLater = Callable[[Fire, float], None]


class FireRunner:
    """Turns a fire into a run (slots, inputs, retry, mail); shared by the daemon's worker threads."""

    def __init__(self, project: Project, trail: AuditTrail, reporter: Reporter, slots: SystemSlots,
                 stop: threading.Event, console: Console, retry_later: RetryLater,
                 executor: Executor | None = None) -> None:
        self.project, self.trail, self.reporter, self.slots = project, trail, reporter, slots
        self.stop, self.console, self.retry_later, self.executor = stop, console, retry_later, executor

    def fire(self, fire: Fire, on_start: Callable[[], None] | None = None) -> None:
        """Run it; never raises (the thread pool would only log it), everything is reported.

        ``on_start``: the fire is a kept catch-up or retry (``pending.py``); called once its run
        begins. Stopped before that, it stays kept and runs when the daemon starts again."""
        schedule, report = fire.schedule, self.reporter
        local = fire.fire_time.astimezone(schedule.trigger.zone)
        base = {"schedule": fire.schedule_id, "fire_time": local.isoformat(), "attempt": fire.attempt}
        if not self.slots.acquire(fire.systems, self.stop):
            report.misfire(fire.schedule_id, schedule, fire.fire_time, "stopped",
                           "skipped" if on_start is None else "deferred")
            return
        if on_start is not None:
            on_start()
        report.outage_over(fire.schedule_id)
        if fire.catch_up:
            report.audit("schedule_catch_up", base)
        try:
            report.say(tr("実行開始: {s}（予定 {t}、{a} 回目）", "starting: {s} (due {t}, attempt {a})",
                          s=fire.schedule_id, t=when(fire.fire_time, schedule.trigger.zone), a=fire.attempt))
            outcome = self._run(fire)
        finally:
            self.slots.release(fire.systems)
        report.audit("schedule_fired", {**base, "catch_up": fire.catch_up, "status": outcome.status,
                                        "exit_code": outcome.exit_code, "error": outcome.error}, outcome.run_id)
        self._follow_up(fire, outcome)

    def _run(self, fire: Fire) -> Outcome:
        request = RunRequest(flow=fire.schedule.flow, inputs=inputs_for(fire.schedule, fire.fire_time),
                             trigger="schedule", cwd=str(self.project.root), headless=True,
                             if_interrupted="resume")  # nobody to ask at night; a resume verifies half-done records
        try:
            result = run_flow(request, trail=self.trail, listeners=lambda info: [ConsoleListener(self.console)],
                              stop=self.stop, executor=self.executor, project=self.project)
        except FlowError as exc:  # the flow changed since the schedule was checked: fix the file, never retry
            return Outcome(None, RunStatus.INVALID.value, int(ExitCode.INVALID), str(exc), retryable=False)
        except InputFileError as exc:  # e.g. the day's file has not arrived yet
            return Outcome(None, RunStatus.INVALID.value, int(ExitCode.INVALID), str(exc), retryable=True)
        except Refused as exc:  # production mode: waits for an approver, not for a retry
            return Outcome(None, RunStatus.INVALID.value, int(ExitCode.REFUSED), str(exc), retryable=False)
        exit_code = int(result.exit_code)
        stopped_by_us = self.stop.is_set() and result.status is RunStatus.STOPPED
        # Failed records (exit 1) wait for people in the results workbook; retrying cannot help them.
        retryable = exit_code >= ExitCode.INVALID and not stopped_by_us
        return Outcome(result.run_id, result.status.value, exit_code, result.error, retryable)

    def _follow_up(self, fire: Fire, outcome: Outcome) -> None:
        schedule, report = fire.schedule, self.reporter
        due = when(fire.fire_time, schedule.trigger.zone)
        body = "\n".join([
            tr("スケジュール: {s}（{t}）", "schedule: {s} ({t})", s=fire.schedule_id, t=schedule.title),
            tr("フロー: {f}", "flow: {f}", f=schedule.flow),
            tr("予定時刻: {d}", "due: {d}", d=due),
            tr("試行: {a} 回目", "attempt: {a}", a=fire.attempt),
            tr("実行 ID: {r}", "run id: {r}", r=outcome.run_id or "-"),
            tr("状態: {s}（終了コード {c}）", "status: {s} (exit code {c})", s=outcome.status, c=outcome.exit_code),
            tr("エラー: {e}", "error: {e}", e=outcome.error or "-"),
        ])
        if outcome.exit_code == ExitCode.OK:
            report.say(tr("実行完了: {s}（{r}）", "finished: {s} ({r})", s=fire.schedule_id, r=outcome.run_id), "green")
            report.mail(schedule.notify, "success", tr("成功: {t}（{d}）", "succeeded: {t} ({d})", t=schedule.title, d=due),
                        body, fire.schedule_id)
            return
        retries = schedule.retries
        if outcome.retryable and fire.attempt <= retries.count and not self.stop.is_set():
            # Kept first, then audited: killed in between, the retry still runs (and its restore is audited).
            self.retry_later(Fire(fire.schedule_id, schedule, fire.systems, fire.fire_time, fire.attempt + 1,
                                  fire.catch_up), retries.delay)
            report.audit("schedule_retry", {"schedule": fire.schedule_id,
                                            "fire_time": fire.fire_time.astimezone(schedule.trigger.zone).isoformat(),
                                            "attempt": fire.attempt + 1, "delay_s": retries.delay}, outcome.run_id)
            report.say(tr("失敗: {s}。{d:g} 秒後に再試行します（{a}/{n}）", "failed: {s}; retrying in {d:g} s ({a}/{n})",
                          s=fire.schedule_id, d=retries.delay, a=fire.attempt, n=retries.count), "yellow")
            return
        report.say(tr("失敗: {s}（{e}）", "failed: {s} ({e})", s=fire.schedule_id, e=outcome.error or outcome.status), "red")
        report.mail(schedule.notify, "failure", tr("失敗: {t}（{d}）", "failed: {t} ({d})", t=schedule.title, d=due),
                    body, fire.schedule_id)

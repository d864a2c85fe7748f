"""``runner.py scheduler``: APScheduler 3 with a persistent SQLAlchemy job store (SQLite by
default, ``logs/scheduler.sqlite3``) running the schedules in ``schedules/``.

Start-up: read every job's stored next run time, bring back the catch-ups and retries kept in
``pending.py``, load the files and, for each schedule before its job is advanced, decide about
the fire times missed while the daemon was down (see ``misses.py``): a kill at any point leaves
either the old stored time (decided again, to the same kept rows) or the kept rows. Running:
poll the files (content hashes; no extra dependency) and reload what changed — an invalid file
is reported at ``file:line:col`` and its previous version keeps running. Stop: the runs in
progress finish their current record (the same stop event as ``runner.py run``), kept fires
stay kept, then the daemon exits.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from pydantic import ValidationError

from bots.errors import StoreError
from bots.i18n import tr
from bots.schedule import jobs
from bots.schedule.misses import decide, lost_moves, stored_next_run_times
from bots.schedule.model import Schedule
from bots.schedule.pending import PendingFires, fire_key
from bots.schedule.report import Miss, Reporter
from bots.schedule.runs import Fire, FireRunner, RetryLater
from bots.schedule.slots import SystemSlots, limits_of
from bots.schedule.trigger import CalendarTrigger
from bots.schedule.watch import Active, ScheduleFiles
from bots.store.engine import display_url

MAX_RUNNING_PER_SCHEDULE = 3


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SchedulerDaemon:
    """Owns the APScheduler instance, the active schedules and every decision about missed fires."""

    def __init__(self, files: ScheduleFiles, store_url: str, reporter: Reporter,
                 runner_factory: Callable[[SystemSlots, RetryLater], FireRunner], stop: threading.Event) -> None:
        self.files, self.store_url, self.reporter, self.stop = files, store_url, reporter, stop
        self.slots = SystemSlots()
        self.runner: FireRunner = runner_factory(self.slots, self.retry_later)
        self.active: dict[str, Active] = {}
        self.pending = PendingFires(store_url)
        self._closed_seen: set[tuple[str, dt.datetime]] = set()
        self._decided: dict[str, set[dt.datetime]] = {}  # missed fire times already decided, per schedule
        self._downtime: dict[str, dt.datetime] = {}  # stored next run times not yet settled (start-up)
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=store_url), "memory": MemoryJobStore()},
            executors={"default": jobs.FireExecutor(self)}, timezone="Asia/Tokyo")
        self.scheduler.add_listener(self._on_event, EVENT_JOB_MAX_INSTANCES)

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Restore stored jobs and kept fires, load the files (settling each schedule's downtime
        before its job moves on), then start firing."""
        self._downtime = stored_next_run_times(self.store_url)
        jobs.install(self)
        self.scheduler.start(paused=True)
        for job in self.scheduler.get_jobs(jobstore="default"):  # restored: runs on if its file turns out invalid
            try:
                schedule = Schedule.model_validate(job.kwargs.get("spec"))
            except ValidationError:  # stored by an incompatible version: its file decides
                continue
            self.active[job.id] = Active(schedule, tuple(job.kwargs.get("systems", ())))
        self._restore_pending()
        self.files.sync(self, initial=True)  # upsert settles the downtime of each schedule it loads
        for schedule_id, stored_at in sorted(self._downtime.items()):  # invalid or deleted files
            self._after_downtime(schedule_id, stored_at)
        self._downtime = {}
        self.reporter.audit("scheduler_started", {"schedules": sorted(self.active), "store": display_url(self.store_url)})
        self.scheduler.resume()

    def _restore_pending(self) -> None:
        """The catch-ups and retries a previous daemon decided but did not start: timers again."""
        for row in self.pending.all():
            self.reporter.audit("schedule_pending_restored", {
                "schedule": row.schedule_id, "fire_time": row.kwargs.get("fire_time"),
                "attempt": row.kwargs.get("attempt"), "catch_up": row.kwargs.get("catch_up"),
                "due": row.due.isoformat()})
            self._timer(row.key, row.schedule_id, row.due, row.kwargs)

    def serve(self, poll_s: float) -> None:
        """Watch the files until ``stop`` is set (a signal), polling without sleeping blindly."""
        while not self.stop.wait(poll_s):
            self.files.sync(self)

    def shutdown(self, wait: bool = True) -> None:
        """Stop firing and (with ``wait``) let running runs finish their current record; audited."""
        self.stop.set()
        self.scheduler.pause()  # no new submissions while the running ones finish
        self.scheduler.shutdown(wait=wait)
        jobs.install(None)
        if wait:  # misses held for a summary mail go out (an abort does not wait for a mail server)
            self.reporter.close_outages()
        self.reporter.audit("scheduler_stopped", {"waited": wait})
        self.pending.close()

    # -- schedules (called by ScheduleFiles) -----------------------------------------------------

    def upsert(self, schedule_id: str, active: Active) -> dt.datetime | None:
        """Run this version from now on; returns its next fire time (None: nothing left to run)."""
        self.active[schedule_id] = active
        self._update_limits()
        job = self.scheduler.get_job(schedule_id, jobstore="default")  # the version before this one, if any
        earlier = job.trigger if job is not None and isinstance(job.trigger, CalendarTrigger) else None
        earlier_until = job.next_run_time if job is not None else None
        stored_at = self._downtime.pop(schedule_id, None)
        if stored_at is not None:  # decided (and kept) before the job moves on: see the module docstring
            self._after_downtime(schedule_id, stored_at)
        schedule = active.schedule
        trigger = CalendarTrigger(schedule.trigger, schedule.calendar, start=self._phase(earlier, schedule))
        now = dt.datetime.now(schedule.trigger.zone)
        first = trigger.get_next_fire_time(None, now) if schedule.enabled else None
        if schedule.enabled:  # a version computed now may move a fire to before now: a miss
            self._moved_past(schedule_id, active, trigger, now, first, earlier, earlier_until)
        if first is None:
            self.remove(schedule_id, keep_active=True)
            return None
        self.scheduler.add_job(jobs.fire_job, trigger=trigger, id=schedule_id, name=schedule.title,
                               args=[schedule_id], kwargs=active.job_kwargs(), replace_existing=True,
                               next_run_time=first, misfire_grace_time=max(1, round(schedule.misfire.grace)),
                               coalesce=False, max_instances=MAX_RUNNING_PER_SCHEDULE)  # misses: run_due decides
        self._closed_days(schedule_id, trigger, now, first)
        return first

    @staticmethod
    def _phase(stored: CalendarTrigger | None, schedule: Schedule) -> dt.datetime | None:
        """An unchanged interval keeps its phase across reloads and restarts (every 30m stays at :15/:45)."""
        return stored.start if stored is not None and stored.spec == schedule.trigger else None

    def remove(self, schedule_id: str, keep_active: bool = False) -> None:
        """Drop the schedule's job; ``keep_active`` keeps its version known (disabled or used up)."""
        if self.scheduler.get_job(schedule_id, jobstore="default") is not None:
            self.scheduler.remove_job(schedule_id, jobstore="default")
        if not keep_active:
            self.active.pop(schedule_id, None)
            self._update_limits()

    def _update_limits(self) -> None:
        self.slots.set_limits(limits_of((a.systems, a.schedule.concurrency.limit) for a in self.active.values()))

    # -- missed fires ----------------------------------------------------------------------------

    def _after_downtime(self, schedule_id: str, stored: dt.datetime) -> None:
        active = self.active.get(schedule_id)
        now = _utc_now()
        if active is None or not active.schedule.enabled or stored > now:
            return
        schedule = active.schedule
        # An interval's phase starts at the stored time: the times it would have fired since.
        trigger = CalendarTrigger(schedule.trigger, schedule.calendar, start=stored)
        missed = trigger.between(stored, now)
        self._decide(schedule_id, active, decide(missed, schedule.misfire, now, after_downtime=True), "daemon_down")
        job = self.scheduler.get_job(schedule_id, jobstore="default")
        if job is not None and job.next_run_time is not None and job.next_run_time <= now:  # kept: file invalid
            job.modify(next_run_time=trigger.get_next_fire_time(None, now))

    def _decide(self, schedule_id: str, active: Active, decisions: list[Any], reason: str) -> None:
        """Audit missed fire times (one mail for the lot) and keep the catch-ups among them."""
        schedule = active.schedule
        self._decided.setdefault(schedule_id, set()).update(item.fire_time for item in decisions)
        # Reported before the catch-ups are kept, so that their run closes the outage this opens. A kill
        # in between: at start-up the job has not moved on yet, so the same misses are decided again.
        self.reporter.misfires(schedule_id, schedule, [Miss(i.fire_time, reason, i.decision) for i in decisions])
        for item in decisions:
            if item.runs:
                self._submit(Fire(schedule_id, schedule, active.systems, item.fire_time, catch_up=True), 0.0)

    def _moved_past(self, schedule_id: str, active: Active, trigger: CalendarTrigger, after: dt.datetime,
                    until: dt.datetime | None, earlier: CalendarTrigger | None, earlier_until: dt.datetime | None) -> None:
        """``on_closed_day: previous`` moved fires to before ``after``: misses, decided by the policy."""
        lost = lost_moves(trigger, after, until, earlier, earlier_until, self._decided.get(schedule_id, set()))
        if lost:
            self._decide(schedule_id, active, decide(lost, active.schedule.misfire, _utc_now(), after_downtime=False),
                         "moved_past")

    def run_due(self, job: Job, run_times: list[dt.datetime]) -> list[Any]:
        """Called in a worker thread for each due job (see ``jobs.FireExecutor``)."""
        active = self.active.get(job.id)
        if job.kwargs.get("fire_time") is not None or active is None:  # a catch-up or retry: runs however late
            jobs.fire_job(*job.args, scheduled=run_times[-1], **job.kwargs)
            return []
        schedule = active.schedule
        decisions = decide(run_times, schedule.misfire, _utc_now(), after_downtime=False)
        self.reporter.misfires(job.id, schedule, [Miss(i.fire_time, "late", i.decision)
                                                  for i in decisions if not i.runs])  # one mail for the lot
        for item in decisions:
            if isinstance(job.trigger, CalendarTrigger):
                self._passed(job.id, active, job.trigger, item.fire_time)
            if item.runs:
                jobs.fire_job(*job.args, scheduled=item.fire_time, **job.kwargs)
        return []

    def _passed(self, schedule_id: str, active: Active, trigger: CalendarTrigger, at: dt.datetime) -> None:
        """The job's chain went past ``at``: audit the closed days up to its next fire, and the
        fires ``previous`` moved behind ``at`` (the chain never runs those)."""
        following = trigger.get_next_fire_time(at, at)
        if following is not None:
            self._closed_days(schedule_id, trigger, at, following)
        self._moved_past(schedule_id, active, trigger, at, following, trigger, None)

    def fire(self, schedule_id: str, scheduled: dt.datetime, kwargs: dict[str, Any]) -> None:
        """Run one fire of the version the job was stored with (a later invalid edit changes nothing)."""
        schedule = Schedule.model_validate(kwargs["spec"])
        fire_time = dt.datetime.fromisoformat(kwargs["fire_time"]) if kwargs.get("fire_time") else scheduled
        fire = Fire(schedule_id, schedule, tuple(kwargs.get("systems", ())), fire_time,
                    int(kwargs.get("attempt", 1)), bool(kwargs.get("catch_up", False)))
        if kwargs.get("fire_time") is None:
            self.runner.fire(fire)
            return
        key = fire_key(schedule_id, fire_time, fire.attempt)
        self.runner.fire(fire, on_start=lambda: self._claim(key, schedule_id))

    def _claim(self, key: str, schedule_id: str) -> None:
        """A kept fire's run begins: its row goes (a restart must not run it again)."""
        try:
            self.pending.remove(key)
        except StoreError as exc:  # it runs now; a restart before the row is gone would run it again
            self.reporter.audit("schedule_pending_unsaved", {"schedule": schedule_id, "key": key, "error": str(exc)})
            self.reporter.say(str(exc), "red")

    def not_run(self, job: Job, run_times: list[dt.datetime]) -> None:
        """Audit due times the executor could not submit (it was shutting down): skipped, or
        deferred to the next start for a kept catch-up or retry (its row stays)."""
        kept = job.kwargs.get("fire_time") is not None
        active = self.active.get(job.id)
        if kept:
            schedule = Schedule.model_validate(job.kwargs["spec"])
            fire_time = dt.datetime.fromisoformat(job.kwargs["fire_time"])
            self.reporter.misfire(job.args[0], schedule, fire_time, "stopped", "deferred")
        elif active is not None:
            self.reporter.misfires(job.id, active.schedule, [Miss(at, "stopped", "skipped") for at in run_times])

    def retry_later(self, fire: Fire, delay_s: float) -> None:
        """Run ``fire`` again after ``delay_s``: the :data:`RetryLater` the runner was given."""
        self._submit(fire, delay_s)

    def _submit(self, fire: Fire, delay_s: float) -> None:
        """A one-off run (catch-up, retry): kept in ``pending.py`` first, then timed in the memory
        store; it runs however late it starts, once."""
        key = fire_key(fire.schedule_id, fire.fire_time, fire.attempt)
        kwargs = {**Active(fire.schedule, fire.systems).job_kwargs(), "fire_time": fire.fire_time.isoformat(),
                  "attempt": fire.attempt, "catch_up": fire.catch_up}
        due = _utc_now() + dt.timedelta(seconds=delay_s)
        try:
            self.pending.put(key, fire.schedule_id, due, kwargs)
        except StoreError as exc:  # it still runs if the daemon lives; say that a restart would lose it
            self.reporter.audit("schedule_pending_unsaved", {"schedule": fire.schedule_id, "key": key, "error": str(exc)})
            self.reporter.say(tr("実行待ちを保存できません（再起動すると失われます）: {e}",
                                 "cannot keep a pending run (a restart would lose it): {e}", e=exc), "red")
        self._timer(key, fire.schedule_id, due, kwargs)

    def _timer(self, key: str, schedule_id: str, due: dt.datetime, kwargs: dict[str, Any]) -> None:
        self.scheduler.add_job(jobs.fire_job, trigger=DateTrigger(due), args=[schedule_id], kwargs=kwargs,
                               jobstore="memory", misfire_grace_time=None, id=key, replace_existing=True)

    def _closed_days(self, schedule_id: str, trigger: CalendarTrigger, after: dt.datetime, until: dt.datetime) -> None:
        for base, reason in trigger.skipped_between(after, until):
            if (schedule_id, base) in self._closed_seen:
                continue
            self._closed_seen.add((schedule_id, base))
            self.reporter.audit("schedule_skipped_closed_day", {
                "schedule": schedule_id, "base_time": base.isoformat(), "reason": reason,
                "policy": trigger.calendar_spec.on_closed_day})

    def _on_event(self, event: JobSubmissionEvent) -> None:
        """EVENT_JOB_MAX_INSTANCES: the schedule's earlier runs are still going; its due times are skipped."""
        active = self.active.get(event.job_id)
        if active is not None:
            self.reporter.misfires(event.job_id, active.schedule,
                                   [Miss(at, "still_running", "skipped") for at in event.scheduled_run_times])


def default_store_url(logs: Path) -> str:
    """The SQLite job store in ``logs`` (folder created), used unless another URL is configured."""
    logs.mkdir(parents=True, exist_ok=True)
    return "sqlite:///" + (logs / "scheduler.sqlite3").as_posix()

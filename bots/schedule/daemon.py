"""``runner.py scheduler``: APScheduler 3 with a persistent SQLAlchemy job store (SQLite by
default, ``logs/scheduler.sqlite3``) running the schedules in ``schedules/``.

Start-up: read every job's stored next run time, load the files, then decide about the fire
times missed while the daemon was down (see ``misses.py``). Running: poll the files (content
hashes; no extra dependency) and reload what changed — an invalid file is reported at
``file:line:col`` and its previous version keeps running. Stop: the runs in progress finish
their current record (the same stop event as ``runner.py run``), then the daemon exits.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from pydantic import ValidationError

from bots.schedule import jobs
from bots.schedule.misses import decide, stored_next_run_times
from bots.schedule.model import Schedule
from bots.schedule.report import Reporter
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
        self._closed_seen: set[tuple[str, dt.datetime]] = set()
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=store_url), "memory": MemoryJobStore()},
            executors={"default": jobs.FireExecutor(self)}, timezone="Asia/Tokyo")
        self.scheduler.add_listener(self._on_event, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Restore stored jobs, load the files, settle fires missed while down, then start firing."""
        stored = stored_next_run_times(self.store_url)
        jobs.install(self)
        self.scheduler.start(paused=True)
        for job in self.scheduler.get_jobs(jobstore="default"):  # restored: runs on if its file turns out invalid
            try:
                schedule = Schedule.model_validate(job.kwargs.get("spec"))
            except ValidationError:  # stored by an incompatible version: its file decides
                continue
            self.active[job.id] = Active(schedule, tuple(job.kwargs.get("systems", ())))
        self.files.sync(self, initial=True)
        for schedule_id, stored_at in stored.items():  # also jobs just removed (a one-off now past)
            self._after_downtime(schedule_id, stored_at)
        self.reporter.audit("scheduler_started", {"schedules": sorted(self.active), "store": display_url(self.store_url)})
        self.scheduler.resume()

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
        self.reporter.audit("scheduler_stopped", {"waited": wait})

    # -- schedules (called by ScheduleFiles) -----------------------------------------------------

    def upsert(self, schedule_id: str, active: Active) -> dt.datetime | None:
        """Run this version from now on; returns its next fire time (None: nothing left to run)."""
        self.active[schedule_id] = active
        self._update_limits()
        schedule = active.schedule
        trigger = CalendarTrigger(schedule.trigger, schedule.calendar, start=self._phase(schedule_id, schedule))
        now = dt.datetime.now(schedule.trigger.zone)
        first = trigger.get_next_fire_time(None, now) if schedule.enabled else None
        if first is None:
            self.remove(schedule_id, keep_active=True)
            return None
        self.scheduler.add_job(jobs.fire_job, trigger=trigger, id=schedule_id, name=schedule.title,
                               args=[schedule_id], kwargs=active.job_kwargs(), replace_existing=True,
                               next_run_time=first, misfire_grace_time=max(1, round(schedule.misfire.grace)),
                               coalesce=False, max_instances=MAX_RUNNING_PER_SCHEDULE)  # misses: run_due decides
        self._closed_days(schedule_id, trigger, now, first)
        return first

    def _phase(self, schedule_id: str, schedule: Schedule) -> dt.datetime | None:
        """An unchanged interval keeps its phase across reloads and restarts (every 30m stays at :15/:45)."""
        job = self.scheduler.get_job(schedule_id, jobstore="default")
        stored = job.trigger if job is not None else None
        return stored.start if isinstance(stored, CalendarTrigger) and stored.spec == schedule.trigger else None

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
        for item in decide(missed, schedule.misfire, now, after_downtime=True):
            self.reporter.misfire(schedule_id, schedule, item.fire_time, "daemon_down", item.decision)
            if item.runs:
                self._submit(Fire(schedule_id, schedule, active.systems, item.fire_time, catch_up=True), 0.0)
        job = self.scheduler.get_job(schedule_id, jobstore="default")
        if job is not None and job.next_run_time is not None and job.next_run_time <= now:  # kept: file invalid
            job.modify(next_run_time=trigger.get_next_fire_time(None, now))

    def run_due(self, job: Job, run_times: list[dt.datetime]) -> list[Any]:
        """Called in a worker thread for each due job (see ``jobs.FireExecutor``)."""
        active = self.active.get(job.id)
        if job.kwargs.get("fire_time") is not None or active is None:  # a catch-up or retry: runs however late
            jobs.fire_job(*job.args, scheduled=run_times[-1], **job.kwargs)
            return []
        events: list[Any] = []
        schedule = active.schedule
        for item in decide(run_times, schedule.misfire, _utc_now(), after_downtime=False):
            if item.decision == "skipped":  # audited by the EVENT_JOB_MISSED listener
                events.append(JobExecutionEvent(EVENT_JOB_MISSED, job.id, job._jobstore_alias, item.fire_time))
            elif item.decision == "coalesced":
                self.reporter.misfire(job.id, schedule, item.fire_time, "late", "coalesced")
            else:
                jobs.fire_job(*job.args, scheduled=item.fire_time, **job.kwargs)
        return events

    def fire(self, schedule_id: str, scheduled: dt.datetime, kwargs: dict[str, Any]) -> None:
        """Run one fire of the version the job was stored with (a later invalid edit changes nothing)."""
        schedule = Schedule.model_validate(kwargs["spec"])
        fire_time = dt.datetime.fromisoformat(kwargs["fire_time"]) if kwargs.get("fire_time") else scheduled
        fire = Fire(schedule_id, schedule, tuple(kwargs.get("systems", ())), fire_time,
                    int(kwargs.get("attempt", 1)), bool(kwargs.get("catch_up", False)))
        if kwargs.get("fire_time") is None:
            trigger = CalendarTrigger(schedule.trigger, schedule.calendar)
            following = trigger.get_next_fire_time(scheduled, scheduled)
            if following is not None:
                self._closed_days(schedule_id, trigger, scheduled, following)
        self.runner.fire(fire)

    def not_run(self, job: Job, run_times: list[dt.datetime]) -> None:
        """Audit due times the executor could not submit (it was shutting down) as skipped."""
        active = self.active.get(job.id)
        if active is None:
            return
        for at in run_times:
            self.reporter.misfire(job.id, active.schedule, at, "stopped", "skipped")

    def retry_later(self, fire: Fire, delay_s: float) -> None:
        """Run ``fire`` again after ``delay_s``: the :data:`RetryLater` the runner was given."""
        self._submit(fire, delay_s)

    def _submit(self, fire: Fire, delay_s: float) -> None:
        """A one-off run (catch-up, retry) in the memory store: it runs however late it starts."""
        kwargs = {**Active(fire.schedule, fire.systems).job_kwargs(), "fire_time": fire.fire_time.isoformat(),
                  "attempt": fire.attempt, "catch_up": fire.catch_up}
        self.scheduler.add_job(jobs.fire_job, trigger=DateTrigger(_utc_now() + dt.timedelta(seconds=delay_s)),
                               args=[fire.schedule_id], kwargs=kwargs, jobstore="memory", misfire_grace_time=None,
                               id=f"{fire.schedule_id}@{fire.fire_time.isoformat()}#{fire.attempt}")

    def _closed_days(self, schedule_id: str, trigger: CalendarTrigger, after: dt.datetime, until: dt.datetime) -> None:
        for base, reason in trigger.skipped_between(after, until):
            if (schedule_id, base) in self._closed_seen:
                continue
            self._closed_seen.add((schedule_id, base))
            self.reporter.audit("schedule_skipped_closed_day", {
                "schedule": schedule_id, "base_time": base.isoformat(), "reason": reason,
                "policy": trigger.calendar_spec.on_closed_day})

    def _on_event(self, event: JobExecutionEvent | JobSubmissionEvent) -> None:
        active = self.active.get(event.job_id)
        if active is None:
            return
        schedule = active.schedule
        if event.code == EVENT_JOB_MISSED:
            self.reporter.misfire(event.job_id, schedule, event.scheduled_run_time, "late",
                                  "skipped")
        else:  # EVENT_JOB_MAX_INSTANCES
            for at in getattr(event, "scheduled_run_times", []):
                self.reporter.misfire(event.job_id, schedule, at, "still_running", "skipped")


def default_store_url(logs: Path) -> str:
    """The SQLite job store in ``logs`` (folder created), used unless another URL is configured."""
    logs.mkdir(parents=True, exist_ok=True)
    return "sqlite:///" + (logs / "scheduler.sqlite3").as_posix()

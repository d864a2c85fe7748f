"""The glue APScheduler 3 sees: a module-level job function and a thread-pool executor.

The job store pickles jobs, so a job holds only a reference to :func:`fire_job` and plain data
(the schedule id, its validated spec as JSON, its systems) — never objects. The executor is
APScheduler's thread pool, except that it hands each due time to the daemon, which decides
(grace time, coalescing) and audits every time it does not run: APScheduler itself drops
coalesced times silently.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import threading
from typing import Any, Protocol

from apscheduler.executors.pool import BasePoolExecutor
from apscheduler.job import Job

from bots.errors import FrameworkError


class DueHandler(Protocol):
    """What the executor and :func:`fire_job` need of the daemon, so this module need not import it."""

    def run_due(self, job: Job, run_times: list[dt.datetime]) -> list[Any]:
        """Decide about the due times of ``job`` and run them; return events for APScheduler."""

    def fire(self, schedule_id: str, scheduled: dt.datetime, kwargs: dict[str, Any]) -> None:
        """Run one fire of ``schedule_id`` due at ``scheduled``, from the job's stored kwargs."""

    def not_run(self, job: Job, run_times: list[dt.datetime]) -> None:
        """Account for due times that could not be submitted (the pool is shutting down)."""


_current: DueHandler | None = None
_lock = threading.Lock()


def install(handler: DueHandler | None) -> None:
    """The daemon of this process (one per process: it owns the job store)."""
    global _current
    with _lock:
        _current = handler


def fire_job(schedule_id: str, *, scheduled: dt.datetime | None = None, **kwargs: Any) -> None:
    """What every stored job calls (by reference ``bots.schedule.jobs:fire_job``); the executor
    passes the due time as ``scheduled``."""
    handler = _current
    if handler is None:
        raise FrameworkError(f"no scheduler daemon in this process for {schedule_id}")
    handler.fire(schedule_id, scheduled or dt.datetime.now(dt.UTC), kwargs)


class FireExecutor(BasePoolExecutor):  # type: ignore[misc]  # APScheduler 3 ships no type hints
    """APScheduler's thread pool, but each due job goes to the daemon, which decides and audits."""

    def __init__(self, handler: DueHandler, max_workers: int = 8) -> None:
        super().__init__(concurrent.futures.ThreadPoolExecutor(max_workers, thread_name_prefix="kz-fire"))
        self._handler = handler

    def _do_submit_job(self, job: Job, run_times: list[dt.datetime]) -> None:
        def done(future: concurrent.futures.Future[list[Any]]) -> None:
            exc = future.exception()
            if exc is not None:
                self._run_job_error(job.id, exc, exc.__traceback__)
            else:
                self._run_job_success(job.id, future.result())

        try:
            future = self._pool.submit(self._handler.run_due, job, run_times)
        except RuntimeError:  # the pool is shut down: a job fell due while the daemon was stopping
            self._handler.not_run(job, run_times)
            return
        future.add_done_callback(done)

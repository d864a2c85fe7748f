"""Fire times that did not run when due, and what to do about each: never silent.

Four sources: the daemon was down (found at start-up by comparing each job's stored next run
time with now, read straight from the job store table so that even a job APScheduler cannot
restore is seen); a due time reached too late while running (machine asleep, all workers
busy); earlier runs still going (APScheduler's instance limit); and ``on_closed_day: previous``
moving a fire to a time already past when it was computed (:func:`lost_moves`). The policy decides: within the grace time a missed fire runs late (``catch_up``), the
older of several are coalesced into the newest when ``coalesce``, beyond the grace time or with
``after_downtime: skip`` it is skipped. Each decision is one ``schedule_misfire`` ledger entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from bots.schedule.model import MisfireSpec
from bots.schedule.trigger import CalendarTrigger

JOBS_TABLE = "apscheduler_jobs"


@dataclass(frozen=True)
class Decision:
    """What happens to one missed fire time: ``catch_up``, ``coalesced`` or ``skipped``."""

    fire_time: dt.datetime
    decision: str  # catch_up | coalesced | skipped

    @property
    def runs(self) -> bool:
        """Whether this fire time still runs (late); the other decisions are only audited."""
        return self.decision == "catch_up"


def stored_next_run_times(url: str) -> dict[str, dt.datetime]:
    """Each stored job's next run time (UTC), straight from APScheduler's table; {} before the first start."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table(JOBS_TABLE):
                return {}
            rows = connection.execute(sa.text(f"SELECT id, next_run_time FROM {JOBS_TABLE}"))
            return {str(job_id): dt.datetime.fromtimestamp(float(at), dt.UTC)
                    for job_id, at in rows if at is not None}
    except SQLAlchemyError:  # unreadable job store: nothing known to be missed (the daemon reports the store)
        return {}
    finally:
        engine.dispose()


def decide(missed: list[dt.datetime], policy: MisfireSpec, now: dt.datetime, *, after_downtime: bool) -> list[Decision]:
    """What happens to each missed fire time (oldest first)."""
    if after_downtime and policy.after_downtime == "skip":
        return [Decision(at, "skipped") for at in missed]
    grace = dt.timedelta(seconds=policy.grace)
    within = [at for at in missed if now - at <= grace]
    running = within[-1:] if policy.coalesce else within
    return [Decision(at, "catch_up" if at in running else "coalesced" if at in within else "skipped")
            for at in missed]


def lost_moves(trigger: CalendarTrigger, after: dt.datetime, until: dt.datetime | None,
               earlier: CalendarTrigger | None, earlier_until: dt.datetime | None,
               decided: set[dt.datetime]) -> list[dt.datetime]:
    """Fire times that ``previous`` moved behind ``after`` (the moment ``trigger``'s next fire
    was computed) and that nobody ran: not already ``decided``, and not a fire of ``earlier`` —
    the trigger whose chain ran until ``earlier_until`` (None: the same chain, to date). A time
    the chain does fire (several closed days moved onto one open day) is no miss."""
    lost = []
    for planned in trigger.moved_before(after, until):
        at = planned.at
        covered = earlier is not None and (earlier_until is None or at < earlier_until)
        if at in decided or (covered and earlier is not None and earlier.get_next_fire_time(None, at) == at):
            continue
        lost.append(at)
    return sorted(set(lost))

"""Scheduled runs: nightly and business-day runs of flows, never a silent miss.

::

    model.py     a schedule file as a frozen model (trigger, calendar, misfire, concurrency, retries, notify)
    loader.py    schedules/*.yaml → models, every problem at file:line:col
    calendar.py  BusinessCalendar: weekends, 祝日・振替休日 (jpholiday), 年末年始, closed days, blackouts
    trigger.py   CalendarTrigger: APScheduler trigger with the calendar applied (daemon and ``schedule next``)
    inputs.py    the flow inputs of a fire time (``{date:%Y%m%d}``)
    slots.py     concurrency limit per target system, across schedules
    runs.py      one fire → one run through the executor, audited, retried, mailed
    misses.py    missed fire times and the decision about each
    pending.py   catch-ups and retries kept in the job store's database until their run begins
    jobs.py      what APScheduler sees: the job function and the executor
    watch.py     schedule files polled and reloaded
    daemon.py    the ``runner.py scheduler`` daemon
    report.py    ledger, console and mail; notify.py sends the mail
"""

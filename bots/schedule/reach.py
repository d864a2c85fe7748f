"""Whether a schedule will ever run, and if not, why: a cron for 2月30日, an ``at`` already past,
or a calendar that closes every day it would fire on.

Such a schedule is valid YAML and a valid model, and the daemon would wait for it silently
forever; ``schedule validate`` warns at ``file:line:col`` and ``schedule next`` says why instead of
「予定はありません」. Uses the daemon's own trigger, so the answer is what the daemon would do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bots.i18n import tr
from bots.schedule.calendar import weekday_ja
from bots.schedule.cron import cron_trigger
from bots.schedule.model import Schedule
from bots.schedule.trigger import CalendarTrigger

#: How far ahead a schedule must reach a business day not to be warned about.
HORIZON = dt.timedelta(days=366)


@dataclass(frozen=True)
class Silence:
    """Why a schedule will not run: the message, and the YAML key path it is about."""

    message: str
    where: tuple[str, ...]


def silence(schedule: Schedule, now: dt.datetime) -> Silence | None:
    """Why ``schedule`` will not run within :data:`HORIZON` from ``now``, or None when it will."""
    spec = schedule.trigger
    zone = spec.zone
    if spec.cron is not None and cron_trigger(spec.cron, zone).get_next_fire_time(None, now) is None:
        return Silence(tr("cron 式 '{c}' に当てはまる日時がありません（2月30日・4月31日のような存在しない日付など）。"
                          "このスケジュールは実行されません",
                          "cron '{c}' matches no date (e.g. 30 February or 31 April); this schedule never runs",
                          c=spec.cron), ("trigger", "cron"))
    if spec.at is not None:
        at = spec.at if spec.at.tzinfo else spec.at.replace(tzinfo=zone)
        if at < now:
            return Silence(tr("at の日時 {a} は過ぎています。このスケジュールは実行されません",
                              "'at' {a} has passed; this schedule never runs", a=_day(at)), ("trigger", "at"))
    fire = CalendarTrigger(spec, schedule.calendar, start=now).next_fire(None, now)
    if fire is not None and fire.at - now <= HORIZON:
        return None
    if fire is not None and _base_next(schedule, now) > now + HORIZON:  # 2月29日: rare, not closed
        return Silence(tr("次の実行は {a} で、1年以上先です", "the next run is {a}, more than a year ahead",
                          a=_day(fire.at)), ("trigger",))
    return Silence(tr("今後1年間、実行する日がすべて休業日（土日祝・年末年始・closed_days・blackouts）に"
                      "当たります。このスケジュールは実行されません",
                      "every day it would fire on in the coming year is closed (weekends, holidays, year-end, "
                      "closed_days, blackouts); this schedule does not run"), ("calendar",))


def _base_next(schedule: Schedule, now: dt.datetime) -> dt.datetime:
    """The next fire time of the trigger alone, calendar ignored (``now`` when it always fires)."""
    spec = schedule.trigger
    if spec.cron is None:
        return now
    found: dt.datetime | None = cron_trigger(spec.cron, spec.zone).get_next_fire_time(None, now)
    return found or now


def _day(at: dt.datetime) -> str:
    return f"{at:%Y-%m-%d}({weekday_ja(at.date())}) {at:%H:%M}"


def quiet_reasons(schedules: dict[str, Schedule], files: int, now: dt.datetime, until: dt.datetime) -> list[str]:
    """Why nothing fires between ``now`` and ``until``, one line per cause (for ``schedule next``):
    no files, files with errors, disabled schedules, schedules that never run, or the next fire later."""
    if files == 0:
        return [tr("schedules/ にスケジュールのファイルがありません", "there are no schedule files in schedules/")]
    reasons: list[str] = []
    if files > len(schedules):
        reasons.append(tr("エラーのため読み込めないスケジュールが {n} 件あります（runner.py schedule validate で確認）",
                          "{n} schedule file(s) have errors (see runner.py schedule validate)", n=files - len(schedules)))
    for sid, schedule in sorted(schedules.items()):
        quiet = silence(schedule, now)
        if not schedule.enabled:
            reasons.append(tr("{s}: 無効です（enabled: false）", "{s}: disabled (enabled: false)", s=sid))
        elif quiet is not None:
            reasons.append(f"{sid}: {quiet.message}")
        else:
            fire = CalendarTrigger(schedule.trigger, schedule.calendar, start=now).next_fire(None, now)
            if fire is not None and fire.at > until:
                reasons.append(tr("{s}: 次の実行は {a} です（表示期間の後）", "{s}: next fire {a} (after this period)",
                                  s=sid, a=_day(fire.at)))
    return reasons

"""``runner.py schedule validate | list | next [--days N]``: check and preview ``schedules/``.

``next`` uses the daemon's own trigger (calendar applied), so what it lists is what will run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bots.errors import ExitCode
from bots.governance.scheduled import ScheduledApproval, scheduled_approvals
from bots.i18n import tr
from bots.listeners.console import print_diagnostics
from bots.project import Project
from bots.schedule.loader import LoadedSchedule, load_all, load_schedule, schedule_files
from bots.schedule.reach import quiet_reasons
from bots.schedule.report import when
from bots.schedule.trigger import CalendarTrigger
from bots.store.store import RunStore

app = typer.Typer(no_args_is_help=True, add_completion=False)

_POLICY = {"skip": ("実行しない", "skip"), "previous": ("前の業務日", "previous business day"),
           "next": ("次の業務日", "next business day")}


def _now(value: str | None) -> dt.datetime:
    """``--now`` (for previews and tests) or the current time, aware."""
    if not value:
        return dt.datetime.now().astimezone()
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone(dt.timedelta(hours=9)))


def _valid(project: Project, console: Console, now: dt.datetime | None = None) -> dict[str, LoadedSchedule]:
    valid, found = load_all(project.schedules, project, now)
    print_diagnostics(console, list(found))
    return valid


def approvals(project: Project, schedules: dict[str, LoadedSchedule]) -> dict[str, ScheduledApproval]:
    """Each schedule's flow as approved or not now (production mode refuses an unapproved one when it fires)."""
    if not schedules:
        return {}
    with RunStore.open(None, project.logs) as store:
        return scheduled_approvals(project, store, {sid: item.schedule.flow for sid, item in schedules.items()})


def _trigger(item: LoadedSchedule, now: dt.datetime) -> CalendarTrigger:
    return CalendarTrigger(item.schedule.trigger, item.schedule.calendar, start=now)


@app.command("validate", help=tr("スケジュール定義を検査します", "validate schedule files"))
def validate(paths: list[Path] = typer.Argument(None, help=tr("ファイルかフォルダ（既定: schedules/）",
                                                              "files or folders (default: schedules/)")),
             now: str = typer.Option(None, "--now", hidden=True)) -> None:
    """``schedule validate``: every problem of the schedule files, before the daemon meets them at night.
    A schedule that will never run is a warning: valid, but shown."""
    err = Console(stderr=True, soft_wrap=True)
    project = Project.discover()
    at = _now(now)
    files: list[Path] = []
    for path in paths or [project.schedules]:
        files.extend(schedule_files(path) if path.is_dir() else [path])
    errors = warnings = 0
    loaded: dict[str, LoadedSchedule] = {}
    for path in files:
        item, found = load_schedule(path, project, at)
        print_diagnostics(err, list(found))
        errors += len(found.errors)
        warnings += len(found.warnings)
        if item is not None:
            loaded[item.id] = item
    for sid, state in approvals(project, loaded).items():
        if not state.will_run:
            err.print(f"[yellow]{escape(tr('警告', 'warning'))}: {escape(state.warning(sid))}[/]")
            warnings += 1
    err.print(tr("{n} ファイルを検査: エラー {e} 件、警告 {w} 件", "{n} files checked: {e} errors, {w} warnings",
                 n=len(files), e=errors, w=warnings))
    raise typer.Exit(ExitCode.INVALID if errors else ExitCode.OK)


@app.command("list", help=tr("スケジュールの一覧", "list schedules"))
def list_schedules(now: str = typer.Option(None, "--now", hidden=True)) -> None:
    """``schedule list``: each valid schedule with its rule, closed-day policy and next fire time."""
    console = Console(soft_wrap=True)
    at = _now(now)
    table = Table(tr("ID", "id"), tr("名前", "title"), tr("フロー", "flow"), tr("承認", "approval"), tr("いつ", "when"),
                  tr("休業日", "closed days"), tr("次回", "next"))
    project = Project.discover()
    valid = _valid(project, Console(stderr=True))
    approved = approvals(project, valid)
    for sid, item in sorted(valid.items()):
        schedule = item.schedule
        spec = schedule.trigger
        first = _trigger(item, at).next_fire(None, at) if schedule.enabled else None
        upcoming = when(first.at, spec.zone) if first else tr("（無効）", "(disabled)") if not schedule.enabled else "-"
        state = approved.get(sid)
        table.add_row(sid, escape(schedule.title), schedule.flow, escape(state.status) if state else "-", spec.describe(),
                      tr(*_POLICY[schedule.calendar.on_closed_day]), upcoming)
    console.print(table)


@app.command("next", help=tr("これからの実行予定（業務日カレンダー適用後）", "coming fire times, calendar applied"))
def next_fires(days: int = typer.Option(7, "--days", min=1, max=400, help=tr("何日先まで", "how many days ahead")),
               now: str = typer.Option(None, "--now", hidden=True)) -> None:
    """``schedule next``: the coming fire times with the calendar applied, by the daemon's own trigger."""
    console = Console(soft_wrap=True, highlight=False)
    at = _now(now)
    until = at + dt.timedelta(days=days)
    lines: list[tuple[dt.datetime, str]] = []
    zones: set[str] = set()
    project = Project.discover()
    valid = _valid(project, Console(stderr=True), at)
    runs = 0
    for sid, item in sorted(valid.items()):
        if not item.schedule.enabled:
            continue
        zone, title = item.schedule.trigger.zone, item.schedule.title
        zones.add(str(zone))
        trigger = _trigger(item, at)
        upcoming = trigger.upcoming(at, until)
        runs += len(upcoming)
        for fire in upcoming:
            moved = tr("（{d} から移動）", " (moved from {d})", d=when(fire.moved_from, zone)) if fire.moved_from else ""
            lines.append((fire.at, f"{when(fire.at, zone)}  {sid}  {escape(title)}{moved}"))
        for base, reason in trigger.skipped_between(at - dt.timedelta(microseconds=1), until):
            if item.schedule.calendar.on_closed_day == "skip":
                lines.append((base, "[dim]" + tr("{t}  {s}  実行しません（{r}）", "{t}  {s}  not run ({r})",
                                                   t=when(base, zone), s=sid, r=escape(reason)) + "[/]"))
    # Times are each schedule's own zone (Asia/Tokyo by default): say which, also for "from".
    shown = dt.datetime.now().astimezone().tzinfo if len(zones) != 1 else item.schedule.trigger.zone
    console.print(tr("{a} から {d} 日間の実行予定（時刻は {z}）", "fire times for {d} days from {a} (times in {z})",
                     a=when(at, shown), d=days, z=", ".join(sorted(zones)) or str(shown)))
    for _, text in sorted(lines, key=lambda pair: pair[0]):
        console.print(text)
    if not runs:  # say why, also when only closed days were listed
        console.print(tr("予定はありません", "nothing scheduled"))
        schedules = {sid: item.schedule for sid, item in valid.items()}
        for reason in quiet_reasons(schedules, len(schedule_files(project.schedules)), at, until):
            console.print("  " + escape(reason))

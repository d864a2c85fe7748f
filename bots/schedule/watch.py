"""Keep the daemon's jobs in step with ``schedules/*.yaml`` by polling content hashes.

Polling (every couple of seconds) needs no extra dependency and behaves the same on Windows,
network shares and editors that replace files. A changed file is loaded again: valid → its job
is replaced (``schedule_reloaded``); invalid → every problem at ``file:line:col`` on the console
and in the ledger (``schedule_invalid``), and the previous version keeps running.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console

from bots.i18n import tr
from bots.listeners.console import print_diagnostics
from bots.project import Project
from bots.schedule.loader import load_schedule, schedule_files, schedule_id
from bots.schedule.model import Schedule
from bots.schedule.report import Reporter, when
from bots.spec.diagnostics import Diagnostics


@dataclass(frozen=True)
class Active:
    """The version of a schedule that runs now (its last valid one)."""

    schedule: Schedule
    systems: tuple[str, ...]

    def job_kwargs(self) -> dict[str, Any]:
        """The job's kwargs as plain JSON: the job store pickles them (see ``jobs``)."""
        return {"spec": self.schedule.model_dump(mode="json", by_alias=True), "systems": list(self.systems)}


class Jobs(Protocol):
    """What :class:`ScheduleFiles` changes in the daemon (a protocol: the daemon imports this module)."""

    active: dict[str, Active]

    def upsert(self, schedule_id: str, active: Active) -> dt.datetime | None:
        """Run ``active`` from now on; return its next fire time (None: nothing left to run)."""

    def remove(self, schedule_id: str, keep_active: bool = False) -> None:
        """Stop running ``schedule_id``; ``keep_active`` keeps its version known."""


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


class ScheduleFiles:
    """Watches the schedule folder by content hash and tells the daemon what changed."""

    def __init__(self, project: Project, reporter: Reporter, console: Console, folder: Path | None = None) -> None:
        self.project, self.reporter, self.console = project, reporter, console
        self.folder = folder or project.schedules
        self._seen: dict[Path, str] = {}

    def sync(self, jobs: Jobs, initial: bool = False) -> None:
        """Load new or changed files and drop schedules whose file is gone; ``initial`` at start-up."""
        current = {path: _digest(path) for path in schedule_files(self.folder)}
        for path, digest in current.items():
            if self._seen.get(path) != digest:
                self._load(jobs, path, digest, initial)
        gone = {schedule_id(p) for p in self._seen if p not in current}
        if initial:  # stored jobs whose file was deleted while the daemon was down
            gone |= set(jobs.active) - {schedule_id(p) for p in current}
        for sid in sorted(gone):
            jobs.remove(sid)
            self.reporter.audit("schedule_removed", {"schedule": sid})
            self.reporter.say(tr("スケジュールを外しました: {s}", "schedule removed: {s}", s=sid), "yellow")
        self._seen = current

    def _shown(self, found: Diagnostics) -> list[Any]:
        return [dataclasses.replace(d, path=self.project.relative(d.path)) for d in found]

    def _load(self, jobs: Jobs, path: Path, digest: str, initial: bool) -> None:
        sid, shown_path = schedule_id(path), self.project.relative(path)
        loaded, found = load_schedule(path, self.project)
        print_diagnostics(self.console, self._shown(found))
        if loaded is None:
            self._invalid(jobs, sid, shown_path, self._shown(Diagnostics(found.errors)))
            return
        first = jobs.upsert(sid, Active(loaded.schedule, loaded.systems))
        self.reporter.audit("schedule_loaded" if initial else "schedule_reloaded", {
            "schedule": sid, "file": shown_path.as_posix(), "sha256": digest, "enabled": loaded.schedule.enabled,
            "next_fire": first.isoformat() if first else None})
        zone = loaded.schedule.trigger.zone
        self.reporter.say(tr("スケジュール {s}: 次回 {n}", "schedule {s}: next {n}", s=sid,
                             n=when(first, zone) if first else tr("予定なし", "none")))

    def _invalid(self, jobs: Jobs, sid: str, shown_path: Path, errors: list[Any]) -> None:
        first = errors[0].render() if errors else ""
        self.reporter.audit("schedule_invalid", {"schedule": sid, "file": shown_path.as_posix(), "errors": len(errors),
                                                 "first": first})
        previous = jobs.active.get(sid)
        note = (tr("前の版のまま実行を続けます", "its previous version keeps running") if previous
                else tr("このスケジュールは実行されません", "this schedule does not run"))
        self.reporter.say(tr("スケジュール定義にエラーがあります（{n} 件）: {p}。{w}", "schedule file has {n} errors: {p}; {w}",
                             n=len(errors), p=shown_path.as_posix(), w=note), "red")
        if previous is not None:
            body = "\n".join([note, *(d.render() for d in errors)])
            self.reporter.mail(previous.schedule.notify, "failure",
                               tr("スケジュール定義エラー: {s}", "schedule file error: {s}", s=sid), body, sid)

"""Load ``schedules/*.yaml`` like flows: every problem at ``file:line:col``, never a traceback.

A schedule's id is its file name without ``.yaml`` (``schedules/demo_nightly.yaml`` →
``demo_nightly``), so even a file too broken to parse still names the job it belongs to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from bots.flow.loader import load_flow
from bots.i18n import tr
from bots.project import Project
from bots.schedule.model import (
    Blackout,
    CalendarSpec,
    ConcurrencySpec,
    MisfireSpec,
    NotifySpec,
    RetrySpec,
    Schedule,
    TriggerSpec,
)
from bots.schedule.reach import silence
from bots.spec.diagnostics import Diagnostic, Diagnostics, Severity
from bots.spec.validation import diagnostics_from_validation, suggest
from bots.spec.yamlpos import LoadedYaml, PathKey, load_yaml


@dataclass(frozen=True)
class LoadedSchedule:
    """A schedule file that loaded and checked clean, with what the daemon needs to run it."""

    id: str
    path: Path
    schedule: Schedule
    #: SHA-256 of the file as loaded: what the ledger's ``schedule_reloaded`` refers to.
    digest: str
    #: Target systems whose concurrency limit this schedule's runs count against.
    systems: tuple[str, ...]


def schedule_files(folder: Path) -> list[Path]:
    """The schedule files in ``folder`` (none if it is missing), sorted so load order is stable."""
    return sorted(p for p in folder.glob("*.yaml") if p.is_file()) if folder.is_dir() else []


def schedule_id(path: Path) -> str:
    """A schedule's id: its file name without ``.yaml``, so even an unparsable file names its job."""
    return path.stem


def _at(loaded: LoadedYaml, path: PathKey, message: str) -> Diagnostic:
    return Diagnostic(loaded.path, loaded.key_pos_of(path), message)


def _check(schedule: Schedule, loaded: LoadedYaml, project: Project) -> tuple[Diagnostics, tuple[str, ...]]:
    """What the model alone cannot know: the flow exists and is valid, the inputs are its own."""
    found = Diagnostics()
    if schedule.trigger.every is not None and schedule.calendar.on_closed_day != "skip":
        # Moving every fire of a closed day onto the next open day would pile them up.
        found.append(_at(loaded, ("calendar", "on_closed_day"), tr(
            "every（間隔）の実行では on_closed_day は skip だけが使えます", "with 'every', on_closed_day must be skip")))
    flow_path = project.root / schedule.flow
    if not flow_path.is_file():
        found.append(Diagnostic(loaded.path, loaded.pos_of(("flow",)), tr(
            "フローのファイルが見つかりません: {f}", "flow file not found: {f}", f=schedule.flow)))
        return found, schedule.concurrency.systems or ()
    flow, flow_found = load_flow(flow_path, project)
    if flow is None:
        first = flow_found.errors[0].render() if flow_found.errors else ""
        found.append(Diagnostic(loaded.path, loaded.pos_of(("flow",)), tr(
            "フロー定義にエラーがあります: {e}", "the flow has errors: {e}", e=first)))
        return found, schedule.concurrency.systems or ()
    declared = flow.flow.inputs
    for name in schedule.inputs:
        if name not in declared:
            found.append(_at(loaded, ("inputs", name), tr(
                "フロー {f} にない入力です: {n}。", "flow {f} has no input {n}.", f=flow.flow.id, n=name)
                + suggest(name, declared)))
    systems = schedule.concurrency.systems
    for index, system in enumerate(systems or ()):
        if system not in flow.flow.systems:
            found.append(Diagnostic(loaded.path, loaded.pos_of(("concurrency", "systems", index)), tr(
                "フロー {f} が使わない対象システムです: {s}", "flow {f} does not use system {s}", f=flow.flow.id, s=system)))
    return found, systems if systems is not None else tuple(flow.flow.systems)


def _schedule_keys() -> list[str]:
    models = (Schedule, TriggerSpec, CalendarSpec, Blackout, MisfireSpec, ConcurrencySpec, RetrySpec, NotifySpec)
    return [info.alias or name for model in models for name, info in model.model_fields.items()]


def _validated(loaded: LoadedYaml, found: Diagnostics) -> Schedule | None:
    """The model, or None with pydantic's errors added to ``found`` at their file positions (an
    unknown key with the schedule's own close names)."""
    try:
        return Schedule.model_validate(loaded.data)
    except ValidationError as exc:
        found.extend(diagnostics_from_validation(exc, loaded, key_pool=lambda loc: _schedule_keys()))
        return None


def _reach(schedule: Schedule, loaded: LoadedYaml, now: dt.datetime | None) -> Diagnostics:
    """A warning when the schedule will never run (see :mod:`bots.schedule.reach`)."""
    quiet = silence(schedule, now or dt.datetime.now(schedule.trigger.zone))
    if quiet is None:
        return Diagnostics()
    where = quiet.where if quiet.where in loaded.key_pos else ("trigger",)
    pos = loaded.value_pos.get(where) if len(where) > 1 else loaded.key_pos_of(where)
    return Diagnostics([Diagnostic(loaded.path, pos or loaded.key_pos_of(where), quiet.message, Severity.WARNING)])


def load_schedule(path: Path, project: Project, now: dt.datetime | None = None) -> tuple[
    LoadedSchedule | None, Diagnostics
]:
    """Parse, validate and check one schedule file; never raises for bad content. ``now`` (default:
    the current time) is where the "will it ever run" warning looks from."""
    loaded, found = load_yaml(path)
    schedule = _validated(loaded, found) if loaded is not None else None
    if loaded is None or schedule is None:
        return None, Diagnostics(found.sorted())
    checked, systems = _check(schedule, loaded, project)
    found.extend(checked)
    if not found.errors:
        found.extend(_reach(schedule, loaded, now))
    if found.errors:
        return None, Diagnostics(found.sorted())
    digest = hashlib.sha256(loaded.source.encode("utf-8")).hexdigest()
    return LoadedSchedule(schedule_id(path), path, schedule, digest, systems), found


def load_all(folder: Path, project: Project, now: dt.datetime | None = None) -> tuple[
    dict[str, LoadedSchedule], Diagnostics
]:
    """Every schedule in ``folder``: the valid ones by id, and the diagnostics of all."""
    valid: dict[str, LoadedSchedule] = {}
    found = Diagnostics()
    for path in schedule_files(folder):
        schedule, diagnostics = load_schedule(path, project, now)
        found.extend(diagnostics)
        if schedule is not None:
            valid[schedule.id] = schedule
    return valid, found

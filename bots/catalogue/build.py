"""Assemble the catalogue: every flow under ``flows/`` with its people, zones, schedules, approval
and runs, and what does not fit (sub-flows are parts of the bots that call them, not bots).

A *bot* is a flow file no other flow calls. The run store adds the approvals and the runs; the
staff directory turns ``owner:``/``deputy:`` into people with a 所属; the schedules say when each
bot runs by itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from bots.api import flow_files
from bots.catalogue.entry import CatalogueEntry, RunSummary, ScheduleRef, SystemRow
from bots.flow.loader import LoadedFlow, load_flow
from bots.governance.staff import StaffDirectory, load_staff
from bots.governance.versions import Version, approval_state
from bots.i18n import tr
from bots.project import Project
from bots.schedule.loader import LoadedSchedule, load_all
from bots.spec.diagnostics import Diagnostics
from bots.spec.project_config import GovernanceSettings, load_project_config
from bots.store.store import RunStore

#: The window of the 管理台帳's "runs and records in the last 30 days".
ACTIVITY_DAYS = 30


@dataclass(frozen=True)
class Catalogue:
    """Every bot on disk, plus what the health report compares them with."""

    entries: tuple[CatalogueEntry, ...]
    #: Files under flows/ that are called by a bot (parts of it, listed with it).
    subflows: tuple[Path, ...]
    staff: StaffDirectory
    settings: GovernanceSettings
    schedules: dict[str, LoadedSchedule]
    #: Flow ids that have runs in the store but no file on disk.
    runs_without_flow: tuple[str, ...]
    #: Flow ids approved in the store whose file is gone.
    approved_without_flow: tuple[str, ...]
    diagnostics: Diagnostics
    built_at: dt.datetime


def _called(loaded: LoadedFlow) -> set[Path]:
    found = set()
    for sub in loaded.subflows.values():
        found.add(sub.path.resolve())
        found |= _called(sub)
    return found


def _systems(loaded: LoadedFlow) -> tuple[SystemRow, ...]:
    rows = []
    for name, spec in loaded.flow.systems.items():
        selector_map = loaded.selector_maps.get(name)
        title = spec.title or (selector_map.title if selector_map and selector_map.title else name)
        rows.append(SystemRow(name, title, spec.kind, selector_map.zone if selector_map else None))
    return tuple(rows)


def _schedules_by_flow(schedules: dict[str, LoadedSchedule], project: Project) -> dict[Path, list[ScheduleRef]]:
    found: dict[Path, list[ScheduleRef]] = {}
    for sid, item in sorted(schedules.items()):
        spec = item.schedule
        path = (project.root / spec.flow).resolve()
        calendar = tr("（業務日のみ）", " (business days only)") if spec.calendar.business_days_only else ""
        found.setdefault(path, []).append(ScheduleRef(sid, spec.trigger.describe() + calendar, spec.enabled,
                                                      item.path))
    return found


def _activity(store: RunStore | None, flow_id: str, now: dt.datetime) -> RunSummary:
    if store is None:
        return RunSummary()
    figures = store.flow_activity(flow_id, now - dt.timedelta(days=ACTIVITY_DAYS))
    return RunSummary(last_run_at=figures.last_run_at, last_status=figures.last_status,
                      last_success_at=figures.last_success_at, runs_30d=figures.runs_in_window,
                      records_30d=figures.records_in_window, recent_statuses=figures.recent_statuses)


def _entry(path: Path, loaded: LoadedFlow | None, found: Diagnostics, project: Project, staff: StaffDirectory,
           settings: GovernanceSettings, store: RunStore | None, schedules: list[ScheduleRef],
           now: dt.datetime) -> CatalogueEntry:
    shown = project.relative(path).as_posix()
    if loaded is None:
        return CatalogueEntry(path=path, shown=shown, loaded=None, diagnostics=found, flow_id=path.stem,
                              title="", version="", department=None, owner_ref="", deputy_ref=None, owner=None,
                              deputy=None, schedules=tuple(schedules))
    flow = loaded.flow
    version = Version.of(loaded, project)
    inputs = tuple(flow.inputs) + ((f"records: {flow.records.source}",) if flow.records is not None else ())
    return CatalogueEntry(
        path=path, shown=shown, loaded=loaded, diagnostics=found, flow_id=flow.id, title=flow.title,
        version=flow.version, department=flow.department, owner_ref=flow.owner, deputy_ref=flow.deputy,
        owner=staff.find(flow.owner), deputy=staff.find(flow.deputy), systems=_systems(loaded),
        data_classes=tuple(flow.data_classes), inputs=inputs, schedules=tuple(schedules),
        approval=approval_state(store, flow.id, version.fingerprint, settings) if store is not None else None,
        runs=_activity(store, flow.id, now))


def build_catalogue(project: Project, store: RunStore | None, now: dt.datetime | None = None) -> Catalogue:
    """The catalogue of ``project``; without a store, approvals and runs are left empty."""
    now = now or dt.datetime.now().astimezone()
    settings = load_project_config(project)[0].governance
    staff, found = load_staff(project)
    schedules, schedule_found = load_all(project.schedules, project, now)
    found.extend(schedule_found)
    by_flow = _schedules_by_flow(schedules, project)
    loaded_files: list[tuple[Path, LoadedFlow | None, Diagnostics]] = []
    called: set[Path] = set()
    for path in flow_files([], project):
        loaded, diagnostics = load_flow(path, project)
        loaded_files.append((path, loaded, diagnostics))
        if loaded is not None:
            called |= _called(loaded)
    entries = tuple(_entry(path, loaded, diagnostics, project, staff, settings, store,
                           by_flow.get(path.resolve(), []), now)
                    for path, loaded, diagnostics in loaded_files if path.resolve() not in called)
    on_disk = {e.flow_id for e in entries} | {loaded.flow.id for _, loaded, _ in loaded_files if loaded}
    runs = store.flow_ids_run() if store is not None else []
    approved = store.approved_flow_ids() if store is not None else []
    return Catalogue(entries=entries, subflows=tuple(sorted(called)), staff=staff, settings=settings,
                     schedules=schedules, runs_without_flow=tuple(f for f in runs if f not in on_disk),
                     approved_without_flow=tuple(f for f in approved if f not in on_disk), diagnostics=found,
                     built_at=now)


def entry_for(path: Path, project: Project, store: RunStore | None = None) -> CatalogueEntry:
    """One flow's catalogue entry (for ``flows doc``, ``flows diff`` and the tray), its schedules included."""
    now = dt.datetime.now().astimezone()
    settings = load_project_config(project)[0].governance
    staff, _ = load_staff(project)
    schedules, _ = load_all(project.schedules, project, now)
    loaded, found = load_flow(path, project)
    return _entry(path, loaded, found, project, staff, settings, store,
                  _schedules_by_flow(schedules, project).get(path.resolve(), []), now)


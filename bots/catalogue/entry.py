"""One bot as the catalogue knows it: the flow, its people, zones, schedules, approval and runs.

Plain data assembled by :mod:`bots.catalogue.build`; the 管理台帳, the 手順書 and the health
report only read it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from bots.flow.loader import LoadedFlow
from bots.governance.staff import Person
from bots.governance.versions import ApprovalState, ApprovalStatus
from bots.spec.diagnostics import Diagnostics


@dataclass(frozen=True)
class SystemRow:
    """A target system of the flow, with the network zone its selector map declares."""

    name: str
    title: str
    kind: str
    zone: str | None


@dataclass(frozen=True)
class ScheduleRef:
    """A schedule that runs the flow (``schedules/<id>.yaml``)."""

    id: str
    #: When it runs, in words (``平日 22:00`` / ``cron 0 22 * * 1-5``).
    when: str
    enabled: bool
    path: Path


@dataclass(frozen=True)
class RunSummary:
    """The flow's runs as the run store knows them (manual, tray and scheduled alike)."""

    last_run_at: dt.datetime | None = None
    last_status: str | None = None
    last_success_at: dt.datetime | None = None
    runs_30d: int = 0
    records_30d: int = 0
    #: Statuses of the latest runs, newest first (for the failure streak).
    recent_statuses: tuple[str, ...] = ()


@dataclass(frozen=True)
class CatalogueEntry:
    """One flow file under ``flows/`` and everything the governance reports say about it."""

    path: Path
    #: ``flows/…`` as people read it.
    shown: str
    loaded: LoadedFlow | None
    diagnostics: Diagnostics
    flow_id: str
    title: str
    version: str
    department: str | None
    owner_ref: str
    deputy_ref: str | None
    owner: Person | None
    deputy: Person | None
    systems: tuple[SystemRow, ...] = ()
    data_classes: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    schedules: tuple[ScheduleRef, ...] = ()
    approval: ApprovalState | None = None
    runs: RunSummary = field(default_factory=RunSummary)


__all__ = ["ApprovalState", "ApprovalStatus", "CatalogueEntry", "RunSummary", "ScheduleRef", "SystemRow"]

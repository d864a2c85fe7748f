"""What the tray's menu offers, as plain data: the bots this user may run, by 所管課, and their last runs.

Kept free of Qt so the rules can be tested on their own: a bot is offered when its flow loads, the
roles configuration lets the user run it, and — in production mode — its version is approved.
The worker process checks roles and approval again (through ``bots.api.run_flow``); the menu only
spares staff an entry that would be refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bots.catalogue.build import Catalogue
from bots.catalogue.entry import CatalogueEntry
from bots.flow.model import FormRecords
from bots.governance.roles import Roles
from bots.governance.staff import StaffDirectory
from bots.i18n import tr
from bots.store.rows import RunRow
from bots.tray.words import status_word

#: How many of the user's runs the menu lists.
RECENT_RUNS = 5

InputKind = Literal["file", "folder"]


@dataclass(frozen=True)
class FlowItem:
    """One bot in the menu and what starting it needs."""

    flow_id: str
    title: str
    #: The flow file relative to the project root (``flows/shinsei_nyuryoku.yaml``): the run request's ``flow``.
    flow: str
    department: str | None
    #: What staff choose before it starts: an Excel file, a folder of scans, or nothing (the flow's own input).
    input_kind: InputKind | None
    #: The flow's default for that input, relative to the project root as written (where the dialog opens).
    default_input: str | None
    desktop: bool


@dataclass(frozen=True)
class Group:
    """The bots of one 所管課 (a submenu)."""

    department: str
    items: tuple[FlowItem, ...]


@dataclass(frozen=True)
class RecentRun:
    """One of the user's last runs, as the 最近の実行 submenu lists it."""

    run_id: str
    flow_id: str
    title: str
    status: str
    started_at: dt.datetime
    dry_run: bool

    @property
    def label(self) -> str:
        """``<状態> <flow title> <MM/DD HH:MM>`` (local time)."""
        return f"{status_word(self.status)} {self.title} {self.started_at.astimezone():%m/%d %H:%M}"


def no_department() -> str:
    """The submenu of bots whose flow names no 所管課."""
    return tr("所管課なし", "No department")


def _item(entry: CatalogueEntry) -> FlowItem | None:
    loaded = entry.loaded
    if loaded is None:
        return None
    flow = loaded.flow
    primary = next(((name, spec) for name, spec in flow.inputs.items() if spec.type == "path"), None)
    kind: InputKind | None = None
    if primary is not None:
        kind = "folder" if isinstance(flow.records, FormRecords) else "file"
    default = primary[1].default if primary is not None else None
    return FlowItem(flow_id=entry.flow_id, title=entry.title or entry.flow_id, flow=entry.shown,
                    department=entry.department, input_kind=kind,
                    default_input=str(default) if default not in (None, "") else None, desktop=loaded.uses_desktop())


def offered(entry: CatalogueEntry, roles: Roles, staff: StaffDirectory, account: str, production: bool) -> bool:
    """Whether the menu lists the bot for ``account``: it loads, the user may run it, and in
    production its current version is approved."""
    if entry.loaded is None:
        return False
    if production and (entry.approval is None or entry.approval.status != "approved"):
        return False
    return roles.may_run(account, staff, entry.flow_id, entry.department) is None


def menu_model(catalogue: Catalogue, roles: Roles, staff: StaffDirectory, account: str,
               production: bool) -> list[Group]:
    """The bots ``account`` may run, one group per 所管課 (sorted; 所管課なし last), titles sorted within."""
    groups: dict[str, list[FlowItem]] = {}
    for entry in catalogue.entries:
        if not offered(entry, roles, staff, account, production):
            continue
        item = _item(entry)
        if item is not None:
            department = (entry.department or "").strip() or no_department()
            groups.setdefault(department, []).append(item)
    order = sorted(groups, key=lambda d: (d == no_department(), d))
    return [Group(d, tuple(sorted(groups[d], key=lambda i: (i.title, i.flow)))) for d in order]


def recent_runs(rows: Iterable[RunRow], titles: dict[str, str], limit: int = RECENT_RUNS) -> list[RecentRun]:
    """The newest ``limit`` runs, newest first, titled from the catalogue (the flow id when it is gone)."""
    newest = sorted(rows, key=lambda r: (r.started_at, r.run_id), reverse=True)[:limit]
    return [RecentRun(run_id=r.run_id, flow_id=r.flow_id, title=titles.get(r.flow_id, r.flow_id), status=r.status,
                      started_at=r.started_at, dry_run=r.dry_run) for r in newest]


def default_folder(item: FlowItem, root: Path) -> Path:
    """Where the input dialog opens: the folder of the flow's default input (the default itself for a
    folder of scans), resolved against the project root; the nearest existing folder above it, else the root."""
    if item.default_input is None or "{{" in item.default_input:
        return root
    path = Path(item.default_input)
    path = path if path.is_absolute() else root / path
    if item.input_kind == "file" and path.suffix:
        path = path.parent
    for candidate in (path, *path.parents):
        if candidate.is_dir():
            return candidate
    return root

"""Scheduled flows that are not approved, told when the schedule is checked or the daemon starts.

The gate (:mod:`bots.governance.gate`) refuses such a flow in production mode, but only when it
fires: at 2 a.m., with nobody there to approve it. ``schedule validate`` and the scheduler's start
warn in office hours instead, for every schedule whose flow as it is on disk now is not the
approved version; ``schedule list`` shows each flow's approval. Development mode runs unapproved
flows (with a notice at each run), so there it is only listed, not warned about.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import bots.actions  # noqa: F401 - fills the step registry the scheduled flows are loaded against
from bots.flow.loader import load_flow
from bots.governance.gate import status_text
from bots.governance.versions import Version, approval_state
from bots.i18n import tr
from bots.project import Project
from bots.spec.project_config import GovernanceSettings, load_project_config
from bots.store.store import RunStore


@dataclass(frozen=True)
class ScheduledApproval:
    """Where one scheduled flow stands: its approval state in a few words, and whether it will run."""

    flow: str
    #: 承認済み / 承認待ち（1/2 人） / 一度も承認されていません …; empty when the flow does not load.
    status: str
    approved: bool
    #: False when production mode will refuse it at its fire time.
    will_run: bool

    def warning(self, schedule_id: str) -> str:
        """The line ``schedule validate`` and the daemon print for a flow production mode will refuse."""
        return tr("スケジュール {s} のフロー {f} は承認されていない版です（{t}）。本番モードのため実行時に拒否されます。"
                  "承認: python runner.py flows approve {f} --by 承認者ID",
                  "schedule {s}: flow {f} is not an approved version ({t}); production mode will refuse it when it "
                  "fires. Approve it: python runner.py flows approve {f} --by APPROVER_ID",
                  s=schedule_id, f=self.flow, t=self.status)


def scheduled_approvals(project: Project, store: RunStore, flows: dict[str, str]) -> dict[str, ScheduledApproval]:
    """For each schedule id → its flow (a path relative to the project), the flow's approval now.

    A flow that does not load is left out: ``schedule validate`` reports it already."""
    settings = load_project_config(project)[0].governance
    found: dict[str, ScheduledApproval] = {}
    states: dict[str, ScheduledApproval | None] = {}
    for schedule_id, flow in flows.items():
        if flow not in states:
            states[flow] = _state(project, store, flow, settings)
        state = states[flow]
        if state is not None:
            found[schedule_id] = state
    return found


def _state(project: Project, store: RunStore, flow: str, settings: GovernanceSettings) -> ScheduledApproval | None:
    loaded, _ = load_flow(Path(project.root) / flow, project)
    if loaded is None:
        return None
    version = Version.of(loaded, project)
    state = approval_state(store, loaded.flow.id, version.fingerprint, settings)
    approved = state.status == "approved"
    return ScheduledApproval(flow, status_text(state), approved, will_run=approved or settings.mode != "production")

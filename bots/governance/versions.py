"""The version of a flow on disk (its fingerprint) and where it stands against the approvals.

An approval names a fingerprint (:mod:`bots.flow.fingerprint`): the flow, its sub-flows, selector
maps and form template, byte for byte. A version is *approved* once enough different people
(``governance.approvers_required``), none of them its author, approved that exact fingerprint.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from bots.flow.fingerprint import ManifestEntry, fingerprint, manifest
from bots.flow.loader import LoadedFlow
from bots.project import Project
from bots.spec.project_config import GovernanceSettings
from bots.store.rows import ApprovalRow
from bots.store.store import RunStore

ApprovalStatus = Literal["approved", "pending", "changed", "unapproved"]


@dataclass(frozen=True)
class Version:
    """A flow as it is on disk now: its files and their fingerprint."""

    loaded: LoadedFlow
    files: tuple[ManifestEntry, ...]
    fingerprint: str

    @classmethod
    def of(cls, loaded: LoadedFlow, project: Project) -> Version:
        """The version of a loaded flow (reads each file once to hash it)."""
        files = manifest(loaded, project.root)
        return cls(loaded, files, fingerprint(files))


@dataclass(frozen=True)
class ApprovalState:
    """Whether what is on disk now is what was approved.

    ``approved``: the current fingerprint has every approval it needs; ``pending``: it has some;
    ``changed``: an earlier version was approved, this one not yet; ``unapproved``: never approved.
    """

    status: ApprovalStatus
    fingerprint: str
    #: The latest fully approved version (the one ``flows diff`` compares with), if any.
    approved_fingerprint: str | None = None
    #: Staff ids of the approvers of the current fingerprint (those so far when pending).
    approvers: tuple[str, ...] = ()
    #: When the current version became approved (or the latest approved one, when changed).
    approved_at: dt.datetime | None = None
    #: When the approval is due for review (``governance.review_interval_days`` after it).
    review_due: dt.date | None = None
    required: int = 1


def approved_versions(approvals: list[ApprovalRow], required: int) -> list[tuple[str, tuple[str, ...], dt.datetime]]:
    """Fingerprints with ``required`` distinct approvers, oldest first: (fingerprint, approvers,
    when the last needed approval came)."""
    by_version: dict[str, list[ApprovalRow]] = {}
    for row in approvals:
        by_version.setdefault(row.fingerprint, []).append(row)
    found = []
    for key, rows in by_version.items():
        people: list[str] = []
        for row in rows:
            if row.approver not in people:
                people.append(row.approver)
                if len(people) == required:
                    found.append((key, tuple(people), row.approved_at))
    return sorted(found, key=lambda item: item[2])


def approval_state(store: RunStore, flow_id: str, current: str, settings: GovernanceSettings) -> ApprovalState:
    """Where the version ``current`` of ``flow_id`` stands, from the approvals in the run store."""
    approvals = store.approvals(flow_id)
    required = settings.approvers_required
    complete = approved_versions(approvals, required)
    interval = dt.timedelta(days=settings.review_interval_days)

    def due(when: dt.datetime) -> dt.date:
        return (when + interval).astimezone().date()

    for key, people, when in complete:
        if key == current:
            return ApprovalState("approved", current, key, people, when, due(when), required)
    latest = complete[-1] if complete else None
    so_far = tuple(dict.fromkeys(r.approver for r in approvals if r.fingerprint == current))
    if so_far:
        return ApprovalState("pending", current, latest[0] if latest else None, so_far,
                             latest[2] if latest else None, due(latest[2]) if latest else None, required)
    if latest is not None:
        return ApprovalState("changed", current, latest[0], (), latest[2], due(latest[2]), required)
    return ApprovalState("unapproved", current, required=required)

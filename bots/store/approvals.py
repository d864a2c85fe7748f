"""Approvals of flow versions and the files of each approved version, and the per-flow run figures
the catalogue reads (last run, last success, runs and records in a window, runs per version)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select

from bots.store.queries import RunQueries
from bots.store.rows import ApprovalRow, ApprovedFile, FlowActivity, VersionRuns
from bots.store.schema import FlowApprovalRow, FlowFileRow, Run

#: How many of the latest runs the failure streak looks at.
RECENT_RUNS = 20


def _approval(row: FlowApprovalRow) -> ApprovalRow:
    return ApprovalRow(flow_id=row.flow_id, flow_version=row.flow_version, fingerprint=row.fingerprint,
                       approver=row.approver, author=row.author, comment=row.comment, os_user=row.os_user,
                       host=row.host, approved_at=row.approved_at)


class ApprovalMethods(RunQueries):
    """Reads and writes of ``flow_approvals`` and ``flow_files``; mixed into the run store."""

    def add_approval(self, approval: ApprovalRow, files: Iterable[ApprovedFile]) -> None:
        """Record one approval and, the first time the version is approved, its files as they are."""
        with self._write() as session:
            session.add(FlowApprovalRow(
                flow_id=approval.flow_id, flow_version=approval.flow_version, fingerprint=approval.fingerprint,
                approver=approval.approver, author=approval.author, comment=approval.comment,
                os_user=approval.os_user, host=approval.host, approved_at=approval.approved_at))
            stored = set(session.scalars(select(FlowFileRow.path)
                                         .where(FlowFileRow.fingerprint == approval.fingerprint)))
            session.add_all(FlowFileRow(fingerprint=approval.fingerprint, path=f.path, role=f.role, sha256=f.sha256,
                                        content=f.content) for f in files if f.path not in stored)

    def approvals(self, flow_id: str, fingerprint: str | None = None) -> list[ApprovalRow]:
        """A flow's approvals (of one version when ``fingerprint`` is given), oldest first."""
        query = select(FlowApprovalRow).where(FlowApprovalRow.flow_id == flow_id)
        if fingerprint is not None:
            query = query.where(FlowApprovalRow.fingerprint == fingerprint)
        with self._read() as session:
            return [_approval(r) for r in session.scalars(query.order_by(FlowApprovalRow.approved_at,
                                                                         FlowApprovalRow.id))]

    def approved_files(self, fingerprint: str) -> list[ApprovedFile]:
        """The files of an approved version as they were approved, by path."""
        with self._read() as session:
            rows = session.scalars(select(FlowFileRow).where(FlowFileRow.fingerprint == fingerprint)
                                   .order_by(FlowFileRow.path))
            return [ApprovedFile(role=r.role, path=r.path, sha256=r.sha256, content=r.content) for r in rows]

    def flow_activity(self, flow_id: str, since: dt.datetime) -> FlowActivity:
        """Last run, last successful run (completed, no failed record), runs and records since ``since``."""
        real = (Run.flow_id == flow_id) & Run.dry_run.is_(False)
        with self._read() as session:
            latest = list(session.scalars(select(Run).where(real).order_by(Run.started_at.desc())
                                          .limit(RECENT_RUNS)))
            success = session.scalar(select(func.max(Run.started_at)).where(
                real & (Run.status == "completed") & (Run.failed == 0)))
            window = session.execute(select(func.count(), func.coalesce(func.sum(Run.passed), 0))
                                     .where(real & (Run.started_at >= since))).one()
        return FlowActivity(
            last_run_at=latest[0].started_at if latest else None, last_status=latest[0].status if latest else None,
            last_success_at=_aware(success) if success is not None else None, runs_in_window=int(window[0]), records_in_window=int(window[1]),
            recent_statuses=tuple(r.status for r in latest))

    def runs_by_version(self, flow_id: str) -> list[VersionRuns]:
        """First and last run of each version (fingerprint) the flow ran as, oldest first."""
        query = (select(Run.fingerprint, func.min(Run.started_at), func.max(Run.started_at), func.count())
                 .where((Run.flow_id == flow_id) & Run.fingerprint.is_not(None)).group_by(Run.fingerprint))
        with self._read() as session:
            rows = session.execute(query).all()
        found = [VersionRuns(fingerprint=f or "", first_run_at=_aware(first), last_run_at=_aware(last), runs=n)
                 for f, first, last, n in rows]
        return sorted(found, key=lambda v: v.first_run_at)

    def approved_flow_ids(self) -> list[str]:
        """Every flow id with at least one approval (the flows the IT section has registered)."""
        with self._read() as session:
            return sorted(session.scalars(select(FlowApprovalRow.flow_id).distinct()))

    def flow_ids_run(self, since: dt.datetime | None = None) -> list[str]:
        """Every flow id the store has runs of (since ``since``): runs of flows not on disk are orphans."""
        query = select(Run.flow_id).distinct()
        if since is not None:
            query = query.where(Run.started_at >= since)
        with self._read() as session:
            return sorted(session.scalars(query))


def _aware(value: dt.datetime) -> dt.datetime:
    """Aggregates bypass the column type on SQLite: naive UTC text comes back naive."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)

"""``flows approve``: one person approves exactly the version on disk, never their own change.

Every approval and every refused one is an audit-ledger entry (``flow_approved`` /
``approval_refused``), written before the run store learns of it, so the store never holds an
approval the ledger lacks. The store keeps the approved files' text, which ``flows diff`` later
compares the disk with.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
from dataclasses import dataclass

from bots.audit.entry import EventType
from bots.errors import ApprovalRefused
from bots.governance.authors import change_authors
from bots.governance.staff import Person, StaffDirectory, load_staff
from bots.governance.versions import ApprovalState, Version, approval_state
from bots.i18n import listing, tr
from bots.listeners.trail import AuditTrail
from bots.project import Project
from bots.spec.project_config import load_project_config
from bots.store.rows import ApprovalRow, ApprovedFile


@dataclass(frozen=True)
class Approval:
    """What ``flows approve`` was asked: who approves, with what comment, and (when git cannot
    tell) who authored the change."""

    by: str
    comment: str | None = None
    author: str | None = None
    #: The OS account that typed the command (recorded beside the approver named by ``by``).
    actor: str = "unknown"


@dataclass(frozen=True)
class Approved:
    """The outcome of an approval: the approver, the change's authors and where the version stands now."""

    approver: Person
    authors: tuple[str, ...]
    state: ApprovalState


def approve(project: Project, trail: AuditTrail, version: Version, request: Approval) -> Approved:
    """Record ``request.by``'s approval of ``version``; raises ApprovalRefused (audited) when it may not be given."""
    flow = version.loaded.flow

    def refuse(reason: str) -> ApprovalRefused:
        trail.writer.append(EventType.APPROVAL_REFUSED, request.actor, None, {
            "flow_id": flow.id, "flow_version": flow.version, "fingerprint": version.fingerprint,
            "by": request.by, "reason": reason})
        return ApprovalRefused(reason)

    staff, _ = load_staff(project)
    approver = _approver(staff, request.by)
    if isinstance(approver, str):
        raise refuse(approver)
    settings = load_project_config(project)[0].governance
    before = approval_state(trail.store, flow.id, version.fingerprint, settings)
    if approver.id in before.approvers:
        raise refuse(tr("{p} はこの版を既に承認しています", "{p} has already approved this version", p=approver.label()))
    authors = _authors(project, staff, version, before, request.author)
    if isinstance(authors, str):
        raise refuse(authors)
    if approver.id in authors:
        others = [p.label() for p in staff.approvers() if p.id not in authors]
        raise refuse(tr("変更した本人（{p}）は承認できません。別の承認者が承認してください（承認できる人: {o}）",
                        "the author of the change ({p}) cannot approve it; another approver must (who can: {o})",
                        p=approver.label(), o=listing(others) or tr("名簿にいません", "nobody in the directory")))
    files = _snapshot(project, version)
    if isinstance(files, str):
        raise refuse(files)
    now = dt.datetime.now().astimezone()
    trail.writer.append(EventType.FLOW_APPROVED, request.actor, None, {
        "flow_id": flow.id, "flow_version": flow.version, "fingerprint": version.fingerprint,
        "approver": approver.id, "approver_name": approver.name, "department": approver.department,
        "authors": list(authors), "comment": request.comment,
        "files": [{"path": f.path, "role": f.role, "sha256": f.sha256} for f in files]})
    trail.store.add_approval(ApprovalRow(
        flow_id=flow.id, flow_version=flow.version, fingerprint=version.fingerprint, approver=approver.id,
        author=",".join(authors), comment=request.comment, os_user=request.actor, host=socket.gethostname(),
        approved_at=now), files)
    return Approved(approver, authors, approval_state(trail.store, flow.id, version.fingerprint, settings))


def _approver(staff: StaffDirectory, reference: str) -> Person | str:
    """The approver from the directory, or why they cannot approve."""
    if not staff.people:
        return tr("職員名簿がないため承認者を確認できません（kazaguruma.yaml の governance.staff）",
                  "no staff directory, so the approver cannot be checked (governance.staff in kazaguruma.yaml)")
    person = staff.find(reference)
    if person is None:
        return tr("{r} は職員名簿にいません", "{r} is not in the staff directory", r=reference)
    if not person.active:
        return tr("{p} は異動・退職済みです（名簿で active: false）", "{p} has left (active: false in the directory)",
                  p=person.label())
    if not person.can_approve():
        return tr("{p} には承認者の役割（roles: approver）がありません",
                  "{p} does not have the approver role (roles: approver)", p=person.label())
    return person


def _authors(project: Project, staff: StaffDirectory, version: Version, before: ApprovalState,
             named: str | None) -> tuple[str, ...] | str:
    """Staff ids (or e-mail addresses git knows but the directory does not) of the change's authors."""
    found = change_authors(project.root, version.files, before.approved_at)
    authors = [(p.id if (p := staff.by_email(e)) else e) for e in found.emails]
    if named:
        person = staff.find(named)
        authors.append(person.id if person else named)
    elif not found.from_git:
        return tr("変更した人が分かりません（git の管理外です）。--author で指定してください",
                  "who made the change is unknown (not a git repository); name them with --author")
    elif found.uncommitted:
        return tr("コミットされていない変更があり、変更した人が git から分かりません。コミットするか --author で指定してください",
                  "there are uncommitted changes, so git cannot tell who made them; commit them or name the author "
                  "with --author")
    elif not authors:
        return tr("前回の承認以降のコミットが見つからず、変更した人が分かりません。--author で指定してください",
                  "no commit since the last approval names the author of this version; name them with --author")
    return tuple(dict.fromkeys(authors))


def _snapshot(project: Project, version: Version) -> list[ApprovedFile] | str:
    """The version's files as they are now, each checked against the hash the fingerprint has."""
    files = []
    for entry in version.files:
        path = project.root / entry.path
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            return tr("承認の途中で {p} が変わりました。もう一度実行してください",
                      "{p} changed while it was being approved; run the command again", p=entry.path)
        try:
            content: str | None = data.decode("utf-8")
        except UnicodeDecodeError:
            content = None
        files.append(ApprovedFile(role=entry.role, path=entry.path, sha256=entry.sha256, content=content))
    return files

"""The gate every run passes, however it is started (CLI, scheduler, tray, worker): the user's
role for the bot (:mod:`bots.governance.roles`; scheduled runs are authorised by their schedule),
then its approval.

Production mode (``governance.mode: production``) refuses a flow whose fingerprint is not
approved, naming what changed since the approved version and who may approve it; development
mode lets it run with a warning on the console and in the ledger. The gate is handed to the
executor (:data:`bots.engine.executor.Admit`), which calls it with the flow it has just loaded,
so the version checked is exactly the version that runs.
"""

from __future__ import annotations

from bots.engine.executor import Admission, Admit, RunRequest, current_user
from bots.errors import NotApproved, NotPermitted
from bots.flow.loader import LoadedFlow
from bots.governance.authors import change_authors
from bots.governance.roles import load_roles
from bots.governance.staff import load_staff
from bots.governance.versions import ApprovalState, Version, approval_state
from bots.governance.whatchanged import changed_since_approval
from bots.i18n import listing, tr
from bots.project import Project
from bots.spec.project_config import load_project_config
from bots.store.store import RunStore

_STATUS_TEXT = {
    "pending": ("承認待ち（{n}/{r} 人）", "awaiting approval ({n} of {r})"),
    "changed": ("承認後に変更されています", "changed since it was approved"),
    "unapproved": ("一度も承認されていません", "never approved"),
}


def status_text(state: ApprovalState) -> str:
    """The approval state in a few words (承認済み / 承認待ち（1/2 人） / …)."""
    if state.status == "approved":
        return tr("承認済み", "approved")
    ja, en = _STATUS_TEXT[state.status]
    return tr(ja, en, n=len(state.approvers), r=state.required)


def refusal_message(project: Project, store: RunStore, version: Version, state: ApprovalState, *,
                    production: bool = True) -> str:
    """Why the version may not run (``production``) or runs only in development mode: its state,
    what changed since the approved version, who may approve it."""
    flow = version.loaded.flow
    staff, _ = load_staff(project)
    authored = {(p.id if (p := staff.by_email(e)) else e)
                for e in change_authors(project.root, version.files, state.approved_at).emails}
    approvers = [p.label() for p in staff.approvers() if p.id not in state.approvers and p.id not in authored]
    if production:
        lines = [tr("フロー {f}（{t}）は承認されていない版のため実行しません: {s}",
                    "flow {f} ({t}) is not run: this version is not approved: {s}",
                    f=flow.id, t=flow.title, s=status_text(state))]
    else:
        lines = [tr("フロー {f}（{t}）は承認されていない版です（{s}）。開発モードのため実行します（本番モードでは実行されません）",
                    "flow {f} ({t}): this version is not approved ({s}); it runs because this is development mode "
                    "(production mode would refuse it)", f=flow.id, t=flow.title, s=status_text(state))]
    lines.extend(f"  - {change}" for change in changed_since_approval(project, store, version, state))
    lines.append(tr("承認: python runner.py flows approve {p} --by 承認者ID（承認できる人: {a}）",
                    "approve: python runner.py flows approve {p} --by APPROVER_ID (who can: {a})",
                    p=version.files[0].path, a=listing(approvers) or tr("職員名簿にいません", "nobody in the directory")))
    return "\n".join(lines)


def approval_gate(project: Project, store: RunStore) -> Admit:
    """The gate for runs recorded in ``store``; configuration is read at each run (it may change)."""

    def admit(loaded: LoadedFlow, request: RunRequest) -> Admission:
        if request.trigger != "schedule":  # a schedule file is itself approved configuration
            roles, _ = load_roles(project)
            staff, _ = load_staff(project)
            account = request.user or current_user()
            if (reason := roles.may_run(account, staff, loaded.flow.id, loaded.flow.department)) is not None:
                raise NotPermitted(reason)
        settings = load_project_config(project)[0].governance
        version = Version.of(loaded, project)
        state = approval_state(store, loaded.flow.id, version.fingerprint, settings)
        if state.status == "approved":
            return Admission(version.fingerprint, state.status)
        production = settings.mode == "production"
        message = refusal_message(project, store, version, state, production=production)
        if production:
            raise NotApproved(message)
        return Admission(version.fingerprint, state.status, (("unapproved_flow", message),))

    return admit

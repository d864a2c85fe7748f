"""Who may run which bot: ``config/roles.yaml`` (the security issue makes roles complete).

::

    accounts:                  # OS account (Windows sign-in name) → staff id; default: the same name
      yamada-t: hanada
    run_any: [it, administrator]   # staff roles whose holders may run every bot
    grants:                    # who else may run a bot besides its 所管課: flow id → staff ids or 所属
      shinsei-ocr: [情報政策課 情報政策係]

A member of staff may run the bots of their own 所管課 (the flow's ``department``), the bots
granted to them or their 所属, and every bot if they hold a ``run_any`` role. Without the file
nobody is restricted (a single-user installation). The tray lists only what the user may run,
and the library's entry point refuses the rest, however the run is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from bots.governance.staff import Person, StaffDirectory
from bots.i18n import tr
from bots.project import Project
from bots.spec.diagnostics import Diagnostics
from bots.spec.types import FrozenModel
from bots.spec.validation import diagnostics_from_validation
from bots.spec.yamlpos import load_yaml


class RolesFile(FrozenModel):
    """``config/roles.yaml``."""

    accounts: dict[str, str] = {}
    run_any: tuple[str, ...] = ("it", "administrator")
    grants: dict[str, tuple[str, ...]] = {}


def roles_path(project: Project) -> Path:
    """Where the roles configuration lives."""
    return project.root / "config" / "roles.yaml"


@dataclass(frozen=True)
class Roles:
    """The loaded configuration; ``None`` rules: nobody is restricted (no file)."""

    rules: RolesFile | None

    def person(self, account: str, staff: StaffDirectory) -> Person | None:
        """The staff member an OS account is (through ``accounts``, else by the same id or name)."""
        mapped = self.rules.accounts.get(account, account) if self.rules else account
        return staff.find(mapped)

    def may_run(self, account: str, staff: StaffDirectory, flow_id: str, department: str | None) -> str | None:
        """None when ``account`` may run the flow, else why not (in words for the person refused)."""
        if self.rules is None:
            return None
        person = self.person(account, staff)
        if person is None:
            return tr("利用者 {a} は職員名簿にいないため、ボットを実行できません（config/roles.yaml の accounts）",
                      "user {a} is not in the staff directory, so cannot run bots (accounts in config/roles.yaml)",
                      a=account)
        if not person.active:
            return tr("{p} は異動・退職済みのため実行できません", "{p} has left and cannot run bots", p=person.label())
        if set(person.roles) & set(self.rules.run_any):
            return None
        granted = self.rules.grants.get(flow_id, ())
        if (department and _same(person.department, department)) or person.id in granted \
                or any(_same(person.department, g) for g in granted):
            return None
        return tr("{p} には {f} を実行する権限がありません（所管課 {d} のボットです）",
                  "{p} may not run {f} (a bot of {d})", p=person.label(), f=flow_id, d=department or "-")


def _same(department: str, other: str) -> bool:
    """``市民課 住民記録係`` matches ``市民課 住民記録係`` and ``住民記録係`` (spaces ignored)."""
    mine, theirs = "".join(department.split()), "".join(other.split())
    return bool(mine and theirs) and (mine == theirs or mine.endswith(theirs))


def load_roles(project: Project) -> tuple[Roles, Diagnostics]:
    """The roles configuration; a file with errors restricts everyone (never fewer checks)."""
    path = roles_path(project)
    if not path.is_file():
        return Roles(None), Diagnostics()
    loaded, found = load_yaml(path)
    if loaded is None:
        return Roles(RolesFile(run_any=())), found
    try:
        return Roles(RolesFile.model_validate(loaded.data)), found
    except ValidationError as exc:
        found.extend(diagnostics_from_validation(exc, loaded))
        return Roles(RolesFile(run_any=())), found

"""The staff directory: owners, deputies and approvers are real people with a 所属.

Read from ``config/staff.yaml`` (or the CSV / LDIF export of the personnel or directory system,
named by ``governance.staff`` in ``kazaguruma.yaml``)::

    staff:
      - id: kazama
        name: 風間 太郎
        department: 情報政策課 情報政策係
        roles: [author, approver]
        email: kazama@city.example.lg.jp
        git: [t.kazama@example.org]     # other addresses their commits carry
        active: true                    # false once transferred or retired

A flow's ``owner:``/``deputy:`` may name a person by id, by name (spaces ignored) or as
``所属 氏名`` / ``所属 姓``: the sample flows were written before the directory existed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, ValidationError

from bots.i18n import tr
from bots.project import Project
from bots.spec.diagnostics import Diagnostic, Diagnostics, Severity
from bots.spec.project_config import load_project_config
from bots.spec.types import FrozenModel
from bots.spec.validation import diagnostics_from_validation
from bots.spec.yamlpos import load_yaml

#: A directory bigger than this is refused (a city's whole staff fits many times over).
MAX_DIRECTORY_BYTES = 20 * 1024 * 1024


class Person(FrozenModel):
    """One member of staff as the directory knows them."""

    id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    department: str = ""
    roles: tuple[str, ...] = ()
    email: str | None = None
    git: tuple[str, ...] = ()
    active: bool = True

    def label(self) -> str:
        """``氏名（所属）`` as reports show a person."""
        return f"{self.name}（{self.department}）" if self.department else self.name

    def can_approve(self) -> bool:
        """Whether the directory lets this person approve flows (role ``approver``, still in post)."""
        return self.active and "approver" in self.roles


class _DirectoryFile(FrozenModel):
    staff: list[Person] = []


def _squash(text: str) -> str:
    return "".join(text.split())


def _aliases(person: Person) -> set[str]:
    """How a flow may name a person: id, 氏名, and 所属 (whole or its last part) with 氏名 or 姓."""
    names = {_squash(person.name)}
    if parts := person.name.split():
        names.add(parts[0])  # 姓, only together with the 所属
    departments = {_squash(person.department), person.department.split()[-1]} if person.department.split() else set()
    return {person.id, _squash(person.name)} | {d + n for d in departments for n in names}


@dataclass(frozen=True)
class StaffDirectory:
    """Everyone in the directory, found by id, name, ``所属 氏名`` or a git e-mail address."""

    people: tuple[Person, ...]
    source: Path | None = None

    def find(self, reference: str | None) -> Person | None:
        """The person a flow's ``owner``/``deputy`` or an ``--by`` names, or None."""
        if not reference:
            return None
        wanted = _squash(reference)
        return next((person for person in self.people if wanted in _aliases(person)), None)

    def by_email(self, address: str) -> Person | None:
        """The person whose e-mail or git address this is (the author of a commit)."""
        wanted = address.strip().lower()
        for person in self.people:
            if wanted in {a.lower() for a in (person.email or "", *person.git) if a}:
                return person
        return None

    def approvers(self) -> list[Person]:
        """Everyone who may approve a flow, in directory order."""
        return [p for p in self.people if p.can_approve()]


def load_staff(project: Project) -> tuple[StaffDirectory, Diagnostics]:
    """The staff directory named by ``governance.staff`` (empty, with a warning, when missing)."""
    config, _ = load_project_config(project)
    path = (project.root / config.governance.staff).resolve()
    if not path.is_file():
        return StaffDirectory(()), Diagnostics([Diagnostic(path, None, tr(
            "職員名簿がありません: {p}（所有者・副担当・承認者を確認できません）",
            "no staff directory: {p} (owners, deputies and approvers cannot be checked)", p=path),
            severity=Severity.WARNING)])
    if path.stat().st_size > MAX_DIRECTORY_BYTES:
        return StaffDirectory((), path), Diagnostics([Diagnostic(path, None, tr(
            "職員名簿が大きすぎます（上限 {n} MB）", "the staff directory is too large (limit {n} MB)",
            n=MAX_DIRECTORY_BYTES // 2**20))])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _from_rows(path, _csv_rows(path))
    if suffix == ".ldif":
        return _from_rows(path, _ldif_rows(path))
    return _from_yaml(path)


def _from_yaml(path: Path) -> tuple[StaffDirectory, Diagnostics]:
    loaded, found = load_yaml(path)
    if loaded is None:
        return StaffDirectory((), path), found
    try:
        parsed = _DirectoryFile.model_validate(loaded.data if loaded.data is not None else {})
    except ValidationError as exc:
        found.extend(diagnostics_from_validation(exc, loaded))
        return StaffDirectory((), path), found
    return _checked(path, tuple(parsed.staff), found)


def _checked(path: Path, people: tuple[Person, ...], found: Diagnostics) -> tuple[StaffDirectory, Diagnostics]:
    seen: set[str] = set()
    for person in people:
        if person.id in seen:
            found.append(Diagnostic(path, None, tr("職員 ID が重複しています: {i}", "duplicate staff id: {i}",
                                                   i=person.id)))
        seen.add(person.id)
    return StaffDirectory(people if not found.errors else (), path), found


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.replace(";", ",").split(",") if part.strip())


def _from_rows(path: Path, rows: list[dict[str, str]] | str) -> tuple[StaffDirectory, Diagnostics]:
    """CSV/LDIF rows (``id, name, department, roles, email, git, active``) → the directory."""
    if isinstance(rows, str):
        return StaffDirectory((), path), Diagnostics([Diagnostic(path, None, rows)])
    people: list[Person] = []
    found = Diagnostics()
    for number, row in enumerate(rows, start=2):
        try:
            people.append(Person(id=row.get("id", ""), name=row.get("name", ""),
                                 department=row.get("department", ""), roles=_split(row.get("roles", "")),
                                 email=row.get("email") or None, git=_split(row.get("git", "")),
                                 active=row.get("active", "true").strip().lower() not in ("false", "0", "no", "退職",
                                                                                          "異動")))
        except ValidationError:
            found.append(Diagnostic(path, None, tr("{n} 件目の職員に id または name がありません",
                                                   "staff entry {n} has no id or name", n=number - 1)))
    return _checked(path, tuple(people), found)


def _csv_rows(path: Path) -> list[dict[str, str]] | str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp932"):  # Excel saves CSV as cp932 on Japanese Windows
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return tr("職員名簿 CSV の文字コードが UTF-8 でも Shift_JIS (cp932) でもありません",
                  "the staff CSV is neither UTF-8 nor Shift_JIS (cp932)")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"id", "name"} <= {f.strip() for f in reader.fieldnames}:
        return tr("職員名簿 CSV の見出しに id と name が必要です", "the staff CSV needs id and name columns")
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]


#: LDIF attributes of a directory export (Active Directory / OpenLDAP) → directory columns.
_LDIF_ATTRIBUTES = {"uid": "id", "samaccountname": "id", "cn": "name", "displayname": "name",
                    "ou": "department", "department": "department", "mail": "email",
                    "employeetype": "roles", "kazagurumaroles": "roles"}


def _ldif_rows(path: Path) -> list[dict[str, str]] | str:
    """Entries of an LDIF export (RFC 2849: folded lines, ``attr:: base64``); only the attributes above."""
    import base64  # lazy: only LDIF exports need it

    text = path.read_text(encoding="utf-8", errors="replace")
    unfolded = text.replace("\r\n", "\n").replace("\n ", "")
    rows: list[dict[str, str]] = []
    for block in unfolded.split("\n\n"):
        row: dict[str, str] = {}
        for line in block.splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            attribute, _, value = line.partition(":")
            if value.startswith(":"):
                try:
                    value = base64.b64decode(value[1:].strip()).decode("utf-8")
                except (ValueError, UnicodeDecodeError):
                    continue
            column = _LDIF_ATTRIBUTES.get(attribute.strip().lower())
            if column:
                row[column] = ",".join(filter(None, [row.get(column, ""), value.strip()])) if column == "roles" \
                    else row.get(column) or value.strip()
        if row.get("id") or row.get("name"):
            rows.append(row)
    return rows

"""config/roles.yaml: staff run their 所管課's bots, granted ones, or all with a run_any role."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bots import i18n
from bots.governance.roles import load_roles
from bots.governance.staff import load_staff
from bots.project import Project

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    (root / "flows").mkdir(parents=True)
    (root / "selectors").mkdir()
    shutil.copytree(REPO / "config", root / "config")
    return Project(root)


def _roles(project: Project, text: str) -> None:
    (project.root / "config" / "roles.yaml").write_text(text, encoding="utf-8")


def test_without_a_roles_file_nobody_is_restricted(project: Project) -> None:
    roles, found = load_roles(project)
    staff, _ = load_staff(project)
    assert not found and roles.may_run("whoever", staff, "shinsei-nyuryoku", "市民課 住民記録係") is None


def test_department_grants_and_run_any(project: Project) -> None:
    _roles(project, "accounts:\n  yamada-t: hanada\n  it-admin: kazama\n  ishi: ishida\n"
                    "run_any: [author]\ngrants:\n  zeimu-bot: [ishida]\n")
    roles, found = load_roles(project)
    staff, _ = load_staff(project)
    assert not found.errors
    # 花田 (市民課 住民記録係) runs the bots of his 所管課, written whole or as its last part.
    assert roles.may_run("yamada-t", staff, "shinsei-nyuryoku", "市民課 住民記録係") is None
    assert roles.may_run("yamada-t", staff, "shinsei-nyuryoku", "住民記録係") is None
    refused = roles.may_run("yamada-t", staff, "zeimu-bot", "税務課 市民税係")
    assert refused is not None and "花田 一郎" in refused and "zeimu-bot" in refused
    assert roles.may_run("ishi", staff, "zeimu-bot", "税務課 市民税係") is None  # granted by id
    assert roles.may_run("it-admin", staff, "zeimu-bot", "税務課 市民税係") is None  # run_any role
    assert "職員名簿にいない" in (roles.may_run("stranger", staff, "shinsei-nyuryoku", "市民課 住民記録係") or "")


def test_refusals_in_english(project: Project) -> None:
    _roles(project, "accounts: {yamada-t: hanada}\n")
    roles, _ = load_roles(project)
    staff, _ = load_staff(project)
    i18n.set_language("en")
    try:
        assert "may not run" in (roles.may_run("yamada-t", staff, "zeimu-bot", "税務課") or "")
        assert "not in the staff directory" in (roles.may_run("nobody", staff, "x", None) or "")
    finally:
        i18n.set_language("ja")


def test_a_broken_roles_file_is_reported_and_grants_nothing_extra(project: Project) -> None:
    _roles(project, "accounts: {yamada-t: hanada}\nrun_anyy: [author]\n")
    roles, found = load_roles(project)
    staff, _ = load_staff(project)
    assert found.errors and "roles.yaml:2" in found.errors[0].render()
    assert roles.may_run("kazama", staff, "zeimu-bot", "税務課") is not None  # author would have been run_any

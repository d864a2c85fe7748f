"""Paths a flow names are resolved (``..`` and symbolic links followed) and confined to the
project, its logs and the roots of ``kazaguruma.yaml``; static ones at validation (issue 16).
The corpus cases (``tests/flows/invalid/*_outside.yaml``) cover each kind of path once; these
tests cover the configuration, symbolic links, non-ASCII folders and English."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots import i18n
from bots.flow.loader import load_flow
from bots.flow.paths import download_problem, load_roots
from bots.project import Project
from bots.spec.diagnostics import Pos

HEAD = "id: f\ntitle: t\nversion: 1.0.0\nowner: o\n"


def _flow(project: Project, body: str) -> Path:
    path = project.flows / "f.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def _messages(project: Project, path: Path) -> list[tuple[str, Pos | None, str]]:
    _, found = load_flow(path, project)
    return [(d.path.name, d.pos, d.message) for d in found.errors]


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    """A shared drive's folder outside the project, with a non-ASCII name."""
    folder = tmp_path / "共有ドライブ" / "受付"
    folder.mkdir(parents=True)
    (folder / "申請一覧.xlsx").write_bytes(b"")
    return folder


def test_a_folder_outside_the_project_is_refused_until_configured(tmp_project: Project, shared: Path) -> None:
    path = _flow(tmp_project, f"inputs:\n  file: {{type: path, default: '{shared / '申請一覧.xlsx'}'}}\n"
                              "steps:\n  - log: x\n")
    (message,) = _messages(tmp_project, path)
    assert message[:2] == ("f.yaml", Pos(6, 31)) and "許可されたフォルダの外" in message[2]

    tmp_project.config_file.write_text(f"# 共有フォルダ\npaths:\n  roots:\n    - '{shared}'\n", encoding="utf-8")
    assert _messages(tmp_project, path) == []
    roots, _ = load_roots(tmp_project)
    assert shared.resolve() in roots


def test_roots_may_be_relative_to_the_project(tmp_project: Project) -> None:
    outside = tmp_project.root.parent / "データ"
    outside.mkdir()
    tmp_project.config_file.write_text("paths: {roots: [../データ]}\n", encoding="utf-8")
    path = _flow(tmp_project, "steps:\n  - excel.read_rows: {file: ../データ/町名.xlsx, into: rows}\n")
    assert _messages(tmp_project, path) == []


def test_a_symbolic_link_out_of_the_project_is_followed_and_refused(tmp_project: Project, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "shadow").write_text("x", encoding="utf-8")
    (tmp_project.root / "添付").symlink_to(secret)
    (tmp_project.selectors / "sys.yaml").write_text("system: sys\nscreens: {}\n", encoding="utf-8")
    path = _flow(tmp_project, "systems:\n  sys: {}\nsteps:\n  - browser.upload: {target: {css: '#f'}, file: 添付/shadow}\n")
    (message,) = _messages(tmp_project, path)
    assert "添付/shadow" in message[2] and str(secret / "shadow") in message[2]


def test_a_sub_flow_reached_through_a_link_is_not_read(tmp_project: Project, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "sub.yaml").write_text("not: [a flow", encoding="utf-8")  # would be a YAML error if read
    (tmp_project.flows / "common").symlink_to(elsewhere)
    path = _flow(tmp_project, "steps:\n  - call: common/sub.yaml\n")
    assert _messages(tmp_project, path) == [
        ("f.yaml", Pos(6, 11), f"プロジェクトの外のサブフローは呼べません: {elsewhere / 'sub.yaml'}")]


def test_a_broken_configuration_is_reported_where_it_is_written(tmp_project: Project) -> None:
    tmp_project.config_file.write_text("paths:\n  roots: 3\n  root: [x]\n", encoding="utf-8")
    path = _flow(tmp_project, "steps:\n  - log: x\n")
    messages = _messages(tmp_project, path)
    assert {(name, pos) for name, pos, _ in messages} == {("kazaguruma.yaml", Pos(2, 10)), ("kazaguruma.yaml", Pos(3, 3))}
    roots, _ = load_roots(tmp_project)
    assert roots == tmp_project.base_roots()  # a broken file adds no root


def test_downloads_stay_in_the_run_folder(tmp_path: Path) -> None:
    folder = tmp_path / "run" / "downloads"
    assert download_problem("一覧.csv", folder) is None
    assert download_problem("sub/一覧.csv", folder) is None
    for name in ("../一覧.csv", "/etc/cron.d/x", "sub/../../x", "."):
        assert download_problem(name, folder), name


def test_messages_in_english(tmp_project: Project) -> None:
    path = _flow(tmp_project, "steps:\n  - call: ../../../../../../../../etc/passwd\n")
    i18n.set_language("en")
    try:
        (message,) = _messages(tmp_project, path)
    finally:
        i18n.set_language(None)
    assert message[2] == "a sub-flow outside the project cannot be called: /etc/passwd"

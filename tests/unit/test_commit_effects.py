"""A desktop commit step that nothing after it observes is warned about at validation (issue 16);
at run time such a record is 要確認 (tests/adapter/test_desktop_commit_guard.py)."""

from __future__ import annotations

from bots import i18n
from bots.flow.loader import load_flow
from bots.project import Project
from bots.spec.diagnostics import Pos, Severity

FLOW = """\
id: f
title: t
version: 1.0.0
owner: o
systems:
  app: {{kind: desktop}}
steps:
  - desktop.focus: 入力
  - desktop.click: 入力.登録
    commit: true
{after}"""


def _warnings(project: Project, after: str) -> list[tuple[Pos | None, str]]:
    (project.selectors / "app.yaml").write_text(
        "system: app\nkind: desktop\nscreens:\n  入力:\n    window: 入力\n    elements:\n      登録: {point: [1, 1]}\n",
        encoding="utf-8")
    path = project.flows / "f.yaml"
    path.write_text(FLOW.format(after=after), encoding="utf-8")
    loaded, found = load_flow(path, project)
    assert loaded is not None and not found.errors, found
    return [(d.pos, d.message) for d in found if d.severity is Severity.WARNING]


def test_a_commit_nothing_observes_is_warned_at_its_step(tmp_project: Project) -> None:
    (warning,) = _warnings(tmp_project, "  - desktop.press: tab\n")
    assert warning[0] == Pos(9, 5) and "要確認" in warning[1]
    i18n.set_language("en")
    try:
        (warning,) = _warnings(tmp_project, "")
    finally:
        i18n.set_language(None)
    assert warning[1].startswith("nothing after this commit step checks its effect")


def test_a_commit_followed_by_a_wait_is_not_warned(tmp_project: Project) -> None:
    assert _warnings(tmp_project, "  - desktop.wait_window: {window: 完了}\n") == []
    assert _warnings(tmp_project, "  - desktop.verify_field: {value: x}\n") == []

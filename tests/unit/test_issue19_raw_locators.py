"""Issue 19: a candidate holding ``{{ … }}`` is refused where it is written.

Candidates are never rendered. A raw locator in a flow (``{xpath: "//label[text()='{{ record.胴体 }}']"}``)
passed ``validate`` and failed at run time (a CSS one as a bad selector, an XPath one as an element
not found after the whole timeout). ``validate`` now refuses it at its line and column, with a
message pointing to parametrised elements; so does ``selectors validate`` for a selector map.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bots.api import validate
from bots.i18n import set_language
from bots.project import Project
from bots.selectors.loader import load_selector_map
from bots.selectors.syntax import template_problem

REPO = Path(__file__).resolve().parents[2]
HEAD = """\
id: raw-template
title: 生の候補に式
version: 1.0.0
owner: 情報政策係
env: [KZ_DEMO_URL]
systems:
  demo_web:
    base_url: "{{ env.KZ_DEMO_URL }}"
inputs:
  胴体: {type: str, default: A}
steps:
  - browser.open: demo_web
"""
RAW = [
    "{css: \"input[value='{{ inputs.胴体 }}']\"}",
    "{css: \"#{{ inputs.胴体 }}\"}",
    "{xpath: \"//label[text()='{{ inputs.胴体 }}']\"}",
    "{text: \"{{ inputs.胴体 }}\"}",
    "{label: \"{% if true %}胴体{% endif %}\"}",
    "{role: radio, name: \"{{ inputs.胴体 }}\"}",
]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    (root / "flows").mkdir(parents=True)
    shutil.copytree(REPO / "selectors", root / "selectors", ignore=shutil.ignore_patterns("forms"))
    return Project(root)


@pytest.fixture(params=["ja", "en"])
def lang(request: pytest.FixtureRequest) -> Iterator[str]:
    set_language(request.param)
    yield str(request.param)
    set_language("ja")


@pytest.mark.parametrize("raw", RAW)
def test_validate_refuses_a_raw_locator_with_an_expression(project: Project, raw: str, lang: str) -> None:
    path = project.flows / "raw.yaml"
    path.write_text(HEAD + f"  - browser.click: {{target: {raw}}}\n", encoding="utf-8")
    loaded, found = validate(path, project)
    assert loaded is None, "a candidate that is never rendered must not pass validate"
    refused = [d for d in found.errors if ("候補には式" if lang == "ja" else "cannot hold an expression") in d.message]
    assert len(refused) == 1, [d.message for d in found]
    assert refused[0].pos is not None and refused[0].pos.line == 13  # the step's line in the file
    assert ("注文.胴体[{{ record.胴体 }}]") in refused[0].message  # what to write instead


def test_a_plain_raw_locator_still_passes(project: Project) -> None:
    path = project.flows / "raw.yaml"
    path.write_text(HEAD + "  - browser.click: {target: {xpath: \"//label[text()='胴体 {A}']\"}}\n", encoding="utf-8")
    loaded, found = validate(path, project)
    assert loaded is not None, [d.message for d in found]


def test_selectors_validate_refuses_a_templated_candidate(project: Project) -> None:
    path = project.selectors / "demo_web.yaml"
    text = path.read_text(encoding="utf-8")
    assert '        - css: "#user_id"\n' in text
    path.write_text(text.replace('        - css: "#user_id"\n', "        - css: \"#{{ inputs.id }}\"\n"), encoding="utf-8")
    selector_map, found = load_selector_map(path)
    assert selector_map is None
    assert any("候補には式" in d.message for d in found.errors), [d.message for d in found]


def test_template_problem_only_for_expressions() -> None:
    assert template_problem("//label[text()='{x}']") is None
    assert template_problem("a { b }") is None
    assert template_problem("{{x}}") and template_problem("{%x%}")

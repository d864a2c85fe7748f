"""Selector maps are checked when they load: css (Playwright's selector grammar), XPath 1.0,
empty candidate lists and values, each at the map's file:line:col (issue 16).

Each file in ``tests/selectors/invalid/`` states what it must produce (``# expect: line:col: text``),
as the invalid flow corpus does; every diagnostic of the file must be expected.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from bots import i18n
from bots.flow.loader import load_flow
from bots.project import Project
from bots.selectors.loader import load_selector_map
from bots.selectors.syntax import css_problem, xpath_problem
from bots.spec.diagnostics import Pos

HERE = Path(__file__).resolve().parents[1] / "selectors"
INVALID = sorted((HERE / "invalid").glob("*.yaml"))
SAMPLES = YAML(typ="safe").load((HERE / "playwright_selectors.yaml").read_text(encoding="utf-8"))
EXPECT = re.compile(r"^#\s*expect:\s*(?P<line>\d+):(?P<col>\d+):\s*(?P<text>.*?)\s*$")


def _expected(path: Path) -> list[tuple[Pos, str]]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := EXPECT.match(line):
            found.append((Pos(int(match["line"]), int(match["col"])), match["text"]))
    return found


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_selector_map_is_refused_at_the_expected_position(path: Path) -> None:
    expected = _expected(path)
    assert expected, "every invalid map needs a '# expect: line:col: text' line"

    selector_map, found = load_selector_map(path)

    assert selector_map is None
    got = [(d.pos, d.message) for d in found]
    assert len(got) == len(expected), got
    for pos, text in expected:
        assert any(p == pos and text in m for p, m in got), f"missing {pos}: {text}; got {got}"


@pytest.mark.parametrize("selector", SAMPLES["accepted"])
def test_what_playwright_accepts_is_accepted(selector: str) -> None:
    assert css_problem(selector) is None


@pytest.mark.parametrize("selector", SAMPLES["refused"])
def test_what_playwright_refuses_is_refused(selector: str) -> None:
    assert css_problem(selector)


def test_xpath_is_parsed_as_xpath_1() -> None:
    assert xpath_problem("//table[@id='confirm_table']//tr[th[normalize-space()='氏名']]/td") is None
    assert "7 文字目付近" in (xpath_problem("//a[@x=") or "")
    assert xpath_problem("//svg:path")  # no namespace resolver in a browser either
    assert xpath_problem("  ") == "XPath が空です"


def test_messages_in_english(tmp_path: Path) -> None:
    i18n.set_language("en")
    try:
        assert css_problem("div[[[") == "selector syntax error at character 4: div[[["
        assert (xpath_problem("//a[") or "").startswith("XPath syntax error near character 4")
        path = tmp_path / "m.yaml"
        path.write_text("system: m\nscreens:\n  s:\n    elements:\n      e: []\n", encoding="utf-8")
        _, found = load_selector_map(path)
        assert [d.render() for d in found] == [
            f"{path}:5:10: error: no candidate: write at least one way to find the element"]
    finally:
        i18n.set_language(None)


def test_a_flow_using_a_broken_map_reports_the_map_file(tmp_project: Project) -> None:
    """``runner.py validate`` of a flow shows the problem in the map it uses, where it is written."""
    (tmp_project.selectors / "sys.yaml").write_text(
        "system: sys\nscreens:\n  s:\n    elements:\n      e: {css: 'a >'}\n", encoding="utf-8")
    flow = tmp_project.flows / "f.yaml"
    flow.write_text("id: f\ntitle: t\nversion: 1.0.0\nowner: o\nsystems:\n  sys: {}\nsteps:\n  - browser.click: s.e\n",
                    encoding="utf-8")

    loaded, found = load_flow(flow, tmp_project)

    assert loaded is None
    assert [(d.path.name, d.pos, d.message) for d in found.errors] == [
        ("sys.yaml", Pos(5, 16), "セレクタの構文エラー（4 文字目）: a >")]


def test_the_repository_maps_are_valid(repo_project: Project) -> None:
    for path in sorted(repo_project.selectors.glob("*.yaml")):
        selector_map, found = load_selector_map(path)
        assert selector_map is not None and not found, [d.render() for d in found]


def test_deep_or_long_selectors_are_refused_not_a_recursion_error() -> None:
    assert css_problem(":is(" * 40 + "a" + ")" * 40) == "括弧の入れ子が深すぎます（上限 32 段）"
    assert xpath_problem("(" * 5000 + "1" + ")" * 5000) == "長すぎます（10001 文字。上限 2000 文字）"
    assert xpath_problem("(" * 30 + "1" + ")" * 30) is None


PIECES = [*"ab:()[]'\"=>,.#*~+ -\\/@|{}0n;", "登", "\x00", "xpath=", "text=", ">>", "internal:has=", "role=",
          ":has(", ":nth-child(", "//", "internal:has=\"", ":is(" * 10, "(" * 10]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_any_selector_text_gets_an_answer_never_an_exception(text: str) -> None:
    for problem in (css_problem(text), xpath_problem(text)):
        assert problem is None or isinstance(problem, str)

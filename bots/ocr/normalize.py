"""Per-kind normalisation and validation of what OCR read: ``normalize(spec, raw) -> (value, problems)``.

An OCR'd form must become the same record as the Excel row with the same values, so that the
keying flow cannot tell them apart: ``kana``, ``zip``, ``phone`` and ``date_wareki`` go through
:func:`bots.records.coerce.coerce_value`, the Excel path's own coercion (フリガナ words joined by a
full-width space, 7-digit postcode and phone digits without separators, 和暦 → ``datetime.date``).

Nothing is guessed. A value that does not validate keeps what was read (for the reviewer) and gets
a problem: the whole form then goes to a person. Names are never "corrected" (``text`` is not even
NFKC-normalised: that would rewrite CJK compatibility ideographs in a person's name). Problems
never contain the value itself (個人番号 is sensitive; the reviewer sees the value beside them).

Decisions:

* ``checkbox``: ``required`` means the box must be read clearly (ticked or clearly empty); an empty
  box is the value ``False``, not a missing value. Whether an application without 同意 may be
  keyed is the flow's rule (``record.同意``), not a reading problem.
* ``text``: whitespace collapses to one full-width space where one was read; a narrow (ASCII) space
  between Japanese characters is dropped — OCR cannot see it in proportional print. The width of
  digits and letters is kept as read (第２みどり荘 stays full-width) unless the field declares
  ``width: zenkaku | hankaku`` (the target system's rule); whether it is the width *printed* is the
  ink's to show (bots.ocr.confusables). A name (``charset: name``) holds only the Japanese name
  characters (or is written as a 在留カード has it: ``SMITH, JOHN``), an address (``charset: address``) those, digits, Latin letters and －・、; a value that
  begins or ends with punctuation (「,中村真由美」) is a speck read as a character.
* ``choice``: equal to one option after NFKC and without spaces, or a problem — never the closest.
* ``date_wareki``: only 和暦 (an ISO date on a 和暦 line is a misreading or a wrong form); a date in
  the future is refused (birth dates, application dates).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import jaconv

from bots.i18n import tr
from bots.masking import mynumber_check_digit
from bots.ocr.itaiji import VARIANTS
from bots.records.coerce import coerce_value
from bots.records.model import ColumnSpec
from bots.records.wareki import looks_like_wareki, parse_wareki
from bots.selectors.form_template import FieldKind, FieldSpec

Normalised = tuple[Any, list[str]]
#: Long-vowel look-alikes OCR and people produce inside katakana (ASCII and full-width hyphens,
#: dashes, minus, half-width ｰ, wave dash); all are the 長音符 ー there.
_LONG_VOWEL = re.compile("[-‐‑‒–—―−－ｰ〜～~]")
#: Never part of a Japanese name or address; in OCR output they are box rules, specks or noise.
_SUSPICIOUS = re.compile(r"[|¦_~^`\\{}\[\]<>@#$%*=+;\"'“”‘’!?！？]|[\x00-\x1f]")
_SPACE_RUN = re.compile(r"\s+")
_HYPHENS = re.compile("[-‐‑‒–—―−ーｰ－]")


def normalize(spec: FieldSpec, raw: str) -> Normalised:
    """The typed value of one field and the reasons it cannot be trusted (empty list: valid)."""
    if spec.kind == "checkbox":
        return _checkbox(spec, raw)
    text = raw.strip()
    if not text:
        if spec.required:
            return None, [tr("必須の欄が空です", "this required field is empty")]
        return None, []
    return _BY_KIND[spec.kind](spec, text)


def _text(spec: FieldSpec, text: str) -> Normalised:
    value = _widened(spec, _SPACE_RUN.sub(_space, text))
    if _SUSPICIOUS.search(value):
        return value, [tr("文字以外の記号（罫線・汚れ）を読んでいます", "read stray symbols (box rules or specks)")]
    if value[0] in _EDGE_PUNCTUATION or value[-1] in _EDGE_PUNCTUATION:
        return value, [tr("値の先頭か末尾に句読点・記号を読んでいます（汚れの可能性）",
                          "read punctuation at the start or end of the value (probably a speck)")]
    if spec.characters() == "name" and _ROMAN_NAME.fullmatch(value):
        return value, []
    stray = "".join(dict.fromkeys(char for char in value if not _allowed(spec.characters(), char)))
    if stray:
        shown = "" if spec.sensitive else tr("（{s}）", " ({s})", s=" ".join(stray))
        what = tr("氏名", "a name") if spec.characters() == "name" else tr("住所", "an address")
        return value, [tr("{w}に使わない文字があります{c}", "characters not used in {w}{c}", w=what, c=shown)]
    return value, []


def _widened(spec: FieldSpec, value: str) -> str:
    """The width rule of the target field: as printed (no change), or every digit, Latin letter and
    ASCII sign full-width (``zenkaku``) or half-width (``hankaku``); kana keep their full width."""
    if spec.width == "zenkaku":
        return str(jaconv.h2z(value, kana=True, ascii=True, digit=True))
    if spec.width == "hankaku":
        return str(jaconv.z2h(value, kana=False, ascii=True, digit=True))
    return value


#: Never the first or last character of a name or an address: in OCR output a speck or a rule's end.
_EDGE_PUNCTUATION = set(",.、。，．・･:;：；'`")
#: A name as a 在留カード prints it: SURNAME, GIVEN NAMES in capital letters (its comma is part of it).
_ROMAN_NAME = re.compile(r"[A-Z]+(?:[ '-][A-Z]+)*, ?[A-Z]+(?:[ '-][A-Z]+)*")
#: Signs an address may hold besides the name characters, digits and Latin letters.
_ADDRESS_SIGNS = set("-‐－−ー・、()（） \u3000")


def _allowed(charset: str, char: str) -> bool:
    """Whether ``char`` belongs to the character set (see ``FieldSpec.charset``)."""
    if charset == "any" or _name_char(char):
        return True
    if charset == "address":
        return char in _ADDRESS_SIGNS or unicodedata.normalize("NFKC", char).isascii() and char.isalnum()
    return False


def _name_char(char: str) -> bool:
    """Kana, ・ ー 々 〆 ゝゞヽヾ, the full-width space, and kanji of JIS X 0208/0213 (Python's
    ``euc_jis_2004`` codec), of Windows' cp932 (髙, its vendor kanji) or a name variant (𠮷)."""
    if char in "・ー々〆ゝゞヽヾ\u3000" or "\u3041" <= char <= "\u3096" or "\u30a1" <= char <= "\u30fa":
        return True
    if not unicodedata.name(char, "").startswith("CJK"):
        return False
    if any(char in variants for variants in VARIANTS.values()):
        return True
    for codec in ("euc_jis_2004", "cp932"):
        try:
            char.encode(codec)
            return True
        except UnicodeEncodeError:
            continue
    return False


def _space(match: re.Match[str]) -> str:
    """A full-width space stays one; a narrow one only between Latin letters or digits ("ABC Bldg"):
    between Japanese characters print cannot show it (see bots.ocr.fields), so it is not part of
    the value and 「…3号 コーポ桜」 and 「…3号コーポ桜」 are the same address."""
    if "\u3000" in match[0]:
        return "\u3000"
    before = match.string[match.start() - 1 : match.start()]
    after = match.string[match.end() : match.end() + 1]
    latin_before = before.isascii() and (before.isalnum() or before == ",")  # "SMITH, JOHN"
    return " " if latin_before and after.isascii() and after.isalnum() else ""


def _kana(spec: FieldSpec, text: str) -> Normalised:
    text = jaconv.h2z(text, kana=True, ascii=False, digit=False)  # ﾔﾏﾀﾞ → ヤマダ (before ｰ is replaced)
    text = _LONG_VOWEL.sub("ー", text)
    value, problems = _coerced(text, "kana", tr("カタカナ以外の文字があります",
                                                "contains characters other than katakana"))
    if not problems and isinstance(value, str) and not all(map(_pronounceable, value.split("\u3000"))):
        problems = [tr("カタカナの並びとしてありえません（小さい文字の読み違いの可能性）",
                       "impossible katakana sequence (a small kana probably misread)")]
    return value, problems


_SMALL = "ァィゥェォッャュョヮヵヶ"
#: Kana a small ャュョ can follow (キャ, シュ, チョ … and テュ, デュ, フュ, ヴュ in loanwords).
_BEFORE_YOON = "キギシジチヂニヒビピミリテデフヴ"


def _pronounceable(word: str) -> bool:
    """Rules of katakana spelling that OCR artefacts break: a word never starts with a small kana
    or ー, ャュョ follow an イ-row kana, ヮヵヶ do not occur in names, and a small kana is never
    followed by its own large form (ョヨ, ヮワ: one character read twice)."""
    if not word or word[0] in _SMALL + "ー" or any(char in "ヮヵヶ" for char in word):
        return False
    for before, char, after in zip(" " + word[:-1], word, word[1:] + " ", strict=True):
        if char in "ャュョ" and before not in _BEFORE_YOON:
            return False
        if char in _SMALL and after == chr(ord(char) + 1):  # ョ+1 = ヨ, ァ+1 = ア …
            return False
    return True


def _digits(spec: FieldSpec, text: str) -> Normalised:
    value = _HYPHENS.sub("", _SPACE_RUN.sub("", unicodedata.normalize("NFKC", text)))
    if not re.fullmatch(r"[0-9]+", value, re.ASCII):
        return value, [tr("数字以外の文字があります", "contains characters other than digits")]
    return value, []


def _date_wareki(spec: FieldSpec, text: str) -> Normalised:
    if not looks_like_wareki(text):
        return text, [tr("和暦（令和・平成・昭和・大正）の日付として読めません", "not a Japanese-era date")]
    try:
        value = parse_wareki(text)
    except ValueError as exc:
        # parse_wareki says why (no such date, outside the era) and repeats the date: keep the why.
        return text, [str(exc).split(":")[0]]
    if value > dt.date.today():
        return value, [tr("未来の日付です", "the date is in the future")]
    return value, []


def _zip(spec: FieldSpec, text: str) -> Normalised:
    return _coerced(text, "zip", tr("郵便番号は 7 桁（123-4567）です", "a postcode has 7 digits (123-4567)"))


def _phone(spec: FieldSpec, text: str) -> Normalised:
    return _coerced(text, "phone", tr("電話番号は 0 から始まる 10 桁か 11 桁です",
                                      "a phone number has 10 or 11 digits starting with 0"))


def _mynumber(spec: FieldSpec, text: str) -> Normalised:
    value = _HYPHENS.sub("", _SPACE_RUN.sub("", unicodedata.normalize("NFKC", text)))
    if not re.fullmatch(r"[0-9]{12}", value, re.ASCII):
        return value, [tr("個人番号は 12 桁の数字です", "a My Number has 12 digits")]
    if mynumber_check_digit(value[:11]) != int(value[11]):
        return value, [tr("個人番号の検査用数字が合いません（読み違いの可能性）",
                          "the My Number's check digit does not match (probably misread)")]
    return value, []


def _choice(spec: FieldSpec, text: str) -> Normalised:
    read = _choice_key(text)
    for option in spec.options:
        if _choice_key(option) == read:
            return option, []
    return text, [tr("選択肢（{o}）のどれとも一致しません", "matches none of the options ({o})",
                     o="・".join(spec.options))]


def _choice_key(text: str) -> str:
    return _SPACE_RUN.sub("", unicodedata.normalize("NFKC", text))


_TICKED = {"1", "true", "yes", "on", "はい", "✓", "✔", "☑", "レ", "x"}
_EMPTY = {"0", "false", "no", "off", "いいえ", "☐"}


def _checkbox(spec: FieldSpec, raw: str) -> Normalised:
    key = unicodedata.normalize("NFKC", raw).strip().lower()
    if key in _TICKED:
        return True, []
    if key in _EMPTY:
        return False, []
    return None, [tr("チェックの有無がはっきりしません", "cannot tell whether the box is ticked")]


def _coerced(text: str, column_type: str, reason: str) -> Normalised:
    """The Excel path's coercion (same value as the same text in a cell); its refusal → ``reason``."""
    try:
        value, _notes = coerce_value(text, ColumnSpec.model_validate({"type": column_type}))
    except ValueError:
        return text, [reason]
    return value, []


_BY_KIND: dict[FieldKind, Callable[[FieldSpec, str], Normalised]] = {
    "text": _text,
    "kana": _kana,
    "digits": _digits,
    "date_wareki": _date_wareki,
    "zip": _zip,
    "phone": _phone,
    "mynumber": _mynumber,
    "choice": _choice,
    "checkbox": _checkbox,
}

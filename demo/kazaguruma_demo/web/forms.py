"""The entry form: its fields, choices and server-side validation rules.

Rules are deliberately those of a real 申請受付 screen (full-width katakana, 7-digit postcode,
10–11 digit phone numbers starting with 0), so flows meet the same refusals they will meet in
production. Values are kept as typed (trimmed); only validity is judged. The one exception is
個人番号 (optional; 12 half-width digits with a valid check digit), whose hyphens and spaces are
dropped once it is valid, as a real 基幹システム stores it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from bots.masking import is_valid_mynumber

SEXES: tuple[str, ...] = ("男", "女", "その他")
KINDS: tuple[str, ...] = ("住民票の写し", "印鑑登録証明書", "児童手当認定請求", "国民健康保険加入")

NAME_MAX = 40
ADDRESS_MAX = 100
NOTE_MAX = 200

# re.ASCII: a bare \d would also accept full-width digits (１２３), which the core system refuses.
_KATAKANA = re.compile(r"[ァ-ヶー　 ]+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_ZIP = re.compile(r"\d{3}-?\d{4}", re.ASCII)
_PHONE = re.compile(r"0\d*(?:-\d+){0,2}", re.ASCII)
# 個人番号: hyphens and spaces (half- or full-width space) are allowed between the digits and dropped.
_MYNUMBER_SEPARATORS = re.compile(r"[- \u3000]")
_MYNUMBER = re.compile(r"\d{12}", re.ASCII)


@dataclass(frozen=True)
class Field:
    """One entry field: store column, HTML id and form name, and its label on screen."""

    column: str
    html_id: str
    label: str


ENTRY_FIELDS: tuple[Field, ...] = (
    Field("氏名", "shimei", "氏名"),
    Field("フリガナ", "furigana", "フリガナ"),
    Field("生年月日", "birth", "生年月日"),
    Field("性別", "sex", "性別"),
    Field("郵便番号", "zip", "郵便番号"),
    Field("住所", "address", "住所"),
    Field("電話番号", "phone", "電話番号"),
    Field("個人番号", "mynumber", "個人番号"),
    Field("申請種別", "kind", "申請種別"),
    Field("同意", "agree", "同意"),
    Field("備考", "note", "備考"),
)


def parse_iso_date(text: str) -> date | None:
    """A real calendar date written YYYY-MM-DD, else None (fromisoformat alone accepts 20260101)."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _check_shimei(v: str, _: date) -> str | None:
    if not v:
        return "氏名を入力してください"
    if len(v) > NAME_MAX:
        return f"氏名は{NAME_MAX}文字以内で入力してください"
    return None


def _check_furigana(v: str, _: date) -> str | None:
    if not v:
        return "フリガナを入力してください"
    if not _KATAKANA.fullmatch(v):
        return "フリガナは全角カタカナで入力してください"
    return None


def _check_birth(v: str, today: date) -> str | None:
    if not v:
        return "生年月日を入力してください"
    born = parse_iso_date(v)
    if born is None:
        return "生年月日はYYYY-MM-DD形式の正しい日付で入力してください"
    if born > today:
        return "生年月日に未来の日付は入力できません"
    return None


def _check_sex(v: str, _: date) -> str | None:
    return None if v in SEXES else "性別を選択してください"


def _check_zip(v: str, _: date) -> str | None:
    return None if _ZIP.fullmatch(v) else "郵便番号は7桁の数字で入力してください"


def _check_address(v: str, _: date) -> str | None:
    if not v:
        return "住所を入力してください"
    if len(v) > ADDRESS_MAX:
        return f"住所は{ADDRESS_MAX}文字以内で入力してください"
    return None


def _check_phone(v: str, _: date) -> str | None:
    digits = sum(c in "0123456789" for c in v)
    if not _PHONE.fullmatch(v) or not 10 <= digits <= 11:
        return "電話番号は0から始まる10〜11桁の数字で入力してください（ハイフン可）"
    return None


def normalise_mynumber(v: str) -> str:
    """The 個人番号 as stored: the typed value without hyphens and spaces."""
    return _MYNUMBER_SEPARATORS.sub("", v)


def _check_mynumber(v: str, _: date) -> str | None:
    if not v:
        return None  # optional
    digits = normalise_mynumber(v)
    if not _MYNUMBER.fullmatch(digits) or not is_valid_mynumber(digits):
        return "個人番号の形式が正しくありません"
    return None


def _check_kind(v: str, _: date) -> str | None:
    return None if v in KINDS else "申請種別を選択してください"


def _check_agree(v: str, _: date) -> str | None:
    return None if v == "1" else "記載内容の確認欄にチェックを入れてください"


def _check_note(v: str, _: date) -> str | None:
    return None if len(v) <= NOTE_MAX else f"備考は{NOTE_MAX}文字以内で入力してください"


_CHECKS: dict[str, Callable[[str, date], str | None]] = {
    "氏名": _check_shimei,
    "フリガナ": _check_furigana,
    "生年月日": _check_birth,
    "性別": _check_sex,
    "郵便番号": _check_zip,
    "住所": _check_address,
    "電話番号": _check_phone,
    "個人番号": _check_mynumber,
    "申請種別": _check_kind,
    "同意": _check_agree,
    "備考": _check_note,
}


@dataclass(frozen=True)
class EntryResult:
    """Form values keyed by store column (agree as "1"/""), and the errors keyed by HTML id."""

    values: dict[str, str]
    errors: dict[str, str]


def read_entry(form: Mapping[str, str], today: date) -> EntryResult:
    """Read the posted entry form and validate it; errors come in screen order."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for f in ENTRY_FIELDS:
        raw = form.get(f.html_id, "")
        value = raw if f.column == "備考" else raw.strip()
        if f.column == "同意":
            value = "1" if value else ""
        values[f.column] = value
        message = _CHECKS[f.column](value, today)
        if message is not None:
            errors[f.html_id] = message
        elif f.column == "個人番号":
            values[f.column] = normalise_mynumber(value)  # stored and confirmed as 12 digits
    return EntryResult(values, errors)


def to_record(values: Mapping[str, str]) -> dict[str, str | int]:
    """The pending application as stored: 同意 becomes 0/1, the rest stays text."""
    record: dict[str, str | int] = dict(values)
    record["同意"] = 1 if values.get("同意") == "1" else 0
    return record

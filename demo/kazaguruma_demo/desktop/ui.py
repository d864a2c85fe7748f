"""Names on the desktop demo's screens: window titles, fields, buttons, per variant.

Titles are stable and distinct per screen and dialog: a bot checks the focused window's title
before it types. ``changed`` is the same system after a vendor update (renamed labels, a moved
and renamed 登録 button), for element-not-found tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Variant = Literal["normal", "changed"]

APP_NAME = "住民記録システム（デモ）"
USER_ID = "kazaguruma"
DEFAULT_PASSWORD = "demo-pass-2026"  # the demo's built-in account, same as the web demo

FONT_FAMILY = "Noto Sans CJK JP"
FONT_SIZE = 14  # pixels per point at Xvfb's 96 dpi: ~19 px glyphs, readable by tesseract
WINDOW_SIZE = (900, 660)


def title(screen: str) -> str:
    """``住民記録システム（デモ） - 申請受付``: one title per screen/dialog."""
    return f"{APP_NAME} - {screen}"


TITLE_LOGIN = title("ログイン")
TITLE_MENU = title("メニュー")
TITLE_ENTRY = title("申請受付")
TITLE_INQUIRY = title("照会")
TITLE_INPUT_ERROR = title("入力エラー")
TITLE_LOGIN_ERROR = title("ログインエラー")
TITLE_DONE = title("登録完了")


@dataclass(frozen=True)
class EntryField:
    """An entry-screen field: the store column, the web form's field id (shared validation)."""

    column: str
    form_id: str
    label: str
    changed_label: str


# Tab order of the entry screen; columns of flows/data/申請一覧.xlsx (同意 is a paper-only field here).
ENTRY_FIELDS: tuple[EntryField, ...] = (
    EntryField("氏名", "shimei", "氏名", "氏名（漢字）"),
    EntryField("フリガナ", "furigana", "氏名カナ", "カナ氏名"),
    EntryField("生年月日", "birth", "生年月日", "生年月日（西暦）"),
    EntryField("性別", "sex", "性別", "性別区分"),
    EntryField("郵便番号", "zip", "郵便番号", "〒"),
    EntryField("住所", "address", "住所", "住所（方書含む）"),
    EntryField("電話番号", "phone", "電話番号", "連絡先"),
    EntryField("個人番号", "mynumber", "個人番号", "マイナンバー"),
    EntryField("申請種別", "kind", "申請種別", "申請区分"),
    EntryField("備考", "note", "備考", "摘要"),
)


def label_of(field: EntryField, variant: Variant) -> str:
    return field.changed_label if variant == "changed" else field.label


def register_button_text(variant: Variant) -> str:
    return "確定 (F9)" if variant == "changed" else "登録 (F9)"

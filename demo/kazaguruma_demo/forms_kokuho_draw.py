"""The demo 国民健康保険 被保険者資格取得届 as a municipality prints it: no corner marks.

Drawn unlike the shinsei demo on purpose (its template was written afterwards, from the paper, as
a municipality onboarding its own form would): labels *above* the boxes in Noto Serif CJK, two
columns, a header with 様式番号, the 市長 宛 line and a 受付印 box, the 個人番号 as a comb of twelve
cells, a confirmation row with a tick box, an empty block for the previous insurance, footnotes
and a 市使用欄. :data:`BOXES` is the printed layout in mm; ``selectors/forms/kokuho.yaml`` puts
each zone :data:`BOX_MARGIN_MM` inside its box (:func:`zone_of`; the comb's first and last digits
sit closer to the box's sides, so its zone is narrower there). Nothing here is random: the blank form is the
same drawing every time (``selectors/forms/kokuho_blank.png`` is it at :data:`BLANK_DPI`).
"""

from __future__ import annotations

import random
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from bots.i18n import tr
from bots.ocr.glyphs import FONT_DIRS, font_file
from kazaguruma_demo.forms import Rect

PAGE_MM = (210.0, 297.0)  #: A4 portrait
BOX_MARGIN_MM = 1.5  #: zones lie this far inside their printed box
#: The 個人番号 comb: its end cells' digits come within 1.3 mm of the box's sides.
COMB_SIDE_MARGIN_MM = 0.8
RULE_MM = 0.35
BLANK_DPI = 200
#: The boxes values are typed into, by record column.
BOXES: dict[str, Rect] = {
    "フリガナ": Rect(18, 70, 110, 9), "性別": Rect(134, 70, 24, 9),
    "氏名": Rect(18, 86, 110, 13), "生年月日": Rect(134, 86, 58, 13),
    "郵便番号": Rect(18, 107, 40, 10), "電話番号": Rect(64, 107, 64, 10), "個人番号": Rect(134, 107, 58, 10),
    "住所": Rect(18, 125, 174, 14),
    "申請種別": Rect(18, 147, 110, 10),
    "同意": Rect(22, 166.5, 8, 8),
}  # fmt: skip
#: The printed label above each box, and a hint in smaller type after it.
LABELS = {"フリガナ": ("フリガナ", "（カタカナ）"), "性別": ("性別", ""),
          "氏名": ("氏名", "（外国籍の方は在留カードのとおり）"), "生年月日": ("生年月日", "（和暦）"),
          "郵便番号": ("郵便番号", ""), "電話番号": ("電話番号", "（日中の連絡先）"),
          "個人番号": ("個人番号", "（マイナンバー）"), "住所": ("住所", "（方書・部屋番号まで）"),
          "申請種別": ("届出の理由", "")}  # fmt: skip
#: Printed boxes nobody types into on this demo (the form asks more than the record holds).
EMPTY_BOXES = {"世帯主との続柄": Rect(164, 70, 28, 9), "資格取得日": Rect(134, 147, 58, 10),
               "保険者名": Rect(18, 197, 80, 10), "記号・番号": Rect(104, 197, 50, 10),
               "資格喪失日": Rect(160, 197, 32, 10)}  # fmt: skip
MYNUMBER_CELLS = 12
STAMP_BOX = Rect(160, 12, 32, 30)  #: the 受付印 box in the header
CONFIRM = Rect(18, 163, 174, 15)
CONFIRM_TEXT = "上記のとおり届け出ます。記載内容に相違ありません。"
FOOTNOTES = ("※１　太枠の中をご記入ください。該当する欄がない場合は空欄のままで構いません。",
             "※２　個人番号は、マイナンバーカード又は通知カードでご確認のうえ記入してください。",
             "※３　外国籍の方は、在留カードに記載のとおり氏名をご記入ください（例：スミス・ジョン）。")  # fmt: skip
STAFF = Rect(18, 240, 174, 34)
STAFF_CELLS = ("受付番号", "記号番号", "処理日", "確認者", "入力者")
_FILES = {"serif": "NotoSerifCJK-Regular.ttc", "serif-bold": "NotoSerifCJK-Bold.ttc",
          "sans": "NotoSansCJK-Regular.ttc", "sans-bold": "NotoSansCJK-Bold.ttc"}  # fmt: skip
_FALLBACK = {"serif": "serif", "serif-bold": "serif", "sans": "sans", "sans-bold": "bold"}


@cache
def font_path(kind: str) -> str:
    """The font file of ``kind`` (serif, serif-bold, sans, sans-bold): Noto CJK, else the
    platform's Gothic or Mincho (:func:`bots.ocr.glyphs.font_file`)."""
    for folder in FONT_DIRS:
        if (folder / _FILES[kind]).is_file():
            return str(folder / _FILES[kind])
    found = font_file(_FALLBACK[kind])
    if found is None:
        raise FileNotFoundError(tr("日本語フォント（Noto CJK）が見つかりません", "no Japanese font (Noto CJK) found"))
    return found


class Sheet:
    """A white page at ``dpi``, drawn on in mm."""

    def __init__(self, dpi: int) -> None:
        self.k = dpi / 25.4
        self.image = Image.new("RGB", (round(PAGE_MM[0] * self.k), round(PAGE_MM[1] * self.k)), "white")
        self.draw = ImageDraw.Draw(self.image)

    def px(self, mm: float) -> float:
        return mm * self.k

    def font(self, kind: str, size_mm: float) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(font_path(kind), max(4, round(size_mm * self.k)), index=0)

    def fit(self, kind: str, text: str, size_mm: float, width_mm: float) -> ImageFont.FreeTypeFont:
        """The font at ``size_mm``, smaller if ``text`` would not fit ``width_mm``."""
        font = self.font(kind, size_mm)
        width = font.getlength(text) / self.k
        return font if width <= width_mm else self.font(kind, size_mm * width_mm / width * 0.98)

    def rect(self, r: Rect, width_mm: float = RULE_MM, fill: int | None = None) -> None:
        box = (self.px(r.x), self.px(r.y), self.px(r.right), self.px(r.bottom))
        self.draw.rectangle(box, outline=(0, 0, 0), width=max(1, round(width_mm * self.k)),
                            fill=None if fill is None else (fill, fill, fill))

    def line(self, x0: float, y0: float, x1: float, y1: float, width_mm: float = RULE_MM) -> None:
        self.draw.line((self.px(x0), self.px(y0), self.px(x1), self.px(y1)), fill=(0, 0, 0),
                       width=max(1, round(width_mm * self.k)))

    def text(self, x: float, y: float, text: str, font: ImageFont.FreeTypeFont, anchor: str = "lm",
             fill: tuple[int, int, int] = (0, 0, 0)) -> None:
        self.draw.text((self.px(x), self.px(y)), text, font=font, fill=fill, anchor=anchor)


def zone_of(name: str) -> Rect:
    """Where the template reads field ``name``: inside its box, clear of the rules."""
    box = BOXES[name]
    zone = box.grown(-BOX_MARGIN_MM)
    if name == "個人番号":
        return Rect(box.x + COMB_SIDE_MARGIN_MM, zone.y, box.w - 2 * COMB_SIDE_MARGIN_MM, zone.h)
    return zone


def render_blank(dpi: int = BLANK_DPI) -> Image.Image:
    """The blank form (grayscale): what a template's reference image is."""
    sheet = Sheet(dpi)
    draw_form(sheet)
    return sheet.image.convert("L")


def draw_form(sheet: Sheet) -> None:
    """Everything printed on the paper before anyone fills it in."""
    _header(sheet)
    sheet.rect(Rect(18, 57, 174, 7), fill=225)
    sheet.text(20, 60.5, "加入する方（届出人）", sheet.font("serif-bold", 3.6))
    for name, box in BOXES.items():
        if name in LABELS:
            _labelled_box(sheet, box, *LABELS[name])
    _comb(sheet, BOXES["個人番号"])
    sheet.rect(CONFIRM)
    sheet.rect(BOXES["同意"])
    sheet.text(BOXES["同意"].right + 4, CONFIRM.y + CONFIRM.h / 2, CONFIRM_TEXT,
               sheet.fit("serif", CONFIRM_TEXT, 3.6, CONFIRM.right - BOXES["同意"].right - 8))
    sheet.rect(Rect(15, 55, 180, 125.5), width_mm=0.7)  # 太枠: what the applicant fills in
    sheet.rect(Rect(18, 184, 174, 7), fill=225)
    sheet.text(20, 187.5, "以前に加入していた健康保険（職場の保険をやめた方）", sheet.font("serif-bold", 3.6))
    for label, box in EMPTY_BOXES.items():
        _labelled_box(sheet, box, label, "")
    date = EMPTY_BOXES["資格取得日"]
    sheet.text(date.right - 2, date.y + date.h / 2, "令和　　年　　月　　日", sheet.font("serif", 3.2), anchor="rm")
    small = sheet.font("serif", 3.0)
    for row, note in enumerate(FOOTNOTES):
        sheet.text(18, 215 + row * 6, note, sheet.fit("serif", note, 3.0, 174))
    _staff(sheet)
    sheet.text(PAGE_MM[0] / 2, 287, "風車市 市民部 保険年金課", small, anchor="mm")


def _header(sheet: Sheet) -> None:
    sheet.text(18, 14, "様式第３号（第６条関係）", sheet.font("serif", 3.2))
    sheet.text(88, 27, "国民健康保険 被保険者資格取得届", sheet.font("serif-bold", 6.2), anchor="mm")
    sheet.rect(STAMP_BOX)
    sheet.line(STAMP_BOX.x, STAMP_BOX.y + 5, STAMP_BOX.right, STAMP_BOX.y + 5)
    sheet.text(STAMP_BOX.x + STAMP_BOX.w / 2, STAMP_BOX.y + 2.5, "受付印", sheet.font("serif", 2.8), anchor="mm")
    sheet.text(18, 44, "（宛先）風車市長", sheet.font("serif", 4.2))
    sheet.text(192, 48, "届出日　令和　　年　　月　　日", sheet.font("serif", 3.6), anchor="rm")
    sheet.text(18, 51, "次のとおり届け出ます。", sheet.font("serif", 3.4))


def _labelled_box(sheet: Sheet, box: Rect, label: str, hint: str) -> None:
    """A box with its label above it (and a smaller hint after the label)."""
    sheet.rect(box)
    font = sheet.font("serif", 3.3)
    sheet.text(box.x + 0.5, box.y - 2.4, label, font)
    if hint:
        sheet.text(box.x + 1.5 + font.getlength(label) / sheet.k, box.y - 2.2, hint, sheet.font("serif", 2.6))


def _comb(sheet: Sheet, box: Rect) -> None:
    """Twelve cells for the 個人番号, as short ticks from both rules (outside the zone)."""
    pitch = box.w / MYNUMBER_CELLS
    for cell in range(1, MYNUMBER_CELLS):
        x = box.x + cell * pitch
        sheet.line(x, box.y, x, box.y + 1.1, width_mm=0.25)
        sheet.line(x, box.bottom - 1.1, x, box.bottom, width_mm=0.25)


def _staff(sheet: Sheet) -> None:
    """The 市使用欄: a header band and five empty cells."""
    sheet.rect(STAFF, width_mm=0.6)
    sheet.text(STAFF.x + 2, STAFF.y - 3, "市使用欄", sheet.font("serif-bold", 3.2))
    width = STAFF.w / len(STAFF_CELLS)
    sheet.rect(Rect(STAFF.x, STAFF.y, STAFF.w, 7), fill=235)
    for i, label in enumerate(STAFF_CELLS):
        if i:
            sheet.line(STAFF.x + i * width, STAFF.y, STAFF.x + i * width, STAFF.bottom)
        sheet.text(STAFF.x + (i + 0.5) * width, STAFF.y + 3.5, label, sheet.font("serif", 3.0), anchor="mm")


def draw_values(sheet: Sheet, printed: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Types the values into their boxes (one font for the whole form, as a word processor does),
    ticks the box, stamps 受付印 on some forms; returns how (for the scan record)."""
    kind = rng.choices(("sans-bold", "serif-bold", "sans"), weights=(2, 1, 1))[0]
    scale = rng.uniform(0.85, 1.0)
    for name, value in printed.items():
        box = BOXES[name]
        if name == "同意":
            if value:
                _tick(sheet, box, rng)
        elif name == "個人番号":
            if value:
                _comb_digits(sheet, box, str(value), kind)
        elif value:
            zone = zone_of(name)
            text = str(value)
            font = sheet.fit(kind, text, min(0.55 * zone.h, 6.0) * scale, zone.w - 3)
            sheet.text(zone.x + rng.uniform(0.5, 2.5), zone.y + zone.h / 2 + rng.uniform(-0.4, 0.4), text, font)
    stamped = rng.random() < 0.4
    if stamped:
        _stamp(sheet, rng)
    return {"font": kind, "stamp": stamped}


def _comb_digits(sheet: Sheet, box: Rect, digits: str, kind: str) -> None:
    pitch = box.w / MYNUMBER_CELLS
    font = sheet.font(kind, min(0.45 * box.h, pitch * 0.8))
    for cell, digit in enumerate(digits[:MYNUMBER_CELLS]):
        sheet.text(box.x + (cell + 0.5) * pitch, box.y + box.h / 2, digit, font, anchor="mm")


def _tick(sheet: Sheet, box: Rect, rng: random.Random) -> None:
    """A ballpoint レ in blue-black, overrunning the box a little as people draw it."""
    points = [(box.x + box.w * rng.uniform(0.15, 0.3), box.y + box.h * rng.uniform(0.4, 0.55)),
              (box.x + box.w * rng.uniform(0.4, 0.5), box.y + box.h * rng.uniform(0.75, 0.9)),
              (box.x + box.w * rng.uniform(0.85, 1.1), box.y + box.h * rng.uniform(0.0, 0.15))]  # fmt: skip
    sheet.draw.line([(sheet.px(x), sheet.px(y)) for x, y in points], fill=(25, 30, 70),
                    width=max(2, round(rng.uniform(0.5, 0.8) * sheet.k)), joint="curve")


def _stamp(sheet: Sheet, rng: random.Random) -> None:
    """A red 受付 date stamp inside the 受付印 box (never over a field)."""
    cx = STAMP_BOX.x + STAMP_BOX.w / 2 + rng.uniform(-2, 2)
    cy = STAMP_BOX.y + 5 + (STAMP_BOX.h - 5) / 2 + rng.uniform(-1.5, 1.5)
    radius = rng.uniform(9, 10.5)
    red = (205, 40, 50)
    sheet.draw.ellipse((sheet.px(cx - radius), sheet.px(cy - radius), sheet.px(cx + radius), sheet.px(cy + radius)),
                       outline=red, width=max(2, round(0.5 * sheet.k)))
    for dy in (-radius / 3, radius / 3):
        half = (radius**2 - dy**2) ** 0.5
        sheet.draw.line((sheet.px(cx - half), sheet.px(cy + dy), sheet.px(cx + half), sheet.px(cy + dy)), fill=red,
                        width=max(1, round(0.3 * sheet.k)))
    font = sheet.font("sans-bold", 3.2)
    sheet.text(cx, cy - radius * 0.62, "風車市", font, "mm", red)
    sheet.text(cx, cy, f"8.{rng.randint(1, 12)}.{rng.randint(1, 28)}", font, "mm", red)
    sheet.text(cx, cy + radius * 0.62, "受付", font, "mm", red)


def blank_path(root: Path) -> Path:
    """Where the blank reference lives in a checkout rooted at ``root``."""
    return root / "selectors" / "forms" / "kokuho_blank.png"

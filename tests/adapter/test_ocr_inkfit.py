"""Settling differing readings by the ink (bots.ocr.inkfit) on text drawn with the print fonts and
blurred like a scan: the right reading is chosen, a mix of two readings is chosen when each is right
in its own place, and nothing is chosen when every reading is wrong in the same place — the
look-alikes of what was read veto. Real fonts and images; no OCR needed."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from bots.ocr.fields import FieldOcr, Reading
from bots.ocr.glyphs import font_file, look_alikes
from bots.ocr.inkfit import InkChoice, choose_by_ink
from bots.ocr.pipeline import decide
from bots.selectors.form_template import FieldSpec

SANS = font_file("sans")
pytestmark = pytest.mark.skipif(SANS is None, reason="Noto CJK fonts are installed by `make install`")


def segment(text: str, *, font: str | None = SANS, height: int = 40) -> NDArray[np.uint8]:
    """A prepared segment as the pipeline makes it: black print on white, ~40 px text, scan-blurred
    and binarised, with a white margin."""
    assert font is not None
    face = ImageFont.truetype(font, height, index=0)
    left, top, right, bottom = (int(v) for v in face.getbbox(text))
    image = Image.new("L", (right - left + 32, bottom - top + 32), 255)
    ImageDraw.Draw(image).text((16 - left, 16 - top), text, font=face, fill=0)
    blurred = cv2.GaussianBlur(np.asarray(image, dtype=np.uint8), (0, 0), 1.2)
    return np.asarray(np.where(blurred < 150, 0, 255), dtype=np.uint8)


def anything(text: str) -> bool:
    return True


def test_the_reading_that_fits_the_ink_is_chosen() -> None:
    ink = [segment("千葉県千葉市中央区中央5丁目")]
    choice = choose_by_ink(ink, [("千葉県干葉市中央区中央5丁目", 0), ("千葉県干葉市中央区中央5丁目", 0),
                                 ("千葉県千葉市中央区中央5丁目", 1)], anything)
    assert choice is not None and choice.text == "千葉県千葉市中央区中央5丁目" and not choice.mixed


def test_runs_are_compared_run_by_run() -> None:
    ink = [segment("スズキ"), segment("ヒロシ")]
    readings = [("スズキ\u3000ヒロシ", 0), ("スズキ\u3000ヒロジ", 1), ("スズキ\u3000ヒロン", 1)]
    choice = choose_by_ink(ink, readings, anything)
    assert choice is not None and choice.text == "スズキ\u3000ヒロシ"


def test_a_mix_of_two_readings_each_right_in_its_own_place() -> None:
    # The full model reads ゾ as ブ, Debian's adds a コ: neither reads the line right, their mix does.
    ink = [segment("メゾン・ド・ソレイユ103号室")]
    readings = [("メブン・ド・ソレイユ103号室", 0), ("メゾン・ド・ソレイコユ103号室", 1)]
    choice = choose_by_ink(ink, readings, anything)
    assert choice == InkChoice("メゾン・ド・ソレイユ103号室", choice.ratio if choice else 0, True)


@pytest.mark.parametrize(("printed", "readings"), [
    ("池田陽子", ["池田腸子", "池田則子"]),    # both wrong in the same place: 陽 is a look-alike of 腸
    ("山口健太", ["山ロ健太", "山日健太"]),    # ロ (katakana) and 口 (kanji) cannot be told apart by ink
])  # fmt: skip
def test_nothing_is_chosen_when_every_reading_is_wrong_in_the_same_place(printed: str, readings: list[str]) -> None:
    ink = [segment(printed)]
    assert choose_by_ink(ink, [(readings[0], 0), (readings[0], 0), (readings[1], 1)], anything) is None


def test_a_reading_that_is_not_acceptable_is_never_chosen() -> None:
    ink = [segment("イケダ")]
    readings = [("イケダ", 0), ("イクダ", 1)]
    assert choose_by_ink(ink, readings, lambda text: text != "イケダ") is None
    choice = choose_by_ink(ink, readings, anything)
    assert choice is not None and choice.text == "イケダ"


def test_readings_that_do_not_match_the_runs_take_no_part() -> None:
    ink = [segment("スズキ"), segment("ハナコ")]
    assert choose_by_ink(ink, [("スズキハナコ", 0), ("スズキ\u3000ハナユ", 1)], anything) is None


def test_look_alikes() -> None:
    assert SANS is not None
    assert "陽" in look_alikes("腸", SANS, 8)
    assert "干" in look_alikes("千", SANS, 8)
    assert "隆" not in look_alikes("隆", SANS, 8)  # U+F9DC, the compatibility form of 隆: the same character


def test_decide_accepts_the_inks_choice_and_says_so() -> None:
    spec = FieldSpec.model_validate({"zone": {"x": 0, "y": 0, "w": 10, "h": 5}, "kind": "text"})
    readings = (Reading("千葉県干葉市", 85.0, model=0), Reading("千葉県千葉市", 79.0, model=1))
    doubtful = decide("住所", spec, FieldOcr("住所", readings), 80, 0)
    assert doubtful.doubtful  # the models differ: on their own, review
    seen = FieldOcr("住所", readings, ink_choice=InkChoice("千葉県千葉市", 0.4, False))
    settled = decide("住所", spec, seen, 80, 0)
    assert not settled.doubtful and settled.value == "千葉県千葉市" and settled.confidence == 79.0
    assert "2 通り" in settled.note and "印字と照合" in settled.note
    assert "千葉" not in settled.note  # the note goes to the run log: no applicant data in it
    # An itaiji the ink may hold still sends the field to review, whatever the ink chose.
    with_variant = FieldOcr("氏名", readings, ink_choice=InkChoice("千葉県千葉市", 0.4, False), variant="髙")
    assert decide("氏名", spec, with_variant, 80, 0).doubtful


def test_digits_are_not_settled_by_the_ink() -> None:
    # A wrong house number is a wrong address: where the readings differ in a digit, review.
    ink = [segment("中央9丁目21番1号")]
    assert choose_by_ink(ink, [("中央9丁目27番1号", 0), ("中央9丁目27番1号", 0), ("中央9丁目21番1号", 1)],
                         anything) is None
    # A digit only one reading has (Debian's model reads a speck as 2) is no digit to settle.
    choice = choose_by_ink([segment("ハナコ")], [("ハナコ", 0), ("2ハナコ", 1)], anything)
    assert choice is not None and choice.text == "ハナコ"

"""Width as printed, in the pipeline (issue 20; bots.ocr.widths): a full-width digit read half-width is
restored from the ink or sent to review, never keyed as read; a half-width digit stays half-width;
a field with a width rule converts and says nothing. Real generated kokuho scans (the layout's
tuning seed), real registration, real tesseract and PP-OCR; the decision on real crops."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace

import cv2
import numpy as np
import pytest
from kazaguruma_demo.form_layouts import KOKUHO_TUNING_SEED, get_layout
from kazaguruma_demo.forms import GeneratedForm
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from bots.i18n import set_language
from bots.ocr.fields import INSET_MM, FieldOcr, Reading, ink_gray, read_fields, zone_px
from bots.ocr.glyphs import font_file
from bots.ocr.images import load_pages
from bots.ocr.pipeline import decide
from bots.ocr.ppocr import PpText
from bots.ocr.register import WORK_DPI, mm_to_px, register
from bots.ocr.results import FieldReading
from bots.ocr.widths import as_printed, ink_widths
from bots.selectors.form_template import FieldSpec, FormTemplate

pytestmark = pytest.mark.tesseract

#: Form 5 of the tuning seed: 「埼玉県さいたま市大宮区大門町3丁目8番8号 第２みどり荘402号室」, a full-width
#: ２ in the building among half-width numbers (a flatbed JPEG scan).
FORM = 5
PAPER, INK = 245.0, 20.0


@pytest.fixture(autouse=True)
def japanese() -> Iterator[None]:
    set_language("ja")
    yield
    set_language("ja")


@pytest.fixture(scope="module")
def template() -> FormTemplate:
    return get_layout("kokuho").template()


@pytest.fixture(scope="module")
def form(tmp_path_factory: pytest.TempPathFactory) -> GeneratedForm:
    forms = get_layout("kokuho").generate(tmp_path_factory.mktemp("kokuho_width"), FORM + 1, seed=KOKUHO_TUNING_SEED)
    return forms[FORM]


@pytest.fixture(scope="module")
def seen(form: GeneratedForm, template: FormTemplate) -> FieldOcr:
    canvas = register(load_pages(form.path, dpi=WORK_DPI)[0], template)
    return read_fields(canvas, template)["住所"]


def decided(seen: FieldOcr, template: FormTemplate, spec: FieldSpec | None = None) -> FieldReading:
    return decide("住所", spec or template.fields["住所"], seen, template.threshold("住所"), template.agree_confidence)


def bare(text: str) -> str:
    """Without spaces: a narrow space is not read, and does not count (bots.ocr.results.same_value)."""
    return text.replace(" ", "").replace("\u3000", "")


def half(text: str) -> str:
    return text.translate({code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)})


def test_the_scan_holds_both_widths(form: GeneratedForm) -> None:
    truth = str(form.truth["住所"])
    assert "第２みどり荘" in truth and "402" in truth and "3丁目" in truth


def test_a_full_width_digit_is_never_keyed_half_width(seen: FieldOcr, form: GeneratedForm,
                                                     template: FormTemplate) -> None:
    """Whatever the engines read (tesseract reads ２ as 2), the value keyed has the print's widths."""
    reading = decided(seen, template)
    assert reading.doubtful or bare(reading.value) == bare(str(form.truth["住所"]))
    assert "第2" not in str(reading.value) or reading.doubtful


def test_read_half_width_where_the_ink_shows_full_width_goes_to_review(seen: FieldOcr, form: GeneratedForm,
                                                                      template: FormTemplate) -> None:
    """Both engines read 第2みどり荘 (as tesseract always does): the ink shows 第２, so a person decides."""
    truth = bare(str(form.truth["住所"]))  # the narrow space before the building is not read (bots.ocr.fields)
    wrong = half(truth)
    assert wrong != truth
    spec = template.fields["住所"]
    canvas = register(load_pages(form.path, dpi=WORK_DPI)[0], template)
    crop, paper, ink = _zone(canvas, template)
    widths = ink_widths(spec, crop, [wrong], paper=paper, ink=ink)
    assert widths[wrong] in (truth, None)
    as_read = replace(seen, readings=tuple(Reading(wrong, 90.0, model=m) for m in (0, 1, 0, 1)), ink_choice=None,
                      witness=None, widths=widths)
    reading = decided(as_read, template)
    assert reading.doubtful
    assert reading.problems[0] in ("数字・英字の全角・半角が、読み取りと印字で違う可能性があります",
                                   "数字・英字が全角か半角か、印字から確かめられません")


def test_a_half_width_digit_printed_half_width_stays(seen: FieldOcr, form: GeneratedForm) -> None:
    """「3丁目8番8号」 and 402 are printed half-width: whatever width they were read in, the ink
    gives every value read right but for width the print's widths (or cannot tell)."""
    truth = bare(str(form.truth["住所"]))
    printed = {bare(value): bare(fixed) for value, fixed in seen.widths.items()
               if fixed is not None and half(bare(value)) == half(truth)}
    assert printed, f"the ink tells the width of the address read: {seen.widths}"
    assert all(fixed == truth for fixed in printed.values()), printed


def test_engines_differing_in_width_only_leave_it_to_the_ink(seen: FieldOcr, form: GeneratedForm,
                                                            template: FormTemplate) -> None:
    """PP-OCR reading 第２ or 第2 beside tesseract's 第2 is no disagreement: the ink judges the width,
    and a value whose width the ink does not confirm is never accepted."""
    truth = bare(str(form.truth["住所"]))
    for witness in (truth, half(truth)):
        reading = decided(replace(seen, witness=PpText(witness, 98.0)), template)
        assert reading.doubtful or (reading.value, reading.problems) == (truth, ()), witness


def test_a_value_whose_width_was_not_measured_is_doubtful(seen: FieldOcr, template: FormTemplate) -> None:
    spec = template.fields["住所"]
    kept = FieldReading("住所", "第2みどり荘402号室", "第2みどり荘402号室", 90.0)
    assert as_printed(spec, {}, kept).doubtful
    assert as_printed(spec, {}, replace(kept, value="みどり荘")) == replace(kept, value="みどり荘")


def test_a_run_of_digits_alone_cannot_show_its_width_and_goes_to_review(template: FormTemplate) -> None:
    """「ファミール第３　１０５」: the room number is a run of its own, no neighbour shows its width."""
    text = "ファミール第３\u3000１０５"
    spec = template.fields["住所"]
    crop = scanned("ファミール第３　１０５")
    widths = ink_widths(spec, crop, [half(text)], paper=PAPER, ink=INK)
    assert widths == {half(text): None}
    seen = FieldOcr("住所", tuple(Reading(half(text), 90.0, model=m) for m in (0, 1)), widths=widths)
    reading = decided(seen, template)
    assert reading.problems == ("数字・英字が全角か半角か、印字から確かめられません",)
    set_language("en")
    assert decided(seen, template).problems == (
        "cannot tell from the print whether the digits or letters are full-width or half-width",)


@pytest.mark.parametrize(("rule", "value"), [("zenkaku", "第２みどり荘４０２号室"), ("hankaku", "第2みどり荘402号室")])
def test_a_width_rule_converts_and_says_nothing(template: FormTemplate, rule: str, value: str) -> None:
    spec = template.fields["住所"].model_copy(update={"width": rule})
    seen = FieldOcr("住所", tuple(Reading("第2みどり荘４02号室", 90.0, model=m) for m in (0, 1)))
    reading = decided(seen, template, spec)
    assert (reading.value, reading.problems, reading.note) == (value, (), "")


def _zone(canvas: NDArray[np.uint8], template: FormTemplate) -> tuple[NDArray[np.uint8], float, float]:
    """The 住所 zone's grey crop as bots.ocr.fields cuts it, and the page's paper and print levels."""
    gray = ink_gray(canvas)
    x0, y0, x1, y1 = zone_px(template, "住所")
    inset = mm_to_px(INSET_MM)
    sample = gray[::4, ::4]
    return (gray[y0 + inset : y1 - inset, x0 + inset : x1 - inset], float(np.percentile(sample, 60)),
            float(np.percentile(sample, 0.5)))


def scanned(text: str, dpi: int = 200) -> NDArray[np.uint8]:
    """A field's grey crop at 300 dpi: ``text`` printed 5 mm high in Noto Serif CJK, blurred, noisy, JPEG 35."""
    path = font_file("serif")
    assert path is not None, "Noto CJK fonts (fonts-noto-cjk) are needed"
    k = dpi / 25.4
    face = ImageFont.truetype(path, round(5 * k), index=0)
    image = Image.new("L", (int(face.getlength(text) + 6 * k), int(11 * k)), 255)
    ImageDraw.Draw(image).text((3 * k, 5.5 * k), text, font=face, fill=0, anchor="lm")
    pixels = np.clip(cv2.GaussianBlur(np.asarray(image), (0, 0), dpi / 300)
                     + np.random.default_rng(1).normal(0, 6, image.size[::-1]), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=35)
    gray = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L"))
    return np.asarray(cv2.resize(gray, None, fx=300 / dpi, fy=300 / dpi, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)


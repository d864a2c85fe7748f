"""Registration without marks (bots/ocr/align.py) on real generated scans, real OpenCV.

The scans are the demo 申請書 (``kazaguruma_demo.forms.generate_forms``) with their four corner marks
painted out, so only the form's own print is left to align to; the reference is the same form drawn
blank. Each scan's true geometry is known (the generator's rotation and shift, then what a test does
to it: another rotation, a resolution, a phone's perspective), so the registration error is measured
in mm at the corners of every zone, not merely "no exception".
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from kazaguruma_demo import forms as demo_forms
from kazaguruma_demo.forms import GeneratedForm, generate_forms
from PIL import Image, ImageDraw, ImageFont

from bots import i18n
from bots.errors import NotAFormError
from bots.ocr.align import MAX_RESIDUAL_MM, Alignment, align
from bots.ocr.images import load_pages
from bots.ocr.register import mm_to_px, register
from bots.selectors.form_template import CornerMarks, FormTemplate, ReferenceImage, load_form_template

REPO_ROOT = Path(__file__).resolve().parents[2]
SHINSEI = REPO_ROOT / "selectors" / "forms" / "shinsei.yaml"
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
Matrix = np.ndarray


# --- the scans ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def marked() -> FormTemplate:
    template, found = load_form_template(SHINSEI)
    assert template is not None, [d.render() for d in found]
    return template


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, marked: FormTemplate) -> FormTemplate:
    """shinsei.yaml with ``anchors: {kind: reference, image: blank.png}``, the blank form drawn beside it."""
    folder = tmp_path_factory.mktemp("帳票")
    blank = draw_blank(marked, dpi=200)
    unmark(blank, marked, np.array([[200 / 25.4, 0, 0], [0, 200 / 25.4, 0], [0, 0, 1]]))
    blank.save(folder / "blank.png")
    text = SHINSEI.read_text(encoding="utf-8")
    start, end = text.index("anchors:"), text.index("min_confidence:")
    (folder / "mukou.yaml").write_text(text[:start] + "anchors: {kind: reference, image: blank.png}\n" + text[end:],
                                       encoding="utf-8")
    template, found = load_form_template(folder / "mukou.yaml")
    assert template is not None, [d.render() for d in found]
    return template


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory, marked: FormTemplate) -> list[tuple[Image.Image, Matrix]]:
    """Four scans without marks (JPEG, PNG, PDF; 150–400 dpi, ±3°), each with its true mm → pixel matrix."""
    made = generate_forms(tmp_path_factory.mktemp("scans"), 5, seed=77, template=marked)
    return [unmarked_scan(form, marked) for form in (made[0], made[1], made[2], made[4])]


def draw_blank(template: FormTemplate, dpi: int) -> Image.Image:
    """The demo form with nothing filled in, as the generator draws it."""
    sheet = demo_forms._Sheet(template, dpi)
    demo_forms._draw_form(sheet, template, {name: demo_forms._rect(template.zone_mm(name)) for name in template.fields})
    return sheet.image.convert("RGB")


def unmark(page: Image.Image, template: FormTemplate, truth: Matrix) -> None:
    """Paint the four corner marks out (paper colour, 1.5 mm around each), where ``truth`` puts them."""
    anchors = template.anchors
    assert isinstance(anchors, CornerMarks)
    paper = tuple(int(v) for v in np.percentile(np.asarray(page.convert("RGB")).reshape(-1, 3), 90, axis=0))
    w, h = template.page.width_mm, template.page.height_mm
    for x, y in ((anchors.inset_mm, anchors.inset_mm), (w - anchors.inset_mm - anchors.size_mm, anchors.inset_mm),
                 (anchors.inset_mm, h - anchors.inset_mm - anchors.size_mm),
                 (w - anchors.inset_mm - anchors.size_mm, h - anchors.inset_mm - anchors.size_mm)):
        a, b = x - 1.5, y - 1.5
        c, d = x + anchors.size_mm + 1.5, y + anchors.size_mm + 1.5
        corners = project(truth, np.array([[a, b], [c, b], [c, d], [a, d]], dtype=np.float64))
        ImageDraw.Draw(page).polygon([tuple(p) for p in corners], fill=paper)


def unmarked_scan(form: GeneratedForm, template: FormTemplate) -> tuple[Image.Image, Matrix]:
    page = load_pages(form.path)[0].convert("RGB")
    k = page.width / template.page.width_mm
    rotation = cv2.getRotationMatrix2D((page.width / 2, page.height / 2), form.scan["angle"], 1.0)
    rotation[:, 2] += np.array(form.scan["shift_mm"]) * k
    truth = np.vstack([rotation, [0, 0, 1]]) @ np.diag([k, k, 1.0])
    unmark(page, template, truth)
    return page, truth


def project(matrix: Matrix, points: np.ndarray) -> np.ndarray:
    return cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float64), matrix).reshape(-1, 2)


def transformed(page: Image.Image, truth: Matrix, change: Matrix, size: tuple[int, int],
                background: int = 255) -> tuple[Image.Image, Matrix]:
    """The page moved by ``change`` (pixels → pixels) onto an image of ``size``; the truth follows."""
    moved = cv2.warpPerspective(np.asarray(page), change, size, flags=cv2.INTER_AREA,
                                borderValue=(background, background, background))
    return Image.fromarray(moved), change @ truth


def rotated(page: Image.Image, truth: Matrix, degrees: float) -> tuple[Image.Image, Matrix]:
    turn = np.vstack([cv2.getRotationMatrix2D((page.width / 2, page.height / 2), degrees, 1.0), [0, 0, 1]])
    return transformed(page, truth, turn, page.size, background=250)


def at_dpi(page: Image.Image, truth: Matrix, dpi: int) -> tuple[Image.Image, Matrix]:
    k = dpi / 25.4 / (page.width / 210)
    return transformed(page, truth, np.diag([k, k, 1.0]), (round(page.width * k), round(page.height * k)))


def phone_photo(page: Image.Image, truth: Matrix) -> tuple[Image.Image, Matrix]:
    """The page on a grey desk, photographed from the lower left: perspective, a shadow across it."""
    w, h = page.size
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    seen = np.float32([[0.16 * w, 0.10 * h], [0.93 * w, 0.05 * h], [1.02 * w, 0.97 * h], [0.10 * w, 0.90 * h]])
    photo, moved = transformed(page, truth, cv2.getPerspectiveTransform(corners, seen), (round(1.12 * w), h), 90)
    light = np.linspace(0.55, 1.0, photo.width, dtype=np.float32)[None, :, None]  # darker towards the left
    return Image.fromarray((np.asarray(photo, dtype=np.float32) * light).astype(np.uint8)), moved


# --- measuring ------------------------------------------------------------------------------

def zone_corners(template: FormTemplate) -> np.ndarray:
    corners = []
    for name in template.fields:
        z = template.zone_mm(name)
        corners += [(z.x, z.y), (z.x + z.w, z.y), (z.x, z.y + z.h), (z.x + z.w, z.y + z.h)]
    return np.array(corners, dtype=np.float64)


def error_mm(alignment: Alignment, truth: Matrix, template: FormTemplate) -> float:
    """The largest distance (mm) between a zone corner and where the registration puts it."""
    corners = zone_corners(template)
    return float(np.hypot(*(project(alignment.matrix, project(truth, corners)) - corners).T).max())


def aligned(page: Image.Image, template: FormTemplate) -> Alignment:
    anchors = template.anchors
    assert isinstance(anchors, ReferenceImage)
    return align(np.ascontiguousarray(np.asarray(page.convert("RGB"))[:, :, 0]), template, anchors)  # as register()


def refused(page: Image.Image, template: FormTemplate) -> str:
    with pytest.raises(NotAFormError) as caught:
        register(page, template)
    return str(caught.value)


#: Zones keep 1.5 mm inside their box rules; the corner marks place them within ≈0.15 mm.
MAX_ERROR_MM = 0.4


# --- registered, and where ------------------------------------------------------------------

def test_scans_without_marks_register_within_a_few_tenths_of_a_millimetre(
        scans: list[tuple[Image.Image, Matrix]], reference: FormTemplate) -> None:
    for page, truth in scans:
        alignment = aligned(page, reference)

        assert error_mm(alignment, truth, reference) < MAX_ERROR_MM
        assert alignment.residual_mm <= MAX_RESIDUAL_MM and alignment.print_match >= 0.8


def test_the_canvas_is_the_template_page_and_its_rules_sit_where_the_blank_has_them(
        scans: list[tuple[Image.Image, Matrix]], reference: FormTemplate) -> None:
    canvas = register(scans[0][0], reference)
    anchors = reference.anchors
    assert isinstance(anchors, ReferenceImage)
    blank = np.asarray(Image.open(anchors.image).convert("L").resize((canvas.shape[1], canvas.shape[0])))

    assert canvas.shape == (mm_to_px(297), mm_to_px(210), 3) and canvas.dtype == np.uint8
    rules = blank < 100  # the blank's print, thickened by 0.25 mm: the scan's print must lie on it
    near = cv2.dilate(rules.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    ink = np.asarray(cv2.cvtColor(canvas, cv2.COLOR_RGB2GRAY)) < 100
    assert (ink & rules).sum() / rules.sum() > 0.8  # the blank's print is found in the scan …
    assert (near & ink).sum() / ink.sum() > 0.6  # … and most of the scan's ink is print (the rest: values)


@pytest.mark.parametrize("degrees", [4.0, -2.5])
def test_a_skewed_scan_registers(scans: list[tuple[Image.Image, Matrix]], reference: FormTemplate,
                                 degrees: float) -> None:
    page, truth = rotated(*scans[1], degrees)

    assert error_mm(aligned(page, reference), truth, reference) < MAX_ERROR_MM


@pytest.mark.parametrize("dpi", [150, 600])
def test_low_and_high_resolutions_register(scans: list[tuple[Image.Image, Matrix]], reference: FormTemplate,
                                           dpi: int) -> None:
    page, truth = at_dpi(*scans[2], dpi)

    assert error_mm(aligned(page, reference), truth, reference) < MAX_ERROR_MM


def test_a_phone_photo_in_perspective_and_uneven_light_registers(scans: list[tuple[Image.Image, Matrix]],
                                                                 reference: FormTemplate) -> None:
    page, truth = phone_photo(*scans[0])

    assert error_mm(aligned(page, reference), truth, reference) < MAX_ERROR_MM


def test_the_kokuho_demo_form_registers_flatbed_and_phone(tmp_path: Path) -> None:
    kokuho = pytest.importorskip("kazaguruma_demo.forms_kokuho")
    template, found = load_form_template(REPO_ROOT / "selectors" / "forms" / "kokuho.yaml")
    assert template is not None, [d.render() for d in found]
    flatbed_scan, phone = kokuho.generate_kokuho_forms(tmp_path, 2, seed=31)  # the 2nd of each ten is a photo

    assert (flatbed_scan.scan["kind"], phone.scan["kind"]) == ("flatbed", "phone")
    for form in (flatbed_scan, phone):
        page = load_pages(form.path)[0]
        if form.scan["kind"] == "flatbed":
            k = page.width / 210
            turn = cv2.getRotationMatrix2D((page.width / 2, page.height / 2), form.scan["angle"], 1.0)
            turn[:, 2] += np.array(form.scan["shift_mm"]) * k
            truth = np.vstack([turn, [0, 0, 1]]) @ np.diag([k, k, 1.0])
        else:
            page_mm = np.float32([[0, 0], [210, 0], [210, 297], [0, 297]])
            truth = cv2.getPerspectiveTransform(page_mm, np.float32(form.scan["corners_px"])).astype(np.float64)
        assert error_mm(aligned(page, template), truth, template) < MAX_ERROR_MM, form.scan


# --- refused, with the reason ---------------------------------------------------------------

def test_another_form_is_refused(tmp_path: Path, reference: FormTemplate) -> None:
    kokuho = pytest.importorskip("kazaguruma_demo.forms_kokuho")
    (other,) = kokuho.generate_kokuho_forms(tmp_path, 1, seed=31)

    assert "別の帳票" in refused(load_pages(other.path)[0], reference)


def test_a_notice_full_of_text_is_refused(reference: FormTemplate) -> None:
    page = Image.new("RGB", (1654, 2339), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 40, index=0)
    for i in range(35):
        draw.text((120, 120 + i * 60), "市民課からのお知らせ　■ 窓口の受付時間が変わります ■", font=font, fill="black")

    assert "別の帳票" in refused(page, reference)


def test_a_blank_page_is_refused(reference: FormTemplate) -> None:
    noise = np.random.default_rng(3).normal(245, 4, (2339, 1654)).clip(0, 255).astype(np.uint8)

    assert "白紙のページ" in refused(Image.fromarray(noise).convert("RGB"), reference)


def test_an_upside_down_page_is_refused_with_that_reason(scans: list[tuple[Image.Image, Matrix]],
                                                         reference: FormTemplate) -> None:
    page, _ = rotated(*scans[0], 180)

    assert refused(page, reference).startswith("ページの上下が逆です")
    i18n.set_language("en")
    assert refused(page, reference).startswith("the page is upside down")


def test_a_sideways_page_is_refused_with_that_reason(scans: list[tuple[Image.Image, Matrix]],
                                                     reference: FormTemplate) -> None:
    page = scans[1][0].rotate(90, expand=True)

    assert refused(page, reference).startswith("ページが横向きです")


def test_a_page_with_part_of_the_form_missing_is_refused(scans: list[tuple[Image.Image, Matrix]],
                                                          reference: FormTemplate) -> None:
    page = scans[1][0].copy()
    ImageDraw.Draw(page).rectangle((0, page.height * 0.45, page.width, page.height), fill="white")

    assert "白紙の帳票（基準画像）と照合できません" in refused(page, reference)


def test_a_page_with_a_part_moved_against_the_rest_is_refused(scans: list[tuple[Image.Image, Matrix]],
                                                              reference: FormTemplate) -> None:
    """A fold or a crease: the right third of the page 3 mm lower than the rest. One homography fits the
    rest well; the moved part's zones would be read 3 mm off, so the page is refused."""
    page = np.asarray(scans[1][0]).copy()
    shift, third = round(3 * page.shape[1] / 210), page.shape[1] * 2 // 3
    page[shift:, third:] = page[:-shift, third:].copy()

    assert refused(Image.fromarray(page), reference).startswith("ページの一部で印刷が白紙の帳票（基準画像）とずれています")


# --- corner marks stay a method ---------------------------------------------------------------

def test_corner_mark_templates_still_register_and_refuse_upside_down(tmp_path: Path, marked: FormTemplate) -> None:
    (form,) = generate_forms(tmp_path, 1, seed=78, template=marked)
    page = load_pages(form.path)[0]

    assert register(page, marked).shape == (mm_to_px(297), mm_to_px(210), 3)
    assert refused(page.rotate(180), marked).startswith("ページの上下が逆です")
    sideways = refused(page.rotate(90, expand=True), marked)
    assert "マークの配置が帳票定義と合いません" in sideways and "横向き" in sideways

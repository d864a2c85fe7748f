"""Page loading and registration on real files: generated scans, real OpenCV, Pillow and PDFium.

Registration is what makes "a zone in mm is a fixed pixel rectangle" true; if it drifts, every
field crop picks up box rules or loses characters. So the printed marks and box rules of many
scans (150–400 dpi, ±3°, shifted) must land within 1 mm of where the template puts them.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from kazaguruma_demo.forms import BOX_MARGIN_MM, GeneratedForm, generate_forms
from PIL import Image, ImageDraw, ImageFont

from bots import i18n
from bots.errors import FormFileError, KazagurumaError, NotAFormError
from bots.ocr.images import load_pages
from bots.ocr.register import WORK_DPI, mark_centres_mm, mm_to_px, register, to_gray
from bots.selectors.form_template import FormTemplate, load_form_template

REPO_ROOT = Path(__file__).resolve().parents[2]
NO_MARKS = "帳票の位置合わせ用マークが見つかりません（別の書類か、向き・読み取り範囲が違う可能性があります）"
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


@pytest.fixture(scope="module")
def template() -> FormTemplate:
    loaded, found = load_form_template(REPO_ROOT / "selectors" / "forms" / "shinsei.yaml")
    assert loaded is not None, list(found)
    return loaded


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory, template: FormTemplate) -> list[GeneratedForm]:
    return generate_forms(tmp_path_factory.mktemp("scans"), 12, seed=2024, template=template)


@pytest.fixture(scope="module")
def canvases(forms: list[GeneratedForm], template: FormTemplate) -> list[np.ndarray]:
    return [register(load_pages(form.path)[0], template) for form in forms]


def px_to_mm(px: float) -> float:
    return px * 25.4 / WORK_DPI


def blank_page(dpi: int = 200) -> Image.Image:
    k = dpi / 25.4
    return Image.new("RGB", (round(210 * k), round(297 * k)), "white")


def first_scan(forms: list[GeneratedForm], suffix: str) -> GeneratedForm:
    return next(form for form in forms if form.path.suffix == suffix)


# --- registration ---------------------------------------------------------------------------

def test_the_scans_cover_the_range_registration_must_handle(forms: list[GeneratedForm]) -> None:
    dpis = [form.scan["dpi"] for form in forms]
    angles = [form.scan["angle"] for form in forms]

    assert min(dpis) < 220 and max(dpis) > 330
    assert min(angles) < -1.5 and max(angles) > 1.5
    assert max(max(abs(s) for s in form.scan["shift_mm"]) for form in forms) > 2.5
    assert {form.path.suffix for form in forms} == {".jpg", ".png", ".pdf"}


def test_the_canvas_is_the_template_page_at_work_dpi_in_colour(canvases: list[np.ndarray]) -> None:
    for canvas in canvases:
        assert canvas.shape == (mm_to_px(297), mm_to_px(210), 3)
        assert canvas.dtype == np.uint8


def test_mark_centres_land_within_a_millimetre(canvases: list[np.ndarray], template: FormTemplate) -> None:
    worst = 0.0
    for canvas in canvases:
        gray = to_gray(canvas, drop_red=True)
        for cx, cy in mark_centres_mm(template):
            x0, y0 = mm_to_px(cx - 8), mm_to_px(cy - 8)
            ys, xs = np.nonzero(gray[y0 : y0 + mm_to_px(16), x0 : x0 + mm_to_px(16)] < 128)
            assert len(xs) > 0.8 * mm_to_px(8) ** 2, "the mark is not where the template says"
            # Pixel i covers [i, i + 1): its centre is at i + 0.5.
            error = float(np.hypot(px_to_mm(xs.mean() + x0 + 0.5) - cx, px_to_mm(ys.mean() + y0 + 0.5) - cy))
            worst = max(worst, error)
    assert worst <= 1.0
    assert worst <= 0.3, f"registration is sloppier than it used to be ({worst:.2f} mm)"


def rule_position(profile: np.ndarray, start: int) -> float:
    """Where a dark rule crosses a mean-darkness profile, in mm."""
    return px_to_mm(start + int(np.argmin(profile)) + 0.5)


def test_box_rules_land_within_a_millimetre(canvases: list[np.ndarray], template: FormTemplate) -> None:
    offsets: list[float] = []
    for canvas in canvases:
        gray = to_gray(canvas, drop_red=True).astype(np.float32)
        for name in template.fields:
            zone = template.zone_mm(name)
            left, top = zone.x - BOX_MARGIN_MM, zone.y - BOX_MARGIN_MM
            right, bottom = zone.x + zone.w + BOX_MARGIN_MM, zone.y + zone.h + BOX_MARGIN_MM
            rows = slice(mm_to_px(top + (bottom - top) * 0.3), mm_to_px(bottom - (bottom - top) * 0.3))
            for x in (left, right):  # vertical rules, searched ±1.2 mm around where they belong
                start = mm_to_px(x - 1.2)
                offsets.append(rule_position(gray[rows, start : mm_to_px(x + 1.2)].mean(axis=0), start) - x)
            cols = slice(mm_to_px(left + (right - left) * 0.6), mm_to_px(right - (right - left) * 0.05))
            for y in (top, bottom):  # horizontal rules, away from the value's left-aligned text
                start = mm_to_px(y - 1.2)
                offsets.append(rule_position(gray[start : mm_to_px(y + 1.2), cols].mean(axis=1), start) - y)
    assert len(offsets) == len(canvases) * len(template.fields) * 4
    assert max(abs(o) for o in offsets) <= 1.0, sorted(offsets)[:3] + sorted(offsets)[-3:]


def test_the_red_seal_stays_red_so_fields_can_drop_it(forms: list[GeneratedForm], canvases: list[np.ndarray]) -> None:
    checked = 0
    for form, canvas in zip(forms, canvases, strict=True):
        if form.path.suffix == ".png" or not form.scan["seal"]:
            continue  # PNGs are grayscale scans
        cx, cy = form.scan["seal"]["centre_mm"]
        r = form.scan["seal"]["radius_mm"]
        patch = canvas[mm_to_px(cy - r) : mm_to_px(cy + r), mm_to_px(cx - r) : mm_to_px(cx + r)].astype(int)
        red = (patch[..., 0] > 150) & (patch[..., 1] < 110) & (patch[..., 2] < 120)
        assert red.sum() > 50, form.path.name
        assert (to_gray(canvas, drop_red=True)[mm_to_px(cy - r) : mm_to_px(cy + r),
                                                mm_to_px(cx - r) : mm_to_px(cx + r)][red] > 140).all()
        checked += 1
    assert checked >= 5


def test_a_grayscale_page_registers_to_a_colour_canvas(forms: list[GeneratedForm], template: FormTemplate) -> None:
    page = load_pages(first_scan(forms, ".png").path)[0]

    assert page.mode == "L"
    assert register(page, template).shape == (mm_to_px(297), mm_to_px(210), 3)


def test_a_black_square_elsewhere_on_the_page_is_not_taken_for_a_mark(forms: list[GeneratedForm],
                                                                       template: FormTemplate,
                                                                       canvases: list[np.ndarray]) -> None:
    page = load_pages(forms[0].path)[0].convert("RGB")
    k = page.width / 210
    ImageDraw.Draw(page).rectangle((45 * k, 150 * k, 53 * k, 158 * k), fill="black")  # same size, mid-page

    canvas = register(page, template)

    assert np.abs(canvas.astype(int) - canvases[0].astype(int)).mean() < 1.0


def test_mm_to_px_is_work_dpi() -> None:
    assert (WORK_DPI, mm_to_px(25.4), mm_to_px(210), mm_to_px(297)) == (300, 300, 2480, 3508)


def test_to_gray_can_drop_red_ink() -> None:
    canvas = np.zeros((2, 2, 3), dtype=np.uint8)
    canvas[0, 0] = (210, 30, 40)  # seal red
    canvas[1, 1] = (20, 20, 20)  # black print

    assert to_gray(canvas)[0, 0] < 100 and to_gray(canvas, drop_red=True)[0, 0] > 200
    assert to_gray(canvas, drop_red=True)[1, 1] < 40


# --- not this form --------------------------------------------------------------------------

def text_page() -> Image.Image:
    page = blank_page()
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 40, index=0)
    for i in range(35):
        draw.text((120, 120 + i * 60), "市民課からのお知らせ　■ 窓口の受付時間が変わります ■", font=font, fill="black")
    draw.rectangle((150, 700, 1500, 950), outline="black", width=5)
    return page


def noise_page() -> Image.Image:
    size = blank_page().size
    return Image.fromarray(np.random.default_rng(5).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


@pytest.mark.parametrize("make", [blank_page, noise_page, text_page], ids=["blank", "noise", "text"])
def test_a_page_without_marks_is_not_a_form(make: Callable[[], Image.Image], template: FormTemplate) -> None:
    with pytest.raises(NotAFormError) as caught:
        register(make(), template)

    assert str(caught.value).startswith(NO_MARKS)
    assert isinstance(caught.value, FormFileError)  # per file: the batch goes on


def test_a_scan_missing_one_corner_is_not_a_form(forms: list[GeneratedForm], template: FormTemplate) -> None:
    page = load_pages(forms[1].path)[0].convert("RGB")
    k = page.width / 210
    ImageDraw.Draw(page).rectangle((175 * k, 270 * k, 210 * k, 297 * k), fill="white")  # cropped corner

    with pytest.raises(NotAFormError, match="四隅のうち 3 か所"):
        register(page, template)


def test_a_page_turned_a_quarter_is_not_a_form(forms: list[GeneratedForm], template: FormTemplate) -> None:
    page = load_pages(forms[1].path)[0].rotate(90, expand=True)

    with pytest.raises(NotAFormError, match="マークの配置が帳票定義と合いません"):
        register(page, template)


def test_marks_of_another_layout_are_refused(template: FormTemplate) -> None:
    page = blank_page()
    k = page.width / 210
    draw = ImageDraw.Draw(page)
    for x, y in ((10, 10), (192, 10), (10, 200), (192, 200)):  # a square of marks, not A4's rectangle
        draw.rectangle((x * k, y * k, (x + 8) * k, (y + 8) * k), fill="black")

    with pytest.raises(NotAFormError, match="マークの配置が帳票定義と合いません"):
        register(page, template)


def test_not_a_form_speaks_english_with_kz_lang_en(template: FormTemplate) -> None:
    i18n.set_language("en")

    with pytest.raises(NotAFormError, match="registration marks were not found"):
        register(blank_page(), template)


# --- loading files --------------------------------------------------------------------------

def test_every_generated_file_loads_as_one_page(forms: list[GeneratedForm]) -> None:
    for form in forms:
        pages = load_pages(form.path)
        assert len(pages) == 1 and pages[0].mode in ("RGB", "L")


def test_a_pdf_is_rendered_at_the_requested_dpi(forms: list[GeneratedForm]) -> None:
    pdf = first_scan(forms, ".pdf").path

    (page,) = load_pages(pdf, dpi=200)
    (full,) = load_pages(pdf)

    assert abs(page.width - 210 / 25.4 * 200) <= 2 and abs(page.height - 297 / 25.4 * 200) <= 2
    assert abs(full.width - 2480) <= 2 and page.mode == "RGB"


def test_a_multi_page_pdf_gives_every_page(forms: list[GeneratedForm], tmp_path: Path,
                                           template: FormTemplate) -> None:
    images = [load_pages(form.path)[0].convert("RGB") for form in forms[:3]]
    path = tmp_path / "まとめて.pdf"
    images[0].save(path, "PDF", resolution=150, save_all=True, append_images=images[1:])

    pages = load_pages(path)

    assert len(pages) == 3
    assert all(register(page, template).shape[2] == 3 for page in pages)


def test_a_multi_page_tiff_gives_every_page(forms: list[GeneratedForm], tmp_path: Path,
                                            template: FormTemplate) -> None:
    images = [load_pages(form.path)[0].convert("L") for form in forms[:2]]
    fax = images[1].point(lambda v: 255 if v > 128 else 0).convert("1")  # a 1-bit fax page
    path = tmp_path / "scan.tiff"
    images[0].save(path, "TIFF", save_all=True, append_images=[fax], compression="tiff_lzw")

    pages = load_pages(path)

    assert [page.mode for page in pages] == ["L", "L"]
    assert [page.size for page in pages] == [image.size for image in images]
    for page in pages:
        register(page, template)


def test_a_non_ascii_path_works(forms: list[GeneratedForm], tmp_path: Path, template: FormTemplate) -> None:
    folder = tmp_path / "日本語フォルダ"
    folder.mkdir()
    for suffix, name in ((".png", "申請書.png"), (".pdf", "申請書（写し）.pdf")):
        target = folder / name
        shutil.copy(first_scan(forms, suffix).path, target)
        (page,) = load_pages(target)
        register(page, template)


def test_a_transparent_png_is_flattened_on_white(tmp_path: Path) -> None:
    path = tmp_path / "alpha.png"
    Image.new("RGBA", (800, 1000), (0, 0, 0, 0)).save(path)

    (page,) = load_pages(path)

    assert page.mode == "RGB" and page.getpixel((10, 10)) == (255, 255, 255)


def truncated_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((1200, 1600), 40).convert("RGB").save(buffer, "JPEG", quality=80)
    return buffer.getvalue()[: buffer.tell() // 2]


def empty_pdf() -> bytes:
    buffer = io.BytesIO()
    pdfium.PdfDocument.new().save(buffer)
    return buffer.getvalue()


def png_header_only() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (800, 1000), 255).save(buffer, "PNG")
    return buffer.getvalue()[:60]


BAD_FILES = {
    "empty.png": (lambda: b"", "ファイルが空です（0 バイト）"),
    "truncated.jpg": (truncated_jpeg, "画像ファイルが壊れているか、途中で切れています"),
    "header_only.png": (png_header_only, "画像ファイルが壊れているか、途中で切れています"),
    "garbage.png": (lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "画像ファイルが壊れているか、途中で切れています"),
    "notes.txt": (lambda: "申請書ではありません\n".encode(), "画像（PNG・JPEG・TIFF）でも PDF でもありません"),
    "list.xlsx": (lambda: b"PK\x03\x04" + b"\x00" * 200, "画像（PNG・JPEG・TIFF）でも PDF でもありません"),
    "broken.pdf": (lambda: b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\n", "PDF が壊れています"),
    "no_pages.pdf": (empty_pdf, "PDF にページがありません"),
    "thumbnail.jpg": (lambda: _small_jpeg(), "画像が小さすぎます（320×480 ピクセル）"),
}


def _small_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 480), "white").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_an_unreadable_file_is_a_per_file_error_with_a_clear_message(name: str, tmp_path: Path) -> None:
    make, message = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(make())

    with pytest.raises(FormFileError) as caught:
        load_pages(path)

    assert str(caught.value).startswith(message)
    assert caught.value.path == path
    assert not isinstance(caught.value, NotAFormError)
    assert isinstance(caught.value, KazagurumaError)


def test_a_missing_file_or_a_folder_is_a_per_file_error(tmp_path: Path) -> None:
    with pytest.raises(FormFileError, match="^ファイルが見つかりません$"):
        load_pages(tmp_path / "ない.png")
    with pytest.raises(FormFileError, match="^ファイルではなくフォルダです$"):
        load_pages(tmp_path)


def test_file_errors_speak_english_with_kz_lang_en(tmp_path: Path) -> None:
    i18n.set_language("en")
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")

    with pytest.raises(FormFileError, match=r"^the file is empty \(0 bytes\)$"):
        load_pages(path)

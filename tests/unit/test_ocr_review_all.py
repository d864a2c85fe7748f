"""Issue 20, Deliver 4: everything doubtful reaches review. A scan that is unreadable, blank, of the
wrong size, two forms on one sheet, another document or upside down is 要確認 with its reason and
the page's image — never keyed, never 失敗 — and a batch of nothing but such scans still gives staff
a review workbook. Real files throughout: generated scans, real PDFs, real tesseract."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from kazaguruma_demo.forms import GeneratedForm, default_template, generate_forms
from PIL import Image, ImageDraw, ImageFont

from bots import i18n
from bots.ocr import pipeline
from bots.ocr.images import PREVIEW_LONG_SIDE_PX, load_pages
from bots.ocr.page_checks import check_page
from bots.ocr.pipeline import read_form, read_forms
from bots.ocr.results import FieldReading, FormResult, PageProblem
from bots.ocr.review import IMAGE_COLUMN, PAGE_COLUMN, REASONS_COLUMN, SHEET, import_review, write_review
from bots.records.model import ColumnSpec
from bots.selectors.form_template import FormTemplate
from bots.sources.forms import FormSource

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
A4_300 = (2480, 3508)


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> list[GeneratedForm]:
    return generate_forms(tmp_path_factory.mktemp("scans"), 3, seed=7)


@pytest.fixture(scope="module")
def template() -> FormTemplate:
    loaded: FormTemplate = default_template()
    return loaded


def scanned(size: tuple[int, int], seed: int = 1, tone: int = 246) -> Image.Image:
    """An empty sheet as a scanner sees it: off-white paper and sensor noise."""
    rng = np.random.default_rng(seed)
    return Image.fromarray(np.clip(rng.normal(tone, 7, (size[1], size[0])), 0, 255).astype(np.uint8))


def text_page(size: tuple[int, int] = A4_300) -> Image.Image:
    """Another document: an A4 letter of printed Japanese text, no form on it."""
    page = scanned(size, seed=2)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, size[0] // 40)
    for line in range(25):
        draw.text((size[0] // 10, size[1] // 12 + line * size[0] // 20), "お知らせ　令和七年度の説明会について。" * 2,
                  fill=20, font=font)
    return page


def form_page(form: GeneratedForm) -> Image.Image:
    (page,) = load_pages(form.path)
    return page


def save(image: Image.Image, path: Path, dpi: float | None = 300) -> Path:
    if path.suffix == ".pdf":
        image.convert("RGB").save(path, "PDF", resolution=dpi or 72)
    elif path.suffix == ".png":  # fast to write; the test is not about compression
        image.save(path, dpi=(dpi, dpi), compress_level=1) if dpi else image.save(path, compress_level=1)
    else:
        image.save(path, dpi=(dpi, dpi)) if dpi else image.save(path)
    return path


def side_by_side(page: Image.Image) -> Image.Image:
    """Two forms on one landscape sheet, as a copier's 2-in-1 makes them."""
    both = Image.new("L", (page.width * 2, page.height), 246)
    both.paste(page.convert("L"), (0, 0))
    both.paste(page.convert("L"), (page.width, 0))
    return both


# --- the cheap checks before registration ------------------------------------------------------------


def test_every_generated_form_passes_the_page_checks(forms: list[GeneratedForm], template: FormTemplate) -> None:
    assert {f.path.suffix for f in forms} >= {".jpg", ".png"}
    for form in forms:
        assert check_page(form_page(form), template) is None, form.path


def test_a_blank_page_is_told_even_with_noise_specks_and_punch_holes(template: FormTemplate) -> None:
    holes = scanned(A4_300)
    draw = ImageDraw.Draw(holes)
    for y in (1000, 2500):  # punch holes near the edge, and dust
        draw.ellipse((100, y, 170, y + 70), fill=60)
    for x, y in ((600, 900), (1500, 2200), (1900, 3000)):
        draw.ellipse((x, y, x + 3, y + 3), fill=30)
    bleed = scanned(A4_300, seed=3)  # the back of a printed sheet shows through, faintly
    ImageDraw.Draw(bleed).text((300, 400), "裏写り " * 8, fill=218, font=ImageFont.truetype(FONT, 60))
    for page in (scanned(A4_300), holes, bleed):
        doubt = check_page(page, template)
        assert doubt is not None and doubt.problem is PageProblem.BLANK
        assert doubt.reason.startswith("白紙のページです")

    one_line = scanned(A4_300, seed=4)  # one handwritten-size line is not blank (registration decides)
    ImageDraw.Draw(one_line).text((800, 1600), "山田 太郎", fill=40, font=ImageFont.truetype(FONT, 70))
    assert check_page(one_line, template) is None
    dark = check_page(scanned(A4_300, tone=30), template)  # lid open, or a black sheet
    assert dark is not None and dark.problem is PageProblem.UNREADABLE and "暗く" in dark.reason


def test_the_wrong_paper_is_told_by_its_size_or_proportions(
        forms: list[GeneratedForm], template: FormTemplate, tmp_path: Path) -> None:
    page = form_page(forms[0]).resize((1240, 1754))  # A4 at 150 dpi: quick to write, as telling
    cases = {  # name: (file, problem or None, words in the reason)
        "a3.pdf": (save(page.resize((1754, 2480)), tmp_path / "a3.pdf", 150), PageProblem.WRONG_SIZE, "A3 縦"),
        "receipt.jpg": (save(text_page((630, 1575)), tmp_path / "receipt.jpg", 200), PageProblem.WRONG_SIZE,
                        "縦横比"),
        "two_up.png": (save(side_by_side(page.resize((1654, 2339))), tmp_path / "two_up.png", 200),
                       PageProblem.MULTI_FORM, "2 枚の帳票"),
        "turned.png": (save(page.rotate(90, expand=True), tmp_path / "turned.png", 150),
                       PageProblem.TURNED, "90° 回っています"),
        # No resolution in the file: A-series proportions cannot tell a turned form from two forms.
        "two_up_no_dpi.png": (save(side_by_side(page.resize((1654, 2339))), tmp_path / "two_up_no_dpi.png", None),
                              PageProblem.TURNED, "2 枚が 1 ページに並んでいます"),
        "a3_no_dpi.png": (save(page.resize((1754, 2480)), tmp_path / "a3_no_dpi.png", None), None, ""),
        "photo_72dpi.jpg": (save(page.resize((1512, 2138)), tmp_path / "photo_72dpi.jpg", 72), None, ""),
        "us_letter.png": (save(page.resize((1275, 1650)), tmp_path / "us_letter.png", 150), None, ""),
    }
    for name, (path, problem, words) in cases.items():
        (loaded,) = load_pages(path, check_size=False)
        doubt = check_page(loaded, template)
        if problem is None:
            assert doubt is None, (name, doubt)
            continue
        assert doubt is not None and doubt.problem is problem, (name, doubt)
        assert words in doubt.reason and ("読み取り直す" in doubt.reason or "手で入力" in doubt.reason), doubt.reason


def test_page_reasons_speak_english(forms: list[GeneratedForm], template: FormTemplate, tmp_path: Path) -> None:
    i18n.set_language("en")
    blank = check_page(scanned(A4_300), template)
    (a3,) = load_pages(save(form_page(forms[0]).resize((1754, 2480)), tmp_path / "a3.pdf", 150))
    wrong = check_page(a3, template)
    assert blank is not None and blank.reason.startswith("a blank page")
    assert wrong is not None and wrong.reason == (
        "the paper (A3 portrait) is not the form's size (A4 portrait); scan the form again at A4 portrait, "
        "or enter it by hand")


# --- the pipeline: every such page is a review item with its image ----------------------------------


def bad_batch(forms: list[GeneratedForm], folder: Path) -> dict[str, tuple[Path, PageProblem]]:
    """Scans that are not readable forms, each with what the pipeline must say about it."""
    page = form_page(forms[0])
    thumbnail = io.BytesIO()
    page.convert("RGB").resize((320, 452)).save(thumbnail, "JPEG")
    (folder / "thumbnail.jpg").write_bytes(thumbnail.getvalue())
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\n")
    return {
        "corrupt.pdf": (folder / "corrupt.pdf", PageProblem.UNREADABLE),
        "a3.pdf": (save(page.resize((1754, 2480)), folder / "a3.pdf", 150), PageProblem.WRONG_SIZE),
        "blank.png": (save(scanned(A4_300), folder / "blank.png"), PageProblem.BLANK),
        "letter.png": (save(text_page(), folder / "letter.png"), PageProblem.NOT_REGISTERED),
        "two_up.png": (save(side_by_side(page.resize((1654, 2339))), folder / "two_up.png", 200),
                       PageProblem.MULTI_FORM),
        "thumbnail.jpg": (folder / "thumbnail.jpg", PageProblem.UNREADABLE),
    }


@pytest.mark.tesseract
def test_every_doubtful_scan_of_a_batch_goes_to_review_with_its_image_and_reason(
        forms: list[GeneratedForm], template: FormTemplate, tmp_path: Path) -> None:
    bad = bad_batch(forms, tmp_path)
    paths = [forms[1].path, *(path for path, _ in bad.values())]
    crops = tmp_path / "要確認" / "画像"
    results = list(read_forms(paths, template, crops_dir=crops, workers=2))

    assert [r.file for r in results] == paths
    assert results[0].page_doubt is None and results[0].status != "error" and results[0].fields
    for result, (name, (_, problem)) in zip(results[1:], bad.items(), strict=True):
        assert result.status == "review" and result.error is None and not result.fields, (name, result)
        assert result.page_doubt is not None and result.page_doubt.problem is problem, (name, result.page_doubt)
        assert result.reason and result.seconds >= 0, name
        if name == "corrupt.pdf":  # no image to show: the row still names the file and the reason
            assert result.image is None and result.reason == "PDF が壊れています"
            continue
        assert result.image is not None and result.image.parent == crops, name
        with Image.open(result.image) as preview:
            assert preview.format == "JPEG" and max(preview.size) <= PREVIEW_LONG_SIDE_PX

    review = tmp_path / "要確認" / "要確認_shinsei.xlsx"
    columns = list(template.fields)
    rows = write_review(review, columns, results)
    assert rows == len(bad) + (results[0].status == "review")
    sheet = openpyxl.load_workbook(review)[SHEET]
    header = [c.value for c in sheet[1]]
    listed = {Path(str(row[0])).name: dict(zip(header, row, strict=True))
              for row in sheet.iter_rows(min_row=2, values_only=True)}
    for name, (path, _) in bad.items():
        row = listed[name]
        result = results[paths.index(path)]
        assert row[REASONS_COLUMN] == result.reason and row[PAGE_COLUMN] == 1
        assert row[IMAGE_COLUMN] == (str(result.image) if result.image else None)
        assert all(row[c] is None for c in columns)

    # review import takes the rows staff filled from the page's image, and skips the others.
    book = openpyxl.load_workbook(review)
    filled = book[SHEET]
    target = next(r for r in range(2, filled.max_row + 1) if str(filled.cell(r, 1).value).endswith("a3.pdf"))
    for name, value in forms[0].truth.items():
        shown = ("はい" if value else "いいえ") if isinstance(value, bool) else value
        filled.cell(target, header.index(name) + 1, value=None if shown is None else str(shown))
    book.save(review)
    out, count = import_review(review, tmp_path / "修正済み.xlsx")
    listing = [row for row in openpyxl.load_workbook(out).active.iter_rows(min_row=2, values_only=True)]
    assert count == rows - len(bad) + 1 and forms[0].truth["氏名"] in {row[columns.index("氏名")] for row in listing}


@pytest.mark.tesseract
def test_an_upside_down_page_goes_to_review(forms: list[GeneratedForm], template: FormTemplate,
                                            tmp_path: Path) -> None:
    page = form_page(forms[0])
    upside_down = save(page.rotate(180), tmp_path / "upside_down.png", page.info["dpi"][0])
    result = read_form(upside_down, template, crops_dir=tmp_path / "画像")
    assert result.status == "review" and result.error is None and not result.fields
    # Four symmetric corner marks would register it turned; registration checks the orientation and says so.
    assert result.page_doubt is not None and result.page_doubt.problem is PageProblem.NOT_REGISTERED
    assert "上下が逆" in (result.reason or ""), result.reason
    assert result.image is not None and result.image.is_file()


@pytest.mark.tesseract
@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_batch_of_only_unreadable_scans_gives_a_review_workbook_with_every_one(
        language: str, tmp_path: Path, template: FormTemplate) -> None:
    i18n.set_language(language)
    scans = tmp_path / "スキャン"
    scans.mkdir()
    (scans / "empty.png").write_bytes(b"")
    (scans / "notes.txt.png").write_bytes("申請書ではありません\n".encode())
    (scans / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\n")
    save(scanned(A4_300), scans / "blank.jpg")
    files = sorted(scans.iterdir())
    columns = {name: ColumnSpec() for name in ("氏名", "住所")}
    source = FormSource(files, template, columns, tmp_path / "要確認")

    records = list(source)

    assert [r.location for r in records] == [f.name for f in files]
    assert all(r.review and r.error for r in records), records
    expected = {"ja": ["白紙のページです", "PDF が壊れています", "ファイルが空です", "画像（PNG・JPEG・TIFF）でも PDF でもありません"],
                "en": ["a blank page", "the PDF is corrupt", "the file is empty", "not an image (PNG, JPEG, TIFF) or a PDF"]}
    for record, words in zip(records, expected[language], strict=True):
        assert words in (record.error or ""), record.error
    assert source.review_path is not None and source.review_rows == len(files)
    sheet = openpyxl.load_workbook(source.review_path)[SHEET]
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [Path(str(row[0])).name for row in rows] == [f.name for f in files]
    for row, words in zip(rows, expected[language], strict=True):
        assert str(row[header.index(REASONS_COLUMN)]).startswith(words)
    assert (rows[0][header.index(IMAGE_COLUMN)] or "").endswith(".jpg")  # the blank page's image
    assert Path(rows[0][header.index(IMAGE_COLUMN)]).is_file()
    assert all(row[header.index(IMAGE_COLUMN)] is None for row in rows[1:])  # nothing to show of those
    assert import_review(source.review_path)[1] == 0  # no values yet: nothing to key, and no crash


@pytest.mark.tesseract
def test_a_fault_of_the_engine_is_still_an_error(forms: list[GeneratedForm], template: FormTemplate,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug in the field reader")

    monkeypatch.setattr(pipeline, "read_fields", broken)  # the scan is fine; our code is not
    (result,) = read_forms([forms[1].path], template, workers=1)
    assert isinstance(result, FormResult) and result.status == "error" and result.page_doubt is None
    assert result.error == "読み取り中にエラーが起きました（RuntimeError）"


@pytest.mark.tesseract
def test_a_page_whose_image_cannot_be_saved_still_goes_to_review(template: FormTemplate, tmp_path: Path) -> None:
    blank = save(scanned(A4_300), tmp_path / "blank.png")
    not_a_folder = tmp_path / "画像"
    not_a_folder.write_text("a file where the image folder should be")
    for crops in (not_a_folder, None):
        result = read_form(blank, template, crops_dir=crops)
        assert result.status == "review" and result.image is None
        assert result.page_doubt is not None and result.page_doubt.problem is PageProblem.BLANK


def test_problems_between_fields_send_the_form_to_review(template: FormTemplate) -> None:
    """The cross-field checks (bots/ocr/crosscheck.py) join each field's own problems."""
    read = {"郵便番号": "1500002", "住所": "沖縄県那覇市久茂地1丁目7番3号", "氏名": "山田 太郎"}
    fields = {name: FieldReading(name, value, value, 95.0) for name, value in read.items()}

    checked = pipeline._cross_checked(template, fields)

    assert FormResult(Path("scan.png"), fields=fields).status == "accepted"
    assert FormResult(Path("scan.png"), fields=checked).status == "review"
    assert checked["郵便番号"].problems and checked["郵便番号"].problems == checked["住所"].problems
    assert "郵便番号" in checked["住所"].problems[0]
    assert checked["氏名"] is fields["氏名"]
    matching = {**fields, "住所": FieldReading("住所", "東京都渋谷区渋谷2丁目1番1号", "", 95.0)}
    assert FormResult(Path("scan.png"), fields=pipeline._cross_checked(template, matching)).status == "accepted"

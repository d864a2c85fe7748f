"""The OCR pipeline on generated scans (kazaguruma_demo.forms) and on files that are not forms."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from kazaguruma_demo.forms import GeneratedForm, default_template, generate_forms
from PIL import Image, ImageDraw

from bots.errors import OcrEngineError
from bots.ocr.pipeline import read_form, read_forms
from bots.ocr.results import FormResult, PageProblem

pytestmark = pytest.mark.tesseract


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> list[GeneratedForm]:
    return generate_forms(tmp_path_factory.mktemp("scans"), 4, seed=7)


def as_truth(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def assert_never_wrong(result: FormResult, truth: dict[str, Any]) -> None:
    """Every accepted field holds the true value (spaces between Japanese characters aside: see
    bots.ocr.normalize); a doubtful one may hold anything, it goes to a person."""
    for name, reading in result.fields.items():
        if not reading.doubtful:
            expected = truth[name]
            if isinstance(expected, str) and name == "住所":
                expected = expected.replace(" ", "")
            assert as_truth(reading.value) == expected, (result.location, name, reading)


def test_batch_in_input_order_with_per_file_errors(forms: list[GeneratedForm], tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(forms[0].path.read_bytes()[:2000] if forms[0].path.suffix == ".jpg" else b"\xff\xd8\xff\xe0junk")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    letter = tmp_path / "letter.png"  # a page of the right size without the corner marks
    page = Image.new("L", (1654, 2339), 255)
    ImageDraw.Draw(page).rectangle((200, 300, 1400, 500), outline=0, width=4)
    page.save(letter)
    paths = [forms[0].path, corrupt, forms[1].path, empty, letter, forms[2].path, tmp_path / "missing.png"]
    crops = tmp_path / "crops"
    results = list(read_forms(paths, default_template(), crops_dir=crops, workers=2))
    assert [r.file for r in results] == paths
    # Nothing about a scan is 失敗: each bad file is a review item with its reason (tests/unit/test_ocr_review_all.py).
    assert not any(r.status == "error" for r in results)
    assert [r.page_doubt is not None for r in results] == [False, True, False, True, True, False, True]
    assert "壊れて" in (results[1].reason or "") or "読めません" in (results[1].reason or "")
    assert "空" in (results[3].reason or "")
    assert results[4].page_doubt is not None and results[4].page_doubt.problem is PageProblem.NOT_REGISTERED
    assert "見つかりません" in (results[6].reason or "")
    for result, form in zip((results[0], results[2], results[5]), forms[:3], strict=True):
        assert set(result.fields) == set(form.truth)
        assert_never_wrong(result, form.truth)
        assert result.seconds > 0
        for reading in result.fields.values():
            assert reading.crop is not None and reading.crop.is_file() and reading.crop.parent == crops
            assert all(isinstance(p, str) and p for p in reading.problems)


def test_one_worker_reads_the_same(forms: list[GeneratedForm]) -> None:
    template = default_template()
    paths = [forms[3].path, forms[0].path]
    inline = [r.values() for r in read_forms(paths, template, workers=1)]
    pooled = [r.values() for r in read_forms(paths, template, workers=2)]
    assert inline == pooled


def test_every_page_of_a_pdf_is_a_form(forms: list[GeneratedForm], tmp_path: Path) -> None:
    pages = [Image.open(f.path).convert("RGB") for f in forms if f.path.suffix in (".jpg", ".png")][:2]
    pdf = tmp_path / "batch.pdf"
    pages[0].save(pdf, "PDF", resolution=200, save_all=True, append_images=pages[1:])
    results = list(read_forms([pdf], default_template(), workers=1))
    assert [(r.page, r.location, r.status != "error") for r in results] == [
        (1, "batch.pdf", True), (2, "batch.pdf#2", True)]
    second = read_form(pdf, default_template(), page=2)
    assert second.page == 2 and second.values() == results[1].values()
    assert read_form(pdf, default_template(), page=3).error == "3 ページ目はありません（全 2 ページ）"


def test_a_ticked_consent_is_true_and_required_fields_are_present(forms: list[GeneratedForm]) -> None:
    result = read_form(forms[0].path, default_template())
    assert result.error is None
    assert result.fields["同意"].value is forms[0].truth["同意"]
    assert not result.fields["同意"].doubtful


def test_missing_tesseract_stops_before_reading(forms: list[GeneratedForm], monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    monkeypatch.setenv("TESSERACT_CMD", str(tmp_path / "nowhere" / "tesseract"))
    with pytest.raises(OcrEngineError):
        list(read_forms([forms[0].path], default_template()))

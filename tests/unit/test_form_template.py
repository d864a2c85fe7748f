"""Form templates (selectors/forms/*.yaml) are validated like flows: every problem at file:line:col.

Each file in ``tests/forms/invalid/`` states what it must produce on its first lines
(``# expect: line:col: text``); every diagnostic of the file must be expected.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bots.selectors.form_template import FormTemplate, load_form_template
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
    data = {"form": "x", "title": "t", "page": {"width_mm": 210, "height_mm": 297},
            "fields": {"氏名": {"zone": {"x": 150, "y": 10, "w": 90, "h": 10}}}}

    with pytest.raises(ValueError, match="氏名"):
        FormTemplate.model_validate(data)

"""Issue 20's checks on a form layout the pipeline was not built on: ``kokuho`` (no corner marks,
labels above the boxes, serif print, bold values, phone photos, full-width digits, middle dots).

30 scans from the layout's **test seed** (never used for tuning: demo/kazaguruma_demo/form_layouts.py)
→ every scan registered or sent to review (none fails), no wrong value accepted, ≥ 85 % of the forms
accepted without review. And pages that are not a kokuho form — a scan of another form (shinsei),
a blank page, a kokuho page upside down — go to review with a reason. Real tesseract, real
registration against ``selectors/forms/kokuho_blank.png``, real generated scans; one reading of
the set is shared by the tests here."""

from __future__ import annotations

import numpy as np
import pytest
from kazaguruma_demo.form_layouts import get_layout
from kazaguruma_demo.forms import GeneratedForm
from PIL import Image

from bots.ocr.pipeline import read_forms
from bots.ocr.results import FormResult, PageProblem, same_value
from bots.selectors.form_template import FormTemplate

pytestmark = [pytest.mark.tesseract, pytest.mark.slow]

FORMS = 30
AUTO_ACCEPT_FLOOR = 0.85  #: the issue's target for forms accepted without review


@pytest.fixture(scope="module")
def template() -> FormTemplate:
    return get_layout("kokuho").template()


@pytest.fixture(scope="module")
def read_set(tmp_path_factory: pytest.TempPathFactory, template: FormTemplate
             ) -> list[tuple[GeneratedForm, FormResult]]:
    layout = get_layout("kokuho")
    forms = layout.generate(tmp_path_factory.mktemp("kokuho_test_set"), FORMS, seed=layout.test_seed)
    results = list(read_forms([form.path for form in forms], template, workers=2))
    by_path = {form.path: form for form in forms}
    return [(by_path[result.file], result) for result in results]


def test_the_test_set_holds_the_hard_cases(read_set: list[tuple[GeneratedForm, FormResult]]) -> None:
    forms = [form for form, _ in read_set]
    assert sum(form.scan["kind"] == "phone" for form in forms) == 6
    assert any(any("０" <= c <= "９" for c in str(form.truth["住所"])) for form in forms)
    assert any("・" in str(form.truth["氏名"]) for form in forms)


def test_every_scan_is_registered_or_sent_to_review(read_set: list[tuple[GeneratedForm, FormResult]]) -> None:
    assert len(read_set) == FORMS
    assert [(form.path.name, result.error) for form, result in read_set if result.status == "error"] == []
    for form, result in read_set:
        if result.page_doubt is not None:  # not read field by field: it must say why
            assert result.status == "review" and result.page_doubt.reason, form.path.name


def test_no_wrong_value_is_accepted(read_set: list[tuple[GeneratedForm, FormResult]]) -> None:
    accepted = 0
    misread = []
    for form, result in read_set:
        for name, reading in result.fields.items():
            if reading.doubtful:
                continue
            accepted += 1
            if not same_value(reading.value, form.truth[name]):
                misread.append((form.path.name, name))
    assert accepted >= FORMS * 7  # most fields are accepted: the check is not vacuous
    assert misread == []


@pytest.mark.xfail(strict=True, reason=(
    "issue 20 still open: 9 of 30 kokuho forms auto-accepted (target 0.85); the rest go to review, mostly because "
    "the ink cannot confirm the width of an address's digits and the 個人番号 comb; a pass must remove this mark"))
def test_most_forms_pass_without_review(read_set: list[tuple[GeneratedForm, FormResult]]) -> None:
    accepted = [form.path.name for form, result in read_set if result.status == "accepted"]
    doubts = {form.path.name: (result.page_doubt.reason if result.page_doubt else sorted(result.doubts()))
              for form, result in read_set if result.status != "accepted"}
    assert len(accepted) / FORMS >= AUTO_ACCEPT_FLOOR, doubts
    for form, result in read_set:  # a form keyed without review is right in every field
        if result.status == "accepted":
            assert all(same_value(result.fields[n].value, form.truth[n]) for n in form.truth), form.path.name


@pytest.fixture(scope="module")
def strangers(tmp_path_factory: pytest.TempPathFactory, template: FormTemplate) -> dict[str, FormResult]:
    """Pages that are not a kokuho form, read with the kokuho template."""
    folder = tmp_path_factory.mktemp("not_kokuho")
    shinsei = get_layout("shinsei").generate(folder / "shinsei", 1, seed=get_layout("shinsei").test_seed)[0].path
    kokuho = get_layout("kokuho").generate(folder / "kokuho", 1, seed=get_layout("kokuho").test_seed)[0].path
    upside_down = folder / "upside_down.png"
    Image.open(kokuho).transpose(Image.Transpose.ROTATE_180).save(upside_down)
    blank = folder / "blank.png"
    rng = np.random.default_rng(7)  # a scanner's white page: paper tone and sensor noise, no ink
    paper = np.clip(rng.normal(243, 3, size=(3508, 2480)), 0, 255).astype(np.uint8)
    Image.fromarray(paper).save(blank, dpi=(300, 300))
    results = list(read_forms([shinsei, blank, upside_down], template, workers=1))
    return dict(zip(("shinsei", "blank", "upside_down"), results, strict=True))


@pytest.mark.parametrize("page", ["shinsei", "blank", "upside_down"])
def test_a_page_that_is_not_this_form_goes_to_review_with_a_reason(strangers: dict[str, FormResult],
                                                                    page: str) -> None:
    result = strangers[page]
    assert result.status == "review"
    assert result.page_doubt is not None and result.page_doubt.reason.strip()
    assert result.fields == {}  # nothing read from it, nothing keyed


def test_the_reasons_say_what_is_wrong(strangers: dict[str, FormResult]) -> None:
    blank, upside_down = strangers["blank"].page_doubt, strangers["upside_down"].page_doubt
    assert blank is not None and blank.problem == PageProblem.BLANK and "白紙" in blank.reason
    assert upside_down is not None and "上下" in upside_down.reason
    shinsei = strangers["shinsei"].page_doubt
    assert shinsei is not None and shinsei.problem == PageProblem.NOT_REGISTERED


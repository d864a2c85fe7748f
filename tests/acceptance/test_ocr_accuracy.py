"""Issue 5 checks: on generated scans (seeds apart from the tuning set's 9100 and the benchmark's
2026), of the fields accepted automatically ≥ 99.5 % are exactly right, no wrong value is accepted,
and most forms pass without review. Real tesseract, real images; one reading of the set is shared
by every test here."""

from __future__ import annotations

from pathlib import Path

import pytest
from kazaguruma_demo.forms import GeneratedForm, default_template, generate_forms

from bots.ocr.pipeline import read_forms
from bots.ocr.results import FormResult, same_value

pytestmark = [pytest.mark.tesseract, pytest.mark.slow]

FORMS = 30
SEED = 4242
#: Forms accepted without review, the issue's target (measured: 30/30 on this set, 9 fields settled by
#: the ink; 22/30 before it).
AUTO_ACCEPT_FLOOR = 0.85


@pytest.fixture(scope="session")
def read_set(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[GeneratedForm, FormResult]]:
    folder: Path = tmp_path_factory.mktemp("ocr_accuracy")
    template = default_template()
    forms = generate_forms(folder, FORMS, seed=SEED, template=template)
    results = list(read_forms([form.path for form in forms], template, workers=2))
    by_path = {form.path: form for form in forms}
    return [(by_path[result.file], result) for result in results]


def test_every_form_is_read(read_set: list[tuple[GeneratedForm, FormResult]]) -> None:
    assert len(read_set) == FORMS
    assert [result.error for _, result in read_set if result.error] == []


def test_accepted_fields_are_right_and_no_wrong_value_is_accepted(
        read_set: list[tuple[GeneratedForm, FormResult]]) -> None:
    accepted = wrong = 0
    misread = []
    for form, result in read_set:
        for name, reading in result.fields.items():
            if reading.doubtful:
                continue
            accepted += 1
            if not same_value(reading.value, form.truth[name]):
                wrong += 1
                misread.append((form.path.name, name))
    assert accepted >= FORMS * 8  # most fields are accepted: the check below is not vacuous
    assert misread == []
    assert (accepted - wrong) / accepted >= 0.995


def test_most_forms_pass_without_review(read_set: list[tuple[GeneratedForm, FormResult]]) -> None:
    accepted = [form.path.name for form, result in read_set if result.status == "accepted"]
    doubts = {form.path.name: sorted(result.doubts()) for form, result in read_set if result.status == "review"}
    assert len(accepted) / FORMS >= AUTO_ACCEPT_FLOOR, doubts
    # A form keyed without review is right in every field (wrong keyed: 0).
    for form, result in read_set:
        if result.status == "accepted":
            assert all(same_value(result.fields[n].value, form.truth[n]) for n in form.truth), form.path.name

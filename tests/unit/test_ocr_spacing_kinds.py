"""A doubtful gap between inked runs doubts a value only where a space can be part of it.

The 個人番号 of the kokuho demo form is printed in a 12-cell comb: every digit stands apart, so the
gap detector doubts each gap — yet the value (12 digits) holds no space, and both models read it alike.
A name's gap (佐藤 一郎 / 佐藤一郎) is a different value either way, and stays doubtful."""

from __future__ import annotations

from bots.ocr.fields import FieldOcr, Reading
from bots.ocr.pipeline import decide
from bots.selectors.form_template import FieldSpec, Zone

ZONE = Zone(x=0, y=0, w=10, h=10)


def _agreed(spec: FieldSpec, text: str) -> FieldOcr:
    """Both models read ``text`` (twice each), every reading with a doubtful gap."""
    return FieldOcr("欄", tuple(Reading(text, 95.0, spacing_doubt=True, model=model) for model in (0, 1, 0, 1)))


def test_a_comb_of_digits_is_accepted_whatever_its_gaps() -> None:
    spec = FieldSpec(zone=ZONE, kind="mynumber", lang="eng")
    reading = decide("個人番号", spec, _agreed(spec, "1 2 3 4 5 6 7 8 9 0 1 8"), 80.0, 0.0)
    assert (reading.value, reading.problems) == ("123456789018", ())


def test_a_doubtful_gap_in_a_name_still_needs_a_person() -> None:
    spec = FieldSpec(zone=ZONE, kind="kana")
    reading = decide("フリガナ", spec, _agreed(spec, "サトウ イチロウ"), 80.0, 0.0)
    assert reading.doubtful and any("空白" in problem for problem in reading.problems)

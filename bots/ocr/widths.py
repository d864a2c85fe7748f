"""Width as printed: the digits and Latin letters of an accepted ``text`` value in the width the ink shows.

Tesseract reads a full-width ２ as 2 every time, PP-OCR now and then, so neither engine knows the
width (第２みどり荘 read as 第2みどり荘 by both was accepted: the value keyed changed the width
printed). A ``text`` field with ``width: as_printed`` (the default) is therefore accepted only when
the ink confirms the width read (:func:`bots.ocr.confusables.printed_widths`: each run of digits and
letters drawn in both widths, with a neighbour each side, compared with the field's grey crop); where
the ink shows the other width, or cannot tell (a run of one character alone, the runs not matching),
the field goes to review. The ink's width is never put in the value: a space after a half-width
digit makes it look full-width. A field with
``width: zenkaku`` or ``hankaku`` is converted by its rule in :func:`bots.ocr.normalize.normalize`
and says nothing here. Only the width part of the ink check runs: the look-alike check doubts too
many right values to run on every accepted word.

Two halves, because the ink is in the worker that reads the fields and the decision is taken later:
:func:`ink_widths` (in :func:`bots.ocr.fields.read_fields`) measures each candidate value,
:func:`as_printed` (in :func:`bots.ocr.pipeline.decide`) applies the measure to the value accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from bots.i18n import tr
from bots.ocr.confusables import printed_widths
from bots.ocr.normalize import normalize
from bots.ocr.results import FieldReading
from bots.selectors.form_template import FieldSpec

#: Characters whose width the print decides: digits and Latin letters, either width.
_WIDE_OR_NARROW = re.compile("[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def keeps_printed_width(spec: FieldSpec) -> bool:
    """Whether the field's width comes from the ink (a ``text`` field without a width rule)."""
    return spec.kind == "text" and spec.width == "as_printed"


def has_width(value: object) -> bool:
    """Whether a value holds characters printed in one width or the other."""
    return isinstance(value, str) and _WIDE_OR_NARROW.search(value) is not None


def ink_widths(spec: FieldSpec, crop: NDArray[np.uint8], texts: Iterable[str], *, paper: float,
               ink: float) -> dict[str, str | None]:
    """Each candidate text's value (normalised) that holds digits or letters → the value in the widths
    the ink shows, or None where the ink does not show them clearly. {} for a field with a width rule.

    The candidates are the texts the decision may accept (read alike twice, or chosen by the ink):
    the crop is measured here, where it is at hand, and looked up by :func:`as_printed`."""
    if not keeps_printed_width(spec) or crop.size == 0:
        return {}
    found: dict[str, str | None] = {}
    for text in texts:
        value, problems = normalize(spec, text)
        if not problems and has_width(value) and value not in found:
            found[value] = printed_widths(crop, value, paper=paper, ink=ink)
    return found


def as_printed(spec: FieldSpec, widths: Mapping[str, str | None], reading: FieldReading) -> FieldReading:
    """An accepted reading with its digits and letters in the width printed, or with the problem that
    sends it to review when the ink cannot tell (or was not measured for this value). Anything else
    (a doubtful reading, a field with a width rule, a value without digits or letters) as it is."""
    if reading.problems or not keeps_printed_width(spec) or not has_width(reading.value):
        return reading
    printed = widths.get(reading.value)
    if printed is None:
        return replace(reading, problems=(tr(
            "数字・英字が全角か半角か、印字から確かめられません",
            "cannot tell from the print whether the digits or letters are full-width or half-width"),), note="")
    if printed == reading.value:
        return reading
    # The ink suggests another width than read. Not restored: a half-width 3 followed by a space looks
    # like a full-width ３ to the ink (shinsei test seed 4242, form 24: 471番地3 コーポ → 471番地３コーポ),
    # so a person decides; the value keyed never takes a width neither engine read.
    return replace(reading, problems=(tr(
        "数字・英字の全角・半角が、読み取りと印字で違う可能性があります",
        "the digits or letters may be printed in another width (full/half) than read"),), note="")

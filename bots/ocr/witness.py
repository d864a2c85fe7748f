"""The second engine as a witness: a value the tesseract readings agreed on (or the ink chose) is
kept only if PP-OCR, a network trained apart, reads the same.

Why: two tesseract models agreeing is not independent enough — both read a degraded ポ as ボ. The
engines' errors differ in kind (tesseract substitutes look-alikes, PP-OCR drops characters), so a
wrong value both read alike is far rarer than one both tesseract models read alike. A disagreement
is never settled here: the field goes to a person with both readings (none for ``sensitive``).

Agreement is judged on the value both normalised the same way (:func:`bots.ocr.normalize.normalize`),
with spaces ignored (both engines' spaces come from the same ink gaps) and a dash between katakana
read as the long-vowel mark ー (PP-OCR reads コーポ as コ-ポ now and then; the value kept is
tesseract's). Neither engine knows the width printed — tesseract reads a full-width ２ as 2 every
time, PP-OCR now and then (measured on degraded lines: 3 of 4) —, so the width is not judged here: a
``text`` field takes it from the ink or from its width rule (:mod:`bots.ocr.widths`, ``normalize``),
and where the engines differ only in width the witness agrees. In any other field a difference in
width alone still goes to review: the width printed is never changed silently.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from bots.i18n import tr
from bots.ocr.normalize import normalize
from bots.ocr.ppocr import PpText
from bots.ocr.results import FieldReading
from bots.ocr.widths import keeps_printed_width
from bots.selectors.form_template import FieldSpec

_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}  #: ！…～ → !…~
_SPACES = re.compile(r"[\s\u3000]")
#: A dash between katakana is the long-vowel mark misread: PP-OCR reads コーポ as コ-ポ now and then.
_KANA_DASH = re.compile("(?<=[ァ-ヺー])[-‐‑‒–—―−－ｰ](?=[ァ-ヺー])")


def witnessed(spec: FieldSpec, witness: PpText | None, accepted: FieldReading) -> FieldReading:
    """``accepted`` as it stands when the witness reads the same value; else the same reading with
    the problem that sends it to review. Without a witness (the engine not installed, a kind not
    witnessed) the tesseract rule holds."""
    if witness is None or accepted.value is None or accepted.problems:
        return accepted
    value, problems = normalize(spec, witness.text)
    if not problems and agree(value, accepted.value):
        if _same_width(_text(value), _text(accepted.value)) or keeps_printed_width(spec):
            return accepted  # a text field kept as printed takes the width from the ink (bots.ocr.widths)
        # Only the width differs (第２ / 第2) in a field whose width no ink check settles: a person looks.
        return replace(accepted, problems=(tr("全角・半角がはっきりしません（2 つの OCR エンジンで違います）",
                                              "unclear whether full-width or half-width (the two OCR engines "
                                              "differ)"),), note="")
    shown = "" if spec.sensitive else tr("（{a} と {b}）", " ({a} and {b})", a=_text(accepted.value),
                                         b=witness.text or tr("読めず", "nothing"))
    return replace(accepted, problems=(tr("2 つの OCR エンジンの読みが違います{s}",
                                          "the two OCR engines read differently{s}", s=shown),), note="")


def agree(value: Any, other: Any) -> bool:
    """Whether two normalised values are the same, width and spaces aside."""
    if value is None or other is None:
        return value is other
    return _fold(_text(value)) == _fold(_text(other))


def _same_width(one: str, other: str) -> bool:
    """Whether two texts that agree also agree in width (a folded dash is no width)."""
    return _SPACES.sub("", _KANA_DASH.sub("ー", one)) == _SPACES.sub("", _KANA_DASH.sub("ー", other))


def _fold(text: str) -> str:
    return _SPACES.sub("", _KANA_DASH.sub("ー", text.translate(_FULL_WIDTH)))


def _text(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)

"""What reading a form produces. Plain frozen data, picklable across the process pool.

Three outcomes per form (one page of a file): ``accepted`` (every field trusted: keyed),
``review`` (a person must look: a doubtful field, or the whole page — unreadable file, blank,
wrong size, two forms on one page, not registrable as this form: :class:`PageDoubt`) and
``error`` (the engine itself failed on it, not the scan: our bug or a broken OCR install).
Nothing about the *scan* is ever ``error``: staff see every scan of a batch in the 要確認 workbook.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

FormStatus = Literal["accepted", "review", "error"]


class PageProblem(StrEnum):
    """Why a whole page goes to a person instead of being read field by field."""

    UNREADABLE = "unreadable"  #: the file cannot be opened or decoded, or the page is too dark or too small
    BLANK = "blank"  #: no ink at all (白紙), e.g. the back of a duplex scan
    WRONG_SIZE = "wrong_size"  #: paper size or proportions not the form's (A3, a receipt, a cut-out)
    TURNED = "turned"  #: landscape for a portrait form (turned a quarter), or the reverse
    MULTI_FORM = "multi_form"  #: two forms side by side on one page
    NOT_REGISTERED = "not_registered"  #: cannot be aligned to the form: another document, upside down, misaligned


@dataclass(frozen=True)
class PageDoubt:
    """A page that is not read field by field, and why (``reason``: ja/en text for staff, saying
    what to do, e.g. scan again at the form's size)."""

    problem: PageProblem
    reason: str


@dataclass(frozen=True)
class FieldReading:
    """One field of one form, as read and normalised.

    ``problems`` lists why the value cannot be trusted (low confidence, two readings disagree,
    fails validation, required but empty): any problem sends the whole form to a person."""

    name: str
    value: Any  #: normalised: str, datetime.date, bool (checkbox) or None (empty)
    raw: str  #: the text as OCR read it (before normalisation); "" for checkboxes
    confidence: float  #: 0–100 (checkboxes: how clearly ticked or empty)
    problems: tuple[str, ...] = ()
    crop: Path | None = None  #: the field's image, kept for the reviewer
    #: How an accepted value was settled when the readings differed ("" when they agreed): for the
    #: record's notes and the run log, so every decision can be traced.
    note: str = ""

    @property
    def doubtful(self) -> bool:
        """Whether any problem was found: one doubtful field sends the whole form to review."""
        return bool(self.problems)


@dataclass(frozen=True)
class FormResult:
    """One form (one page of a file). ``page_doubt`` is set when the page was not read field by
    field (unreadable file, blank, wrong size, not this form): then ``fields`` is empty and
    ``image`` is a reduced copy of the page for the reviewer (None when the file gave no image).
    ``error`` is set when the engine failed on it (not the scan's fault): ``fields`` is empty too."""

    file: Path
    page: int = 1
    fields: dict[str, FieldReading] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    page_doubt: PageDoubt | None = None
    image: Path | None = None  #: the whole page, reduced (review folder's 画像/), for a page_doubt

    @property
    def status(self) -> FormStatus:
        """``error`` if the engine failed, else ``review`` if the page or any field is doubtful, else ``accepted``."""
        if self.error is not None:
            return "error"
        if self.page_doubt is not None:
            return "review"
        return "review" if any(f.doubtful for f in self.fields.values()) else "accepted"

    @property
    def reason(self) -> str | None:
        """Why the whole page needs a person (``page_doubt``'s reason), else None."""
        return self.page_doubt.reason if self.page_doubt is not None else None

    @property
    def location(self) -> str:
        """Where staff find it: ``scan_012.pdf`` or ``scan_012.pdf#2`` for a later page."""
        return self.file.name if self.page == 1 else f"{self.file.name}#{self.page}"

    def values(self) -> dict[str, Any]:
        """The normalised value of every field by name: the record a flow keys from the form."""
        return {name: reading.value for name, reading in self.fields.items()}

    def doubts(self) -> dict[str, FieldReading]:
        """The doubtful fields by name: what the reviewer is shown the problems of."""
        return {name: reading for name, reading in self.fields.items() if reading.doubtful}


def same_value(value: Any, truth: Any) -> bool:
    """Whether a value read is exactly the paper's (the ground truth of a demo scan), compared as
    it would be keyed: dates as ISO text; spaces inside a text do not count, every character does."""
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    if isinstance(truth, str) and isinstance(value, str):
        return re.sub(r"[\s\u3000]", "", value) == re.sub(r"[\s\u3000]", "", truth)
    return bool(value == truth)

"""What reading a form produces. Plain frozen data, picklable across the process pool."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

FormStatus = Literal["accepted", "review", "error"]


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
    """One form (one page of a file). ``error`` is set when the file could not be read as a form
    at all (corrupt, empty, not this form): then ``fields`` is empty."""

    file: Path
    page: int = 1
    fields: dict[str, FieldReading] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    @property
    def status(self) -> FormStatus:
        """``error`` if unreadable as a form, else ``review`` if any field is doubtful, else ``accepted``."""
        if self.error is not None:
            return "error"
        return "review" if any(f.doubtful for f in self.fields.values()) else "accepted"

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

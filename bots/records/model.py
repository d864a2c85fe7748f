"""What a record source yields, and how a flow declares its columns.

Excel rows (and, later, OCR'd forms) become :class:`SourceRecord` objects, so the keying
steps never care where a record came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

ColumnType = Literal["str", "int", "date", "wareki", "zip", "phone", "kana"]


class ColumnSpec(BaseModel):
    """One declared input column: its type and whether a value is required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ColumnType = "str"
    required: bool = False
    sensitive: bool = False
    #: The header text in the sheet when it differs from the name used in the flow.
    header: str | None = None


@dataclass
class SourceRecord:
    """One record read from a source.

    ``raw`` keeps the values as found (for the results workbook); ``values`` holds the typed,
    normalised values the flow sees as ``record.<列名>``. A record whose ``error`` is set is
    not keyed: it is reported as 失敗 with that reason.
    """

    index: int  #: 1-based position among the records of the source
    location: str  #: where a person finds it, e.g. "申請一覧!5" (sheet and row)
    raw: dict[str, Any]
    values: dict[str, Any]
    error: str | None = None
    notes: list[str] = field(default_factory=list)  #: non-fatal fixes, e.g. a restored leading zero
    #: With ``error``: the record needs a person (要確認, e.g. a doubtful OCR field), not a fix of the input.
    review: bool = False

    def key_text(self, key: tuple[str, ...]) -> str:
        """The record's key as people read it (``山田太郎・1975-04-01``), else its location."""
        if not key:
            return self.location
        parts = [self.values.get(name) for name in key]
        if any(part is None or part == "" for part in parts):
            return self.location
        return "・".join(part.isoformat() if hasattr(part, "isoformat") else str(part) for part in parts if part is not None)

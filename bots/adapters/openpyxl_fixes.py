"""One correction to openpyxl (3.1), applied when the Excel reader is imported.

Opening a workbook read-only makes openpyxl look for each sheet's ``<dimension>`` element with
``WorkSheetParser.parse_dimensions``, which is meant to give up at ``<sheetData>`` — but it
listens for *end* events, and the end of ``<sheetData>`` is the end of every row. A sheet
written without ``<dimension>`` (openpyxl's own streaming writer, some export tools) is so parsed
in full before the first row can be read: 14 s for 100,000 rows on a runner PC, and for every
such sheet of the workbook. Listening for *start* events gives the same answer at once.

The replacement returns exactly what the original does (the sheet's boundaries, or None), so
it is safe for every reader of openpyxl in the process. Applied only when openpyxl still has
the method it replaces; drop this module once openpyxl stops at ``<sheetData>`` itself.
"""

from __future__ import annotations

from typing import Any

from openpyxl.worksheet import _reader
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.xml.functions import iterparse


def _parse_dimensions(self: Any) -> tuple[int, int, int, int] | None:
    """The sheet's stored boundaries, or None when it stores none: stops at the start of the cells."""
    for _event, element in iterparse(self.source, events=("start",)):
        if element.tag == _reader.DIMENSION_TAG:
            boundaries: tuple[int, int, int, int] = SheetDimension.from_tree(element).boundaries
            return boundaries
        if element.tag == _reader.DATA_TAG:
            return None
    return None


def apply() -> None:
    """Install the correction (idempotent)."""
    parser = getattr(_reader, "WorkSheetParser", None)
    if parser is not None and hasattr(parser, "parse_dimensions") and hasattr(_reader, "DATA_TAG"):
        parser.parse_dimensions = _parse_dimensions

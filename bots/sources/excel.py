"""Excel rows as a record source: the typed rows of one sheet under its header row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bots.errors import InputFileError
from bots.flow import expressions
from bots.flow.model import ExcelRecords
from bots.i18n import tr
from bots.sources.base import OpenedSource


def open_excel(spec: ExcelRecords, namespace: dict[str, Any], selectors_root: Path) -> OpenedSource:
    """Open the workbook the flow names (``records.file``, an expression) and check its header;
    the rows stream from there."""
    rendered = expressions.render(spec.file, namespace)
    if rendered is None or str(rendered).strip() == "":
        raise InputFileError(tr("入力ファイルが指定されていません", "no input file given"))
    path = Path(str(rendered))
    # lazy: openpyxl (and numpy under it) loads when a run opens its input, not for validate.
    from bots.adapters.excel_reader import read_records

    reader = read_records(path, sheet=spec.sheet, header_row=spec.header_row, columns=spec.columns)
    # Streamed: no count up front (a full pass over a long list would hold up the first record).
    return OpenedSource(path, list(reader.headers), None, iter(reader), estimate=reader.estimate,
                        on_close=reader.close)

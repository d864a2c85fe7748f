"""A report table as a one-sheet workbook: the 管理台帳 and the health report for the 情報政策係."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from bots.audit.report_tables import Grid
from bots.audit.report_xlsx import write_grid


def write_grid_workbook(path: Path, sheet_title: str, grid: Grid, heading: str | None = None) -> Path:
    """``grid`` on one sheet; with a ``heading`` in A1, the table starts on row 3."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = sheet_title
    if heading:
        sheet["A1"] = heading
    write_grid(sheet, grid, top=3 if heading else 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path

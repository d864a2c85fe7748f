"""The review workbook: forms the bot would not key, for a person to check and correct.

One row per form on sheet ``要確認``: the file, every field's value as read (editable), and the
doubtful fields with their reasons; sheet ``欄ごと`` lists each doubtful field with the value
read, the reason and a link to the field's image. A page that was not read as a form at all
(unreadable file, blank, wrong size, another document) has a row too, its fields empty for staff
to fill from the page, its reason, its page number and a link to the page's image (none when the
file gave no image): every scan of a batch is keyed or listed here. ``runner.py review import``
turns the corrected workbook into an Excel list in the keying flow's columns (sheet ``申請一覧``),
the input of a follow-up run; rows staff left empty are skipped. It holds personal data by nature (like the scans and the Excel
list), so it is written beside the scans, never into the logs.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill

from bots.errors import InputFileError
from bots.i18n import tr
from bots.ocr.results import FormResult
from bots.records import openpyxl_errors

SHEET, FIELDS_SHEET, LIST_SHEET = "要確認", "欄ごと", "申請一覧"
FILE_COLUMN, DONE_COLUMN, REASONS_COLUMN = "ファイル", "確認済み", "確認が必要な欄"
#: After the reasons, so ``import_review`` (which takes the columns between 確認済み and the
#: reasons) never mistakes them for form fields.
PAGE_COLUMN, IMAGE_COLUMN = "ページ", "ページの画像"
_DOUBT_FILL = PatternFill("solid", fgColor="FFEB9C")


def _text(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    return value


def save_atomically(book: Workbook, path: Path) -> None:
    """Atomic: a crash leaves the previous file or the new one, never half of one (also the
    review export of any run, ``bots/cli/review_export.py``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=".~", suffix=".xlsx", dir=path.parent)
    os.close(handle)
    try:
        book.save(temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_review(path: Path, columns: Sequence[str], forms: Iterable[FormResult]) -> int:
    """Write the review workbook for the forms that need a person; returns how many rows."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    header = [FILE_COLUMN, DONE_COLUMN, *columns, REASONS_COLUMN, PAGE_COLUMN, IMAGE_COLUMN]
    sheet.append(header)
    fields_sheet = book.create_sheet(FIELDS_SHEET)
    fields_sheet.append([FILE_COLUMN, "欄", "読み取った値", "理由", "画像"])
    for cell in (*sheet[1], *fields_sheet[1]):
        cell.font = Font(bold=True)
    rows = 0
    for form in forms:
        if form.status != "review":
            continue
        rows += 1
        doubts = form.doubts()
        reasons = form.reason or "\n".join(f"{name}: {'；'.join(r.problems)}" for name, r in doubts.items())
        sheet.append([str(form.file) if form.page == 1 else f"{form.file}#{form.page}", "",
                      *[_text(form.fields[c].value) if c in form.fields else None for c in columns], reasons,
                      form.page, str(form.image) if form.image else None])
        row = sheet.max_row
        for offset, name in enumerate(columns, start=3):
            cell = sheet.cell(row=row, column=offset)
            cell.number_format = "@"
            if name in doubts or form.page_doubt is not None:  # a page not read: every field by hand
                cell.fill = _DOUBT_FILL
        sheet.cell(row=row, column=len(columns) + 3).alignment = Alignment(wrap_text=True, vertical="top")
        if form.image:
            _link(sheet.cell(row=row, column=len(header)), form.image)
        for name, reading in doubts.items():
            fields_sheet.append([form.location, name, reading.raw, "；".join(reading.problems),
                                 str(reading.crop) if reading.crop else ""])
            if reading.crop:
                _link(fields_sheet.cell(row=fields_sheet.max_row, column=5), reading.crop)
    widths = [40, 10] + [18] * len(columns) + [60, 8, 60]
    for ws, each in ((sheet, widths), (fields_sheet, [30, 12, 24, 50, 60])):
        for index, width in enumerate(each, start=1):
            ws.column_dimensions[ws.cell(row=1, column=index).column_letter].width = width
    sheet.freeze_panes = "C2"
    save_atomically(book, path)
    return rows


def _link(cell: Any, image: Path) -> None:
    """A cell that opens ``image`` when clicked."""
    cell.hyperlink = image.resolve().as_uri()
    cell.style = "Hyperlink"


def import_review(path: Path, out: Path | None = None, *, only_confirmed: bool = False,
                  columns_out: Sequence[str] | None = None) -> tuple[Path, int]:
    """Corrected review workbook → an Excel list (sheet 申請一覧) for a follow-up run.

    ``columns_out``: the follow-up flow's columns, in its order (those the forms lack stay empty);
    default: the review's own. Rows whose 確認済み column is empty are skipped when
    ``only_confirmed``. Returns the list's path and how many rows it holds."""
    with openpyxl_errors.edge(path):
        book = load_workbook(path, read_only=True, data_only=True)
    try:
        if SHEET not in book.sheetnames:
            raise InputFileError(tr("シート「{s}」がありません。Kazaguruma のレビューファイルですか: {p}",
                                    "no sheet '{s}': is this a Kazaguruma review workbook? {p}", s=SHEET, p=path))
        with openpyxl_errors.edge(path, sheet=SHEET):  # damaged sheet XML surfaces only while streaming
            rows = list(book[SHEET].iter_rows(values_only=True))
    finally:
        book.close()
    header = [str(h) if h is not None else "" for h in rows[0]] if rows else []
    if FILE_COLUMN not in header or REASONS_COLUMN not in header:
        raise InputFileError(tr("レビューファイルの見出しが変更されています: {p}", "the review workbook's header was changed: {p}",
                                p=path))
    columns = header[header.index(DONE_COLUMN) + 1:header.index(REASONS_COLUMN)]
    out = out or path.with_name(f"{path.stem}_修正済み.xlsx")
    listing = Workbook()
    sheet = listing.active
    assert sheet is not None
    sheet.title = LIST_SHEET
    header_out = list(columns_out or columns)
    sheet.append(header_out)
    count = 0
    for row in rows[1:]:
        values = dict(zip(header, row, strict=False))
        if not any(values.get(c) not in (None, "") for c in columns):
            continue
        if only_confirmed and values.get(DONE_COLUMN) in (None, ""):
            continue
        sheet.append(["" if values.get(c) is None else str(values.get(c)) for c in header_out])
        count += 1
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            cell.number_format = "@"  # 郵便番号・電話番号・個人番号 keep their leading zeros
    save_atomically(listing, out)
    return out, count

"""Read an Excel list of applications as :class:`SourceRecord` objects, refusing bad files up front.

Everything that makes the *whole file* unusable (missing, not .xlsx, open in Excel, wrong
sheet — checked in :mod:`bots.adapters.excel_open` —, missing columns, no data) raises
:class:`InputFileError` from :func:`read_records`, before the first record is keyed. Problems of
*one row* never raise: they land in ``SourceRecord.error`` so that row goes to 失敗 and the run
goes on. Sheet XML damaged further down shows only when the rows get there (they stream): an
:class:`InputFileError` from the iteration, which ends the run there (resumable).

Decisions:

* A ``~$name.xlsx`` lock file next to the input is a refusal, not a warning: the list may
  be mid-edit. (A stale lock left by a crashed Excel must be deleted by hand.)
* Headers lose all whitespace (``氏　名`` and ``生年\\n月日`` match ``氏名``/``生年月日``):
  Japanese forms pad headers with spaces for alignment.
* Records stream: opening reads the header, the first data row (a header-only sheet is refused
  up front) and a fast byte scan of the sheet (merged ranges are stored after the cells), not the
  rows — the first record of a 100,000-row list is handed out within seconds. ``estimate`` (the
  sheet's stored dimension) is for progress displays; ``total`` is exact but costs a full pass,
  so the engine never asks for it (it counts the records as they come).
* Merged ranges below the header are filled with their top-left value, with a note. A row
  whose only content comes from a merge is empty. Read-only worksheets do not expose merges,
  so they are read from the sheet XML (:mod:`bots.adapters.xlsx_stream`), which also finds
  formulas saved without a result (``<f>`` with no ``<v>``: a workbook written by a library,
  never opened in Excel), row by row as the records are read.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from openpyxl.utils import get_column_letter

from bots.adapters.excel_open import did_you_mean, join_names, open_workbook_checked
from bots.adapters.xlsx_stream import outline_sheet, uncached_formulas
from bots.errors import InputFileError
from bots.i18n import tr
from bots.records import openpyxl_errors
from bots.records.coerce import coerce_value, zero_padded_width
from bots.records.model import ColumnSpec, SourceRecord

_PLAIN = ColumnSpec()
_Box = tuple[int, int, int, int]  #: a merged range: min_col, min_row, max_col, max_row


@dataclass(frozen=True)
class _Cell:
    value: Any
    number_format: str | None
    uncached: bool  #: a formula whose result was never saved

    @property
    def blank(self) -> bool:
        return not self.uncached and (self.value is None or (isinstance(self.value, str) and not self.value.strip()))



def read_records(
    path: Path, *, sheet: str | None = None, header_row: int = 1, columns: dict[str, ColumnSpec]
) -> RecordReader:
    """Check the file, sheet and header now; return a reader that streams the records."""
    if header_row < 1:
        raise ValueError("header_row is 1-based")
    wb, ws = open_workbook_checked(path, sheet)
    try:
        return RecordReader(path, wb, ws, header_row, columns)
    except Exception:
        wb.close()
        raise


class RecordReader:
    """The records of one sheet, streamed; use as a context manager or call :meth:`close`."""

    def __init__(self, path: Path, wb: Any, ws: Any, header_row: int, columns: dict[str, ColumnSpec]) -> None:
        self.path, self.sheet, self.header_row = path, str(ws.title), header_row
        self._wb, self._columns = wb, columns
        self.headers: list[str] = self._read_headers(ws)
        self._labels = {name: _clean_header(spec.header or name) for name, spec in columns.items()}
        self._check_declared()
        stored = getattr(ws, "stored_max_row", None)
        #: About how many data rows (the stored dimension, trailing blank rows included); progress only.
        self.estimate: int | None = stored - header_row if stored and stored > header_row else None
        self._total: int | None = None
        with openpyxl_errors.edge(path, sheet=self.sheet):
            self._outline = outline_sheet(path, self.sheet)
        self._check_not_empty()
        self._merges_by_row: dict[int, list[_Box]] = {}  # rows x merges would be slow on merge-heavy sheets
        for box in self._outline.merges:
            if box[1] > header_row and box[0] <= len(self.headers):
                for row in range(box[1], box[3] + 1):
                    self._merges_by_row.setdefault(row, []).append(box)

    @property
    def total(self) -> int:
        """The exact number of records: a full pass over the sheet on first use (see the module docstring)."""
        if self._total is None:
            rows = self._rows()
            try:
                self._total = sum(1 for _ in rows)
            finally:
                rows.close()
        return self._total

    def __iter__(self) -> Iterator[SourceRecord]:
        index = {label: i for i, label in enumerate(self.headers)}
        anchors: dict[_Box, _Cell] = {}
        rows = self._rows()
        count = 0
        try:
            for count, (row, cells) in enumerate(rows, start=1):
                filled = self._fill_merges(row, cells, anchors)
                yield self._record(count, row, cells, filled, index)
            self._total = count if self._total is None else self._total
        finally:
            rows.close()

    def close(self) -> None:
        """Release the workbook: a read-only workbook keeps the file open (locked, on Windows) until then."""
        self._wb.close()

    def __enter__(self) -> RecordReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _read_headers(self, ws: Any) -> list[str]:
        first = next(ws.iter_rows(min_row=self.header_row, max_row=self.header_row, values_only=True), ())
        names = [_clean_header(value) for value in first]
        while names and not names[-1]:
            names.pop()
        if not names:
            raise InputFileError(
                tr(
                    "見出し行がありません（{r}行目が空です）: {p}（シート「{s}」）",
                    'no header row (row {r} is empty): {p} (sheet "{s}")',
                    r=self.header_row,
                    p=self.path,
                    s=self.sheet,
                )
            )
        names = [name or f"{get_column_letter(i + 1)}列" for i, name in enumerate(names)]
        seen: dict[str, str] = {}
        for i, name in enumerate(names):
            if name in seen:
                raise InputFileError(
                    tr(
                        "見出しが重複しています: {n}（{a}列と{b}列）: {p}",
                        "duplicate header: {n} (columns {a} and {b}): {p}",
                        n=name,
                        a=seen[name],
                        b=get_column_letter(i + 1),
                        p=self.path,
                    )
                )
            seen[name] = get_column_letter(i + 1)
        return names

    def _check_not_empty(self) -> None:
        """Refuse a header-only sheet now, reading up to the first data row only."""
        rows = self._rows()
        try:
            first = next(rows, None)
        finally:
            rows.close()
        if first is None:
            self._total = 0
            raise InputFileError(
                tr(
                    "データ行がありません（見出し行のみです）: {p}（シート「{s}」）",
                    'no data rows (only the header row): {p} (sheet "{s}")',
                    p=self.path,
                    s=self.sheet,
                )
            )

    def _check_declared(self) -> None:
        missing = []
        for label in self._labels.values():
            if label not in self.headers:
                close = difflib.get_close_matches(label, self.headers, n=1, cutoff=0.5)
                missing.append(label + (did_you_mean(close[0]) if close else ""))
        if missing:
            raise InputFileError(
                tr(
                    "見出しに必要な列がありません: {m}。{r}行目の見出し: {h}: {p}",
                    "required columns are missing from the header: {m}. Headers in row {r}: {h}: {p}",
                    m=join_names(missing),
                    r=self.header_row,
                    h=join_names(self.headers),
                    p=self.path,
                )
            )

    def _rows(self) -> Generator[tuple[int, list[_Cell]], None, None]:
        """Non-empty data rows as (row number, cells), before merge filling; streamed, with the
        formulas saved without a result found in step (only on sheets that have formulas). Damaged
        sheet XML surfaces only here, as the rows are read: an InputFileError like at open time."""
        width = len(self.headers)
        rows = self._wb[self.sheet].iter_rows(min_row=self.header_row + 1, max_col=width)
        formulas = uncached_formulas(self.path, self.sheet) if self._outline.has_formulas else iter(())
        try:
            with openpyxl_errors.edge(self.path, sheet=self.sheet):
                yield from self._cells(rows, formulas, width)
        finally:
            for stream in (rows, formulas):  # release the zip members now, not at garbage collection
                close = getattr(stream, "close", None)
                if close is not None:
                    close()

    def _cells(self, rows: Iterator[Any], formulas: Iterator[tuple[int, frozenset[int]]],
               width: int) -> Iterator[tuple[int, list[_Cell]]]:
        pending = next(formulas, None)
        for row, raw in enumerate(rows, start=self.header_row + 1):
            while pending is not None and pending[0] < row:
                pending = next(formulas, None)
            uncached = pending[1] if pending is not None and pending[0] == row else frozenset()
            cells = [_Cell(c.value, c.number_format, col in uncached) for col, c in enumerate(raw, start=1)]
            cells += [_Cell(None, None, False)] * (width - len(cells))
            if not all(cell.blank for cell in cells):
                yield row, cells

    def _fill_merges(self, row: int, cells: list[_Cell], anchors: dict[_Box, _Cell]) -> list[str]:
        filled = []
        for box in self._merges_by_row.get(row, ()):
            min_col, min_row, max_col, _ = box
            if row == min_row:
                anchors[box] = cells[min_col - 1]
            anchor = anchors.get(box)
            for col in range(min_col, min(max_col, len(cells)) + 1):
                if anchor is not None and (row, col) != (min_row, min_col) and not anchor.blank:
                    cells[col - 1] = anchor
                    filled.append(self.headers[col - 1])
        return filled

    def _record(self, count: int, row: int, cells: list[_Cell], filled: list[str], index: dict[str, int]) -> SourceRecord:
        errors: list[str] = []
        notes: list[str] = []
        uncached = [h for h, cell in zip(self.headers, cells, strict=True) if cell.uncached]
        if uncached:
            errors.append(
                tr(
                    "数式の計算結果が保存されていません（列: {c}）。Excelで開いて保存し直してください",
                    "formula results are not saved (columns: {c}). Open the file in Excel and save it again",
                    c=join_names(uncached),
                )
            )
        values: dict[str, Any] = {}
        for name, spec in self._columns.items():
            label = self._labels[name]
            cell = cells[index[label]]
            values[name] = None
            if cell.uncached:
                continue
            try:
                values[name], fixes = coerce_value(cell.value, spec, cell.number_format)
            except ValueError as exc:
                errors.append(f"{label}: {exc}")
                continue
            notes += [f"{label}: {fix}" for fix in fixes]
        declared = set(self._labels.values())
        for header, cell in zip(self.headers, cells, strict=True):
            if header not in declared and header not in values:
                values[header] = None if cell.uncached else coerce_value(cell.value, _PLAIN)[0]
        if filled:
            notes.append(
                tr(
                    "結合セルの値を補いました（列: {c}）",
                    "filled in values from merged cells (columns: {c})",
                    c=join_names(dict.fromkeys(filled)),
                )
            )
        raw = {header: _displayed(cell) for header, cell in zip(self.headers, cells, strict=True)}
        return SourceRecord(
            index=count, location=f"{self.sheet}!{row}", raw=raw, values=values,
            error=" / ".join(errors) or None, notes=notes,
        )  # fmt: skip


def _clean_header(value: object) -> str:
    return "" if value is None else re.sub(r"\s+", "", str(coerce_value(value, _PLAIN)[0] or ""))


def _displayed(cell: _Cell) -> Any:
    """What Excel shows: a number in a ``0000000`` format keeps its zeros."""
    width = zero_padded_width(cell.number_format)
    if width and isinstance(cell.value, int) and not isinstance(cell.value, bool) and cell.value >= 0:
        return str(cell.value).zfill(width)
    return cell.value

"""Read an Excel list of applications as :class:`SourceRecord` objects, refusing bad files up front.

Everything that makes the *whole file* unusable (missing, not .xlsx, open in Excel, wrong
sheet, missing columns, no data) raises :class:`InputFileError` from :func:`read_records`,
before the first record is keyed. Problems of *one row* never raise: they land in
``SourceRecord.error`` so that row goes to 失敗 and the run goes on.

Decisions:

* A ``~$name.xlsx`` lock file next to the input is a refusal, not a warning: the list may
  be mid-edit. (A stale lock left by a crashed Excel must be deleted by hand.)
* Headers lose all whitespace (``氏　名`` and ``生年\\n月日`` match ``氏名``/``生年月日``):
  Japanese forms pad headers with spaces for alignment.
* ``total`` is exact: a counting pass runs at open time (about 1 s per 10,000 rows, nothing
  next to keying at ~4 records/s), and it is also what refuses a header-only sheet.
* Merged ranges below the header are filled with their top-left value, with a note. A row
  whose only content comes from a merge is empty. Read-only worksheets do not expose merges,
  so they are read from the sheet XML, in the same pass that finds formulas saved without a
  result (``<f>`` with no ``<v>``: a workbook written by a library, never opened in Excel).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from bots.adapters.xlsx_parts import scan_sheet
from bots.errors import InputFileError
from bots.i18n import tr
from bots.records import openpyxl_errors
from bots.records.coerce import coerce_value, zero_padded_width
from bots.records.model import ColumnSpec, SourceRecord

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx
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



def check_input_file(path: Path) -> None:
    """Refuse, naming the file, what is missing, locked, unreadable or not an .xlsx at all."""
    if not path.exists():
        raise InputFileError(tr("入力ファイルが見つかりません: {p}", "input file not found: {p}", p=path))
    if not path.is_file():
        raise InputFileError(
            tr(
                "入力ファイルではありません（フォルダです）: {p}",
                "not an input file (it is a folder): {p}",
                p=path,
            )
        )
    if path.name.startswith("~$"):
        raise InputFileError(
            tr(
                "Excelのロックファイルは入力にできません: {p}",
                "an Excel lock file cannot be the input: {p}",
                p=path,
            )
        )
    lock = path.with_name("~$" + path.name)
    if lock.exists():
        raise InputFileError(
            tr(
                "Excelで開かれています（{lock} があります）。編集中の可能性があるため処理しません。"
                "Excelを閉じてから実行してください（閉じても残る場合はそのファイルを削除してください）: {p}",
                "the file is open in Excel ({lock} exists) and may be mid-edit, so it is not processed. "
                "Close Excel and run again (if the lock file remains after closing, delete it): {p}",
                lock=lock.name,
                p=path,
            )
        )
    try:
        with path.open("rb") as src:
            head = src.read(8)
    except OSError as exc:
        raise openpyxl_errors.translate(exc, path) from exc
    if head.startswith(_OLE_MAGIC):
        raise InputFileError(
            tr(
                "古い形式（.xls）か、パスワード付きのExcelファイルです。パスワードを外し"
                "「Excelブック（.xlsx）」形式で保存し直してください: {p}",
                "this is an old-format (.xls) or password-protected Excel file. Remove the password "
                'and save it again as "Excel Workbook (.xlsx)": {p}',
                p=path,
            )
        )
    if not head.startswith(_ZIP_MAGIC):
        csv = path.suffix.lower() in (".csv", ".txt") or b"," in head
        hint = tr("CSVファイルは読めません。", "CSV files cannot be read. ") if csv else ""
        raise InputFileError(
            tr(
                "Excelファイル（.xlsx）ではありません。{hint}"
                "Excelで開き「Excelブック（.xlsx）」形式で保存し直してください: {p}",
                "not an Excel file (.xlsx). {hint}"
                'Open it in Excel and save it as "Excel Workbook (.xlsx)": {p}',
                hint=hint,
                p=path,
            )
        )
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        suffix = path.suffix or tr("拡張子なし", "none")
        raise InputFileError(
            tr(
                "拡張子が .xlsx ではありません（{s}）: {p}",
                "the file extension is not .xlsx ({s}): {p}",
                s=suffix,
                p=path,
            )
        )


def open_workbook_checked(path: Path, sheet: str | None) -> tuple[Any, Any]:
    """Open a read-only, cached-values workbook and its sheet (the first one when ``sheet`` is None)."""
    check_input_file(path)
    with openpyxl_errors.edge(path):
        wb = load_workbook(str(path), read_only=True, data_only=True)
    titles = [ws.title for ws in wb.worksheets]
    if sheet is None and titles:
        sheet = titles[0]
    if sheet not in titles:
        wb.close()
        close = difflib.get_close_matches(sheet or "", titles, n=1)
        hint = _did_you_mean(close[0]) if close else ""
        raise InputFileError(
            tr(
                "シート「{s}」がありません{hint}。このファイルのシート: {titles}: {p}",
                'there is no sheet "{s}"{hint}. Sheets in this file: {titles}: {p}',
                s=sheet,
                hint=hint,
                titles=_join(titles),
                p=path,
            )
        )
    ws = wb[sheet]
    ws.reset_dimensions()  # the stored <dimension> can be wrong (some generators write "A1"): read what is there
    return wb, ws


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
        with openpyxl_errors.edge(path, sheet=self.sheet):  # damaged sheet XML surfaces only while streaming
            self._scan = scan_sheet(path, self.sheet)
            self.total: int | None = sum(1 for _ in self._rows())
        self._merges_by_row: dict[int, list[_Box]] = {}  # rows x merges would be slow on merge-heavy sheets
        for box in self._scan.merges:
            if box[1] > header_row and box[0] <= len(self.headers):
                for row in range(box[1], box[3] + 1):
                    self._merges_by_row.setdefault(row, []).append(box)
        if self.total == 0:
            raise InputFileError(
                tr(
                    "データ行がありません（見出し行のみです）: {p}（シート「{s}」）",
                    'no data rows (only the header row): {p} (sheet "{s}")',
                    p=path,
                    s=self.sheet,
                )
            )

    def __iter__(self) -> Iterator[SourceRecord]:
        index = {label: i for i, label in enumerate(self.headers)}
        anchors: dict[_Box, _Cell] = {}
        for count, (row, cells) in enumerate(self._rows(), start=1):
            filled = self._fill_merges(row, cells, anchors)
            yield self._record(count, row, cells, filled, index)

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

    def _check_declared(self) -> None:
        missing = []
        for label in self._labels.values():
            if label not in self.headers:
                close = difflib.get_close_matches(label, self.headers, n=1, cutoff=0.5)
                missing.append(label + (_did_you_mean(close[0]) if close else ""))
        if missing:
            raise InputFileError(
                tr(
                    "見出しに必要な列がありません: {m}。{r}行目の見出し: {h}: {p}",
                    "required columns are missing from the header: {m}. Headers in row {r}: {h}: {p}",
                    m=_join(missing),
                    r=self.header_row,
                    h=_join(self.headers),
                    p=self.path,
                )
            )

    def _rows(self) -> Iterator[tuple[int, list[_Cell]]]:
        """Non-empty data rows as (row number, cells), before merge filling."""
        width, uncached = len(self.headers), self._scan.uncached
        rows = self._wb[self.sheet].iter_rows(min_row=self.header_row + 1, max_col=width)
        for row, raw in enumerate(rows, start=self.header_row + 1):
            cells = [_Cell(c.value, c.number_format, (row, col) in uncached) for col, c in enumerate(raw, start=1)]
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
                    c=_join(uncached),
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
                    c=_join(dict.fromkeys(filled)),
                )
            )
        raw = {header: _displayed(cell) for header, cell in zip(self.headers, cells, strict=True)}
        return SourceRecord(
            index=count, location=f"{self.sheet}!{row}", raw=raw, values=values,
            error=" / ".join(errors) or None, notes=notes,
        )  # fmt: skip


def _did_you_mean(name: str) -> str:
    return tr("（もしかして「{n}」？）", ' (did you mean "{n}"?)', n=name)


def _join(names: Iterable[str]) -> str:
    """A list of names as people read it: 氏名、住所 / 氏名, 住所."""
    return tr("、", ", ").join(names)


def _clean_header(value: object) -> str:
    return "" if value is None else re.sub(r"\s+", "", str(coerce_value(value, _PLAIN)[0] or ""))


def _displayed(cell: _Cell) -> Any:
    """What Excel shows: a number in a ``0000000`` format keeps its zeros."""
    width = zero_padded_width(cell.number_format)
    if width and isinstance(cell.value, int) and not isinstance(cell.value, bool) and cell.value >= 0:
        return str(cell.value).zfill(width)
    return cell.value

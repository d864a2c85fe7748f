"""The results workbook staff open after a run: every input row, what happened, and why.

It is never written over the input list (a run must be repeatable from the same input), and
it is saved atomically (temp file in the same folder, then ``os.replace``), so a crash or a
power cut leaves either the previous results or the new ones, never half a workbook. Call
:meth:`ResultsWorkbook.save` as often as you like (e.g. every N records) for progress.

Strings are written as text cells (format ``@``) so 郵便番号 ``0600000``, 電話番号 and 受付番号
keep their leading zeros when staff edit them, and a value starting with ``=`` stays text
instead of becoming a formula (citizen data must never execute in Excel).

Statuses arrive as :class:`~bots.results.model.Status` and are put into words (成功 / succeeded)
only here, when written, in the language of the run: nothing parses displayed text.

The input's columns are headed as the input heads them (``First Name``, ``氏　名``): the reader
matches headers with their whitespace removed (``FirstName``), which is how records are keyed,
not how staff wrote them (:func:`header_labels` finds the header text again).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bots.errors import FlowError, RunAborted
from bots.i18n import tr
from bots.results.model import Status

#: The statuses the 概要 sheet counts, in this order (others are counted when they occur).
STATUSES = (Status.PASS, Status.FAIL, Status.REVIEW, Status.NOT_RUN)
# Excel's own 良い / 悪い / どちらでもない cell styles, so the colours look familiar.
_STATUS_STYLE = {
    Status.PASS: ("C6EFCE", "006100"),
    Status.FAIL: ("FFC7CE", "9C0006"),
    Status.REVIEW: ("FFEB9C", "9C5700"),
}
_MIN_WIDTH, _MAX_WIDTH = 6, 60


def status_column() -> str:
    """The heading of the status column, in the run's language."""
    return tr("状態", "status")


def error_column() -> str:
    """The heading of the error column, in the run's language."""
    return tr("エラー内容", "error")


def time_column() -> str:
    """The heading of the processed-at column, in the run's language."""
    return tr("処理日時", "processed at")


class ResultsWorkbook:
    """Collects one row per record and writes 結果 and 概要 sheets on :meth:`save`."""

    def __init__(
        self,
        path: Path,
        input_headers: Iterable[str],
        output_names: Iterable[str],
        *,
        input_path: Path,
        text_columns: Iterable[str] = (),
        labels: Mapping[str, str] | None = None,
    ) -> None:
        """``text_columns`` are also written as text when a value is a number (e.g. a 受付番号 read as int);
        ``labels`` heads an input column (values are looked up by its header) with other text:
        the header as the input wrote it (see :func:`header_labels`)."""
        if _same_file(path, input_path):
            raise FlowError(
                tr(
                    "結果ファイルの保存先が入力ファイルと同じです。入力ファイルは上書きしません: {p}",
                    "the results file would be saved over the input file; the input file is never overwritten: {p}",
                    p=path,
                )
            )
        self.path = path
        self.input_path = input_path
        self.input_headers = list(input_headers)
        self.output_names = list(output_names)
        self._text = set(text_columns) | set(self.output_names)
        shown = [(labels or {}).get(header, header) for header in self.input_headers]
        taken = set(self.input_headers) | set(shown)
        self._status_col, self._error_col, self._time_col = (
            _unique(name, taken) for name in (status_column(), error_column(), time_column())
        )
        self._output_cols = [_unique(name, taken) for name in self.output_names]
        self.columns = [*shown, self._status_col, *self._output_cols, self._error_col, self._time_col]
        self.notes: list[str] = []
        self.run_outputs: dict[str, Any] = {}
        self._wb = Workbook()
        self._ws = self._wb.active
        self._ws.title = tr("結果", "results")
        self._ws.append(self.columns)
        for cell in self._ws[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        self._ws.freeze_panes = "A2"
        self._widths = [_display_width(name) for name in self.columns]
        self.counts: Counter[Status] = Counter()
        self._last_row = 1  # counted here: openpyxl's max_row scans every cell, quadratic over a long run

    def add(
        self,
        raw: Mapping[str, Any],
        status: Status,
        outputs: Mapping[str, Any],
        error: str | None,
        processed_at: dt.datetime | None,
    ) -> None:
        """Append one record's row. ``processed_at`` is None for 未処理 records."""
        if not isinstance(status, Status):  # a word (成功, succeeded) would be parsing display text
            raise TypeError(f"status must be a Status, not {status!r}")
        text_columns = [*(h in self._text for h in self.input_headers), False]
        text_columns += [True] * len(self.output_names) + [False, False]
        values = [*(raw.get(h) for h in self.input_headers), status.label()]
        values += [outputs.get(name) for name in self.output_names]
        values += [error, processed_at]
        self._last_row += 1
        row = self._last_row
        for col, (as_text, value) in enumerate(zip(text_columns, values, strict=True), start=1):
            cell = self._ws.cell(row=row, column=col)
            self._write(cell, value, as_text=as_text)
            self._widths[col - 1] = max(self._widths[col - 1], _display_width(_shown(value)))
        status_cell = self._ws.cell(row=row, column=len(self.input_headers) + 1)
        if status in _STATUS_STYLE:
            fill, font = _STATUS_STYLE[status]
            status_cell.fill = PatternFill("solid", fgColor=fill)
            status_cell.font = Font(color=font, bold=True)
        self._ws.cell(row=row, column=len(self.columns) - 1).alignment = Alignment(wrap_text=True, vertical="top")
        self.counts[status] += 1

    def run_results(self, values: Mapping[str, Any]) -> None:
        """The run's own results (the flow's ``run_outputs``: a total read after the last record),
        written as name/value rows on the 実行結果 sheet; no sheet when there are none."""
        self.run_outputs = dict(values)

    def note(self, text: str) -> None:
        """A line for the 概要 sheet that staff must read (e.g. rows never read after a stop)."""
        self.notes.append(text)

    def save(self) -> Path:
        """Write 結果 and 概要 to a temp file beside ``path``, then atomically replace ``path``."""
        for col, width in enumerate(self._widths, start=1):
            self._ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH)
        if self._last_row > 1:
            self._ws.auto_filter.ref = f"A1:{get_column_letter(len(self.columns))}{self._last_row}"
        self._write_summary()
        self._write_run_results()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=".tmp.xlsx", dir=self.path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            self._wb.save(tmp)
            with tmp.open("r+b") as written:  # the bytes are on disk before the rename makes them visible
                os.fsync(written.fileno())
            os.replace(tmp, self.path)
        except PermissionError as exc:
            raise RunAborted(
                tr(
                    "結果ファイルを保存できません（Excelで開かれているか、権限がありません）: {p}",
                    "cannot save the results file (it is open in Excel, or permission is denied): {p}",
                    p=self.path,
                )
            ) from exc
        except OSError as exc:
            raise RunAborted(
                tr(
                    "結果ファイルを保存できません（{r}）: {p}",
                    "cannot save the results file ({r}): {p}",
                    r=exc.strerror or exc,
                    p=self.path,
                )
            ) from exc
        finally:
            tmp.unlink(missing_ok=True)
        return self.path

    def _write(self, cell: Any, value: Any, *, as_text: bool) -> None:
        if isinstance(value, dt.datetime):
            cell.value = value.replace(tzinfo=None)  # Excel has no time zones; keep the wall-clock time
            cell.number_format = "yyyy/mm/dd hh:mm:ss"
        elif isinstance(value, dt.date):
            cell.value = value
            cell.number_format = "yyyy/mm/dd"
        elif isinstance(value, str) or (as_text and value is not None and not isinstance(value, bool)):
            cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(value))  # control characters would corrupt the file
            cell.data_type = "s"  # never a formula, even when it starts with "="
            cell.number_format = "@"
        else:
            cell.value = value

    def _write_summary(self) -> None:
        title = tr("概要", "summary")
        if title in self._wb.sheetnames:
            del self._wb[title]
        ws = self._wb.create_sheet(title)
        ws.append([tr("項目", "item"), tr("件数", "count")])
        shown = [*STATUSES, *(s for s in Status if s not in STATUSES and self.counts[s])]
        for status in shown:
            ws.append([status.label(), self.counts[status]])
        ws.append([tr("合計", "total"), sum(self.counts.values())])
        total_row = ws.max_row
        ws.append([])
        ws.append([tr("入力ファイル", "input file"), str(self.input_path)])
        ws.append([tr("作成日時", "created at"), dt.datetime.now().replace(microsecond=0)])
        ws.cell(row=ws.max_row, column=2).number_format = "yyyy/mm/dd hh:mm:ss"
        for text in self.notes:
            ws.append([tr("注意", "note"), text])
            ws.cell(row=ws.max_row, column=2).font = Font(bold=True, color="9C0006")
        for cell in (*ws[1], ws.cell(row=total_row, column=1)):
            cell.font = Font(bold=True)
        ws.column_dimensions["A"].width = 14
        ws.column_dimensions["B"].width = min(max(_display_width(str(self.input_path)) + 2, 20), 80)

    def _write_run_results(self) -> None:
        title = run_results_sheet()
        if title in self._wb.sheetnames:
            del self._wb[title]
        if not self.run_outputs:
            return
        ws = self._wb.create_sheet(title)
        ws.append([tr("項目", "item"), tr("値", "value")])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row, (name, value) in enumerate(self.run_outputs.items(), start=2):
            self._write(ws.cell(row=row, column=1), str(name), as_text=True)
            # Numbers stay numbers (a total can be summed); anything else (a list, a decimal) as text.
            self._write(ws.cell(row=row, column=2), value, as_text=not isinstance(value, int | float))
        names = max(_display_width(str(name)) for name in self.run_outputs)
        values = max(_display_width(_shown(value)) for value in self.run_outputs.values())
        ws.column_dimensions["A"].width = min(max(names + 2, 14), _MAX_WIDTH)
        ws.column_dimensions["B"].width = min(max(values + 2, 20), _MAX_WIDTH)


def run_results_sheet() -> str:
    """The name of the sheet with the run's own results, in the run's language."""
    return tr("実行結果", "run results")


#: How far down a header row is looked for (a header below row 1000 is refused by the flow model).
_HEADER_ROWS = 1000


def header_labels(input_file: Path | None, location: str | None, headers: Sequence[str]) -> dict[str, str]:
    """The header text of the input as written, by the header the records are keyed by.

    The reader keys records by headers with all whitespace removed (``First Name`` → ``FirstName``,
    ``氏　名`` → ``氏名``), so that padded Japanese headers match the flow's columns; staff must
    find their own headers in the results. ``location`` is a record's (``申請一覧!5``): it names the
    sheet, and the header row is the last row above it whose cells, whitespace removed, are
    ``headers``. Only headers whose text differs are returned; {} when the input is not an Excel
    sheet or no longer has that header row (the results are then headed as the records are keyed)."""
    if input_file is None or not location or "!" not in location or input_file.suffix.lower() not in (".xlsx", ".xlsm"):
        return {}
    sheet, _, row_text = location.rpartition("!")
    if not row_text.isdigit():
        return {}
    try:
        book = load_workbook(input_file, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - moved, locked or damaged since it was read: keyed headers will do
        return {}
    try:
        if sheet not in book.sheetnames:
            return {}
        rows = book[sheet].iter_rows(min_row=1, max_row=min(int(row_text) - 1, _HEADER_ROWS), values_only=True)
        found = [row for row in rows if _keyed(row, len(headers)) == list(headers)]
    except Exception:  # noqa: BLE001 - same as above: the labels are a courtesy, never a failure
        return {}
    finally:
        book.close()
    if not found:
        return {}
    written = [str(cell).strip() if cell is not None else "" for cell in found[-1][: len(headers)]]
    return {header: label for header, label in zip(headers, written, strict=True) if label and label != header}


def _keyed(row: Sequence[Any], width: int) -> list[str]:
    """A row's cells as the reader keys headers: whitespace removed, an empty one named by its column."""
    cells = [re.sub(r"\s+", "", "" if cell is None else str(cell)) for cell in row[:width]]
    cells += [""] * (width - len(cells))
    if any(cell for cell in row[width:] if cell is not None and str(cell).strip()):
        return []  # more headers than the records have: another row
    return [cell or f"{get_column_letter(i + 1)}列" for i, cell in enumerate(cells)]


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def _unique(name: str, taken: set[str]) -> str:
    """A results column name that does not clash with an input header (状態 → 状態（結果）)."""
    candidate = name if name not in taken else tr("{n}（結果）", "{n} (result)", n=name)
    taken.add(candidate)
    return candidate


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return "2024/01/01 00:00:00"
    if isinstance(value, dt.date):
        return "2024/01/01"
    return str(value)


def _display_width(text: str) -> int:
    """Column width in Excel units: kanji and kana take two (East Asian wide, full-width, ambiguous)."""
    return max(
        (sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in line) for line in text.splitlines()),
        default=0,
    )

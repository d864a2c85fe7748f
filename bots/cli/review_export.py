"""``runner.py review export RUN_ID``: a run's 要確認 rows as a review workbook staff correct.

The rows come from the run's input, read again exactly as the run read it (the flow's sheet,
header row and columns; the file must be the very same bytes, by its SHA-256), so the values are
the input's own — not the masked copies in the results workbook. The workbook has the layout of
the OCR review workbook (:mod:`bots.ocr.review`: sheet 要確認 with ファイル, 確認済み, the input's
columns, 確認が必要な欄 — here the reason the run gave), plus 状態 after it and a sheet 実行情報
naming the run and its flow. ``runner.py review import`` turns it, once corrected, into an input
list for a re-run of just those rows: the same import as for OCR reviews, then laid out as the
flow reads its list (:func:`fit_to_flow`).

It holds personal data like the input, so it is written beside the input, never into the logs.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font

from bots.adapters.excel_results import header_labels
from bots.api import current_user
from bots.engine.executor import load_or_raise
from bots.engine.inputs import resolve_inputs
from bots.errors import InputFileError
from bots.flow.model import ExcelRecords
from bots.i18n import tr
from bots.ocr.review import DONE_COLUMN, FILE_COLUMN, LIST_SHEET, REASONS_COLUMN, SHEET, save_atomically
from bots.project import Project
from bots.records import openpyxl_errors
from bots.records.digest import file_sha256
from bots.records.model import SourceRecord
from bots.results.model import Status
from bots.sources import open_source
from bots.store.rows import RecordRow, RunRow
from bots.store.store import RunStore

#: The sheet naming the run a review workbook was exported from (what ``review import`` reads).
INFO_SHEET = "実行情報"
STATUS_COLUMN = "状態"
RUN_KEY, FLOW_KEY, INPUT_KEY, BY_KEY, AT_KEY = "実行ID", "フロー", "入力ファイル", "作成者", "作成日時"


@dataclass(frozen=True)
class Exported:
    """What ``review export`` wrote: the workbook (None when the run has no such rows), the rows, the flow."""

    path: Path | None
    count: int
    flow: Path


def export_review(project: Project, run_id: str, out: Path | None = None, *, include_failed: bool = False) -> Exported:
    """Write the review workbook of run ``run_id``'s 要確認 rows (and 失敗 rows with ``include_failed``).
    Raises InputFileError when the run, its flow or its input cannot give them."""
    with RunStore.open(None, project.logs) as store:
        run = store.get_run(run_id)
        request = store.run_request(run_id)
    if run is None or request is None:
        raise InputFileError(tr("実行 {r} が見つかりません", "no run {r}", r=run_id))
    wanted_statuses = {Status.REVIEW, Status.FAIL} if include_failed else {Status.REVIEW}
    wanted = {row.index: row for row in run.records if row.status in wanted_statuses}
    cwd = Path(request.get("cwd") or project.root)
    flow_path = Path(request["flow"]) if Path(request["flow"]).is_absolute() else cwd / request["flow"]
    loaded = load_or_raise(flow_path, project)
    if not isinstance(loaded.flow.records, ExcelRecords):
        raise InputFileError(tr(
            "実行 {r} のフローは Excel の一覧を読みません。OCR の帳票の要確認は、読み取りのときに作られたレビューファイル"
            "（要確認_*.xlsx）を runner.py review import で取り込んでください",
            "the flow of run {r} does not read an Excel list; for scanned forms, import the review workbook made "
            "when they were read (要確認_*.xlsx) with runner.py review import", r=run_id))
    if not wanted:
        return Exported(None, 0, flow_path)
    inputs = resolve_inputs(loaded.flow, dict(request.get("inputs") or {}), cwd=cwd, root=project.root,
                            primary=request.get("primary_input"))
    env = {name: os.environ[name] for name in loaded.flow.env if name in os.environ}
    source = open_source(loaded.flow.records, {"inputs": inputs, "env": env, "vars": {}, "record": {}},
                         project.selectors)
    assert source is not None and source.file is not None  # an Excel list, checked above
    try:
        _same_input(source.file, run)
        records = [record for record in source.records if record.index in wanted]
        headers = list(source.headers)
    finally:
        source.close()
    labels = header_labels(source.file, records[0].location if records else None, headers)
    path = out or source.file.with_name(f"{source.file.stem}_要確認_{run_id}.xlsx")
    info = {RUN_KEY: run_id, FLOW_KEY: str(project.relative(flow_path)), INPUT_KEY: str(source.file),
            BY_KEY: current_user(), AT_KEY: dt.datetime.now().replace(microsecond=0)}
    _write(path, source.file.name, headers, [labels.get(h, h) for h in headers], records, wanted, info)
    return Exported(path, len(records), flow_path)


def _same_input(path: Path, run: RunRow) -> None:
    """The rows are picked by their position: only the very input the run read will do."""
    if run.input_sha256 is not None and file_sha256(path) != run.input_sha256:
        raise InputFileError(tr("入力ファイルが実行 {r} のときから変わっています。要確認の行を特定できません: {p}",
                                "the input file changed since run {r}; its rows needing review cannot be found: {p}",
                                r=run.run_id, p=path))


def _write(path: Path, file_name: str, headers: Sequence[str], labels: Sequence[str], records: list[SourceRecord],
           outcomes: dict[int, RecordRow], info: dict[str, Any]) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append([FILE_COLUMN, DONE_COLUMN, *labels, REASONS_COLUMN, STATUS_COLUMN])
    for record in records:
        outcome = outcomes[record.index]
        sheet.append([f"{file_name}（{record.location}）", "", *(_cell(record.raw.get(h)) for h in headers),
                      outcome.error or "", outcome.status.label()])
        for column in range(3, 3 + len(headers)):
            sheet.cell(row=sheet.max_row, column=column).number_format = "@"  # leading zeros stay when edited
        sheet.cell(row=sheet.max_row, column=3 + len(headers)).alignment = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, width in enumerate([30, 10, *([18] * len(headers)), 60, 10], start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    sheet.freeze_panes = "C2"
    about = book.create_sheet(INFO_SHEET)
    for key, value in info.items():
        about.append([key, value])
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 14, 60
    save_atomically(book, path)


def _cell(value: Any) -> Any:
    """A value as staff edit it: dates as 2024-04-01 (text, like everything in the sheet)."""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def exported_from(path: Path) -> dict[str, str] | None:
    """The 実行情報 of an exported review workbook (None for an OCR review workbook)."""
    with openpyxl_errors.edge(path):
        book = load_workbook(path, read_only=True, data_only=True)
    try:
        if INFO_SHEET not in book.sheetnames:
            return None
        return {str(key): str(value) for key, value, *_ in book[INFO_SHEET].iter_rows(values_only=True)
                if key is not None and value is not None}
    finally:
        book.close()


def fit_to_flow(path: Path, records: ExcelRecords) -> None:
    """Lay out an imported list as the flow reads it: its sheet name and header row."""
    if (not records.sheet or records.sheet == LIST_SHEET) and records.header_row == 1:
        return  # already so (the import writes sheet 申請一覧, header in row 1)
    with openpyxl_errors.edge(path):
        book = load_workbook(path)
    sheet = book.worksheets[0]
    if records.sheet and sheet.title != records.sheet:
        sheet.title = records.sheet
    if records.header_row > 1:
        sheet.insert_rows(1, records.header_row - 1)
    save_atomically(book, path)

"""Opening an Excel list: refuse, naming the file, what cannot be a list at all (missing, locked by
Excel, an old .xls or a password, CSV, a wrong sheet) before a single row is read.

See :mod:`bots.adapters.excel_reader` for reading its rows.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from bots.adapters import openpyxl_fixes
from bots.errors import InputFileError
from bots.i18n import tr
from bots.records import openpyxl_errors

openpyxl_fixes.apply()  # a sheet without <dimension> is otherwise parsed in full just to open it

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx


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
    """Open a read-only, cached-values workbook and its sheet (the first one when ``sheet`` is None).
    The sheet's stored dimension is kept as ``ws.stored_max_row`` (an estimate only)."""
    check_input_file(path)
    with openpyxl_errors.edge(path):
        wb = load_workbook(str(path), read_only=True, data_only=True)
    titles = [ws.title for ws in wb.worksheets]
    if sheet is None and titles:
        sheet = titles[0]
    if sheet not in titles:
        wb.close()
        close = difflib.get_close_matches(sheet or "", titles, n=1)
        hint = did_you_mean(close[0]) if close else ""
        raise InputFileError(
            tr(
                "シート「{s}」がありません{hint}。このファイルのシート: {titles}: {p}",
                'there is no sheet "{s}"{hint}. Sheets in this file: {titles}: {p}',
                s=sheet,
                hint=hint,
                titles=join_names(titles),
                p=path,
            )
        )
    ws = wb[sheet]
    stored_max_row = ws.max_row
    ws.reset_dimensions()  # the stored <dimension> can be wrong (some generators write "A1"): read what is there
    ws.stored_max_row = stored_max_row
    return wb, ws


def did_you_mean(name: str) -> str:
    """The "did you mean" hint after a name that is not there."""
    return tr("（もしかして「{n}」？）", ' (did you mean "{n}"?)', n=name)


def join_names(names: Iterable[str]) -> str:
    """A list of names as people read it: 氏名、住所 / 氏名, 住所."""
    return tr("、", ", ").join(names)

"""Issue 19: the results workbook heads the input's columns as the input heads them.

The reader keys records by headers without whitespace (``First Name`` → ``record.FirstName``, so
that ``氏　名`` padded for alignment matches ``氏名``); the results workbook used those keys as its
headers, and staff could not find their own ``First Name`` column. A real input workbook is run
through the real engine (no browser: ``set`` steps) and the results workbook is read back.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from flow_harness import run_job

from bots.adapters.excel_results import ResultsWorkbook, header_labels
from bots.i18n import set_language
from bots.project import Project
from bots.results.model import RunStatus, Status

FLOW = """\
id: english-headers
title: 見出しに空白のある一覧
version: 1.0.0
owner: 情報政策係
inputs:
  file: {type: path}
records:
  from: excel
  file: "{{ inputs.file }}"
  sheet: Employees
  header_row: 2
  columns:
    FirstName: {type: str, required: true}
    LastName: {type: str}
    Phone Number: {type: phone}
outputs: [Greeting]
steps:
  - set: {Greeting: "Hello {{ record.FirstName }} {{ record.LastName }}"}
"""
HEADERS = ["First Name", "Last  Name", " Phone Number ", "氏　名", "Role in\nCompany"]


def _input(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Employees"
    sheet.append(["社員名簿（2026年度）"])  # a title row above the header
    sheet.append(HEADERS)
    sheet.append(["John", "Smith", "09012345678", "山田　太郎", "Analyst"])
    sheet.append(["Jane", "Dorsey", "0312345678", "佐藤　花子", "Manager"])
    book.save(path)
    return path


def _header(path: Path) -> list[str]:
    book = openpyxl.load_workbook(path, read_only=True)
    row = next(book.worksheets[0].iter_rows(max_row=1, values_only=True))
    book.close()
    return [str(cell) for cell in row]


def test_results_headers_keep_the_spaces_the_input_has(project: Project, tmp_path: Path) -> None:
    flow = project.flows / "english_headers.yaml"
    flow.write_text(FLOW, encoding="utf-8")
    out = run_job(project, flow, store_url=None, input_file=_input(tmp_path / "employees.xlsx"))
    assert out.result.status is RunStatus.COMPLETED, out.result.error
    assert [r.status for r in out.result.records] == [Status.PASS, Status.PASS]
    assert out.results_path is not None
    assert _header(out.results_path) == ["First Name", "Last  Name", "Phone Number", "氏　名", "Role in\nCompany",
                                         "状態", "Greeting", "エラー内容", "処理日時"]
    rows = out.results_rows()
    assert rows[0]["First Name"] == "John" and rows[1]["Last  Name"] == "Dorsey"
    assert rows[0]["Greeting"] == "Hello John Smith"


def test_labels_never_clash_with_the_results_columns(tmp_path: Path) -> None:
    """An input column headed ``状 態`` (keyed ``状態``) still gets its own column next to 状態."""
    book = ResultsWorkbook(tmp_path / "結果.xlsx", ["氏名", "状態"], [], input_path=tmp_path / "入力.xlsx",
                           labels={"状態": "状 態"})
    book.add({"氏名": "山田", "状態": "転入"}, Status.PASS, {}, None, None)
    assert _header(book.save())[:3] == ["氏名", "状 態", "状態（結果）"]


def test_labels_fall_back_to_the_keyed_headers(tmp_path: Path) -> None:
    """No header row above the record, another sheet, or not a workbook: keyed headers, no error."""
    path = _input(tmp_path / "employees.xlsx")
    keyed = ["FirstName", "LastName", "PhoneNumber", "氏名", "RoleinCompany"]
    assert header_labels(path, "Employees!3", keyed) == {
        "FirstName": "First Name", "LastName": "Last  Name", "PhoneNumber": "Phone Number",
        "氏名": "氏　名", "RoleinCompany": "Role in\nCompany"}
    assert header_labels(path, "Employees!2", keyed) == {}  # the header is not above row 2
    assert header_labels(path, "Other!3", keyed) == {}
    assert header_labels(path, "Employees!3", ["FirstName", "Other"]) == {}
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4")
    assert header_labels(tmp_path / "scan.pdf", "scan.pdf#1", keyed) == {}
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    assert header_labels(broken, "Employees!3", keyed) == {}


@pytest.fixture
def english() -> object:
    set_language("en")
    yield None
    set_language("ja")


def test_results_headers_in_english(project: Project, tmp_path: Path, english: object) -> None:
    flow = project.flows / "english_headers.yaml"
    flow.write_text(FLOW, encoding="utf-8")
    out = run_job(project, flow, store_url=None, input_file=_input(tmp_path / "employees.xlsx"))
    assert out.results_path is not None
    assert _header(out.results_path)[:6] == ["First Name", "Last  Name", "Phone Number", "氏　名", "Role in\nCompany",
                                             "status"]

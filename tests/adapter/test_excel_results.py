"""The results workbook, written and read back with openpyxl."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bots.adapters.excel_results import ResultsWorkbook
from bots.errors import FlowError
from bots.results.model import Status

HEADERS = ["氏名", "郵便番号", "電話番号", "生年月日"]
AT = dt.datetime(2024, 4, 1, 9, 30, 15)


def sample(path: Path, input_path: Path) -> ResultsWorkbook:
    results = ResultsWorkbook(path, HEADERS, ["受付番号"], input_path=input_path)
    results.add({"氏名": "山田　太郎", "郵便番号": "0600000", "電話番号": "09012345678", "生年月日": "昭和52年3月14日"},
                Status.PASS, {"受付番号": "000123"}, None, AT)  # fmt: skip
    results.add({"氏名": "佐藤 花子", "郵便番号": "123-456", "電話番号": 312345678, "生年月日": dt.datetime(1980, 1, 2)},
                Status.FAIL, {}, "郵便番号: 郵便番号は7桁（例: 123-4567）で入力してください: '123-456'", AT)  # fmt: skip
    results.add({"氏名": "=HYPERLINK(\"http://example.com\")", "郵便番号": None}, Status.REVIEW, {"受付番号": 42}, "確認", AT)
    results.add({"氏名": "鈴木"}, Status.NOT_RUN, {}, None, None)
    return results


def test_written_and_read_back(tmp_path: Path) -> None:
    out = tmp_path / "結果" / "申請一覧_結果.xlsx"
    assert sample(out, tmp_path / "申請一覧.xlsx").save() == out
    ws = load_workbook(out)["結果"]
    assert [c.value for c in ws[1]] == [*HEADERS, "状態", "受付番号", "エラー内容", "処理日時"]
    assert all(c.font.bold for c in ws[1]) and ws.freeze_panes == "A2"
    first = [c.value for c in ws[2]]
    assert first == ["山田　太郎", "0600000", "09012345678", "昭和52年3月14日", "成功", "000123", None, AT]
    assert ws["B2"].data_type == "s" and ws["B2"].number_format == "@"  # leading zeros survive edits
    assert ws["F2"].number_format == "@" and ws["F4"].value == "42"  # 受付番号 always text
    assert ws["D3"].value == dt.datetime(1980, 1, 2) and ws["H2"].number_format == "yyyy/mm/dd hh:mm:ss"
    assert ws["C3"].value == 312345678  # raw values as found
    assert ws["G3"].value.startswith("郵便番号:")
    assert ws["A4"].data_type == "s" and ws["A4"].value.startswith("=HYPERLINK")  # never a formula
    assert [ws.cell(row=r, column=5).value for r in range(2, 6)] == ["成功", "失敗", "要確認", "未処理"]
    assert ws["H5"].value is None


def test_status_colours(tmp_path: Path) -> None:
    out = sample(tmp_path / "結果.xlsx", tmp_path / "入力.xlsx").save()
    ws = load_workbook(out)["結果"]
    colours = [ws.cell(row=r, column=5).fill.fgColor.rgb for r in range(2, 6)]
    assert colours[:3] == ["00C6EFCE", "00FFC7CE", "00FFEB9C"]
    assert ws.cell(row=5, column=5).fill.fill_type is None


def test_column_widths_fit_japanese_text(tmp_path: Path) -> None:
    out = sample(tmp_path / "結果.xlsx", tmp_path / "入力.xlsx").save()
    ws = load_workbook(out)["結果"]
    assert ws.column_dimensions["A"].width >= 12  # 山田　太郎: five wide characters
    assert ws.column_dimensions["G"].width == 60  # long error text is capped, and wraps
    assert ws["G3"].alignment.wrap_text


def test_summary_sheet(tmp_path: Path) -> None:
    out = sample(tmp_path / "結果.xlsx", tmp_path / "入力.xlsx").save()
    ws = load_workbook(out)["概要"]
    counts = {row[0]: row[1] for row in ws.iter_rows(min_row=2, max_row=6, values_only=True)}
    assert counts == {"成功": 1, "失敗": 1, "要確認": 1, "未処理": 1, "合計": 4}


def test_input_path_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "申請一覧.xlsx"
    source.write_bytes(b"input")
    for same in (source, tmp_path / "." / "申請一覧.xlsx"):
        with pytest.raises(FlowError, match="入力ファイルと同じです"):
            ResultsWorkbook(same, HEADERS, [], input_path=source)
    assert source.read_bytes() == b"input"


def test_save_is_atomic_and_repeatable(tmp_path: Path) -> None:
    out = tmp_path / "結果.xlsx"
    out.write_bytes(b"previous results")
    results = sample(out, tmp_path / "入力.xlsx")
    results.save()
    results.add({"氏名": "追加"}, Status.PASS, {"受付番号": "000124"}, None, AT)
    results.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["結果.xlsx"]  # no temp file left behind
    wb = load_workbook(out)
    assert wb.sheetnames == ["結果", "概要"] and wb["結果"].max_row == 6


def test_results_columns_never_clash_with_input_headers(tmp_path: Path) -> None:
    results = ResultsWorkbook(tmp_path / "結果.xlsx", ["氏名", "状態"], ["受付番号"], input_path=tmp_path / "入力.xlsx")
    results.add({"氏名": "山田", "状態": "転入"}, Status.PASS, {"受付番号": "1"}, None, AT)
    ws = load_workbook(results.save())["結果"]
    assert [c.value for c in ws[1]][:3] == ["氏名", "状態", "状態（結果）"]
    assert [c.value for c in ws[2]][:3] == ["山田", "転入", "成功"]


def test_a_status_word_is_a_bug(tmp_path: Path) -> None:
    """Statuses are the enum; the word is written in the run's language (nothing parses display text)."""
    results = ResultsWorkbook(tmp_path / "結果.xlsx", HEADERS, [], input_path=tmp_path / "入力.xlsx")
    for word in ("OK", "成功", "succeeded"):
        with pytest.raises(TypeError):
            results.add({}, word, {}, None, AT)  # type: ignore[arg-type]


def test_timezone_aware_times_keep_their_wall_clock(tmp_path: Path) -> None:
    jst = dt.timezone(dt.timedelta(hours=9))
    results = ResultsWorkbook(tmp_path / "結果.xlsx", ["氏名"], [], input_path=tmp_path / "入力.xlsx")
    results.add({"氏名": "山田"}, Status.PASS, {}, None, AT.replace(tzinfo=jst))
    assert load_workbook(results.save())["結果"]["D2"].value == AT

"""The Excel reader against real .xlsx files written with openpyxl (no mocks)."""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from kazaguruma_demo.sample_data import BAD_KINDS, DEMO_COLUMNS, DEMO_PATH, build_demo_workbook
from openpyxl import Workbook

from bots import i18n
from bots.adapters.excel_reader import read_records
from bots.errors import InputFileError
from bots.records.model import ColumnSpec, SourceRecord

COLUMNS = {
    "氏名": ColumnSpec(required=True),
    "生年月日": ColumnSpec(type="wareki"),
    "電話番号": ColumnSpec(type="phone"),
}
HEADER = ["氏名", "生年月日", "電話番号"]


def make_xlsx(
    path: Path, rows: Sequence[Sequence[Any]], sheet: str = "申請一覧", edit: Callable[[Any], None] | None = None
) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    if edit is not None:
        edit(ws)
    wb.save(path)
    return path


def read_all(path: Path, columns: dict[str, ColumnSpec] = COLUMNS, **kwargs: Any) -> list[SourceRecord]:
    with read_records(path, columns=columns, **kwargs) as reader:
        return list(reader)


def refusal(path: Path, columns: dict[str, ColumnSpec] = COLUMNS, **kwargs: Any) -> str:
    with pytest.raises(InputFileError) as caught:
        read_records(path, columns=columns, **kwargs)
    assert str(path) in caught.value.message  # every refusal names the file
    return caught.value.message


# --- the whole file is refused before anything is keyed ---------------------------------


def test_missing_file(tmp_path: Path) -> None:
    assert "入力ファイルが見つかりません" in refusal(tmp_path / "ない.xlsx")


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "一覧.xlsx").mkdir()
    assert "フォルダです" in refusal(tmp_path / "一覧.xlsx")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("一覧.csv", "氏名,電話番号\n山田,03-1234-5678\n".encode(), "CSVファイルは読めません"),
        ("一覧.xlsx", "氏名,電話番号\n山田,03-1234-5678\n".encode("cp932"), "CSVファイルは読めません"),
        ("一覧.xlsx", bytes(range(256)) * 4, "Excelファイル（.xlsx）ではありません"),
        ("一覧.xlsx", b"", "Excelファイル（.xlsx）ではありません"),
        ("一覧.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "古い形式（.xls）か、パスワード付き"),
    ],
)
def test_not_an_xlsx(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    assert message in refusal(tmp_path / name)


def test_damaged_zip(tmp_path: Path) -> None:
    path = tmp_path / "壊れた.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert "Excelファイルとして読めません" in refusal(path)


def test_xlsx_renamed_to_other_extension(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "一覧.xlsx", [HEADER, ["山田", None, None]])
    assert "拡張子が .xlsx ではありません" in refusal(path.rename(tmp_path / "一覧.dat"))


def test_lock_file_means_open_in_excel(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "申請一覧.xlsx", [HEADER, ["山田", None, None]])
    (tmp_path / "~$申請一覧.xlsx").write_bytes(b"\0" * 165)
    message = refusal(path)
    assert "Excelで開かれています" in message and "~$申請一覧.xlsx" in message


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "一覧.xlsx", [HEADER, ["山田", None, None]])
    path.chmod(0)
    try:
        assert "読み取れません" in refusal(path)
    finally:
        path.chmod(0o644)


def test_missing_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "一覧.xlsx", [HEADER, ["山田", None, None]], sheet="申請一覧")
    message = refusal(path, sheet="申請一欄")
    assert "シート「申請一欄」がありません" in message
    assert "もしかして「申請一覧」" in message and "このファイルのシート: 申請一覧" in message


def test_empty_sheet(tmp_path: Path) -> None:
    assert "見出し行がありません" in refusal(make_xlsx(tmp_path / "空.xlsx", []))


def test_header_only(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "見出しのみ.xlsx", [HEADER, [None, None, None], ["", " ", "　"]])
    assert "データ行がありません" in refusal(path)


def test_missing_declared_column_with_suggestion(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "一覧.xlsx", [["氏名", "生年月日（和暦）", "電話"], ["山田", None, None]])
    message = refusal(path)
    assert "見出しに必要な列がありません" in message
    assert "生年月日（もしかして「生年月日（和暦）」？）" in message
    assert "電話番号（もしかして「電話」？）" in message


def test_duplicate_headers(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "一覧.xlsx", [["氏名", "生年月日", "電話番号", "氏 名"], ["山田", None, None, "x"]])
    assert "見出しが重複しています: 氏名（A列とD列）" in refusal(path)


def test_refusals_in_english(tmp_path: Path) -> None:
    i18n.set_language("en")
    missing = tmp_path / "ない.xlsx"
    assert refusal(missing) == f"input file not found: {missing}"
    damaged = tmp_path / "壊れた.xlsx"
    with zipfile.ZipFile(damaged, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert refusal(damaged).startswith(f"cannot read as an Excel file (it may be damaged): {damaged} (")
    path = make_xlsx(tmp_path / "一覧.xlsx", [["氏名", "生年月日（和暦）", "電話"], ["山田", None, None]])
    message = refusal(path)
    assert message.startswith("required columns are missing from the header: ")
    assert '生年月日 (did you mean "生年月日（和暦）"?), 電話番号 (did you mean "電話"?)' in message
    assert "Headers in row 1: 氏名, 生年月日（和暦）, 電話" in message
    i18n.set_language(None)


def test_record_errors_and_notes_in_english(tmp_path: Path) -> None:
    i18n.set_language("en")
    rows = [HEADER, ["山田", "昭和65年1月1日", 312345678], [None, "S50.4.1", "03-1234-5678"]]
    first, second = read_all(make_xlsx(tmp_path / "一覧.xlsx", rows))
    assert first.error == "生年月日: 昭和 ended on 1989-01-07 (昭和64年1月7日): 昭和65年1月1日"
    assert first.notes == ["電話番号: restored the leading zero (phone numbers start with 0)"]
    assert second.error == "氏名: this required field is empty"
    i18n.set_language(None)


# --- records ----------------------------------------------------------------------------


def test_header_whitespace_is_stripped_and_header_row_is_honoured(tmp_path: Path) -> None:
    rows = [["令和6年度 申請一覧"], [], ["氏　名", " 生年\n月日 ", "電話番号　", "備考"], ["山田 太郎", "S50.4.1", "03-1234-5678", " 至急 "]]
    (record,) = read_all(make_xlsx(tmp_path / "一覧.xlsx", rows), header_row=3)
    assert record.location == "申請一覧!4"
    assert record.values == {"氏名": "山田 太郎", "生年月日": dt.date(1975, 4, 1), "電話番号": "0312345678", "備考": "至急"}
    assert record.raw["備考"] == " 至急 "


def test_declared_header_differs_from_flow_name(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "一覧.xlsx", [["お名前"], ["山田"]])
    (record,) = read_all(path, columns={"name": ColumnSpec(header="お 名前", required=True)})
    assert record.values == {"name": "山田"}


def test_phone_numbers_stored_as_numbers(tmp_path: Path) -> None:
    def padded(ws: Any) -> None:
        ws["C3"].number_format = "00000000000"

    rows = [HEADER, ["山田", None, 9012345678], ["佐藤", None, 9012345678], ["鈴木", None, 312345678]]
    records = read_all(make_xlsx(tmp_path / "電話.xlsx", rows, edit=padded))
    assert [r.values["電話番号"] for r in records] == ["09012345678", "09012345678", "0312345678"]
    assert records[0].notes == ["電話番号: 先頭の0を補いました（電話番号は0から始まります）"]
    assert records[1].notes == []  # the zero-padded format showed the zero: nothing was guessed
    assert records[1].raw["電話番号"] == "09012345678"  # raw is what Excel displays
    assert records[0].raw["電話番号"] == 9012345678


def test_wareki_dates_and_date_cells(tmp_path: Path) -> None:
    rows = [HEADER, ["a", "昭和52年3月14日", None], ["b", "Ｈ１２．１．１", None], ["c", dt.date(2001, 2, 3), None],
            ["d", "令和元年5月1日", None]]  # fmt: skip
    records = read_all(make_xlsx(tmp_path / "和暦.xlsx", rows))
    assert [r.values["生年月日"] for r in records] == [
        dt.date(1977, 3, 14), dt.date(2000, 1, 1), dt.date(2001, 2, 3), dt.date(2019, 5, 1)
    ]  # fmt: skip
    assert all(r.error is None for r in records)


def test_full_width_digits(tmp_path: Path) -> None:
    columns = {"郵便番号": ColumnSpec(type="zip"), "電話番号": ColumnSpec(type="phone"), "人数": ColumnSpec(type="int")}
    rows = [["郵便番号", "電話番号", "人数"], ["〒０６０－０００１", "（０１１）２３４－５６７８", "３"]]
    (record,) = read_all(make_xlsx(tmp_path / "全角.xlsx", rows), columns=columns)
    assert record.values == {"郵便番号": "0600001", "電話番号": "0112345678", "人数": 3}


def test_digit_strings_never_become_floats(tmp_path: Path) -> None:
    columns = {"番号": ColumnSpec(), "郵便番号": ColumnSpec(type="zip")}
    rows = [["番号", "郵便番号", "その他"], [123456789012, 600000, 42.0]]
    (record,) = read_all(make_xlsx(tmp_path / "数字.xlsx", rows), columns=columns)
    assert record.values == {"番号": "123456789012", "郵便番号": "0600000", "その他": "42"}
    assert record.notes == ["郵便番号: 先頭の0を補いました"]


def test_empty_rows_are_skipped(tmp_path: Path) -> None:
    rows = [HEADER, ["山田", None, None], [], [None, "　", ""], ["佐藤", None, None], [], []]
    with read_records(make_xlsx(tmp_path / "空行.xlsx", rows), columns=COLUMNS) as reader:
        assert reader.total == 2
        records = list(reader)
    assert [(r.index, r.location, r.values["氏名"]) for r in records] == [
        (1, "申請一覧!2", "山田"), (2, "申請一覧!5", "佐藤")
    ]  # fmt: skip


def test_merged_cells_are_filled_with_the_top_left_value(tmp_path: Path) -> None:
    def merge(ws: Any) -> None:
        ws.merge_cells("D2:D3")  # 申請種別 shared by two applicants
        ws.merge_cells("A5:A6")  # a row whose only content would come from a merge

    rows = [[*HEADER, "申請種別"], ["山田", None, None, "住民票の写し"], ["佐藤", None, None, "消える値"],
            ["鈴木", None, None, None], ["高橋", None, None, None], ["x", None, None, None]]  # fmt: skip
    records = read_all(make_xlsx(tmp_path / "結合.xlsx", rows, edit=merge))
    assert [(r.location, r.values["申請種別"]) for r in records] == [
        ("申請一覧!2", "住民票の写し"), ("申請一覧!3", "住民票の写し"), ("申請一覧!4", None), ("申請一覧!5", None)
    ]  # fmt: skip
    assert records[1].notes == ["結合セルの値を補いました（列: 申請種別）"] and records[0].notes == []
    assert records[1].raw["申請種別"] == "住民票の写し"


def test_formula_without_cached_value_is_reported(tmp_path: Path) -> None:
    rows = [[*HEADER, "年齢"], ["山田", None, None, "=DATEDIF(B2,TODAY(),\"Y\")"], ["佐藤", None, None, 41]]
    records = read_all(make_xlsx(tmp_path / "数式.xlsx", rows))
    assert records[0].error == "数式の計算結果が保存されていません（列: 年齢）。Excelで開いて保存し直してください"
    assert records[1].error is None


def patch_sheet_xml(path: Path, edit: Callable[[str], str]) -> None:
    """Rewrite the first sheet's XML, to produce what Excel or other generators write."""
    with zipfile.ZipFile(path) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    parts["xl/worksheets/sheet1.xml"] = edit(parts["xl/worksheets/sheet1.xml"].decode()).encode()
    with zipfile.ZipFile(path, "w") as dst:
        for name, data in parts.items():
            dst.writestr(name, data)


def test_formula_with_cached_value_is_read(tmp_path: Path) -> None:
    """What Excel saves: the formula plus its result; a formula giving "" is t="str" with an empty <v>."""
    path = make_xlsx(tmp_path / "計算済み.xlsx", [[*HEADER, "年齢", "空"], ["山田", None, None, "=40+1", '=""']])

    def excel_saved(sheet: str) -> str:
        # openpyxl writes an empty value as <v/> or, when lxml is installed (python-docx brings it), <v></v>.
        sheet = re.sub(r"<f>40\+1</f><v\s*(/>|></v>)", "<f>40+1</f><v>41</v>", sheet)
        assert "<v>41</v>" in sheet
        return sheet.replace('<c r="E2">', '<c r="E2" t="str">')

    patch_sheet_xml(path, excel_saved)
    (record,) = read_all(path)
    assert record.error is None and record.values["年齢"] == "41"


def test_wrong_dimension_tag_is_ignored(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "寸法.xlsx", [HEADER, ["山田", "S50.4.1", "03-1234-5678"], ["佐藤", None, None]])
    patch_sheet_xml(path, lambda sheet: re.sub(r"<dimension [^>]*>", '<dimension ref="A1"/>', sheet))
    with read_records(path, columns=COLUMNS) as reader:
        assert reader.headers == HEADER and reader.total == 2
        assert [r.values["電話番号"] for r in reader] == ["0312345678", None]


def test_schema_errors_are_per_record_and_joined(tmp_path: Path) -> None:
    rows = [HEADER, [None, "令和5年2月30日", "03-1234-567"], ["山田", "昭和50年4月1日", "03-1234-5678"]]
    bad, good = read_all(make_xlsx(tmp_path / "誤り.xlsx", rows))
    assert bad.error == (
        "氏名: 必須項目が空です / 生年月日: 存在しない日付です: 令和5年2月30日 / "
        "電話番号: 電話番号は0から始まる10桁または11桁で入力してください: '03-1234-567'"
    )
    assert bad.values["氏名"] is None and good.error is None


def test_raw_keeps_every_header_column(tmp_path: Path) -> None:
    rows = [[*HEADER, None, "備考"], ["山田", "S50.4.1", 312345678, "列なし", " メモ "]]
    (record,) = read_all(make_xlsx(tmp_path / "全列.xlsx", rows))
    assert record.raw == {"氏名": "山田", "生年月日": "S50.4.1", "電話番号": 312345678, "D列": "列なし", "備考": " メモ "}
    assert record.values["D列"] == "列なし" and record.values["備考"] == "メモ"


def test_first_sheet_is_the_default_and_records_stream(tmp_path: Path) -> None:
    rows = [HEADER, *([f"申請者{i}", None, None] for i in range(500))]
    with read_records(make_xlsx(tmp_path / "多い.xlsx", rows), columns=COLUMNS) as reader:
        assert reader.sheet == "申請一覧" and reader.total == 500
        stream = iter(reader)
        assert next(stream).values["氏名"] == "申請者0"
        assert sum(1 for _ in stream) == 499


# --- the demo list matches its ground truth ----------------------------------------------


def test_demo_list_errors_match_ground_truth(tmp_path: Path) -> None:
    truth = build_demo_workbook(tmp_path / "申請一覧.xlsx", n=60, seed=7, bad=5)
    records = read_all(tmp_path / "申請一覧.xlsx", DEMO_COLUMNS)
    assert len(records) == 60
    for record, (_, kind) in zip(records, truth, strict=True):
        if kind is None:
            assert record.error is None, record
        else:
            assert record.error is not None and record.error.startswith(BAD_KINDS[kind] + ":"), record
    notes = [note for r in records for note in r.notes]
    assert "結合セルの値を補いました（列: 申請種別）" in notes
    assert "電話番号: 先頭の0を補いました（電話番号は0から始まります）" in notes


def test_committed_demo_list() -> None:
    path = Path(__file__).parents[2] / DEMO_PATH
    records = read_all(path, DEMO_COLUMNS)
    assert len(records) == 60
    assert sum(r.error is not None for r in records) == 5

"""The 200-record sample list (with rows that must fail) and the checks that the demo core
system and the results workbook hold exactly what they should: shared by the keying tests."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
from kazaguruma_demo.sample_data import DEMO_COLUMNS, make_applications, write_applications_xlsx

from bots.adapters.excel_reader import read_records


def digits(text: Any) -> str:
    """The ASCII digits of a value as typed (full-width digits count as their half-width twins)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", str(text)) if ch.isdigit())


def make_list(path: Path, n: int, bad: int, seed: int) -> list[int]:
    """Write the list; return the sheet row numbers expected to fail (schema errors, and one
    row the core system itself refuses: a birth date in the future)."""
    rows_truth = make_applications(n, seed=seed, bad=bad)
    rows = [dict(row) for row, _ in rows_truth]
    future = dict(rows[3])
    future["氏名"], future["生年月日"] = "未来 太郎", "令和30年1月1日"
    rows.insert(4, future)
    write_applications_xlsx(path, rows)
    failing = [i + 2 for i, (_, kind) in enumerate(rows_truth[:4]) if kind] + [6]
    failing += [i + 3 for i, (_, kind) in enumerate(rows_truth) if kind and i >= 4]
    return sorted(failing)


def expected_keyed(path: Path) -> list[dict[str, Any]]:
    """The rows that must end up in the core system: valid, and not refused by it."""
    with read_records(path, sheet="申請一覧", header_row=1, columns=DEMO_COLUMNS) as reader:
        records = list(reader)
    good = [r.values for r in records if r.error is None]
    return [v for v in good if v["生年月日"] <= dt.date.today()]


def assert_store_holds_exactly(stored: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    """Every expected record once, with the values typed character for character."""
    keys = Counter((r["氏名"], r["生年月日"]) for r in stored)
    twice = [k for k, n in keys.items() if n > 1]
    assert not twice, f"keyed twice: {twice}"
    assert len(stored) == len(expected), f"stored {len(stored)}, expected {len(expected)}"
    by_key = {(r["氏名"], r["生年月日"]): r for r in stored}
    for want in expected:
        got = by_key[(want["氏名"], want["生年月日"].isoformat())]
        assert got["フリガナ"] == want["フリガナ"]
        assert digits(got["郵便番号"]) == want["郵便番号"]
        assert digits(got["電話番号"]) == want["電話番号"]
        assert got["住所"] == want["住所"]
        assert got["申請種別"] == want["申請種別"]
        assert got["性別"] == want["性別"]
        assert got["個人番号"] == digits(want["個人番号"] or ""), "個人番号 stored as its 12 digits (or empty)"


def results_rows(path: Path) -> list[dict[str, Any]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(book["結果"].iter_rows(values_only=True))
    finally:
        book.close()
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def assert_results_match_store(rows: list[dict[str, Any]], stored: list[dict[str, Any]],
                               failing_rows: list[int]) -> None:
    """The results workbook tells staff the truth: a 受付番号 for exactly the stored records,
    a reason for each failed row."""
    ok_rows = [r for r in rows if r["状態"] == "成功"]
    assert len(ok_rows) == len(stored)
    assert sorted(r["受付番号"] for r in ok_rows) == sorted(r["receipt_no"] for r in stored)
    failed = [i + 2 for i, r in enumerate(rows) if r["状態"] == "失敗"]
    assert failed == failing_rows
    assert all(rows[i - 2]["エラー内容"] for i in failed)
    assert not [r for r in rows if r["状態"] in ("要確認", "未処理")], "a record left for review or not run"

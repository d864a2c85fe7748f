"""``runner.py audit export``: the HTML report rendered in a real headless Chromium, and the
workbook read back with openpyxl — on the store and ledgers of ``test_audit_cli.seed``."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import sync_playwright
from test_audit_cli import DRIFT_ELEMENT, RUN_A, RUN_B, RUN_C, Seeded, kz
from test_audit_cli import seeded as seeded  # noqa: F401 - the fixture

from bots.masking import find_mynumbers, mynumber_check_digit
from bots.platform.browser import launch_options
from bots.results.model import RecordResult, Status
from bots.store import RunStore

INTACT = "改ざんは検出されませんでした"


def export(seeded: Seeded, fmt: str, *extra: str) -> tuple[int, Path, str]:
    result = kz(*extra, "audit", "export", "--from", seeded.day0.isoformat(), "--to", seeded.day1.isoformat(),
                "--format", fmt)
    match = re.search(r"^(?:監査報告書|audit report): (.+)$", result.output, re.M)
    assert match, result.output
    return result.exit_code, Path(match[1].strip()), result.output


def texts_of_workbook(path: Path) -> list[str]:
    book = openpyxl.load_workbook(path)
    return [str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row if cell.value is not None]


@pytest.mark.browser
def test_html_report_renders_in_chromium(seeded: Seeded, tmp_path: Path) -> None:
    code, path, output = export(seeded, "html")
    assert code == 0, output
    assert path.parent == seeded.logs / "reports" and path.suffix == ".html" and path.exists()
    shot = tmp_path / "report.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
        page.goto(path.as_uri())
        page.screenshot(path=str(shot), full_page=True)
        text = page.inner_text("body")
        title = page.title()
        browser.close()
    assert shot.stat().st_size > 10_000
    assert "Kazaguruma 監査報告書" in title and "Kazaguruma 監査報告書" in text
    for expected in (INTACT, RUN_A, RUN_B, "対象期間", "作成日時", "作成者", "監査台帳の完全性", "実行一覧",
                     "失敗・要確認", "セレクタのずれ", DRIFT_ELEMENT, "demo_web", "マスキングについて",
                     "郵便番号が不正です", "登録後に完了画面が表示されませんでした", "受付番号: 受-000101"):
        assert expected in text, expected
    assert RUN_C not in text  # outside the period
    assert "<script>alert(1)</script>" in text  # a record key shown as text, not run as a script


def test_html_report_is_self_contained(seeded: Seeded) -> None:
    _, path, _ = export(seeded, "html")
    html = path.read_text(encoding="utf-8")
    assert not re.search(r"<link|<script|<img|<iframe|@import|url\(", html, re.I)
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", html, re.I)
    assert "http://" not in html and "https://" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # autoescaped


def test_html_report_in_english(seeded: Seeded) -> None:
    code, path, _ = export(seeded, "html", "--lang", "en")
    html = path.read_text(encoding="utf-8")
    assert code == 0 and path.name.startswith("audit-report_")
    assert "Kazaguruma audit report" in html and "no tampering detected" in html and "selector drift" in html
    assert "監査報告書" not in html


def test_report_shows_a_damaged_ledger(seeded: Seeded) -> None:
    path = seeded.file(seeded.day1)
    path.write_bytes(path.read_bytes().replace(b'"aborted"', b'"completed"'))
    code, report, output = export(seeded, "html")
    assert code == 1, output
    html = report.read_text(encoding="utf-8")
    assert "改ざんまたは破損を検出しました" in html and INTACT not in html
    assert f"{path}:2: seq 7: ハッシュが一致しません" in html


def test_xlsx_report_sheets_and_rows(seeded: Seeded, tmp_path: Path) -> None:
    target = tmp_path / "out" / "監査.xlsx"
    result = kz("audit", "export", "--from", seeded.day0.isoformat(), "--to", seeded.day1.isoformat(),
                "--format", "xlsx", "--output", str(target))
    assert result.exit_code == 0 and str(target) in result.output
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["実行一覧", "レコード結果", "失敗・要確認", "セレクタのずれ", "完全性"]

    def rows(name: str, top: int = 1) -> list[tuple[object, ...]]:
        return list(book[name].iter_rows(min_row=top, values_only=True))

    runs = rows("実行一覧")
    assert runs[0][:3] == ("実行ID", "フロー", "版") and [r[0] for r in runs[1:]] == [RUN_A, RUN_B]
    assert runs[1][9:] == (1, 1, 1, 0)
    assert book["実行一覧"].auto_filter.ref == "A1:M3" and book["実行一覧"].freeze_panes == "A2"
    assert book["実行一覧"]["A1"].font.bold
    records = rows("レコード結果")
    assert len(records) == 1 + 5 and records[0][:3] == ("実行ID", "フロー", "行")
    formula = book["レコード結果"]["D5"]
    assert formula.value == '=HYPERLINK("x")' and formula.data_type == "s"  # text, never a live formula
    failures = rows("失敗・要確認")
    assert [(r[2], r[4]) for r in failures[1:]] == [("申請一覧!3", "失敗"), ("申請一覧!4", "要確認")]
    drift = rows("セレクタのずれ")
    assert len(drift) == 2 and drift[1][4] == DRIFT_ELEMENT and drift[1][3] == "demo_web"
    integrity = book["完全性"]
    assert integrity["B5"].value == INTACT
    table = rows("完全性", top=10)
    assert table[0][0] == "台帳フォルダ" and [r[0] for r in table[1:]] == ["main", "pc2-4242"]
    assert integrity.auto_filter.ref == "A10:G12"


def test_reports_add_no_unmasked_mynumber(seeded: Seeded) -> None:
    valid = "12345678901" + str(mynumber_check_digit("12345678901"))
    with RunStore.open(None, seeded.logs) as store:  # a raw number that slipped past masking upstream
        store.add_record(RUN_B, RecordResult(9, "照会一覧!9", f"番号 {valid}", Status.FAIL, error=f"個人番号 {valid} が不正"))
    _, html_path, _ = export(seeded, "html")
    _, xlsx_path, _ = export(seeded, "xlsx")
    html = html_path.read_text(encoding="utf-8")
    assert "********1234" in html  # the masked key as stored
    assert valid not in html and not find_mynumbers(html)
    cells = texts_of_workbook(xlsx_path)
    assert any("********1234" in c for c in cells)
    assert not any(valid in c or find_mynumbers(c) for c in cells)

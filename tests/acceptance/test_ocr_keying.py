"""Issue 5 acceptance: scanned application forms → OCR → keyed into the demo web system; doubtful
forms to the review workbook; staff correct it; ``review import`` → the Excel flow keys the rest.
In the end every form is in the core system exactly once, with exactly the values on paper,
and no misread value was ever keyed."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from kazaguruma_demo.forms import generate_forms
from kazaguruma_demo.web.store import read_all
from keying_data import digits, results_rows

from bots.results.model import RunStatus

pytestmark = [pytest.mark.browser, pytest.mark.tesseract, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
OCR_FLOW = REPO / "flows" / "shinsei_ocr.yaml"
EXCEL_FLOW = REPO / "flows" / "shinsei_nyuryoku.yaml"
TEXT_FIELDS = ("氏名", "フリガナ", "住所", "性別", "申請種別")


def _spaceless(value: Any) -> str:
    return re.sub(r"[\s\u3000]", "", str(value))


def _matches(stored: dict[str, Any], truth: dict[str, Any]) -> list[str]:
    """Fields where the core system holds something else than the paper form says. Spaces do not
    count (a gap between 番地 and the building name is not ink OCR can be held to); every
    character does."""
    wrong = [f for f in TEXT_FIELDS if _spaceless(stored[f]) != _spaceless(truth[f])]
    if stored["生年月日"] != truth["生年月日"]:
        wrong.append("生年月日")
    for name in ("郵便番号", "電話番号", "個人番号"):
        if digits(stored[name] or "") != digits(truth[name] or ""):
            wrong.append(name)
    return wrong


def _bad_files(folder: Path) -> list[Path]:
    """Files that are not readable forms; named to sort after the scans."""
    broken = folder / "zz_1_壊れた.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg" * 10)
    empty = folder / "zz_2_空.png"
    empty.write_bytes(b"")
    from PIL import Image, ImageDraw

    page = Image.new("L", (1240, 1754), 255)  # an A4 letter at 150 dpi, no registration marks
    ImageDraw.Draw(page).text((100, 100), "Notice / お知らせ", fill=0)
    other = folder / "zz_3_別の書類.png"
    page.save(other)
    return [broken, empty, other]


def test_scans_are_keyed_or_sent_to_review_and_review_import_completes_them(
        demo_web: Any, run_flow: Any, tmp_path: Path) -> None:
    server = demo_web()
    scans = tmp_path / "申請書スキャン"
    forms = generate_forms(scans, 16, seed=77)
    bad = _bad_files(scans)
    truth_by_index = {i: f.truth for i, f in enumerate(sorted(forms, key=lambda f: f.path.name))}

    outcome = run_flow(OCR_FLOW, inputs={"scans": str(scans)})

    assert outcome.result.status is RunStatus.COMPLETED, outcome.result.error
    rows = results_rows(outcome.results_path)
    assert len(rows) == len(forms) + len(bad)
    stored = {r["receipt_no"]: r for r in read_all(server.config.db_path)}
    keyed = [i for i, r in enumerate(rows) if r["状態"] == "成功"]
    # Nothing misread reached the core system: every stored record is exactly its paper form.
    assert len(stored) == len(keyed)
    for i in keyed:
        assert not _matches(stored[rows[i]["受付番号"]], truth_by_index[i]), (i, rows[i])
    assert keyed, "no scan passed without review (the rate is checked in test_ocr_accuracy.py)"
    # Files that are not readable forms: 要確認 with the reason (never 失敗), the batch went on.
    for row in rows[len(forms):]:
        assert row["状態"] == "要確認" and row["エラー内容"], row
    review_rows = [i for i, r in enumerate(rows) if r["状態"] == "要確認"]
    assert len(keyed) + len(review_rows) == len(forms) + len(bad)

    reviews = list(scans.glob("要確認/*/要確認_shinsei.xlsx"))
    assert len(reviews) == 1  # the bad files alone make one
    if review_rows:
        book = openpyxl.load_workbook(reviews[0])
        sheet = book["要確認"]
        header = [c.value for c in sheet[1]]
        assert sheet.max_row - 1 == len(review_rows)
        # Each doubtful field: its reason and an image a person can look at.
        for row in book["欄ごと"].iter_rows(min_row=2, values_only=True):
            assert row[3], row
            assert row[4] and Path(str(row[4])).is_file(), row
        # Staff correct the doubtful values from the paper (here: the ground truth) and mark them done.
        for excel_row, i in zip(range(2, sheet.max_row + 1), review_rows, strict=True):
            if i >= len(forms):  # not a form: its row names the file, the reason and the page's image
                assert sheet.cell(row=excel_row, column=header.index("確認が必要な欄") + 1).value, excel_row
                continue  # staff leave it empty: review import skips it
            truth = truth_by_index[i]
            for name, value in truth.items():
                if name in header:
                    shown = ("はい" if value else "いいえ") if isinstance(value, bool) else value
                    sheet.cell(row=excel_row, column=header.index(name) + 1, value=shown)
            sheet.cell(row=excel_row, column=header.index("確認済み") + 1, value="済")
        book.save(reviews[0])
        corrected = tmp_path / "修正済み.xlsx"
        done = subprocess.run([sys.executable, "runner.py", "review", "import", str(reviews[0]), "--out",
                               str(corrected)], cwd=REPO, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        follow_up = run_flow(EXCEL_FLOW, input_file=corrected)
        assert follow_up.result.status is RunStatus.COMPLETED, follow_up.result.error
        assert {r["状態"] for r in follow_up.results_rows()} == {"成功"}

    # Every form is now in the core system exactly once, with the values on paper.
    final = read_all(server.config.db_path)
    assert len(final) == len(forms)
    by_name = {(_spaceless(r["氏名"]), r["生年月日"]): r for r in final}
    for truth in truth_by_index.values():
        key = (_spaceless(truth["氏名"]), truth["生年月日"])
        assert key in by_name and not _matches(by_name[key], truth), truth
    # The run log records the review workbook; no personal number in it.
    log = (outcome.folder / "run.jsonl").read_text(encoding="utf-8")
    assert all(not truth["個人番号"] or truth["個人番号"] not in log for truth in truth_by_index.values())
    if review_rows:
        assert any(json.loads(line).get("event") == "review_workbook" for line in log.splitlines())
    assert dt.date.fromisoformat(final[0]["生年月日"])

"""Issue 16: the sample flows ``make demo`` runs (Excel list → web, scanned forms → web, Excel list
→ desktop client) work in English too — results workbooks included.

With ``--lang en`` the results-workbook listener used to fail on the English status words, no
``結果_*.xlsx`` was written and the run still said "completed", exit 0. Here ``make demo``'s own
entry point runs with ``KZ_LANG=en`` (every run folder in a temporary ``KZ_LOGS``): it exits 0 only
when all three runs completed, and each must have written its results workbook, in English.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

pytestmark = [pytest.mark.browser, pytest.mark.display, pytest.mark.tesseract, pytest.mark.slow,
              pytest.mark.timeout(1200)]

REPO = Path(__file__).resolve().parents[2]


def test_make_demo_in_english_writes_every_results_workbook(tmp_path: Path) -> None:
    env = {**os.environ, "KZ_LANG": "en", "KZ_LOGS": str(tmp_path / "logs"), "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("KZ_HOME", None)
    done = subprocess.run([sys.executable, "-m", "kazaguruma_demo.showcase"], cwd=REPO, env=env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=1100)
    output = done.stdout
    assert done.returncode == 0, output[-4000:]  # 0: all three sample runs completed
    assert "Traceback" not in output and "unknown status" not in output, output[-4000:]

    printed = dict(re.findall(r"^results workbook \((Excel|OCR|desktop)\): (.+)$", output, re.M))
    assert sorted(printed) == ["Excel", "OCR", "desktop"], output[-4000:]
    for label, path in printed.items():
        book = load_workbook(Path(path.strip()), read_only=True)
        try:
            assert book.sheetnames == ["results", "summary"], label
            header = next(book["results"].iter_rows(max_row=1, values_only=True))
            statuses = {row[header.index("status")] for row in book["results"].iter_rows(min_row=2, values_only=True)}
            summary = {row[0]: row[1] for row in book["summary"].iter_rows(min_row=2, values_only=True) if row[0]}
        finally:
            book.close()
        assert "succeeded" in statuses and statuses <= {"succeeded", "failed", "needs review"}, (label, statuses)
        assert summary["total"] == sum(summary[s] for s in ("succeeded", "failed", "needs review", "not run")) > 0

    # The governance outputs make demo points at: the RPA register (one row per bot, the runs just made) and
    # the procedure generated from the sample flow, both in English.
    register = re.search(r"^RPA register \(.+\): (.+)$", output, re.M)
    procedure = re.search(r"^procedure generated from the flow \(.+\): (\S+)", output, re.M)
    assert register and procedure, output[-4000:]
    book = load_workbook(Path(register.group(1).strip()), read_only=True)
    try:
        rows = list(book.worksheets[0].iter_rows(min_row=3, values_only=True))
    finally:
        book.close()
    header, bots = rows[0], {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:] if row[0]}
    assert sorted(bots) == ["desktop-nyuryoku", "shinsei-nyuryoku", "shinsei-ocr", "spa-chumon"], header
    assert all(bot["last result"] == "completed" and bot["runs (30 days)"] == 1 for bot in bots.values()), bots
    page = Path(procedure.group(1)).read_text(encoding="utf-8")
    assert "Purpose" in page and "shinsei-nyuryoku" in page

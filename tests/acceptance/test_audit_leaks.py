"""Audit issue: no password and no unmasked マイナンバー anywhere a run leaves a trace.

Runs the sample flow with a known password and records holding valid マイナンバー (in the
sensitive 個人番号 column and inside free text), then searches every file under the logs
folder (run folder, run log, results workbook, ledger, run store file), a dump of the run
store and the exported reports.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from kazaguruma_demo.sample_data import make_applications, write_applications_xlsx
from kazaguruma_demo.web.store import read_all

from bots.masking import is_valid_mynumber, mynumber_check_digit
from bots.store.store import RunStore

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "demo-pass-2026"
REPO = Path(__file__).resolve().parents[2]


def _mynumber(seed: int) -> str:
    body = f"{seed:011d}"[-11:]
    return body + str(mynumber_check_digit(body))


def _texts(path: Path) -> list[str]:
    """Everything a person (or a grep) could read in a file, xlsx parts unzipped."""
    data = path.read_bytes()
    if data[:2] == b"PK":
        with zipfile.ZipFile(path) as book:
            return [book.read(name).decode("utf-8", "replace") for name in book.namelist()]
    return [data.decode("utf-8", "replace")]


def _forms(number: str) -> list[str]:
    full = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return [number, f"{number[:4]}-{number[4:8]}-{number[8:]}", f"{number[:4]} {number[4:8]} {number[8:]}", full]


def test_no_password_and_no_unmasked_mynumber_anywhere(demo_web: Any, run_flow: Any, tmp_path: Path) -> None:
    server = demo_web()
    rows = [dict(row) for row, _ in make_applications(10, seed=31, bad=1)]
    numbers = [_mynumber(90_000_000_000 + i * 7_919) for i in range(len(rows))]
    assert all(is_valid_mynumber(n) for n in numbers)
    for i, row in enumerate(rows):
        row["個人番号"] = numbers[i] if i % 2 == 0 else f"{numbers[i][:4]}-{numbers[i][4:8]}-{numbers[i][8:]}"
        if i % 3 == 0:
            row["備考"] = f"本人確認済み（個人番号 {numbers[i]}）"
    rows[4]["生年月日"] = "令和30年1月1日"  # refused by the core system: a failure with a screenshot
    source = tmp_path / "申請一覧_個人番号.xlsx"
    write_applications_xlsx(source, rows)

    outcome = run_flow(input_file=source)

    stored = read_all(server.config.db_path)
    assert any(r.get("個人番号") for r in stored), "the core system must have received the numbers"
    logs = tmp_path / "logs"
    env = {"KZ_LOGS": str(logs), "PATH": "/usr/bin:/bin"}
    for fmt in ("html", "xlsx"):
        done = subprocess.run([sys.executable, str(REPO / "runner.py"), "audit", "export", "--from", "2000-01-01",
                               "--to", "2100-01-01", "--format", fmt, "--output", str(tmp_path / f"report.{fmt}")],
                              cwd=REPO, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    with RunStore.open(None, logs) as store:
        dump = json.dumps(store.dump(), ensure_ascii=False, default=str)

    places: dict[str, list[str]] = {"run store dump": [dump]}
    for path in [*logs.rglob("*"), tmp_path / "report.html", tmp_path / "report.xlsx"]:
        if path.is_file() and path.suffix != ".png":
            places[str(path)] = _texts(path)
    assert any(p.endswith(".jsonl") and "ledger" in p for p in places), "the ledger was not written"
    assert outcome.results_path is not None and str(outcome.results_path) in places
    leaks = [(where, form) for where, texts in places.items() for text in texts
             for form in [PASSWORD, *[f for n in numbers for f in _forms(n)]] if form in text]
    assert leaks == []
    # Screenshots: what tesseract can read on them holds no number either (the field is blacked out).
    shots = list(logs.rglob("*.png"))
    assert shots, "the refused record should have left a screenshot"
    for shot in shots:
        seen = subprocess.run(["tesseract", str(shot), "-", "--psm", "11"], capture_output=True, text=True,
                              check=True).stdout
        digits = re.sub(r"\D", "", seen.translate(str.maketrans("０１２３４５６７８９", "0123456789")))
        assert "未来" in seen or "生年月日" in seen or len(seen) > 20, "OCR read nothing: the check would prove nothing"
        assert not [n for n in numbers if n[:8] in digits], f"{shot.name}: {seen!r}"
    # Masked, not dropped: the last four digits stay so staff can tell records apart.
    assert re.search(r"\*{8}\d{4}", places[str(outcome.results_path)][-1] + "".join(places[str(outcome.results_path)]))
    assert any("［秘匿］" in t or "****" in t for texts in places.values() for t in texts)

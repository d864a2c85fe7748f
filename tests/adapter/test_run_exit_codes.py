"""Issue 16: ``runner.py run`` never reads as success when the run's own work failed.

A failed check in ``teardown`` (the day's count does not match, the logout failed) used to leave
the run ``completed`` with exit 0. It is ``failed`` now, exit 1, with the reason — in Japanese
and in English (``--lang en``). Control steps only: no browser.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

REPO = Path(__file__).resolve().parents[2]
FLOW = """\
id: teardown-check
title: 後処理の検査
version: 1.0.0
owner: 情報政策係
inputs:
  file: {type: path, required: true}
records:
  from: excel
  file: "{{ inputs.file }}"
  sheet: 申請一覧
  columns:
    氏名: {type: str, required: true}
steps:
  - log: "{{ record.氏名 }}"
teardown:
  - {fail: 日次の件数が一致しません, when: "true"}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "flows").mkdir(parents=True)
    (root / "selectors").mkdir()
    (root / "flows" / "teardown.yaml").write_text(FLOW, encoding="utf-8")
    wb = Workbook()
    ws = wb.active
    ws.title = "申請一覧"
    for row in (["氏名"], ["山田 太郎"], ["佐藤 花子"]):
        ws.append(row)
    wb.save(root / "申請一覧.xlsx")
    return root


@pytest.mark.parametrize(("lang", "failed", "reason"), [
    ("ja", "失敗", "後処理に失敗しました: 日次の件数が一致しません"),
    ("en", "failed", "teardown failed: 日次の件数が一致しません"),
])
def test_a_failed_teardown_check_exits_non_zero(project: Path, tmp_path: Path, lang: str, failed: str,
                                                reason: str) -> None:
    env = {**os.environ, "KZ_HOME": str(project), "KZ_LOGS": str(tmp_path / "logs"), "COLUMNS": "200",
           "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, str(REPO / "runner.py"), "--lang", lang, "run", "flows/teardown.yaml",
                           "--input", "申請一覧.xlsx"], cwd=project, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert done.returncode == 1, done.stdout
    assert reason in done.stdout, done.stdout
    assert any(line.split()[:2] == [("状態" if lang == "ja" else "status"), failed]
               for line in done.stdout.splitlines()), done.stdout
    assert "Traceback" not in done.stdout
    assert list((tmp_path / "logs" / "runs").glob("*/*/結果_申請一覧.xlsx")), "the records' outcomes are still written"

"""Issue 19: ``runner.py review export RUN_ID`` / ``review import`` for any flow's 要確認 rows.

Before, the 要確認 rows of an Excel run could be re-keyed only by hand-editing a workbook (the
results workbook even masks the マイナンバー, so it cannot serve as input). Staff now export the
run's 要確認 rows (the input's own values, with the reason), correct them, and import the workbook
into an input list for a re-run of just those rows — the same import as for OCR review workbooks.
Everything through ``runner.py`` as staff run it, on the demo web system with the sample flow.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flow_harness import stored_keys
from kazaguruma_demo.sample_data import make_applications, write_applications_xlsx
from kazaguruma_demo.web.server import DemoServer

from bots.project import Project

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
FLOW = "flows/shinsei_nyuryoku.yaml"
Demo = Callable[..., DemoServer]


def runner(project: Project, *args: str, lang: str = "ja") -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "KZ_LANG": lang}
    return subprocess.run([sys.executable, str(REPO / "runner.py"), *args], cwd=project.root, env=environ,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)


def _run_id(output: str) -> str:
    found = re.search(r"(?:実行ID|run) (\d{8}-\d{6}-[0-9a-f]{6})", output)
    assert found, output
    return found.group(1)


def _sheet(path: Path, name: str) -> list[dict[str, Any]]:
    book = openpyxl.load_workbook(path)
    rows = list(book[name].iter_rows(values_only=True))
    book.close()
    return [dict(zip([str(h) for h in rows[0]], row, strict=True)) for row in rows[1:]]


@pytest.fixture
def sample(project: Project, tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """The sample flow in the project, and a list of 4 applications whose 4th repeats the 1st's key."""
    (project.flows / "shinsei_nyuryoku.yaml").write_text((REPO / FLOW).read_text(encoding="utf-8"), encoding="utf-8")
    rows = [row for row, _ in make_applications(3, seed=23, bad=0)]
    twin = dict(rows[1])  # another person, but the 生年月日 was typed from the wrong line
    twin.update({"氏名": rows[0]["氏名"], "生年月日": rows[0]["生年月日"], "個人番号": "１２３４５６７８９０１８"})
    rows.append(twin)
    source = tmp_path / "申請一覧.xlsx"
    write_applications_xlsx(source, rows)
    return source, rows


def test_export_correct_import_and_rerun_only_the_review_rows(demo_web: Demo, project: Project, tmp_path: Path,
                                                              sample: tuple[Path, list[dict[str, Any]]]) -> None:
    server = demo_web()
    source, rows = sample
    first = runner(project, "run", FLOW, "--input", str(source))
    assert first.returncode == 1, first.stdout  # one row needs review
    run_id = _run_id(first.stdout)
    assert len(stored_keys(server.config.db_path)) == 3

    exported = runner(project, "review", "export", run_id)
    assert exported.returncode == 0, exported.stdout
    review = source.with_name(f"申請一覧_要確認_{run_id}.xlsx")
    assert f"1 件を書き出しました: {review}" in exported.stdout
    assert "python runner.py review import" in exported.stdout
    (row,) = _sheet(review, "要確認")
    assert list(row)[:3] == ["ファイル", "確認済み", "氏名"] and list(row)[-2:] == ["確認が必要な欄", "状態"]
    assert row["ファイル"] == "申請一覧.xlsx（申請一覧!5）" and row["状態"] == "要確認"
    assert "同じキーの行が既にあります" in row["確認が必要な欄"]
    # The input's own values — the マイナンバー too, which the results workbook masks.
    assert {k: row[k] for k in rows[3]} == {k: v for k, v in rows[3].items()}
    info = {r[0]: r[1] for r in openpyxl.load_workbook(review)["実行情報"].iter_rows(values_only=True)}
    assert info["実行ID"] == run_id and info["フロー"] == FLOW

    # Staff check the paper: the 生年月日 was wrong. They correct it and mark the row.
    book = openpyxl.load_workbook(review)
    sheet = book["要確認"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("生年月日") + 1, value="昭和60年1月15日")
    sheet.cell(row=2, column=header.index("確認済み") + 1, value="済")
    book.save(review)

    imported = runner(project, "review", "import", str(review), "--only-confirmed")
    assert imported.returncode == 0, imported.stdout
    listing = review.with_name(f"{review.stem}_修正済み.xlsx")
    assert f"1 件を書き出しました: {listing}" in imported.stdout
    assert f"python runner.py run {FLOW} --input \"{listing}\"" in imported.stdout
    (listed,) = _sheet(listing, "申請一覧")
    assert listed["生年月日"] == "昭和60年1月15日" and listed["個人番号"] == "１２３４５６７８９０１８"

    again = runner(project, "run", FLOW, "--input", str(listing))
    assert again.returncode == 0, again.stdout
    keys = stored_keys(server.config.db_path)
    assert len(set(keys)) == 4 and keys[-1][1] == "1985-01-15"  # only the corrected row was keyed again


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_export_says_what_it_cannot_do(demo_web: Demo, project: Project, tmp_path: Path, lang: str,
                                       sample: tuple[Path, list[dict[str, Any]]]) -> None:
    demo_web()
    source, rows = sample
    unknown = runner(project, "review", "export", "20990101-000000-abcdef", lang=lang)
    assert unknown.returncode == 2
    assert ("実行 20990101-000000-abcdef が見つかりません" if lang == "ja" else "no run 20990101-000000-abcdef") \
        in unknown.stdout

    clean = tmp_path / "clean.xlsx"
    write_applications_xlsx(clean, rows[:2])
    ok = runner(project, "run", FLOW, "--input", str(clean), lang=lang)
    assert ok.returncode == 0, ok.stdout
    nothing = runner(project, "review", "export", _run_id(ok.stdout), lang=lang)
    assert nothing.returncode == 0
    assert ("要確認の行はありません" if lang == "ja" else "has no rows needing review") in nothing.stdout

    first = runner(project, "run", FLOW, "--input", str(source), lang=lang)
    run_id = _run_id(first.stdout)
    book = openpyxl.load_workbook(source)
    book.active.cell(row=2, column=1, value="書き換え 後子")  # the list was edited after the run
    book.save(source)
    changed = runner(project, "review", "export", run_id, lang=lang)
    assert changed.returncode == 2, changed.stdout
    assert ("入力ファイルが実行" if lang == "ja" else "the input file changed since run") in changed.stdout
    with_failed = runner(project, "review", "export", run_id, "--include-failed", lang=lang)
    assert with_failed.returncode == 2  # the same refusal: the rows cannot be found in another file

"""Issue 19 (item 5): run-level results. A flow's ``teardown`` reads a value from the demo web
system after the last record; ``run_outputs`` names it, and it appears where staff and auditors
look: the console summary of ``runner.py run``, ``runner.py audit show`` (and ``audit runs``), the
run store's row, the results workbook's 実行結果 sheet and run.jsonl's ``run_finished``. ``log:``
lines are printed at normal verbosity. Values are masked like every other output (a マイナンバー
keeps only its last 4 digits everywhere). ``validate`` refuses a run output that setup/teardown
never set (one set only per record is gone when the record ends).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
from flow_harness import application_list, web_project
from kazaguruma_demo.web.server import DemoServer

from bots.api.validation import validate
from bots.i18n import set_language
from bots.masking import mynumber_check_digit
from bots.project import Project
from bots.store import RunStore

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
Demo = Callable[..., DemoServer]

#: A valid マイナンバー (check digit computed), set in setup: it must be masked wherever it shows.
MY_NUMBER = "12345678901" + str(mynumber_check_digit("12345678901"))
MASKED = "********" + MY_NUMBER[-4:]

RUN_PARTS = """\
run_outputs: [照会件数, 利用者, 控え, 未設定]

teardown:
  - browser.goto: "/search?birth={birth}"
  - browser.read_text: {{target: 検索.件数, into: 照会件数}}
  - browser.goto: /menu
  - browser.read_text: {{target: メニュー.ログイン中ユーザー, into: 利用者}}
  - log: "後片付け: 照会 {{{{ vars.照会件数 }}}}"
  - set: {{未設定: null}}
"""


@pytest.fixture(autouse=True)
def _japanese() -> Iterator[None]:
    yield
    set_language("ja")


def runner(project: Project, *args: str, lang: str) -> subprocess.CompletedProcess[str]:
    """``runner.py ARGS`` from the project folder, as staff run it; stdout and stderr together."""
    environ = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "KZ_LANG": lang}
    return subprocess.run([sys.executable, str(REPO / "runner.py"), *args], cwd=project.root, env=environ,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)


def _flow(project: Project, birth: str) -> Path:
    """The sample keying flow with a setup value (a マイナンバー to mask), a teardown that looks up
    one keyed application and reads the logged-in user, and their run_outputs."""
    text = (REPO / "flows" / "shinsei_nyuryoku.yaml").read_text(encoding="utf-8")
    text = text.replace("    call: common/demo_web_login.yaml\n\n# セッション切れ",
                        f"    call: common/demo_web_login.yaml\n  - set: {{控え: \"番号 {MY_NUMBER}\"}}\n\n# セッション切れ",
                        1)
    assert f"番号 {MY_NUMBER}" in text, "the sample flow's setup changed: update this test"
    path = project.flows / "shinsei_run_outputs.yaml"
    path.write_text(text + "\n" + RUN_PARTS.format(birth=birth), encoding="utf-8")
    return path


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_value_read_in_teardown_is_shown_stored_and_written(demo_web: Demo, project: Project, tmp_path: Path,
                                                              lang: str) -> None:
    demo_web()
    web_project(project)
    source = tmp_path / "申請一覧.xlsx"
    keys = application_list(source, 3, seed=519)
    _flow(project, keys[1][1])  # the second record's 生年月日: the teardown finds it once keyed
    done = runner(project, "run", "flows/shinsei_run_outputs.yaml", "--input", str(source), lang=lang)
    assert done.returncode == 0, done.stdout

    # The console: the log line at normal verbosity, and the summary's run results.
    assert "後片付け: 照会 1件" in done.stdout, done.stdout
    summary = done.stdout[done.stdout.index("後片付け"):]
    assert ("実行結果" if lang == "ja" else "run results") in summary, done.stdout
    assert re.search(r"照会件数\s+1件", summary), done.stdout
    assert re.search(r"利用者\s+\S+", summary), done.stdout
    assert re.search(rf"控え\s+番号 {re.escape(MASKED)}", summary), done.stdout
    assert re.search(r"未設定\s+-", summary), done.stdout
    assert MY_NUMBER not in done.stdout

    # The run store: the runs row, masked, in declared order.
    with RunStore.open(None, project.logs) as store:
        (listed,) = store.list_runs(None, None)
        run = store.get_run(listed.run_id)
    assert run is not None
    assert list(run.run_outputs) == ["照会件数", "利用者", "控え", "未設定"]
    assert run.run_outputs["照会件数"] == "1件"
    assert run.run_outputs["控え"] == f"番号 {MASKED}"
    assert run.run_outputs["未設定"] is None
    user = run.run_outputs["利用者"]
    assert isinstance(user, str) and user.strip()
    assert listed.run_outputs == run.run_outputs  # the run list carries them too

    # runner.py audit show RUN_ID, and the run list.
    shown = runner(project, "audit", "show", listed.run_id, lang=lang)
    assert shown.returncode == 0, shown.stdout
    line = next(line for line in shown.stdout.splitlines() if "照会件数" in line)
    assert line.split()[0] == ("実行結果" if lang == "ja" else "run")
    assert f"照会件数: 1件, 利用者: {user}, 控え: 番号 {MASKED}, 未設定: -" in line, shown.stdout
    runs = runner(project, "audit", "runs", lang=lang)
    assert runs.returncode == 0 and "照会件数: 1件" in runs.stdout, runs.stdout

    # The results workbook: a 実行結果 sheet of name/value rows.
    folder = next((project.logs / "runs").glob(f"*/{listed.run_id}"))
    (workbook,) = folder.glob("*.xlsx")
    book = openpyxl.load_workbook(workbook, read_only=True)
    try:
        sheet = "実行結果" if lang == "ja" else "run results"
        assert sheet in book.sheetnames, book.sheetnames
        rows = list(book[sheet].iter_rows(values_only=True))
        results = list(book[book.sheetnames[0]].iter_rows(values_only=True))
    finally:
        book.close()
    assert rows[0] == (("項目", "値") if lang == "ja" else ("item", "value"))
    assert rows[1:] == [("照会件数", "1件"), ("利用者", user), ("控え", f"番号 {MASKED}"), ("未設定", None)]
    assert len(results) == 4  # the 結果 sheet comes first, as before: header + 3 records

    # run.jsonl: the run_finished line.
    events = [json.loads(line) for line in (folder / "run.jsonl").read_text(encoding="utf-8").splitlines()]
    (end,) = [e for e in events if e.get("event") == "run_finished"]
    assert end["run_outputs"] == {"照会件数": "1件", "利用者": user, "控え": f"番号 {MASKED}", "未設定": None}
    assert MY_NUMBER not in (folder / "run.jsonl").read_text(encoding="utf-8")


FLOW_SET_PER_RECORD = """\
id: run-outputs-check
title: 実行結果の検査
version: 1.0.0
owner: 情報政策係
run_outputs: [合計, 件数]
setup:
  - set: {件数: 0}
steps:
  - set: {合計: 1}
"""


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_validate_refuses_a_run_output_set_only_per_record(project: Project, lang: str) -> None:
    set_language(lang)
    path = project.flows / "run_outputs_check.yaml"
    path.write_text(FLOW_SET_PER_RECORD, encoding="utf-8")
    loaded, found = validate(path, project)
    assert loaded is None
    (problem,) = [d for d in found if "合計" in d.message]
    assert (problem.pos.line, problem.pos.col) == (5, 15), problem.render()
    if lang == "ja":
        assert "実行結果 '合計' は setup・teardown のどのステップでも設定されていません" in problem.message
    else:
        assert "run output '合計' is never set by a setup or teardown step" in problem.message
    assert not [d for d in found if "件数" in d.message]  # set in setup: fine


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_name_listed_twice_is_refused(project: Project, lang: str) -> None:
    set_language(lang)
    path = project.flows / "run_outputs_twice.yaml"
    path.write_text(FLOW_SET_PER_RECORD.replace("[合計, 件数]", "[件数, 件数]"), encoding="utf-8")
    loaded, found = validate(path, project)
    assert loaded is None
    expected = "run_outputs に同じ名前が二度あります" if lang == "ja" else "a name is listed twice in run_outputs"
    assert any(expected in d.message for d in found), [d.render() for d in found]

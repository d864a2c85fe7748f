"""``runner.py`` as staff run it: a subprocess, its exit code and what it prints.

The sample flow runs against the demo web system served in this process (``demo_web`` sets
``KZ_DEMO_URL`` / ``KZ_DEMO_PASSWORD``); run folders go to a tmp ``KZ_LOGS``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from kazaguruma_demo.sample_data import make_applications, write_applications_xlsx
from kazaguruma_demo.web.app import demo_context
from kazaguruma_demo.web.server import DemoServer
from kazaguruma_demo.web.store import read_all

REPO = Path(__file__).resolve().parents[2]
SAMPLE = "flows/shinsei_nyuryoku.yaml"
INVALID = "tests/flows/invalid/unknown_step.yaml"

Demo = Callable[..., DemoServer]
Kz = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KZ_LOGS", str(tmp_path / "logs"))
    monkeypatch.delenv("KZ_HOME", raising=False)
    return tmp_path / "logs"


@pytest.fixture
def kz(logs: Path) -> Kz:
    """Run ``runner.py ARGS`` from the repository root; stdout and stderr together in ``.stdout``."""

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        environ = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **env}
        return subprocess.run([sys.executable, str(REPO / "runner.py"), *args], cwd=REPO, env=environ,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=90)

    return run


def _applications(path: Path, n: int = 3, bad: int = 0, seed: int = 7) -> Path:
    write_applications_xlsx(path, [row for row, _ in make_applications(n, seed=seed, bad=bad)])
    return path


def _printed_paths(output: str) -> tuple[Path, Path | None]:
    folder = re.search(r"^実行記録: (.+)$", output, re.M)
    results = re.search(r"^結果ファイル: (.+)$", output, re.M)
    assert folder, output
    return Path(folder.group(1)), Path(results.group(1)) if results else None


def _events(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (folder / "run.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.mark.browser
def test_run_all_good_exits_0_and_prints_where_the_results_are(
    demo_web: Demo, kz: Kz, logs: Path, tmp_path: Path
) -> None:
    server = demo_web()
    done = kz("run", SAMPLE, "--input", str(_applications(tmp_path / "申請一覧.xlsx")))
    assert done.returncode == 0, done.stdout
    folder, results = _printed_paths(done.stdout)
    assert folder.parent.parent == logs / "runs" and (folder / "run.jsonl").is_file()
    assert results == folder / "結果_申請一覧.xlsx" and results.is_file()
    book = openpyxl.load_workbook(results, read_only=True)
    header, *rows = book["結果"].iter_rows(values_only=True)
    book.close()
    got = [dict(zip(header, row, strict=False)) for row in rows]
    assert [r["状態"] for r in got] == ["成功"] * 3
    assert sorted(r["受付番号"] for r in got) == sorted(r["receipt_no"] for r in read_all(server.config.db_path))
    assert "Traceback" not in done.stdout


@pytest.mark.browser
def test_run_with_a_bad_row_exits_1(demo_web: Demo, kz: Kz, tmp_path: Path) -> None:
    server = demo_web()
    done = kz("run", SAMPLE, "--input", str(_applications(tmp_path / "申請一覧.xlsx", bad=1)))
    assert done.returncode == 1, done.stdout
    assert re.search(r"^\s+失敗 申請一覧!\d+ .+: .+", done.stdout, re.M), done.stdout
    assert len(read_all(server.config.db_path)) == 2


@pytest.mark.browser
def test_dry_run_prints_each_record_and_stores_nothing(demo_web: Demo, kz: Kz, tmp_path: Path) -> None:
    server = demo_web()
    source = _applications(tmp_path / "申請一覧.xlsx", n=4, bad=1)
    done = kz("run", SAMPLE, "--input", str(source), "--dry-run")
    assert done.returncode == 1, done.stdout  # the bad row still counts as failed
    assert "リハーサル" in done.stdout
    outcomes = re.findall(r"^\s+(成功|失敗) (申請一覧!\d+) ", done.stdout, re.M)
    assert sorted(loc for _, loc in outcomes) == [f"申請一覧!{n}" for n in range(2, 6)]
    assert [state for state, _ in outcomes].count("成功") == 3
    assert read_all(server.config.db_path) == []
    folder, _ = _printed_paths(done.stdout)
    assert sum(1 for e in _events(folder) if e.get("event") == "dry_run_skip") == 3


def test_invalid_flow_exits_2_with_file_line_col(kz: Kz) -> None:
    done = kz("run", INVALID)
    assert done.returncode == 2
    assert re.search(r"unknown_step\.yaml:\d+:\d+: エラー: 不明なステップ 'mail\.send'", done.stdout), done.stdout
    assert "Traceback" not in done.stdout


def test_missing_input_is_refused_before_anything_is_keyed(demo_web: Demo, kz: Kz, tmp_path: Path) -> None:
    server = demo_web()
    done = kz("run", SAMPLE, "--input", str(tmp_path / "ない.xlsx"))
    assert done.returncode == 2, done.stdout
    assert "入力ファイルが見つかりません" in done.stdout and "Traceback" not in done.stdout
    assert read_all(server.config.db_path) == []
    assert len(demo_context(server.app).sessions) == 0, "the demo system saw a request: someone logged in"
    folder, _ = _printed_paths(done.stdout)
    assert not [e for e in _events(folder) if e.get("event") == "step_finished"]


@pytest.mark.browser
def test_target_system_down_exits_3(kz: Kz, tmp_path: Path) -> None:
    with socket.socket() as sock:  # free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    done = kz("run", SAMPLE, "--input", str(_applications(tmp_path / "申請一覧.xlsx")),
              KZ_DEMO_URL=url, KZ_DEMO_PASSWORD="demo-pass-2026")
    assert done.returncode == 3, done.stdout
    assert re.search(r"状態\s+中断", done.stdout) and re.search(r"未処理\s+3", done.stdout), done.stdout
    assert "対象システムに接続できません" in done.stdout


@pytest.mark.browser
def test_selectors_check_lists_the_login_screen_ok(demo_web: Demo, kz: Kz) -> None:
    server = demo_web()
    done = kz("selectors", "check", "demo_web", "--url", f"{server.url}/login", "--screen", "ログイン")
    assert done.returncode == 0, done.stdout
    for element, candidate in (("ユーザーID", "label='ユーザーID'"), ("パスワード", "label='パスワード'"),
                               ("ログイン", "role=button[name='ログイン']")):
        assert re.search(rf"│ ログイン\s+│ {element}\s+│ OK\s+│ 1: {re.escape(candidate)}", done.stdout), done.stdout
    assert re.search(r"│ ログインエラー\s+│ 表示なし（条件付き）", done.stdout)


@pytest.mark.browser
def test_selectors_check_fails_for_a_screen_that_is_not_shown(demo_web: Demo, kz: Kz) -> None:
    server = demo_web()
    done = kz("selectors", "check", "demo_web", "--url", f"{server.url}/login", "--screen", "確認")
    assert done.returncode != 0
    assert re.search(r"│ 確認\s+│ 登録\s+│ 見つからない", done.stdout), done.stdout
    unknown = kz("selectors", "check", "demo_web", "--url", f"{server.url}/login", "--screen", "確認画面")
    assert unknown.returncode == 2
    assert "画面 確認画面 はセレクタ定義 demo_web にありません。 もしかして: 確認" in unknown.stdout
    assert "Traceback" not in unknown.stdout


def test_lang_en_switches_messages_to_english(kz: Kz) -> None:
    done = kz("--lang", "en", "run", INVALID)
    assert done.returncode == 2
    assert re.search(r"unknown_step\.yaml:\d+:\d+: error: unknown step 'mail\.send'", done.stdout), done.stdout
    assert "the flow has errors" in done.stdout
    assert "エラー" not in done.stdout and "不明" not in done.stdout


def test_lang_en_translates_the_input_file_refusal(kz: Kz, tmp_path: Path) -> None:
    done = kz("--lang", "en", "run", SAMPLE, "--input", str(tmp_path / "missing.xlsx"))
    assert done.returncode == 2
    assert "invalid input" in done.stdout and "run folder:" in done.stdout
    assert "入力ファイル" not in done.stdout

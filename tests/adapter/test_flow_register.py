"""The RPA 管理台帳 of the repository's sample project, as ``runner.py flows list`` writes it.

The sample project (flows, selector maps, schedules, staff directory) is copied to tmp and its
run store is a real SQLite database under a tmp ``KZ_LOGS``: runs are written the way the run
listener writes them, approvals go through the library (a git repository decides who authored
the flows) or the CLI (``--author``). The workbook is read back with openpyxl, the page parsed.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from governance_support import HtmlTable

from bots.api import open_trail
from bots.errors import ApprovalRefused
from bots.flow.loader import load_flow
from bots.governance.approve import Approval, approve
from bots.governance.versions import Version
from bots.project import Project
from bots.results.model import RecordResult, RunResult, RunStatus, Status
from bots.store.store import RunStore

REPO = Path(__file__).resolve().parents[2]
BOTS = ["desktop-nyuryoku", "shinsei-nyuryoku", "shinsei-ocr"]  # sorted by 所管課 (all the same), then id
SUBFLOWS = ["demo-desktop-login", "demo-desktop-reset", "demo-web-entry", "demo-web-login", "demo-web-lookup"]
KAZAMA = "風間 太郎（情報政策課 情報政策係）"
KURUMADA = "車田 花子（情報政策課 情報政策係）"
NIGHTLY = "demo_nightly: cron 0 22 * * * Asia/Tokyo（業務日のみ）"
HEADERS = ("ID", "名称", "所管課", "所有者", "副担当", "対象システム", "ネットワーク（三層）", "扱う個人情報", "入力",
           "スケジュール", "版", "承認状態", "承認者", "承認日", "次回見直し", "最終実行", "最終結果", "30日の実行回数",
           "30日の処理件数", "ファイル")
HEADERS_EN = ("ID", "title", "department", "owner", "deputy", "target systems", "network zone", "personal data",
              "inputs", "schedules", "version", "approval", "approvers", "approved at", "review due", "last run",
              "last result", "runs (30 days)", "records (30 days)", "file")

Kz = Callable[..., subprocess.CompletedProcess[str]]
Row = dict[str, object]


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """The repository's sample project, copied (never written in place); logs and store in tmp."""
    root = tmp_path / "project"
    for folder in ("flows", "selectors", "schedules", "config"):
        shutil.copytree(REPO / folder, root / folder)
    # The checks below are about the three 住民課 bots keyed into the demo 住民記録 system; the SPA
    # order bot (another 所管課, no personal data) has its own tests.
    (root / "flows" / "spa_chumon.yaml").unlink()
    monkeypatch.setenv("KZ_LOGS", str(tmp_path / "logs"))
    for name in ("KZ_HOME", "KZ_STORE_URL", "KZ_LANG"):
        monkeypatch.delenv(name, raising=False)
    return Project(root)


@pytest.fixture
def kz(sample: Project) -> Kz:
    """``runner.py ARGS`` run in the sample project; stdout and stderr together in ``.stdout``."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        environ = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
        return subprocess.run([sys.executable, str(REPO / "runner.py"), *args], cwd=sample.root, env=environ,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)

    return run


def _register(kz: Kz, out: Path, *options: str) -> tuple[str, list[str], list[Row]]:
    """``flows list --format xlsx --out``: the title cell, the headers (row 3) and the rows by header."""
    done = kz(*options, "flows", "list", "--format", "xlsx", "--out", str(out))
    assert done.returncode == 0, done.stdout
    assert str(out) in done.stdout.replace("\n", "")
    book = openpyxl.load_workbook(out)
    sheet = book.active
    assert sheet is not None
    title = sheet["A1"].value
    assert all(cell.value is None for cell in sheet[2])
    headers = [str(cell.value) for cell in sheet[3]]
    rows = [dict(zip(headers, values, strict=True)) for values in sheet.iter_rows(min_row=4, values_only=True)]
    book.close()
    return str(title), headers, rows


def _at(days: float, hour: int = 10) -> dt.datetime:
    """A moment ``days`` ago, local time, whole seconds (as Excel keeps it)."""
    day = dt.datetime.now().astimezone() - dt.timedelta(days=days)
    return day.replace(hour=hour, minute=15, second=0, microsecond=0)


def _run(store: RunStore, run_id: str, flow_id: str, status: RunStatus, started: dt.datetime, *, passed: int = 0,
         failed: int = 0, dry_run: bool = False) -> None:
    """One run as the run-store listener records it: started, its records, finished."""
    store.start_run(run_id=run_id, flow_id=flow_id, flow_version="1.0.0", flow_hash="a" * 64, selectors_hash=None,
                    trigger="manual", os_user="kazama", host="窓口PC-01", started_at=started, dry_run=dry_run)
    records = [RecordResult(index=i, location=f"申請一覧!{i}", key=f"申請者{i}",
                            status=Status.PASS if i < 2 + passed else Status.FAIL)
               for i in range(2, 2 + passed + failed)]
    store.finish_run(RunResult(run_id=run_id, flow_id=flow_id, flow_version="1.0.0", status=status, started=started,
                               finished=started + dt.timedelta(minutes=5), records=records, dry_run=dry_run))


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "commit.gpgsign=false", *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull})


def _committed_by_kazama(project: Project) -> None:
    """The sample project as a git repository whose every file 風間 committed."""
    _git(project.root, "init", "-q")
    _git(project.root, "add", "-A")
    _git(project.root, "-c", "user.name=風間 太郎", "-c", "user.email=kazama@city.example.lg.jp", "commit", "-q",
         "-m", "サンプルのフロー")


def _version(project: Project, flow: str) -> Version:
    loaded, found = load_flow(project.flows / flow, project)
    assert loaded is not None, [d.render() for d in found]
    return Version.of(loaded, project)


def test_register_has_one_row_per_bot_with_its_people_zone_data_and_schedule(kz: Kz, tmp_path: Path) -> None:
    title, headers, rows = _register(kz, tmp_path / "台帳.xlsx")
    assert title.startswith("RPA 管理台帳（") and title.endswith("作成）")
    assert tuple(headers) == HEADERS
    assert [r["ID"] for r in rows] == BOTS  # the sub-flows under flows/common are parts of these, not rows
    assert [r["ファイル"] for r in rows] == [
        "flows/desktop_nyuryoku.yaml", "flows/shinsei_nyuryoku.yaml", "flows/shinsei_ocr.yaml"]
    for row in rows:
        assert (row["所管課"], row["所有者"], row["副担当"]) == ("市民課 住民記録係", KAZAMA, KURUMADA), row
        assert (row["ネットワーク（三層）"], row["扱う個人情報"]) == ("マイナンバー利用事務系", "住民記録、個人番号"), row
        assert (row["版"], row["承認状態"], row["承認者"], row["承認日"], row["次回見直し"]) == (
            "1.0.0", "一度も承認されていません", "-", None, "-"), row
        assert (row["最終実行"], row["最終結果"], row["30日の実行回数"], row["30日の処理件数"]) == (None, "-", 0, 0), row
    by_id = {r["ID"]: r for r in rows}
    assert by_id["shinsei-nyuryoku"]["スケジュール"] == NIGHTLY
    assert by_id["shinsei-ocr"]["スケジュール"] == by_id["desktop-nyuryoku"]["スケジュール"] == "手動"
    assert by_id["shinsei-nyuryoku"]["対象システム"] == by_id["shinsei-ocr"]["対象システム"] == "デモ基幹システム（Web）"
    assert by_id["desktop-nyuryoku"]["対象システム"] == "住民記録システム（デモ）"
    assert by_id["shinsei-nyuryoku"]["名称"] == "申請一覧をデモ基幹システムへ入力"
    assert by_id["shinsei-ocr"]["入力"] == "scans、records: forms"


def test_approval_through_the_library_shows_as_approved_until_the_review_date(
    sample: Project, kz: Kz, tmp_path: Path
) -> None:
    _committed_by_kazama(sample)
    version = _version(sample, "shinsei_nyuryoku.yaml")
    with open_trail(sample) as trail:
        with pytest.raises(ApprovalRefused, match="変更した本人"):  # 風間 committed it: not alone
            approve(sample, trail, version, Approval(by="kazama", actor="test"))
        before = _register(kz, tmp_path / "前.xlsx")[2]
        done = approve(sample, trail, version, Approval(by="情報政策係 車田", comment="内容を確認しました",
                                                        actor="test"))
    assert done.authors == ("kazama",) and done.state.status == "approved"
    assert [r["承認状態"] for r in before] == ["一度も承認されていません"] * 3
    rows = {r["ID"]: r for r in _register(kz, tmp_path / "後.xlsx")[2]}
    approved = rows["shinsei-nyuryoku"]
    assert (approved["承認状態"], approved["承認者"]) == ("承認済み", "kurumada")
    approved_at = approved["承認日"]
    assert isinstance(approved_at, dt.datetime)
    assert abs(approved_at - dt.datetime.now()) < dt.timedelta(minutes=5)  # local wall-clock time
    assert approved["次回見直し"] == (approved_at + dt.timedelta(days=365)).date().isoformat()
    assert [rows[i]["承認状態"] for i in ("desktop-nyuryoku", "shinsei-ocr")] == ["一度も承認されていません"] * 2


def test_approval_through_the_cli_with_author(kz: Kz, tmp_path: Path) -> None:
    refused = kz("flows", "approve", "flows/desktop_nyuryoku.yaml", "--by", "kazama", "--author", "kazama")
    assert refused.returncode == 2, refused.stdout
    assert "承認できません" in refused.stdout and "変更した本人" in refused.stdout
    done = kz("flows", "approve", "flows/desktop_nyuryoku.yaml", "--by", "kurumada", "--author", "kazama")
    assert done.returncode == 0, done.stdout
    assert "車田 花子（情報政策課 情報政策係） が desktop-nyuryoku 版 1.0.0" in done.stdout
    rows = {r["ID"]: r for r in _register(kz, tmp_path / "台帳.xlsx")[2]}
    assert (rows["desktop-nyuryoku"]["承認状態"], rows["desktop-nyuryoku"]["承認者"]) == ("承認済み", "kurumada")
    assert rows["shinsei-nyuryoku"]["承認状態"] == "一度も承認されていません"


def test_last_run_and_the_30_day_counts_come_from_the_run_store(sample: Project, kz: Kz, tmp_path: Path) -> None:
    yesterday, two_days_ago = _at(1), _at(2)
    with RunStore.open(None, sample.logs) as store:
        _run(store, "r-old", "shinsei-nyuryoku", RunStatus.COMPLETED, _at(45), passed=50)  # outside the window
        _run(store, "r-3d", "shinsei-nyuryoku", RunStatus.COMPLETED, _at(3), passed=2, failed=1)
        _run(store, "r-dry", "shinsei-nyuryoku", RunStatus.COMPLETED, two_days_ago, passed=9, dry_run=True)  # rehearsal
        _run(store, "r-1d", "shinsei-nyuryoku", RunStatus.COMPLETED, yesterday, passed=5)
        _run(store, "r-ocr", "shinsei-ocr", RunStatus.COMPLETED, _at(4), passed=1)
        _run(store, "r-ocr-fail", "shinsei-ocr", RunStatus.ABORTED, two_days_ago, passed=0, failed=3)
    rows = {r["ID"]: r for r in _register(kz, tmp_path / "台帳.xlsx")[2]}
    nyuryoku = rows["shinsei-nyuryoku"]
    assert nyuryoku["最終実行"] == yesterday.replace(tzinfo=None)
    assert (nyuryoku["最終結果"], nyuryoku["30日の実行回数"], nyuryoku["30日の処理件数"]) == ("完了", 2, 7)
    ocr = rows["shinsei-ocr"]
    assert ocr["最終実行"] == two_days_ago.replace(tzinfo=None)
    assert (ocr["最終結果"], ocr["30日の実行回数"], ocr["30日の処理件数"]) == ("中断", 2, 1)
    desktop = rows["desktop-nyuryoku"]
    assert (desktop["最終実行"], desktop["最終結果"], desktop["30日の実行回数"]) == (None, "-", 0)


def test_html_register_has_the_same_rows(sample: Project, kz: Kz, tmp_path: Path) -> None:
    with RunStore.open(None, sample.logs) as store:
        _run(store, "r-1d", "shinsei-nyuryoku", RunStatus.COMPLETED, _at(1), passed=4)
    _, headers, rows = _register(kz, tmp_path / "台帳.xlsx")
    page = tmp_path / "台帳.html"
    done = kz("flows", "list", "--format", "html", "--out", str(page))
    assert done.returncode == 0, done.stdout
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<html lang="ja">' in text and "<script" not in text
    table = HtmlTable()
    table.feed(text)
    assert table.headers == headers
    assert [r[0] for r in table.rows] == BOTS
    for cells, row in zip(table.rows, rows, strict=True):
        expected = ["-" if v is None else v.strftime("%Y-%m-%d %H:%M") if isinstance(v, dt.datetime) else str(v)
                    for v in row.values()]
        assert cells == expected


def test_english_register_has_english_headers_and_words(kz: Kz, tmp_path: Path) -> None:
    title, headers, rows = _register(kz, tmp_path / "register.xlsx", "--lang", "en")
    assert title.startswith("RPA register (generated ")
    assert tuple(headers) == HEADERS_EN
    assert [r["ID"] for r in rows] == BOTS
    by_id = {r["ID"]: r for r in rows}
    nyuryoku = by_id["shinsei-nyuryoku"]
    assert (nyuryoku["network zone"], nyuryoku["approval"], nyuryoku["last result"]) == (
        "My Number network", "never approved", "-")
    assert nyuryoku["schedules"] == "demo_nightly: cron 0 22 * * * Asia/Tokyo (business days only)"
    assert by_id["shinsei-ocr"]["schedules"] == "manual"
    assert "resident records" in str(nyuryoku["personal data"]) and "My Number" in str(nyuryoku["personal data"])


def test_terminal_table_lists_the_bots_and_not_their_subflows(kz: Kz) -> None:
    done = kz("flows", "list")
    assert done.returncode == 0, done.stdout
    assert "RPA 管理台帳" in done.stdout
    for flow_id in BOTS:
        assert flow_id in done.stdout
    for flow_id in SUBFLOWS:
        assert flow_id not in done.stdout
    assert done.stdout.count("一度も承認されていません") == 3
    assert "Traceback" not in done.stdout

"""``runner.py schedule validate | list | next`` on a project of its own (``KZ_HOME``), with the
clock fixed by ``--now`` so the expected fire times are exact. In-process (typer's runner): the
daemon tests start the real process; here a cold start per command would only cost time."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bots.cli.app import app

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


NIGHTLY = """title: 夜間入力
flow: flows/shinsei_nyuryoku.yaml
trigger: {cron: "0 22 * * 1-5"}
"""
WEEKLY = """title: 週次の照合
flow: flows/shinsei_nyuryoku.yaml
trigger: {cron: "30 7 * * 1"}
calendar: {on_closed_day: previous}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for part in ("flows", "selectors"):  # the flow the schedules name, and its selector map
        shutil.copytree(REPO / part, root / part)
    for name, text in {"nightly": NIGHTLY, "weekly": WEEKLY}.items():
        (root / "schedules").mkdir(exist_ok=True)
        (root / "schedules" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return root


def kz(project: Path, *args: str) -> Result:
    env = {"KZ_HOME": str(project), "KZ_LOGS": str(project / "logs"), "COLUMNS": "200"}
    result = CliRunner().invoke(app, list(args), env=env)
    return Result(result.exit_code, result.stdout, result.stderr)


def test_next_lists_the_fire_times_with_the_calendar_applied_in_japanese(project: Path) -> None:
    done = kz(project, "schedule", "next", "--days", "14", "--now", "2026-12-24T12:00")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "2026-12-24(木) 12:00 から 14 日間の実行予定（時刻は Asia/Tokyo）",
        "2026-12-24(木) 22:00  nightly  夜間入力",
        "2026-12-25(金) 22:00  nightly  夜間入力",
        "2026-12-28(月) 07:30  weekly  週次の照合",
        "2026-12-28(月) 22:00  nightly  夜間入力",
        "2026-12-29(火) 22:00  nightly  実行しません（年末年始）",
        "2026-12-30(水) 22:00  nightly  実行しません（年末年始）",
        "2026-12-31(木) 22:00  nightly  実行しません（年末年始）",
        "2027-01-01(金) 22:00  nightly  実行しません（年末年始）",
        "2027-01-04(月) 07:30  weekly  週次の照合",
        "2027-01-04(月) 22:00  nightly  夜間入力",
        "2027-01-05(火) 22:00  nightly  夜間入力",
        "2027-01-06(水) 22:00  nightly  夜間入力",
    ]


def test_next_shows_where_a_run_was_moved_from(project: Path) -> None:
    done = kz(project, "schedule", "next", "--days", "10", "--now", "2027-01-05T00:00")
    assert "2027-01-08(金) 07:30  weekly  週次の照合（2027-01-11(月) 07:30 から移動）" in done.stdout.splitlines()


def test_validate_and_list(project: Path) -> None:
    (project / "schedules" / "broken.yaml").write_text(NIGHTLY.replace("1-5", "1-8"), encoding="utf-8")
    done = kz(project, "schedule", "validate")
    assert done.returncode == 2
    assert "schedules/broken.yaml:3:17: エラー: cron 式が正しくありません" in done.stderr
    assert "3 ファイルを検査: エラー 1 件" in done.stderr

    listed = kz(project, "schedule", "list", "--now", "2026-12-31T12:00")
    assert listed.returncode == 0
    rows = [line for line in listed.stdout.splitlines() if "nightly" in line or "weekly" in line]
    assert len(rows) == 2 and "2027-01-04(月) 22:00" in rows[0] and "前の業務日" in rows[1]
    assert "schedules/broken.yaml:3:17" in listed.stderr  # the broken one is reported, not listed


@pytest.mark.parametrize(("lang", "expected"), [
    ("ja", "起動しません: スケジューラのジョブストアを開けません（mysql://kz:***@db/jobs）"),
    ("en", "not started: cannot open the scheduler's job store (mysql://kz:***@db/jobs)")])
def test_the_daemon_refuses_a_job_store_it_cannot_use_without_a_traceback(project: Path, lang: str,
                                                                          expected: str) -> None:
    env = {"KZ_HOME": str(project), "KZ_LOGS": str(project / "logs"), "COLUMNS": "300", "KZ_LANG": lang}
    result = CliRunner().invoke(app, ["scheduler", "--store", "mysql://kz:secret-pw@db/jobs"], env=env)
    assert result.exit_code == 3
    assert expected in result.stderr and "secret-pw" not in result.stderr and "Traceback" not in result.stderr

"""Schedules that can never fire, or fire on no business day within a year, are warnings at file:line:col
(``schedule validate`` shows them and still passes), and ``schedule next`` says why nothing is listed
instead of only 「予定はありません」 (issue 16, item 8).

Each file in ``tests/schedules/never_fires/`` states on its first line the one warning it must produce
as seen from :data:`NOW`.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bots.cli.app import app
from bots.project import Project
from bots.schedule.loader import load_all, load_schedule
from bots.schedule.model import Schedule
from bots.schedule.reach import silence
from bots.spec.diagnostics import Severity

REPO = Path(__file__).resolve().parents[2]
NEVER = sorted((REPO / "tests" / "schedules" / "never_fires").glob("*.yaml"))
NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
_EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+)$")


def test_the_corpus_covers_each_way_of_never_running() -> None:
    assert {p.stem for p in NEVER} >= {"february_30", "april_31", "every_day_blacked_out", "only_on_closed_days",
                                       "only_on_sundays", "once_in_the_past"}


@pytest.mark.parametrize("path", NEVER, ids=[p.stem for p in NEVER])
def test_a_schedule_that_never_runs_loads_with_one_warning_at_its_position(path: Path) -> None:
    match = _EXPECT.match(path.read_text(encoding="utf-8").splitlines()[0])
    assert match, f"{path.name}: the first line must be '# expect: line:col: text'"

    loaded, found = load_schedule(path, Project(REPO), NOW)

    assert loaded is not None, [d.render() for d in found]  # a warning: the schedule still loads
    assert [d.severity for d in found] == [Severity.WARNING], [d.render() for d in found]
    warning = found[0]
    assert warning.pos is not None and (warning.pos.line, warning.pos.col) == (int(match[1]), int(match[2]))
    assert match[3] in warning.message
    assert warning.render().startswith(f"{path}:{match[1]}:{match[2]}: 警告: ")


def test_the_repository_schedules_are_not_warned_about_and_a_leap_day_cron_is_told_apart() -> None:
    _, found = load_all(REPO / "schedules", Project(REPO), NOW)
    assert list(found) == [], [d.render() for d in found]
    leap = Schedule.model_validate({"title": "t", "flow": "f.yaml", "trigger": {"cron": "0 9 29 2 *"},
                                    "calendar": {"business_days_only": False}})
    rare = silence(leap, NOW)  # 2028-02-29 exists: it runs, though not within the year, and not for closed days
    assert rare is not None and rare.message == "次の実行は 2028-02-29(火) 09:00 で、1年以上先です"


def test_a_blackout_that_ends_within_the_year_is_not_warned_about() -> None:
    schedule = Schedule.model_validate({"title": "t", "flow": "f.yaml", "trigger": {"cron": "0 22 * * *"},
                                        "calendar": {"blackouts": [{"from": "2026-12-01", "to": "2027-11-30"}]}})
    assert silence(schedule, NOW) is None
    longer = schedule.model_copy(update={"calendar": Schedule.model_validate({
        "title": "t", "flow": "f.yaml", "trigger": {"cron": "0 22 * * *"},
        "calendar": {"blackouts": [{"from": "2026-12-01", "to": "2028-01-31"}]}}).calendar})
    assert silence(longer, NOW) is not None


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for part in ("flows", "selectors"):
        shutil.copytree(REPO / part, root / part)
    (root / "schedules").mkdir()
    return root


def kz(project: Path, *args: str, lang: str = "ja") -> tuple[int, str, str]:
    env = {"KZ_HOME": str(project), "KZ_LOGS": str(project / "logs"), "COLUMNS": "250", "KZ_LANG": lang}
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_validate_shows_the_warning_and_passes(project: Path, lang: str) -> None:
    shutil.copy(REPO / "tests" / "schedules" / "never_fires" / "february_30.yaml", project / "schedules")

    code, _, err = kz(project, "schedule", "validate", "--now", "2026-12-07T10:00", lang=lang)

    assert code == 0, err
    where = f"{project / 'schedules' / 'february_30.yaml'}:5:9"
    if lang == "ja":
        assert f"{where}: 警告: cron 式 '0 9 30 2 *' に当てはまる日時がありません" in err
        assert "1 ファイルを検査: エラー 0 件、警告 1 件" in err
    else:
        assert f"{where}: warning: cron '0 9 30 2 *' matches no date" in err
        assert "1 files checked: 0 errors, 1 warnings" in err


def test_next_explains_why_nothing_is_scheduled(project: Path) -> None:
    for name in ("february_30.yaml", "every_day_blacked_out.yaml"):
        shutil.copy(REPO / "tests" / "schedules" / "never_fires" / name, project / "schedules")
    (project / "schedules" / "off.yaml").write_text(
        "title: 止めてある\nflow: flows/shinsei_nyuryoku.yaml\nenabled: false\ntrigger: {cron: '0 22 * * *'}\n",
        encoding="utf-8")
    (project / "schedules" / "yearly.yaml").write_text(
        "title: 年に一度\nflow: flows/shinsei_nyuryoku.yaml\ntrigger: {cron: '0 9 1 4 *'}\n", encoding="utf-8")
    (project / "schedules" / "broken.yaml").write_text("title: [\n", encoding="utf-8")

    code, out, _ = kz(project, "schedule", "next", "--days", "7", "--now", "2026-12-07T10:00")

    assert code == 0
    lines = out.splitlines()
    # The blacked-out days are listed as not run (a week of them), then why nothing runs.
    assert lines[1:8] == [f"2026-12-{day:02}({w}) 22:00  every_day_blacked_out  実行しません（システム更改）"
                          for day, w in zip(range(7, 14), "月火水木金土日", strict=True)]
    assert lines[8:] == [
        "予定はありません",
        "  エラーのため読み込めないスケジュールが 1 件あります（runner.py schedule validate で確認）",
        "  every_day_blacked_out: 今後1年間、実行する日がすべて休業日（土日祝・年末年始・closed_days・blackouts）に"
        "当たります。このスケジュールは実行されません",
        "  february_30: cron 式 '0 9 30 2 *' に当てはまる日時がありません（2月30日・4月31日のような存在しない日付など）。"
        "このスケジュールは実行されません",
        "  off: 無効です（enabled: false）",
        "  yearly: 次の実行は 2027-04-01(木) 09:00 です（表示期間の後）",
    ]


def test_next_in_english_and_with_no_schedule_files(project: Path) -> None:
    code, out, _ = kz(project, "schedule", "next", "--now", "2026-12-07T10:00", lang="en")

    assert code == 0
    assert out.splitlines()[1:] == ["nothing scheduled", "  there are no schedule files in schedules/"]

"""The run store's parts that need no database: timing summaries, hashes, periods, URLs,
timestamps, and that the migration scripts ship with the package."""

from __future__ import annotations

import datetime as dt
import fnmatch
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import Dialect
from sqlalchemy.dialects import postgresql, sqlite

from bots.flow.loader import load_flow
from bots.project import Project
from bots.results.model import Status, StepResult
from bots.store import StepSummary, StepTiming, StoreError, default_url
from bots.store.engine import display_url, parse_url
from bots.store.migrate import MIGRATIONS, head_revision, scripts
from bots.store.queries import moment
from bots.store.schema import UTCDateTime

REPO = Path(__file__).resolve().parents[2]
JST = dt.timezone(dt.timedelta(hours=9))
T0 = dt.datetime(2026, 11, 2, 9, 30, tzinfo=JST)


def step(action: str, seconds: float, status: Status = Status.PASS) -> StepResult:
    return StepResult(action=action, label=action, status=status, started=T0, elapsed=seconds)


def test_step_summary_aggregates_per_action_without_losing_short_steps() -> None:
    summary = StepSummary()
    for _ in range(2000):
        summary.add(step("control.set", 0.0004))  # 0.4 ms each: rounding per step would sum to 0
    summary.add(step("browser.click", 1.5))
    summary.add(step("browser.click", 0.25, Status.FAIL))
    summary.add(step("browser.click", 0.0, Status.SKIP))

    assert summary.timings() == [
        StepTiming("browser.click", count=3, total_ms=1750, max_ms=1500, failures=1),
        StepTiming("control.set", count=2000, total_ms=800, max_ms=0, failures=0),
    ]


FLOW = """\
id: hash-test
title: ハッシュ
version: 1.0.0
owner: 情報政策係
systems:
  demo_web: {base_url: "http://127.0.0.1:9"}
steps:
  - log: 確認
"""


def _hash(root: Path, selectors_text: str, flow_text: str = FLOW) -> str | None:
    (root / "flows").mkdir(parents=True, exist_ok=True)
    (root / "selectors").mkdir(exist_ok=True)
    (root / "selectors" / "demo_web.yaml").write_text(selectors_text, encoding="utf-8")
    (root / "flows" / "f.yaml").write_text(flow_text, encoding="utf-8")
    loaded, found = load_flow(root / "flows" / "f.yaml", Project(root))
    assert loaded is not None, found
    return loaded.selectors_hash


def test_selectors_hash_follows_the_maps_content_not_their_formatting(tmp_path: Path) -> None:
    original = (REPO / "selectors" / "demo_web.yaml").read_text(encoding="utf-8")
    base = _hash(tmp_path / "a", original)
    assert base is not None and len(base) == 64
    assert _hash(tmp_path / "b", original) == base  # stable
    assert _hash(tmp_path / "c", "# 2026-11 見直し済み\n" + original + "\n\n# end\n") == base
    changed = original.replace('css: ".session-expired"', 'css: ".session-timeout"')
    assert changed != original
    assert _hash(tmp_path / "d", changed) != base  # one candidate changed
    no_systems = FLOW.replace('systems:\n  demo_web: {base_url: "http://127.0.0.1:9"}\n', "")
    assert _hash(tmp_path / "e", original, no_systems) is None


def test_a_period_given_as_dates_covers_whole_local_days() -> None:
    start, end = moment(dt.date(2026, 11, 1)), moment(dt.date(2026, 11, 30), end=True)
    assert start == dt.datetime(2026, 11, 1).astimezone() and start.tzinfo is not None
    assert end == dt.datetime(2026, 12, 1).astimezone()
    assert moment(T0) is T0  # aware: as given
    assert moment(dt.datetime(2026, 11, 1, 9)) == dt.datetime(2026, 11, 1, 9).astimezone()  # naive: local


def test_the_store_url_comes_from_the_argument_then_the_environment_then_the_logs_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KZ_STORE_URL", raising=False)
    assert default_url(tmp_path / "ログ") == "sqlite:///" + (tmp_path / "ログ" / "kazaguruma.sqlite3").as_posix()
    monkeypatch.setenv("KZ_STORE_URL", "postgresql://kz@db.example.lg.jp/kazaguruma")
    assert default_url(tmp_path) == "postgresql://kz@db.example.lg.jp/kazaguruma"


def test_urls_are_checked_and_never_shown_with_their_password() -> None:
    assert parse_url("postgresql://kz:pw@db/kz").drivername == "postgresql+psycopg"
    assert parse_url("sqlite:///x.sqlite3").drivername == "sqlite"
    assert display_url("postgresql://kz:秘密@db/kz") == "postgresql://kz:***@db/kz"
    with pytest.raises(StoreError, match="SQLite"):
        parse_url("mysql://kz:pw@db/kz")
    with pytest.raises(StoreError) as caught:
        parse_url("not a url ::: 秘密")
    assert "秘密" not in str(caught.value)


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgresql"])
def test_timestamps_are_stored_in_utc_and_come_back_aware(dialect: Dialect) -> None:
    column = UTCDateTime()
    stored = column.process_bind_param(T0, dialect)
    assert stored is not None and stored.replace(tzinfo=dt.UTC) == T0
    assert (stored.tzinfo is None) == (dialect.name == "sqlite")
    back = column.process_result_value(stored, dialect)
    assert back == T0 and back is not None and back.utcoffset() == dt.timedelta(0)
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(dt.datetime(2026, 11, 2, 9, 30), dialect)


def test_the_migration_scripts_form_one_line_and_ship_with_the_package() -> None:
    revisions = [script.revision for script in scripts().walk_revisions()]
    assert revisions == sorted(revisions, reverse=True) and head_revision() == revisions[0]
    assert all(len(scripts().get_revision(r).nextrev) <= 1 for r in revisions)  # no branches
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["bots"]
    package = REPO / "bots"
    shipped = [p for p in MIGRATIONS.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert {p.name for p in shipped} >= {"env.py", "script.py.mako", "0001_runs.py"}
    missing = [p for p in shipped if not any(fnmatch.fnmatch(p.relative_to(package).as_posix(), g) for g in patterns)]
    assert missing == []


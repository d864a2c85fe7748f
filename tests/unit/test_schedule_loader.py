"""Schedule files are checked like flows: each file in ``tests/schedules/invalid/`` states on its
first line the one diagnostic it must produce (``# expect: line:col: text``), and nothing else
may be reported. The sample schedules of the repository are valid."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bots.project import Project
from bots.schedule.loader import load_all, load_schedule

REPO = Path(__file__).resolve().parents[2]
INVALID = sorted((REPO / "tests" / "schedules" / "invalid").glob("*.yaml"))
_EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+)$")


def _expected(path: Path) -> tuple[int, int, str]:
    match = _EXPECT.match(path.read_text(encoding="utf-8").splitlines()[0])
    assert match, f"{path.name}: the first line must be '# expect: line:col: text'"
    return int(match.group(1)), int(match.group(2)), match.group(3)


def test_the_invalid_corpus_covers_the_kinds_of_mistake() -> None:
    assert len(INVALID) >= 10


@pytest.mark.parametrize("path", INVALID, ids=[p.name for p in INVALID])
def test_an_invalid_schedule_is_refused_at_the_expected_position(path: Path) -> None:
    line, col, text = _expected(path)
    loaded, found = load_schedule(path, Project(REPO))
    assert loaded is None
    assert len(found.errors) == 1, [d.render() for d in found]
    error = found.errors[0]
    assert error.pos is not None and (error.pos.line, error.pos.col) == (line, col), error.render()
    assert text in error.message
    assert error.render().startswith(f"{path}:{line}:{col}: エラー: ")


def test_the_repository_schedules_are_valid_and_use_the_flows_systems() -> None:
    valid, found = load_all(REPO / "schedules", Project(REPO))
    assert not found.errors, [d.render() for d in found]
    nightly = valid["demo_nightly"]
    assert nightly.systems == ("demo_web",)
    assert nightly.schedule.trigger.cron == "0 22 * * *" and nightly.schedule.calendar.business_days_only
    assert "{date:%Y%m%d}" in str(nightly.schedule.inputs["file"])
    assert len(nightly.digest) == 64

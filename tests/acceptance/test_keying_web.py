"""Issue 2 acceptance: the sample flow keys an Excel list into the demo web system, for real.

The 200-record list (bad rows, a row the core system refuses, every value checked in its store,
the results workbook against the store) is keyed in ``test_crash_resume.py`` — with five crashes
on the way — and 10 % injected 500s with slow pages in ``test_fault_soak.py`` (1,000 records).
Here: the dry run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kazaguruma_demo.sample_data import make_applications, write_applications_xlsx
from kazaguruma_demo.web.store import read_all

from bots.results.model import Status

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_dry_run_changes_nothing_and_reports_each_record(demo_web: Any, run_flow: Any, tmp_path: Path) -> None:
    server = demo_web()
    source = tmp_path / "申請一覧_dry.xlsx"
    rows_truth = make_applications(12, seed=5, bad=2)
    write_applications_xlsx(source, [row for row, _ in rows_truth])

    outcome = run_flow(input_file=source, dry_run=True)

    assert read_all(server.config.db_path) == []
    statuses = [r.status for r in outcome.result.records]
    assert statuses.count(Status.PASS) == 10 and statuses.count(Status.FAIL) == 2
    log = (outcome.folder / "run.jsonl").read_text(encoding="utf-8")
    assert log.count('"event": "dry_run_skip"') == 10

"""Issue 2 acceptance: the sample flow keys an Excel list into the demo web system, for real."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bots.adapters.excel_reader import read_records
from bots.demo.sample_data import DEMO_COLUMNS, make_applications, write_applications_xlsx
from bots.demo.web.store import read_all
from bots.engine.results import RunStatus, Status

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _digits(text: Any) -> str:
    """The ASCII digits of a value as typed (full-width digits count as their half-width twins)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", str(text)) if ch.isdigit())


def _make_list(path: Path, n: int, bad: int, seed: int) -> tuple[list[dict[str, Any]], list[int]]:
    """Rows plus the sheet row numbers expected to fail (schema errors, server refusals)."""
    rows_truth = make_applications(n, seed=seed, bad=bad)
    rows = [dict(row) for row, _ in rows_truth]
    # A row our schema accepts but the core system refuses (a birth date in the future):
    # the failure must come back from the target system's own validation message.
    future = dict(rows[3])
    future["氏名"], future["生年月日"] = "未来 太郎", "令和30年1月1日"
    rows.insert(4, future)
    write_applications_xlsx(path, rows)
    failing = [i + 2 for i, (_, kind) in enumerate(rows_truth[:4]) if kind] + [6]
    failing += [i + 3 for i, (_, kind) in enumerate(rows_truth) if kind and i >= 4]
    return rows, sorted(failing)


def _expected_keyed(path: Path) -> list[dict[str, Any]]:
    with read_records(path, sheet="申請一覧", header_row=1, columns=DEMO_COLUMNS) as reader:
        records = [r for r in reader]
    good = [r.values for r in records if r.error is None]
    return [v for v in good if v["生年月日"] <= dt.date.today()]


def test_200_records_keyed_exactly_once(demo_web: Any, run_flow: Any, tmp_path: Path) -> None:
    server = demo_web()
    source = tmp_path / "申請一覧_200.xlsx"
    _, failing_rows = _make_list(source, 200, bad=8, seed=11)
    expected = _expected_keyed(source)

    outcome = run_flow(input_file=source)

    assert outcome.result.status is RunStatus.COMPLETED
    stored = read_all(server.config.db_path)
    assert len(stored) == len(expected)
    keys = Counter((r["氏名"], r["生年月日"]) for r in stored)
    assert all(count == 1 for count in keys.values()), "a record was keyed twice"
    by_key = {(r["氏名"], r["生年月日"]): r for r in stored}
    for want in expected:
        got = by_key[(want["氏名"], want["生年月日"].isoformat())]
        assert got["フリガナ"] == want["フリガナ"]
        assert _digits(got["郵便番号"]) == want["郵便番号"]
        assert _digits(got["電話番号"]) == want["電話番号"]
        assert got["住所"] == want["住所"]
        assert got["申請種別"] == want["申請種別"]
        assert got["性別"] == want["性別"]
        assert got["個人番号"] == _digits(want["個人番号"] or ""), "個人番号 stored as its 12 digits (or empty)"
    with_number = [w for w in expected if w["個人番号"]]
    assert len(expected) // 3 < len(with_number) < len(expected), "the list must carry 個人番号 on some rows only"
    assert any(not str(w["個人番号"]).isascii() for w in with_number), "no full-width 個人番号 was keyed"
    assert any("-" in str(w["個人番号"]) for w in with_number), "no hyphenated 個人番号 was keyed"

    rows = outcome.results_rows()
    assert len(rows) == 201
    receipts = {r["receipt_no"] for r in stored}
    ok_rows = [r for r in rows if r["状態"] == "成功"]
    assert len(ok_rows) == len(expected)
    assert {r["受付番号"] for r in ok_rows} == receipts
    failed = [i + 2 for i, r in enumerate(rows) if r["状態"] == "失敗"]
    assert failed == failing_rows
    assert all(rows[i - 2]["エラー内容"] for i in failed)
    future = rows[4]
    assert future["状態"] == "失敗" and "未来の日付" in future["エラー内容"]
    # The server-refused record left a screenshot; the run log names every record's outcome.
    shot = next(r for r in outcome.result.records if r.location.endswith("!6")).screenshot
    assert shot and Path(shot).is_file()
    events = [json.loads(line) for line in (outcome.folder / "run.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sum(1 for e in events if e.get("event") == "record_finished") == 201
    assert outcome.result.exit_code == 1


def test_faults_and_slow_page_complete_through_retries(demo_web: Any, run_flow: Any, tmp_path: Path) -> None:
    server = demo_web(fault_rate=0.1, seed=5, slow_ms=2000, slow_paths=("/complete", "/entry"), slow_rate=0.05)
    source = tmp_path / "申請一覧_100.xlsx"
    write_applications_xlsx(source, [row for row, _ in make_applications(100, seed=23, bad=0)])

    outcome = run_flow(input_file=source)

    assert outcome.result.status is RunStatus.COMPLETED
    assert outcome.result.count(Status.PASS) == 100, [r.error for r in outcome.result.records if r.error]
    stored = read_all(server.config.db_path)
    assert len(stored) == 100
    assert len({(r["氏名"], r["生年月日"]) for r in stored}) == 100
    log = (outcome.folder / "run.jsonl").read_text(encoding="utf-8")
    assert '"event": "retry"' in log, "no 500 was injected: the test would prove nothing"


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

"""Issue 16: records stream, a stop takes effect within one record, a second stop aborts without
losing the results, and failures at the end of a run do not read as success.

Real .xlsx inputs (a generated 30,000-row list), the real engine with the production listeners
(run store, ledger, run log, results workbook) under a temporary project; control steps only, so
no browser is needed. The Ctrl+C of a real terminal (a signal to the whole process group, with
the Playwright driver in it) is in ``tests/acceptance/test_ctrl_c.py``.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from bots import i18n
from bots.api import RunRequest, open_trail, run_flow
from bots.engine.flowrun import NOT_RUN_LISTED
from bots.errors import ExitCode
from bots.project import Project
from bots.records.digest import file_sha256
from bots.results.folder import results_path
from bots.results.journal import JournalState
from bots.results.listener import RunInfo, RunListener
from bots.results.model import RecordResult, RunResult, RunStatus, Status
from bots.store.store import RunStore

REPO = Path(__file__).resolve().parents[2]
BIG_ROWS = 30_000
FLOW = """\
id: stream-test
title: ストリーム検査
version: 1.0.0
owner: 情報政策係
inputs:
  file: {type: path, required: true}
records:
  from: excel
  file: "{{ inputs.file }}"
  sheet: 申請一覧
  key: [番号]
  columns:
    番号: {type: int, required: true}
    氏名: {type: str, required: true}
outputs: [処理]
steps:
  - set: {処理: 済}
"""


def write_list(path: Path, rows: int) -> Path:
    """An application list of ``rows`` rows, written in openpyxl's streaming mode (fast)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("申請一覧")
    ws.append(["番号", "氏名"])
    for i in range(1, rows + 1):
        ws.append([i, f"申請者{i}"])
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def big_list(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30,000 rows, with the ``<dimension>`` Excel writes (openpyxl's streaming mode writes none)."""
    path = write_list(tmp_path_factory.mktemp("big") / "申請一覧_大量.xlsx", BIG_ROWS)
    with zipfile.ZipFile(path) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b"</sheetPr>", f'</sheetPr><dimension ref="A1:B{BIG_ROWS + 1}"/>'
                                                      .encode(), 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)
    return path


class Watcher(RunListener):
    """Records what the engine reports; can ask for a stop (and a second one) at a record."""

    def __init__(self, stop: threading.Event | None = None, stop_at: int | None = None,
                 abort_at: int | None = None) -> None:
        self.stop, self.stop_at, self.abort_at = stop, stop_at, abort_at
        self.counted: list[int | None] = []
        self.notices: list[tuple[str, str, dict[str, Any]]] = []
        self.started: list[int] = []
        self.finished_status: RunStatus | None = None

    def records_counted(self, total: int | None) -> None:
        self.counted.append(total)

    def notice(self, kind: str, message: str, data: dict[str, Any]) -> None:
        self.notices.append((kind, message, data))

    def record_started(self, record: RecordResult) -> None:
        self.started.append(record.index)
        if record.index == self.stop_at and self.stop is not None:
            self.stop.set()  # the first Ctrl+C / the tray's stop, while this record is in flight

    def step_started(self, action: str, label: str, depth: int) -> None:
        if self.started and self.started[-1] == self.abort_at:
            assert self.stop is not None
            self.stop.set()
            raise KeyboardInterrupt  # what the second Ctrl+C raises, mid-step

    def run_finished(self, run: RunResult) -> None:
        self.finished_status = run.status


def start(project: Project, source: Path, watcher: Watcher, stop: threading.Event | None = None,
          flow: str = FLOW, **request: Any) -> RunResult:
    (project.flows / "stream.yaml").write_text(flow, encoding="utf-8")
    with open_trail(project) as trail:
        return run_flow(RunRequest(flow="flows/stream.yaml", cwd=str(project.root), primary_input=str(source),
                                   user="tester", **request),
                        trail=trail, listeners=lambda info: [watcher], stop=stop, project=project)


def summary(path: Path) -> dict[str, Any]:
    book = load_workbook(path, read_only=True)
    try:
        rows = list(book.worksheets[1].iter_rows(values_only=True))
    finally:
        book.close()
    return {row[0]: row[1] for row in rows if row and row[0] is not None}


def test_the_first_record_is_keyed_before_the_list_is_read_and_a_stop_ends_the_run_within_one_record(
        tmp_project: Project, big_list: Path) -> None:
    stop = threading.Event()
    watcher = Watcher(stop, stop_at=3)
    result = start(tmp_project, big_list, watcher, stop)

    # Nothing counted the 30,000 rows before keying: the total is unknown up front (an estimate
    # from the sheet's dimension drives the progress bar), so record 1 started at once.
    assert watcher.counted == [None]
    assert ("records_estimated", BIG_ROWS) in [(k, d.get("estimate")) for k, _, d in watcher.notices]
    # The stop came while record 3 was in flight: it finished, and not one more was keyed.
    assert watcher.started == [1, 2, 3]
    assert [r.status for r in result.records[:3]] == [Status.PASS] * 3
    assert {r.status for r in result.records[3:]} <= {Status.NOT_RUN}
    assert result.status is RunStatus.STOPPED and result.exit_code == ExitCode.ABORTED
    # The rest of the long list was not read just to be listed: the run ended at once.
    assert len(result.records) <= 3 + NOT_RUN_LISTED < BIG_ROWS
    assert result.unread_after == result.records[-1].location
    assert any(kind == "records_unread" for kind, _, _ in watcher.notices)
    assert watcher.finished_status is RunStatus.STOPPED

    # The results workbook says so; the job stays resumable (the total is not taken as len(records)).
    assert result.results_workbook is not None
    notes = summary(result.results_workbook)
    assert "より後の行は、実行を途中で終えたため読み込んでいません" in str(notes.get("注意"))
    with RunStore.open(None, tmp_project.logs) as store:
        stored = store.get_run(result.run_id)
        assert stored is not None and stored.status == "stopped" and stored.total is None
        found = store.find_interrupted("stream-test", file_sha256(big_list))
    assert found is not None and (found.run_id, found.settled) == (result.run_id, 3)


def test_a_second_stop_aborts_the_record_in_flight_writes_the_results_and_resume_finishes_the_job(
        tmp_project: Project) -> None:
    source = write_list(tmp_project.root / "申請一覧.xlsx", 6)
    stop = threading.Event()
    result = start(tmp_project, source, Watcher(stop, abort_at=3), stop)

    # No KeyboardInterrupt escaped: the run is aborted, reported and its results written.
    assert result.status is RunStatus.ABORTED and result.exit_code == ExitCode.ABORTED
    assert "強制停止" in (result.error or "")
    assert [r.status for r in result.records] == [Status.PASS, Status.PASS, Status.NOT_RUN]
    assert result.records[2].error_kind == "interrupted"
    assert result.results_workbook is not None and result.results_workbook.is_file()
    with RunStore.open(None, tmp_project.logs) as store:
        journal = store.entries(result.run_id)
    assert journal[3].state is JournalState.IN_PROGRESS  # left as it stood: a resume checks it

    again = start(tmp_project, source, Watcher(), if_interrupted="resume")
    assert again.status is RunStatus.COMPLETED and again.exit_code == ExitCode.OK
    assert [r.status for r in again.records] == [Status.PASS] * 6
    assert [r.carried_from for r in again.records] == [result.run_id] * 2 + [None] * 4


@pytest.fixture(params=["ja", "en"])
def language(request: pytest.FixtureRequest) -> Iterator[str]:
    i18n.set_language(request.param)
    yield request.param
    i18n.set_language(None)


class ResultsInTheWay(RunListener):
    """Puts a folder where the results workbook goes: it cannot be written (like a file held open)."""

    def __init__(self, info: RunInfo, source: Path) -> None:
        self.info, self.source = info, source

    def run_started(self, info: RunInfo, run: RunResult) -> None:
        results_path(info.folder, self.source, info.flow.id).mkdir(parents=True)


def test_results_that_cannot_be_written_fail_the_run_and_the_outcomes_stay_in_the_run_store(
        tmp_project: Project, language: str) -> None:
    source = write_list(tmp_project.root / "申請一覧.xlsx", 3)
    (tmp_project.flows / "stream.yaml").write_text(FLOW, encoding="utf-8")
    watcher = Watcher()
    with open_trail(tmp_project) as trail:
        result = run_flow(RunRequest(flow="flows/stream.yaml", cwd=str(tmp_project.root), primary_input=str(source)),
                          trail=trail, listeners=lambda info: [ResultsInTheWay(info, source), watcher],
                          project=tmp_project)

    assert [r.status for r in result.records] == [Status.PASS] * 3
    assert result.status is RunStatus.FAILED and result.exit_code != ExitCode.OK
    assert result.results_workbook is None
    expected = "結果ファイルを保存できません" if language == "ja" else "cannot save the results file"
    assert expected in (result.error or "")
    # Every listener after the failed one heard "failed", not "completed" — the run store included.
    assert watcher.finished_status is RunStatus.FAILED
    with RunStore.open(None, tmp_project.logs) as store:
        stored = store.get_run(result.run_id)
    assert stored is not None and stored.status == "failed" and expected in (stored.error or "")
    assert [r.status for r in stored.records] == [Status.PASS] * 3


TEARDOWN = FLOW + """\
teardown:
  - {fail: 日次の件数が一致しません, when: "true"}
"""


def test_a_failed_teardown_check_fails_the_run_and_keeps_the_records_statuses(tmp_project: Project) -> None:
    source = write_list(tmp_project.root / "申請一覧.xlsx", 3)
    result = start(tmp_project, source, Watcher(), flow=TEARDOWN)

    assert [r.status for r in result.records] == [Status.PASS] * 3
    assert result.status is RunStatus.FAILED and result.exit_code == ExitCode.RECORDS_FAILED
    assert "後処理に失敗しました" in (result.error or "") and "日次の件数が一致しません" in (result.error or "")
    assert result.results_workbook is not None  # the records' outcomes are still reported


def test_a_failed_setup_check_aborts_the_run(tmp_project: Project) -> None:
    source = write_list(tmp_project.root / "申請一覧.xlsx", 3)
    flow = FLOW.replace("steps:\n", "setup:\n  - {fail: ログインできません, when: \"true\"}\nsteps:\n")
    result = start(tmp_project, source, Watcher(), flow=flow)

    assert result.status is RunStatus.ABORTED and result.exit_code == ExitCode.ABORTED
    assert [r.status for r in result.records] == [Status.NOT_RUN] * 3


def test_a_sheet_without_dimension_damaged_half_way_is_keyed_up_to_the_damage_and_stays_resumable(
        tmp_project: Project) -> None:
    """No up-front pass over the rows: not by us (no count) and not by openpyxl either (it used to
    parse a sheet without ``<dimension>`` in full just to open it — here that would have refused
    the file before row 2). The damage shows when it is reached: the run aborts there, resumable."""
    source = write_list(tmp_project.root / "申請一覧.xlsx", 50)
    with zipfile.ZipFile(source) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    assert b"<dimension" not in sheet
    # Malformed in the middle, whole at the end (a cut-off file is refused up front: see test_error_mappings).
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b'<row r="32">', b'<row r="32"><<', 1)
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)

    watcher = Watcher()
    result = start(tmp_project, source, watcher)

    assert watcher.counted == [None]
    assert [r.status for r in result.records] == [Status.PASS] * 30
    assert result.status is RunStatus.ABORTED and result.exit_code == ExitCode.ABORTED
    assert "入力ファイルを最後まで読めませんでした" in (result.error or "")
    assert result.unread_after == "申請一覧!31"
    with RunStore.open(None, tmp_project.logs) as store:
        found = store.find_interrupted("stream-test", file_sha256(source))
    assert found is not None and (found.run_id, found.settled, found.total) == (result.run_id, 30, None)


class BrokenAtTheEnd(RunListener):
    """A required listener (like the ledger on a full disk) that fails as the run finishes."""

    required = True

    def run_finished(self, run: RunResult) -> None:
        raise OSError("記録先のディスクがいっぱいです")


def test_a_required_listener_failing_at_the_end_fails_the_run(tmp_project: Project) -> None:
    source = write_list(tmp_project.root / "申請一覧.xlsx", 2)
    (tmp_project.flows / "stream.yaml").write_text(FLOW, encoding="utf-8")
    watcher = Watcher()
    with open_trail(tmp_project) as trail:
        result = run_flow(RunRequest(flow="flows/stream.yaml", cwd=str(tmp_project.root), primary_input=str(source)),
                          trail=trail, listeners=lambda info: [BrokenAtTheEnd(), watcher], project=tmp_project)

    assert [r.status for r in result.records] == [Status.PASS] * 2
    assert result.status is RunStatus.FAILED and result.exit_code != ExitCode.OK
    assert "記録先のディスクがいっぱいです" in (result.error or "")
    assert watcher.finished_status is RunStatus.FAILED  # the listeners after it were told


def test_two_stop_signals_on_a_long_list_end_the_process_promptly_with_its_results(
        tmp_project: Project, big_list: Path, tmp_path: Path) -> None:
    """The reported case, end to end: ``runner.py run`` on a long list, SIGTERM, then a second one.
    The process exits (within the bound) and the results workbook is still written."""
    (tmp_project.flows / "stream.yaml").write_text(FLOW, encoding="utf-8")
    env = {**os.environ, "KZ_HOME": str(tmp_project.root), "KZ_LOGS": str(tmp_project.logs), "KZ_LANG": "ja",
           "COLUMNS": "200", "NO_COLOR": "1"}
    log = tmp_path / "runner.log"
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen([sys.executable, str(REPO / "runner.py"), "run", "flows/stream.yaml", "--input",
                                    str(big_list)], cwd=tmp_project.root, env=env, stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: confirmed(tmp_project.logs) >= 3, 120, "3 records keyed", process, log)
        process.send_signal(signal.SIGTERM)
        wait_for(lambda: "停止の指示を受けました" in log.read_text(encoding="utf-8"), 60, "the first stop", process, log)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == ExitCode.ABORTED, log.read_text(encoding="utf-8")[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
    output = log.read_text(encoding="utf-8")
    found = re.search(r"^結果ファイル: (.+)$", output, re.M)
    assert found and Path(found.group(1).strip()).is_file(), output[-3000:]
    book = load_workbook(Path(found.group(1).strip()), read_only=True)
    try:
        rows = book["結果"].max_row
    finally:
        book.close()
    assert rows is not None and rows - 1 < BIG_ROWS, "the rest of the list was not read just to be listed"


def confirmed(logs: Path) -> int:
    """Records confirmed in the journal so far (read while the runner writes: SQLite WAL allows it)."""
    store = logs / "kazaguruma.sqlite3"
    if not store.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as connection:
            row = connection.execute("SELECT count(*) FROM record_journal WHERE state = 'confirmed'").fetchone()
    except sqlite3.OperationalError:  # not created yet
        return 0
    return int(row[0])


def wait_for(condition: Callable[[], bool], timeout: float, what: str, process: subprocess.Popen[Any],
             log: Path) -> None:
    """Poll a condition (never a fixed sleep) until the timeout; fail with the runner's output."""
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached (exit {process.poll()})\n{log.read_text()[-3000:]}")
        time.sleep(0.05)

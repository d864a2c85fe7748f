"""Issue 19: after a resume, the rows an earlier run settled keep that run's 処理日時.

A run keys records 1–3 of a list and is stopped; its journal rows are dated to the morning (the
resume comes hours later, as it does in an office). The resume reports those rows as carried —
before the fix with the resume's own time as 処理日時, as if they had been keyed again just now.
Real run store (SQLite), real results workbook; control steps only (no browser needed).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path

import openpyxl
from flow_harness import run_job

from bots.project import Project
from bots.results.listener import RunListener
from bots.results.model import RecordResult, RunStatus, Status
from bots.store.store import RunStore

FLOW = """\
id: resume-times
title: 再開時の処理日時
version: 1.0.0
owner: 情報政策係
inputs:
  file: {type: path}
records:
  from: excel
  file: "{{ inputs.file }}"
  key: [氏名]
  columns:
    氏名: {type: str, required: true}
outputs: [受付番号]
steps:
  - {set: {受付番号: "R-{{ record.氏名 }}"}, commit: true}
"""
MORNING = dt.datetime(2026, 12, 7, 0, 15, 30, tzinfo=dt.UTC)  # 09:15:30 in Japan


class StopAt(RunListener):
    """Asks for a stop while record ``index`` is in hand (the run ends after it)."""

    def __init__(self, stop: threading.Event, index: int) -> None:
        self.stop, self.index = stop, index

    def record_started(self, record: RecordResult) -> None:
        if record.index == self.index:
            self.stop.set()


def _list(path: Path, n: int) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["氏名"])
    for i in range(1, n + 1):
        sheet.append([f"申請者{i:02d}"])
    book.save(path)
    return path


def _backdate(store_file: Path, journal_id: str, when: dt.datetime) -> None:
    """The journal rows as a run this morning wrote them (SQLite holds naive UTC text, as SQLAlchemy writes it)."""
    text = when.astimezone(dt.UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(store_file) as connection:
        changed = connection.execute("UPDATE record_journal SET updated_at = ? WHERE journal_id = ?",
                                     (text, journal_id)).rowcount
    assert changed == 3


def test_carried_rows_keep_the_time_they_were_processed(project: Project, store: RunStore, runs_url: str,
                                                       tmp_path: Path) -> None:
    flow = project.flows / "resume_times.yaml"
    flow.write_text(FLOW, encoding="utf-8")
    source = _list(tmp_path / "申請一覧.xlsx", 6)
    stop = threading.Event()
    first = run_job(project, flow, store_url=runs_url, input_file=source, stop=stop, extra=[StopAt(stop, 3)])
    assert first.result.status is RunStatus.STOPPED
    assert [r.status for r in first.result.records[:3]] == [Status.PASS] * 3
    _backdate(tmp_path / "runs" / "実行記録.sqlite3", first.result.run_id, MORNING)
    assert {e.updated_at for e in store.entries(first.result.run_id).values()} == {MORNING}

    resumed_at = dt.datetime.now().replace(microsecond=0)
    second = run_job(project, flow, store_url=runs_url, input_file=source, resume=first.result.run_id)
    assert second.result.status is RunStatus.COMPLETED, second.result.error
    assert [r.carried_from for r in second.result.records] == [first.result.run_id] * 3 + [None] * 3

    rows = second.results_rows()
    assert [row["状態"] for row in rows] == ["成功"] * 6
    assert [row["受付番号"] for row in rows] == [f"R-申請者{i:02d}" for i in range(1, 7)]
    morning = MORNING.astimezone().replace(tzinfo=None)
    assert [row["処理日時"] for row in rows[:3]] == [morning] * 3  # as the earlier run processed them
    assert all(row["処理日時"] >= resumed_at for row in rows[3:])  # keyed by the resume

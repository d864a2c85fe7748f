"""The auditor's tables, once: the columns and cells of the run list, record outcomes, failures,
selector drift and integrity, shared by the console (``audit runs``/``show``), the HTML report
and the workbook, so the three never disagree.

Cells keep their type (datetimes, counts) and each renderer formats them. Free text that came
from input data (keys, errors, outputs) is already masked upstream; it passes through the
default masker once more here, so a report never adds a マイナンバー the store did not hold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bots.audit.query import Integrity, LedgerEvent
from bots.i18n import tr
from bots.masking import DEFAULT_MASKER
from bots.results.model import Status
from bots.store.rows import RecordRow, RunRow

Cell = str | int | dt.datetime | None


@dataclass(frozen=True)
class Grid:
    """A table: headers, rows, and a tone per row (``ok``, ``fail``, ``review``, ``warn``, ``""``)."""

    headers: tuple[str, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    tones: list[str] = field(default_factory=list)

    def add(self, row: Iterable[Cell], tone: str = "") -> None:
        """Append a row with its tone (how renderers colour it)."""
        self.rows.append(tuple(row))
        self.tones.append(tone)


def fmt(cell: Cell) -> str:
    """A cell as text: local time for datetimes, ``-`` for nothing."""
    if cell is None or cell == "":
        return "-"
    if isinstance(cell, dt.datetime):
        return cell.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return str(cell)


def cell_class(cell: Cell) -> str:
    """How the HTML report lays a cell out: numbers right, times and short codes unbroken."""
    if isinstance(cell, int):
        return "num"
    if isinstance(cell, dt.datetime) or (isinstance(cell, str) and cell.isascii() and " " not in cell
                                         and len(cell) <= 40):
        return "nowrap"
    return ""


def masked(text: str | None) -> str | None:
    """Mask free text once more with the default masker (see the module docstring)."""
    return DEFAULT_MASKER.text(text) if text else text


def run_status_label(status: str) -> str:
    """A run status in words staff understand; unknown statuses pass through unchanged."""
    labels = {"running": tr("実行中", "running"), "completed": tr("完了", "completed"),
              "stopped": tr("停止", "stopped"), "aborted": tr("中断", "aborted"), "failed": tr("失敗", "failed"),
              "invalid": tr("不正（未実行）", "invalid (not run)"),
              "interrupted": tr("異常終了（再開済み）", "interrupted (resumed)")}
    return labels.get(status, status)


def trigger_label(trigger: str) -> str:
    """How a run was started, in words; unknown triggers pass through unchanged."""
    labels = {"manual": tr("手動", "manual"), "tray": tr("トレイ", "tray"), "schedule": tr("スケジュール", "schedule")}
    return labels.get(trigger, trigger)


def status_tone(status: Status | str) -> str:
    """The row tone for a record or run status; ``""`` when nothing needs attention drawn."""
    return {Status.PASS: "ok", Status.FAIL: "fail", Status.REVIEW: "review", Status.NOT_RUN: "warn",
            "completed": "ok", "aborted": "fail", "failed": "fail", "invalid": "fail", "stopped": "warn",
            "running": "warn", "interrupted": "fail"}.get(status, "")


def outputs_text(outputs: Mapping[str, Any]) -> str:
    """A record's outputs in one cell, masked, leaving out empty ones."""
    return ", ".join(f"{name}: {masked(str(value))}" for name, value in outputs.items() if value not in (None, ""))


def run_outputs_text(outputs: Mapping[str, Any]) -> str:
    """A run's own results (the flow's ``run_outputs``) in one cell, masked; ``-`` for one never set."""
    return ", ".join(f"{name}: {'-' if value is None else masked(str(value))}" for name, value in outputs.items())


def run_state(run: RunRow) -> str:
    """A run's status in words, marking dry runs so they are not mistaken for keying."""
    return run_status_label(run.status) + (tr("（リハーサル）", " (dry run)") if run.dry_run else "")


def runs_grid(runs: Iterable[RunRow]) -> Grid:
    """The run list: one row per run with who, when, how it ended and its record counts; a last
    column with the runs' own results (``run_outputs``) when any listed run has some."""
    runs = list(runs)
    with_results = any(run.run_outputs for run in runs)
    grid = Grid((tr("実行ID", "run id"), tr("フロー", "flow"), tr("版", "version"), tr("起動", "trigger"),
                 tr("利用者", "user"), tr("端末", "host"), tr("開始", "started"), tr("終了", "finished"),
                 tr("状態", "status"), tr("成功", "passed"), tr("失敗", "failed"), tr("要確認", "review"),
                 tr("未処理", "not run"), *((tr("実行結果", "run results"),) if with_results else ())))
    for run in runs:
        results: tuple[Cell, ...] = (run_outputs_text(run.run_outputs),) if with_results else ()
        grid.add((run.run_id, run.flow_id, run.flow_version, trigger_label(run.trigger), run.os_user, run.host,
                  run.started_at, run.finished_at, run_state(run), run.passed, run.failed, run.review, run.not_run,
                  *results), status_tone(run.status))
    return grid


def run_header(run: RunRow) -> list[tuple[str, Cell]]:
    """What identifies a run: which flow, which version, who, where, on which input, when."""
    return [
        (tr("実行ID", "run id"), run.run_id),
        (tr("フロー", "flow"), f"{run.flow_id} {run.flow_version}"),
        (tr("フローのハッシュ", "flow hash"), run.flow_hash),
        (tr("セレクタのハッシュ", "selectors hash"), run.selectors_hash),
        (tr("起動", "trigger"), trigger_label(run.trigger)),
        (tr("利用者", "user"), run.os_user),
        (tr("端末", "host"), run.host),
        (tr("入力ファイル", "input file"), run.input_name),
        (tr("入力の SHA-256", "input SHA-256"), run.input_sha256),
        (tr("開始", "started"), run.started_at),
        (tr("終了", "finished"), run.finished_at),
        (tr("状態", "status"), run_state(run)),
        (tr("件数", "records"), tr("全 {t} 件（成功 {p}・失敗 {f}・要確認 {r}・未処理 {n}）",
                                    "{t} in all ({p} passed, {f} failed, {r} review, {n} not run)",
                                    t=run.total if run.total is not None else "-", p=run.passed, f=run.failed,
                                    r=run.review, n=run.not_run)),
        (tr("エラー", "error"), masked(run.error)),
        *([(tr("実行結果", "run results"), run_outputs_text(run.run_outputs))] if run.run_outputs else []),
    ]


def records_grid(records: Iterable[RecordRow], runs: Mapping[str, RunRow] | None = None) -> Grid:
    """Per-record outcomes; with ``runs`` (by id) the run id and flow lead each row."""
    lead = (tr("実行ID", "run id"), tr("フロー", "flow")) if runs is not None else ()
    grid = Grid((*lead, tr("行", "row"), tr("キー", "key"), tr("状態", "status"),
                 tr("受付番号など（出力）", "outputs"), tr("エラー", "error")))
    for record in records:
        front: tuple[Cell, ...] = ()
        if runs is not None:
            front = (record.run_id, runs[record.run_id].flow_id if record.run_id in runs else None)
        grid.add((*front, record.location or str(record.index), masked(record.key), record.status.label(),
                  outputs_text(record.outputs), masked(record.error)), status_tone(record.status))
    return grid


def failures_grid(runs: Iterable[RunRow]) -> Grid:
    """Every failed or review record of the runs: what staff must follow up."""
    grid = Grid((tr("実行ID", "run id"), tr("フロー", "flow"), tr("行", "row"), tr("キー", "key"),
                 tr("状態", "status"), tr("エラー", "error"), tr("種別", "kind"), tr("画面の記録", "screenshot")))
    for run in runs:
        for record in run.records:
            if record.status in (Status.FAIL, Status.REVIEW):
                grid.add((run.run_id, run.flow_id, record.location or str(record.index), masked(record.key),
                          record.status.label(), masked(record.error), record.error_kind, record.screenshot),
                         status_tone(record.status))
    return grid


def drift_grid(drift: Iterable[LedgerEvent], flows: Mapping[str, str]) -> Grid:
    """Selector-drift entries; ``flows`` maps run ids to flow ids."""
    grid = Grid((tr("日時", "time"), tr("実行ID", "run id"), tr("フロー", "flow"), tr("システム", "system"),
                 tr("要素", "element"), tr("使われた候補", "candidate used"), tr("内容", "message"),
                 tr("台帳", "ledger")))
    for event in drift:
        data = event.data
        grid.add((event.ts, event.run_id, flows.get(event.run_id or ""), _text(data.get("system")),
                  _text(data.get("element")), _text(data.get("candidate")), masked(_text(data.get("message"))),
                  f"{event.folder_id} seq {event.seq}"), "warn")
    return grid


def integrity_grid(integrity: Integrity) -> Grid:
    """One row per ledger folder verified, with what vouches for it or what is wrong."""
    grid = Grid((tr("台帳フォルダ", "ledger folder"), tr("ファイル数", "files"), tr("エントリ数", "entries"),
                 tr("最終 seq", "last seq"), tr("実行記録の最終 seq", "seq recorded in the run store"),
                 tr("結果", "result"), tr("詳細", "details")))
    for check in integrity.folders:
        report = check.report
        result = tr("異常なし", "intact") if check.ok else tr("異常あり", "problem")
        details = "\n".join(line for line in (check.detail, *check.notes) if line)
        grid.add((check.folder_id, len(report.files) if report else 0, report.entries if report else 0,
                  report.head.seq if report and report.head else None,
                  check.recorded.seq if check.recorded else None, result, details), "ok" if check.ok else "fail")
    return grid


def _text(value: object) -> str | None:
    return None if value is None else str(value)

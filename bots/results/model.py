"""What happened in a run: separate from the frozen input models, filled in as it runs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from bots.errors import ExitCode
from bots.i18n import tr


class Status(StrEnum):
    """A record's (or a step's) outcome as the results workbook and the run store record it."""

    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"
    NOT_RUN = "NOT RUN"
    REVIEW = "REVIEW"  #: needs a person (要確認)

    def label(self) -> str:
        """The word staff see in the results workbook."""
        return {
            Status.PASS: tr("成功", "succeeded"),
            Status.FAIL: tr("失敗", "failed"),
            Status.SKIP: tr("スキップ", "skipped"),
            Status.NOT_RUN: tr("未処理", "not run"),
            Status.REVIEW: tr("要確認", "needs review"),
        }[self]


class RunStatus(StrEnum):
    """How a run as a whole ended (or that it is still running)."""

    RUNNING = "running"
    COMPLETED = "completed"  #: every record reached a final state (some may have failed)
    STOPPED = "stopped"  #: stopped on request after finishing the current record
    ABORTED = "aborted"  #: stopped by too many failures, a setup that failed, or a second stop request
    #: every record reached a final state, but the run's own work failed: a ``teardown`` step, the
    #: results workbook, the audit trail. Not resumable (nothing is left to key), never retried.
    FAILED = "failed"
    INVALID = "invalid"  #: flow or input refused before anything was keyed
    INTERRUPTED = "interrupted"  #: the process died (crash, kill, power cut); a resume took over

    def label(self) -> str:
        """The status as staff read it, the same on the console, in the tray and in the 管理台帳."""
        ja, en = _RUN_STATUS_WORDS[self]
        return tr(ja, en)


_RUN_STATUS_WORDS = {
    RunStatus.COMPLETED: ("完了", "completed"), RunStatus.STOPPED: ("停止", "stopped"),
    RunStatus.ABORTED: ("中断", "aborted"), RunStatus.INVALID: ("入力不正", "invalid input"),
    RunStatus.RUNNING: ("実行中", "running"), RunStatus.INTERRUPTED: ("異常終了", "interrupted"),
    RunStatus.FAILED: ("失敗", "failed"),
}


def run_status_label(status: str | None) -> str:
    """A stored status text as staff read it (``-`` when there is none; unknown text as it is)."""
    if status is None:
        return "-"
    try:
        return RunStatus(status).label()
    except ValueError:
        return status


@dataclass
class StepResult:
    """One step's outcome, for the listeners (the run log times every step)."""

    action: str
    label: str
    status: Status
    started: dt.datetime
    elapsed: float
    attempt: int = 1
    error: str | None = None
    error_kind: str | None = None


@dataclass
class RecordResult:
    """One record's outcome in this run; ``raw`` is its input row, for the results workbook."""

    index: int
    location: str
    key: str
    status: Status = Status.NOT_RUN
    error: str | None = None
    error_kind: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    screenshot: str | None = None
    started: dt.datetime | None = None
    elapsed: float = 0.0
    raw: dict[str, Any] = field(default_factory=dict)
    #: The earlier run of the same job that settled this record (a resume only reports it).
    carried_from: str | None = None


@dataclass
class RunResult:
    """A run's outcome, filled in as it runs; what every caller of a run gets back."""

    run_id: str
    flow_id: str
    flow_version: str
    status: RunStatus = RunStatus.RUNNING
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())
    finished: dt.datetime | None = None
    records: list[RecordResult] = field(default_factory=list)
    total: int | None = None
    error: str | None = None
    dry_run: bool = False
    #: The job (journal) this run works on: its own id, or the first run's when resuming.
    journal_id: str | None = None
    resumed_from: str | None = None
    #: The run folder (run log, screenshots, downloads) and the results workbook, once written.
    folder: Path | None = None
    results_workbook: Path | None = None
    #: Where reading the input ended when a run stopped early on a long input: the rows after this
    #: location were never read (not run, not listed). None when every row was read.
    unread_after: str | None = None
    #: The flow's ``run_outputs``, by name in declared order: values its setup/teardown left in
    #: ``vars`` (None for one never set). Empty when the flow declares none.
    run_outputs: dict[str, Any] = field(default_factory=dict)

    def fail(self, reason: str) -> None:
        """The run's own work failed after its records were settled (see :attr:`RunStatus.FAILED`):
        a completed run becomes failed; a stopped or aborted one keeps its status. The reason is
        added to any earlier one."""
        if self.status is RunStatus.COMPLETED:
            self.status = RunStatus.FAILED
        self.error = f"{self.error} / {reason}" if self.error else reason

    def count(self, status: Status) -> int:
        """How many records ended with ``status``."""
        return sum(1 for r in self.records if r.status is status)

    @property
    def exit_code(self) -> int:
        """The process exit code this outcome means (see :class:`bots.errors.ExitCode`)."""
        if self.status is RunStatus.INVALID:
            return ExitCode.INVALID
        if self.status in (RunStatus.ABORTED, RunStatus.STOPPED):
            return ExitCode.ABORTED
        if self.status is RunStatus.FAILED:  # every record settled: people must look, a retry would not help
            return ExitCode.RECORDS_FAILED
        if any(r.status in (Status.FAIL, Status.REVIEW) for r in self.records):
            return ExitCode.RECORDS_FAILED
        return ExitCode.OK

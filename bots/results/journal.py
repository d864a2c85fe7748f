"""The per-record journal: where each record of a job stands, written durably as it moves.

A *job* is one flow on one input, possibly spread over several runs: the first run, and each
``resume`` after a crash, a stop or an abort. Its records share one journal, keyed by the
first run's id. States::

    pending ─► in_progress ─► submitting ─► submitted ─► confirmed
                    │              │             │
                    └──────────────┴─────────────┴─────► failed | review

``submitting`` is written *before* the commit step and ``submitted`` right after it: a record
found in ``submitting`` after a crash may or may not have been keyed, one in ``in_progress``
certainly was not. No row (or ``pending``) means the record was never started.

These are the journal's data (read by the engine, the run store and the console alike); the engine writes
through :class:`bots.ports.JournalStore`, which the run store implements.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from bots.i18n import tr
from bots.results.model import run_status_label


class JournalState(StrEnum):
    """Where one record of a job stands (see the module docstring for the transitions)."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    REVIEW = "review"

    @property
    def interrupted(self) -> bool:
        """Started but not finished: a resume must find out what happened (``verify``)."""
        return self in (JournalState.IN_PROGRESS, JournalState.SUBMITTING, JournalState.SUBMITTED)

    @property
    def maybe_keyed(self) -> bool:
        """The commit step may have reached the target system."""
        return self in (JournalState.SUBMITTING, JournalState.SUBMITTED)

    def label(self) -> str:
        """The state in words for staff (console, ``resume`` prompts)."""
        return {
            JournalState.PENDING: tr("未処理", "pending"),
            JournalState.IN_PROGRESS: tr("処理中", "in progress"),
            JournalState.SUBMITTING: tr("登録操作中", "submitting"),
            JournalState.SUBMITTED: tr("登録操作済み", "submitted"),
            JournalState.CONFIRMED: tr("登録確認済み", "confirmed"),
            JournalState.FAILED: tr("失敗", "failed"),
            JournalState.REVIEW: tr("要確認", "needs review"),
        }[self]


#: Failures that say nothing about the record itself: the target system was down, slow or had
#: logged us out. When nothing was submitted, a resume tries such a record again.
TRANSIENT_KINDS = frozenset({"target_system", "session_expired", "timeout"})


@dataclass(frozen=True)
class JournalEntry:
    """One record's row in a job's journal: its latest state and what came of it."""

    index: int
    key: str
    state: JournalState
    run_id: str  #: the run that last moved this record
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_kind: str | None = None
    retryable: bool = False  #: failed transiently with nothing submitted: a resume keys it again
    updated_at: dt.datetime | None = None

    @property
    def settled(self) -> bool:
        """Nothing left to do for this record in a resume."""
        return self.state in (JournalState.CONFIRMED, JournalState.REVIEW) or (
            self.state is JournalState.FAILED and not self.retryable)


@dataclass(frozen=True)
class InterruptedRun:
    """The latest run of a job that did not finish all its records."""

    run_id: str
    journal_id: str
    flow_id: str
    status: str
    started_at: dt.datetime
    os_user: str
    host: str
    settled: int  #: records with nothing left to do
    unsettled: int  #: records started but not finished (verify on resume)
    total: int | None
    input_sha256: str | None = None
    alive: bool = False  #: its process still runs on this host

    def describe(self) -> str:
        """One line about the run for the ``resume`` question and notices."""
        when = self.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
        return tr("中断された実行 {r}（{w} 開始, {u}@{h}, 状態 {s}, 完了 {d}/{t} 件, 処理途中 {p} 件）",
                  "interrupted run {r} (started {w}, {u}@{h}, status {s}, done {d}/{t}, mid-record {p})",
                  r=self.run_id, w=when, u=self.os_user, h=self.host, s=run_status_label(self.status), d=self.settled,
                  t=self.total if self.total is not None else "?", p=self.unsettled)


ResumeChoice = Literal["resume", "fresh", "refuse"]


def is_retryable(kind: str | None, commit_started: bool) -> bool:
    """Whether a failure of ``kind`` may be keyed again: transient, and the commit never started."""
    return kind in TRANSIENT_KINDS and not commit_started



"""What the run store hands back: plain frozen dataclasses, never ORM objects, so a caller
(the auditor CLI, a report) cannot lazily touch the database after its transaction ended."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bots.results.model import Status, StepResult


@dataclass(frozen=True)
class RecordRow:
    """One record's outcome in one run."""

    run_id: str
    index: int
    location: str
    key: str
    status: Status
    outputs: dict[str, Any]
    error: str | None
    error_kind: str | None
    screenshot: str | None
    started_at: dt.datetime | None
    elapsed_ms: int
    carried_from: str | None = None  #: settled by this earlier run of the same job


@dataclass(frozen=True)
class RunRow:
    """One run. ``records`` is filled by ``RunStore.get_run`` only (``list_runs`` leaves it empty)."""

    run_id: str
    flow_id: str
    flow_version: str
    flow_hash: str
    selectors_hash: str | None
    trigger: str
    os_user: str
    host: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    passed: int
    failed: int
    review: int
    not_run: int
    total: int | None
    input_name: str | None
    input_sha256: str | None
    dry_run: bool
    error: str | None
    records: tuple[RecordRow, ...] = ()
    journal_id: str | None = None
    resumed_from: str | None = None
    fingerprint: str | None = None
    approval: str | None = None
    #: The flow's run-level results (``run_outputs``) by name, in declared order; {} when none.
    run_outputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepTiming:
    """How one action performed in one run: a summary, not every step. ``count`` is one per step
    execution (skipped ones included); a step's retries are inside its one timing."""

    action: str
    count: int
    total_ms: int
    max_ms: int
    failures: int


@dataclass(frozen=True)
class LedgerHead:
    """The last audit-ledger entry of a folder as the store knows it: an independent copy, so a
    truncated or rewound ledger file can be detected."""

    folder_id: str
    seq: int
    hash: str
    updated_at: dt.datetime


class StepSummary:
    """Aggregates ``step_finished`` results in memory, per action: a run of 10,000 records must
    not write 100,000 rows, and the per-step detail is already in ``run.jsonl``."""

    def __init__(self) -> None:
        # action -> [count, total seconds, max seconds, failures]; rounded to ms only on output,
        # so thousands of sub-millisecond control steps do not sum to zero.
        self._by_action: dict[str, list[float]] = {}

    def add(self, result: StepResult) -> None:
        """Count one step execution (a skipped one too) under its action."""
        seconds = max(0.0, result.elapsed)
        entry = self._by_action.setdefault(result.action, [0, 0.0, 0.0, 0])
        entry[0] += 1
        entry[1] += seconds
        entry[2] = max(entry[2], seconds)
        entry[3] += result.status is Status.FAIL

    def timings(self) -> list[StepTiming]:
        """The summaries by action, in whole milliseconds (rounded only here)."""
        return [StepTiming(action, int(count), round(total * 1000), round(peak * 1000), int(failures))
                for action, (count, total, peak, failures) in sorted(self._by_action.items())]


@dataclass(frozen=True)
class ApprovalRow:
    """One person's approval of one version (fingerprint) of a flow."""

    flow_id: str
    flow_version: str
    fingerprint: str
    approver: str
    author: str | None
    comment: str | None
    os_user: str
    host: str
    approved_at: dt.datetime


@dataclass(frozen=True)
class ApprovedFile:
    """A file of an approved version, with its text as approved (None for images)."""

    role: str
    path: str
    sha256: str
    content: str | None


@dataclass(frozen=True)
class FlowActivity:
    """A flow's runs as the catalogue and the health report need them."""

    last_run_at: dt.datetime | None
    last_status: str | None
    last_success_at: dt.datetime | None
    runs_in_window: int
    records_in_window: int
    #: Statuses of the latest runs, newest first (dry runs left out).
    recent_statuses: tuple[str, ...]


@dataclass(frozen=True)
class VersionRuns:
    """The first and last run of one version (fingerprint) of a flow, and how many there were."""

    fingerprint: str
    first_run_at: dt.datetime
    last_run_at: dt.datetime
    runs: int

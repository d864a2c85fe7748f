"""Listeners: the console, the run log, the results workbook, the run store and the audit ledger
(later the tray) observe a run through these calls instead of living inside steps.

A listener that raises is reported once and detached: observing must never break keying. A
*required* one (run store, ledger, results workbook) is part of what the run owes: its failure
is handed to ``on_required_failure`` — mid-run the run stops after the current record; at the
end (:meth:`RunListener.run_ending`, :meth:`RunListener.run_finished`) a completed run becomes
``failed`` and every listener after it hears that, not "completed".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from loguru import logger

from bots.masking import Masker
from bots.results.model import RecordResult, RunResult, StepResult


@dataclass(frozen=True)
class FlowIdentity:
    """Which flow ran, as plain data: what listeners record without importing the flow model."""

    id: str
    title: str
    version: str
    owner: str
    #: SHA-256 of the flow file and its sub-flows (what an approval refers to).
    content_hash: str
    #: SHA-256 over the validated selector maps it uses; None when it uses none.
    selectors_hash: str | None
    #: Captured variables written as columns of the results workbook.
    outputs: tuple[str, ...] = ()
    #: Whether the flow reads records (a results workbook is written only then).
    has_records: bool = False
    path: Path | None = None
    #: What an approval covers (bots.flow.fingerprint) and its approval when the run started.
    fingerprint: str | None = None
    approval: str | None = None


@dataclass
class RunInfo:
    """Who ran what, on which input: what every listener may want to record."""

    flow: FlowIdentity
    trigger: str
    user: str
    host: str
    folder: Path
    inputs: dict[str, Any]
    input_file: Path | None = None
    input_sha256: str | None = None
    input_headers: list[str] = field(default_factory=list)
    dry_run: bool = False
    #: Masks マイナンバー, sensitive columns and secrets in everything listeners receive.
    masker: Masker = field(default_factory=Masker)
    #: The run request as plain data (stored so that ``resume`` can start it again).
    request: dict[str, Any] | None = None
    #: Warnings the run starts with (e.g. development mode ran an unapproved flow): ``kind, text``
    #: pairs every listener hears as notices right after ``run_started``.
    warnings: tuple[tuple[str, str], ...] = ()


class RunListener:
    """No-op base: override what you need.

    A ``required`` listener is part of the audit trail: if it fails, the run stops after the
    current record (ABORTED) instead of keying on without evidence.
    """

    required: bool = False

    def run_started(self, info: RunInfo, run: RunResult) -> None:
        """The run begins: ``info`` says what and who, ``run`` will be filled in as it goes."""

    def records_counted(self, total: int | None) -> None:
        """The input is open; ``total`` is None when the source cannot count ahead."""

    def record_started(self, record: RecordResult) -> None:
        """A record is about to be keyed (or reported again, when a resume carries it)."""

    def step_started(self, action: str, label: str, depth: int) -> None:
        """A step begins; ``depth`` is its nesting (if/for_each/group)."""

    def step_finished(self, result: StepResult, depth: int) -> None:
        """A step ended, with its status, timing and attempt."""

    def record_finished(self, record: RecordResult) -> None:
        """A record reached its final status for this run."""

    def notice(self, kind: str, message: str, data: dict[str, Any]) -> None:
        """Anything else worth recording: selector drift, retries, warnings, dry-run skips."""

    def run_ending(self, run: RunResult) -> None:
        """The records are settled: write what the run leaves behind (the results workbook), before
        anyone hears :meth:`run_finished` — so a required listener failing here fails the run."""

    def run_finished(self, run: RunResult) -> None:
        """The run is over: the last call, even when it was aborted or refused."""


class ListenerSet(RunListener):
    """Fans every call out to the listeners; isolates their failures."""

    def __init__(self, listeners: list[RunListener] | None = None, masker: Masker | None = None) -> None:
        self.listeners: list[RunListener] = list(listeners or [])
        self.masker = masker or Masker()
        #: Called once when a required listener fails (the executor stops the run).
        self.on_required_failure: Callable[[RunListener, BaseException], None] | None = None
        self._final_records: tuple[tuple[int, int], list[RecordResult]] | None = None

    def add(self, listener: RunListener) -> None:
        """Attach one more listener; it sees only the calls made from now on."""
        self.listeners.append(listener)

    def _call(self, method: str, *args: Any) -> None:
        for listener in list(self.listeners):
            self._call_one(listener, method, *args)

    def _call_one(self, listener: RunListener, method: str, *args: Any) -> None:
        try:
            getattr(listener, method)(*args)
        except Exception as exc:  # a broken observer must not break keying
            logger.opt(exception=True).error("listener {} failed in {}; detached", type(listener).__name__, method)
            self.listeners.remove(listener)
            if listener.required and self.on_required_failure is not None:
                self.on_required_failure(listener, exc)

    def run_started(self, info: RunInfo, run: RunResult) -> None:
        """Fan out :meth:`RunListener.run_started`."""
        self._call("run_started", info, run)

    def records_counted(self, total: int | None) -> None:
        """Fan out :meth:`RunListener.records_counted`."""
        self._call("records_counted", total)

    # Masking happens here, once, on copies: no listener sees personal data or a secret, and the
    # engine's own results (which the caller receives) are never rewritten behind its back.
    def _masked_record(self, record: RecordResult) -> RecordResult:
        mask = self.masker
        return replace(record, key=mask.text(record.key), error=mask.text(record.error) if record.error else record.error,
                       outputs=mask.mapping(record.outputs), raw=mask.mapping(record.raw),
                       notes=[mask.text(n) for n in record.notes])

    def record_started(self, record: RecordResult) -> None:
        """Fan out :meth:`RunListener.record_started` with a masked copy of the record."""
        self._call("record_started", self._masked_record(record))

    def step_started(self, action: str, label: str, depth: int) -> None:
        """Fan out :meth:`RunListener.step_started`."""
        self._call("step_started", action, label, depth)

    def step_finished(self, result: StepResult, depth: int) -> None:
        """Fan out :meth:`RunListener.step_finished` with the error masked."""
        masked = replace(result, error=self.masker.text(result.error)) if result.error else result
        self._call("step_finished", masked, depth)

    def record_finished(self, record: RecordResult) -> None:
        """Fan out :meth:`RunListener.record_finished` with a masked copy of the record."""
        self._call("record_finished", self._masked_record(record))

    def notice(self, kind: str, message: str, data: dict[str, Any]) -> None:
        """Fan out :meth:`RunListener.notice` with the message and data masked."""
        self._call("notice", kind, self.masker.text(message), self.masker.mapping(data))

    def run_ending(self, run: RunResult) -> None:
        """Fan out :meth:`RunListener.run_ending` (see :meth:`run_finished` for the copies)."""
        self._call_final("run_ending", run)

    def run_finished(self, run: RunResult) -> None:
        """Fan out :meth:`RunListener.run_finished` with a masked copy of the run."""
        self._call_final("run_finished", run)

    def _call_final(self, method: str, run: RunResult) -> None:
        """One masked copy per listener (records masked once): a required listener failing on the
        way changes ``run`` (through ``on_required_failure``), and the listeners after it hear that."""
        key = (id(run), len(run.records))
        if self._final_records is None or self._final_records[0] != key:  # masked once for both calls
            self._final_records = (key, [self._masked_record(record) for record in run.records])
        records = self._final_records[1]
        for listener in list(self.listeners):
            masked = replace(run, error=self.masker.text(run.error) if run.error else run.error, records=records,
                             run_outputs=self.masker.mapping(run.run_outputs))
            self._call_one(listener, method, masked)

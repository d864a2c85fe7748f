"""Listeners: the console, the run log, the results workbook (later the audit ledger and the
tray) observe a run through these calls instead of living inside steps.

A listener that raises is reported once and detached: observing must never break keying.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loguru import logger

from bots.audit.masking import Masker
from bots.engine.results import RecordResult, RunResult, StepResult

if TYPE_CHECKING:
    from bots.flow.loader import LoadedFlow


@dataclass
class RunInfo:
    """Who ran what, on which input: what every listener may want to record."""

    loaded: LoadedFlow
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


class RunListener:
    """No-op base: override what you need.

    A ``required`` listener is part of the audit trail: if it fails, the run stops after the
    current record (ABORTED) instead of keying on without evidence.
    """

    required: bool = False

    def run_started(self, info: RunInfo, run: RunResult) -> None: ...

    def records_counted(self, total: int | None) -> None: ...

    def record_started(self, record: RecordResult) -> None: ...

    def step_started(self, action: str, label: str, depth: int) -> None: ...

    def step_finished(self, result: StepResult, depth: int) -> None: ...

    def record_finished(self, record: RecordResult) -> None: ...

    def notice(self, kind: str, message: str, data: dict[str, Any]) -> None:
        """Anything else worth recording: selector drift, retries, warnings, dry-run skips."""

    def run_finished(self, run: RunResult) -> None: ...


class ListenerSet(RunListener):
    """Fans every call out to the listeners; isolates their failures."""

    def __init__(self, listeners: list[RunListener] | None = None, masker: Masker | None = None) -> None:
        self.listeners: list[RunListener] = list(listeners or [])
        self.masker = masker or Masker()
        #: Called once when a required listener fails (the executor stops the run).
        self.on_required_failure: Callable[[RunListener, BaseException], None] | None = None

    def add(self, listener: RunListener) -> None:
        self.listeners.append(listener)

    def _call(self, method: str, *args: Any) -> None:
        for listener in list(self.listeners):
            try:
                getattr(listener, method)(*args)
            except Exception as exc:  # a broken observer must not break keying
                logger.opt(exception=True).error("listener {} failed in {}; detached", type(listener).__name__, method)
                self.listeners.remove(listener)
                if listener.required and self.on_required_failure is not None:
                    self.on_required_failure(listener, exc)

    def run_started(self, info: RunInfo, run: RunResult) -> None:
        self._call("run_started", info, run)

    def records_counted(self, total: int | None) -> None:
        self._call("records_counted", total)

    def record_started(self, record: RecordResult) -> None:
        record.key = self.masker.text(record.key)
        self._call("record_started", record)

    def step_started(self, action: str, label: str, depth: int) -> None:
        self._call("step_started", action, label, depth)

    # Masking happens here, once, so no listener can see personal data or a secret.
    def step_finished(self, result: StepResult, depth: int) -> None:
        if result.error:
            result.error = self.masker.text(result.error)
        self._call("step_finished", result, depth)

    def record_finished(self, record: RecordResult) -> None:
        mask = self.masker
        record.key = mask.text(record.key)
        record.error = mask.text(record.error) if record.error else record.error
        record.outputs = mask.mapping(record.outputs)
        record.raw = mask.mapping(record.raw)
        record.notes = [mask.text(n) for n in record.notes]
        self._call("record_finished", record)

    def notice(self, kind: str, message: str, data: dict[str, Any]) -> None:
        self._call("notice", kind, self.masker.text(message), self.masker.mapping(data))

    def run_finished(self, run: RunResult) -> None:
        mask = self.masker
        run.error = mask.text(run.error) if run.error else run.error
        for record in run.records:  # rows never reported one by one (未処理) are masked here
            record.key = mask.text(record.key)
            record.raw = mask.mapping(record.raw)
        self._call("run_finished", run)

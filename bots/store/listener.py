"""RunStoreListener: records a run in the run store through the engine's listener calls.

Every call writes at once, in its own short transaction, so a crash leaves the run as
``running`` with the records done so far — evidence of how far it got. Step timings are
summed in memory and written with the final status. Any write failure raises
:class:`~bots.errors.StoreError`: the audit trail is not optional.
"""

from __future__ import annotations

import os

from bots.errors import StoreError
from bots.i18n import tr
from bots.records.digest import file_sha256
from bots.results.listener import RunInfo, RunListener
from bots.results.model import RecordResult, RunResult, StepResult
from bots.store.rows import StepSummary
from bots.store.store import RunStore


def input_digest(info: RunInfo) -> str | None:
    """The input's SHA-256 (computed once by the engine; here only if it did not)."""
    if info.input_sha256 is not None or info.input_file is None:
        return info.input_sha256
    try:
        return file_sha256(info.input_file)
    except OSError as exc:
        raise StoreError(tr("入力ファイルのハッシュを計算できません: {p}: {e}", "cannot hash the input file {p}: {e}",
                            p=info.input_file, e=exc)) from exc


class RunStoreListener(RunListener):
    """One listener per run (the executor's listener factory makes a new one each time)."""

    required = True  # no keying without the run record

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self.steps = StepSummary()
        self._info: RunInfo | None = None
        self._run_id = ""
        self._input_recorded = False
        self._run: RunResult | None = None

    def run_started(self, info: RunInfo, run: RunResult) -> None:
        """Insert the run as ``running`` before anything is keyed (and its input, if already open)."""
        self._info, self._run_id, self._run = info, run.run_id, run
        self.store.start_run(run_id=run.run_id, flow_id=run.flow_id, flow_version=run.flow_version,
                             flow_hash=info.flow.content_hash, selectors_hash=info.flow.selectors_hash,
                             trigger=info.trigger, os_user=info.user, host=info.host, started_at=run.started,
                             dry_run=run.dry_run, total=run.total, journal_id=run.journal_id,
                             resumed_from=run.resumed_from, pid=os.getpid(), request=info.request,
                             fingerprint=info.flow.fingerprint, approval=info.flow.approval)
        if info.input_file is not None:
            self._record_input(run.total)

    def records_counted(self, total: int | None) -> None:
        """Record the input now: FlowRun opens it (setting ``info.input_file``) only after ``run_started``."""
        self._record_input(total)

    def step_finished(self, result: StepResult, depth: int) -> None:
        """Summed in memory, written with the final status (see :class:`~bots.store.rows.StepSummary`)."""
        self.steps.add(result)

    def record_finished(self, record: RecordResult) -> None:
        """Write the outcome at once, so a crash keeps the records done so far."""
        self.store.add_record(self._run_id, record)

    def run_finished(self, run: RunResult) -> None:
        """Write the final status and step timings; the input too, if no earlier call could."""
        if not self._input_recorded and self._info is not None and self._info.input_file is not None:
            self._record_input(run.total)
        self.store.finish_run(run, self.steps.timings())

    def _record_input(self, total: int | None) -> None:
        info = self._info
        if info is None:
            return
        file = info.input_file
        self.store.set_input(self._run_id, input_name=file.name if file else None, input_sha256=input_digest(info),
                             total=total, journal_id=self._run.journal_id if self._run else None,
                             resumed_from=self._run.resumed_from if self._run else None)
        self._input_recorded = True

"""One run of a flow: refuse bad input first, set up, key record by record, tear down.

Per-record isolation: a record that fails (bad data, a validation message from the target
system, a step that ran out of retries) is marked with its reason and the loop goes on, until
``settings.max_failures`` failures stop the run cleanly. Rows not reached are reported 未処理.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from loguru import logger

from bots.engine.context import RecordProgress, RunContext, Scope, namespace
from bots.engine.journal import JournalEntry, JournalError, JournalState, RunJournal, is_retryable
from bots.engine.records import open_source, record_key
from bots.engine.recovery import RecordRecovery
from bots.engine.results import RecordResult, RunStatus, Status
from bots.engine.resume import Decide, start_job
from bots.engine.steprunner import StepRunner
from bots.errors import (
    InputFileError,
    InputRecordError,
    KazagurumaError,
    RunHalted,
    SessionExpired,
    StepError,
)
from bots.i18n import tr
from bots.records.model import SourceRecord
from bots.run.folder import screenshot_path

#: How often one record is keyed again after a lookup (``verify``) showed an uncertain commit did not land.
MAX_VERIFY_RESTARTS = 2

#: How a record an earlier run settled is reported by a resume.
CARRIED_STATUS = {JournalState.CONFIRMED: Status.PASS, JournalState.FAILED: Status.FAIL,
                  JournalState.REVIEW: Status.REVIEW}


class FlowRun(RecordRecovery):
    def __init__(self, run: RunContext, *, resume: str | None = None, decide: Decide | None = None) -> None:
        self.run = run
        self.flow = run.loaded.flow
        self.steps = StepRunner(run)
        self.failures = 0
        self.resume = resume
        self.decide: Decide = decide or (lambda found: "refuse")
        self.journal: RunJournal | None = None
        self.prior: dict[int, JournalEntry] = {}
        #: Records in a row that failed on the target system itself (down, error pages, timeouts).
        self.target_streak = 0

    def execute(self) -> None:
        run = self.run
        run.listeners.run_started(run.info, run.result)
        try:
            self._execute()
        finally:
            if run.result.status is RunStatus.RUNNING:  # interrupted (Ctrl+C) or a framework bug
                run.result.status = RunStatus.ABORTED
            run.result.finished = dt.datetime.now().astimezone()
            run.listeners.run_finished(run.result)

    def _execute(self) -> None:
        run = self.run
        try:
            source = open_source(self.flow, namespace(run, Scope(vars={})), run.project.selectors)
        except InputFileError as exc:
            run.result.status = RunStatus.INVALID
            run.result.error = str(exc)
            return
        if source is not None:
            run.info.input_file = source.file
            run.info.input_headers = source.headers
            run.result.total = source.total
            try:
                job = start_job(run, source.files or source.file, self.resume, self.decide)
            except InputFileError as exc:
                run.result.status = RunStatus.INVALID
                run.result.error = str(exc)
                run.listeners.records_counted(source.total)
                return
            self.journal, self.prior = job.journal, job.prior
            run.listeners.records_counted(source.total)
        scope = Scope(vars=run.globals)
        try:
            self.steps.run_steps(list(self.flow.setup), scope)
        except (KazagurumaError, RunHalted) as exc:
            if isinstance(exc, RunHalted):
                self._halted(exc)
            else:
                run.result.status = RunStatus.ABORTED
                run.result.error = tr("準備処理に失敗しました: {e}", "setup failed: {e}", e=exc)
            self._teardown()
            if source is not None:
                self._mark_not_run(source.records)
            return
        try:
            if source is None:
                self._run_once()
            else:
                self._loop(source.records)
                for kind, message, data in source.finished() if source.finished else []:
                    run.listeners.notice(kind, message, data)
        finally:
            self._teardown()

    def _run_once(self) -> None:
        """A flow without records runs its steps once, as one 'record'."""
        record = SourceRecord(index=1, location=self.flow.id, raw={}, values={})
        self._guarded(record, record.location)
        if self.run.result.status is RunStatus.RUNNING:
            self.run.result.status = RunStatus.COMPLETED

    def _loop(self, records: Any) -> None:
        run = self.run
        seen: dict[str, str] = {}
        for record in records:
            if run.stop.is_set() and run.result.status is RunStatus.RUNNING:
                run.result.status = RunStatus.STOPPED
            if run.result.status is not RunStatus.RUNNING:
                self._not_run(record)
                continue
            key = record_key(self.flow, record)
            prior = self.prior.get(record.index)
            if prior is not None and prior.settled:
                self._carry(record, key, prior)
                seen.setdefault(key, record.location)
                continue
            if record.error is None and self.flow.records and self.flow.records.key and key in seen:
                record.error = tr("同じキーの行が既にあります（{w}）。二重登録を避けるため入力しません",
                                  "the same key appeared before ({w}); not keyed twice", w=seen[key])
                self._guarded(record, key, duplicate=True)
                continue
            seen.setdefault(key, record.location)
            self._guarded(record, key, prior)
            self._check_limits()
        if run.result.status is RunStatus.RUNNING:
            run.result.status = RunStatus.COMPLETED

    def _check_limits(self) -> None:
        run, settings = self.run, self.flow.settings
        if run.result.status is not RunStatus.RUNNING:
            return
        if settings.target_down_after and self.target_streak >= settings.target_down_after:
            run.result.status = RunStatus.ABORTED
            run.result.error = tr("基幹システムが応答しないため停止しました（{n}件連続で失敗、登録はしていません）。"
                                  "復旧後に resume で再開してください",
                                  "stopped: the target system is not answering ({n} records in a row failed, nothing "
                                  "submitted); resume once it is back", n=self.target_streak)
        elif settings.max_failures and self.failures >= settings.max_failures:
            run.result.status = RunStatus.ABORTED
            run.result.error = tr("失敗が上限（{n}件）に達したため停止しました", "stopped: {n} records failed",
                                  n=self.failures)

    def _new_result(self, record: SourceRecord, key: str) -> RecordResult:
        result = RecordResult(index=record.index, location=record.location, key=key, raw=record.raw,
                              notes=list(record.notes), started=dt.datetime.now().astimezone())
        self.run.result.records.append(result)
        return result

    def _not_run(self, record: SourceRecord) -> None:
        self._new_result(record, record_key(self.flow, record))

    def _mark_not_run(self, records: Any) -> None:
        for record in records:
            self._not_run(record)

    def _mark(self, result: RecordResult, state: JournalState, **details: Any) -> None:
        if self.journal is not None:
            self.journal.mark(result.index, state, result.key, **details)

    def _carry(self, record: SourceRecord, key: str, prior: JournalEntry) -> None:
        """A record an earlier run of this job settled: reported again, never keyed again."""
        result = self._new_result(record, key)
        self.run.listeners.record_started(result)
        result.status = CARRIED_STATUS[prior.state]
        result.outputs, result.error, result.error_kind = dict(prior.outputs), prior.error, prior.error_kind
        result.carried_from = prior.run_id
        result.notes.append(tr("前回の実行（{r}）で処理済み", "settled by the earlier run {r}", r=prior.run_id))
        self.run.listeners.record_finished(result)

    def _guarded(self, record: SourceRecord, key: str, prior: JournalEntry | None = None, *,
                 duplicate: bool = False) -> None:
        """One record; a journal that cannot be written stops the run (no keying without it)."""
        result = self._new_result(record, key)
        self.run.listeners.record_started(result)
        t0 = time.perf_counter()
        try:
            if record.error is not None:
                review = duplicate or record.review
                kind = "needs_review" if record.review else "input_record"
                result.status, result.error, result.error_kind = (
                    Status.REVIEW if review else Status.FAIL, record.error, kind)
                self._mark(result, JournalState.REVIEW if review else JournalState.FAILED, error=record.error,
                           error_kind=kind)
            elif prior is not None and prior.state.interrupted:
                self._recover(result, record, prior)
            else:
                self._process(result, record)
        except JournalError as exc:
            self.run.abort(str(exc))
            result.status, result.error, result.error_kind = Status.NOT_RUN, str(exc), "framework"
        except RunHalted as exc:  # the abort hotkey: the journal stays as it is (resumable)
            if result.status is Status.NOT_RUN:
                result.error_kind = "interrupted"
                result.error = tr("中断の指示により処理の途中で中断しました（未完了。再開時に確認します）",
                                  "interrupted on request (not done; checked on resume)")
                if exc.after_commit:  # it may have been keyed: never reported as simply not done
                    result.status = Status.REVIEW
                    result.error = tr("登録操作の後で中断しました。基幹システムで登録の有無を確認してください（再開時にも確認します）",
                                      "interrupted after the commit step: check in the core system whether it was "
                                      "keyed (resume checks it too)")
            self._halted(exc)
        except KeyboardInterrupt:  # a second stop request: leave the journal as it is (resumable)
            result.status, result.error_kind = Status.NOT_RUN, "interrupted"
            result.error = tr("強制停止により処理の途中で中断しました（再開時に確認します）",
                              "aborted mid-record by a second stop request (checked on resume)")
            raise
        finally:
            result.elapsed = time.perf_counter() - t0
            self.run.listeners.record_finished(result)

    def _halted(self, exc: RunHalted) -> None:
        """Stop the run after the abort hotkey (or pyautogui's fail-safe): status stopped."""
        self.run.halt_now()
        if self.run.result.status is RunStatus.RUNNING:
            self.run.result.status = RunStatus.STOPPED
            self.run.result.error = tr("中断の指示により停止しました: {e}", "stopped on request: {e}", e=exc)
        self.run.listeners.notice("halted", str(exc), {})

    def _scope(self, record: SourceRecord) -> Scope:
        marker = self.journal.record(record.index, record_key(self.flow, record)) if self.journal else None
        return Scope(vars=dict(self.run.globals), record=record, progress=RecordProgress(watcher=marker))

    def _process(self, result: RecordResult, record: SourceRecord) -> None:
        self._mark(result, JournalState.IN_PROGRESS)
        restarts = 0
        while True:
            scope = self._scope(record)
            try:
                self._with_session_recovery(scope, result, list(self.flow.steps))
            except JournalError:
                raise
            except RunHalted as halted:
                halted.after_commit = scope.commit_started
                raise
            except Exception as exc:
                kind = exc.kind if isinstance(exc, (StepError, InputRecordError)) else "framework"
                if not isinstance(exc, KazagurumaError):  # our bug: keep the run going, keep the evidence
                    logger.opt(exception=True).bind(run_id=self.run.result.run_id).error("unexpected error in a step")
                if isinstance(exc, SessionExpired):
                    self._log_in_again(result)
                if self._uncertain(scope, exc) and self.flow.verify is not None and restarts < MAX_VERIFY_RESTARTS:
                    # The commit may have gone through: look it up instead of guessing.
                    self.run.listeners.notice("verify_after_error", tr(
                        "登録操作の後でエラー。登録されたかを照会します: {e}",
                        "error after the commit step; looking the record up: {e}", e=exc), {"record": result.key})
                    found = self._verify(result, record, JournalState.SUBMITTING.value)
                    if found is None or found:
                        return
                    restarts += 1
                    self._mark(result, JournalState.IN_PROGRESS)
                    continue
                self._failed(result, scope, exc, kind)
            else:
                result.status = Status.PASS
                self.target_streak = 0
            break
        result.outputs = {name: scope.vars.get(name) for name in self.flow.outputs}
        if result.status is Status.PASS:
            self._mark(result, JournalState.CONFIRMED, outputs=result.outputs)

    def _failed(self, result: RecordResult, scope: Scope, exc: BaseException, kind: str) -> None:
        self.failures += 1
        uncertain = self._uncertain(scope, exc)
        result.status = Status.REVIEW if uncertain else Status.FAIL
        result.error = str(exc) or type(exc).__name__
        if uncertain:
            result.error = tr("登録操作の後でエラー。基幹システムで登録の有無を確認してください: {e}",
                              "failed after the commit step; check in the core system whether it was keyed: {e}",
                              e=result.error)
        result.error_kind = kind
        retryable = is_retryable(kind, uncertain)
        self.target_streak = self.target_streak + 1 if retryable else 0
        if retryable:
            result.notes.append(tr("基幹システム側の一時的な失敗（未登録）。再開時に再度入力します",
                                   "a transient failure of the target system (nothing keyed): keyed again on resume"))
        self._mark(result, JournalState.REVIEW if uncertain else JournalState.FAILED, error=result.error,
                   error_kind=kind, retryable=retryable)
        if self.flow.settings.screenshot_on_failure:
            result.screenshot = self._screenshot(result)
        if self.flow.on_record_failure:
            try:
                self.steps.run_steps(list(self.flow.on_record_failure), scope)
            except KazagurumaError as recover_error:
                self.run.listeners.notice("recover_failed", tr("失敗後の復旧処理も失敗しました: {e}",
                                                               "recovery after a failure failed: {e}", e=recover_error),
                                          {"record": result.key})

    def _screenshot(self, result: RecordResult) -> str | None:
        browsers = self.run.resources.open_sessions()
        if not browsers:
            return None
        path = screenshot_path(self.run.info.folder, result.index, result.key)
        try:
            browsers[0].screenshot(path)
        except KazagurumaError:
            return None
        return str(path)

    def _teardown(self) -> None:
        try:
            if not self.run.halt.is_set():  # after an abort nothing more is typed or clicked
                self.steps.run_steps(list(self.flow.teardown), Scope(vars=self.run.globals))
        except KazagurumaError as exc:
            self.run.listeners.notice("teardown_failed", tr("後処理に失敗しました: {e}", "teardown failed: {e}", e=exc), {})
        finally:
            self.run.resources.close()

"""Keying one record: its steps, what a failure means for it, and a half-done record's recovery.

A record that fails (bad data, a validation message from the target system, a step that ran out
of retries) is marked with its reason; after its commit step a failure is 要確認 (it may have been
keyed) unless the flow's ``verify`` block can tell. The run loop (:mod:`bots.engine.flowrun`) reads
``failures`` and ``target_streak`` to decide when to stop.
"""

from __future__ import annotations

from loguru import logger

from bots.engine.book import RecordBook
from bots.engine.context import Scope
from bots.engine.recovery import Recovery, uncertain
from bots.engine.steprunner import StepRunner
from bots.errors import (
    ErrorKind,
    InputRecordError,
    JournalError,
    KazagurumaError,
    RunHalted,
    SessionExpired,
    StepError,
)
from bots.flow.model import Flow
from bots.i18n import tr
from bots.records.model import SourceRecord
from bots.results.folder import screenshot_path
from bots.results.journal import JournalEntry, JournalState, is_retryable
from bots.results.model import RecordResult, Status

#: How often one record is keyed again after a lookup (``verify``) showed an uncertain commit did not land.
MAX_VERIFY_RESTARTS = 2


class RecordKeyer:
    """Keys records one at a time for a run; counts the failures the run loop limits."""

    def __init__(self, book: RecordBook, steps: StepRunner, flow: Flow) -> None:
        self.book = book
        self.run = book.run
        self.steps = steps
        self.flow = flow
        self.recovery = Recovery(book, steps, flow)
        self.failures = 0
        #: Records in a row that failed on the target system itself (down, error pages, timeouts).
        self.target_streak = 0

    def recover(self, result: RecordResult, record: SourceRecord, prior: JournalEntry) -> None:
        """A record an earlier run left half-done: find out whether it reached the target system."""
        if self.flow.verify is None:
            if not prior.state.maybe_keyed:  # the journal proves its commit step never started
                result.notes.append(tr("前回は登録操作の前に中断。入力し直します",
                                       "the earlier run stopped before the commit step; keying it"))
                self.process(result, record)
                return
            result.status, result.error_kind = Status.REVIEW, ErrorKind.UNVERIFIED
            result.error = tr("前回の実行が登録操作の途中で止まりました。verify が定義されていないため再入力しません。"
                              "基幹システムで登録の有無を確認してください",
                              "the earlier run stopped during the commit step and the flow has no verify block: "
                              "not keyed again; check in the core system whether it was keyed")
            self.book.mark(result, JournalState.REVIEW, error=result.error, error_kind=result.error_kind)
            return
        found = self.recovery.verify(result, record, prior.state.value)
        if found is False:
            result.notes.append(tr("照会で未登録を確認したため入力", "verified as not keyed; keying it"))
            self.process(result, record)

    def process(self, result: RecordResult, record: SourceRecord) -> None:
        """Key one record: its steps (with session recovery); on an uncertain failure after the
        commit step, look it up with ``verify`` and key it again only if it is not there."""
        self.book.mark(result, JournalState.IN_PROGRESS)
        restarts = 0
        while True:
            scope = self.book.scope(record)
            try:
                self.recovery.with_session_recovery(scope, result, list(self.flow.steps))
            except JournalError:
                raise
            except RunHalted as halted:
                halted.after_commit = scope.commit_started
                raise
            except Exception as exc:
                if not isinstance(exc, KazagurumaError):  # our bug: keep the run going, keep the evidence
                    logger.opt(exception=True).bind(run_id=self.run.result.run_id).error("unexpected error in a step")
                if isinstance(exc, SessionExpired):
                    self.recovery.log_in_again(result)
                if uncertain(scope, exc) and self.flow.verify is not None and restarts < MAX_VERIFY_RESTARTS:
                    # The commit may have gone through: look it up instead of guessing.
                    self.run.listeners.notice("verify_after_error", tr(
                        "登録操作の後でエラー。登録されたかを照会します: {e}",
                        "error after the commit step; looking the record up: {e}", e=exc), {"record": result.key})
                    found = self.recovery.verify(result, record, JournalState.SUBMITTING.value)
                    if found is None or found:
                        return
                    restarts += 1
                    self.book.mark(result, JournalState.IN_PROGRESS)
                    continue
                self._failed(result, scope, exc)
            else:
                if scope.progress.unobserved_commit is not None:
                    self._unobserved(result, scope.progress.unobserved_commit)
                else:
                    result.status = Status.PASS
                self.target_streak = 0
            break
        result.outputs = {name: scope.vars.get(name) for name in self.flow.outputs}
        if result.status is Status.PASS:
            self.book.mark(result, JournalState.CONFIRMED, outputs=result.outputs)

    def _unobserved(self, result: RecordResult, step: str) -> None:
        """Every step passed, but nothing after the desktop commit step showed that it did
        anything: 要確認 (a person checks the core system), never 成功, and never keyed again
        automatically (the journal says review). Counted as a failure: a flow that never looks
        would otherwise key a whole list blind."""
        self.failures += 1
        result.status, result.error_kind = Status.REVIEW, ErrorKind.NEEDS_REVIEW
        result.error = tr("登録操作（{s}）の後、画面の変化（次の画面・表示・入力内容）を確かめるステップがないため、"
                          "登録されたか分かりません。基幹システムで確認してください（フローには登録操作の後に "
                          "desktop.wait_window・wait_for・verify_field・read_text のどれかを書きます）",
                          "after the commit step ({s}) no step observed an effect (a next window, a text, a "
                          "field's content), so whether it was keyed is unknown; check in the core system (the "
                          "flow should follow its commit with desktop.wait_window, wait_for, verify_field or "
                          "read_text)", s=step)
        self.book.mark(result, JournalState.REVIEW, error=result.error, error_kind=result.error_kind)

    def _failed(self, result: RecordResult, scope: Scope, exc: BaseException) -> None:
        """Settle a failed record: 失敗, or 要確認 when it may have been keyed; screenshot, recover."""
        kind = exc.kind if isinstance(exc, (StepError, InputRecordError)) else ErrorKind.FRAMEWORK
        self.failures += 1
        maybe_keyed = uncertain(scope, exc)
        result.status = Status.REVIEW if maybe_keyed else Status.FAIL
        result.error = str(exc) or type(exc).__name__
        if maybe_keyed:
            result.error = tr("登録操作の後でエラー。基幹システムで登録の有無を確認してください: {e}",
                              "failed after the commit step; check in the core system whether it was keyed: {e}",
                              e=result.error)
        result.error_kind = kind
        retryable = is_retryable(kind, maybe_keyed)
        self.target_streak = self.target_streak + 1 if retryable else 0
        if retryable:
            result.notes.append(tr("基幹システム側の一時的な失敗（未登録）。再開時に再度入力します",
                                   "a transient failure of the target system (nothing keyed): keyed again on resume"))
        self.book.mark(result, JournalState.REVIEW if maybe_keyed else JournalState.FAILED, error=result.error,
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
        """A screenshot of the first open browser page, as evidence of a failed record."""
        browsers = self.run.resources.open_sessions()
        if not browsers:
            return None
        path = screenshot_path(self.run.info.folder, result.index, result.key)
        try:
            browsers[0].screenshot(path)
        except KazagurumaError:
            return None
        return str(path)

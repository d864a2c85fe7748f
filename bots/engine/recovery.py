"""Finding out what happened to a record whose fate is uncertain, and getting a lost session back.

A resume meets records an earlier run left half-done; a run meets errors right after a commit
step and expired sessions. Neither guesses: the flow's ``verify`` block looks the record up in the
target system, and ``on_session_expired`` logs in again before a record starts over. A part of
:class:`~bots.engine.keying.RecordKeyer`, which decides what to do with the answers.
"""

from __future__ import annotations

from loguru import logger

from bots.engine.book import RecordBook
from bots.engine.context import Scope, namespace
from bots.engine.steprunner import StepRunner
from bots.errors import ErrorKind, FrameworkError, JournalError, KazagurumaError, SessionExpired
from bots.flow import expressions
from bots.flow.model import Flow
from bots.flow.steps import StepBase
from bots.i18n import tr
from bots.records.model import SourceRecord
from bots.results.journal import JournalState
from bots.results.model import RecordResult, Status


class Recovery:
    """``verify`` lookups and session recovery for one run."""

    def __init__(self, book: RecordBook, steps: StepRunner, flow: Flow) -> None:
        self.book = book
        self.run = book.run
        self.steps = steps
        self.flow = flow

    def verify(self, result: RecordResult, record: SourceRecord, previous: str) -> bool | None:
        """Run the flow's ``verify`` block for a record whose commit may have gone through.
        True: it is in the target system (the record is settled PASS with the outputs read);
        False: it is not (key it); None: it could not be told (settled 要確認)."""
        verify = self.flow.verify
        if verify is None:
            raise FrameworkError("verify() called for a flow without a verify block")
        scope = self.book.scope(record)
        try:
            self.with_session_recovery(scope, result, list(verify.steps))
            found = bool(expressions.evaluate(verify.found, namespace(self.run, scope)))
        except JournalError:
            raise
        except Exception as exc:  # whatever went wrong, the record's fate is unknown: a person checks
            if not isinstance(exc, KazagurumaError):  # our bug: keep the evidence in the run log
                logger.opt(exception=True).bind(run_id=self.run.result.run_id).error("unexpected error in verify")
            result.status, result.error_kind = Status.REVIEW, ErrorKind.UNVERIFIED
            result.error = tr("登録の有無を照会で確認できませんでした。基幹システムで確認してください: {e}",
                              "could not verify whether the record was keyed; check in the core system: {e}",
                              e=str(exc) or type(exc).__name__)
            self.book.mark(result, JournalState.REVIEW, error=result.error, error_kind=result.error_kind)
            return None
        self.run.listeners.notice("verified", tr("登録の有無を照会しました（{k}）: {f}", "verified whether record {k} "
                                                 "was keyed: {f}", k=result.key, f=tr("登録済み", "keyed")
                                                 if found else tr("未登録", "not keyed")),
                                  {"record": result.key, "found": found, "previous_state": previous})
        if found:
            result.status, result.error, result.error_kind = Status.PASS, None, None
            result.outputs = {name: scope.vars.get(name) for name in self.flow.outputs}
            result.notes.append(tr("登録済みであることを照会で確認", "found keyed by looking it up"))
            self.book.mark(result, JournalState.CONFIRMED, outputs=result.outputs)
        return found

    def with_session_recovery(self, scope: Scope, result: RecordResult, steps: list[StepBase]) -> None:
        """Run ``steps``; when the session expired before anything was submitted, run the flow's
        ``on_session_expired`` block (log in again) and start the record over."""
        attempts = 0
        while True:
            try:
                self.steps.run_steps(steps, scope)
                return
            except SessionExpired as exc:
                recoverable = not scope.commit_started or exc.nothing_saved
                if not (self.flow.on_session_expired and recoverable
                        and attempts < self.flow.settings.session_retries):
                    raise
                attempts += 1
                self.run.listeners.notice("session_expired", tr(
                    "セッションが切れました。再ログインして行 {k} をやり直します（{a}回目）",
                    "session expired; logging in again and restarting record {k} (attempt {a})",
                    k=result.key, a=attempts), {"record": result.key, "attempt": attempts})
                scope.progress.commit_not_sent()
                scope.vars.clear()
                scope.vars.update(self.run.globals)
                self.steps.run_steps(list(self.flow.on_session_expired), Scope(vars=self.run.globals))

    def log_in_again(self, result: RecordResult) -> None:
        """The session expired where the record could not simply start over (after its commit
        step, or out of restarts): log in again all the same, or the lookup (``verify``) and every
        later record would meet a login screen. A system shows its expiry screen only once."""
        if not self.flow.on_session_expired:
            return
        self.run.listeners.notice("session_expired", tr(
            "セッションが切れました。再ログインします（行 {k}）", "session expired; logging in again (record {k})",
            k=result.key), {"record": result.key, "attempt": 0})
        try:
            self.steps.run_steps(list(self.flow.on_session_expired), Scope(vars=self.run.globals))
        except KazagurumaError as exc:
            self.run.listeners.notice("recover_failed", tr("再ログインに失敗しました: {e}",
                                                           "logging in again failed: {e}", e=exc),
                                      {"record": result.key})


def uncertain(scope: Scope, exc: BaseException) -> bool:
    """After the commit step the record may have been keyed, unless the system said otherwise."""
    return scope.commit_started and not getattr(exc, "nothing_saved", False)

"""Runs steps: condition, dry-run hold-back, rendering, timeout, retry, status reporting.

Every step runs inside :meth:`StepRunner.run_step`, the status reporter: it stamps start and
elapsed time, tells the listeners, and turns the outcome into a :class:`StepResult`.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from bots.engine.context import RunContext, Scope, StepContext, namespace
from bots.engine.results import Status, StepResult
from bots.errors import InputRecordError, RunHalted, StepError
from bots.flow import expressions
from bots.flow.types import RetryPolicy
from bots.i18n import tr

if TYPE_CHECKING:
    from bots.flow.steps import StepBase


def _render_value(value: Any, namespace: dict[str, Any]) -> Any:
    from bots.flow.steps import StepBase

    if isinstance(value, str):
        return expressions.render(value, namespace) if expressions.is_template(value) else value
    if isinstance(value, list) and not any(isinstance(v, StepBase) for v in value):
        return [_render_value(v, namespace) for v in value]
    if isinstance(value, dict):
        return {k: _render_value(v, namespace) for k, v in value.items()}
    return value


def render_params(params: BaseModel, namespace: dict[str, Any]) -> BaseModel:
    """Params with every template field rendered, except the action's raw fields."""
    raw: frozenset[str] = getattr(type(params), "raw_fields", frozenset())
    update: dict[str, Any] = {}
    for name in type(params).model_fields:
        if name in raw:
            continue
        value = getattr(params, name)
        rendered = _render_value(value, namespace)
        if rendered is not value:
            update[name] = rendered
    return params.model_copy(update=update) if update else params


class StepRunner:
    def __init__(self, run: RunContext) -> None:
        self.run = run
        self.default_timeout = run.loaded.flow.settings.step_timeout

    def run_steps(self, steps: list[StepBase], scope: Scope, depth: int = 0) -> None:
        for step in steps:
            self.run_step(step, scope, depth)

    def _report(self, step: StepBase, status: Status, started: dt.datetime, t0: float, depth: int,
                attempt: int = 1, exc: BaseException | None = None) -> None:
        kind = getattr(exc, "kind", None) if exc else None
        result = StepResult(step.action, step.label, status, started, time.perf_counter() - t0, attempt,
                            str(exc) if exc else None, kind)
        self.run.listeners.step_finished(result, depth)

    def _may_retry(self, policy: RetryPolicy, attempt: int, exc: StepError | InputRecordError,
                   scope: Scope) -> bool:
        # A stop request does not cut retries short: the current record is finished first.
        if attempt >= policy.attempts or not policy.matches(exc.kind) or self.run.cancel.is_set():
            return False
        if scope.commit_started and not getattr(exc, "nothing_saved", False):
            self.run.listeners.notice("retry_refused", tr(
                "登録操作の後の失敗のため再試行しません（二重登録の防止）: {e}",
                "not retried: the failure came after the commit step (no double keying): {e}", e=exc), {})
            return False
        return True

    def run_step(self, step: StepBase, scope: Scope, depth: int = 0) -> None:
        if self.run.halt.is_set():  # the abort hotkey: no further step touches mouse or keyboard
            raise RunHalted(tr("中断の指示により {s} の前で停止しました", "stopped before {s} (abort requested)",
                               s=step.label))
        listeners = self.run.listeners
        started = dt.datetime.now().astimezone()
        t0 = time.perf_counter()
        listeners.step_started(step.action, step.label, depth)
        if scope.commit_skipped:
            self._report(step, Status.SKIP, started, t0, depth)
            return
        if step.when is not None:
            try:
                wanted = expressions.evaluate(step.when, namespace(self.run, scope))
            except InputRecordError as exc:
                self._report(step, Status.FAIL, started, t0, depth, 1, exc)
                raise
            if not wanted:
                self._report(step, Status.SKIP, started, t0, depth)
                return
        commits = step.commit or step.spec.commits
        if self.run.dry_run and commits:
            scope.progress.commit_skipped = True
            listeners.notice("dry_run_skip", tr("リハーサルのため登録操作を実行しません: {s}",
                                                "dry run: the commit step is not executed: {s}", s=step.label),
                             {"step": step.label})
            self._report(step, Status.SKIP, started, t0, depth)
            return
        if commits:
            scope.progress.start_commit()  # durably journalled before anything is sent
        timeout = step.timeout if step.timeout is not None else self.default_timeout
        policy = step.retry
        attempt = 1
        while True:
            try:
                params = render_params(step.params, namespace(self.run, scope))
                step.spec.func(StepContext(self.run, scope, step, timeout, self, depth), params)
            except (StepError, InputRecordError) as exc:
                if self.run.halt.is_set():  # the abort hotkey cut this step short: a stop, not a failure
                    self._report(step, Status.FAIL, started, t0, depth, attempt, exc)
                    raise RunHalted(str(exc)) from exc
                if commits and exc.action_taken is False:
                    scope.progress.commit_not_sent()  # the submit never went out
                if policy is not None and self._may_retry(policy, attempt, exc, scope):
                    scope.progress.commit_not_sent()
                    delay = policy.delay_before(attempt + 1)
                    listeners.notice("retry", tr("{s} を再試行します（{a}/{n}回目, {d:.1f}秒後）: {e}",
                                                 "retrying {s} (attempt {a}/{n} in {d:.1f}s): {e}", s=step.label,
                                                 a=attempt + 1, n=policy.attempts, d=delay, e=exc),
                                     {"step": step.label, "attempt": attempt + 1, "error": str(exc), "kind": exc.kind})
                    self.run.cancel.wait(delay)
                    attempt += 1
                    continue
                self._report(step, Status.FAIL, started, t0, depth, attempt, exc)
                raise
            except BaseException as exc:
                self._report(step, Status.FAIL, started, t0, depth, attempt, exc)
                raise
            if commits:
                scope.progress.commit_done()
            self._report(step, Status.PASS, started, t0, depth, attempt)
            if step.audit:
                listeners.notice("audit", step.label, {"type": step.audit, "step": step.label})
            return

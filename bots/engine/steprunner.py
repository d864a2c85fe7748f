"""Runs steps: condition, dry-run hold-back, rendering, timeout, retry.

Every step runs inside a :class:`~bots.engine.status.StatusReporter`, which stamps start and
elapsed time, tells the listeners, and turns the outcome into a :class:`StepResult` on one path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from bots.engine import page_states
from bots.engine.context import RunContext, Scope, StepContext, namespace
from bots.engine.expr_where import ExpressionLocator
from bots.engine.status import StatusReporter
from bots.errors import InputRecordError, RunHalted, StepError
from bots.flow import expressions
from bots.flow.steps import StepBase
from bots.i18n import tr
from bots.spec.types import RetryPolicy


def _render_value(value: Any, namespace: dict[str, Any], timeout: float | None) -> Any:
    if isinstance(value, str):
        return expressions.render(value, namespace, timeout=timeout) if expressions.is_template(value) else value
    if isinstance(value, list) and not any(isinstance(v, StepBase) for v in value):
        return [_render_value(v, namespace, timeout) for v in value]
    if isinstance(value, dict):
        return {k: _render_value(v, namespace, timeout) for k, v in value.items()}
    return value


def render_params(params: BaseModel, namespace: dict[str, Any], *, secret: Callable[[str], str] | None = None,
                  timeout: float | None = None) -> BaseModel:
    """Params with every template field rendered within ``timeout``, except the action's raw
    fields. A secret field holding exactly ``{{ secrets.NAME }}`` gets the secret from ``secret``;
    everywhere else ``secrets`` refuses to be read (see :mod:`bots.flow.expr_rules`)."""
    raw: frozenset[str] = getattr(type(params), "raw_fields", frozenset())
    secret_fields: frozenset[str] = getattr(type(params), "secret_fields", frozenset())
    update: dict[str, Any] = {}
    for name in type(params).model_fields:
        if name in raw:
            continue
        value = getattr(params, name)
        ref = expressions.whole_secret(value) if name in secret_fields and secret is not None else None
        rendered = secret(ref) if secret is not None and ref is not None else _render_value(value, namespace, timeout)
        if rendered is not value:
            update[name] = rendered
    return params.model_copy(update=update) if update else params


class StepRunner:
    """Runs a flow's steps for one run; nested steps (if/for_each/group/call) come back here."""

    def __init__(self, run: RunContext) -> None:
        self.run = run
        self.default_timeout = run.loaded.flow.settings.step_timeout
        self.where = ExpressionLocator(run.project)

    def run_steps(self, steps: list[StepBase], scope: Scope, depth: int = 0) -> None:
        """Run ``steps`` in order; the first failure propagates (the record's keyer handles it)."""
        for step in steps:
            self.run_step(step, scope, depth)

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
        """Run one step inside the status reporter: skip it, or run it with its retries."""
        if self.run.halt.is_set():  # the abort hotkey: no further step touches mouse or keyboard
            raise RunHalted(tr("中断の指示により {s} の前で停止しました", "stopped before {s} (abort requested)",
                               s=step.label))
        with StatusReporter(self.run.listeners, step, depth) as status:
            if self._held_back(step, scope):
                status.skip()
                return
            self._attempts(step, scope, depth, status)
        if step.audit:
            self.run.listeners.notice("audit", step.label, {"type": step.audit, "step": step.label})

    def _held_back(self, step: StepBase, scope: Scope) -> bool:
        """Whether the step is skipped: after a held-back commit, by its ``when``, or as the
        commit step of a dry run (which then holds back the record's later steps)."""
        if scope.commit_skipped:
            return True
        if step.when is not None:
            timeout = step.timeout if step.timeout is not None else self.default_timeout
            try:
                wanted = expressions.evaluate(step.when, namespace(self.run, scope), timeout=timeout)
            except expressions.ExpressionError as exc:
                raise self.where.locate(exc, step, scope.loaded or self.run.loaded) from exc.__cause__
            if not wanted:
                return True
        if self.run.dry_run and self.commits(step):
            scope.progress.commit_skipped = True
            self.run.listeners.notice("dry_run_skip", tr("リハーサルのため登録操作を実行しません: {s}",
                                                         "dry run: the commit step is not executed: {s}", s=step.label),
                                      {"step": step.label})
            return True
        return False

    @staticmethod
    def commits(step: StepBase) -> bool:
        """A commit step writes to the target system (marked on the step or by its action)."""
        return step.commit or step.spec.commits

    def _absent(self, ctx: StepContext, params: BaseModel) -> bool:
        """An ``optional`` step whose element did not show: skipped, with an ``optional_absent`` notice."""
        target = page_states.absent(ctx, params)
        if target is None:
            return False
        shown = ctx.browser(getattr(params, "system", None)).describe(target)
        self.run.listeners.notice("optional_absent", tr(
            "{s}: {t} が表示されないため省略しました（optional）", "{s}: skipped, {t} did not show (optional)",
            s=ctx.step.label, t=shown), {"step": ctx.step.label, "target": shown})
        return True

    def _attempts(self, step: StepBase, scope: Scope, depth: int, status: StatusReporter) -> None:
        """Call the step function until it succeeds or its retry policy gives up. The journal
        records the commit durably before the step sends anything, and after it went out."""
        commits = self.commits(step)
        if commits:
            scope.progress.start_commit()
        timeout = step.timeout if step.timeout is not None else self.default_timeout
        policy = step.retry
        while True:
            try:
                try:
                    params = render_params(step.params, namespace(self.run, scope), secret=self.run.secret,
                                           timeout=timeout)
                    ctx = StepContext(self.run, scope, step, timeout, self, depth)
                    if step.optional and not commits and self._absent(ctx, params):
                        status.skip()
                        return
                    step.spec.func(ctx, params)
                except expressions.ExpressionError as exc:  # name the expression's file:line:col
                    raise self.where.locate(exc, step, scope.loaded or self.run.loaded) from exc.__cause__
            except (StepError, InputRecordError) as exc:
                if self.run.halt.is_set():  # the abort hotkey cut this step short: a stop, not a failure
                    raise RunHalted(str(exc)) from exc
                if commits and exc.action_taken is False:
                    scope.progress.commit_not_sent()  # the submit never went out
                if policy is None or not self._may_retry(policy, status.attempt, exc, scope):
                    raise
                scope.progress.commit_not_sent()
                delay = policy.delay_before(status.attempt + 1)
                self.run.listeners.notice(
                    "retry", tr("{s} を再試行します（{a}/{n}回目, {d:.1f}秒後）: {e}", "retrying {s} (attempt {a}/{n} in "
                                "{d:.1f}s): {e}", s=step.label, a=status.attempt + 1, n=policy.attempts, d=delay, e=exc),
                    {"step": step.label, "attempt": status.attempt + 1, "error": str(exc), "kind": exc.kind})
                self.run.cancel.wait(delay)
                status.attempt += 1
                continue
            if commits:
                scope.progress.commit_done()
            return

"""Control steps: ``set``, ``if``, ``for_each``, ``group``, ``call``, ``fail``, ``log``.

The short names (``set:``, ``if:`` …) are aliases of ``control.*``.
"""

from __future__ import annotations

import time
from itertools import islice
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from loguru import logger
from pydantic import Field, model_validator

from bots.engine.context import Scope, StepContext
from bots.errors import FlowFailed, InputRecordError, StepTimeout
from bots.flow.expressions import ExpressionError
from bots.i18n import tr
from bots.registry import Params, action

if TYPE_CHECKING:
    from bots.flow.steps import AnyStep


class SetParams(Params):
    """``set: {受付番号: "{{ … }}", 件数: 0}``: the mapping itself is the params."""

    values: dict[str, Any] = Field(
        description="`変数名: 値` の組。`set:` の下に直接書きます（`values:` とは書きません）。値に `{{ }}` の式も使えます")

    @model_validator(mode="before")
    @classmethod
    def _wrap(cls, data: Any) -> Any:
        return {"values": data} if isinstance(data, dict) and set(data) != {"values"} else data

    def assigned_names(self) -> list[str]:
        """The variables set, so ``validate`` knows them before the run."""
        return list(self.values)


@action("control.set", SetParams, aliases=("set",))
def set_vars(ctx: StepContext, p: SetParams) -> None:
    """Set variables (``vars.<name>``) from values or expressions.

    Variables set in ``setup`` are seen by every record; those set while keying a record last for
    that record only. A called sub-flow has its own.

    ``- set: {申請日: "{{ run.date }}"}``
    """
    ctx.vars.update(p.values)


class IfParams(Params):
    """A condition and two branches; the condition is evaluated, not rendered."""

    raw_fields: ClassVar[frozenset[str]] = frozenset({"cond", "then", "else_"})

    cond: str = Field(description="条件式（`{{ }}` で囲まずに書きます。例: `record.区分 == '新規'`）")
    then: list[AnyStep] = Field(description="条件が真のときに実行するステップ")
    else_: list[AnyStep] = Field(default_factory=list, alias="else", description="条件が偽のときに実行するステップ")


@action("control.if", IfParams, aliases=("if",))
def if_(ctx: StepContext, p: IfParams) -> None:
    """Run ``then`` when ``cond`` is true, else ``else``.

    ``- if: {cond: "record.申請種別 == '児童手当認定請求'", then: [...], else: [...]}``
    """
    ctx.run_steps(p.then if ctx.evaluate(p.cond) else p.else_)


class ForEachParams(Params):
    """A list expression, the loop variable and the steps run per item."""

    raw_fields: ClassVar[frozenset[str]] = frozenset({"items", "steps"})

    items: str = Field(description="リストを返す式（`{{ }}` で囲まずに書きます。例: `vars.世帯員`）")
    as_: str = Field("item", alias="as", description="各項目を入れる変数名（`vars.<名前>`）")
    steps: list[AnyStep] = Field(description="項目ごとに実行するステップ")

    def assigned_names(self) -> list[str]:
        """The loop variable, so ``validate`` knows it inside the loop."""
        return [self.as_]


@action("control.for_each", ForEachParams, aliases=("for_each",))
def for_each(ctx: StepContext, p: ForEachParams) -> None:
    """Run ``steps`` once per item of a list; the item is ``vars.<as>``.

    A record may run at most ``settings.max_loop_iterations`` iterations (10,000 unless the flow
    says otherwise), nested loops counted together: a longer list fails the record before its
    first iteration. With a ``timeout`` on the step, the loop stops when it is used up.

    ``- for_each: {items: vars.世帯員, as: 世帯員, steps: [...]}``
    """
    items = ctx.evaluate(p.items)
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        raise InputRecordError(tr("for_each の items がリストではありません: {v!r}", "for_each items is not a list: {v!r}",
                                  v=items))
    progress, cap = ctx.scope.progress, ctx.run.loaded.flow.settings.max_loop_iterations
    batch = list(islice(items, cap - progress.loop_iterations + 1))  # never more than the cap allows, +1 to tell
    if progress.loop_iterations + len(batch) > cap:
        raise ExpressionError(tr(
            "for_each の繰り返しが上限を超えます（このレコードで {m} 回まで。settings.max_loop_iterations）: {x}",
            "for_each over its limit ({m} iterations per record, settings.max_loop_iterations): {x}",
            m=f"{cap:,}", x=p.items), p.items)
    deadline = time.monotonic() + ctx.step.timeout if ctx.step.timeout is not None else None
    for index, item in enumerate(batch):
        if deadline is not None and time.monotonic() > deadline:
            raise StepTimeout(tr("for_each が時間切れです（{t:g}秒、{i}件目の前で停止）",
                                 "for_each timed out ({t:g}s, stopped before item {i})", t=ctx.step.timeout, i=index + 1))
        progress.loop_iterations += 1
        ctx.vars[p.as_] = item
        ctx.run_steps(p.steps)


class GroupParams(Params):
    """The steps run as one unit."""

    raw_fields: ClassVar[frozenset[str]] = frozenset({"steps"})

    steps: list[AnyStep] = Field(description="まとめて実行するステップ")


@action("control.group", GroupParams, aliases=("group",))
def group(ctx: StepContext, p: GroupParams) -> None:
    """Run steps as one unit, so a ``retry`` on the group re-runs them all from the start.

    Use it when one step cannot be retried alone, e.g. a screen that must be reopened before
    its fields are filled again.

    ``- {group: {steps: [...]}, retry: {attempts: 3, on: [target_system]}}``
    """
    ctx.run_steps(p.steps)


class CallParams(Params):
    """The sub-flow to run, its inputs, and the variables it hands back: a scalar is the flow."""

    shorthand: ClassVar[str | None] = "flow"

    flow: str = Field(description="呼び出すフローのファイル（呼び出し元からの相対パス、なければ `flows/` から）")
    with_: dict[str, Any] = Field(default_factory=dict, alias="with",
                                  description="サブフローの入力（`inputs:`）に渡す値")
    outputs: list[str] = Field(default_factory=list,
                               description="呼び出しの後で `vars` にコピーするサブフローの変数名")

    def assigned_names(self) -> list[str]:
        """The variables copied back, so ``validate`` knows them after the call."""
        return list(self.outputs)


@action("control.call", CallParams, aliases=("call",))
def call(ctx: StepContext, p: CallParams) -> None:
    """Run another flow's steps (e.g. a shared login) with its own inputs.

    The sub-flow sees the caller's record but its own variables; ``validate`` checks it too, and
    a commit step inside it is a commit of the record.

    ``- call: {flow: common/login.yaml, with: {user: "{{ env.DEMO_USER }}"}, outputs: [ログイン日時]}``
    """
    sub = ctx.flow.subflows[p.flow]
    inputs = {name: spec.default for name, spec in sub.flow.inputs.items()}
    inputs.update(p.with_)
    missing = [n for n, s in sub.flow.inputs.items() if s.required and inputs.get(n) is None]
    if missing:
        raise InputRecordError(tr("サブフロー {f} の入力がありません: {m}", "sub-flow {f} is missing inputs: {m}",
                                  f=sub.flow.id, m=", ".join(missing)))
    scope = Scope(vars={}, record=ctx.record, inputs=inputs, progress=ctx.scope.progress, loaded=sub)
    ctx.run_steps(sub.flow.steps, scope)
    for name in p.outputs:
        ctx.vars[name] = scope.vars.get(name)


class FailParams(Params):
    """Why the record fails: a scalar is the message."""

    shorthand: ClassVar[str | None] = "message"

    message: str = Field(description="失敗の理由（結果ファイルとログに出ます）")


@action("control.fail", FailParams, aliases=("fail",))
def fail(ctx: StepContext, p: FailParams) -> None:
    """Fail the current record with a message (use with ``when``).

    The record is reported as failed with the message and the run goes on with the next one.
    ``when`` is a common key of every step, so it sits beside ``fail``, not inside it.

    ``- {fail: 対象外の申請種別です, when: "record.申請種別 == 'その他'"}``
    """
    raise FlowFailed(str(p.message))


class LogParams(Params):
    """A line for the run log: a scalar is the message."""

    shorthand: ClassVar[str | None] = "message"

    message: str = Field(description="ログに書く文（`{{ }}` の式も使えます）")
    level: Literal["info", "warning"] = Field("info", description="`info`（情報）か `warning`（警告）")


@action("control.log", LogParams, aliases=("log",))
def log(ctx: StepContext, p: LogParams) -> None:
    """Write a line to the run log.

    ``- log: "{{ record.氏名 }} を処理します"``
    """
    ctx.notice("log", str(p.message), level=p.level)
    logger.bind(run_id=ctx.run.result.run_id).log(p.level.upper(), str(p.message))

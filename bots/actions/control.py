"""Control steps: ``set``, ``if``, ``for_each``, ``group``, ``call``, ``fail``, ``log``.

The short names (``set:``, ``if:`` …) are aliases of ``control.*``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from loguru import logger
from pydantic import Field, model_validator

from bots.engine.context import Scope, StepContext
from bots.errors import FlowFailed, InputRecordError
from bots.i18n import tr
from bots.registry import Params, action

if TYPE_CHECKING:
    from bots.flow.steps import AnyStep


class SetParams(Params):
    """``set: {受付番号: "{{ … }}", 件数: 0}``: the mapping itself is the params."""

    values: dict[str, Any]

    @model_validator(mode="before")
    @classmethod
    def _wrap(cls, data: Any) -> Any:
        return {"values": data} if isinstance(data, dict) and set(data) != {"values"} else data

    def assigned_names(self) -> list[str]:
        return list(self.values)


@action("control.set", SetParams, aliases=("set",))
def set_vars(ctx: StepContext, p: SetParams) -> None:
    """Set variables (``vars.<name>``) from values or expressions.

    ``- set: {申請日: "{{ run.date }}"}``
    """
    ctx.vars.update(p.values)


class IfParams(Params):
    raw_fields: ClassVar[frozenset[str]] = frozenset({"cond", "then", "else_"})

    cond: str
    then: list[AnyStep]
    else_: list[AnyStep] = Field(default_factory=list, alias="else")


@action("control.if", IfParams, aliases=("if",))
def if_(ctx: StepContext, p: IfParams) -> None:
    """Run ``then`` when ``cond`` is true, else ``else``.

    ``- if: {cond: "record.申請種別 == '児童手当認定請求'", then: [...], else: [...]}``
    """
    ctx.run_steps(p.then if ctx.evaluate(p.cond) else p.else_)


class ForEachParams(Params):
    raw_fields: ClassVar[frozenset[str]] = frozenset({"items", "steps"})

    items: str
    as_: str = Field("item", alias="as")
    steps: list[AnyStep]

    def assigned_names(self) -> list[str]:
        return [self.as_]


@action("control.for_each", ForEachParams, aliases=("for_each",))
def for_each(ctx: StepContext, p: ForEachParams) -> None:
    """Run ``steps`` once per item of a list; the item is ``vars.<as>``.

    ``- for_each: {items: vars.世帯員, as: 世帯員, steps: [...]}``
    """
    items = ctx.evaluate(p.items)
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        raise InputRecordError(tr("for_each の items がリストではありません: {v!r}", "for_each items is not a list: {v!r}",
                                  v=items))
    for item in items:
        ctx.vars[p.as_] = item
        ctx.run_steps(p.steps)


class GroupParams(Params):
    raw_fields: ClassVar[frozenset[str]] = frozenset({"steps"})

    steps: list[AnyStep]


@action("control.group", GroupParams, aliases=("group",))
def group(ctx: StepContext, p: GroupParams) -> None:
    """Run steps as one unit, so a ``retry`` on the group re-runs them all from the start.

    ``- group: {steps: [...]}`` with ``retry: {attempts: 3, on: [target_system]}``
    """
    ctx.run_steps(p.steps)


class CallParams(Params):
    shorthand: ClassVar[str | None] = "flow"

    flow: str
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")
    #: Sub-flow variables copied back into ``vars`` after the call.
    outputs: list[str] = Field(default_factory=list)

    def assigned_names(self) -> list[str]:
        return list(self.outputs)


@action("control.call", CallParams, aliases=("call",))
def call(ctx: StepContext, p: CallParams) -> None:
    """Run another flow's steps (e.g. a shared login) with its own inputs.

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
    shorthand: ClassVar[str | None] = "message"

    message: str


@action("control.fail", FailParams, aliases=("fail",))
def fail(ctx: StepContext, p: FailParams) -> None:
    """Fail the current record with a message (use with ``when``).

    ``- {fail: 対象外の申請種別です, when: "record.申請種別 == 'その他'"}`` (``when`` belongs to the step)
    """
    raise FlowFailed(str(p.message))


class LogParams(Params):
    shorthand: ClassVar[str | None] = "message"

    message: str
    level: Literal["info", "warning"] = "info"


@action("control.log", LogParams, aliases=("log",))
def log(ctx: StepContext, p: LogParams) -> None:
    """Write a line to the run log.

    ``- log: "{{ record.氏名 }} を処理します"``
    """
    ctx.notice("log", str(p.message), level=p.level)
    logger.bind(run_id=ctx.run.result.run_id).log(p.level.upper(), str(p.message))

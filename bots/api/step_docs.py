"""Every registered step's manual page as data, read from its docstring and params model.

A step's docstring is its manual: the first line is the summary, the paragraphs after it say why
and when, and each line that starts with ````- `` is a YAML example (the registry test loads
every one as a flow step, so the reference shows only examples that validate). Each params
field's ``Field(description=...)`` is its line in the parameter table. :mod:`bots.api.step_reference`
renders this data as Markdown.
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, ForwardRef, Literal, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, Discriminator
from pydantic.fields import FieldInfo

from bots import registry
from bots.flow.model import Settings
from bots.flow.steps import StepBase
from bots.i18n import tr
from bots.records.model import ColumnSpec
from bots.registry import ActionSpec
from bots.selectors.model import Candidate
from bots.spec.types import RetryOn, RetryPolicy, parse_duration

#: A YAML example in a docstring: ````- browser.click: 入力.確認へ```` on a line of its own.
EXAMPLE = re.compile(r"``(- .*?)``")


@dataclass(frozen=True)
class ParamDoc:
    """One key of a step (or a common key) as the reference shows it."""

    name: str
    type: str
    required: bool
    #: The default as YAML text; None when the key is required or is simply left out.
    default: str | None
    description: str


@dataclass(frozen=True)
class StepDoc:
    """One step's manual page."""

    name: str
    aliases: tuple[str, ...]
    summary: str
    description: str
    examples: tuple[str, ...]
    params: tuple[ParamDoc, ...]
    #: The key a scalar stands for (``browser.click: 入力.確認へ``), as written in YAML.
    shorthand: str | None
    commits: bool


def examples(doc: str) -> list[str]:
    """The YAML examples of a docstring: each line that starts with ````- ``."""
    found = (EXAMPLE.match(line.strip()) for line in doc.splitlines() if line.strip().startswith("``- "))
    return [m.group(1) for m in found if m]


def markdown_code(text: str) -> str:
    """Docstrings write code as ````x````; Markdown as ```x``` (left doubled if it holds a backtick)."""
    return re.sub(r"``([^`]+)``", r"`\1`", text)


def _description(doc: str) -> str:
    """The paragraphs after the summary, without the example lines, each paragraph on one line."""
    paragraphs: list[list[str]] = [[]]
    for line in doc.splitlines()[1:]:
        text = line.strip()
        if text.startswith("``- "):
            text = EXAMPLE.sub("", text, count=1).strip()
            if not text:
                continue
        if text:
            paragraphs[-1].append(text)
        else:
            paragraphs.append([])
    return "\n\n".join(markdown_code(" ".join(p)) for p in paragraphs if p)


# --- types and defaults ---------------------------------------------------------------------------

def _is_duration(metadata: Iterable[Any]) -> bool:
    return any(isinstance(m, BeforeValidator) and m.func is parse_duration for m in metadata)


def _bounds(metadata: Iterable[Any]) -> str:
    """`` (1〜3)`` from ``Field(ge=1, le=3)``."""
    low = next((m.ge for m in metadata if hasattr(m, "ge")), None)
    high = next((m.le for m in metadata if hasattr(m, "le")), None)
    if low is not None and high is not None:
        return tr("（{a:g}〜{b:g}）", " ({a:g}–{b:g})", a=low, b=high)
    if low is not None:
        return tr("（{n:g} 以上）", " (≥ {n:g})", n=low)
    return ""


def annotation_label(annotation: Any, metadata: tuple[Any, ...] = ()) -> str:
    """A type as the people who write flows read it: ``文字列 または 文字列のリスト``."""
    origin, args = get_origin(annotation), get_args(annotation)
    if isinstance(annotation, ForwardRef):  # a params model not yet rebuilt with the step union
        is_list = annotation.__forward_arg__.startswith("list[")
        return tr("ステップのリスト", "list of steps") if is_list else tr("ステップ", "step")
    if origin is Annotated:
        if any(isinstance(m, Discriminator) for m in args[1:]):
            return tr("ステップ", "step")
        return annotation_label(args[0], metadata + args[1:])
    if _is_duration(metadata):
        return tr("時間（5s・500ms・2m）", "duration (5s, 500ms, 2m)")
    if origin in (Union, types.UnionType):
        return tr(" または ", " or ").join(annotation_label(a) for a in args if a is not type(None))
    if origin is Literal:
        return " / ".join(str(a) for a in args)
    if origin in (list, tuple):
        if not args:
            return tr("リスト", "list")
        if get_origin(args[0]) is Literal and len(get_args(args[0])) > 4:
            return tr("名前のリスト", "list of names")  # a long list of choices goes in the description
        item = annotation_label(args[0])
        return tr("{x}のリスト", "list of {x}", x="steps" if item == "step" else item)
    if origin is dict:
        return tr("名前: {x} の組", "mapping of name: {x}", x=annotation_label(args[1]))
    names = {
        str: tr("文字列", "text"), int: tr("整数", "integer"), float: tr("数値", "number"),
        bool: "true / false", Any: tr("値", "any value"),
        Candidate: tr("ロケータ", "locator"), ColumnSpec: tr("列の型", "column type"),
        RetryPolicy: tr("再試行の設定", "retry settings"),
    }
    return names.get(annotation, getattr(annotation, "__name__", str(annotation))) + _bounds(metadata)


def type_label(info: FieldInfo) -> str:
    """The type of one field as the reference shows it, with its bounds."""
    return annotation_label(info.annotation, tuple(info.metadata))


def yaml_text(value: Any) -> str:
    """A value as written in YAML flow style: ``true``, ``[timeout, any]``, ``{}``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(yaml_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {yaml_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def default_text(info: FieldInfo) -> str | None:
    """The default as YAML text, ``5s`` for a duration; None when required or left out."""
    if info.is_required():
        return None
    value = info.get_default(call_default_factory=True, validated_data={})
    if value is None:
        return None
    if _is_duration(info.metadata) and isinstance(value, (int, float)):
        return f"{value:g}s"
    return yaml_text(value)


# --- pages ----------------------------------------------------------------------------------------

def params_of(model: type[BaseModel]) -> tuple[ParamDoc, ...]:
    """The keys a model accepts as written in YAML (aliases where set): the required ones first,
    ``system`` (needed only when a flow has several systems) last, else in declaration order."""
    targets = set(getattr(model, "target_fields", ()))
    fields = sorted(model.model_fields.items(), key=lambda f: (f[0] == "system", not f[1].is_required()))
    return tuple(
        ParamDoc(info.alias or name,
                 tr("要素（画面.要素）", "element (screen.element)") if name in targets else type_label(info),
                 info.is_required(), default_text(info), markdown_code(info.description or ""))
        for name, info in fields
    )


def step_doc(spec: ActionSpec) -> StepDoc:
    """One registered step's manual page."""
    doc = inspect.getdoc(spec.func) or spec.name
    model = spec.params
    shorthand = model.shorthand
    if shorthand is not None:
        shorthand = model.model_fields[shorthand].alias or shorthand
    return StepDoc(spec.name, spec.aliases, markdown_code(spec.summary), _description(doc), tuple(examples(doc)),
                   params_of(model), shorthand, spec.commits)


def step_docs(family: str | None = None) -> list[StepDoc]:
    """Every registered step's page (or one family's), sorted by name."""
    return [step_doc(s) for s in registry.specs() if family is None or s.name.startswith(family + ".")]


def families() -> list[str]:
    """The step families (``browser``, ``control`` …), sorted."""
    return sorted({s.name.split(".", 1)[0] for s in registry.specs()})


def _described(params: tuple[ParamDoc, ...], texts: dict[str, str]) -> tuple[ParamDoc, ...]:
    return tuple(ParamDoc(p.name, p.type, p.required, p.default, texts.get(p.name, "")) for p in params)


def common_keys() -> tuple[ParamDoc, ...]:
    """The keys any step may carry beside its step name (:class:`StepBase`'s fields)."""
    timeout = Settings.model_fields["step_timeout"].default
    texts = {
        "name": tr("ログ・画面・結果に出すステップの名前（省略時はステップ名）",
                   "the step's name in logs, the console and results (default: the step name)"),
        "id": tr("ステップの識別子（任意。実行には影響しません）", "an identifier for the step (optional; does not change the run)"),
        "timeout": tr("このステップが待つ時間の上限。省略時はフローの `settings.step_timeout`（{t:g} 秒）",
                      "how long the step may wait; default: the flow's `settings.step_timeout` ({t:g} s)", t=timeout),
        "retry": tr("失敗したときの再試行（下の表）。登録操作が始まった後の失敗は、二重登録を防ぐため再試行しません",
                    "retry on failure (table below); never after the commit step started (no double keying)"),
        "when": tr("条件式（`{{ }}` で囲みません）。偽ならこのステップを飛ばします",
                   "a condition (without `{{ }}`); when false the step is skipped"),
        "commit": tr("対象システムに登録・送信するステップの印。`--dry-run` はここで止まり、再開時は登録済みかを確かめます",
                     "marks the step that submits to the target system: `--dry-run` stops before it, and a resume "
                     "checks whether it went through"),
        "optional": tr("`true` にすると、要素が `settings.optional_wait`（既定 1 秒）のうちに表示されないとき失敗せずに飛ばします"
                       "（ときどき出るお知らせの「閉じる」など）。ブラウザで要素を操作するステップだけ。登録操作（commit）には付けられません",
                       "`true`: when the element does not show within `settings.optional_wait` (default 1 s) the step is "
                       "skipped instead of failing (a notice's close button shown only sometimes). Browser steps that act "
                       "on an element only; never a commit step"),
        "audit": tr("成功したときに監査台帳へ記録するイベント名（英小文字・数字・`_`。例: `login`）",
                    "an audit-ledger event recorded when the step succeeds (lowercase, digits, `_`; e.g. `login`)"),
    }
    return _described(params_of(StepBase), texts)


def retry_keys() -> tuple[ParamDoc, ...]:
    """The keys of ``retry:``."""
    texts = {
        "attempts": tr("最大の試行回数（初回を含む）", "the most attempts, the first included"),
        "backoff": tr("2 回目の前に待つ時間", "the wait before the second attempt"),
        "factor": tr("待ち時間を毎回何倍にするか", "how much the wait grows each time"),
        "max_backoff": tr("待ち時間の上限", "the longest wait"),
        "on": tr("再試行する失敗の種類: {k}（`any` はすべて）", "the kinds of failure retried: {k} (`any`: all)",
                 k=tr("・", ", ").join(f"`{k}`" for k in get_args(RetryOn))),
    }
    return _described(params_of(RetryPolicy), texts)


#: Common keys sit beside the step name; the test loads this example as flow steps.
COMMON_EXAMPLE = """\
- name: 確認画面へ
  browser.click: 申請入力.確認へ
  timeout: 5s
  retry: {attempts: 3, on: [target_system]}
- name: 登録
  browser.click: 確認.登録
  commit: true
  audit: submit
- log: 旧様式の申請です
  when: "record.様式 == '旧'"
"""

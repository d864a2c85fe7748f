"""Flow steps in plain words: one sentence per step that a non-programmer reads.

``describe_step`` phrases one step (and, recursively, the steps nested in it) for the change
report and the approval gate; ``step_lines`` flattens a block into numbered lines, each with the
screen it touches, for the 手順書 — with a sub-flow's steps inlined under its call, phrased
against the caller's records (the Excel flow and the OCR flow key through the same sub-flow, and
its 「レコードの『氏名』」 is 「Excel の『氏名』列」 in one and 「帳票の『氏名』欄」 in the other).

The per-action phrases are in :mod:`bots.governance.phrase_actions`; what every step may carry is
added here: its name, its condition, its retry and timeout, its audit event, and the 【登録操作】
mark of a commit step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bots.flow.steps import StepBase
from bots.governance.phrase_actions import PHRASES, fallback
from bots.governance.phrase_values import (
    ScreenRef,
    Wording,
    condition_phrase,
    screen_by_url,
    screen_by_window,
)
from bots.i18n import tr
from bots.registry import get as registered

if TYPE_CHECKING:
    from bots.flow.loader import LoadedFlow

#: Where a Latin word follows Japanese text directly (「…にExcel の」): a space, as Japanese manuals write it.
_LATIN_AFTER_KANA = re.compile(r"(?<=[\u3041-\u3096\u30a1-\u30fa\u30fc\u4e00-\u9fff々])(?=Excel )")
#: The step blocks of a flow, in the order a run meets them.
SECTIONS = ("setup", "steps", "verify", "on_session_expired", "on_record_failure", "teardown")


def section_title(block: str) -> str:
    """A block of the flow as the reader knows it."""
    titles = {
        "setup": ("準備（実行の最初に 1 回）", "setup (once, at the start)"),
        "steps": ("レコードごとの手順（1 行ずつ）", "for each record (row by row)"),
        "verify": ("登録済みかの照会（再開のとき）", "checking whether a record is already registered (on resume)"),
        "on_session_expired": ("セッションが切れたとき", "when the session expires"),
        "on_record_failure": ("行が失敗したときの後始末", "after a record failed"),
        "teardown": ("後片付け（実行の最後に 1 回）", "teardown (once, at the end)"),
    }
    ja, en = titles.get(block, (block, block))
    return tr(ja, en)


def section_steps(loaded: LoadedFlow, block: str) -> list[StepBase]:
    """The steps of one block (``verify`` is its ``steps``)."""
    if block == "verify":
        verify = loaded.flow.verify
        return list(verify.steps) if verify is not None else []
    return list(getattr(loaded.flow, block, []) or [])


def is_phrased(action: str) -> bool:
    """Whether the action has its own phrase (not the registry-summary fallback)."""
    return registered(action).name in PHRASES


def is_commit(step: StepBase) -> bool:
    """A commit step (``commit: true``, or an action that always commits)."""
    return step.commit or step.spec.commits


def phrase_of(step: StepBase, wording: Wording) -> str:
    """The step alone, with what every step may carry, without its nested steps."""
    func = PHRASES.get(step.spec.name)
    text = func(step, wording) if func is not None else fallback(step)
    if step.when:
        text = tr("{c}、{t}", "{c}, {t}", c=condition_phrase(step.when, wording), t=text)
    if step.name:
        text = tr("〔{n}〕{t}", "{n}: {t}", n=step.name, t=text)
    if step.timeout is not None:
        text += tr("（待つのは最大 {s} 秒）", " (waiting at most {s} s)", s=f"{step.timeout:g}")
    if step.retry is not None:
        on = tr("・", ", ").join(_retry_reason(kind) for kind in step.retry.on)
        text += tr("（{o}のときは最大 {n} 回まで試す）", " (tried up to {n} times on: {o})", o=on,
                   n=step.retry.attempts)
    if step.audit:
        text += tr("（監査台帳に「{a}」を記録）", " (recorded in the audit ledger as “{a}”)", a=step.audit)
    if is_commit(step):
        text = tr("【登録操作】", "[commit] ") + text
    return _LATIN_AFTER_KANA.sub(" ", text)


def describe_step(step: StepBase, loaded: LoadedFlow, *, wording: Wording | None = None) -> str:
    """One plain sentence for the step, its nested steps (if / for_each / group) included."""
    w = wording or Wording.of(loaded)
    text = phrase_of(step, w)
    for label, nested in _nested(step):
        inner = tr("；", "; ").join(describe_step(s, loaded, wording=w) for s in nested)
        text += tr("。{l}: ［{i}］", ". {l}: [{i}]", l=label, i=inner) if label else tr(": ［{i}］", ": [{i}]", i=inner)
    return text


@dataclass(frozen=True)
class StepLine:
    """One numbered line of a block, flattened: what the 手順書 prints and the change report aligns."""

    #: ``5``, ``5.2`` (nested), empty for a branch heading (「そうでなければ」).
    number: str
    depth: int
    text: str
    commit: bool
    #: The screen the step touches, when it names one (an element, a page, a window).
    screen: ScreenRef | None
    action: str
    #: The sub-flow the step comes from (its reference as the caller wrote it), None for the flow's own.
    subflow: str | None = None


def step_lines(steps: list[StepBase], wording: Wording, *, inline_calls: bool = False, prefix: str = "",
               depth: int = 0, subflow: str | None = None) -> list[StepLine]:
    """The steps as numbered lines, nested ones indented; sub-flows inlined under their call if asked."""
    lines: list[StepLine] = []
    for index, step in enumerate(steps, start=1):
        number = f"{prefix}.{index}" if prefix else str(index)
        lines.append(StepLine(number, depth, phrase_of(step, wording), is_commit(step), screen_of(step, wording),
                              step.spec.name, subflow))
        offset = 0
        for label, nested in _nested(step):
            if label:
                lines.append(StepLine("", depth + 1, label, False, None, step.spec.name, subflow))
            inner_lines = step_lines(nested, wording, inline_calls=inline_calls, prefix=number, depth=depth + 1,
                                     subflow=subflow)
            lines.extend(_renumbered(inner_lines, number, offset))
            offset += len(nested)
        if inline_calls and step.spec.name == "control.call":
            ref = str(step.params.flow)  # type: ignore[attr-defined]
            sub = wording.loaded.subflows.get(ref)
            if sub is not None:
                inner = wording.inside(sub)
                lines.extend(step_lines(list(sub.flow.steps), inner, inline_calls=True, prefix=number,
                                        depth=depth + 1, subflow=_joined(subflow, ref)))
    return lines


def screen_of(step: StepBase, wording: Wording) -> ScreenRef | None:
    """The screen a step touches: its element's screen, the page it opens, the window it waits for."""
    params: Any = step.params
    kind = "desktop" if step.spec.name.startswith("desktop.") else "web"
    system_name = getattr(params, "system", None)
    system = wording.system_of(system_name if isinstance(system_name, str) else None, kind)
    for field in type(params).target_fields:
        target = getattr(params, field, None)
        if isinstance(target, str) and "." in target:
            selector_map = wording.selector_map(system)
            return (selector_map.system if selector_map else system or ""), target.partition(".")[0]
    if step.spec.name in ("browser.goto", "browser.open"):
        return screen_by_url(wording, params.url, system_name)
    window = getattr(params, "window", None)
    if kind == "desktop" and isinstance(window, str) and getattr(params, "state", "shown") != "gone":
        return screen_by_window(wording, window, system_name)
    return None


def _renumbered(lines: list[StepLine], parent: str, offset: int) -> list[StepLine]:
    """Nested lines of a second branch (``else``) continue the numbering of the first."""
    if not offset:
        return lines
    head = parent + "."
    fixed = []
    for line in lines:
        if line.number.startswith(head):
            rest = line.number[len(head):].split(".")
            rest[0] = str(int(rest[0]) + offset)
            line = StepLine(head + ".".join(rest), line.depth, line.text, line.commit, line.screen, line.action,
                            line.subflow)
        fixed.append(line)
    return fixed


def _joined(outer: str | None, ref: str) -> str:
    return f"{outer} → {ref}" if outer else ref


def _nested(step: StepBase) -> list[tuple[str, list[StepBase]]]:
    """The step lists nested in a step, each with the heading it reads under (none for the first)."""
    found: list[tuple[str, list[StepBase]]] = []
    for field_name in type(step.params).model_fields:
        value = getattr(step.params, field_name)
        if isinstance(value, list) and value and all(isinstance(v, StepBase) for v in value):
            label = tr("そうでなければ次を実行", "otherwise, run") if field_name == "else_" else ""
            found.append((label, value))
    return found


_RETRY_REASONS = {
    "timeout": ("時間切れ", "timeout"), "element_not_found": ("要素が見つからない", "element not found"),
    "target_system": ("基幹システムのエラー", "target system error"), "session_expired": ("セッション切れ", "session expired"),
    "expectation": ("表示の不一致", "unexpected display"), "input_record": ("入力値の不備", "bad input value"),
    "fail": ("失敗の指示", "a fail step"), "focus_lost": ("フォーカスの喪失", "focus lost"),
    "screen_mismatch": ("画面の不一致", "screen mismatch"), "selector_drift": ("セレクタのずれ", "selector drift"),
    "step": ("ステップの失敗", "step failure"), "any": ("どんな失敗", "any failure"),
}


def _retry_reason(kind: str) -> str:
    ja, en = _RETRY_REASONS.get(kind, (kind, kind))
    return tr(ja, en)

"""``validate``'s checks of page states: ``optional: true`` and ``visible(画面.要素)``.

* A commit step cannot be optional: a submit skipped because its button did not show in a
  second would leave the record looking done. Only a browser step acting on an element can
  be optional (the element is what it waits for).
* ``visible(...)`` in a condition names an element of the selector map: written literally
  (bare or quoted), the element must exist, as a step's target must.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jinja2 import TemplateSyntaxError, nodes

from bots.flow.element_refs import element_problem
from bots.flow.expressions import parse
from bots.i18n import tr
from bots.spec.validation import suggest

if TYPE_CHECKING:
    from bots.flow.checks import Loc
    from bots.flow.steps import StepBase

#: Step parameters holding a bare condition that may call ``visible()`` (``control.if``'s ``cond``).
_CONDITION_FIELDS = ("cond",)


def check_step(checker: Any, step: StepBase, loc: Loc, key: str) -> None:
    """The page-state problems of one step, added to ``checker`` (the flow checker of :mod:`bots.flow.checks`)."""
    if step.optional:
        _optional(checker, step, loc)
    if step.when is not None:
        _visible_refs(checker, step, step.when, (*loc, "when"))
    for name in _CONDITION_FIELDS:
        value = getattr(step.params, name, None)
        if isinstance(value, str):
            _visible_refs(checker, step, value, (*loc, key, name))


def _optional(checker: Any, step: StepBase, loc: Loc) -> None:
    where = (*loc, "optional")
    if step.commit or step.spec.commits:
        checker.add(where, tr("登録操作（commit）のステップは optional にできません。要素が出ないと登録されないまま"
                              "成功に見えてしまいます",
                              "a commit step cannot be optional: skipped when its element did not show, the record "
                              "would look keyed without being submitted"), key=True)
        return
    fields: tuple[str, ...] = getattr(type(step.params), "target_fields", ())
    if not step.action.startswith("browser.") or not any(getattr(step.params, f, None) is not None for f in fields):
        checker.add(where, tr("optional は画面の要素を操作するブラウザのステップにだけ書けます（要素が出なければ飛ばします）",
                              "optional is for browser steps that act on an element (skipped when it does not show)"),
                    key=True)


def visible_calls(text: str) -> list[tuple[str, str | None]]:
    """``(ref, system)`` of each ``visible()`` call with a literal reference in a bare condition."""
    try:
        tree = parse(text, is_bare=True)
    except TemplateSyntaxError:
        return []  # reported by the expression checks
    found: list[tuple[str, str | None]] = []
    for call in tree.find_all(nodes.Call):
        if not (isinstance(call.node, nodes.Name) and call.node.name == "visible" and call.args):
            continue
        ref = call.args[0]
        if not (isinstance(ref, nodes.Const) and isinstance(ref.value, str)):
            continue  # an expression: its value is known only at run time
        system = call.args[1] if len(call.args) > 1 else None
        found.append((ref.value, system.value if isinstance(system, nodes.Const) and isinstance(system.value, str)
                      else None))
    return found


def _visible_refs(checker: Any, step: StepBase, text: str, where: Loc) -> None:
    for ref, system in visible_calls(text):
        name = system or getattr(step.params, "system", None) or checker.flow.default_system("web")
        if isinstance(name, str) and name not in checker.flow.systems:
            checker.add(where, tr("不明なシステム '{s}'。", "unknown system '{s}'.", s=name)
                        + suggest(name, checker.flow.systems))
            continue
        if not isinstance(name, str):
            checker.add(where, tr("visible({r}) の Web システムが決まりません。visible('{r}', 'システム名') と書いてください",
                                  "visible({r}): no single web system; write visible('{r}', 'system')", r=ref))
            continue
        selector_map = checker.loaded.selector_maps.get(name)
        if selector_map is None:
            continue  # the loader reported the missing map
        if problem := element_problem(selector_map, name, ref):
            checker.add(where, problem)

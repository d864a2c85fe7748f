"""What is wrong with an element reference a flow writes (``画面.要素`` or ``画面.要素[値]``).

Shared by every place ``validate`` meets one: a step's target and ``visible(…)`` in a condition.
"""

from __future__ import annotations

from bots.i18n import tr
from bots.selectors.model import SelectorMap, split_ref
from bots.spec.validation import suggest


def element_problem(selector_map: SelectorMap, system: str, ref: str) -> str | None:
    """The message for a reference the map cannot resolve, or None when it can: not written as
    ``screen.element``, no such element (with a "did you mean"), or brackets that do not fit the
    element (a value for an element without ``{value}``, none for one with it)."""
    element = split_ref(ref)[0]  # ``画面.要素[{{ record.列 }}]``: a parametrised element and its value
    if "." not in element:
        return tr("要素は「画面.要素」と書いてください: {r}", "write elements as screen.element: {r}", r=ref)
    if not selector_map.has(element):
        return tr("セレクタ定義 '{s}' に要素 '{r}' がありません。", "selector map '{s}' has no element '{r}'.",
                  s=system, r=element) + suggest(element, selector_map.all_refs())
    return selector_map.value_problem(ref)

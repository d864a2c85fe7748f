"""``validate``'s view of an expression's cost: literal operands checked before anything runs.

``{{ 9 ** (9 ** 9) }}``, ``{{ 'x' * 10 ** 10 }}``, ``range(10 ** 6)`` or two nested loops over
``range(99999)`` are refused at ``file:line:col`` by the same checks the sandbox applies at run
time (:mod:`bots.flow.limits`). Only numbers are actually computed here (bounded to
:data:`~bots.flow.limits.MAX_INT_BITS`); strings and lists are measured, never built, so a flow
file full of large literals cannot make ``validate`` itself slow. Whatever depends on data is
left to the run-time guard.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from jinja2 import nodes

from bots.flow import limits
from bots.flow.expressions import ENV
from bots.flow.limits import ExpressionLimit
from bots.flow.sandbox import check_filter, check_method
from bots.i18n import tr

_NUMERIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
}


class _Unknown(Exception):
    """The value depends on data, or is not worth computing here: the run-time guard decides."""


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _value(node: nodes.Node) -> Any:
    """The literal value of ``node``: numbers computed, ranges as ``range`` (lazy, O(1)), strings
    and lists as they are written (their size is bounded by the file)."""
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, (nodes.List, nodes.Tuple)):
        return [_value(item) for item in node.items]
    if isinstance(node, nodes.Neg | nodes.Pos) and _number(value := _value(node.node)):
        return -value if isinstance(node, nodes.Neg) else value
    if isinstance(node, nodes.BinExpr) and node.operator in _NUMERIC:
        left, right = _value(node.left), _value(node.right)
        limits.check_binop(node.operator, left, right)
        if _number(left) and _number(right):
            try:
                return _NUMERIC[node.operator](left, right)
            except (ArithmeticError, ValueError) as exc:
                raise _Unknown from exc
        raise _Unknown  # a string or list result: measured by the check above, not built
    if isinstance(node, nodes.Call) and not (node.kwargs or node.dyn_args or node.dyn_kwargs):
        return _call(node)
    if isinstance(node, nodes.Filter) and node.node is not None and not (node.dyn_args or node.dyn_kwargs):
        check_filter(ENV.filters, node.name, _value(node.node), [_value(a) for a in node.args],
                     {str(k.key): _value(k.value) for k in node.kwargs if isinstance(k, nodes.Keyword)})
        raise _Unknown
    raise _Unknown


def _call(node: nodes.Call) -> Any:
    if isinstance(node.node, nodes.Name) and node.node.name == "range":
        return limits.check_range(*[_value(a) for a in node.args])
    if isinstance(node.node, nodes.Getattr):
        owner = _value(node.node.node)
        if isinstance(owner, (str, bytes, int)):
            method = getattr(owner, node.node.attr, None)
            if callable(method) and getattr(method, "__self__", None) is owner:
                check_method(method, tuple(_value(a) for a in node.args), {})
    raise _Unknown


def _length(node: nodes.Node) -> int | None:
    """How many items a loop over ``node`` runs, when the file says so (a literal range or list)."""
    try:
        value = _value(node)
    except (_Unknown, ExpressionLimit, TypeError, ValueError):
        return None
    return len(value) if isinstance(value, (range, list, str)) else None


def _loop_problems(node: nodes.Node, outer: int, found: list[str]) -> None:
    """Multiply the literal lengths of nested ``{% for %}`` loops; report the first that passes the limit."""
    for child in node.iter_child_nodes():
        total = outer
        if isinstance(child, nodes.For):
            total = outer * (_length(child.iter) or 1)
            if total > limits.MAX_ITERATIONS:
                found.append(tr("入れ子の繰り返しが合計 {n} 回になります（上限 {m}）",
                                "nested loops run {n} times in all (limit {m})", n=f"{total:,}",
                                m=f"{limits.MAX_ITERATIONS:,}"))
                continue
        _loop_problems(child, total, found)


def _value_problems(node: nodes.Node, found: list[str]) -> None:
    """Top down: the first (outermost) over-limit literal of each branch is reported once."""
    if isinstance(node, (nodes.BinExpr, nodes.Call, nodes.Filter)):
        try:
            _value(node)
        except ExpressionLimit as exc:
            found.append(exc.message)
            return
        except (_Unknown, TypeError, ValueError, ArithmeticError):
            pass
    for child in node.iter_child_nodes():
        _value_problems(child, found)


def cost_problems(tree: nodes.Template) -> list[str]:
    """Why the expression would go over its limits whatever the data, for ``validate``; [] if fine."""
    found: list[str] = []
    _value_problems(tree, found)
    _loop_problems(tree, 1, found)
    return found


def literal_length(tree: nodes.Template) -> int | None:
    """The number of items of a bare expression (``for_each``'s ``items``) when it is a literal."""
    body = tree.body
    if len(body) == 1 and isinstance(body[0], nodes.Output) and len(body[0].nodes) == 1:
        return _length(body[0].nodes[0])
    return None

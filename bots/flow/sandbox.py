"""The jinja sandbox with a cost budget: no expression in a flow can hang a run or exhaust memory.

jinja's own sandbox stops attribute escapes, not work. This one also bounds work, in two ways:

* **Before** an operation that can grow a value (``**``, ``*``, ``+``, ``%``, padding, ``replace``,
  ``join``, the filters that pad or repeat), its operands are measured (:mod:`bots.flow.limits`):
  such an operation is one C call that nothing can interrupt once started.
* **While** rendering, every call, filter, operator, attribute look-up, loop iteration and
  output is counted against a per-rendering :class:`Budget`, which also carries the step's
  deadline. jinja has no ``while``; its only unbounded work is loops and (macro) recursion, and
  both pass through these hooks, so checking the deadline there stops any rendering on time.

Loops and ``~`` are not hookable in jinja, so the code generator rewrites them before compiling:
``{% for x in items %}`` iterates ``environment.kz_loop(items)`` and ``a ~ b`` becomes
``environment.kz_concat(a, b)``. The budget lives in a context variable, so the one shared
environment (and its compiled-template cache) serves every thread.
"""

from __future__ import annotations

import functools
import inspect
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from bots.flow import limits
from bots.flow.limits import ExpressionLimit
from bots.i18n import tr


@dataclass
class Budget:
    """What one rendering may still spend, and when it must have finished."""

    deadline: float | None = None
    timeout: float | None = None
    operations: int = 0
    iterations: int = 0
    output: int = 0
    started: float = field(default_factory=time.monotonic)

    def tick(self) -> None:
        """One operation; raises when the count or the deadline is passed."""
        self.operations += 1
        if self.operations > limits.MAX_OPERATIONS:
            raise ExpressionLimit(tr("式の処理が多すぎます（{m} 回を超えました）", "too many operations (more than {m})",
                                     m=f"{limits.MAX_OPERATIONS:,}"))
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise ExpressionLimit(tr("式の評価が時間切れです（{t:g}秒）", "expression timed out ({t:g}s)",
                                     t=self.timeout or 0))

    def iteration(self) -> None:
        """One ``{% for %}`` iteration, nested loops counted together."""
        self.iterations += 1
        if self.iterations > limits.MAX_ITERATIONS:
            raise ExpressionLimit(tr("繰り返しが多すぎます（{m} 回を超えました）", "too many loop iterations (more than {m})",
                                     m=f"{limits.MAX_ITERATIONS:,}"))
        self.tick()

    def emit(self, size: int) -> None:
        """Text written by ``{{ … }}``; the whole rendering is bounded like one value."""
        self.output += size
        if self.output > limits.MAX_SIZE:
            limits.check_total(self.output)
        self.tick()


_BUDGET: ContextVar[Budget | None] = ContextVar("kz_expression_budget", default=None)


@contextmanager
def budget(timeout: float | None) -> Iterator[Budget]:
    """Render under a fresh budget; ``timeout`` seconds from now is the deadline (None: no deadline)."""
    spent = Budget(deadline=None if timeout is None else time.monotonic() + timeout, timeout=timeout)
    token = _BUDGET.set(spent)
    try:
        yield spent
    finally:
        _BUDGET.reset(token)


def _tick() -> None:
    spent = _BUDGET.get()
    if spent is not None:
        spent.tick()


class _Counted:
    """An iterable whose iterations are counted; keeps ``len`` so ``loop.length`` stays cheap."""

    def __init__(self, iterable: Iterable[Any]) -> None:
        self._iterable = iterable

    def __len__(self) -> int:
        return len(self._iterable)  # type: ignore[arg-type]  # TypeError without len: jinja handles it

    def __iter__(self) -> Iterator[Any]:
        spent = _BUDGET.get()
        for item in self._iterable:
            if spent is not None:
                spent.iteration()
            yield item


class _Guard(NodeTransformer):
    """Routes loops and ``~`` through the environment, where they are counted and measured."""

    def visit_For(self, node: nodes.For) -> nodes.Node:  # noqa: N802 - jinja's visitor naming
        self.generic_visit(node)
        node.iter = nodes.Call(nodes.EnvironmentAttribute("kz_loop"), [node.iter], [], None, None,
                               lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:  # noqa: N802
        self.generic_visit(node)
        return nodes.Call(nodes.EnvironmentAttribute("kz_concat"), list(node.nodes), [], None, None,
                          lineno=node.lineno)


class _GuardedCodeGenerator(CodeGenerator):
    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:  # noqa: N802
        _Guard().visit(node)
        node.set_environment(self.environment)
        super().visit_Template(node, frame)


def _width_check(text_arg: str, width_arg: str, per_line: bool = False) -> Callable[[Mapping[str, Any]], None]:
    return lambda a: limits.check_width(a.get(text_arg, ""), a.get(width_arg, 0), per_line)


def _join_check(a: Mapping[str, Any]) -> None:
    limits.check_join(a.get("d", ""), a["value"])


def _wordwrap_check(a: Mapping[str, Any]) -> None:
    text, wrap = str(a.get("s", "")), a.get("wrapstring") or "\n"
    limits.check_total(len(text), len(text) * len(str(wrap)))


def _fill_check(count_arg: str) -> Callable[[Mapping[str, Any]], None]:
    def check(a: Mapping[str, Any]) -> None:
        count = a.get(count_arg)
        if isinstance(count, int):
            limits.check_total(limits.weight(a.get("value")), count)
    return check


def _tojson_check(a: Mapping[str, Any]) -> None:
    indent = a.get("indent")
    if isinstance(indent, int) and indent > 0:
        limits.check_total(limits.weight(a.get("value")) * (indent + 1))


def _sum_check(a: Mapping[str, Any]) -> None:
    if not isinstance(a.get("start", 0), (int, float)):  # summing lists or strings is quadratic
        raise ExpressionLimit(tr("sum の start には数値だけが使えます", "sum's start must be a number"))


#: Filters that can build a much larger value than they were given: checked from their arguments.
_FILTER_CHECKS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "center": _width_check("value", "width"),
    "indent": _width_check("s", "width", per_line=True),
    "format": lambda a: limits.check_percent_format(str(a.get("value", "")), a.get("kwargs") or a.get("args")),
    "replace": lambda a: limits.check_replace(str(a.get("s", "")), str(a.get("old", "")), str(a.get("new", "")),
                                              a.get("count") if a.get("count") is not None else -1),
    "join": _join_check,
    "wordwrap": _wordwrap_check,
    "batch": _fill_check("linecount"),
    "slice": _fill_check("slices"),
    "tojson": _tojson_check,
    "sum": _sum_check,
}
#: Filters whose iterable argument is read into a list first, so it can be measured.
_MATERIALISE = {"join": "value"}


#: Names jinja gives the argument it passes first (``pass_eval_context`` and friends).
_PASSED = frozenset({"eval_ctx", "environment", "context", "env", "ctx"})


@functools.cache
def _signature(func: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(func)


def _checked(name: str, func: Callable[..., Any], args: tuple[Any, ...],
             kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Run the filter's size check on its named arguments; returns the arguments to call it with."""
    check = _FILTER_CHECKS.get(name)
    if check is None:
        return args, kwargs
    signature = _signature(func)
    first = next(iter(signature.parameters), None)
    # jinja's async variants take the passed argument in a wrapper whose signature lacks it.
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None and first not in _PASSED else 0
    try:
        bound = signature.bind(*args[skip:], **kwargs)
    except TypeError:
        return args, kwargs  # wrong arguments: the filter itself says so
    if (arg := _MATERIALISE.get(name)) and arg in bound.arguments:
        bound.arguments[arg] = list(bound.arguments[arg])
    check(bound.arguments)
    return (*args[:skip], *bound.args), bound.kwargs


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)  # keeps jinja's pass_context/pass_environment marker
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        args, kwargs = _checked(name, func, args, kwargs)
        return limits.check_size(func(*args, **kwargs))

    return guarded


def check_filter(filters: Mapping[str, Callable[..., Any]], name: str, value: Any, args: list[Any],
                 kwargs: dict[str, Any]) -> None:
    """The size check of one filter call, without calling it (``validate`` on literal arguments)."""
    func = filters.get(name)
    if func is not None:
        passed = (None,) if getattr(func, "jinja_pass_arg", None) is not None else ()
        _checked(name, func, (*passed, value, *args), kwargs)


def check_method(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Measure a call of a growing ``str``/``bytes``/``int`` method; returns the args to call with."""
    owner, name = method.__self__, method.__name__
    if isinstance(owner, (str, bytes)):
        if name in ("center", "ljust", "rjust", "zfill") and args:
            limits.check_width(owner, args[0])
        elif name == "expandtabs":
            size = args[0] if args else kwargs.get("tabsize", 8)
            tabs = owner.count("\t") if isinstance(owner, str) else owner.count(b"\t")
            limits.check_total(len(owner), tabs * max(int(size), 0))
        elif name == "replace" and len(args) >= 2:
            limits.check_replace(owner, args[0], args[1], args[2] if len(args) > 2 else kwargs.get("count", -1))
        elif name == "join" and args:
            items = list(args[0])
            limits.check_join(owner, items)
            return (items, *args[1:])
        elif name == "translate" and args and isinstance(args[0], Mapping):
            longest = max((limits.weight(v) for v in args[0].values()), default=1)
            limits.check_total(len(owner) * max(longest, 1))
    elif isinstance(owner, int) and name == "to_bytes":
        length = args[0] if args else kwargs.get("length", 1)
        limits.check_total(length if isinstance(length, int) else 0)
    return args


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """jinja's immutable sandbox, with every growing operation measured and all work budgeted."""

    intercepted_binops = frozenset({"**", "*", "+", "%"})
    code_generator_class = _GuardedCodeGenerator

    def __init__(self, **options: Any) -> None:
        super().__init__(finalize=self._emit, **options)
        self.globals["range"] = limits.check_range
        self.globals.pop("lipsum", None)  # generates text by the paragraph: nothing a flow needs

    def guard_filters(self) -> None:
        """Wrap every filter (call after adding the project's own): counted, measured before and after."""
        self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}

    @staticmethod
    def _emit(value: Any) -> Any:
        spent = _BUDGET.get()
        if spent is not None:
            spent.emit(limits.weight(value))
        return value

    def kz_loop(self, iterable: Iterable[Any]) -> _Counted:
        """What ``{% for %}`` iterates: the same items, counted against the budget."""
        return _Counted(iterable)

    def kz_concat(self, *parts: Any) -> str:
        """``a ~ b``, measured first: a loop doubling a string with ``~`` stops at the limit."""
        limits.check_total(*(limits.weight(p) for p in parts))
        return "".join(map(str, parts))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """``**``, ``*``, ``+`` and ``%`` with their operands measured first."""
        _tick()
        limits.check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """Every call from a template: counted, growing methods measured, the result measured."""
        _tick()
        if isinstance(__obj, types.BuiltinMethodType) and getattr(__obj, "__self__", None) is not None:
            args = check_method(__obj, args, kwargs)
        return limits.check_size(super().call(__context, __obj, *args, **kwargs))

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Attribute look-up, counted (it is where a loop body spends its time)."""
        _tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """Subscription, counted."""
        _tick()
        return super().getitem(obj, argument)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format``/``format_map`` with widths measured before formatting."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt: str = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            limits.check_brace_format(fmt, (args, kwargs))
            result: str = limits.check_size(wrapped(*args, **kwargs))
            return result

        return checked

"""What one expression may cost: operand and result sizes, checked *before* Python does the work.

A flow file is data, but jinja runs Python: ``9 ** (9 ** 9)`` or ``'x' * 10 ** 10`` is one C-level
operation that no timeout interrupts. So every operation that can make a value much larger than
its operands (``**``, ``*``, ``+``, ``%``-formatting, padding, ``replace``, ``join``) is checked
from the operands' sizes first; the sandbox (:mod:`bots.flow.sandbox`) calls these checks at run
time and ``validate`` calls them on literal operands (:mod:`bots.flow.expr_static`).

Sizes are "weights": characters of a string, items of a container plus their own weights, so
``[big] * 1000`` counts the big list a thousand times. The walk stops as soon as the limit is
passed, so measuring costs at most :data:`MAX_SIZE` steps.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any, Final

from bots.errors import InputRecordError
from bots.i18n import tr

#: Characters of a string, or items (counted deeply) of a list, one expression may build.
MAX_SIZE: Final = 1_000_000
#: Bits of an integer an expression may compute (about 3,000 decimal digits).
MAX_INT_BITS: Final = 10_000
#: ``{% for %}`` iterations in one rendering, nested loops counted together.
MAX_ITERATIONS: Final = 100_000
#: Calls, filters, operators and attribute look-ups in one rendering.
MAX_OPERATIONS: Final = 1_000_000
#: Items of one ``range()``.
MAX_RANGE: Final = MAX_ITERATIONS

_PERCENT_SPEC: Final = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")
_NUMBER: Final = re.compile(r"\d+")


class ExpressionLimit(InputRecordError):
    """An expression would cost more than the limits allow; the message says which limit."""


def _too_big(size: int) -> ExpressionLimit:
    return ExpressionLimit(tr("値が大きすぎます（{n} > 上限 {m}）", "value too large ({n} > limit {m})",
                              n=f"{size:,}", m=f"{MAX_SIZE:,}"))


def weight(value: Any, limit: int = MAX_SIZE) -> int:
    """How big ``value`` is, deeply; stops counting once past ``limit`` (returns ``limit + 1``)."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (str, bytes, bytearray)):
            total += len(item)
        elif isinstance(item, Mapping):
            total += len(item)
            if total <= limit:
                stack.extend(item.keys())
                stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += len(item)
            if total <= limit:
                stack.extend(item)
        elif isinstance(item, range):
            total += len(item)
        elif isinstance(item, int):
            total += item.bit_length() * 3 // 10 + 1  # about its decimal digits, as it prints
        else:
            total += 1
        if total > limit:
            return limit + 1
    return total


def check_size(value: Any) -> Any:
    """``value`` unchanged, or :class:`ExpressionLimit` when it is larger than :data:`MAX_SIZE`."""
    size = weight(value)
    if size > MAX_SIZE:
        raise _too_big(size)
    return value


def check_total(*sizes: int) -> None:
    """Refuse a result whose size, known from its parts, passes :data:`MAX_SIZE`."""
    total = sum(sizes)
    if total > MAX_SIZE:
        raise _too_big(total)


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def _is_seq(value: Any) -> bool:
    return isinstance(value, (str, bytes, list, tuple))


def check_power(base: Any, exponent: Any) -> None:
    """``base ** exponent`` on integers: refused when the result would pass :data:`MAX_INT_BITS`."""
    if _is_int(base) and _is_int(exponent) and exponent > 0 and abs(base) > 1:
        bits = (abs(base).bit_length() - 1) * exponent  # a lower bound of the result's bits
        if bits > MAX_INT_BITS:
            raise ExpressionLimit(tr("べき乗の結果が大きすぎます（約 {b} ビット > 上限 {m}）",
                                     "power too large (about {b} bits > limit {m})", b=f"{bits:,}",
                                     m=f"{MAX_INT_BITS:,}"))


def check_multiply(left: Any, right: Any) -> None:
    """``a * b``: integers by bits, a string or list repeated by the size of the result."""
    if _is_int(left) and _is_int(right):
        bits = abs(left).bit_length() + abs(right).bit_length()
        if bits > MAX_INT_BITS:
            raise ExpressionLimit(tr("掛け算の結果が大きすぎます（約 {b} ビット > 上限 {m}）",
                                     "product too large (about {b} bits > limit {m})", b=f"{bits:,}",
                                     m=f"{MAX_INT_BITS:,}"))
        return
    for seq, times in ((left, right), (right, left)):
        if _is_seq(seq) and _is_int(times) and times > 1:
            size = weight(seq)
            if size and size * times > MAX_SIZE:
                raise _too_big(size * times)


def check_add(left: Any, right: Any) -> None:
    """``a + b`` on strings or lists: the sum of both sizes."""
    if _is_seq(left) and _is_seq(right):
        check_total(weight(left), weight(right))


def check_percent_format(fmt: Any, args: Any) -> None:
    """``fmt % args``: every width and precision counts towards the result; ``*`` is refused."""
    if not isinstance(fmt, (str, bytes)):
        return
    text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
    widths = 0
    for match in _PERCENT_SPEC.finditer(text):
        for part in (match.group(1), match.group(2)):
            if part == "*":
                raise ExpressionLimit(tr("書式の幅に * は使えません", "'*' widths are not allowed in formats"))
            if part:
                widths += int(part)
    check_total(len(text), widths, weight(args))


def check_brace_format(fmt: str, args: Any) -> None:
    """``fmt.format(...)``: widths in the format specs count; nested ``{}`` in a spec is refused."""
    widths = 0
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format reports the syntax error itself
    for _, _, spec, _ in parsed:
        if not spec:
            continue
        if "{" in spec:
            raise ExpressionLimit(tr("書式指定の中に {} は使えません", "nested {} in a format spec is not allowed"))
        widths += sum(int(n) for n in _NUMBER.findall(spec))
    check_total(len(fmt), widths, weight(args))


def check_range(*args: Any) -> range:
    """``range(...)`` of at most :data:`MAX_RANGE` items."""
    values = range(*args)
    if len(values) > MAX_RANGE:
        raise ExpressionLimit(tr("range の項目数が多すぎます（{n} > 上限 {m}）", "range too long ({n} > limit {m})",
                                 n=f"{len(values):,}", m=f"{MAX_RANGE:,}"))
    return values


def check_binop(operator: str, left: Any, right: Any) -> None:
    """The check of one intercepted operator (``**``, ``*``, ``+``, ``%``)."""
    if operator == "**":
        check_power(left, right)
    elif operator == "*":
        check_multiply(left, right)
    elif operator == "+":
        check_add(left, right)
    elif operator == "%":
        check_percent_format(left, right)


def check_replace(text: Any, old: Any, new: Any, count: Any = -1) -> None:
    """``s.replace(old, new, count)``: every occurrence may grow the text by ``len(new)``."""
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        hits = len(text) + 1 if not old else text.count(old)
    elif isinstance(text, bytes) and isinstance(old, bytes) and isinstance(new, bytes):
        hits = len(text) + 1 if not old else text.count(old)
    else:
        return
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    check_total(len(text), hits * len(new))


def check_join(separator: Any, items: list[Any]) -> None:
    """``sep.join(items)``: the items and one separator between each two."""
    sep = len(separator) if isinstance(separator, (str, bytes)) else len(str(separator))
    check_total(weight(items), max(len(items) - 1, 0) * sep)


def check_width(text: Any, width: Any, per_line: bool = False) -> None:
    """Padding to ``width`` (``center``, ``ljust``, ``zfill``), or per line (``indent``)."""
    size = len(text) if isinstance(text, (str, bytes)) else len(str(text))
    if isinstance(width, str):
        width = len(width)
    if isinstance(width, int):
        lines = (str(text).count("\n") + 1) if per_line else 1
        check_total(size, max(width, 0) * lines)

"""Fuzz: expressions built from the operations that grow values never hang, blow memory or escape
as anything but an :class:`ExpressionError` — at run time, and ``validate``'s static check never fails.

Hypothesis combines powers, repetition, concatenation, padding, joins, formats, ranges and
nested loops with operands up to 10**12; each example renders under a 1 s timeout in a worker
thread. Bounded: a fixed number of derandomized examples, so it runs the same in ``make test``.
"""

from __future__ import annotations

import os
import threading
import time
import tracemalloc
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bots.flow.expr_static import cost_problems
from bots.flow.expressions import ExpressionError, parse, render

NS: dict[str, Any] = {"record": {"氏名": "山田"}, "inputs": {}, "vars": {"n": 7, "s": "ab", "l": [1, 2]},
                      "env": {}, "run": {}}
PEAK_BYTES = 600 * 2**20  #: Python allocations one rendering may peak at (traced, so other tests don't count)

numbers = st.sampled_from(["0", "1", "2", "9", "99", "1000", "99999", "10 ** 6", "10 ** 12", "vars.n"])
strings = st.sampled_from(["'x'", "'ab'", "vars.s", "record.氏名", "''"])
lists = st.sampled_from(["[1, 2]", "vars.l", "range(10)"])


def _combine(parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(parts, st.sampled_from(["**", "*", "+", "%", "~", "//"]), parts).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(parts, numbers).map(lambda t: f"({t[0]} | center({t[1]}))"),
        st.tuples(parts, numbers).map(lambda t: f"({t[0]} | string).ljust({t[1]})"),
        st.tuples(parts, strings).map(lambda t: f"(range(3) | join({t[1]} * {t[0]}))"),
        st.tuples(parts, strings, strings).map(lambda t: f"({t[0]} | string | replace({t[1]}, {t[2]}))"),
        st.tuples(parts).map(lambda t: f"('%05d%s' % (1, {t[0]}))"),
        st.tuples(numbers).map(lambda t: f"(range({t[0]}) | list)"),
        st.tuples(parts, numbers).map(lambda t: f"([{t[0]}] * {t[1]})"),
    )


expressions = st.recursive(st.one_of(numbers, strings, lists), _combine, max_leaves=6)
templates = st.one_of(
    expressions.map(lambda e: "{{ " + e + " }}"),
    st.tuples(numbers, numbers, expressions).map(
        lambda t: "{% for i in range(" + t[0] + ") %}{% for j in range(" + t[1] + ") %}{{ " + t[2]
                  + " }}{% endfor %}{% endfor %}"),
    st.tuples(numbers, expressions).map(
        lambda t: "{% set ns = namespace(v='x') %}{% for i in range(" + t[0] + ") %}{% set ns.v = ns.v ~ "
                  + t[1] + " %}{% endfor %}{{ ns.v | length }}"),
)


def _render_bounded(text: str) -> tuple[BaseException | None, float, int]:
    outcome: list[BaseException | None] = [None]

    def target() -> None:
        try:
            render(text, NS, timeout=1.0)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome[0] = exc

    started = time.monotonic()
    tracemalloc.start()
    try:
        worker = threading.Thread(target=target, daemon=True)
        worker.start()
        worker.join(30)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not worker.is_alive(), f"hangs: {text}"
    return outcome[0], time.monotonic() - started, peak


#: ``KZ_FUZZ=long`` (``make soak``) runs 50 times as many examples.
EXAMPLES = 150 * (50 if os.environ.get("KZ_FUZZ") == "long" else 1)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(templates)
def test_no_expression_hangs_or_escapes_as_anything_but_an_expression_error(text: str) -> None:
    cost_problems(parse(text))  # validate's static check: never raises, never computes a big value

    failure, elapsed, peak = _render_bounded(text)

    assert failure is None or isinstance(failure, ExpressionError), f"{text}: {failure!r}"
    assert elapsed < 10, text
    assert peak < PEAK_BYTES, f"{text}: rendering peaked at {peak / 2**20:.0f} MB"

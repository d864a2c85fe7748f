"""Expressions have a bounded cost: no flow expression hangs a run or exhausts memory.

Issue 16 found ``{{ 9 ** (9 ** 9) }}``, two nested ``{% for %}`` over ``range(99999)``,
``{{ 'x' * (10 ** 10) }}`` and nested ``for_each`` over ``range(100000)`` passing ``validate`` and
hanging a run past 45 s despite ``timeout: 2s`` (or dying with a traceback). Each case here must
end quickly with an :class:`ExpressionError` that names the expression; a worker thread with a
join timeout turns a regression into a failure instead of a hung test run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from bots import i18n
from bots.flow import limits
from bots.flow.expr_static import cost_problems, literal_length
from bots.flow.expressions import ENV, ExpressionError, bare, evaluate, parse, render

NS: dict[str, Any] = {"record": {"件数": 3}, "inputs": {}, "vars": {"n": 10 ** 10, "big": "x" * 900_000},
                      "env": {}, "run": {}}
HANG_BOUND = 20.0  # seconds: far above any case's real time, far below "hangs"


def bounded(call: Callable[[], Any], bound: float = HANG_BOUND) -> tuple[BaseException | None, float]:
    """Run ``call`` in a thread; fail the test (instead of hanging it) if it is still running at ``bound``."""
    outcome: list[BaseException | None] = [None]

    def target() -> None:
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome[0] = exc

    started = time.monotonic()
    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(bound)
    assert not worker.is_alive(), f"still running after {bound}s"
    return outcome[0], time.monotonic() - started


# --- the reproduced cases, and their relatives ---------------------------------------------------

OVER_LIMIT = [
    "{{ 9 ** (9 ** 9) }}",
    "{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}",
    "{{ 'x' * (10 ** 10) }}",
    "{{ 'x' * vars.n }}",  # the size comes from data, so only the run-time guard can see it
    "{{ vars.n ** vars.n }}",
    "{{ 'x' | center(10 ** 10) }}",
    "{{ 'x'.center(10 ** 10) }}",
    "{{ 'x'.ljust(vars.n) }}",
    "{{ '-'.join(range(100000) | map('string')) * 100 }}",
    "{{ range(10) | join('x' * 900000) }}",
    "{{ 'abc' | replace('', 'y' * 500000) }}",
    "{{ 'a\tb\tc'.expandtabs(10 ** 9) }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ '%*d' % (5, 1) }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ '{:{w}}'.format(1, w=9) }}",
    "{{ 'x' | indent(10 ** 9) }}",
    "{{ range(3) | batch(10 ** 9, 'x') | list }}",
    "{{ range(3) | slice(10 ** 9) | list }}",
    "{{ [vars.big] * 3 }}",
    "{{ [vars.big] + [vars.big] }}",
    "{{ (1).to_bytes(10 ** 10, 'big') }}",
    "{{ [[1, 2]] | sum(start=[]) }}",
    "{{ range(10 ** 6) }}",
    # doubling through a namespace: 60 rounds of ~ or + would be 2**60 characters
    "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}",
    # output: a loop writing a large value many times
    "{% for i in range(100000) %}{{ vars.big }}{% endfor %}",
]


@pytest.mark.parametrize("text", OVER_LIMIT)
def test_an_expression_over_its_limits_fails_fast_and_names_itself(text: str) -> None:
    failure, elapsed = bounded(lambda: render(text, NS, timeout=2.0))

    assert isinstance(failure, ExpressionError), repr(failure)
    assert "上限" in failure.message
    assert bare(failure.expr) == bare(text)  # named as written (one ``{{ }}`` is named without braces)
    assert elapsed < 5.0


def test_recursion_is_an_expression_error_not_a_recursion_error() -> None:
    failure, _ = bounded(lambda: render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(1) }}", NS))

    assert isinstance(failure, ExpressionError)
    assert "深すぎます" in failure.message


def test_a_slow_expression_stops_at_its_timeout() -> None:
    # 2**40 macro calls: each one small, so only the deadline (or the operation count) stops it.
    text = "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}"

    failure, elapsed = bounded(lambda: render(text, NS, timeout=0.5))

    assert isinstance(failure, ExpressionError)
    assert "時間切れ" in failure.message
    assert 0.5 <= elapsed < 5.0


def test_without_a_timeout_the_operation_count_still_stops_it() -> None:
    text = "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}"

    failure, _ = bounded(lambda: render(text, NS))

    assert isinstance(failure, ExpressionError)
    assert "処理が多すぎます" in failure.message


def test_a_bare_condition_is_bounded_too() -> None:
    failure, _ = bounded(lambda: evaluate("9 ** (9 ** 9) > 1", NS, timeout=2.0))

    assert isinstance(failure, ExpressionError)
    assert "べき乗" in failure.message


@pytest.mark.parametrize(("text", "expected"), [
    ("{{ 2 ** 100 }}", 2 ** 100),
    ("{{ 'ab' * 3 }}", "ababab"),
    ("{{ [1] + [2] }}", [1, 2]),
    ("{{ '%05d' % 42 }}", "00042"),
    ("{{ '{:>5}'.format('x') }}", "    x"),
    ("{{ 'a' ~ 'b' ~ 3 }}", "ab3"),
    ("{{ range(3) | join(',') }}", "0,1,2"),
    ("{{ 'x' | center(5) }}", "  x  "),
    ("{% for x in [1, 2, 3] %}{{ loop.index }}/{{ loop.length }} {% endfor %}", "1/3 2/3 3/3 "),
    ("{% for i in range(300) %}{% for j in range(300) %}{% endfor %}{% endfor %}ok", "ok"),
    ("{{ range(100000) | list | length }}", 100_000),
])
def test_ordinary_expressions_are_unchanged(text: str, expected: Any) -> None:
    assert render(text, NS, timeout=2.0) == expected


def test_every_filter_is_guarded() -> None:
    # A filter added later is wrapped as well: counted against the budget, its result measured.
    unguarded = [name for name, f in ENV.filters.items() if getattr(f, "__wrapped__", None) is None]

    assert unguarded == []
    assert "lipsum" not in ENV.globals  # generates text by the paragraph


def test_lists_and_dicts_cannot_be_changed_from_an_expression() -> None:
    with pytest.raises(ExpressionError, match="unsafe"):
        render("{{ vars.x.append(vars.x) }}", {**NS, "vars": {"x": [1]}})


def test_the_messages_are_in_english_with_lang_en() -> None:
    i18n.set_language("en")
    try:
        with pytest.raises(ExpressionError) as caught:
            render("{{ 9 ** (9 ** 9) }}", NS)
        problems = cost_problems(parse("{{ 'x' * (10 ** 10) }}"))
    finally:
        i18n.set_language(None)
    assert caught.value.message.startswith("expression over its limit: 9 ** (9 ** 9): power too large")
    assert problems == ["value too large (10,000,000,000 > limit 1,000,000)"]


# --- what validate sees in literals -----------------------------------------------------------


@pytest.mark.parametrize(("text", "problem"), [
    ("{{ 9 ** (9 ** 9) }}", "べき乗"),
    ("{{ 'x' * (10 ** 10) }}", "値が大きすぎます"),
    ("{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}", "入れ子の繰り返し"),
    ("{{ range(10 ** 6) }}", "range の項目数"),
    ("{{ 'x' | center(10 ** 10) }}", "値が大きすぎます"),
    ("{{ 'x'.zfill(10 ** 10) }}", "値が大きすぎます"),
    ("{{ '%0999999999d' % 1 }}", "値が大きすぎます"),
])
def test_literal_operands_over_the_limits_are_found_before_the_run(text: str, problem: str) -> None:
    found = cost_problems(parse(text))

    assert len(found) == 1 and problem in found[0]


@pytest.mark.parametrize("text", [
    "{{ record.件数 * 3 }}", "{{ 2 ** 100 }}", "{{ 'x' * 3 }}", "{{ range(100) | list }}", "{{ 1 / 0 }}",
    "{% for i in vars.x %}{% for j in range(99999) %}{% endfor %}{% endfor %}",  # depends on data: run time
])
def test_expressions_within_the_limits_or_depending_on_data_pass_validation(text: str) -> None:
    assert cost_problems(parse(text)) == []


def test_validating_huge_literals_builds_nothing() -> None:
    # Strings and lists are measured, never built: a flow full of them cannot slow validate down.
    text = " ".join(["{{ 'x' * 999999 }}"] * 2000)

    _, elapsed = bounded(lambda: cost_problems(parse(text)))

    assert elapsed < 5.0


def test_literal_length_of_for_each_items() -> None:
    assert literal_length(parse("range(100000)", is_bare=True)) == 100_000
    assert literal_length(parse("[1, 2, 3]", is_bare=True)) == 3
    assert literal_length(parse("vars.世帯員", is_bare=True)) is None


def test_weight_counts_deeply_and_stops_early() -> None:
    big = ["x" * 10] * 10
    assert limits.weight(big) == 10 + 100
    assert limits.weight([big] * 3) == 3 + 3 * 110
    assert limits.weight(2 ** 9999) > 3000  # an integer weighs about its digits, as it prints
    assert limits.weight(["x" * 100] * 10 ** 6, limit=1000) == 1001

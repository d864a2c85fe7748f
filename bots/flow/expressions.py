"""Expressions in flows: ``{{ record.氏名 }}``, ``{{ inputs.file }}``, ``{{ vars.受付番号 }}``.

Rendered in jinja2's sandbox with ``StrictUndefined``: an undefined name is an error, never an
empty string typed into a citizen's record. A value that is exactly one ``{{ … }}`` keeps its
type (a date stays a date); anything else renders to text. Compiled templates are cached.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jaconv
from jinja2 import StrictUndefined, TemplateError, Undefined, UndefinedError, nodes
from jinja2.sandbox import SandboxedEnvironment

from bots.errors import InputRecordError
from bots.i18n import tr
from bots.records.wareki import to_wareki

ROOTS = ("record", "inputs", "vars", "env", "secrets", "run")
_SINGLE = re.compile(r"^\s*\{\{(?P<expr>.*)\}\}\s*$", re.DOTALL)


def _date_format(value: Any, fmt: str = "%Y-%m-%d") -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime(fmt)
    raise ValueError(tr("日付ではありません: {v!r}", "not a date: {v!r}", v=value))


def _zip_hyphen(value: Any) -> str:
    digits = str(value).replace("-", "")
    return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 else str(value)


def _make_env() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters.update(
        date=_date_format,
        wareki=lambda v: to_wareki(v),
        zenkaku=lambda v: jaconv.h2z(str(v), kana=True, digit=True, ascii=True),
        hankaku=lambda v: jaconv.z2h(str(v), kana=False, digit=True, ascii=True),
        katakana=lambda v: jaconv.hira2kata(str(v)),
        hiragana=lambda v: jaconv.kata2hira(str(v)),
        zip_hyphen=_zip_hyphen,
    )
    return env


ENV = _make_env()


@lru_cache(maxsize=4096)
def _compiled_expression(expr: str) -> Any:
    return ENV.compile_expression(expr, undefined_to_none=False)


@lru_cache(maxsize=4096)
def _compiled_template(text: str) -> Any:
    return ENV.from_string(text)


def is_template(value: str) -> bool:
    """Whether a string holds Jinja markup; plain strings are taken literally and never rendered."""
    return "{{" in value or "{%" in value


def bare(expr: str) -> str:
    """``{{ x }}`` → ``x``: conditions may be written with or without braces."""
    match = _SINGLE.match(expr)
    return match.group("expr").strip() if match else expr.strip()


def evaluate(expr: str, namespace: Mapping[str, Any]) -> Any:
    """Evaluate a bare expression (``when:``, ``cond:``, ``items:``) to a Python value."""
    try:
        value = _compiled_expression(bare(expr))(**namespace)
        if isinstance(value, Undefined):
            # Returned, not used, an undefined value would not raise by itself: ``{{ vars.x }}``
            # would store Undefined (or ``''.__class__`` the sandbox's placeholder) instead of failing.
            value._fail_with_undefined_error()
        return value
    except UndefinedError as exc:
        raise InputRecordError(tr("式の値が未定義です: {e}（{x}）", "undefined in expression: {e} ({x})",
                                  e=exc.message, x=expr)) from exc
    except (TemplateError, TypeError, ValueError, ArithmeticError) as exc:
        raise InputRecordError(tr("式を評価できません: {x}: {e}", "cannot evaluate {x}: {e}", x=expr, e=exc)) from exc


def render(value: Any, namespace: Mapping[str, Any]) -> Any:
    """Render a template string; one ``{{ expr }}`` keeps the value's type. Non-strings pass."""
    if not isinstance(value, str) or not is_template(value):
        return value
    match = _SINGLE.match(value)
    if match and "{{" not in match.group("expr") and "}}" not in match.group("expr"):
        return evaluate(match.group("expr"), namespace)
    try:
        return _compiled_template(value).render(**namespace)
    except UndefinedError as exc:
        raise InputRecordError(tr("式の値が未定義です: {e}（{x}）", "undefined in expression: {e} ({x})",
                                  e=exc.message, x=value)) from exc
    except (TemplateError, TypeError, ValueError, ArithmeticError) as exc:
        raise InputRecordError(tr("式を評価できません: {x}: {e}", "cannot render {x}: {e}", x=value, e=exc)) from exc


@dataclass(frozen=True)
class Reference:
    """A name an expression reads: ``record.氏名`` → ("record", "氏名")."""

    root: str
    attr: str | None


def references(text: str, *, is_bare: bool = False) -> list[Reference]:
    """Every root name (and its first attribute) the template or expression reads.

    Raises ``TemplateError`` on a syntax error so the loader can report it with a position.
    """
    source = "{{ " + bare(text) + " }}" if is_bare else text
    tree = ENV.parse(source)
    local_names = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    found: list[Reference] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):  # in source order
        target = getattr(node, "node", None)
        if not (isinstance(target, nodes.Name) and target.ctx == "load"):
            continue
        if isinstance(node, nodes.Getattr):
            found.append(Reference(target.name, node.attr))
        elif isinstance(node, nodes.Getitem):
            arg = node.arg
            key = arg.value if isinstance(arg, nodes.Const) and isinstance(arg.value, str) else None
            found.append(Reference(target.name, key))
    seen_roots = {r.root for r in found}
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name not in seen_roots and name.name not in local_names:
            found.append(Reference(name.name, None))
    return found

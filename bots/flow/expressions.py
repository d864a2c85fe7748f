"""Expressions in flows: ``{{ record.氏名 }}``, ``{{ inputs.file }}``, ``{{ vars.受付番号 }}``.

Rendered in a bounded jinja2 sandbox (:mod:`bots.flow.sandbox`) with ``StrictUndefined``: an
undefined name is an error, never an empty string typed into a citizen's record, and no
expression can run past its step's timeout or build a value past :mod:`bots.flow.limits`. A value
that is exactly one ``{{ … }}`` keeps its type (a date stays a date); anything else renders to
text. Compiled templates are cached.

Every failure is an :class:`ExpressionError` (a record-level error) naming the expression; the
engine adds the step's ``file:line:col``. Nothing from inside an expression surfaces as a
traceback.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NoReturn

import jaconv
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, Undefined, UndefinedError, nodes

from bots.errors import InputRecordError, KazagurumaError
from bots.flow.limits import ExpressionLimit
from bots.flow.sandbox import BoundedEnvironment, budget
from bots.i18n import tr
from bots.records.wareki import to_wareki
from bots.secrets import MissingSecret

ROOTS = ("record", "inputs", "vars", "env", "secrets", "run")
_SINGLE = re.compile(r"^\s*\{\{(?P<expr>.*)\}\}\s*$", re.DOTALL)
#: ``{{ secrets.NAME }}`` (or ``secrets['NAME']``) and nothing else: how a secret may be used.
_WHOLE_SECRET = re.compile(
    r"^\s*\{\{\s*secrets\s*(?:\.\s*(?P<attr>[^\W\d]\w*)|\[\s*(?P<q>['\"])(?P<key>[^'\"]+)(?P=q)\s*\])\s*\}\}\s*$")
_SHOWN = 200  # characters of an expression quoted in a message


class ExpressionError(InputRecordError):
    """An expression failed (undefined name, wrong type, over a limit, a secret misused)."""

    def __init__(self, message: str, expr: str = "", *, located: bool = False) -> None:
        super().__init__(message)
        self.expr = expr
        #: Already prefixed with ``file:line:col`` (an enclosing step must not prefix it again).
        self.located = located

    def at(self, where: str) -> ExpressionError:
        """The same error prefixed with ``file:line:col`` of the expression in the flow."""
        return type(self)(f"{where}: {self.message}", self.expr, located=True)


class SecretMisuse(ExpressionError):
    """``secrets`` read anywhere but whole, in a parameter that takes a secret (``validate`` refuses it too)."""


def secret_misuse_message() -> str:
    """Why a secret cannot be used here: shared by ``validate`` and the run-time refusal."""
    return tr("secrets はパスワード等の欄（browser.fill・desktop.type の value）に "
              "\"{{ secrets.名前 }}\" とそのまま書くときだけ使えます（フィルター・切り出し・連結・条件には使えません）",
              "secrets may only be passed whole, as \"{{ secrets.NAME }}\", to a parameter that takes a secret "
              "(the value of browser.fill or desktop.type); no filters, slices, concatenation or conditions")


class _SecretsRefused(StrictUndefined):
    """What ``secrets`` is in every expression except a whole secret parameter: any use fails."""

    __slots__ = ()

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise SecretMisuse(secret_misuse_message())


# jinja binds Undefined's operators (``[]``, iteration, ``str``, comparisons …) to the base class's
# function, so an override of ``_fail_with_undefined_error`` alone would not reach them.
for _base in (Undefined, StrictUndefined):
    for _name, _member in vars(_base).items():
        if _member is Undefined._fail_with_undefined_error:
            setattr(_SecretsRefused, _name, _SecretsRefused._fail_with_undefined_error)


#: ``secrets`` as every ordinary expression sees it.
SECRETS_REFUSED: Any = _SecretsRefused(name="secrets")


def whole_secret(value: Any) -> str | None:
    """The secret's name when ``value`` is exactly ``{{ secrets.NAME }}``, else None."""
    if not isinstance(value, str):
        return None
    match = _WHOLE_SECRET.match(value)
    return (match.group("attr") or match.group("key")) if match else None


def _date_format(value: Any, fmt: str = "%Y-%m-%d") -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime(fmt)
    raise ValueError(tr("日付ではありません: {v!r}", "not a date: {v!r}", v=value))


def _zip_hyphen(value: Any) -> str:
    digits = str(value).replace("-", "")
    return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 else str(value)


#: ``visible(注文.同意OK)``: a selector reference written bare as the one argument of ``visible``.
_BARE_REF = re.compile(r"(?<![\w.])visible\(\s*(?P<ref>[^\W\d][^\s'\"(),]*\.[^\s'\"(),]+?)\s*\)")


def quote_refs(expr: str) -> str:
    """``visible(注文.同意OK)`` → ``visible('注文.同意OK')``: a bare selector reference is the
    element's name, not an attribute look-up. An argument starting with an expression root
    (``visible(vars.要素)``) stays an expression whose value names the element."""

    def quoted(match: re.Match[str]) -> str:
        ref = match.group("ref")
        if ref.split(".", 1)[0].split("[", 1)[0] in ROOTS:
            return match.group(0)
        return "visible(" + repr(ref) + ")"

    return _BARE_REF.sub(quoted, expr) if "visible(" in expr else expr


def _visible_outside_a_run(ref: Any, system: Any = None) -> NoReturn:
    """``visible`` where no step runs (the engine puts the real one in every step's names)."""
    raise ExpressionError(tr("visible() はフローのステップの条件（when: など）でだけ使えます: {r}",
                             "visible() works only in a step's condition (when: and the like): {r}", r=ref))


def _make_env() -> BoundedEnvironment:
    env = BoundedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters.update(
        date=_date_format,
        wareki=lambda v: to_wareki(v),
        zenkaku=lambda v: jaconv.h2z(str(v), kana=True, digit=True, ascii=True),
        hankaku=lambda v: jaconv.z2h(str(v), kana=False, digit=True, ascii=True),
        katakana=lambda v: jaconv.hira2kata(str(v)),
        hiragana=lambda v: jaconv.kata2hira(str(v)),
        zip_hyphen=_zip_hyphen,
    )
    env.guard_filters()
    env.globals["visible"] = _visible_outside_a_run
    return env


ENV = _make_env()


#: Bracket nesting an expression may have. jinja's parser and Python's compiler recurse once per
#: level, so ~3,000 nested parentheses ended in RecursionError; no real flow nests past a handful.
MAX_NESTING = 64


def _shallow(text: str) -> str:
    """``text`` if its brackets nest at most :data:`MAX_NESTING` deep, else a syntax error (before
    jinja parses it, so the parser's recursion is never the limit)."""
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth = max(0, depth - 1)
    if deepest > MAX_NESTING:
        raise TemplateSyntaxError(tr("式の括弧が深すぎます（{d}段、上限 {n}段）", "expression nested too deep "
                                     "({d} levels, at most {n})", d=deepest, n=MAX_NESTING), 1)
    return text


def _guarded(build: Any, text: str) -> Any:
    """jinja's parse/compile of ``text``; a recursion too deep for it is a syntax error, not a crash."""
    try:
        return build(_shallow(text))
    except RecursionError:
        raise TemplateSyntaxError(tr("式が複雑すぎます", "expression too complex"), 1) from None


@lru_cache(maxsize=4096)
def _compiled_expression(expr: str) -> Any:
    return _guarded(lambda t: ENV.compile_expression(t, undefined_to_none=False), expr)


@lru_cache(maxsize=4096)
def _compiled_template(text: str) -> Any:
    return _guarded(ENV.from_string, text)


def is_template(value: str) -> bool:
    """Whether a string holds Jinja markup; plain strings are taken literally and never rendered."""
    return "{{" in value or "{%" in value


def bare(expr: str) -> str:
    """``{{ x }}`` → ``x``: conditions may be written with or without braces."""
    match = _SINGLE.match(expr)
    return match.group("expr").strip() if match else expr.strip()


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _failure(exc: BaseException, text: str) -> ExpressionError:
    """One error for everything an expression can raise, naming the expression (never a traceback)."""
    x = _shown(text)
    if isinstance(exc, ExpressionError):
        return exc if exc.expr else type(exc)(f"{exc.message}（{x}）", text)
    if isinstance(exc, MissingSecret):  # its name and how to set it, not "式を評価できません"
        return ExpressionError(exc.message, text)
    if isinstance(exc, ExpressionLimit):
        return ExpressionError(tr("式が上限を超えました: {x}: {e}", "expression over its limit: {x}: {e}",
                                  x=x, e=exc.message), text)
    if isinstance(exc, UndefinedError):
        return ExpressionError(tr("式の値が未定義です: {e}（{x}）", "undefined in expression: {e} ({x})",
                                  e=exc.message, x=x), text)
    if isinstance(exc, RecursionError):
        return ExpressionError(tr("式の入れ子・再帰が深すぎます: {x}", "expression nested or recursing too deeply: {x}",
                                  x=x), text)
    if isinstance(exc, MemoryError):
        return ExpressionError(tr("式がメモリを使いすぎます: {x}", "expression uses too much memory: {x}", x=x), text)
    if isinstance(exc, KazagurumaError):
        return ExpressionError(tr("式を評価できません: {x}: {e}", "cannot evaluate {x}: {e}", x=x, e=exc.message), text)
    detail = exc.message if isinstance(exc, TemplateError) and exc.message else (str(exc) or type(exc).__name__)
    return ExpressionError(tr("式を評価できません: {x}: {e}", "cannot evaluate {x}: {e}", x=x, e=detail), text)


def evaluate(expr: str, namespace: Mapping[str, Any], *, timeout: float | None = None) -> Any:
    """Evaluate a bare expression (``when:``, ``cond:``, ``items:``) to a Python value, within
    ``timeout`` seconds (the step's; None: only the operation and size limits apply)."""
    try:
        with budget(timeout):
            value = _compiled_expression(quote_refs(bare(expr)))(**namespace)
            if isinstance(value, Undefined):
                # Returned, not used, an undefined value would not raise by itself: ``{{ vars.x }}``
                # would store Undefined (or ``''.__class__`` the sandbox's placeholder) instead of failing.
                value._fail_with_undefined_error()
            return value
    except Exception as exc:  # every failure inside an expression is the expression's
        raise _failure(exc, expr) from exc


def render(value: Any, namespace: Mapping[str, Any], *, timeout: float | None = None) -> Any:
    """Render a template string; one ``{{ expr }}`` keeps the value's type. Non-strings pass."""
    if not isinstance(value, str) or not is_template(value):
        return value
    match = _SINGLE.match(value)
    if match and "{{" not in match.group("expr") and "}}" not in match.group("expr"):
        return evaluate(match.group("expr"), namespace, timeout=timeout)
    try:
        with budget(timeout):
            return _compiled_template(value).render(**namespace)
    except Exception as exc:
        raise _failure(exc, value) from exc


@dataclass(frozen=True)
class Reference:
    """A name an expression reads: ``record.氏名`` → ("record", "氏名")."""

    root: str
    attr: str | None


def parse(text: str, *, is_bare: bool = False) -> nodes.Template:
    """The template's syntax tree (``TemplateSyntaxError`` on a syntax error)."""
    tree: nodes.Template = _guarded(ENV.parse, "{{ " + quote_refs(bare(text)) + " }}" if is_bare else text)
    return tree


def references(text: str, *, is_bare: bool = False) -> list[Reference]:
    """Every root name (and its first attribute) the template or expression reads.

    Raises ``TemplateError`` on a syntax error so the loader can report it with a position.
    """
    return tree_references(parse(text, is_bare=is_bare))


def tree_references(tree: nodes.Template) -> list[Reference]:
    """:func:`references` of a template already parsed."""
    local_names = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    local_names |= {m.name for m in tree.find_all(nodes.Macro)}  # a macro is called by its name
    if tree.find(nodes.For) is not None:
        local_names.add("loop")  # the loop variable jinja defines inside {% for %}
    if tree.find(nodes.Macro) is not None:
        local_names |= {"caller", "varargs", "kwargs"}
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
    found = [r for r in found if r.root not in local_names]
    seen_roots = {r.root for r in found}
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name not in seen_roots and name.name not in local_names:
            found.append(Reference(name.name, None))
    return found

"""Selector syntax checked when a map loads: Playwright selectors (``css:``) and XPath (``xpath:``).

A candidate that cannot parse would only fail in the middle of a run, as "element not found" after
the step's whole timeout. ``css:`` goes to ``page.locator()``, so it is a Playwright selector: parts
joined by ``>>``, each with an engine (``css=``, ``xpath=``, ``text=``, ``role=``, ``id=``, ``nth=``…,
or none: CSS, or XPath when it starts with ``//`` or ``..``, or text when quoted). CSS parts follow
Playwright's own grammar (its pseudo-classes ``:has-text()``, ``:text()``, ``:visible``,
``:nth-match()``, ``:left-of()``… take nested selectors), with cssselect's tokenizer and attribute
parser; the An+B of ``:nth-child()`` is checked too. XPath is XPath 1.0, as browsers evaluate it
(elementpath's parser): an undeclared namespace prefix is an error there as well.

No candidate holds an expression (``{{ record.氏名 }}``): candidates are never rendered, so
``//label[text()='{{ record.胴体 }}']`` would be searched for as written and fail at run time as
an element not found (or, in CSS, as a bad selector). :func:`template_problem` refuses it where it
is written, and points to what works: a parametrised element of the selector map.
"""

from __future__ import annotations

import json
import re

from cssselect import SelectorError, parse
from cssselect.parser import Token, tokenize
from elementpath import XPath1Parser
from elementpath.exceptions import ElementPathError

from bots.i18n import tr

#: Playwright's engines that take a plain string body (custom engines are not registered here;
#: the layout ones — ``left-of=`` … — exist only as CSS pseudo-classes now).
_STRING_ENGINES = frozenset({"text", "id", "data-testid", "data-test-id", "data-test", "nth", "visible"})
#: Engines whose body is a JSON string of a nested selector.
_NESTED = frozenset({"internal:has", "internal:has-not", "internal:and", "internal:or"})
#: CSS pseudo-classes Playwright itself evaluates: their arguments are selectors, strings or numbers.
_CUSTOM_CSS = frozenset({"not", "is", "where", "has", "scope", "light", "visible", "text", "text-matches",
                         "text-is", "has-text", "above", "below", "right-of", "left-of", "near", "nth-match"})
_NTH = frozenset({"nth-child", "nth-last-child", "nth-of-type", "nth-last-of-type"})
_AN_B = re.compile(r"^\s*(odd|even|[+-]?\d*n(\s*[+-]\s*\d+)?|[+-]?\d+)\s*(?:\s(of)\s+(?P<of>.+))?$", re.I | re.S)
_ENGINE = re.compile(r"^[a-zA-Z_0-9\-+:*]+$")
_AT = re.compile(r"\bat (\d+)")
_XPATH_AT = re.compile(r"column (\d+)")
#: Both parsers recurse: a selector nested deeper than this (no real screen needs 32 levels) or
#: longer than this is refused before parsing, never a RecursionError.
MAX_DEPTH = 32
MAX_LENGTH = 2000


def _too_big(text: str) -> str | None:
    if len(text) > MAX_LENGTH:
        return tr("長すぎます（{n} 文字。上限 {m} 文字）", "too long ({n} characters; at most {m})", n=len(text), m=MAX_LENGTH)
    depth = deepest = 0
    for char in text:
        depth += (char in "([") - (char in ")]")
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        return tr("括弧の入れ子が深すぎます（上限 {m} 段）", "brackets nested too deep (at most {m} levels)", m=MAX_DEPTH)
    return None


class _Bad(Exception):
    """Where (0-based, in the whole selector) parsing stopped."""

    def __init__(self, at: int) -> None:
        super().__init__(at)
        self.at = at


_TEMPLATE = re.compile(r"\{\{|\{%")


def template_problem(text: str) -> str | None:
    """Why a candidate holding ``{{ … }}`` or ``{% … %}`` is refused (see the module docstring), or None."""
    if not _TEMPLATE.search(text):
        return None
    return tr("候補には式（{e}）を書けません。候補は展開されず、書いたとおりの文字で探されます。値によって変わる要素は、"
              "セレクタ定義の要素に値を渡して指定してください（例: {p}）",
              "a candidate cannot hold an expression ({e}): candidates are never rendered, so it would be "
              "searched for as written. For an element that depends on a value, pass the value to an element "
              "of the selector map (e.g. {p})", e="{{ … }}", p="注文.胴体[{{ record.胴体 }}]")


def css_problem(selector: str) -> str | None:
    """Why a ``css:`` candidate is not a selector Playwright accepts, or None."""
    if not selector.strip():
        return tr("セレクタが空です", "the selector is empty")
    if problem := _too_big(selector):
        return problem
    try:
        _selector(selector, 0)
    except _Bad as bad:
        return tr("セレクタの構文エラー（{n} 文字目）: {s}", "selector syntax error at character {n}: {s}",
                  n=min(bad.at, len(selector)) + 1, s=selector)
    except _XPathBad as bad:
        return bad.message
    return None


def xpath_problem(expression: str) -> str | None:
    """Why an ``xpath:`` candidate is not XPath 1.0 (what browsers evaluate), or None."""
    if problem := _too_big(expression):
        return problem
    try:
        _xpath(expression, 0)
    except _XPathBad as bad:
        return bad.message
    return None


class _XPathBad(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _xpath(expression: str, offset: int) -> None:
    if not expression.strip():
        raise _XPathBad(tr("XPath が空です", "the XPath is empty"))
    try:
        XPath1Parser().parse(expression)
    except (ElementPathError, ValueError, TypeError) as exc:  # elementpath raises its own and a few builtins
        found = _XPATH_AT.search(str(exc))
        at = offset + (int(found.group(1)) if found else 1)
        raise _XPathBad(tr("XPath の構文エラー（{n} 文字目付近）: {x}", "XPath syntax error near character {n}: {x}",
                           n=at, x=expression)) from exc


def _parts(selector: str) -> list[tuple[str, str, int]]:
    """Playwright's split on ``>>`` (outside quotes): (engine, body, offset of the body)."""
    parts: list[tuple[str, str, int]] = []
    start, index, quote = 0, 0, ""

    def append(end: int) -> None:
        raw = selector[start:end]
        lead = len(raw) - len(raw.lstrip())
        part = raw.strip()
        equals = part.find("=")
        if equals != -1 and _ENGINE.match(part[:equals].strip()):
            name, body, at = part[:equals].strip(), part[equals + 1:], start + lead + equals + 1
        elif len(part) > 1 and part[0] == part[-1] and part[0] in "\"'":
            name, body, at = "text", part, start + lead
        elif re.match(r"^\(*//", part) or part.startswith(".."):
            name, body, at = "xpath", part, start + lead
        else:
            name, body, at = "css", part, start + lead
        parts.append((name.lstrip("*"), body, at))

    if ">>" not in selector:
        append(len(selector))
        return parts
    while index < len(selector):
        char = selector[index]
        if char == "\\" and index + 1 < len(selector):
            index += 2
        elif quote and char == quote:
            quote, index = "", index + 1
        elif not quote and char in "\"'`" and not re.match(r"^\s*text\s*=.+$", selector[start:index], re.S):
            quote, index = char, index + 1
        elif not quote and selector.startswith(">>", index):
            append(index)
            index += 2
            start = index
        else:
            index += 1
    append(len(selector))
    return parts


def _selector(selector: str, offset: int) -> None:
    parts = _parts(selector)
    if parts[0][0] in _NESTED:
        raise _Bad(offset)
    for name, body, at in parts:
        at += offset
        engine = name.split(":")[0] if name.endswith(":light") else name
        if not body.strip():
            raise _Bad(at)
        if engine == "css":
            _Css(body, at).selector_list()
        elif engine == "xpath":
            _xpath(body, at)
        elif name in _NESTED:
            _nested(body, at)
        elif engine == "role":
            _role(body, at)
        elif engine not in _STRING_ENGINES and not name.startswith(("internal:", "_")):
            raise _Bad(at - len(name) - 1)


def _nested(body: str, at: int) -> None:
    """``internal:has="…"``: a JSON string holding a nested selector."""
    try:
        value = json.loads(f"[{body}]")
    except ValueError:
        raise _Bad(at) from None
    if len(value) != 1 or not isinstance(value[0], str):
        raise _Bad(at)
    _selector(value[0], at)


def _role(body: str, at: int) -> None:
    """``role=button[name="登録"][pressed]``: a name, then attribute brackets, quotes closed."""
    depth, quote = 0, ""
    for index, char in enumerate(body):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'" and depth:
            quote = char
        elif char == "[":
            if depth:
                raise _Bad(at + index)
            depth = 1
        elif char == "]":
            if not depth:
                raise _Bad(at + index)
            depth = 0
        elif not depth and body[:index].rstrip().endswith("]") and not char.isspace():
            raise _Bad(at + index)  # text after the attributes
    if depth or quote:
        raise _Bad(at + len(body))


class _Css:
    """Playwright's CSS grammar (``cssParser.ts``) over cssselect's tokens."""

    def __init__(self, text: str, offset: int) -> None:
        self.offset = offset
        try:
            self.tokens: list[Token] = list(tokenize(text))
        except SelectorError as exc:
            found = _AT.search(str(exc))
            raise _Bad(offset + (int(found.group(1)) if found else 0)) from None
        self.text = text
        self.i = 0
        refused = [t for t in self.tokens if t.type == "DELIM" and str(t.value) in "{};@%"]
        if refused:  # tokens Playwright's CSS parser refuses outright
            self.fail(refused[0])

    def tok(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def delim(self, value: str, ahead: int = 0) -> bool:
        token = self.tok(ahead)
        return token.type == "DELIM" and token.value == value

    def fail(self, token: Token | None = None) -> None:
        raise _Bad(self.offset + (token or self.tok()).pos)

    def ws(self) -> None:
        while self.tok().type == "S":
            self.i += 1

    def combinator(self) -> bool:
        return any(self.delim(c) for c in ">+~")

    def clause_end(self) -> bool:
        token = self.tok()
        return token.type in ("EOF", "S") or (token.type == "DELIM" and str(token.value) in ",)>+~")

    def selector_list(self) -> None:
        kinds = self.arguments()
        if self.tok().type != "EOF" or any(kind != "selector" for kind in kinds):
            self.fail()

    def arguments(self) -> list[str]:
        kinds = [self.argument()]
        while True:
            self.ws()
            if not self.delim(","):
                return kinds
            self.i += 1
            kinds.append(self.argument())

    def argument(self) -> str:
        self.ws()
        if self.tok().type in ("NUMBER", "STRING"):
            self.i += 1
            return "value"
        self.complex()
        return "selector"

    def complex(self) -> None:
        self.ws()
        if self.combinator():  # a relative selector (``:has(> a)``)
            self.i += 1
        else:
            self.simple()
        while True:
            self.ws()
            if self.combinator():
                self.i += 1
                self.ws()
            elif self.clause_end():
                return
            self.simple()

    def simple(self) -> None:
        found = False
        while not self.clause_end():
            token = self.tok()
            if token.type in ("IDENT", "HASH") or self.delim("*"):
                self.i += 1
            elif self.delim("."):
                self.i += 1
                if self.tok().type != "IDENT":
                    self.fail()
                self.i += 1
            elif self.delim(":"):
                self.pseudo()
            elif self.delim("["):
                self.attribute()
            else:
                self.fail()
            found = True
        if not found:
            self.fail()

    def pseudo(self) -> None:
        self.i += 1
        token = self.tok()
        if token.type != "IDENT":
            self.fail()  # ``::before`` too: Playwright refuses pseudo-elements
        self.i += 1
        if not self.delim("("):
            return
        self.i += 1
        name = str(token.value).lower()
        if name in _CUSTOM_CSS:
            self.arguments()
        else:
            self.builtin(name)
        self.ws()
        if not self.delim(")"):
            self.fail()
        self.i += 1

    def builtin(self, name: str) -> None:
        """A browser's own function (``:nth-child(2n+1)``, ``:lang(ja)``): balanced, An+B checked."""
        start, depth = self.i, 1
        while self.tok().type != "EOF":
            if self.delim("("):
                depth += 1
            elif self.delim(")"):
                depth -= 1
                if depth == 0:
                    break
            self.i += 1
        if self.tok().type == "EOF":
            self.fail()
        first = self.tokens[start].pos
        inner = self.text[first:self.tok().pos]
        if name in _NTH:
            match = _AN_B.match(inner)
            if match is None:
                raise _Bad(self.offset + first)
            if match.group("of"):
                _Css(match.group("of"), self.offset + first + match.start("of")).selector_list()

    def attribute(self) -> None:
        start = self.tok()
        while not self.delim("]") and self.tok().type != "EOF":
            self.i += 1
        if self.tok().type == "EOF":
            self.fail(start)
        self.i += 1
        raw = self.text[start.pos:self.tok(-1).pos + 1]
        try:
            parse("*" + raw)
        except SelectorError:
            raise _Bad(self.offset + start.pos) from None

"""The ``{value}`` of a parametrised element, put into its candidates per step.

A selector map may write one element for a family of elements that differ by a value (the radio
button of each 胴体, the row of each 受付番号): ``- {role: radio, name: "{value}"}`` or
``- css: "input[name=body][value='{value}']"``. A flow names it with the value in brackets,
``注文.胴体[{{ record.胴体 }}]``, rendered per record.

The value comes from the records, so it must never change the selector's meaning: in ``css:`` it
is escaped as CSS does (``CSS.escape``: valid both inside a quoted string and as an identifier),
in ``xpath:`` it becomes an XPath string expression (``concat('a', "'", 'b')`` when it holds both
quotes, since XPath 1.0 literals have no escapes). A value with ``'"]`` finds the element whose
text is exactly that, and nothing else. Role names, labels, texts and placeholders take it as it
is: Playwright matches them as plain strings.
"""

from __future__ import annotations

import re

PLACEHOLDER = "{value}"
#: What a template is checked with when the map loads: any plain word shows the same syntax.
SAMPLE = "v"


def has_placeholder(text: str | None) -> bool:
    """Whether a candidate field holds ``{value}``."""
    return text is not None and PLACEHOLDER in text


def css_escape(value: str) -> str:
    """CSS's ``CSS.escape``: safe as an identifier and inside a quoted string alike."""
    out: list[str] = []
    for index, char in enumerate(value):
        code = ord(char)
        leading_digit = char.isascii() and char.isdigit() and (index == 0 or (index == 1 and value[0] == "-"))
        if code == 0:
            out.append("\ufffd")
        elif code < 0x20 or code == 0x7F or leading_digit:
            out.append(f"\\{code:x} ")
        elif index == 0 and char == "-" and len(value) == 1:
            out.append("\\-")
        elif code >= 0x80 or char in "-_" or (char.isascii() and char.isalnum()):
            out.append(char)
        else:
            out.append("\\" + char)
    return "".join(out)


def xpath_literal(value: str) -> str:
    """An XPath 1.0 expression whose string value is ``value``, whatever quotes it holds."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    parts = [f"'{piece}'" for piece in value.split("'")]
    joined = ", \"'\", ".join(parts)
    return f"concat({joined})"


_XPATH_LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")


def _xpath_concat(parts: list[str]) -> str:
    kept = [p for p in parts if p not in ("''", '""')] or ["''"]
    return kept[0] if len(kept) == 1 else f"concat({', '.join(kept)})"


def xpath_with_value(template: str, value: str) -> str:
    """``template`` with each ``{value}`` as a string expression: a literal holding it becomes a
    ``concat()`` of its text around the value; outside a literal the value is a literal itself."""
    pieces: list[str] = []
    last = 0
    for found in _XPATH_LITERAL.finditer(template):
        pieces.append(template[last:found.start()].replace(PLACEHOLDER, xpath_literal(value)))
        literal = found.group(0)
        quote, body = literal[0], literal[1:-1]
        if PLACEHOLDER in body:
            segments = body.split(PLACEHOLDER)
            parts: list[str] = []
            for index, segment in enumerate(segments):
                if index:
                    parts.append(xpath_literal(value))
                parts.append(f"{quote}{segment}{quote}")
            pieces.append(_xpath_concat(parts))
        else:
            pieces.append(literal)
        last = found.end()
    pieces.append(template[last:].replace(PLACEHOLDER, xpath_literal(value)))
    return "".join(pieces)


def css_with_value(template: str, value: str) -> str:
    """``template`` with each ``{value}`` escaped (see :func:`css_escape`)."""
    return template.replace(PLACEHOLDER, css_escape(value))


def text_with_value(template: str, value: str) -> str:
    """``template`` with each ``{value}`` as it is (names, labels, texts are matched as strings)."""
    return template.replace(PLACEHOLDER, value)

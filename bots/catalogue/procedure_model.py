"""The 手順書 as plain data: sections of paragraphs, lists, tables and screen-by-screen steps.

Built once from a catalogue entry (:mod:`bots.catalogue.procedure`) and rendered three ways
(HTML, Markdown, Word) by renderers that only walk these blocks, so the three never say
different things.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bots.governance.phrasing import StepLine
from bots.i18n import tr


@dataclass(frozen=True)
class Para:
    """A paragraph; ``warn`` marks something the owner must fix (no deputy, unknown person …)."""

    text: str
    warn: bool = False


@dataclass(frozen=True)
class Bullets:
    """A list of short items."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A small table: headers and rows of text."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class SubHeading:
    """A heading inside a section (a block of steps: 準備, レコードごとの手順 …)."""

    text: str


@dataclass(frozen=True)
class ScreenSteps:
    """The steps done on one screen, in order, numbered as in the flow (nested ones indented)."""

    screen: str
    lines: tuple[StepLine, ...]


Block = Para | Bullets | Table | SubHeading | ScreenSteps

#: The mark before a warning, in every format (it prints and reads aloud as 注意).
WARN = "⚠"


@dataclass(frozen=True)
class Section:
    """One heading of the 手順書 with its blocks; ``new_page`` starts a printed chapter."""

    key: str
    heading: str
    blocks: tuple[Block, ...]
    new_page: bool = False


@dataclass(frozen=True)
class Procedure:
    """The whole 手順書 of one flow."""

    title: str
    flow_id: str
    shown: str
    lang: str
    sections: tuple[Section, ...]
    footer: str
    generated_at: dt.datetime


def not_loaded() -> Para:
    """The block standing for a section that needs the flow, when the flow does not load."""
    return Para(tr("{w} フロー定義にエラーがあるため、この項目を作れません（python runner.py validate で確認してください）",
                   "{w} the flow definition has errors, so this part cannot be written (see python runner.py "
                   "validate)", w=WARN), warn=True)

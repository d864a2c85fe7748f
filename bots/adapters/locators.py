"""Selector-map candidates → Playwright locators, on a page or inside a frame.

``near_label`` finds the form control a page puts next to a label text without tying them
(``<label>`` without ``for=``, ``<th>``/``<td>``, ``<dt>``/``<dd>``, a text cell or span just before
the control). It is one XPath: the label text goes in as an XPath string expression
(:func:`bots.selectors.placeholder.xpath_literal`), so a label holding quotes cannot change it.
"""

from __future__ import annotations

import re
from functools import reduce

from playwright.sync_api import FrameLocator, Locator, Page

from bots.selectors.model import Candidate
from bots.selectors.placeholder import xpath_literal

Root = Page | FrameLocator

#: What a label names: a field staff type into or choose from.
_CONTROL = "(self::input[not(@type='hidden')] or self::select or self::textarea)"
#: Marks that forms put around label texts and that the label of the map leaves out.
_IGNORED = "：:*＊"
_SPACES = re.compile(r"\s+")


def label_key(text: str) -> str:
    """A label text as ``near_label`` compares it: full-width spaces as spaces, ``：`` ``*`` dropped,
    spaces collapsed (what the XPath does to the page's text with translate/normalize-space)."""
    text = text.replace("\u3000", " ")
    for mark in _IGNORED:
        text = text.replace(mark, "")
    return _SPACES.sub(" ", text).strip()


def near_label_xpath(label: str, *, exact: bool = True) -> str:
    """The XPath of ``near_label``: the first control, in page order, that a matching text labels
    by wrapping it, by standing just before it (or before the cell holding it), or as the text
    node right before it."""
    literal = xpath_literal(label_key(label))

    def matches(node: str) -> str:
        text = f"normalize-space(translate({node}, '\u3000{_IGNORED}', ' '))"
        return f"{text}={literal}" if exact else f"contains({text}, {literal})"

    control = f"*[{_CONTROL}]"
    wrapped = f"//label[{matches('.')}]//{control}"
    # An element holding the text and no control (so a row or a form that merely contains the
    # label is never taken for it), then the next element: the control or its cell.
    before = (f"//*[{matches('.')}][not(descendant::{control})]"
              f"/following-sibling::*[not(self::br)][1]/descendant-or-self::{control}")
    previous = "preceding-sibling::node()[normalize-space()][1]"
    bare = f"//{control}[{previous}[self::text()]][{matches(previous)}]"
    return f"({wrapped} | {before} | {bare})[1]"


def build_locator(root: Root, c: Candidate) -> Locator:
    """A Playwright locator for one candidate, on a page or inside a frame (``frame_locator``)."""
    if c.role is not None:
        return root.get_by_role(c.role, name=c.name, exact=c.exact)  # type: ignore[arg-type]
    if c.label is not None:
        return root.get_by_label(c.label, exact=c.exact)
    if c.text is not None:
        return root.get_by_text(c.text, exact=c.exact)
    if c.placeholder is not None:
        return root.get_by_placeholder(c.placeholder, exact=c.exact)
    if c.near_label is not None:
        return root.locator(f"xpath={near_label_xpath(c.near_label, exact=c.exact)}")
    if c.css is not None:
        return root.locator(c.css)
    return root.locator(f"xpath={c.xpath}")


def frame_root(page: Page, frames: tuple[str, ...]) -> Root:
    """Where a screen's elements live: the page, or the (nested) iframes its ``frame:`` names."""
    root: Root = page
    for css in frames:
        root = root.frame_locator(css)
    return root


def union(locators: list[Locator]) -> Locator:
    """Elements matching any of the locators (Playwright's ``or_``)."""
    return reduce(lambda a, b: a.or_(b), locators)

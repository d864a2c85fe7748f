"""Selector-map candidates → Playwright locators."""

from __future__ import annotations

from functools import reduce

from playwright.sync_api import Locator, Page

from bots.selectors.model import Candidate


def build_locator(page: Page, c: Candidate) -> Locator:
    """A Playwright locator for one candidate."""
    if c.role is not None:
        return page.get_by_role(c.role, name=c.name, exact=c.exact)  # type: ignore[arg-type]
    if c.label is not None:
        return page.get_by_label(c.label, exact=c.exact)
    if c.text is not None:
        return page.get_by_text(c.text, exact=c.exact)
    if c.placeholder is not None:
        return page.get_by_placeholder(c.placeholder, exact=c.exact)
    if c.css is not None:
        return page.locator(c.css)
    return page.locator(f"xpath={c.xpath}")


def union(locators: list[Locator]) -> Locator:
    """Elements matching any of the locators (Playwright's ``or_``)."""
    return reduce(lambda a, b: a.or_(b), locators)

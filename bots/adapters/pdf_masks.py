"""Blank out masked elements while a page is printed to PDF.

Screenshots take Playwright's ``mask`` (a box painted over the element); ``page.pdf`` has none,
and a PDF keeps a text layer: text painted black on black, or transparent, is still in the file
and comes out with copy and paste (checked with ``pdftotext``). So the masked elements are
hidden for the print (``visibility: hidden`` leaves their text out of the file) and a black box
is drawn where they were (``::after``, which inputs cannot have: a masked input prints blank).
The marks and the style are removed again whatever happens.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

_MARK = "data-kz-mask"
_STYLE_ID = "kz-print-mask"
_CSS = (f"[{_MARK}]{{visibility:hidden!important;position:relative}}"
        f"[{_MARK}]::after{{content:'';visibility:visible;position:absolute;inset:0;background:#000;"
        "-webkit-print-color-adjust:exact;print-color-adjust:exact}")
_MARK_JS = f"els => els.forEach(e => e.setAttribute('{_MARK}', ''))"
_STYLE_JS = """([id, css]) => { const s = document.createElement('style'); s.id = id; s.textContent = css;
                                 document.head.appendChild(s); }"""
_UNMARK_JS = f"""id => {{ document.querySelectorAll('[{_MARK}]').forEach(e => e.removeAttribute('{_MARK}'));
                         document.getElementById(id)?.remove(); }}"""


@contextmanager
def masked_for_print(page: Page, masks: list[Locator]) -> Iterator[None]:
    """Inside the block the page prints with every element of ``masks`` blanked out."""
    try:
        for locator in masks:
            locator.evaluate_all(_MARK_JS)
        page.evaluate(_STYLE_JS, [_STYLE_ID, _CSS])
        yield
    finally:
        try:
            page.evaluate(_UNMARK_JS, _STYLE_ID)
        except PlaywrightError:  # the page went away: nothing left to clean
            pass

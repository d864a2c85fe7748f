"""What a browser session saves of its page: screenshots and PDF receipts, personal data masked.

Kept apart from acting (:mod:`bots.adapters.browser`) because what is masked is its own rule:
password fields, the elements the selector map marks ``sensitive`` (a parametrised one with every
value steps used), and every field a step typed personal data into (``mark_sensitive``). The
same masks cover a full-page screenshot, an element screenshot (the session waits for the element
and hands :meth:`Capture.masks` to it) and a PDF (:mod:`bots.adapters.pdf_masks`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

from bots.adapters.browser_elements import ElementResolver, Target
from bots.adapters.pdf_masks import masked_for_print
from bots.adapters.playwright_errors import translate
from bots.errors import FlowError
from bots.i18n import tr
from bots.selectors.model import split_ref


class Capture:
    """Screenshots and PDFs of the page steps act on, with the session's masks."""

    def __init__(self, elements: ElementResolver, page: Callable[[], Page]) -> None:
        self._elements = elements
        self._page = page  # the page steps act on now (main or popup)
        self._sensitive: list[Target] = []

    def mark_sensitive(self, target: Target) -> None:
        """Black this element out in every later screenshot (it was given personal data)."""
        self._sensitive.append(target)

    def masks(self) -> list[Locator]:
        """Every element to black out on the page now: passwords, sensitive elements, given data."""
        selector_map = self._elements.selector_map
        masks = [self._page().locator("input[type=password]")]
        declared: list[Target] = list(selector_map.sensitive_refs()) if selector_map else []
        for target in (*declared, *self._sensitive):
            if selector_map is not None and isinstance(target, str) and selector_map.parametrised(target) \
                    and split_ref(target)[1] is None:
                # a sensitive element that takes a value: every value steps used on this page
                masks.extend(loc for ref in self._elements.valued.get(target, ())
                             for loc in self._elements.locators(ref))
            else:
                masks.extend(self._elements.locators(target))
        return masks

    def full_page(self, path: Path) -> Path:
        """The whole page as a PNG, masked (a failed record's evidence, ``browser.screenshot``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._page().screenshot(path=str(path), full_page=True, mask=self.masks(), timeout=10_000)
        except PlaywrightError as exc:
            raise translate(exc, tr("画面の保存", "screenshot"), element=False) from exc
        return path

    def pdf(self, path: Path) -> Path:
        """The whole page as a PDF receipt (headless Chromium prints it), with the elements
        screenshots mask blanked out, their text left out of the file (see :mod:`bots.adapters.pdf_masks`)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        page = self._page()
        try:
            with masked_for_print(page, self.masks()):
                page.pdf(path=str(path), print_background=True)
        except PlaywrightError as exc:
            if "headless" in str(exc).lower():
                raise FlowError(tr("browser.pdf はヘッドレスの Chromium でだけ保存できます（画面を表示して実行中）",
                                   "browser.pdf needs headless Chromium (this run shows the browser)")) from exc
            raise translate(exc, tr("PDF の保存", "save as PDF"), element=False) from exc
        return path

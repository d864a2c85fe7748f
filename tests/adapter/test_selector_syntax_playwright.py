"""The load-time selector check agrees with Playwright itself, in real Chromium.

Every sample of ``tests/selectors/playwright_selectors.yaml`` is handed to ``page.locator()``:
what Playwright (and the browser behind it) refuses must be refused by
:func:`bots.selectors.syntax.css_problem`, and what it accepts must pass — so the check never
rejects a selector that works, nor lets through one that would only fail mid-run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright
from ruamel.yaml import YAML

from bots.platform.browser import launch_options
from bots.selectors.syntax import css_problem

pytestmark = pytest.mark.browser

SAMPLES = YAML(typ="safe").load(
    (Path(__file__).resolve().parents[1] / "selectors" / "playwright_selectors.yaml").read_text(encoding="utf-8"))
HTML = """<form id=entry><label>氏名<input name=氏名 id=shimei></label><div class="申請 a">
<button id=x>登録</button><a href="http://x">Buy</a><p>Bar</p><input type=submit></div></form>"""


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        page = browser.new_page()
        page.set_content(HTML)
        yield page
        browser.close()


def _playwright_accepts(page: Page, selector: str) -> bool:
    try:
        page.locator(selector).count()
    except PlaywrightError:
        return False
    return True


@pytest.mark.parametrize("selector", [*SAMPLES["accepted"], *SAMPLES["refused"]])
def test_the_check_agrees_with_playwright(page: Page, selector: str) -> None:
    assert _playwright_accepts(page, selector) == (css_problem(selector) is None), css_problem(selector)

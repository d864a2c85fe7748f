"""Drift found after the action, not by a probe before it (issue 19, item 2), on a real page in
real Chromium: the first use of a multi-candidate element acts through the union of its
candidates and learns the winner afterwards; a commit still resolves first and never acts on what
only a fallback found.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright
from ruamel.yaml import YAML

from bots.adapters.browser import BrowserSession
from bots.errors import DriftedCommit
from bots.platform.browser import launch_options
from bots.selectors.model import SelectorMap

pytestmark = pytest.mark.browser

HTML = """<!doctype html><meta charset=utf-8>
<button id=go onclick="document.getElementById('r').textContent += 'clicked;'">進む</button>
<button id=ok onclick="document.getElementById('r').textContent += 'ok;'">次へ</button>
<p id=r></p>"""
MAP = """\
system: drift
screens:
  画面:
    elements:
      進む:                      # renamed on the page: only the css fallback finds it
        - {role: button, name: 次へ進む}
        - css: "#go"
      次へ:                      # healthy: the first candidate finds it
        - {role: button, name: 次へ}
        - css: "#ok"
      結果: {css: "#r"}
"""


@pytest.fixture(scope="module")
def browser_page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        yield browser.new_page()
        browser.close()


@pytest.fixture
def session(browser_page: Page) -> Iterator[tuple[BrowserSession, list[tuple[str, dict[str, Any], str]]]]:
    browser_page.set_content(HTML)
    notices: list[tuple[str, dict[str, Any], str]] = []

    def notify(kind: str, message: str, data: dict[str, Any]) -> None:
        # What the page shows when the notice is made: proves it came after the action.
        notices.append((kind, data, browser_page.inner_text("#r")))

    selector_map = SelectorMap.model_validate(YAML(typ="safe").load(MAP), context={"kind": "web"})
    yield BrowserSession("drift", browser_page, None, selector_map, notify), notices


def test_drift_is_reported_after_a_fallback_action(session: tuple[BrowserSession, list[Any]]) -> None:
    browser, notices = session
    browser.act("画面.進む", "click", 5000, lambda loc, t: loc.click(timeout=t))
    assert [(kind, data["element"], shown) for kind, data, shown in notices] == [
        ("selector_drift", "画面.進む", "clicked;")]  # the click had happened when drift was reported
    assert browser._chosen["画面.進む"] == 1
    browser.act("画面.進む", "click", 5000, lambda loc, t: loc.click(timeout=t))
    assert len(notices) == 1  # once per element and session
    assert browser.read_text("画面.結果", 5000) == "clicked;clicked;"


def test_a_healthy_element_is_learned_without_drift(session: tuple[BrowserSession, list[Any]]) -> None:
    browser, notices = session
    browser.act("画面.次へ", "click", 5000, lambda loc, t: loc.click(timeout=t))
    assert browser._chosen["画面.次へ"] == 0
    assert notices == []


def test_a_commit_on_a_fallback_is_still_refused(session: tuple[BrowserSession, list[Any]]) -> None:
    browser, notices = session
    with pytest.raises(DriftedCommit):
        browser.act("画面.進む", "click", 5000, lambda loc, t: loc.click(timeout=t), commit=True)
    assert browser.page.inner_text("#r") == ""  # nothing was clicked
    assert [(kind, shown) for kind, _, shown in notices] == [("selector_drift", "")]  # found before acting

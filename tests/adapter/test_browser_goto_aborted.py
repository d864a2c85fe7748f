"""Opening a screen whose load Chromium aborts (``net::ERR_ABORTED``: another navigation of the page cut
it) is tried once more: seen in the fault soak, where a verify lookup's ``/search`` was aborted and the
record went to review although the demo system was up. A load aborted every time still fails clearly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, Route, sync_playwright

from bots.adapters.browser import BrowserSession
from bots.errors import TargetSystemError
from bots.platform.browser import launch_options

pytestmark = pytest.mark.browser


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        yield browser.new_page()
        browser.close()


def _abort_first(times: int) -> tuple[Callable[[Route], None], list[str]]:
    """A route handler that aborts the first ``times`` loads of the screen, then lets them through."""
    seen: list[str] = []

    def handle(route: Route) -> None:
        seen.append(route.request.url)
        if len(seen) <= times:
            route.abort("aborted")
        else:
            route.continue_()
    return handle, seen


def test_an_aborted_load_is_tried_once_more(demo_web: Any, page: Page) -> None:
    server = demo_web()
    handle, seen = _abort_first(1)
    page.route("**/login*", handle)
    session = BrowserSession("demo", page, server.url, None, lambda kind, message, data: None)

    session.goto("/login", 10_000)

    assert len(seen) == 2 and page.url.startswith(server.url + "/login")
    assert page.get_by_label("ユーザーID").count() == 1


def test_a_load_aborted_every_time_fails_the_step_clearly(demo_web: Any, page: Page) -> None:
    server = demo_web()
    handle, seen = _abort_first(99)
    page.route("**/login*", handle)
    session = BrowserSession("demo", page, server.url, None, lambda kind, message, data: None)

    with pytest.raises(TargetSystemError, match="画面を開く") as raised:
        session.goto("/login", 10_000)
    assert len(seen) == 2 and "ERR_ABORTED" in str(raised.value)

"""Issue 19 (mend): ``selectors check demo_spa --url …/spa/`` on the demo web system's single-page
order app, in a real Chromium.

The app sits behind the system's login. Logged out, the page is the login page it redirects to, and
that is the screen checked (no false drift from the app's screens). Logged in, the order screen is
matched by its ``url`` and each element resolves — the labels not tied to their fields through
``near_label`` — while the radio group, named per value (``注文.胴体[標準型]``), is reported as
depending on a value, not as missing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from demo_client import PASSWORD, USER
from kazaguruma_demo.web.server import DemoServer
from playwright.sync_api import Page, expect, sync_playwright

from bots.adapters.locators import build_locator
from bots.platform.browser import launch_options
from bots.selectors.loader import load_selector_map
from bots.selectors.model import SelectorMap
from bots.selectors.page_match import screens_for_page

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
Demo = Callable[..., DemoServer]


def selectors(*args: str, lang: str = "ja") -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "KZ_LANG": lang}
    return subprocess.run([sys.executable, str(REPO / "runner.py"), "selectors", "check", *args], cwd=REPO,
                          env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)


def rows(output: str) -> dict[tuple[str, str], str]:
    """The check's table as {(screen, element): result}."""
    return {(m[1], m[2]): m[3].strip() for m in re.finditer(r"^│ (\S+)\s+│ (\S+)\s+│ ([^│]+)│", output, re.M)}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_logged_out_the_login_page_it_lands_on_is_checked(demo_web: Demo, lang: str) -> None:
    server = demo_web()
    done = selectors("demo_spa", "--url", f"{server.url}/spa/", lang=lang)
    assert done.returncode == 0, done.stdout  # no false drift from the order app's screens
    assert f"{server.url}/login?next=/spa/" in done.stdout
    found = rows(done.stdout)
    assert {screen for screen, _ in found} == {"ログイン"}, done.stdout
    assert found[("ログイン", "ユーザーID")] == "OK" and found[("ログイン", "ログイン")] == "OK"
    assert found[("ログイン", "ログインエラー")] == ("表示なし（条件付き）" if lang == "ja" else "not shown (optional)")


def _login(page: Page, url: str, target: str) -> None:
    page.goto(f"{url}/login?next={target}")
    page.get_by_label("ユーザーID").fill(USER)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def _checked(selector_map: SelectorMap, page: Page) -> dict[tuple[str, str], Any]:
    """What ``selectors check`` decides on this page: the screens it can be, and per element the
    first candidate that finds it, ``"value"`` for one named per value, None when nothing finds it."""
    found: dict[tuple[str, str], Any] = {}
    for name in screens_for_page(selector_map.screens, page.url, page.title()):
        for element, candidates in selector_map.screens[name].elements.items():
            if any(c.parametrised for c in candidates):
                found[(name, element)] = "value"
                continue
            found[(name, element)] = next((i + 1 for i, c in enumerate(candidates)
                                           if build_locator(page, c).count() > 0), None)
    return found


def test_logged_in_the_order_screen_resolves_and_the_radio_group_depends_on_a_value(demo_web: Demo) -> None:
    server = demo_web(spa_notice_every=0)
    selector_map, diagnostics = load_selector_map(REPO / "selectors" / "demo_spa.yaml")
    assert selector_map is not None, list(diagnostics)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options(headless=True))
        try:
            page = browser.new_page(locale="ja-JP")
            _login(page, server.url, "/spa/")
            expect(page.locator("#view_order")).to_be_visible()
            order = _checked(selector_map, page)
            assert {screen for screen, _ in order} == {"注文"}  # not 一覧 (/spa/orders), not 受領 (no url)
            assert order.pop(("注文", "胴体")) == "value"
            assert order.pop(("注文", "お知らせ")) is None and order.pop(("注文", "お知らせ確認")) is None  # optional
            assert order == {("注文", e): 1 for e in ("依頼番号", "頭部", "脚部", "配送先", "数量", "注文する", "注文一覧へ")}

            page.goto(f"{server.url}/spa/orders")
            expect(page.locator("#total_count")).to_have_text("0")
            listing = _checked(selector_map, page)
            assert {screen for screen, _ in listing} == {"一覧"}
            assert {e for (_, e), hit in listing.items() if hit is None} <= set(selector_map.screens["一覧"].optional)
            assert listing[("一覧", "依頼番号")] == 1 and listing[("一覧", "合計件数")] == 1
        finally:
            browser.close()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_with_a_logged_in_state_the_command_checks_the_order_screen(demo_web: Demo, tmp_path: Path,
                                                                     lang: str) -> None:
    """``--storage-state``: the cookies of a login (saved by Playwright) open the app's own screens."""
    server = demo_web(spa_notice_every=0)
    state = tmp_path / "login.json"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options(headless=True))
        try:
            page = browser.new_page(locale="ja-JP")
            _login(page, server.url, "/spa/")
            expect(page.locator("#view_order")).to_be_visible()
            page.context.storage_state(path=str(state))
        finally:
            browser.close()
    done = selectors("demo_spa", "--url", f"{server.url}/spa/", "--storage-state", str(state), lang=lang)
    assert done.returncode == 0, done.stdout
    found = rows(done.stdout)
    assert {screen for screen, _ in found} == {"注文"}, done.stdout
    assert found.pop(("注文", "胴体")) == ("値で決まる要素（確認しません）" if lang == "ja" else "depends on a value (not checked)")
    optional = "表示なし（条件付き）" if lang == "ja" else "not shown (optional)"
    assert found.pop(("注文", "お知らせ")) == optional and found.pop(("注文", "お知らせ確認")) == optional
    assert set(found.values()) == {"OK"}, done.stdout
    assert "1: near_label" in done.stdout, done.stdout  # a label not tied to its field, found by its place
    # The list screen too: the page decides which screen is checked.
    listing = selectors("demo_spa", "--url", f"{server.url}/spa/orders", "--storage-state", str(state), lang=lang)
    assert listing.returncode == 0 and {s for s, _ in rows(listing.stdout)} == {"一覧"}, listing.stdout

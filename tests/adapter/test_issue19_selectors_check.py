"""Issue 19: ``selectors check SYSTEM --url URL`` checks the screens that page can be, not every screen.

Checking every screen of the map against one page reported the other screens' elements as
missing (false drift, exit 1). The page is matched to screens by their ``url`` (the page's URL
after redirects) or ``title``; a real chromium opens the demo web system.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from kazaguruma_demo.web.server import DemoServer

from bots.selectors.loader import load_selector_map
from bots.selectors.page_match import screens_for_page, title_matches, url_matches

REPO = Path(__file__).resolve().parents[2]
Demo = Callable[..., DemoServer]

TITLED_MAP = """\
system: titled
screens:
  入口:
    title: "ログイン -"
    elements:
      ユーザーID: [{label: ユーザーID}]
  業務メニュー:
    url: /menu
    elements:
      申請入力: [{role: link, name: 申請入力}]
"""


def selectors(cwd: Path, *args: str, lang: str = "ja") -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "KZ_LANG": lang}
    return subprocess.run([sys.executable, str(REPO / "runner.py"), "selectors", "check", *args], cwd=cwd,
                          env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)


def _screens_in_table(output: str) -> set[str]:
    return set(re.findall(r"^│ (\S+)\s+│", output, re.M)) - {"画面", "screen"}


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_only_the_screen_of_the_page_is_checked(demo_web: Demo, lang: str) -> None:
    server = demo_web()
    done = selectors(REPO, "demo_web", "--url", f"{server.url}/login", lang=lang)
    assert done.returncode == 0, done.stdout  # no false drift from the other screens
    assert _screens_in_table(done.stdout) == {"ログイン"}, done.stdout
    assert ("見つからない" if lang == "ja" else "missing") not in done.stdout
    said = "画面の URL・タイトルから確認する画面: ログイン" if lang == "ja" else "screens this page can be, by URL or title: ログイン"
    assert said in done.stdout, done.stdout


@pytest.mark.browser
def test_the_page_after_redirects_decides(demo_web: Demo) -> None:
    """/entry without a session lands on /login: that is the page checked (and said)."""
    server = demo_web()
    done = selectors(REPO, "demo_web", "--url", f"{server.url}/entry")
    assert done.returncode == 0, done.stdout
    assert _screens_in_table(done.stdout) == {"ログイン"}, done.stdout
    assert f"{server.url}/login?next=" in done.stdout


@pytest.mark.browser
def test_screens_matched_by_title_and_none_matched(demo_web: Demo, tmp_path: Path) -> None:
    server = demo_web()
    project = tmp_path / "project"
    (project / "flows").mkdir(parents=True)
    (project / "selectors").mkdir()
    (project / "selectors" / "titled.yaml").write_text(TITLED_MAP, encoding="utf-8")
    done = selectors(project, "titled", "--url", f"{server.url}/login")
    assert done.returncode == 0, done.stdout
    assert _screens_in_table(done.stdout) == {"入口"}, done.stdout
    nowhere = selectors(project, "titled", "--url", f"{server.url}/search")  # redirected to /login?next=/search
    assert nowhere.returncode == 0 and _screens_in_table(nowhere.stdout) == {"入口"}, nowhere.stdout
    (project / "selectors" / "titled.yaml").write_text(TITLED_MAP.replace('title: "ログイン -"', "url: /start"),
                                                       encoding="utf-8")
    for lang, message in (("ja", "に当たる画面がセレクタ定義 titled にありません"),
                          ("en", "no screen of selector map titled matches this page")):
        refused = selectors(project, "titled", "--url", f"{server.url}/login", lang=lang)
        assert refused.returncode == 2, refused.stdout
        assert message in refused.stdout and "入口: url: /start" in refused.stdout, refused.stdout
        assert "Traceback" not in refused.stdout


def test_url_and_title_rules() -> None:
    assert url_matches("/entry", "http://h:8800/entry")
    assert url_matches("/entry", "http://h:8800/entry/?x=1#top")  # query and fragment ignored, trailing /
    assert url_matches("/entry", "http://h/app/entry")  # an application under a prefix
    assert url_matches("entry", "http://h/entry")
    assert not url_matches("/entry", "http://h/reentry")
    assert not url_matches("/entry", "http://h/entry/2")
    assert url_matches("/orders/*/edit", "http://h/orders/42/edit")
    assert url_matches("/orders/*/edit", "http://h/app/orders/42/edit")
    assert not url_matches("/orders/*/edit", "http://h/orders/42/view")
    assert url_matches("http://h/app/entry", "http://h/app/entry?x=1")
    assert not url_matches("http://h/app/entry", "http://other/app/entry")
    assert url_matches("/search?mode=kana", "http://h/search?mode=kana")
    assert not url_matches("/search?mode=kana", "http://h/search?mode=date")
    assert title_matches("申請入力", "申請入力 - 風車市住民記録システム（デモ）")
    assert not title_matches("  ", "anything")


def test_screens_for_page_of_the_demo_map() -> None:
    selector_map, found = load_selector_map(REPO / "selectors" / "demo_web.yaml")
    assert selector_map is not None, list(found)
    screens = selector_map.screens
    assert screens_for_page(screens, "http://127.0.0.1:8800/login?next=/entry", "ログイン - デモ") == ["ログイン"]
    assert screens_for_page(screens, "http://127.0.0.1:8800/confirm", "入力内容の確認") == ["確認"]
    # 完了 and 送信済み declare no url or title: they may be any page, checked when no other screen matches.
    assert screens_for_page(screens, "http://127.0.0.1:8800/complete/17", "受付完了") == ["完了", "送信済み"]

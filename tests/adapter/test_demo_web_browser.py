"""The demo web core system driven by real chromium: one application keyed by hand-written
Playwright calls, and every candidate of ``selectors/demo_web.yaml`` checked on the live screens.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from demo_client import PASSWORD, RECEIPT, USER, VALID, tiny_pdf
from kazaguruma_demo.web.server import DemoServer
from kazaguruma_demo.web.store import read_all, read_attachments

from bots.adapters.locators import build_locator
from bots.platform.browser import launch_options
from bots.selectors.model import Candidate


@pytest.mark.browser
def test_browser_keys_one_application(server: DemoServer, db: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_options(headless=True))
        try:
            page = browser.new_page()
            page.goto(server.url + "/entry")
            page.get_by_label("ユーザーID").fill(USER)
            page.get_by_label("パスワード").fill(PASSWORD)
            page.get_by_role("button", name="ログイン").click()
            expect(page.locator("body")).to_have_attribute("data-kz-page", "entry")
            for label, key in (
                ("氏名", "shimei"),
                ("フリガナ", "furigana"),
                ("生年月日", "birth"),
                ("郵便番号", "zip"),
                ("住所", "address"),
                ("電話番号", "phone"),
                ("個人番号", "mynumber"),
                ("備考", "note"),
            ):
                page.get_by_label(label).fill(VALID[key])
            page.get_by_label("性別").select_option("男")
            page.get_by_label("申請種別").select_option("住民票の写し")
            page.get_by_label("記載内容に誤りがないことを確認しました").check()
            page.get_by_role("button", name="確認へ").click()
            expect(page.locator("#c_shimei")).to_have_text("山田 太郎")
            expect(page.locator("#c_mynumber")).to_have_text("123456789018")
            page.get_by_role("button", name="登録", exact=True).click()
            expect(page.locator("#receipt_no")).to_have_text(RECEIPT)
            receipt_no = page.locator("#receipt_no").inner_text()
            assert "9018" not in page.content(), "the completion page never shows the 個人番号"
        finally:
            browser.close()
    rows = read_all(db)
    assert [(r["receipt_no"], r["氏名"], r["個人番号"], r["同意"]) for r in rows] == [
        (receipt_no, "山田 太郎", "123456789018", 1)
    ]


# The screen of the selector map each reached state must fully match.
_STATE_SCREEN = {
    "login_failed": "ログイン",
    "menu": "メニュー",
    "entry_invalid": "申請入力",
    "confirm": "確認",
    "complete": "完了",
    "already_submitted": "送信済み",
    "search_hit": "検索",
    "attach_form": "添付",
    "attach_invalid": "添付",
    "attach_done": "添付",
}


def _locate(page: Any, cand: dict[str, Any]) -> Any:
    # The runtime's own locator builder, so exact matching is judged as in a run.
    return build_locator(page, Candidate.model_validate(cand))


def _navigate_by_click(page: Any, css: str) -> None:
    # Every click here posts a form or follows a link: wait for the next page, so the
    # selector check below never runs against the page being left.
    with page.expect_navigation():
        page.locator(css).click()


@pytest.mark.browser
def test_selector_map_candidates_each_match_one_element(server: DemoServer) -> None:
    from playwright.sync_api import sync_playwright
    from ruamel.yaml import YAML

    smap = YAML(typ="safe").load(Path(__file__).parents[2].joinpath("selectors/demo_web.yaml").read_text())
    assert {e["kind"] for e in smap["error_indicators"]} == {"target_error", "session_expired", "validation"}

    def check(page: Any, state: str, skip: tuple[str, ...] = ()) -> None:
        screen = _STATE_SCREEN[state]
        for element, cands in smap["screens"][screen]["elements"].items():
            for cand in cands if element not in skip else []:
                assert _locate(page, cand).count() == 1, f"{state}: {screen}.{element} {cand}"

    with sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_options(headless=True))
        try:
            page = browser.new_page()
            page.goto(server.url + "/login")
            page.locator("#user_id").fill(USER)
            _navigate_by_click(page, "#login")
            check(page, "login_failed")
            page.locator("#password").fill(PASSWORD)
            _navigate_by_click(page, "#login")
            check(page, "menu")
            page.goto(server.url + "/entry")
            page.locator("#zip").fill("1")
            _navigate_by_click(page, "#to_confirm")
            check(page, "entry_invalid")
            for key, value in VALID.items():
                if key in ("sex", "kind"):
                    page.locator(f"#{key}").select_option(value)
                elif key == "agree":
                    page.locator("#agree").check()
                else:
                    page.locator(f"#{key}").fill(value)
            _navigate_by_click(page, "#to_confirm")
            check(page, "confirm")
            confirm_html = page.content()
            _navigate_by_click(page, "#submit")
            check(page, "complete")
            page.set_content(confirm_html)  # the confirm form again, holding the now spent token
            _navigate_by_click(page, "#submit")
            check(page, "already_submitted")
            page.goto(server.url + "/search?shimei=" + urllib.parse.quote(VALID["shimei"]))
            check(page, "search_hit", skip=("該当なし",))
            page.goto(server.url + "/search?shimei=none")
            for cand in smap["screens"]["検索"]["elements"]["該当なし"]:
                assert _locate(page, cand).count() == 1, cand
            receipt_no = read_all(server.config.db_path)[0]["receipt_no"]
            page.goto(server.url + "/menu")
            _navigate_by_click(page, "#menu_attach")
            check(page, "attach_form", skip=("完了メッセージ", "添付したファイル名", "入力エラー"))
            pdf = {"name": "申請書.pdf", "mimeType": "application/pdf", "buffer": tiny_pdf()}
            page.locator("#a_receipt_no").fill("R1999-000001")
            page.locator("#a_file").set_input_files(pdf)
            _navigate_by_click(page, "#upload_btn")
            check(page, "attach_invalid", skip=("完了メッセージ", "添付したファイル名"))
            page.locator("#a_receipt_no").fill(receipt_no)
            page.locator("#a_file").set_input_files(pdf)
            _navigate_by_click(page, "#upload_btn")
            check(page, "attach_done", skip=("入力エラー",))
            assert page.locator("#attached_name").inner_text() == "申請書.pdf"
            stored = read_attachments(server.config.db_path)
            assert [(r["receipt_no"], r["filename"], r["size"]) for r in stored] == [
                (receipt_no, "申請書.pdf", len(pdf["buffer"]))
            ]
        finally:
            browser.close()

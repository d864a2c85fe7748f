"""A ``browser.dialog`` answer holds for its record only (review of issue 19), in real Chromium.

Through the real engine: record 1 declares an answer but raises no dialog; record 2's undeclared
confirm must still be dismissed and fail record 2 (before the fix record 1's answer accepted it and
the page saved). On a session directly: what is dropped when a record starts (an unused answer, a
dialog dismissed after the last step of the record before) is noted in the run log, both languages.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright
from test_issue19_selectors_pages import pages, pages_flow, records_file, run_pages  # noqa: F401
from test_issue19_selectors_windows import CONFIRM, MAP

from bots.adapters.browser import BrowserSession
from bots.errors import InputRecordError
from bots.i18n import set_language
from bots.platform.browser import launch_options
from bots.project import Project
from bots.results.model import Status
from bots.selectors.model import Candidate

pytestmark = pytest.mark.browser

HEAD = """\
inputs: {file: {type: path, required: true}}
records: {from: excel, file: "{{ inputs.file }}", sheet: 一覧, columns: {番号: int, 手順: str}}
outputs: [結果]
"""
STEPS = """
- browser.goto: /confirm.html
- browser.dialog: {accept: true, text: 登録しますか}
  when: "record.手順 in ['宣言だけ', '両方']"
- browser.click: 登録.登録
  when: "record.手順 in ['押すだけ', '両方']"
- browser.read_text: {target: 登録.結果, into: 結果}
  when: "record.手順 == '両方'"
"""


def test_an_unused_dialog_answer_does_not_answer_the_next_records_confirm(
        pages: tuple[Path, list[str]], tmp_project: Project, tmp_path: Path) -> None:  # noqa: F811
    folder, seen = pages
    (folder / "confirm.html").write_text(CONFIRM, encoding="utf-8")
    source = records_file(tmp_path / "一覧.xlsx", ["番号", "手順"], [[1, "宣言だけ"], [2, "押すだけ"], [3, "両方"]])
    out = run_pages(tmp_project, pages_flow(STEPS, head=HEAD), MAP, inputs={"file": str(source)})
    first, second, third = out.result.records
    assert first.status is Status.PASS, first.error
    assert (second.status, second.error_kind) == (Status.FAIL, "input_record")
    assert second.error == "対象システムのダイアログ: 登録しますか？"
    assert third.status is Status.PASS, third.error
    assert third.outputs["結果"] == "登録しました"
    deadline = time.monotonic() + 5
    while "/saved" not in seen and time.monotonic() < deadline:
        time.sleep(0.05)  # the server thread records the request record 3's page sent
    assert seen.count("/saved") == 1  # record 3's own; record 2's confirm was dismissed
    (unused,) = out.notices("dialog_unused")  # record 1's answer, dropped when record 2 started
    assert unused["system"] == "pages" and unused["text"] == "登録しますか"


@pytest.fixture(scope="module")
def browser_page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        yield browser.new_page()
        browser.close()


@pytest.fixture
def session(browser_page: Page) -> tuple[BrowserSession, list[tuple[str, str, dict[str, Any]]]]:
    browser_page.set_content("""<!doctype html><meta charset=utf-8>
        <button id=go onclick="document.getElementById('r').textContent = confirm('送信しますか？') ? '送信' : '中止'">
        送信</button><p id=r>-</p>""")
    notices: list[tuple[str, str, dict[str, Any]]] = []
    return BrowserSession("窓口", browser_page, None, None,
                          lambda kind, message, data: notices.append((kind, message, data))), notices


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_record_start_drops_what_the_record_before_left(
        session: tuple[BrowserSession, list[tuple[str, str, dict[str, Any]]]], language: str) -> None:
    browser, notices = session
    set_language(language)
    try:
        browser.arm_dialog(accept=True)
        browser.page.evaluate("() => alert('遅れて出た警告')")  # after a record's last step: dismissed
        browser.arm_dialog(accept=True, text="送信しますか")
        browser.start_record()
        kinds = [kind for kind, _, _ in notices]
        assert kinds == ["dialog_unused"]  # the alert used the first answer; the second was left

        browser.page.evaluate("() => confirm('遅れて出た確認')")  # nobody declared it: dismissed, unreported
        browser.start_record()
        assert [kind for kind, _, _ in notices] == ["dialog_unused", "dialog_between_records"]
        unused, between = (message for _, message, _ in notices)
        if language == "ja":
            assert unused.startswith("窓口: browser.dialog で宣言した答えを使うダイアログが出ないまま")
            assert between == "窓口: 前のレコードの最後のステップの後に出たダイアログを閉じました: 対象システムのダイアログ: 遅れて出た確認"
        else:
            assert unused.startswith("窓口: the record ended without the dialog browser.dialog declared")
            assert between == ("窓口: a dialog shown after the previous record's last step was dismissed: "
                               "target system dialog: 遅れて出た確認")

        # The new record's own steps: nothing carried over fails them or answers for them.
        with pytest.raises(InputRecordError) as refused:
            browser.act(Candidate(css="#go"), "click", 5000, lambda loc, t: loc.click(timeout=t))
        assert "送信しますか？" in str(refused.value)
        assert browser.page.inner_text("#r") == "中止"
        browser.start_record()
        assert len(notices) == 2  # nothing left to drop: no notice
    finally:
        set_language("ja")

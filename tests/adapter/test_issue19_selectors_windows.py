"""Popups and JavaScript dialogs (issue 19, item 3) in real Chromium through the real engine.

A popup is keyed, closed, and the main page is keyed again. A confirm nobody declared is
dismissed (the page's "saved" request never goes out) and fails its record with the dialog's
message; a declared one is accepted; one whose text differs is dismissed; an alert never hangs.
What the page did is judged by the requests its script sent to the test server.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from test_issue19_selectors_pages import pages, pages_flow, records_file, run_pages  # noqa: F401

from bots.i18n import set_language
from bots.project import Project
from bots.results.model import Status

pytestmark = pytest.mark.browser

LIST = """<!doctype html><meta charset=utf-8><title>一覧</title>
<a href="detail.html" target="_blank">詳細を開く</a>
<button onclick="document.getElementById('state').textContent = '戻りました'">戻った印</button>
<p id=state></p>"""
DETAIL = """<!doctype html><meta charset=utf-8><title>詳細</title>
<h1 id=title>受付 R0001 の詳細</h1>
<label>メモ <input id=memo></label>
<button onclick="fetch('/memo?' + encodeURIComponent(document.getElementById('memo').value))">保存</button>"""
CONFIRM = """<!doctype html><meta charset=utf-8><title>登録</title>
<button onclick="if (confirm('登録しますか？')) { fetch('/saved'); document.getElementById('r').textContent = '登録しました'; }
 else { document.getElementById('r').textContent = '取り消しました'; }">登録</button>
<button onclick="alert('郵便番号が違います'); document.getElementById('r').textContent = '警告後'">警告</button>
<button onclick="const v = prompt('理由は？'); fetch('/reason?' + encodeURIComponent(v))">理由</button>
<p id=r></p>"""

MAP = """\
system: pages
screens:
  一覧:
    url: /list.html
    elements:
      詳細: {role: link, name: 詳細を開く}
      戻った印: {role: button, name: 戻った印}
      状態: {css: "#state"}
  詳細:
    url: /detail.html
    elements:
      見出し: {css: "#title"}
      メモ: {near_label: メモ}
      保存: {role: button, name: 保存}
  登録:
    url: /confirm.html
    elements:
      登録: {role: button, name: 登録}
      警告: {role: button, name: 警告}
      理由: {role: button, name: 理由}
      結果: {css: "#r"}
"""


def _wait_for(seen: list[str], path: str) -> None:
    deadline = time.monotonic() + 5
    while path not in seen and time.monotonic() < deadline:
        time.sleep(0.05)  # the server thread records the request the page's fetch() sent


def test_a_popup_is_keyed_then_closed(pages: tuple[Path, list[str]], tmp_project: Project) -> None:  # noqa: F811
    folder, seen = pages
    (folder / "list.html").write_text(LIST, encoding="utf-8")
    (folder / "detail.html").write_text(DETAIL, encoding="utf-8")
    out = run_pages(tmp_project, pages_flow("""
        - browser.goto: /list.html
        - browser.click: {target: 一覧.詳細, opens: popup}
        - browser.read_text: {target: 詳細.見出し, into: 見出し}
        - browser.switch_page: main
        - browser.click: 一覧.戻った印
        - browser.switch_page: popup
        - browser.fill: {target: 詳細.メモ, value: 電話で確認済み}
        - browser.click: 詳細.保存
        - browser.close_page: {}
        - browser.read_text: {target: 一覧.状態, into: 状態}
        """, head="outputs: [見出し, 状態]\n"), MAP)
    assert out.record.status is Status.PASS, out.record.error
    assert out.record.outputs == {"見出し": "受付 R0001 の詳細", "状態": "戻りました"}
    _wait_for(seen, "/memo?%E9%9B%BB%E8%A9%B1%E3%81%A7%E7%A2%BA%E8%AA%8D%E6%B8%88%E3%81%BF")
    assert "/memo?%E9%9B%BB%E8%A9%B1%E3%81%A7%E7%A2%BA%E8%AA%8D%E6%B8%88%E3%81%BF" in seen


def test_switching_to_a_popup_that_is_not_open_fails(pages: tuple[Path, list[str]],  # noqa: F811
                                                     tmp_project: Project) -> None:
    folder, _ = pages
    (folder / "list.html").write_text(LIST, encoding="utf-8")
    out = run_pages(tmp_project, pages_flow("""
        - browser.goto: /list.html
        - browser.switch_page: popup
        """), MAP)
    assert out.record.status is Status.FAIL
    assert "ポップアップがありません" in (out.record.error or "")


DIALOG_HEAD = """\
inputs: {file: {type: path, required: true}}
records: {from: excel, file: "{{ inputs.file }}", sheet: 一覧, columns: {番号: int, 宣言: str}}
outputs: [結果]
"""
DIALOG_STEPS = """
- browser.goto: /confirm.html
- browser.dialog: {accept: true, text: 登録しますか}
  when: "record.宣言 == 'する'"
- browser.dialog: {accept: true, text: 削除しますか}
  when: "record.宣言 == '違う文言'"
- browser.click: 登録.登録
- browser.read_text: {target: 登録.結果, into: 結果}
"""


@pytest.mark.parametrize("language", ["ja", "en"])
def test_an_undeclared_confirm_fails_the_record_and_a_declared_one_is_accepted(
        pages: tuple[Path, list[str]], tmp_project: Project, tmp_path: Path, language: str) -> None:  # noqa: F811
    folder, seen = pages
    (folder / "confirm.html").write_text(CONFIRM, encoding="utf-8")
    source = records_file(tmp_path / "一覧.xlsx", ["番号", "宣言"], [[1, "しない"], [2, "する"], [3, "違う文言"]])
    set_language(language)
    try:
        out = run_pages(tmp_project, pages_flow(DIALOG_STEPS, head=DIALOG_HEAD), MAP, inputs={"file": str(source)})
    finally:
        set_language("ja")
    first, second, third = out.result.records
    assert (first.status, first.error_kind) == (Status.FAIL, "input_record")
    assert (third.status, third.error_kind) == (Status.FAIL, "input_record")
    if language == "ja":
        assert first.error == "対象システムのダイアログ: 登録しますか？"
        assert third.error == "対象システムのダイアログ: 登録しますか？（期待した文言「削除しますか」を含みません）"
    else:
        assert first.error == "target system dialog: 登録しますか？"
        assert third.error == "target system dialog: 登録しますか？ (expected it to contain '削除しますか')"
    assert second.status is Status.PASS, second.error
    assert second.outputs["結果"] == "登録しました"
    _wait_for(seen, "/saved")
    assert seen.count("/saved") == 1  # only the declared confirm was accepted


def test_an_alert_never_hangs_and_a_declared_prompt_is_answered(pages: tuple[Path, list[str]],  # noqa: F811
                                                                tmp_project: Project) -> None:
    folder, seen = pages
    (folder / "confirm.html").write_text(CONFIRM, encoding="utf-8")
    started = time.monotonic()
    out = run_pages(tmp_project, pages_flow("""
        - browser.goto: /confirm.html
        - browser.click: 登録.警告
        """), MAP)
    assert time.monotonic() - started < 30  # the step timeout is 5 s: nothing waited on the alert
    assert out.record.status is Status.FAIL
    assert out.record.error == "対象システムのダイアログ: 郵便番号が違います"

    out = run_pages(tmp_project, pages_flow("""
        - browser.goto: /confirm.html
        - browser.dialog: {accept: true}
        - browser.click: 登録.警告
        - browser.read_text: {target: 登録.結果, into: 結果}
        - browser.dialog: {accept: true, prompt: "住所変更のため"}
        - browser.click: 登録.理由
        """, head="outputs: [結果]\n"), MAP)
    assert out.record.status is Status.PASS, out.record.error
    assert out.record.outputs["結果"] == "警告後"
    reason = "/reason?%E4%BD%8F%E6%89%80%E5%A4%89%E6%9B%B4%E3%81%AE%E3%81%9F%E3%82%81"
    _wait_for(seen, reason)
    assert reason in seen

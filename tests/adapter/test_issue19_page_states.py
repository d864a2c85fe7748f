"""Page states and receipts (issue 19 item 4) in real Chromium, through the real engine.

A small single-page app is served from a tmp folder by a plain HTTP server: a notice modal
shown on some loads (it covers the form until closed), an order form whose submit shows either
a receipt in place or a short-lived error toast (``.alert-error``, the system's error
indicator, hidden in the page until then), and a page counting its own loads.
"""

from __future__ import annotations

import functools
import http.server
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from flow_harness import Outcome, run_text
from PIL import Image

from bots.project import Project
from bots.results.model import RunStatus, Status

pytestmark = pytest.mark.browser

ORDER_PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>注文</title>
<style>
  #notice { position: fixed; inset: 0; background: rgba(0,0,0,.6); }
  #receipt { position: absolute; top: 200px; left: 20px; box-sizing: border-box; width: 320px; height: 120px; border: 2px solid #333; padding: 8px; }
</style></head>
<body>
<h1>注文</h1>
<form id="order" onsubmit="return submitOrder()">
  <label for="name">氏名</label><input id="name">
  <button type="submit">送信</button>
</form>
<p>閉じた回数: <span id="closed">0</span></p>
<div class="alert-error" role="alert" hidden></div>
<div id="receipt" hidden>受付番号 <span id="receipt_no"></span><br>個人番号 <span id="mynumber">123456789012</span></div>
<script>
  const params = new URLSearchParams(location.search);
  if (params.get("notice") === "1") {
    setTimeout(() => {  // shown a moment after the page, as SPAs do
      const notice = document.createElement("div");
      notice.id = "notice";
      notice.innerHTML = '<div style="background:#fff;margin:20% auto;width:300px">お知らせ<button id="close">閉じる</button></div>';
      document.body.appendChild(notice);
      document.getElementById("close").onclick = () => {
        notice.remove();
        const closed = document.getElementById("closed");
        closed.textContent = String(Number(closed.textContent) + 1);
      };
    }, 150);
  }
  function submitOrder() {
    const name = document.getElementById("name").value;
    setTimeout(() => {
      if (name === "ERR") {  // the server refused: a toast that goes away by itself
        const alert = document.querySelector(".alert-error");
        alert.textContent = "送信できませんでした（サーバーエラー）。もう一度送信してください";
        alert.hidden = false;
        setTimeout(() => { alert.hidden = true; }, 700);
      } else {
        document.getElementById("receipt_no").textContent = "R-" + name;
        document.getElementById("receipt").hidden = false;
      }
    }, 100);
    return false;
  }
</script>
</body></html>
"""

RELOAD_PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>再読込</title></head>
<body><p>読み込み回数: <span id="loads"></span></p>
<script>
  sessionStorage.loads = String(Number(sessionStorage.loads || 0) + 1);
  document.getElementById("loads").textContent = sessionStorage.loads;
</script></body></html>
"""

SELECTORS = """\
system: states
title: 画面の状態の確認
error_indicators:
  - name: 送信エラー
    kind: target_error
    nothing_saved: true
    candidates:
      - css: ".alert-error"
screens:
  お知らせ:
    elements:
      本体:
        - css: "#notice"
      閉じる:
        - role: button
          name: 閉じる
        - css: "#close"
  注文:
    elements:
      氏名:
        - label: 氏名
      送信:
        - role: button
          name: 送信
      閉じた回数:
        - css: "#closed"
  受領:
    sensitive: [個人番号]
    elements:
      領収書:
        - css: "#receipt"
      受付番号:
        - css: "#receipt_no"
      個人番号:
        - css: "#mynumber"
  再読込:
    elements:
      回数:
        - css: "#loads"
"""

HEADER = """\
id: page-states
title: 画面の状態
version: 1.0.0
owner: 情報政策係
env: [KZ_STATES_URL]
systems:
  states:
    base_url: "{{ env.KZ_STATES_URL }}"
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The pages above on a real HTTP server; ``KZ_STATES_URL`` points at it."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "order.html").write_text(ORDER_PAGE, encoding="utf-8")
    (root / "reload.html").write_text(RELOAD_PAGE, encoding="utf-8")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("KZ_STATES_URL", url)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture
def states_project(tmp_project: Project, site: str) -> Project:
    (tmp_project.selectors / "states.yaml").write_text(SELECTORS, encoding="utf-8")
    return tmp_project


def _run(project: Project, steps: str, head: str = "") -> Outcome:
    text = HEADER + textwrap.dedent(head) + "steps:\n" + textwrap.indent(textwrap.dedent(steps).strip("\n") + "\n", "  ")
    return run_text(project, text)


def _finished(out: Outcome, label: str) -> list[str]:
    """The statuses of every run of the step named ``label``, in order."""
    return [e["status"] for e in out.events if e.get("event") == "step_finished" and e.get("step") == label]


def test_modal_closed_only_when_shown(states_project: Project) -> None:
    """``when: visible(...)``: the close button is clicked on the load that shows the notice, and
    skipped on the one that does not; the form behind is keyed both times."""
    out = _run(states_project, """
        - control.set: {"回数一覧": "{{ [] }}"}
        - for_each:
            items: "['1', '0', '1']"
            as: notice
            steps:
              - browser.goto: "/order.html?notice={{ vars.notice }}"
              - name: お知らせを閉じる
                browser.click: お知らせ.閉じる
                when: visible(お知らせ.閉じる)
              - browser.click: 注文.送信
              - browser.wait_for: 受領.領収書
              - browser.read_text: {target: 注文.閉じた回数, into: 回数}
              - control.set: {"回数一覧": "{{ vars.回数一覧 + [vars.回数] }}"}
    """, head="outputs: [回数一覧]\nsettings: {visible_wait: 2s}\n")  # roomy: the machine may be busy
    assert out.result.status is RunStatus.COMPLETED, out.record.error
    assert _finished(out, "お知らせを閉じる") == ["PASS", "SKIP", "PASS"]
    assert out.record.outputs["回数一覧"] == ["1", "0", "1"]


def test_visible_is_false_without_waiting_for_the_step_timeout(states_project: Project) -> None:
    """``not visible(...)`` is a short look: an absent element is simply not shown."""
    out = _run(states_project, """
        - browser.goto: "/order.html?notice=0"
        - name: 無いときだけ
          control.set: {"見えない": "yes"}
          when: not visible("お知らせ.閉じる")
        - name: あるときだけ
          control.set: {"見える": "yes"}
          when: visible(注文.送信)
    """, head="outputs: [見えない, 見える]\nsettings: {step_timeout: 30s}\n")
    assert out.record.status is Status.PASS, out.record.error
    assert out.record.outputs == {"見えない": "yes", "見える": "yes"}


def test_optional_step_skipped_when_absent_and_acted_when_present(states_project: Project) -> None:
    out = _run(states_project, """
        - for_each:
            items: "['0', '1']"
            as: notice
            steps:
              - browser.goto: "/order.html?notice={{ vars.notice }}"
              - name: お知らせを閉じる
                browser.click: お知らせ.閉じる
                optional: true
              - browser.click: 注文.送信
              - browser.wait_for: 受領.領収書
        - browser.read_text: {target: 注文.閉じた回数, into: 回数}
    """, head="outputs: [回数]\nsettings: {step_timeout: 30s, optional_wait: 3s}\n")
    assert out.record.status is Status.PASS, out.record.error
    assert _finished(out, "お知らせを閉じる") == ["SKIP", "PASS"]
    assert out.record.outputs["回数"] == "1"  # the second load's notice was closed by the optional step
    (absent,) = out.notices("optional_absent")
    assert absent["target"] == "お知らせ.閉じる" and "省略" in absent["msg"]


def test_optional_step_ignores_an_absent_element_but_not_an_error_shown(states_project: Project) -> None:
    """The error indicator ends an optional step's look at once, and fails it with its message."""
    out = _run(states_project, """
        - browser.goto: "/order.html"
        - browser.fill: {target: 注文.氏名, value: ERR}
        - browser.click: 注文.送信
        - name: 領収書を閉じる
          browser.click: 受領.領収書
          optional: true
    """)
    assert out.record.status is Status.FAIL
    assert "送信できませんでした" in (out.record.error or "")
    assert _finished(out, "領収書を閉じる") == ["FAIL"]


def test_error_alert_after_submit_fails_the_wait_with_its_message(states_project: Project) -> None:
    """The toast shows for 0.7 s after the submit: waiting for the receipt watches the error
    indicator from the first poll, so the step fails with the toast's text (the former first
    slice of 1 s saw only a page without toast or receipt, and timed out)."""
    out = _run(states_project, """
        - browser.goto: "/order.html"
        - browser.fill: {target: 注文.氏名, value: ERR}
        - browser.click: 注文.送信
        - name: 領収書を待つ
          browser.wait_for: 受領.領収書
    """, head="settings: {step_timeout: 20s}\n")
    assert out.record.status is Status.FAIL
    assert out.record.error is not None
    assert "対象システムのエラー画面" in out.record.error
    assert "送信できませんでした（サーバーエラー）" in out.record.error
    (failed,) = out.failed_steps()
    assert failed["step"] == "領収書を待つ"


def test_error_alert_fails_read_text_and_element_screenshot_too(states_project: Project) -> None:
    for step in ("browser.read_text: {target: 受領.受付番号, into: 番号}",
                 "browser.screenshot: {target: 受領.領収書, name: 領収書}"):
        out = _run(states_project, f"""
            - browser.goto: "/order.html"
            - browser.fill: {{target: 注文.氏名, value: ERR}}
            - browser.click: 注文.送信
            - {step}
        """, head="settings: {step_timeout: 20s}\n")
        assert out.record.status is Status.FAIL, step
        assert "送信できませんでした（サーバーエラー）" in (out.record.error or ""), step


def test_hidden_indicator_in_the_page_is_not_an_error(states_project: Project) -> None:
    """The SPA keeps its alert box in the page, hidden: a happy submit is not failed by it."""
    out = _run(states_project, """
        - browser.goto: "/order.html"
        - browser.fill: {target: 注文.氏名, value: "0001"}
        - browser.click: 注文.送信
        - browser.read_text: {target: 受領.受付番号, into: 番号}
    """, head="outputs: [番号]\n")
    assert out.record.status is Status.PASS, out.record.error
    assert out.record.outputs == {"番号": "R-0001"}


def test_element_screenshot_and_pdf_receipt(states_project: Project) -> None:
    out = _run(states_project, """
        - browser.goto: "/order.html"
        - browser.fill: {target: 注文.氏名, value: "0042"}
        - browser.click: 注文.送信
        - browser.screenshot: {target: 受領.領収書, name: "領収書_{{ '0042' }}", into: 領収書画像}
        - browser.pdf: {name: 受付票, into: 受付票}
    """, head="outputs: [領収書画像, 受付票]\n")
    assert out.record.status is Status.PASS, out.record.error
    image = Path(out.record.outputs["領収書画像"])
    assert image == out.folder / "screenshots" / "領収書_0042.png"
    with Image.open(image) as png:
        assert png.size == (320, 120)  # the element's own box, not the page
        assert png.format == "PNG"
    receipt = Path(out.record.outputs["受付票"])
    assert receipt == out.folder / "receipts" / "受付票.pdf"
    assert receipt.read_bytes().startswith(b"%PDF")
    document = pdfium.PdfDocument(str(receipt))
    try:
        text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()
    assert "R-0042" in text  # the receipt is in the PDF …
    assert "123456789012" not in text  # … the element the map marks sensitive is not, not even as hidden text


def test_reload_loads_the_page_again(states_project: Project) -> None:
    out = _run(states_project, """
        - browser.goto: "/reload.html"
        - browser.read_text: {target: 再読込.回数, into: 初回}
        - browser.reload: {}
        - browser.read_text: {target: 再読込.回数, into: 再読込後}
    """, head="outputs: [初回, 再読込後]\n")
    assert out.record.status is Status.PASS, out.record.error
    assert out.record.outputs == {"初回": "1", "再読込後": "2"}


def test_optional_absent_notice_in_english(states_project: Project) -> None:
    from bots import i18n

    i18n.set_language("en")
    try:
        out = _run(states_project, """
            - browser.goto: "/order.html?notice=0"
            - browser.click: お知らせ.閉じる
              optional: true
        """)
    finally:
        i18n.set_language("ja")
    assert out.record.status is Status.PASS, out.record.error
    (absent,) = out.notices("optional_absent")
    assert absent["msg"] == "browser.click: skipped, お知らせ.閉じる did not show (optional)"

"""Selectors for pages nobody designed for automation (issue 19, item 3), in real Chromium through
the real engine: ``near_label`` on label-without-for, th/td, dt/dd and bare-text forms, a
parametrised radio group checked per record (values with quotes cannot escape the css/xpath),
and a screen inside an iframe.

The pages are plain HTML files served from the test's folder; what the form sent is what its own
script shows after submit, read back by the flow and compared here.
"""

from __future__ import annotations

import http.server
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flow_harness import Outcome, run_text

from bots.project import Project
from bots.results.model import Status

pytestmark = pytest.mark.browser

QUOTED = 'It\'s "quoted"]'

FORM = """<!doctype html><meta charset=utf-8><title>申込</title>
<form id=f onsubmit="event.preventDefault(); show()">
<div><label>氏名カナ</label><input name=kana></div>
<div><label>氏名：</label><input name=shimei></div>
<div><label>メール <input name=mail></label></div>
<table><tr><th>電話番号</th><td><input name=tel></td></tr>
<tr><th>区分 <span>*</span></th><td><select name=kubun><option>一般</option><option>法人</option></select></td></tr>
</table>
<dl><dt>住所</dt><dd><textarea name=addr></textarea></dd></dl>
<p>備考 <input name=biko></p>
<fieldset><legend>胴体</legend>
<label><input type=radio name=body value=赤>赤</label>
<label><input type=radio name=body value=青>青</label>
<label><input type=radio name=body value="It's &quot;quoted&quot;]">It's "quoted"]</label>
</fieldset>
<button type=submit>送信</button>
</form>
<p id=result></p>
<script>
function show() {
  const data = new FormData(document.getElementById('f'));
  document.getElementById('result').textContent = [...data.entries()].map(([k, v]) => k + '=' + v).join('|');
}
</script>
"""

OUTER = """<!doctype html><meta charset=utf-8><title>外枠</title><h1>外枠</h1>
<label>申請者</label><input id=decoy>
<iframe id=main src="inner.html" width=600 height=300></iframe>"""
INNER = """<!doctype html><meta charset=utf-8><title>中身</title>
<div><span>申請者</span><input id=applicant></div>
<button onclick="document.getElementById('echo').textContent = document.getElementById('applicant').value">反映</button>
<p id=echo></p>"""

MAP = """\
system: pages
screens:
  申込:
    url: /form.html
    elements:
      氏名: {near_label: 氏名}
      メール: {near_label: メール}
      電話番号: {near_label: 電話番号}
      区分: {near_label: 区分}
      住所: {near_label: 住所}
      備考: {near_label: 備考}
      胴体:
        - {role: radio, name: "{value}"}
        - css: "input[name=body][value='{value}']"
      胴体css:
        - css: "input[name=body][value='{value}']"
      胴体xpath:
        - xpath: "//input[@name='body'][@value='{value}']"
      送信: {role: button, name: 送信}
      結果: {css: "#result"}
  外枠:
    url: /outer.html
    elements:
      申請者: {near_label: 申請者}
  中身:
    frame: "iframe#main"
    elements:
      申請者: {near_label: 申請者}
      反映: {role: button, name: 反映}
      表示: {css: "#echo"}
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    """Serves the test's folder; remembers each path asked for (what a page's script sent)."""

    seen: list[str] = []

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.seen.append(self.path)  # once per request (a 404 is also logged as an error)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture
def pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, list[str]]]:
    """A folder of HTML pages served over HTTP (``KZ_PAGES_URL``); yields it and the paths requested."""
    folder = tmp_path / "pages"
    folder.mkdir()
    seen: list[str] = []
    handler = type("Handler", (_Quiet,), {"seen": seen})

    def make(*args: Any, **kwargs: Any) -> http.server.SimpleHTTPRequestHandler:
        return handler(*args, directory=str(folder), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("KZ_PAGES_URL", f"http://127.0.0.1:{server.server_address[1]}")
    yield folder, seen
    server.shutdown()
    server.server_close()


def pages_flow(steps: str, *, head: str = "") -> str:
    """A flow on the ``pages`` system: header, ``head`` (records, outputs…) and ``steps``."""
    return textwrap.dedent("""\
        id: issue19-pages
        title: 自動化を考えていない画面
        version: 1.0.0
        owner: 情報政策係
        env: [KZ_PAGES_URL]
        systems:
          pages:
            base_url: "{{ env.KZ_PAGES_URL }}"
        settings: {step_timeout: 5s}
        """) + textwrap.dedent(head) + "steps:\n" + textwrap.indent(textwrap.dedent(steps).strip("\n") + "\n", "  ")


def records_file(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "一覧"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def run_pages(project: Project, text: str, selector_map: str = MAP, **kwargs: Any) -> Outcome:
    (project.selectors / "pages.yaml").write_text(selector_map, encoding="utf-8")
    return run_text(project, text, **kwargs)


RECORDS_HEAD = """\
inputs: {file: {type: path, required: true}}
records: {from: excel, file: "{{ inputs.file }}", sheet: 一覧, columns: {氏名: str, 胴体: str}}
outputs: [結果]
"""

KEY_FORM = """
- browser.goto: /form.html
- browser.fill: {target: 申込.氏名, value: "{{ record.氏名 }}"}
- browser.fill: {target: 申込.メール, value: a@example.jp}
- browser.fill: {target: 申込.電話番号, value: 03-1234-5678}
- browser.select: {target: 申込.区分, label: 法人}
- browser.fill: {target: 申込.住所, value: 風車町1-1}
- browser.fill: {target: 申込.備考, value: なし}
- browser.check: "申込.RADIO[{{ record.胴体 }}]"
- {browser.click: 申込.送信, commit: true}
- browser.read_text: {target: 申込.結果, into: 結果}
"""


@pytest.mark.parametrize("radio", ["胴体", "胴体css", "胴体xpath"])
def test_near_label_form_and_a_radio_group_per_record(pages: tuple[Path, list[str]], tmp_project: Project,
                                                      tmp_path: Path, radio: str) -> None:
    folder, _ = pages
    (folder / "form.html").write_text(FORM, encoding="utf-8")
    people = [["山田 太郎", "赤"], ["佐藤 花子", "青"], ["鈴木 一郎", QUOTED]]
    source = records_file(tmp_path / "一覧.xlsx", ["氏名", "胴体"], people)

    out = run_pages(tmp_project, pages_flow(KEY_FORM.replace("RADIO", radio), head=RECORDS_HEAD),
                    inputs={"file": str(source)})

    assert [r.status for r in out.result.records] == [Status.PASS] * 3, [r.error for r in out.result.records]
    for record, (name, body) in zip(out.result.records, people, strict=True):
        assert record.outputs["結果"] == (f"kana=|shimei={name}|mail=a@example.jp|tel=03-1234-5678|kubun=法人"
                                         f"|addr=風車町1-1|biko=なし|body={body}")
    assert not out.notices("selector_drift")


@pytest.mark.parametrize("radio", ["胴体css", "胴体xpath"])
def test_a_value_cannot_break_out_of_the_selector(pages: tuple[Path, list[str]], tmp_project: Project,
                                                  radio: str) -> None:
    folder, _ = pages
    (folder / "form.html").write_text(FORM, encoding="utf-8")
    # Unescaped, each would close the quoted value and match every radio button of the group.
    escape = "x'] , input[name=body" if radio == "胴体css" else "x' or @name='body"
    out = run_pages(tmp_project, pages_flow(f"""
        - browser.goto: /form.html
        - browser.check: "申込.{radio}[{escape}]"
          timeout: 1s
        """))
    assert out.record.status is Status.FAIL
    assert out.record.error_kind == "element_not_found", out.record.error


def test_a_screen_inside_an_iframe(pages: tuple[Path, list[str]], tmp_project: Project) -> None:
    folder, _ = pages
    (folder / "outer.html").write_text(OUTER, encoding="utf-8")
    (folder / "inner.html").write_text(INNER, encoding="utf-8")
    out = run_pages(tmp_project, pages_flow("""
        - browser.goto: /outer.html
        - browser.fill: {target: 外枠.申請者, value: 外の欄}
        - browser.fill: {target: 中身.申請者, value: 風車 花子}
        - browser.click: 中身.反映
        - browser.read_text: {target: 中身.表示, into: 表示}
        """, head="outputs: [表示]\n"))
    assert out.record.status is Status.PASS, out.record.error
    assert out.record.outputs["表示"] == "風車 花子"

"""A web commit step never submits on a guess, and the paths a step renders stay in their roots
(issue 16), against the real demo web system in real Chromium through the real engine.

What arrived is judged by the demo system's own store, never by the bot's account alone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from demo_client import VALID, Client, tiny_pdf
from flow_harness import flow_text, run_text
from kazaguruma_demo.web.server import DemoServer
from kazaguruma_demo.web.store import read_all, read_attachments
from test_browser_steps import FILL_ENTRY, _edit_selectors

from bots.project import Project
from bots.results.model import Status

pytestmark = pytest.mark.browser

Demo = Callable[..., DemoServer]

#: The 登録 button's accessible name changed on the screen: only its css fallback still finds it.
REGISTER = '      登録:\n        - role: button\n          name: 登録\n'
DRIFTED = '      登録:\n        - role: button\n          name: 登録する\n'
SUBMIT = FILL_ENTRY + """
    - browser.click: 申請入力.確認へ
    - browser.wait_for: 確認.氏名
    - {browser.click: 確認.登録, commit: true}
    - browser.wait_for: 完了.受付番号
"""


def test_a_commit_found_only_by_a_fallback_submits_nothing(demo_web: Demo, project: Project,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    server = demo_web()
    _edit_selectors(project, REGISTER, DRIFTED)

    out = run_text(project, flow_text(SUBMIT))

    record = out.record
    assert (record.status, record.error_kind) == (Status.FAIL, "selector_drift"), record.error  # not 要確認
    assert "確認.登録" in (record.error or "") and "第2候補 (css='#submit')" in (record.error or "")
    assert "allow_fallback_commit" in (record.error or "")
    assert read_all(server.config.db_path) == []  # nothing was submitted

    monkeypatch.setenv("KZ_LANG", "en")
    out = run_text(project, flow_text(SUBMIT))
    assert (out.record.error or "").startswith("commit not performed (nothing submitted): 確認.登録")
    assert read_all(server.config.db_path) == []


def test_a_fallback_the_map_allows_for_the_element_is_used(demo_web: Demo, project: Project) -> None:
    server = demo_web()
    _edit_selectors(project, REGISTER, DRIFTED)
    _edit_selectors(project, "  確認:\n    url: /confirm\n", "  確認:\n    url: /confirm\n    allow_fallback_commit: [登録]\n")

    out = run_text(project, flow_text(SUBMIT))

    assert out.record.status is Status.PASS, out.record.error
    assert len(read_all(server.config.db_path)) == 1
    assert [d["element"] for d in out.notices("selector_drift")] == ["確認.登録"]  # still reported


def test_an_upload_outside_the_allowed_folders_sends_nothing(demo_web: Demo, project: Project,
                                                             tmp_path: Path) -> None:
    server = demo_web()
    client = Client(server)
    client.login()
    client.submit(VALID)
    receipt_no = read_all(server.config.db_path)[0]["receipt_no"]
    outside = tmp_path / "私物.pdf"  # beside the project, not in it
    outside.write_bytes(tiny_pdf("not for the core system"))
    head = "inputs:\n  receipt: {type: str}\n  file: {type: path}\n"
    steps = """
          - browser.goto: /attachments
          - browser.fill: {target: 添付.受付番号, value: "{{ inputs.receipt }}"}
          - browser.upload: {target: 添付.添付ファイル, file: "{{ inputs.file }}"}
          - browser.click: 添付.アップロード
        """
    for given in (outside, Path("/etc/passwd")):
        out = run_text(project, flow_text(steps, head=head), inputs={"receipt": receipt_no, "file": str(given)})
        assert (out.record.status, out.record.error_kind) == (Status.FAIL, "input_record")
        assert "許可されたフォルダの外" in (out.record.error or "") and str(given) in (out.record.error or "")
    assert read_attachments(server.config.db_path) == []


def test_a_download_named_outside_the_run_folder_is_not_written(demo_web: Demo, project: Project) -> None:
    demo_web()
    out = run_text(project, flow_text("""
          - browser.goto: /menu
          - browser.download: {target: メニュー.CSV出力, save_as: "{{ inputs.name }}"}
        """, head="inputs:\n  name: {type: str}\n"), inputs={"name": "../../逃げた.csv"})
    assert (out.record.status, out.record.error_kind) == (Status.FAIL, "input_record")
    assert "downloads/ の中だけ" in (out.record.error or "")
    assert not (out.folder.parent / "逃げた.csv").exists() and not (out.folder / "逃げた.csv").exists()

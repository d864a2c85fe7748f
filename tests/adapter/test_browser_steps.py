"""Every browser step against the real demo web system in real chromium, through the real engine.

Each test writes a small flow into a tmp project (the real ``selectors/demo_web.yaml`` and login
sub-flow copied in), runs it, and judges the outcome by the run result, ``run.jsonl`` and what
arrived in the demo system's SQLite store.
"""

from __future__ import annotations

import hashlib
import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from demo_client import VALID, Client, FakeClock, tiny_pdf, tiny_png
from flow_harness import REPO, flow_text, run_text
from kazaguruma_demo.sample_data import make_applications, write_applications_xlsx
from kazaguruma_demo.web.server import DemoServer
from kazaguruma_demo.web.store import read_all, read_attachments

from bots.errors import ExitCode
from bots.flow.loader import load_flow
from bots.project import Project
from bots.results.listener import RunListener
from bots.results.model import RunStatus, Status, StepResult
from bots.spec.diagnostics import Severity

pytestmark = pytest.mark.browser

Demo = Callable[..., DemoServer]

#: Steps that fill the entry form with a valid application (by the selector map).
FILL_ENTRY = """
    - browser.goto: /entry
    - browser.fill: {target: 申請入力.氏名, value: 風車 花子}
    - browser.fill: {target: 申請入力.フリガナ, value: カザグルマ ハナコ}
    - browser.fill: {target: 申請入力.生年月日, value: 1985-07-07}
    - browser.select: {target: 申請入力.性別, label: 女}
    - browser.fill: {target: 申請入力.郵便番号, value: 100-0001}
    - browser.fill: {target: 申請入力.住所, value: ○○市風車町1-1}
    - browser.fill: {target: 申請入力.電話番号, value: 03-1111-2222}
    - browser.select: {target: 申請入力.申請種別, value: 印鑑登録証明書}
    - browser.check: 申請入力.同意
"""


def _edit_selectors(project: Project, old: str, new: str) -> None:
    path = project.selectors / "demo_web.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_form_steps_key_one_application(demo_web: Demo, project: Project) -> None:
    server = demo_web()
    out = run_text(project, flow_text(FILL_ENTRY, r"""
          - browser.check: {target: 申請入力.同意, checked: false}
          - browser.click: 申請入力.確認へ
          - browser.expect_text: {target: 申請入力.入力エラー, text: 記載内容の確認欄にチェックを入れてください}
          - browser.check: {target: 申請入力.同意, checked: true}
          - browser.click: 申請入力.確認へ
          - browser.wait_for: 確認.登録
          - browser.expect_text: {target: 確認.申請種別, pattern: "^印鑑登録証明書$"}
          - {browser.click: 確認.登録, commit: true}
          - browser.wait_for: 完了.受付番号
          - browser.read_text: {target: 完了.受付番号, into: 受付番号}
          - browser.read_text: {target: 完了.受付番号, into: 受付年, pattern: 'R(\d{4})-\d{6}'}
          - browser.screenshot: 完了画面
          - browser.close: {}
        """, head="outputs: [受付番号, 受付年]\n"))
    assert out.result.status is RunStatus.COMPLETED, out.record.error
    assert out.record.status is Status.PASS
    rows = read_all(server.config.db_path)
    assert [(r["氏名"], r["性別"], r["申請種別"], r["同意"]) for r in rows] == [("風車 花子", "女", "印鑑登録証明書", 1)]
    receipt_no = rows[0]["receipt_no"]
    assert out.record.outputs == {"受付番号": receipt_no, "受付年": receipt_no[1:5]}
    assert _is_png(out.folder / "screenshots" / "完了画面.png")
    assert not out.failed_steps()


def test_search_by_enter_and_csv_download(demo_web: Demo, project: Project) -> None:
    server = demo_web()
    client = Client(server)
    client.login()
    client.submit()
    client.submit({**VALID, "shimei": "佐藤 花子", "furigana": "サトウ ハナコ"})
    text = flow_text("""
          - browser.goto: /search
          - browser.fill: {target: {css: "#s_shimei"}, value: 佐藤 花子}
          - browser.press: {target: 検索.氏名, key: Enter}
          - browser.wait_for: 検索.件数
          - browser.read_text: {target: 検索.件数, into: 件数, pattern: '(\\d+)件'}
          - browser.expect_text: {target: 検索.結果_氏名, text: 佐藤 花子}
          - browser.goto: /menu
          - browser.download: {target: メニュー.CSV出力, into: csv}
        """, head="outputs: [件数, csv]\n")
    out = run_text(project, text)
    assert out.record.status is Status.PASS, out.record.error
    assert out.record.outputs["件数"] == "1"
    csv_path = Path(out.record.outputs["csv"])
    assert csv_path.parent == out.folder / "downloads"
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("受付番号,氏名,フリガナ")
    assert [line.split(",")[:2] for line in lines[1:]] == [[r["receipt_no"], r["氏名"]] for r in read_all(server.config.db_path)]
    # The raw locator worked, and validate points at it.
    loaded, found = load_flow(project.flows / "test_flow.yaml", project)
    assert loaded is not None
    warnings = [d for d in found if d.severity is Severity.WARNING]
    raw_line = next(n for n, line in enumerate(text.splitlines(), 1) if "#s_shimei" in line)
    assert [(w.pos.line if w.pos else None) for w in warnings] == [raw_line]
    assert "直接指定" in warnings[0].message


def test_upload_attaches_real_files(demo_web: Demo, project: Project, tmp_path: Path) -> None:
    server = demo_web()
    client = Client(server)
    client.login()
    client.submit()
    receipt_no = read_all(server.config.db_path)[0]["receipt_no"]
    folder = project.root / "添付書類"  # uploads come from the allowed folders (the project, paths.roots)
    folder.mkdir()
    pdf, png = folder / "住民票の写し.pdf", folder / "本人確認書類.png"
    pdf.write_bytes(tiny_pdf("attachment test"))
    png.write_bytes(tiny_png(64, 32))
    head = """
        inputs:
          receipt: {type: str, required: true}
          pdf: {type: path, required: true}
          png: {type: path, required: true}
        outputs: [添付名]
        """
    out = run_text(project, flow_text("""
          - for_each:
              items: "[inputs.pdf, inputs.png]"
              as: file
              steps:
                - browser.goto: /attachments
                - browser.fill: {target: 添付.受付番号, value: "{{ inputs.receipt }}"}
                - browser.upload: {target: 添付.添付ファイル, file: "{{ vars.file }}"}
                - browser.click: 添付.アップロード
                - browser.wait_for: 添付.完了メッセージ
                - browser.read_text: {target: 添付.添付したファイル名, into: 添付名}
        """, head=head), inputs={"receipt": receipt_no, "pdf": str(pdf), "png": str(png)})
    assert out.record.status is Status.PASS, out.record.error
    assert out.record.outputs == {"添付名": png.name}
    stored = read_attachments(server.config.db_path)
    assert [(r["receipt_no"], r["filename"], r["size"], r["sha256"]) for r in stored] == [
        (receipt_no, f.name, f.stat().st_size, hashlib.sha256(f.read_bytes()).hexdigest()) for f in (pdf, png)
    ]


def test_expect_text_mismatch_fails_the_record_with_a_clear_message(demo_web: Demo, project: Project) -> None:
    demo_web()
    out = run_text(project, flow_text("""
          - browser.open: {system: demo_web, url: /login}
          - browser.expect_text: {target: ログイン.ログイン, text: ログアウト}
        """, login=False))
    assert out.result.status is RunStatus.COMPLETED
    assert (out.record.status, out.record.error_kind) == (Status.FAIL, "expectation")
    assert out.record.error == "ログイン.ログイン の表示が違います: 期待 'ログアウト'、実際 'ログイン'"
    assert out.result.exit_code == ExitCode.RECORDS_FAILED


def test_selector_drift_keys_on_and_is_reported_once(demo_web: Demo, project: Project, tmp_path: Path) -> None:
    server = demo_web()
    # The screen's label was renamed: the first candidate no longer matches, the css fallback does.
    _edit_selectors(project, '      氏名:\n        - label: 氏名\n        - css: "#shimei"',
                    '      氏名:\n        - label: 氏名（漢字）\n        - css: "#shimei"')
    shutil.copy(REPO / "flows" / "shinsei_nyuryoku.yaml", project.flows / "shinsei_nyuryoku.yaml")
    source = tmp_path / "申請一覧.xlsx"
    write_applications_xlsx(source, [row for row, _ in make_applications(3, seed=3, bad=0)])
    out = run_text(project, (project.flows / "shinsei_nyuryoku.yaml").read_text(encoding="utf-8"),
                   name="shinsei_nyuryoku.yaml", input_file=source)
    assert [r.status for r in out.result.records] == [Status.PASS] * 3, [r.error for r in out.result.records]
    assert len(read_all(server.config.db_path)) == 3
    drift = out.notices("selector_drift")
    assert [(d["element"], d["candidate"]) for d in drift] == [("申請入力.氏名", 2)]
    assert "label='氏名（漢字）'" in drift[0]["msg"] and "css='#shimei'" in drift[0]["msg"]


def test_missing_element_fails_within_the_step_timeout_with_a_screenshot(demo_web: Demo, project: Project) -> None:
    demo_web()
    shimei = '      氏名:\n        - label: 氏名\n        - css: "#shimei"\n'
    _edit_selectors(project, shimei, '      申請番号:\n        - label: 申請番号\n        - css: "#application_no"\n' + shimei)
    out = run_text(project, flow_text("""
          - browser.goto: /entry
          - {browser.fill: {target: 申請入力.申請番号, value: A-1}, timeout: 1s}
        """))
    assert (out.record.status, out.record.error_kind) == (Status.FAIL, "element_not_found")
    assert "申請入力.申請番号" in (out.record.error or "")
    (failed,) = out.failed_steps()
    assert failed["action"] == "browser.fill" and failed["elapsed_ms"] < 5000  # 1 s, not the 10 s default
    assert out.record.screenshot and _is_png(Path(out.record.screenshot))


def test_http_500_fails_the_record_as_target_system(demo_web: Demo, project: Project) -> None:
    server = demo_web(fault_rate=1.0, fault_paths=("/confirm",))
    out = run_text(project, flow_text(FILL_ENTRY, """
          - browser.click: 申請入力.確認へ
          - browser.wait_for: 確認.登録
        """))
    assert (out.record.status, out.record.error_kind) == (Status.FAIL, "target_system")
    assert "混雑" in (out.record.error or "")
    assert read_all(server.config.db_path) == []


class _LunchBreak(RunListener):
    """Moves the demo system's clock past the idle limit when the step named 昼休み ends."""

    def __init__(self, clock: FakeClock, seconds: float) -> None:
        self.clock, self.seconds = clock, seconds

    def step_finished(self, result: StepResult, depth: int) -> None:
        if result.label == "昼休み":
            self.clock.now += self.seconds


def test_session_expiry_mid_run_fails_the_step(demo_web: Demo, project: Project) -> None:
    clock = FakeClock()
    server = demo_web(clock=clock, session_idle_seconds=60)
    out = run_text(project, flow_text(FILL_ENTRY, """
          - {name: 昼休み, log: 席を外します}
          - browser.click: 申請入力.確認へ
          - browser.wait_for: 確認.登録
        """), extra=[_LunchBreak(clock, 61)])
    assert (out.record.status, out.record.error_kind) == (Status.FAIL, "session_expired")
    assert "セッション" in (out.record.error or "")
    assert read_all(server.config.db_path) == []


def test_target_system_down_aborts_the_run_before_any_record(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("KZ_DEMO_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("KZ_DEMO_PASSWORD", "demo-pass-2026")
    shutil.copy(REPO / "flows" / "shinsei_nyuryoku.yaml", project.flows / "shinsei_nyuryoku.yaml")
    source = tmp_path / "申請一覧.xlsx"
    write_applications_xlsx(source, [row for row, _ in make_applications(3, seed=4, bad=0)])
    out = run_text(project, (project.flows / "shinsei_nyuryoku.yaml").read_text(encoding="utf-8"),
                   name="shinsei_nyuryoku.yaml", input_file=source)
    assert out.result.status is RunStatus.ABORTED
    assert "準備処理に失敗しました" in (out.result.error or "")
    assert [r.status for r in out.result.records] == [Status.NOT_RUN] * 3
    assert out.result.exit_code == ExitCode.ABORTED == 3
    # The login sub-flow's first step failed, and with it the call in setup.
    assert [(e["action"], e["kind"]) for e in out.failed_steps()] == [
        ("browser.open", "target_system"), ("control.call", "target_system")]
    assert "対象システムに接続できません" in out.failed_steps()[0]["error"]


def test_select_of_an_option_the_list_does_not_offer_is_bad_input(demo_web: Demo, project: Project) -> None:
    demo_web()
    out = run_text(project, flow_text("""
          - browser.goto: /entry
          - {browser.select: {target: 申請入力.性別, label: 男性}, timeout: 1s}
        """))
    assert (out.record.status, out.record.error_kind) == (Status.FAIL, "input_record")
    assert out.record.error == "申請入力.性別 に選択肢 '男性' がありません（画面の選択肢: 選択してください、男、女、その他）"


def test_click_with_a_slow_next_page_is_sent_once_and_succeeds(demo_web: Demo, project: Project) -> None:
    """The click's wait for the next page outlasts the first wait slice: the click must not be repeated."""
    server = demo_web(slow_ms=1500, slow_paths=("/complete",))
    out = run_text(project, flow_text(FILL_ENTRY, """
          - browser.click: 申請入力.確認へ
          - {browser.click: 確認.登録, commit: true}
          - browser.read_text: {target: 完了.受付番号, into: 受付番号}
        """, head="outputs: [受付番号]\n"))
    assert out.record.status is Status.PASS, out.record.error
    (stored,) = read_all(server.config.db_path)
    assert out.record.outputs["受付番号"] == stored["receipt_no"]


def test_commit_refused_by_the_system_before_submitting_is_failed_not_review(demo_web: Demo, project: Project) -> None:
    """The 登録 button never appeared (validation message instead): nothing was submitted, so 失敗."""
    server = demo_web()
    out = run_text(project, flow_text(FILL_ENTRY.replace("1985-07-07", "2999-01-01"), """
          - browser.click: 申請入力.確認へ
          - {browser.click: 確認.登録, commit: true}
        """))
    assert (out.record.status, out.record.error_kind) == (Status.FAIL, "input_record")
    assert "未来の日付" in (out.record.error or "")
    assert read_all(server.config.db_path) == []

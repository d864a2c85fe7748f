"""A desktop commit never succeeds on a guess (issue 16), on the real Tk app on Xvfb with real
tesseract: ``{text: OK}`` is the box of the OK word only (never the "Cancel OK" line), a commit
whose element only a fallback found clicks nothing, and a commit nobody saw take effect is 要確認.

What the app received is judged by its own state file, never by the bot's account alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import desktop_tk as app
import openpyxl
import pytest
from desktop_harness import HEADER, TkApp, desktop_project, run_steps, tk_app  # noqa: F401
from flow_harness import run_job

from bots.adapters.desktop import grab
from bots.adapters.screen_text import find_text
from bots.platform.desktop import Rect
from bots.project import Project
from bots.results.journal import JournalState
from bots.results.model import Status
from bots.store.store import RunStore

pytestmark = [pytest.mark.display, pytest.mark.tesseract]


@pytest.fixture
def project(tmp_project: Project, tk_app: TkApp) -> Project:  # noqa: F811
    tk_app.reset()
    return desktop_project(tmp_project, tk_app)


def _settled(tk: TkApp) -> dict[str, Any]:
    """The app's state once it has handled every event sent before now (a round trip, not a sleep)."""
    tk.command("return")  # one of these two waits sees a real change, whichever window had the focus
    tk.wait(lambda s: s["focus"] == "main")
    tk.command("steal")
    state = tk.wait(lambda s: s["focus"] == "other")
    tk.command("return")
    tk.wait(lambda s: s["focus"] == "main")
    return state


def test_the_text_ok_is_the_box_of_the_ok_word_not_of_the_line(tk_app: TkApp) -> None:  # noqa: F811
    x, y, _, _ = app.OTHER_GEOMETRY
    bx, by = app.BUTTONS
    row = Rect(x + bx - 10, y + by - 10, 200, 50)
    shot = grab(row)
    ok, cancel = find_text(shot, "OK", "eng"), find_text(shot, "Cancel", "eng")
    assert ok is not None and cancel is not None
    assert ok.x >= cancel.x + cancel.width, (ok, cancel)  # entirely right of Cancel
    assert ok.width < cancel.width


def test_text_ok_clicks_ok_never_cancel(project: Project, tk_app: TkApp) -> None:  # noqa: F811
    outcome = run_steps(project, """
        - desktop.focus: ボタン
        - desktop.click: ボタン.OK
          commit: true
        - desktop.wait_for: 入力.完了図
    """)
    assert outcome.record.status is Status.PASS, outcome.failed_steps()
    assert _settled(tk_app)["clicked"] == "OK"


def test_a_commit_found_only_by_the_ocr_fallback_clicks_nothing(project: Project, tk_app: TkApp,  # noqa: F811
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Another theme: the OK button's image no longer matches; ``{text: OK}`` is a guess."""
    outcome = run_steps(project, """
        - desktop.focus: ボタン
        - desktop.click: ボタン.OK別テーマ
          commit: true
        - desktop.wait_for: 入力.完了図
    """)
    record = outcome.record
    assert (record.status, record.error_kind) == (Status.FAIL, "selector_drift"), record.error  # 失敗, not 要確認
    assert "ボタン.OK別テーマ" in (record.error or "") and "第2候補 (text='OK')" in (record.error or "")
    state = _settled(tk_app)
    assert state["clicked"] == "" and not state["done"]

    monkeypatch.setenv("KZ_LANG", "en")
    outcome = run_steps(project, """
        - desktop.click: ボタン.OK別テーマ
          commit: true
    """)
    assert (outcome.record.error or "").startswith("commit not performed (nothing submitted): ボタン.OK別テーマ")
    assert _settled(tk_app)["clicked"] == ""


def test_a_fallback_the_map_allows_is_clicked(project: Project, tk_app: TkApp) -> None:  # noqa: F811
    outcome = run_steps(project, """
        - desktop.focus: ボタン
        - desktop.click: ボタン.OK許可
          commit: true
        - desktop.wait_for: 入力.完了図
    """)
    assert outcome.record.status is Status.PASS, outcome.failed_steps()
    assert _settled(tk_app)["clicked"] == "OK"
    assert [d["element"] for d in outcome.notices("selector_drift")] == ["ボタン.OK許可"]


def test_a_commit_with_no_observed_effect_needs_review(project: Project, tk_app: TkApp,  # noqa: F811
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The click lands on Cancel: nothing changes, nothing after it looks. Never 成功."""
    outcome = run_steps(project, """
        - desktop.focus: ボタン
        - name: 登録
          desktop.click: ボタン.Cancel
          commit: true
        - desktop.press: tab
    """)
    record = outcome.record
    assert (record.status, record.error_kind) == (Status.REVIEW, "needs_review")
    assert "登録操作（登録）の後" in (record.error or "") and "desktop.wait_window" in (record.error or "")
    assert _settled(tk_app)["clicked"] == "Cancel"

    monkeypatch.setenv("KZ_LANG", "en")
    outcome = run_steps(project, """
        - desktop.focus: ボタン
        - {desktop.press: tab, commit: true}
    """)
    assert outcome.record.status is Status.REVIEW
    assert (outcome.record.error or "").startswith("after the commit step (desktop.press) no step observed an effect")


def test_an_unobserved_commit_is_journalled_for_review_and_never_keyed_again(
        project: Project, tk_app: TkApp, runs_url: str, store: RunStore, tmp_path: Path) -> None:  # noqa: F811
    book = openpyxl.Workbook()
    book.active.append(["名前"])
    book.active.append(["一人目"])
    book.save(tmp_path / "list.xlsx")
    flow = project.flows / "blind.yaml"
    flow.write_text(HEADER.format(id="blind") + """records:
  from: excel
  file: "{{ inputs.file }}"
  columns: {名前: str}
inputs:
  file: {type: path}
steps:
  - desktop.focus: ボタン
  - {desktop.click: ボタン.Cancel, commit: true}
""", encoding="utf-8")
    out = run_job(project, flow, store_url=runs_url, input_file=tmp_path / "list.xlsx")
    (record,) = out.result.records
    assert record.status is Status.REVIEW and out.result.exit_code == 1
    assert store.entries(out.result.journal_id)[1].state is JournalState.REVIEW  # a resume reports it, never re-keys
    assert _settled(tk_app)["clicked"] == "Cancel"

"""Desktop steps through the real engine against a real Tk app on Xvfb, with real pyautogui.

What arrived is judged by the app's own state file, never by the bot's read-back alone.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from desktop_harness import HEADER, TkApp, desktop_project, run_steps, tk_app  # noqa: F401
from flow_harness import run_text

from bots.platform.desktop import current_platform, find_windows
from bots.platform.wait import wait_until
from bots.project import Project
from bots.results.listener import RunListener
from bots.results.model import RunStatus, Status, StepResult

pytestmark = pytest.mark.display

NAME = "髙橋 𠮷田 ｶﾀｶﾅ １２３ 渡邉"
ASCII = "Abc <tag> & 'q' \"x\" 1-2"


@pytest.fixture
def project(tmp_project: Project, tk_app: TkApp) -> Project:  # noqa: F811
    tk_app.reset()
    return desktop_project(tmp_project, tk_app)


def test_type_japanese_and_ascii_arrive_exactly_and_read_back(project: Project, tk_app: TkApp) -> None:  # noqa: F811
    platform = current_platform()
    platform.clipboard_keep("職員がコピーした文")
    outcome = run_steps(project, f"""
        - desktop.focus: 入力
        - desktop.type: {{target: 入力.欄A, value: "{NAME}"}}
        - desktop.type: {{target: 入力.欄B, value: '{ASCII.replace("'", "''")}'}}
        - desktop.verify_field: {{target: 入力.欄A, value: "{NAME}"}}
        - desktop.read_text: {{target: 入力.欄B, via: clipboard, into: b}}
        - desktop.type: {{target: 入力.欄A, value: "上書き", clear: true}}
    """, head="outputs: [b]\n")
    assert outcome.record.status is Status.PASS, ([(e["action"], e["error"]) for e in outcome.failed_steps()],
                                                  tk_app.state())
    assert outcome.record.outputs == {"b": ASCII}
    state = tk_app.wait(lambda s: s["a"] == "上書き")
    assert state["b"] == ASCII and state["c"] == ""
    assert platform.clipboard_get() == "職員がコピーした文"  # staff's clipboard given back


def test_verify_field_reports_a_difference(project: Project, tk_app: TkApp) -> None:  # noqa: F811
    outcome = run_steps(project, """
        - desktop.focus: 入力
        - desktop.type: {target: 入力.欄A, value: 高橋}
        - desktop.verify_field: {target: 入力.欄A, value: 髙橋}
    """)
    assert outcome.record.status is Status.FAIL and outcome.record.error_kind == "expectation"
    assert "髙橋" in (outcome.record.error or "") and "高橋" in (outcome.record.error or "")


def test_typing_is_refused_when_another_window_has_the_focus(project: Project, tk_app: TkApp) -> None:  # noqa: F811
    tk_app.command("steal")
    tk_app.wait(lambda s: s["focus"] == "other")
    outcome = run_steps(project, """
        - desktop.type: {window: 入力, value: 誤入力}
    """)
    assert outcome.record.status is Status.FAIL and outcome.record.error_kind == "focus_lost"
    assert "KZ入力テスト" in (outcome.record.error or "")
    state = tk_app.state()
    assert (state["a"], state["b"], state["c"]) == ("", "", "")



class _GiveFocusBackOnRetry(RunListener):
    """The staff member clicks back into the entry window when the bot says it will retry."""

    def __init__(self, tk: TkApp) -> None:
        self.tk = tk
        self.retries: list[dict[str, Any]] = []

    def notice(self, kind: str, message: str, data: dict[str, Any]) -> None:
        if kind == "retry":
            self.retries.append(data)
            self.tk.command("return")
            self.tk.wait(lambda s: s["focus"] == "main")


def test_retry_on_focus_lost_types_once_the_window_has_the_focus_again(
        project: Project, tk_app: TkApp) -> None:  # noqa: F811
    tk_app.command("steal")
    tk_app.wait(lambda s: s["focus"] == "other")
    staff = _GiveFocusBackOnRetry(tk_app)
    outcome = run_text(project, HEADER.format(id="retry-focus") + """steps:
  - desktop.type: {window: 入力, value: 二度目}
    retry: {on: [focus_lost], attempts: 3, backoff: 50ms}
""", extra=[staff])
    assert outcome.record.status is Status.PASS, outcome.failed_steps()
    assert [(r["attempt"], r["kind"]) for r in staff.retries] == [(2, "focus_lost")]
    state = tk_app.wait(lambda s: s["a"] == "二度目")
    assert (state["b"], state["c"]) == ("", "")  # keyed once, into the right field

class _StealAfterFocus(RunListener):
    """Another window takes the focus right after the flow focused the entry window."""

    def __init__(self, tk: TkApp) -> None:
        self.tk = tk

    def step_finished(self, result: StepResult, depth: int) -> None:
        if result.action == "desktop.focus":
            self.tk.command("steal")
            self.tk.wait(lambda s: s["focus"] == "other")


def test_focus_stolen_after_focus_step_types_nothing_anywhere(project: Project, tk_app: TkApp) -> None:  # noqa: F811
    outcome = run_text(project, HEADER.format(id="steal") + """steps:
  - desktop.focus: 入力
  - desktop.type: {value: 誤入力}
  - desktop.press: tab
""", extra=[_StealAfterFocus(tk_app)])
    assert outcome.record.status is Status.FAIL and outcome.record.error_kind == "focus_lost"
    state = tk_app.state()
    assert (state["a"], state["b"], state["c"]) == ("", "", "")


@pytest.mark.tesseract
def test_click_by_image_text_and_point(project: Project, tk_app: TkApp) -> None:  # noqa: F811
    outcome = run_steps(project, """
        - desktop.focus: 入力
        - desktop.click: 入力.図形
        - control.set: {shape: done}
    """)
    assert outcome.record.status is Status.PASS, outcome.failed_steps()
    tk_app.wait(lambda s: s["clicked"] == "図形")
    drift = outcome.notices("selector_drift")
    assert len(drift) == 1 and drift[0]["element"] == "入力.図形"
    outcome = run_steps(project, """
        - desktop.click: 入力.登録
        - desktop.click: 入力.欄B
        - desktop.type: {value: point}
    """)
    assert outcome.result.status is RunStatus.COMPLETED, outcome.failed_steps()
    tk_app.wait(lambda s: s["clicked"] == "登録" and s["b"] == "point")


def _later(delay: float, action: Any) -> threading.Timer:
    timer = threading.Timer(delay, action)
    timer.start()
    return timer


def test_wait_for_appear_and_disappear(project: Project, tk_app: TkApp) -> None:  # noqa: F811
    hidden_at: list[float] = []

    def hide() -> None:
        tk_app.command("hide")
        hidden_at.append(time.monotonic())

    timers = [_later(0.8, lambda: tk_app.command("show")), _later(1.8, hide)]
    outcome = run_steps(project, """
        - desktop.focus: 入力
        - desktop.wait_for: 入力.完了図
        - desktop.wait_for: {target: 入力.完了図, state: hidden}
    """)
    ended = time.monotonic()
    for timer in timers:
        timer.join()
    assert outcome.result.status is RunStatus.COMPLETED, outcome.failed_steps()
    assert ended > hidden_at[0]  # it waited for the label to come and go
    outcome = run_steps(project, """
        - desktop.wait_for: 入力.完了図
          timeout: 0.5s
    """)
    assert outcome.record.status is Status.FAIL and outcome.record.error_kind == "element_not_found"


def test_a_changed_screen_fails_clearly_within_the_timeout(project: Project, tk_app: TkApp) -> None:  # noqa: F811
    outcome = run_steps(project, """
        - desktop.focus: 入力
        - desktop.click: {target: 入力.完了図}
          timeout: 1s
        - desktop.type: {value: 打たない}
    """)
    record = outcome.record
    assert record.status is Status.FAIL and record.error_kind == "element_not_found"
    assert "入力.完了図" in (record.error or "") and "done.png" in (record.error or "")
    assert tk_app.state()["a"] == ""


def test_application_that_does_not_start_is_a_clear_error(project: Project, tmp_path: Path) -> None:
    outcome = run_steps(project, """
        - desktop.launch: {command: /nonexistent/kz-client, window: 何か}
    """)
    assert outcome.record.status is Status.FAIL and outcome.record.error_kind == "target_system"
    assert "/nonexistent/kz-client" in (outcome.record.error or "")
    outcome = run_steps(project, """
        - desktop.launch: {command: [python, -c, "import sys; sys.exit(3)"], window: 出ない窓}
          timeout: 20s
    """)
    assert outcome.record.status is Status.FAIL and "3" in (outcome.record.error or "")
    assert outcome.failed_steps()[0]["elapsed_ms"] < 15_000, outcome.record.error  # noticed the exit, did not wait the timeout out


def test_launch_waits_for_the_window_and_closes_it_at_run_end(project: Project, tk_app: TkApp) -> None:  # noqa: F811

    script = "import tkinter as t; r=t.Tk(); r.title('KZ起動テスト'); r.geometry('200x100+400+500'); r.mainloop()"
    outcome = run_steps(project, f"""
        - desktop.launch: {{command: [python, -c, "{script}"], window: ^KZ起動テスト$}}
          timeout: 20s
    """)
    assert outcome.result.status is RunStatus.COMPLETED, outcome.failed_steps()

    wait_until(lambda: not find_windows(current_platform(), "KZ起動テスト"), 10, what="closed")


def test_a_map_recorded_on_another_screen_is_refused_naming_it(project: Project) -> None:
    path = project.selectors / "tkapp.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("width: 1280", "width: 1920"), encoding="utf-8")
    outcome = run_steps(project, """
        - desktop.focus: 入力
        - desktop.click: 入力.欄A
    """)
    assert outcome.record.error_kind == "screen_mismatch"
    assert str(path) in (outcome.record.error or "") and "1920x800" in (outcome.record.error or "")

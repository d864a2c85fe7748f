"""Desktop steps (pyautogui) for thick clients: launch, wait_window, focus, click, type,
hotkey, press, read_text, wait_for, screenshot, verify_field, close.

Elements are named from the system's desktop selector map (``画面.要素``: an image, an OCR
text, or a point/region in the window). Every mouse and keyboard step first checks that the
expected window has the keyboard focus and refuses (``FocusLost``), typing nothing, otherwise.
Parameters: :mod:`bots.actions.desktop_params`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bots.actions.browser import as_text, commits
from bots.actions.desktop_params import (
    ClickParams,
    CloseParams,
    HotkeyParams,
    LaunchParams,
    PressParams,
    ReadTextParams,
    ScreenshotParams,
    TypeParams,
    VerifyFieldParams,
    WaitForParams,
    WaitWindowParams,
    WindowParams,
)
from bots.engine.context import StepContext
from bots.errors import ExpectationFailed, KazagurumaError
from bots.i18n import tr
from bots.registry import action
from bots.results.folder import safe_name

if TYPE_CHECKING:  # the adapter (OpenCV, X11) is imported by the first desktop step, not by every flow
    from bots.adapters.desktop import DesktopSession
    from bots.platform.desktop import Window


@action("desktop.launch", LaunchParams)
def launch(ctx: StepContext, p: LaunchParams) -> None:
    """Start an application; with ``window``, wait for its window and focus it.

    An application that exits before its window shows fails the step at once with its exit code.
    ``desktop.close`` (or the end of the run) closes what was started.

    ``- desktop.launch: {command: "C:/CoreSys/client.exe", window: ログイン}``
    """
    ctx.desktop(p.system).windows.launch(p.command, p.cwd, p.window, ctx.timeout)


@action("desktop.wait_window", WaitWindowParams)
def wait_window(ctx: StepContext, p: WaitWindowParams) -> None:
    """Wait until a window (screen name or title pattern) is shown — and focus it — or is gone.

    ``- desktop.wait_window: {window: 受付番号, state: shown}``
    """
    session = ctx.desktop(p.system)
    if p.state == "gone":
        session.windows.wait_window_gone(p.window, ctx.timeout)
    elif p.focus:
        session.windows.focus(p.window, ctx.timeout)
    else:
        session.windows.find_window(p.window, ctx.timeout)
    _observed(ctx)


@action("desktop.focus", WindowParams)
def focus(ctx: StepContext, p: WindowParams) -> None:
    """Give a window the keyboard focus; later keyboard steps expect it.

    ``- desktop.focus: 入力画面``
    """
    ctx.desktop(p.system).windows.focus(p.window, ctx.timeout)


def _click(session: DesktopSession, target: str, timeout: float, button: str = "left", clicks: int = 1, *,
           commit: bool = False) -> Window:
    """Click an element, once its window is the one with the focus; returns that window. A
    commit clicks only an element its first candidate found (see ``DesktopSession.refuse_guess``)."""
    try:
        window, rect = session.locate(target, timeout)
        if commit:
            session.refuse_guess(target)
        session.windows.require_focus(window, timeout)
    except KazagurumaError as exc:
        exc.action_taken = False  # nothing was clicked: a commit step did not submit
        raise
    session.keys.click(*rect.center, button=button, clicks=clicks)
    return window


def _field(ctx: StepContext, system: str | None, target: str | None, window: str | None) -> tuple[
    DesktopSession, Window
]:
    """Click the field (if named) and check the expected window has the focus: where keys go."""
    session = ctx.desktop(system)
    if target is not None:
        _click(session, target, ctx.timeout, commit=commits(ctx))
    return session, session.windows.ensure_focus(window, ctx.timeout)


def _sent(ctx: StepContext) -> None:
    """After a step sent input: a commit's effect is yet to be observed by a later step."""
    if commits(ctx):
        ctx.scope.progress.unobserved_commit = ctx.step.label


def _observed(ctx: StepContext) -> None:
    """A step that waited for or read back the screen: the commit before it had a visible effect."""
    ctx.scope.progress.unobserved_commit = None


@action("desktop.click", ClickParams)
def click(ctx: StepContext, p: ClickParams) -> None:
    """Click an element of the selector map (image, OCR text, or point in the window).

    With ``commit: true`` it clicks only an element its first candidate found: found only by a
    fallback (``{text: OK}`` when the button's image no longer matches), the record fails
    (``selector_drift``, nothing clicked) unless the screen's ``allow_fallback_commit`` lists it.
    A later step must then see the commit's effect (``wait_window``, ``wait_for``,
    ``verify_field``, ``read_text``), or the record ends 要確認, never 成功.

    ``- desktop.click: ログイン.ログインボタン``
    """
    _click(ctx.desktop(p.system), p.target, ctx.timeout, p.button, p.clicks, commit=commits(ctx))
    _sent(ctx)


@action("desktop.type", TypeParams)
def type_(ctx: StepContext, p: TypeParams) -> None:
    """Type a value: ASCII as key events, Japanese by clipboard paste (clipboard restored).

    If the expected window does not have the focus, nothing is typed and the step fails
    (``focus_lost``): keys never go to another application.

    ``- desktop.type: {target: 入力.氏名, value: "{{ record.氏名 }}"}``
    """
    session, window = _field(ctx, p.system, p.target, p.window)
    if p.clear:
        session.keys.clear_field(window)
    session.keys.type_text(window, as_text(p.value), ctx.timeout)
    _sent(ctx)


@action("desktop.hotkey", HotkeyParams)
def hotkey(ctx: StepContext, p: HotkeyParams) -> None:
    """Press a key combination in the focused window.

    ``- desktop.hotkey: ctrl+s``
    """
    session = ctx.desktop(p.system)
    session.keys.hotkey(session.windows.ensure_focus(p.window, ctx.timeout), p.keys)
    _sent(ctx)


@action("desktop.press", PressParams)
def press(ctx: StepContext, p: PressParams) -> None:
    """Press a key (``tab``, ``enter``, ``f9``), ``times`` times. Mark 登録 with ``commit: true``.

    ``- desktop.press: {key: f9, window: 入力画面}``
    """
    session = ctx.desktop(p.system)
    session.keys.press(session.windows.ensure_focus(p.window, ctx.timeout), p.key, p.times)
    _sent(ctx)


def _extract(text: str, pattern: str | None, what: str) -> str:
    if not pattern:
        return text
    match = re.search(pattern, text)
    if match is None:
        raise ExpectationFailed(tr("{t} の文字 {a!r} が形式 {p} に合いません", "{t} text {a!r} does not match {p}",
                                   t=what, a=text, p=pattern))
    return match.group(1) if match.groups() else match.group(0)


@action("desktop.read_text", ReadTextParams)
def read_text(ctx: StepContext, p: ReadTextParams) -> None:
    """Read text into ``vars.<into>``: OCR of an element/region, or select-all + copy of a field.

    ``- desktop.read_text: {target: 受付完了.受付番号, via: clipboard, into: 受付番号}``
    """
    session = ctx.desktop(p.system)
    if p.via == "clipboard":
        session, window = _field(ctx, p.system, p.target, p.window)
        text = session.keys.copy_field(window, p.select_all, p.copy_keys, ctx.timeout)
    else:
        if p.target is None:
            raise ExpectationFailed(tr("OCR で読むには target を指定してください", "via: ocr needs a target"))
        text = session.read_region(p.target, ctx.timeout, p.lang)
    ctx.vars[p.into] = _extract(text.strip(), p.pattern, p.target or p.into)
    _observed(ctx)


@action("desktop.wait_for", WaitForParams)
def wait_for(ctx: StepContext, p: WaitForParams) -> None:
    """Wait until an element (image or text) appears, or with ``state: hidden`` disappears.

    ``- desktop.wait_for: {target: 入力.登録完了, state: visible}``
    """
    session = ctx.desktop(p.system)
    if p.state == "visible":
        session.locate(p.target, ctx.timeout)
    else:
        session.wait_gone(p.target, ctx.timeout)
    _observed(ctx)


@action("desktop.screenshot", ScreenshotParams)
def screenshot(ctx: StepContext, p: ScreenshotParams) -> None:
    """Save the screen (or one window) into the run folder.

    ``- desktop.screenshot: {name: 受付完了, window: 受付番号}``
    """
    session = ctx.desktop(p.system)
    rect = session.windows.find_window(p.window, ctx.timeout).rect if p.window else None
    session.screenshot(ctx.run.info.folder / "screenshots" / f"{safe_name(str(p.name))}.png", rect)


@action("desktop.verify_field", VerifyFieldParams)
def verify_field(ctx: StepContext, p: VerifyFieldParams) -> None:
    """Read back what a field holds (select-all + copy) and compare it, character for character.

    Use it after ``type`` where the application may change what was typed (an input method,
    full-width conversion, a field that cuts long values) before the record is committed.

    ``- desktop.verify_field: {target: 入力.氏名, value: "{{ record.氏名 }}"}``
    """
    session, window = _field(ctx, p.system, p.target, p.window)
    expected = as_text(p.value)
    actual = session.keys.copy_field(window, p.select_all, p.copy_keys, ctx.timeout)
    if actual != expected:
        raise ExpectationFailed(tr("{t} の入力内容が違います: 期待 {e!r}、実際 {a!r}", "{t} holds {a!r}, expected {e!r}",
                                   t=p.target or tr("入力欄", "the field"), e=expected, a=actual))
    _observed(ctx)


@action("desktop.close", CloseParams)
def close(ctx: StepContext, p: CloseParams) -> None:
    """Close the applications this run started on the system.

    ``- desktop.close: {}``
    """
    ctx.run.resources.close_desktop(ctx.system_name(p.system, "desktop"))

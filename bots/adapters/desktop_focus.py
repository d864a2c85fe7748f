"""Windows and applications for the desktop adapter: find by title, focus, the focus check,
launch and close. Waits end at once when the abort hotkey is pressed (the run then stops).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

from bots.adapters.desktop_errors import edge
from bots.errors import (
    ApplicationStartError,
    FlowError,
    FocusLost,
    KazagurumaError,
    RunHalted,
    StepError,
    WindowNotFound,
)
from bots.i18n import tr
from bots.platform.desktop import DesktopPlatform, Window, find_windows
from bots.platform.process import shielded
from bots.platform.wait import wait_until
from bots.selectors.model import SelectorMap

T = TypeVar("T")
#: Focus may take a moment to arrive after a window opens; longer than this is "lost".
FOCUS_GRACE_S = 2.0

class DesktopWindows:
    """The windows of one desktop system: which one the keyboard steps expect, and the
    applications this session started (closed with it).

    ``check_screen`` is called whenever a wait misses, so an error window of the system
    (given by the session, which knows the selector map's error indicators) ends the wait
    with its own message instead of a timeout.
    """

    def __init__(self, platform: DesktopPlatform, selector_map: SelectorMap | None,
                 halt: threading.Event | None, check_screen: Callable[[], None] | None = None) -> None:
        self.platform = platform
        self.selector_map = selector_map
        self.halt = halt or threading.Event()
        self.check_screen = check_screen or (lambda: None)
        self.processes: list[subprocess.Popen[bytes]] = []
        self.expected: Window | None = None

    # -- waiting -----------------------------------------------------------------------------

    def wait(self, probe: Callable[[], T | None], timeout: float, what: str) -> T:
        """:func:`wait_until`, ended at once by the abort hotkey (the run then stops)."""
        try:
            return wait_until(probe, timeout, what=what, cancel=self.halt)
        except StepError:
            if self.halt.is_set():
                raise RunHalted(tr("中断の指示により待機を打ち切りました", "the abort hotkey ended a wait")) from None
            raise

    # -- windows -----------------------------------------------------------------------------

    def window_pattern(self, spec: str) -> str:
        """A screen name of the map stands for its ``window:`` pattern; anything else is a pattern."""
        screens = self.selector_map.screens if self.selector_map else {}
        if spec in screens and screens[spec].window:
            return str(screens[spec].window)
        try:
            re.compile(spec)
        except re.error as exc:
            raise FlowError(tr("ウィンドウ名の正規表現が不正です: {s} ({e})", "bad window title pattern {s}: {e}",
                               s=spec, e=exc)) from exc
        return spec

    def matching(self, spec: str) -> list[Window]:
        """Windows whose title matches ``spec`` now (no wait), the focused one last."""
        with edge(tr("ウィンドウ一覧", "list windows")):
            found = find_windows(self.platform, self.window_pattern(spec))
            active = self.platform.active_window()
        return sorted(found, key=lambda w: w.id == active)  # the focused one last (preferred)

    def find_window(self, spec: str, timeout: float) -> Window:
        """Wait for a window matching ``spec``; an error window of the system ends the wait."""
        def probe() -> Window:
            found = self.matching(spec)
            if not found:
                self.check_screen()
                raise WindowNotFound(tr("ウィンドウ「{s}」が見つかりません", "no window titled {s!r}", s=spec))
            return found[-1]

        return self.wait(probe, timeout, tr("ウィンドウ待ち", "wait for window"))

    def wait_window_gone(self, spec: str, timeout: float) -> None:
        """Wait until no window matches ``spec`` (a dialog closed, the application ended)."""
        self.wait(lambda: not self.matching(spec), timeout,
                  tr("ウィンドウ「{s}」が閉じるのを待機", "wait for window {s!r} to close", s=spec))

    def focus(self, spec: str, timeout: float) -> Window:
        """Give the window the keyboard focus and remember it as the one keyboard steps expect."""
        window = self.find_window(spec, timeout)
        with edge(tr("フォーカス", "focus")):
            # Focusing the focused window again sends Tk a FocusOut/FocusIn pair it settles late
            # (a click right after it then fails to move the focus between its fields).
            if self.platform.active_window() != window.id:
                self.platform.focus(window.id)
        self.wait(lambda: self.platform.active_window() == window.id, min(timeout, FOCUS_GRACE_S),
                  tr("ウィンドウ「{t}」にフォーカスを移せません", "cannot focus window {t!r}", t=window.title))
        self.expected = window
        return window

    def ensure_focus(self, spec: str | None, timeout: float) -> Window:
        """The expected window (``spec``, else the one last focused) has the keyboard, or FocusLost.
        Whatever it raises, nothing was sent."""
        try:
            return self._ensure_focus(spec, timeout)
        except KazagurumaError as exc:
            exc.action_taken = False
            raise

    def _ensure_focus(self, spec: str | None, timeout: float) -> Window:
        if spec is not None:
            return self.require_focus(self.find_window(spec, timeout), timeout)
        if self.expected is None:
            raise FocusLost(tr("入力先のウィンドウが決まっていません（先に desktop.focus か wait_window を）",
                               "no window is expected to have the focus yet (use desktop.focus or wait_window first)"))
        return self.require_focus(self.expected, timeout)

    def require_focus(self, expected: Window, timeout: float) -> Window:
        """Refuse (FocusLost, nothing sent) unless ``expected`` has the keyboard focus."""
        def focused() -> bool:
            with edge(tr("フォーカスの確認", "check focus")):
                return self.platform.active_window() == expected.id

        try:
            self.wait(focused, min(timeout, FOCUS_GRACE_S), "focus")
        except StepError:
            with edge(tr("フォーカスの確認", "check focus")):
                active = self._title_of(self.platform.active_window())
            raise FocusLost(tr("ウィンドウ「{e}」にフォーカスがありません（現在: {a}）。誤入力を防ぐため操作しません",
                               "window {e!r} does not have the focus (now: {a}); nothing was sent",
                               e=expected.title, a=active)) from None
        self.expected = expected
        return expected

    def _title_of(self, window_id: int | None) -> str:
        titles = {w.id: w.title for w in self.platform.windows()}
        return titles.get(window_id, "-") if window_id is not None else "-"

    # -- applications ------------------------------------------------------------------------

    def launch(self, command: str | list[str], cwd: str | None, window: str | None, timeout: float) -> None:
        """Start an application and, given its ``window``, wait for it and focus it. An exit
        before the window shows is reported at once with its code, not after the timeout."""
        args = shlex.split(command, posix=sys.platform != "win32") if isinstance(command, str) else list(command)
        if args and args[0] in ("python", "python3", "py"):
            args[0] = sys.executable  # the runner's own interpreter (the venv), portably
        try:
            process = subprocess.Popen(args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, **shielded())  # Ctrl+C is the runner's
        except OSError as exc:
            raise ApplicationStartError(tr("アプリケーションを起動できません: {c}（{e}）", "cannot start {c} ({e})",
                                           c=" ".join(args), e=exc.strerror or exc)) from exc
        self.processes.append(process)
        if window is None:
            return

        def shown() -> Window | int | None:
            code = process.poll()
            if code is not None:
                return code  # exited: no window will come
            found = self.matching(window)
            return found[-1] if found else None

        try:
            outcome = self.wait(shown, timeout, tr("起動待ち", "wait for start"))
        except StepError as exc:
            raise ApplicationStartError(tr("アプリケーションのウィンドウ「{w}」が{t:.0f}秒以内に表示されません: {c}",
                                           "window {w!r} of the application did not show within {t:.0f}s: {c}",
                                           w=window, t=timeout, c=" ".join(args))) from exc
        if isinstance(outcome, int):
            raise ApplicationStartError(tr("アプリケーションが画面を出す前に終了しました（終了コード {n}）: {c}",
                                           "the application exited (code {n}) before showing its window: {c}",
                                           n=outcome, c=" ".join(args)))
        self.focus(window, timeout)

    def close(self) -> None:
        """Close what this session started (terminate, then kill after 3 s)."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(3.0)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(3.0)
        self.processes.clear()
        self.expected = None

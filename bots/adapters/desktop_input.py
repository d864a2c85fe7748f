"""Keyboard, mouse and clipboard for the desktop adapter (pyautogui + the platform layer).

ASCII text is typed as key events, like staff type. Anything else (Japanese, full-width
digits, 𠮷) is pasted: key events cannot carry it. Keys go through the platform's
``send_keys``, which sends them only while the expected window has the focus (atomically on
X11), so a window that grabs the focus mid-step receives nothing. Clicks go through the
platform too (one X connection: a click is processed before the keys after it); pyautogui
keeps its fail-safe and the key-name list.
What staff had on the clipboard is put back after every paste and copy, and left there when
the session closes.
"""

from __future__ import annotations

import string
import sys
import uuid
from types import ModuleType
from typing import Any

from bots.adapters.desktop_errors import edge
from bots.errors import FlowError, FocusLost, StepError
from bots.i18n import tr
from bots.platform.desktop import DesktopPlatform, Window
from bots.platform.wait import wait_until

#: Typed as key events; everything else goes through the clipboard.
KEYED = frozenset(string.ascii_letters + string.digits + string.punctuation + " ")
_ALIASES = {"control": "ctrl", "return": "enter", "escape": "esc", "del": "delete", "ins": "insert",
            "pgup": "pageup", "pgdn": "pagedown", "cmd": "command", "option": "alt"}
#: A paste the application has not taken by then did not happen (X11 tells; Windows cannot).
PASTE_TIMEOUT_S = 2.0
#: An empty field copies nothing: the clipboard then stays unchanged this long.
COPY_TIMEOUT_S = 0.6


def gui() -> ModuleType:
    """pyautogui, imported on first use (it connects to the display at import time)."""
    with edge(tr("pyautogui の初期化", "pyautogui start-up")):
        import pyautogui  # lazy: see the docstring
    pyautogui.FAILSAFE = True  # staff can stop a runaway bot by throwing the mouse into a corner
    pyautogui.PAUSE = 0  # the library default sleeps 0.1 s after every call
    module: ModuleType = pyautogui
    return module


def key_names(keys: str | list[str]) -> list[str]:
    """``"Ctrl+Shift+S"`` or ``[ctrl, s]`` → pyautogui key names; an unknown key is a flow error."""
    parts = keys if isinstance(keys, list) else keys.split("+") if keys != "+" else ["+"]
    names = [_ALIASES.get(part.strip().lower(), part.strip().lower()) for part in parts]
    known = set(gui().KEYBOARD_KEYS)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise FlowError(tr("不明なキー名です: {k}", "unknown key name: {k}", k=", ".join(unknown)))
    return names


class DesktopInput:
    """Mouse, keyboard and clipboard of one session. Keys go only into a window that has the
    focus; whatever staff had on the clipboard is given back after every paste or copy."""

    def __init__(self, platform: DesktopPlatform) -> None:
        self.platform = platform
        self._staff: str | None = None  #: what staff had on the clipboard
        self._ours: str | None = None  #: what this session last put there

    def click(self, x: int, y: int, *, button: str = "left", clicks: int = 1) -> None:
        """Click at a screen point, unless staff threw the mouse into a corner (fail-safe)."""
        with edge(tr("クリック", "click")):
            gui().failSafeCheck()  # staff threw the mouse into a corner: stop before moving it
            self.platform.click(x, y, button, clicks)

    def send(self, window: Window, combos: list[list[str]]) -> None:
        """Key combos into ``window``, only while it has the focus (checked atomically on X11)."""
        with edge(tr("キー入力", "key input")):
            gui().failSafeCheck()  # the mouse thrown into a corner stops key input too
            sent = self.platform.send_keys(window.id, combos)
        if not sent:
            raise FocusLost(tr("ウィンドウ「{t}」のフォーカスが直前に移りました。誤入力を防ぐため入力しません",
                               "window {t!r} lost the focus just before the keys; nothing was sent", t=window.title))

    def press(self, window: Window, key: str, times: int = 1) -> None:
        """One key, ``times`` times, into the focused ``window``."""
        self.send(window, [key_names(key)] * times)

    def hotkey(self, window: Window, keys: str | list[str]) -> None:
        """A key combination (``ctrl+s``) pressed together into the focused ``window``."""
        self.send(window, [key_names(keys)])

    def type_text(self, window: Window, text: str, timeout: float) -> None:
        """Key events for plain ASCII, one paste for anything else."""
        if not text:
            return
        if all(char in KEYED for char in text):
            self.send(window, [[char] for char in text])
            return
        self.paste(window, text, timeout)

    def clear_field(self, window: Window) -> None:
        """Empty a single-line field: End, Shift+Home, Delete (works where ctrl+a does not)."""
        self.send(window, [["end"], ["shift", "home"], ["delete"]])

    def _remember_staff(self) -> None:
        with edge(tr("クリップボード", "clipboard")):
            current = self.platform.clipboard_get()
        if current != self._ours:  # staff copied something since: that is what to give back
            self._staff = current

    def _restore_staff(self) -> None:
        if self._staff is not None:
            with edge(tr("クリップボードの復元", "clipboard restore")):
                self.platform.clipboard_set(self._staff)
            self._ours = self._staff

    def paste(self, window: Window, text: str, timeout: float) -> None:
        """Japanese and other non-keyable text: through the clipboard, staff's text restored."""
        self._remember_staff()
        with edge(tr("貼り付け", "paste")):
            self.platform.clipboard_set(text)
        self._ours = text
        try:
            self.send(window, [["ctrl", "v"]])
            with edge(tr("貼り付け", "paste")):
                taken = self.platform.paste_ready(min(timeout, PASTE_TIMEOUT_S))
        finally:
            self._restore_staff()
        if not taken and sys.platform != "win32":
            error = StepError(tr("貼り付けが受け取られませんでした（入力欄にフォーカスがありますか）",
                                 "the paste was not taken (does an entry field have the focus?)"))
            error.action_taken = False
            raise error

    def copy_field(self, window: Window, select_all: str, copy_keys: str, timeout: float) -> str:
        """The focused field's text: select all, copy, read the clipboard (then give it back)."""
        self._remember_staff()
        sentinel = f"kazaguruma-{uuid.uuid4().hex}"
        with edge(tr("コピー", "copy")):
            self.platform.clipboard_set(sentinel)
        self._ours = sentinel

        def copied() -> Any:
            with edge(tr("クリップボード", "clipboard")):
                value = self.platform.clipboard_get()
            return value if value is not None and value != sentinel else None

        try:
            self.send(window, [key_names(select_all), key_names(copy_keys)])
            text = str(wait_until(copied, min(timeout, COPY_TIMEOUT_S), 0.005, what="copy"))
        except FocusLost:
            raise
        except StepError:
            text = ""  # nothing was selected to copy: the field is empty
        finally:
            self._restore_staff()
        return text

    def release_clipboard(self) -> None:
        """Leave staff's text on the clipboard for good (this process may exit now)."""
        if self._staff is not None and self._ours == self._staff:
            with edge(tr("クリップボードの復元", "clipboard restore")):
                self.platform.clipboard_keep(self._staff)

"""Windows desktop platform: user32/kernel32 through ctypes (no pywin32 to install on 庁内 PCs).

Imported only on Windows, but import-safe anywhere: ``ctypes.windll`` is reached lazily.
Not exercised by the Linux test suite; kept small and close to the Win32 documentation.
"""

from __future__ import annotations

import ctypes
import time
from ctypes import wintypes
from typing import Any

from bots.errors import PlatformError
from bots.platform.desktop import Rect, Window

CF_UNICODETEXT = 13
GMEM_MOVEABLE = 0x0002
SM_CXSCREEN, SM_CYSCREEN = 0, 1
SW_RESTORE = 9
#: Windows hands clipboard data over at once, but the application reads it when it processes the
#: ctrl+v message: a paste is given this long before the old clipboard is put back.
PASTE_SETTLE_S = 0.15


def _dll(name: str) -> Any:
    windll = getattr(ctypes, "windll", None)
    if windll is None:
        raise PlatformError("the Windows desktop layer runs on Windows only")
    return getattr(windll, name)


class WindowsDesktop:
    """The Win32 :class:`~bots.platform.desktop.DesktopPlatform`: ctypes only, nothing to install."""

    def __init__(self) -> None:
        self._pasted_at = 0.0

    def _open_clipboard(self) -> Any:
        user32 = _dll("user32")
        for _ in range(20):  # another process may hold it for a moment
            if user32.OpenClipboard(None):
                return user32
            time.sleep(0.01)  # wait-ok: retry interval while another process holds the clipboard
        raise PlatformError("the clipboard is in use by another application")

    def clipboard_get(self) -> str | None:
        """As CF_UNICODETEXT, so Japanese text survives (no code page conversion)."""
        user32 = self._open_clipboard()
        kernel32 = _dll("kernel32")
        try:
            user32.GetClipboardData.restype = ctypes.c_void_p
            handle = user32.GetClipboardData(CF_UNICODETEXT)
            if not handle:
                return None
            kernel32.GlobalLock.restype = ctypes.c_void_p
            pointer = kernel32.GlobalLock(ctypes.c_void_p(handle))
            try:
                return ctypes.wstring_at(pointer)
            finally:
                kernel32.GlobalUnlock(ctypes.c_void_p(handle))
        finally:
            user32.CloseClipboard()

    def clipboard_set(self, text: str) -> None:
        """As CF_UNICODETEXT; notes the time, from which :meth:`paste_ready` paces the paste."""
        data = ctypes.create_unicode_buffer(text)
        size = ctypes.sizeof(data)
        kernel32 = _dll("kernel32")
        kernel32.GlobalAlloc.restype = ctypes.c_void_p
        kernel32.GlobalLock.restype = ctypes.c_void_p
        handle = kernel32.GlobalAlloc(GMEM_MOVEABLE, size)
        if not handle:
            raise PlatformError("GlobalAlloc failed")
        pointer = kernel32.GlobalLock(ctypes.c_void_p(handle))
        ctypes.memmove(pointer, data, size)
        kernel32.GlobalUnlock(ctypes.c_void_p(handle))
        user32 = self._open_clipboard()
        try:
            user32.EmptyClipboard()
            if not user32.SetClipboardData(CF_UNICODETEXT, ctypes.c_void_p(handle)):
                raise PlatformError("SetClipboardData failed")
        finally:
            user32.CloseClipboard()
        self._pasted_at = time.monotonic()

    clipboard_keep = clipboard_set

    def paste_ready(self, timeout: float) -> bool:
        """Unknown on Windows: let the application process ctrl+v for a moment (bounded)."""
        # wait-ok: Windows gives no signal that the target read the paste; deliberate pacing (known limit)
        time.sleep(max(0.0, min(timeout, PASTE_SETTLE_S - (time.monotonic() - self._pasted_at))))  # wait-ok
        return False

    def windows(self) -> list[Window]:
        """Visible titled windows (EnumWindows) with their client areas, topmost last as on X11."""
        user32 = _dll("user32")
        found: list[Window] = []

        @ctypes.WINFUNCTYPE(wintypes.BOOL, wintypes.HWND, wintypes.LPARAM)  # type: ignore[attr-defined, untyped-decorator]
        def each(hwnd: int, _lparam: int) -> bool:
            length = user32.GetWindowTextLengthW(hwnd)
            if length and user32.IsWindowVisible(hwnd):
                buffer = ctypes.create_unicode_buffer(length + 1)
                user32.GetWindowTextW(hwnd, buffer, length + 1)
                rect = self._client_rect(hwnd)
                pid = wintypes.DWORD()
                user32.GetWindowThreadProcessId(hwnd, ctypes.byref(pid))
                found.append(Window(int(hwnd), buffer.value, rect, int(pid.value) or None))
            return True

        user32.EnumWindows(each, 0)
        found.reverse()  # EnumWindows goes top to bottom; topmost last like X11
        return found

    @staticmethod
    def _client_rect(hwnd: int) -> Rect:
        """The client area in screen pixels: window-relative points skip the title bar."""
        user32 = _dll("user32")
        rect = wintypes.RECT()
        user32.GetClientRect(hwnd, ctypes.byref(rect))
        origin = wintypes.POINT(0, 0)
        user32.ClientToScreen(hwnd, ctypes.byref(origin))
        return Rect(origin.x, origin.y, rect.right - rect.left, rect.bottom - rect.top)

    def active_window(self) -> int | None:
        """The foreground window (GetForegroundWindow); None while none has the focus."""
        hwnd = _dll("user32").GetForegroundWindow()
        return int(hwnd) if hwnd else None

    def focus(self, window_id: int) -> None:
        """Restore a minimised window, then SetForegroundWindow, which Windows may refuse (raises)."""
        user32 = _dll("user32")
        if user32.IsIconic(window_id):
            user32.ShowWindow(window_id, SW_RESTORE)
        user32.BringWindowToTop(window_id)
        if not user32.SetForegroundWindow(window_id):
            raise PlatformError(f"SetForegroundWindow({window_id:#x}) was refused")

    def send_keys(self, window_id: int, combos: list[list[str]]) -> bool:
        """Checked right before SendInput (Windows has no server grab to make it atomic)."""
        import pyautogui  # lazy: it connects to the display at import time

        if self.active_window() != window_id:
            return False
        for combo in combos:
            pyautogui.hotkey(*combo)
        return True

    def click(self, x: int, y: int, button: str, clicks: int) -> None:
        """A mouse click at a screen point (pyautogui's SendInput)."""
        import pyautogui  # lazy: it connects to the display at import time

        pyautogui.click(x, y, clicks=clicks, button=button)

    def screen_size(self) -> tuple[int, int]:
        """The primary screen (GetSystemMetrics)."""
        user32 = _dll("user32")
        return int(user32.GetSystemMetrics(SM_CXSCREEN)), int(user32.GetSystemMetrics(SM_CYSCREEN))

    def scale(self) -> float:
        """The system DPI over 96; 1.0 where GetDpiForSystem is missing (before Windows 10 1607)."""
        user32 = _dll("user32")
        getter = getattr(user32, "GetDpiForSystem", None)
        return float(getter()) / 96.0 if getter is not None else 1.0

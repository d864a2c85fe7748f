"""The desktop platform layer: clipboard, top-level windows, focus, screen size and scale.

pyautogui moves the mouse and presses keys everywhere; what it cannot do portably (read and
write the clipboard as Unicode, list windows by title, give one the keyboard focus) goes
through this small interface. X11 (Xvfb, Linux desktops) uses python-xlib and xclip; Windows,
where municipal PCs run, uses user32/kernel32 through ctypes. Both import safely anywhere.

Errors raised here are :class:`PlatformError` (an ``OSError``); the desktop adapter
translates them into Kazaguruma's error tree.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from typing import Protocol


@dataclass(frozen=True)
class Rect:
    """A rectangle in screen pixels: a window's client area, a matched image on screen."""

    x: int
    y: int
    width: int
    height: int

    @property
    def center(self) -> tuple[int, int]:
        """Where a click on the rectangle lands."""
        return self.x + self.width // 2, self.y + self.height // 2

    def contains(self, x: int, y: int) -> bool:
        """Whether a screen point falls inside (the right and bottom edges are outside)."""
        return self.x <= x < self.x + self.width and self.y <= y < self.y + self.height


@dataclass(frozen=True)
class Window:
    """A visible top-level window. ``id`` is the X window id or the Windows HWND."""

    id: int
    title: str
    rect: Rect
    pid: int | None = None


class DesktopPlatform(Protocol):
    """What the desktop adapter needs beyond pyautogui, once per OS (X11, Windows)."""

    def clipboard_get(self) -> str | None:
        """The clipboard's text; None when it holds no text."""

    def clipboard_set(self, text: str) -> None:
        """Put text on the clipboard for a paste by this run."""

    def clipboard_keep(self, text: str) -> None:
        """Put text on the clipboard to stay after the run (restoring what staff had copied)."""

    def paste_ready(self, timeout: float) -> bool:
        """After ``clipboard_set``: True once an application has taken the text (X11 serves it
        lazily, so restoring the clipboard earlier would paste the old text). False: unknown."""

    def windows(self) -> list[Window]:
        """Visible top-level windows with a title, topmost last where known."""

    def active_window(self) -> int | None:
        """The top-level window that has the keyboard focus."""

    def focus(self, window_id: int) -> None:
        """Raise the window and give it the keyboard focus (may not succeed: check)."""

    def send_keys(self, window_id: int, combos: list[list[str]]) -> bool:
        """Press each combo (keys down in order, up in reverse) only if ``window_id`` has the
        keyboard focus at that moment; False, with nothing sent, otherwise."""

    def click(self, x: int, y: int, button: str, clicks: int) -> None:
        """Move the mouse there and click (in order with ``send_keys``)."""

    def screen_size(self) -> tuple[int, int]:
        """Width and height of the primary screen in pixels."""

    def scale(self) -> float:
        """Display scaling (Windows 125 % → 1.25)."""


def find_windows(platform: DesktopPlatform, pattern: str) -> list[Window]:
    """Windows whose title matches ``pattern`` (``re.search``)."""
    regex = re.compile(pattern)
    return [w for w in platform.windows() if regex.search(w.title)]


@cache
def current_platform() -> DesktopPlatform:
    """The platform of this machine (one per process: it holds a display connection)."""
    if sys.platform == "win32":
        # lazy, per platform: ctypes.windll exists on Windows only.
        from bots.platform.desktop_windows import WindowsDesktop

        return WindowsDesktop()
    from bots.platform.desktop_x11 import X11Desktop  # lazy, per platform: python-xlib is not on Windows

    return X11Desktop()

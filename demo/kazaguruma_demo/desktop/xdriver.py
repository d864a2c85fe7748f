"""Driving an X11 display directly with xdotool and xclip: for the demo app's own tests and the
benchmark's hand-written baseline, never for flows (those go through ``desktop.*`` steps).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable


def focused_title() -> str:
    """Title of the window holding the X input focus ('' when none)."""
    done = subprocess.run(["xdotool", "getwindowfocus", "getwindowname"], capture_output=True, text=True,
                          timeout=10, check=False)
    return done.stdout.strip()


def wait_focus(title: str, timeout: float = 30.0) -> None:
    """Poll until the focused window's title ends with ``title``; TimeoutError otherwise."""
    deadline = time.monotonic() + timeout
    while not focused_title().endswith(title):
        if time.monotonic() > deadline:
            raise TimeoutError(f"focus never reached {title!r}; focused: {focused_title()!r}")
        time.sleep(0.01)  # wait-ok: poll interval of the wait for the focus


def key(*keys: str) -> None:
    subprocess.run(["xdotool", "key", "--clearmodifiers", *keys], check=True, timeout=10)


class _Clipboard:
    """Who owns CLIPBOARD, asked in-process (python-xlib): one connection per DISPLAY."""

    def __init__(self) -> None:
        from Xlib import display

        self.display = display.Display()
        self.atom = self.display.intern_atom("CLIPBOARD")

    def owner(self) -> int:
        window = self.display.get_selection_owner(self.atom)
        return int(getattr(window, "id", window) or 0)


_clipboards: dict[str, _Clipboard] = {}


def paste(text: str, send: Callable[[], None] | None = None, timeout: float = 10.0) -> None:
    """Put ``text`` on the CLIPBOARD, press Ctrl+V (``send``, xdotool by default), and return once
    the application has fetched it.

    xclip serves exactly one request (``-loops 1``). Its "Waiting for" message comes before the
    server has processed its ownership claim, so the owner is polled until it changed; only then
    is Ctrl+V pressed. xclip's exit proves the paste was read (Tk asks exactly once).
    """
    clip_owner = _clipboards.setdefault(os.environ.get("DISPLAY", ""), _Clipboard())
    before = clip_owner.owner()
    clip = subprocess.Popen(["xclip", "-selection", "clipboard", "-i", "-verbose", "-loops", "1"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if clip.stdin is None or clip.stdout is None:
        raise OSError("xclip pipes")
    clip.stdin.write(text.encode())
    clip.stdin.close()
    for line in clip.stdout:
        if line.startswith(b"Waiting for"):  # "Waiting for one selection request."
            break
    deadline = time.monotonic() + timeout
    while clip_owner.owner() in (before, 0):
        if time.monotonic() > deadline:
            raise TimeoutError("xclip never owned the clipboard")
        time.sleep(0.001)  # wait-ok: poll interval of the wait for xclip to own CLIPBOARD
    (send or (lambda: key("ctrl+v")))()
    clip.stdout.close()
    clip.wait(timeout=timeout)


def clipboard() -> str:
    return subprocess.run(["xclip", "-selection", "clipboard", "-o"], capture_output=True, text=True,
                          timeout=10, check=False).stdout

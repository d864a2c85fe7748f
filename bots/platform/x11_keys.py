"""Send key strokes on X11 only if the expected window has the focus — atomically.

Checking the focus and then pressing keys leaves a gap in which another window (a pop-up, a
colleague's chat) can take the focus and receive the keys. Here the check and the XTest key
events happen inside one server grab on one connection: no other client's request (its
SetInputFocus) is processed in between, and the events are queued to the checked window.

Keycodes come from the server's keymap, with Shift when the keysym sits at index 1 — which
also types ``<`` right where pyautogui's X11 backend typed ``>``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from Xlib import XK, X
from Xlib.ext import xtest

#: pyautogui-style key names → X keysym names.
KEYSYMS = {
    "ctrl": "Control_L", "ctrlleft": "Control_L", "ctrlright": "Control_R", "shift": "Shift_L",
    "shiftleft": "Shift_L", "shiftright": "Shift_R", "alt": "Alt_L", "altleft": "Alt_L", "altright": "Alt_R",
    "win": "Super_L", "winleft": "Super_L", "enter": "Return", "return": "Return", "tab": "Tab",
    "esc": "Escape", "escape": "Escape", "backspace": "BackSpace", "delete": "Delete", "del": "Delete",
    "insert": "Insert", "home": "Home", "end": "End", "pageup": "Prior", "pagedown": "Next", "up": "Up",
    "down": "Down", "left": "Left", "right": "Right", "space": "space", " ": "space", "\t": "Tab", "\n": "Return",
    **{f"f{n}": f"F{n}" for n in range(1, 25)},
}


def keysym_of(name: str) -> int:
    """The keysym of a key name or of one printable Latin-1 character (0 if unknown)."""
    if name in KEYSYMS:
        return int(XK.string_to_keysym(KEYSYMS[name]))
    if len(name) == 1 and 0x20 <= ord(name) <= 0xFF:
        return ord(name)  # Latin-1 keysyms are their code points
    return int(XK.string_to_keysym(name))


def strokes(dpy: Any, combos: list[list[str]]) -> list[tuple[int, int]]:
    """(event type, keycode) for each combo: press in order (Shift added where the keymap needs
    it), release in reverse. Raises KeyError for a key the keymap lacks."""
    shift = dpy.keysym_to_keycode(XK.string_to_keysym("Shift_L"))
    events: list[tuple[int, int]] = []
    for combo in combos:
        codes: list[int] = []
        for name in combo:
            keysym = keysym_of(name)
            found = sorted(((index, code) for code, index in dpy.keysym_to_keycodes(keysym) if index < 2)) \
                if keysym else []
            if not found:
                raise KeyError(name)
            index, code = found[0]
            if index == 1 and shift not in codes:
                codes.append(shift)
            codes.append(code)
        events += [(X.KeyPress, c) for c in codes] + [(X.KeyRelease, c) for c in reversed(codes)]
    return events


def send_if_focused(dpy: Any, window_id: int, focused: Callable[[], int | None], combos: list[list[str]]) -> bool:
    """Under a server grab: if ``focused()`` is ``window_id``, send the combos; else send nothing."""
    events = strokes(dpy, combos)
    dpy.grab_server()
    try:
        if focused() != window_id:
            return False
        for kind, code in events:
            xtest.fake_input(dpy, kind, code)
        return True
    finally:
        dpy.ungrab_server()
        dpy.sync()


_BUTTONS = {"left": 1, "middle": 2, "right": 3}


def click(dpy: Any, x: int, y: int, button: str, clicks: int) -> None:
    """Move and click with XTest on ``dpy``: the same connection as the keys, so a click is
    always processed before the keys that follow it."""
    xtest.fake_input(dpy, X.MotionNotify, x=x, y=y)
    for _ in range(clicks):
        xtest.fake_input(dpy, X.ButtonPress, _BUTTONS[button])
        xtest.fake_input(dpy, X.ButtonRelease, _BUTTONS[button])
    dpy.sync()

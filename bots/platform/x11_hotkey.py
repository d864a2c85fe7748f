"""A global hotkey on X11 by ``XGrabKey`` on the root window (python-xlib, its own connection).

pynput's X11 listener (RECORD extension) only notices ``stop()`` at the next key event, so
it outlives the run (and the test's Xvfb). A passive grab needs no extension, swallows the
combination (the legacy client never sees it) and stops at once through a wake-up pipe.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable
from typing import Any

from Xlib import X, display, error

from bots.errors import PlatformError
from bots.platform.x11_keys import keysym_of

_MODIFIERS = {"ctrl": X.ControlMask, "control": X.ControlMask, "shift": X.ShiftMask, "alt": X.Mod1Mask,
              "super": X.Mod4Mask, "win": X.Mod4Mask}
#: Caps Lock and Num Lock (Mod2 on most keymaps) must not stop the hotkey from matching.
_LOCKS = (0, X.LockMask, X.Mod2Mask, X.LockMask | X.Mod2Mask)


class X11HotKey:
    """One key combination grabbed on the root window; ``on_press`` runs on the listener's thread."""

    def __init__(self, combo: str, on_press: Callable[[], None]) -> None:
        *mods, key = [part.strip().lower() for part in combo.split("+")]
        unknown = [m for m in mods if m not in _MODIFIERS]
        if unknown:
            raise PlatformError(f"unknown modifier: {', '.join(unknown)}")
        self.mask = 0
        for mod in mods:
            self.mask |= _MODIFIERS[mod]
        self.on_press = on_press
        try:
            self._dpy: Any = display.Display()
        except (error.DisplayError, error.XauthError, OSError) as exc:
            raise PlatformError(f"cannot open the X display: {exc}") from exc
        self.keycode = self._dpy.keysym_to_keycode(keysym_of(key))
        if not self.keycode:
            self._dpy.close()
            raise PlatformError(f"no key {key!r} in the X keymap")
        self._wake_r, self._wake_w = os.pipe()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="kz-abort-hotkey", daemon=True)

    def start(self) -> None:
        """Grab the key under every Caps/Num Lock state and listen; raises when another program
        already holds the combination."""
        root = self._dpy.screen().root
        catch = error.CatchError(error.BadAccess)
        for lock in _LOCKS:
            root.grab_key(self.keycode, self.mask | lock, True, X.GrabModeAsync, X.GrabModeAsync, onerror=catch)
        self._dpy.sync()
        if catch.get_error():
            self.stop()
            raise PlatformError("another program already uses this key combination")
        self._thread.start()

    def stop(self) -> None:
        """Stop at once through the wake-up pipe; closing the connection releases the grab."""
        if self._thread.is_alive():
            os.write(self._wake_w, b"x")
            self._thread.join(2.0)
        else:
            self._close()

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._dpy.close()
        except (error.XError, OSError):
            pass
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _loop(self) -> None:
        try:
            while True:
                while self._dpy.pending_events():
                    event = self._dpy.next_event()
                    if event.type == X.KeyPress and event.detail == self.keycode:
                        self.on_press()
                ready, _, _ = select.select([self._dpy.fileno(), self._wake_r], [], [], 1.0)
                if self._wake_r in ready:
                    return
        except (error.ConnectionClosedError, error.XError, OSError):
            return  # the display went away
        finally:
            self._close()

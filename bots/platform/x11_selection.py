"""An in-process owner of the X11 CLIPBOARD selection, for pasting text.

X11 has no clipboard storage: the owner hands the text over when an application asks for it.
Pasting through ``xclip -i`` and restoring the staff's clipboard right after ctrl+v would race
the application's request (it could paste the old text). Owning the selection here tells us
exactly when the text was taken, and costs no process start per field.
"""

from __future__ import annotations

import os
import queue
import select
import threading
from typing import Any

from Xlib import X, Xatom, display, error
from Xlib.protocol import event

from bots.errors import PlatformError

_ACQUIRE_TIMEOUT = 2.0


class SelectionOwner:
    """Serves ``offer``-ed text to every requestor from a daemon thread with its own connection."""

    def __init__(self, display_name: str | None) -> None:
        self.display_name = display_name
        try:
            self._dpy: Any = display.Display(display_name)
        except (error.DisplayError, error.XauthError, OSError) as exc:
            raise PlatformError(f"cannot open the X display {display_name!r}: {exc}") from exc
        self._win = self._dpy.screen().root.create_window(0, 0, 1, 1, 0, X.CopyFromParent)
        self._atoms = {n: self._dpy.intern_atom(n)
                       for n in ("CLIPBOARD", "TARGETS", "UTF8_STRING", "TEXT", "INCR", "KZ_CLIPBOARD_READ")}
        self._read_done = threading.Event()
        self._read_value: bytes | None = None
        self._data = b""
        self.text = ""
        self._commands: queue.Queue[str] = queue.Queue()
        self._acquired = threading.Event()
        self._served = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self._closed = False
        #: True while this process owns the clipboard (an application's copy takes it away).
        self.owns = False
        self._thread = threading.Thread(target=self._loop, name="kz-x11-clipboard", daemon=True)
        self._thread.start()

    def offer(self, text: str) -> None:
        """Own the clipboard with ``text``; returns once the X server confirmed the ownership."""
        self._data = text.encode("utf-8")
        self.text = text
        self._served.clear()
        self._acquired.clear()
        self._send("own")
        if not self._acquired.wait(_ACQUIRE_TIMEOUT):
            raise PlatformError("could not take ownership of the X clipboard")

    def read(self, timeout: float) -> bytes | None:
        """The clipboard's UTF-8 bytes, asked in-process (no xclip start per read); None when it
        holds no text. Raises TimeoutError when the owner does not answer (a large INCR transfer)."""
        self._read_done.clear()
        self._send("read")
        if not self._read_done.wait(timeout):
            raise TimeoutError("the clipboard owner did not answer")
        return self._read_value

    def wait_served(self, timeout: float) -> bool:
        """True once an application has been given the offered text."""
        return self._served.wait(timeout)

    def close(self) -> None:
        """Stop the serving thread (its connection closes, the ownership with it); safe to call twice."""
        if not self._closed:
            self._closed = True
            self._send("quit")
            self._thread.join(2.0)
            os.close(self._wake_r)
            os.close(self._wake_w)

    def _send(self, command: str) -> None:
        self._commands.put(command)
        os.write(self._wake_w, b"x")

    def _loop(self) -> None:
        try:
            while True:
                while self._dpy.pending_events():
                    self._handle(self._dpy.next_event())
                ready, _, _ = select.select([self._dpy.fileno(), self._wake_r], [], [], 1.0)
                if self._wake_r in ready:
                    os.read(self._wake_r, 64)
                while not self._commands.empty():
                    if not self._command(self._commands.get()):
                        self._dpy.close()
                        return
        except (error.ConnectionClosedError, error.XError, OSError):
            return  # the display went away (test teardown): nothing left to serve

    def _command(self, command: str) -> bool:
        clipboard = self._atoms["CLIPBOARD"]
        if command == "own":
            self._win.set_selection_owner(clipboard, X.CurrentTime)
            self._dpy.sync()
            if self._dpy.get_selection_owner(clipboard) == self._win:
                self.owns = True
                self._acquired.set()
        elif command == "read":
            self._win.convert_selection(clipboard, self._atoms["UTF8_STRING"], self._atoms["KZ_CLIPBOARD_READ"],
                                        X.CurrentTime)
            self._dpy.flush()
        return command != "quit"

    def _handle(self, ev: Any) -> None:
        if ev.type == X.SelectionClear:
            self.owns = False
        if ev.type == X.SelectionNotify and ev.requestor == self._win:
            self._read_value = None
            if ev.property != X.NONE:
                prop = self._win.get_full_property(ev.property, X.AnyPropertyType)
                self._win.delete_property(ev.property)
                if prop is not None and prop.property_type != self._atoms["INCR"]:
                    value = prop.value
                    self._read_value = value if isinstance(value, bytes) else str(value).encode("utf-8")
                else:
                    return  # INCR: too large for a field; the caller falls back to xclip on timeout
            self._read_done.set()
            return
        if ev.type != X.SelectionRequest:
            return
        atoms = self._atoms
        prop = ev.property if ev.property != X.NONE else ev.target
        if ev.target == atoms["TARGETS"]:
            ev.requestor.change_property(prop, Xatom.ATOM, 32,
                                         [atoms["TARGETS"], atoms["UTF8_STRING"], atoms["TEXT"], Xatom.STRING])
        elif ev.target in (atoms["UTF8_STRING"], atoms["TEXT"], Xatom.STRING):
            ev.requestor.change_property(prop, ev.target, 8, self._data)
        else:
            prop = X.NONE
        notify = event.SelectionNotify(time=ev.time, requestor=ev.requestor, selection=ev.selection,
                                       target=ev.target, property=prop)
        ev.requestor.send_event(notify)
        self._dpy.flush()
        if prop != X.NONE and ev.target != atoms["TARGETS"]:
            self._served.set()

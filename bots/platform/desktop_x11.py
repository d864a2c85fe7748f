"""X11 desktop platform (Xvfb, Linux desktops): python-xlib for windows, xclip for the clipboard.

Under bare Xvfb no window manager runs, so ``_NET_ACTIVE_WINDOW`` means nothing: focus is
given with ``XSetInputFocus`` and the window raised (a manager, if present, is asked too).
Reading the clipboard uses ``xclip -o``. Setting it for a paste makes this process the
selection owner (:mod:`bots.platform.x11_selection`), so it knows when the application has
taken the text; restoring the staff's clipboard hands it to ``xclip -i``, which forks an owner
that outlives the run (its output goes to DEVNULL: reading its pipes would wait for ever).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

from Xlib import X, Xatom, display, error

from bots.errors import PlatformError, StepTimeout
from bots.platform.desktop import Rect, Window
from bots.platform.process import shielded
from bots.platform.wait import wait_until
from bots.platform.x11_keys import click, send_if_focused
from bots.platform.x11_selection import SelectionOwner

_XCLIP_TIMEOUT = 5.0
#: An in-process clipboard read that takes longer falls back to xclip.
_READ_TIMEOUT = 1.0


def _xclip() -> str:
    found = shutil.which("xclip")
    if found is None:
        raise PlatformError("xclip not found (Debian: apt-get install xclip)")
    return found


def decode_utf8(data: bytes) -> str:
    """UTF-8, also as Tk 8.6 sends it: a character beyond the BMP (𠮷) as two encoded surrogates."""
    text = data.decode("utf-8", "surrogatepass")
    if any("\ud800" <= char <= "\udfff" for char in text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


class X11Desktop:
    """The X11 :class:`~bots.platform.desktop.DesktopPlatform`: one display connection, plus the
    clipboard owner once this process has offered text."""

    def __init__(self) -> None:
        self._dpy: Any = None
        self._name: str | None = None
        self._owner: SelectionOwner | None = None

    @property
    def dpy(self) -> Any:
        """The display connection, reopened when ``DISPLAY`` changed (tests start their own Xvfb)."""
        name = os.environ.get("DISPLAY")
        if self._dpy is None or name != self._name:
            self.close()
            try:
                self._dpy = display.Display(name)
            except (error.DisplayError, error.XauthError, OSError) as exc:
                raise PlatformError(f"cannot open the X display {name!r}: {exc}") from exc
            self._name = name
        return self._dpy

    def close(self) -> None:
        """Stop serving the clipboard and drop the connection; the next use reconnects."""
        if self._owner is not None:
            self._owner.close()
            self._owner = None
        if self._dpy is not None:
            try:
                self._dpy.close()
            except (error.XError, OSError):
                pass
            self._dpy = None

    def _atom(self, name: str) -> int:
        return int(self.dpy.intern_atom(name))

    # -- clipboard ---------------------------------------------------------------------------

    def clipboard_get(self) -> str | None:
        """Our own offered text as is, else an in-process read, else ``xclip -o`` (large transfers)."""
        if self._owner is not None and self._owner.owns:
            return self._owner.text  # ours: no need to ask ourselves through xclip
        if self._owner is not None:
            try:
                data = self._owner.read(_READ_TIMEOUT)
                return None if data is None else decode_utf8(data)
            except TimeoutError:
                pass  # e.g. a large INCR transfer: xclip handles those
        try:
            done = subprocess.run([_xclip(), "-selection", "clipboard", "-o", "-t", "UTF8_STRING"],
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=_XCLIP_TIMEOUT, check=False,
                                  **shielded())
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PlatformError(f"xclip -o failed: {exc}") from exc
        return decode_utf8(done.stdout) if done.returncode == 0 else None

    def clipboard_set(self, text: str) -> None:
        """Own the clipboard in-process (see :meth:`paste_ready`)."""
        if self._owner is None or self._owner.display_name != self._name:
            self.dpy  # noqa: B018 - (re)connects for the current DISPLAY first
            self._owner = SelectionOwner(self._name)
        self._owner.offer(text)

    def clipboard_keep(self, text: str) -> None:
        """Leave ``text`` on the clipboard beyond this process (restoring the staff's clipboard):
        xclip's owner takes over from ours."""
        clipboard = self._atom("CLIPBOARD")
        before = self.dpy.get_selection_owner(clipboard)
        try:
            subprocess.run([_xclip(), "-selection", "clipboard", "-i", "-t", "UTF8_STRING"], input=text.encode(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=_XCLIP_TIMEOUT, check=True,
                           **shielded())  # xclip -i stays on as the clipboard's owner: not killed by Ctrl+C
        except (OSError, subprocess.SubprocessError) as exc:
            raise PlatformError(f"xclip -i failed: {exc}") from exc
        # xclip's parent exits before its forked child owns the selection: wait for the handover.
        try:
            wait_until(lambda: self.dpy.get_selection_owner(clipboard) != before, _XCLIP_TIMEOUT, 0.005,
                       what="xclip")
        except StepTimeout as exc:
            raise PlatformError("xclip did not take the clipboard") from exc
        if self._owner is not None:
            self._owner.owns = False

    def paste_ready(self, timeout: float) -> bool:
        """True once an application fetched the text we own (X11 hands it over only when asked)."""
        return self._owner is not None and self._owner.wait_served(timeout)

    # -- windows -----------------------------------------------------------------------------

    def _title(self, win: Any) -> str | None:
        utf8 = win.get_full_text_property(self._atom("_NET_WM_NAME"), self._atom("UTF8_STRING"))
        if utf8:
            return str(utf8)
        raw = win.get_full_property(Xatom.WM_NAME, X.AnyPropertyType)
        if raw is None or not raw.value:
            return None
        value = raw.value
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)

    def _pid(self, win: Any) -> int | None:
        prop = win.get_full_property(self._atom("_NET_WM_PID"), Xatom.CARDINAL)
        return int(prop.value[0]) if prop is not None and len(prop.value) else None

    def _toplevels(self) -> list[tuple[Any, Any]]:
        """(toplevel, titled window) pairs: the titled window is the toplevel itself (no window
        manager) or a child of a manager's frame."""
        root = self.dpy.screen().root
        found: list[tuple[Any, Any]] = []
        for top in root.query_tree().children:
            try:
                if top.get_attributes().map_state != X.IsViewable:
                    continue
                if self._title(top):
                    found.append((top, top))
                    continue
                titled = next((c for c in top.query_tree().children if self._title(c)), None)
                if titled is not None:
                    found.append((top, titled))
            except error.XError:  # the window went away meanwhile
                continue
        return found

    def windows(self) -> list[Window]:
        """Viewable titled top-level windows (a manager's frame gives its client), topmost last."""
        root = self.dpy.screen().root
        result: list[Window] = []
        try:
            for _top, win in self._toplevels():
                try:
                    geometry = win.get_geometry()
                    origin = root.translate_coords(win, 0, 0)
                    result.append(Window(win.id, self._title(win) or "",
                                         Rect(origin.x, origin.y, geometry.width, geometry.height), self._pid(win)))
                except error.XError:
                    continue
        except (error.XError, error.ConnectionClosedError) as exc:
            raise PlatformError(f"cannot list X windows: {exc}") from exc
        return result

    def active_window(self) -> int | None:
        """The titled top-level window whose tree holds the input focus (walked up from the focus)."""
        try:
            focus = self.dpy.get_input_focus().focus
            if isinstance(focus, int) or focus is None:  # None / PointerRoot
                return None
            pairs = self._toplevels()
            tops = {top.id: win.id for top, win in pairs}
            titled = {win.id for _, win in pairs}
            node = focus
            while node is not None and node.id != self.dpy.screen().root.id:
                if node.id in titled:
                    return int(node.id)
                if node.id in tops:
                    return int(tops[node.id])
                node = node.query_tree().parent
        except (error.XError, error.ConnectionClosedError) as exc:
            raise PlatformError(f"cannot read the X input focus: {exc}") from exc
        return None

    def focus(self, window_id: int) -> None:
        """Raise and ``XSetInputFocus`` directly: under bare Xvfb no window manager would act on a request."""
        try:
            win = self.dpy.create_resource_object("window", window_id)
            win.configure(stack_mode=X.Above)
            win.set_input_focus(X.RevertToParent, X.CurrentTime)
            self.dpy.sync()
        except (error.XError, error.ConnectionClosedError) as exc:
            raise PlatformError(f"cannot focus X window {window_id:#x}: {exc}") from exc

    def send_keys(self, window_id: int, combos: list[list[str]]) -> bool:
        """XTest keys under a server grab, so the focus cannot move between the check and the keys."""
        try:
            return send_if_focused(self.dpy, window_id, self.active_window, combos)
        except KeyError as exc:
            raise PlatformError(f"no key for {exc} in the X keymap") from exc
        except (error.XError, error.ConnectionClosedError) as exc:
            raise PlatformError(f"cannot send keys: {exc}") from exc

    def click(self, x: int, y: int, button: str, clicks: int) -> None:
        """XTest on the keys' connection, so the click is processed before the keys that follow."""
        try:
            click(self.dpy, x, y, button, clicks)
        except (error.XError, error.ConnectionClosedError) as exc:
            raise PlatformError(f"cannot click: {exc}") from exc

    def screen_size(self) -> tuple[int, int]:
        """The default screen of the display."""
        screen = self.dpy.screen()
        return int(screen.width_in_pixels), int(screen.height_in_pixels)

    def scale(self) -> float:
        """Always 1.0: X11 screens (Xvfb, Linux desktops) are taken as unscaled."""
        return 1.0

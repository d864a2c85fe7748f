"""Driving the tray launcher under Xvfb as a member of staff would: a real tray host (Debian's
``trayer``), the real ``runner.py tray`` process, the mouse and keyboard through xdotool (XTEST),
screenshots of the windows read back by tesseract.

Nothing here knows the tray's insides. Windows are found by the titles of the UI contract
(issue 18), the menu by being a popup menu shown by the tray's process, the icon by being the
window trayer embedded. There is no window manager under Xvfb: nothing gives a new window the
focus or draws a title bar, so keys go to a window only after :func:`focus` and the
screenshots show window contents only (a title is read with :meth:`Desktop.title`).

Every wait polls a condition with a deadline and fails with the tray's output; none sleeps for
a fixed time.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from PIL import Image, ImageGrab, ImageOps, ImageStat
from Xlib import X, display, error

REPO = Path(__file__).resolve().parents[1]
#: Poll interval of the waits below (each wait has its own deadline).
POLL = 0.05
#: Where the tray host sits: a 5 % wide strip at the bottom right, where Windows has its notification
#: area (the progress window keeps to the top right: at the top the two would overlap).
TRAYER = ["trayer", "--edge", "bottom", "--align", "right", "--width", "5", "--height", "24"]

T = TypeVar("T")


# --- processes -----------------------------------------------------------------------------------


@dataclass
class Proc:
    """A child process in its own session (its children — the run's worker, its browser — with it)."""

    process: subprocess.Popen[bytes]
    log: Path
    what: str

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self, tail: int = 4000) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return text[-tail:]

    def wait(self, timeout: float) -> int:
        """The exit code; fails with the output when the process is still running after ``timeout``."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.what} still running after {timeout:.0f} s\n{self.output()}") from None

    def workers(self) -> list[int]:
        """The run workers (``python -m bots.tray.worker``) this process started and that still run."""
        found = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                parent = re.search(r"^PPid:\s+(\d+)", status.read_text(), re.M)
                command = (status.parent / "cmdline").read_bytes().split(b"\0")
            except OSError:  # exited meanwhile
                continue
            if parent and int(parent.group(1)) == self.pid and b"bots.tray.worker" in command:
                found.append(int(status.parent.name))
        return found

    def stop(self) -> None:
        """SIGTERM to the process group this test started, SIGKILL if it lingers (test teardown only)."""
        if self.alive():
            _signal_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(self.process, signal.SIGKILL)
                self.process.wait(timeout=10)
        else:  # the tray exited on its own: a worker it left behind must not outlive the test
            _signal_group(self.process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(process.pid, sig)  # the group this test created with start_new_session
    except ProcessLookupError:
        pass


def spawn(command: list[str], log: Path, what: str, *, cwd: Path | None = None,
          env: dict[str, str] | None = None) -> Proc:
    """Start ``command`` in a new session, stdout and stderr to ``log``."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    return Proc(process, log, what)


def wait_for(condition: Callable[[], T | None], timeout: float, what: str | Callable[[], str], *watch: Proc) -> T:
    """Poll ``condition`` until it returns something truthy; fail when a watched process exits
    first or the deadline passes (saying ``what``, called then if it is a function, and the
    watched processes' output)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        for proc in watch:
            if not proc.alive():
                raise AssertionError(f"{proc.what} exited ({proc.process.returncode}) before: {_say(what)}\n"
                                     f"{proc.output()}")
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p.what}:\n{p.output()}" for p in watch)
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for: {_say(what)}\n{tails}")
        time.sleep(POLL)  # wait-ok: poll interval of a wait with a deadline


def _say(what: str | Callable[[], str]) -> str:
    return what() if callable(what) else what


# --- the tray launcher ---------------------------------------------------------------------------


def tray_env(root: Path, private_tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of ``runner.py tray``: the project (KZ_HOME), Qt on the test's X display,
    its own temp folder (the single-instance lock lives there: parallel test workers must not see
    each other's tray), no session bus (Qt would use StatusNotifierItem instead of the XEmbed
    tray trayer hosts). The temp folder gets a short path of its own: Chromium puts a Unix socket in
    it, and a socket path longer than 107 bytes (a pytest tmp folder is near that) makes it fail to
    start ("Target page, context or browser has been closed")."""
    private_tmp = Path(tempfile.gettempdir()) / f"kzt-{hashlib.sha1(str(private_tmp).encode()).hexdigest()[:10]}"
    private_tmp.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "KZ_HOME": str(root), "QT_QPA_PLATFORM": "xcb", "TMPDIR": str(private_tmp),
           "LANG": "C.UTF-8", "NO_COLOR": "1", **extra}
    for name in ("KZ_LOGS", "KZ_LANG", "KZ_STORE_URL", "DBUS_SESSION_BUS_ADDRESS", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    return env


def start_tray(root: Path, private_tmp: Path, log: Path, *options: str, **extra: str) -> Proc:
    """``runner.py [OPTIONS] tray`` with ``root`` as the project and working folder."""
    return spawn([sys.executable, str(REPO / "runner.py"), *options, "tray"], log, f"tray ({log.name})", cwd=root,
                 env=tray_env(root, private_tmp, **extra))


def run_worker(root: Path, request: dict[str, Any], *, timeout: float = 120.0,
               env: dict[str, str] | None = None) -> tuple[int, list[dict[str, Any]], str]:
    """The tray's process interface by hand: ``python -m bots.tray.worker`` with ``request`` as
    its first stdin line. Returns the exit code, the decoded events and stderr."""
    environ = {**os.environ, "KZ_HOME": str(root), **(env or {})}
    for name in ("KZ_LOGS", "KZ_STORE_URL"):
        environ.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "bots.tray.worker"], cwd=REPO, env=environ,
                          input=json.dumps(request, ensure_ascii=False) + "\n", capture_output=True, text=True,
                          timeout=timeout, check=False)
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, events, done.stderr


@contextmanager
def tray_host(log: Path) -> Iterator[int]:
    """trayer on the current ``DISPLAY``: yields its panel window once it owns the system tray
    selection (``_NET_SYSTEM_TRAY_S0``), so a tray icon started now docks at once.

    The previous test's trayer has exited, but the X server may not have released its selection
    yet: a new trayer finding it owned would not become the tray. So first the selection is free."""
    with Desktop() as desktop:
        deadline = time.monotonic() + 15
        while desktop.system_tray_owned():
            assert time.monotonic() < deadline, "another tray host holds _NET_SYSTEM_TRAY_S0 on this display"
            time.sleep(POLL)  # wait-ok: poll interval of a wait with a deadline
    host = spawn(TRAYER, log, "trayer")
    try:
        with Desktop() as desktop:
            wait_for(desktop.system_tray_owned, 20, "trayer to own _NET_SYSTEM_TRAY_S0", host)
        panel = int(wait_for(lambda: _search("--onlyvisible", "--class", "trayer"), 20, "the trayer panel", host)[0])
        yield panel
    finally:
        host.stop()


# --- xdotool: input, and finding windows by title ------------------------------------------------


def xdotool(*args: str, timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
    """One xdotool command (a non-zero exit is returned, not raised: "nothing found" is one)."""
    return subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=timeout, check=False)


def _search(*args: str) -> list[int]:
    return [int(w) for w in xdotool("search", *args).stdout.split()]


_ERE_SPECIAL = re.compile(r"([.\[\]()*+?{}|^$\\])")


def literal(text: str) -> str:
    """``text`` as a POSIX extended regular expression matching itself (xdotool's --name)."""
    return _ERE_SPECIAL.sub(r"\\\1", text)


def wait_window(pattern: str, app: Proc, timeout: float = 30.0) -> int:
    """The first visible window whose title matches ``pattern`` (POSIX ERE, see :func:`literal`):
    ``xdotool search --sync`` in short slices, so a tray that died is noticed at once."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            done = xdotool("search", "--sync", "--onlyvisible", "--name", pattern, timeout=1.5)
            if done.returncode == 0 and done.stdout.split():
                return int(done.stdout.split()[0])
        except subprocess.TimeoutExpired:
            pass
        if not app.alive():
            raise AssertionError(f"{app.what} exited ({app.process.returncode}) before a window {pattern!r} showed\n"
                                 f"{app.output()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no window titled {pattern!r} after {timeout:.0f} s; visible: "
                                 f"{visible_titles()}\n{app.output()}")


def visible_titles() -> list[str]:
    """Titles of the visible named windows (for failure messages)."""
    with Desktop() as desktop:
        return [t for t in (desktop.title(w) for w in desktop.top_levels(viewable=True)) if t]


def keys(*names: str) -> None:
    """Key presses through XTEST (to the focused window, or to the popup menu holding the grab)."""
    subprocess.run(["xdotool", "key", "--clearmodifiers", "--delay", "60", *names], check=True, timeout=30)


def type_text(text: str) -> None:
    """Type ``text`` (ASCII: xdotool types through the keymap) into the focused widget."""
    subprocess.run(["xdotool", "type", "--clearmodifiers", "--delay", "8", text], check=True, timeout=60)


def click(x: int, y: int, button: int = 1) -> None:
    subprocess.run(["xdotool", "mousemove", "--sync", str(x), str(y), "click", str(button)], check=True, timeout=10)


def move_pointer(x: int, y: int) -> None:
    subprocess.run(["xdotool", "mousemove", "--sync", str(x), str(y)], check=True, timeout=10)


def focus(window: int, app: Proc, timeout: float = 10.0) -> None:
    """Give ``window`` the input focus (XSetInputFocus: no window manager would do it) and wait
    until the X server says it has it."""

    def focused() -> bool:
        xdotool("windowfocus", "--sync", str(window), timeout=5)
        return xdotool("getwindowfocus").stdout.strip() == str(window)

    wait_for(focused, timeout, f"focus on window {window}", app)


# --- reading the screen (python-xlib) ------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """A screen rectangle (root coordinates)."""

    x: int
    y: int
    width: int
    height: int

    @property
    def centre(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2

    def overlaps(self, other: Box) -> bool:
        return (self.x < other.x + other.width and other.x < self.x + self.width
                and self.y < other.y + other.height and other.y < self.y + self.height)

    def union(self, other: Box) -> Box:
        left, top = min(self.x, other.x), min(self.y, other.y)
        right = max(self.x + self.width, other.x + other.width)
        bottom = max(self.y + self.height, other.y + other.height)
        return Box(left, top, right - left, bottom - top)


class Desktop:
    """One python-xlib connection to the current ``DISPLAY``: window titles, geometry, which
    windows a process shows. A context manager (closes the connection)."""

    def __init__(self) -> None:
        self.display = display.Display()
        self.root = self.display.screen().root
        atom = self.display.intern_atom
        self.net_wm_name, self.utf8 = atom("_NET_WM_NAME"), atom("UTF8_STRING")
        self.net_wm_pid, self.net_wm_type = atom("_NET_WM_PID"), atom("_NET_WM_WINDOW_TYPE")
        self.popup_menu = atom("_NET_WM_WINDOW_TYPE_POPUP_MENU")
        self.tooltip = atom("_NET_WM_WINDOW_TYPE_TOOLTIP")
        self.tray_selection = atom("_NET_SYSTEM_TRAY_S0")

    def __enter__(self) -> Desktop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.display.close()

    def _window(self, wid: int) -> Any:
        return self.display.create_resource_object("window", wid)

    def system_tray_owned(self) -> bool:
        owner = self.display.get_selection_owner(self.tray_selection)
        return bool(getattr(owner, "id", owner))

    def top_levels(self, *, viewable: bool = True) -> list[int]:
        """The root's children, bottom to top (with no window manager these are the windows)."""
        found = []
        for child in self.root.query_tree().children:
            try:
                if not viewable or child.get_attributes().map_state == X.IsViewable:
                    found.append(child.id)
            except error.XError:  # gone meanwhile
                continue
        return found

    def title(self, wid: int) -> str:
        """The window title (``_NET_WM_NAME``, UTF-8; else ``WM_NAME``); '' when none or gone."""
        try:
            window = self._window(wid)
            prop = window.get_full_property(self.net_wm_name, self.utf8)
            if prop is not None:
                value = prop.value
                return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            name = window.get_wm_name()
            return name.decode("latin-1") if isinstance(name, bytes) else (name or "")
        except error.XError:
            return ""

    def pid(self, wid: int) -> int | None:
        try:
            prop = self._window(wid).get_full_property(self.net_wm_pid, X.AnyPropertyType)
        except error.XError:
            return None
        return int(prop.value[0]) if prop is not None and len(prop.value) else None

    def geometry(self, wid: int) -> Box:
        """Where ``wid`` is on the screen (root coordinates)."""
        window = self._window(wid)
        geo = window.get_geometry()
        at = window.translate_coords(self.root, 0, 0)
        return Box(-at.x, -at.y, geo.width, geo.height)

    def windows_of(self, pid: int) -> list[int]:
        """The visible top-level windows shown by process ``pid`` (``_NET_WM_PID``, set by Qt)."""
        return [w for w in self.top_levels() if self.pid(w) == pid]

    def _of_type(self, pid: int, kind: int) -> list[int]:
        found = []
        for wid in self.windows_of(pid):
            try:
                types = self._window(wid).get_full_property(self.net_wm_type, X.AnyPropertyType)
            except error.XError:
                continue
            if types is not None and kind in list(types.value):
                found.append(wid)
        return found

    def menus_of(self, pid: int) -> list[int]:
        """The popup menus process ``pid`` shows now, oldest (the top menu) first."""
        return self._of_type(pid, self.popup_menu)

    def balloons_of(self, pid: int) -> list[int]:
        """Its tooltips and notification balloons (Qt draws ``showMessage`` as a tooltip window on X11)."""
        return self._of_type(pid, self.tooltip)

    def tray_icon(self, panel: int) -> Box | None:
        """The icon trayer embedded for another client: the deepest window under the panel that
        carries a WM_CLASS other than trayer's own."""
        stack = [self._window(panel)]
        best: Box | None = None
        while stack:
            window = stack.pop()
            try:
                children = window.query_tree().children
            except error.XError:
                continue
            for child in children:
                stack.append(child)
                try:
                    wm_class = child.get_wm_class()
                    attributes = child.get_attributes()
                except error.XError:
                    continue
                if wm_class and "trayer" not in wm_class and attributes.map_state == X.IsViewable:
                    box = self.geometry(child.id)
                    if box.width >= 8 and box.height >= 8:
                        best = box
        return best


class Tray:
    """The tray launcher on the screen: its process, its icon in ``panel`` and its menu."""

    def __init__(self, app: Proc, panel: int) -> None:
        self.app, self.panel = app, panel

    def icon(self, timeout: float = 45.0) -> Box:
        """The docked icon (Qt docks it once the event loop runs: a cold start under load is slow)."""

        def docked() -> Box | None:
            with Desktop() as desktop:
                return desktop.tray_icon(self.panel)

        return wait_for(docked, timeout, "the tray icon docked in trayer", self.app)

    def menus(self) -> list[int]:
        with Desktop() as desktop:
            return desktop.menus_of(self.app.pid)

    def dismiss_balloons(self, icon: Box) -> None:
        """Click each balloon (or tooltip) covering the icon in its middle (away from the icon, inside
        its shape); wait until it is gone."""
        with Desktop() as desktop:
            covering = [(w, box) for w in desktop.balloons_of(self.app.pid)
                        if (box := desktop.geometry(w)).overlaps(icon)]
        for window, box in covering:
            click(*box.centre)

            def gone(window: int = window) -> bool:
                with Desktop() as desktop:
                    return window not in desktop.balloons_of(self.app.pid)

            wait_for(gone, 15, "the notification balloon to close", self.app)

    def open_menu(self, button: int = 1) -> list[int]:
        """Click the icon and wait for the menu; the pointer then moves away so only the keyboard
        chooses (as with Down/Right/Return), never an item that happened to be under the pointer.
        A notification balloon pointing at the icon is clicked away first, as a person would."""
        icon = self.icon()
        self.dismiss_balloons(icon)
        x, y = icon.centre
        click(x, y, button)
        menus = wait_for(self.menus, 15, "the tray menu", self.app)
        move_pointer(2, 790)
        return menus

    def wait_menus(self, count: int) -> list[int]:
        """Wait until ``count`` menus are open (the top menu and its open submenus)."""

        def opened() -> list[int] | None:
            menus = self.menus()
            return menus if len(menus) == count else None

        return wait_for(opened, 15, f"{count} open menus", self.app)

    def wait_menus_closed(self) -> None:
        wait_for(lambda: not self.menus(), 15, "the menu to close", self.app)


def title(window: int) -> str:
    with Desktop() as desktop:
        return desktop.title(window)


def wait_title(window: int, pattern: str, app: Proc, timeout: float = 60.0) -> re.Match[str]:
    """Poll ``window``'s title until it matches ``pattern`` (Python regex, searched); its match."""
    with Desktop() as desktop:
        return wait_for(lambda: re.search(pattern, desktop.title(window)), timeout,
                        lambda: f"window {window} titled like {pattern!r} (now {desktop.title(window)!r})", app)


def geometry(window: int) -> Box:
    with Desktop() as desktop:
        return desktop.geometry(window)


# --- screenshots and OCR -------------------------------------------------------------------------


def screenshot(box: Box, path: Path) -> Image.Image:
    """The screen inside ``box`` (Pillow's X grab of the root window), saved as PNG at ``path``."""
    image = ImageGrab.grab(bbox=(box.x, box.y, box.x + box.width, box.y + box.height),
                           xdisplay=os.environ["DISPLAY"])
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return image


def shoot_window(window: int, path: Path) -> Image.Image:
    return screenshot(geometry(window), path)


def assert_not_blank(image: Image.Image, what: str) -> None:
    """A drawn window, not a flat rectangle: the pixels vary and there are text-like dark pixels."""
    gray = ImageOps.grayscale(image)
    stddev = ImageStat.Stat(gray).stddev[0]
    histogram = gray.histogram()  # pixels per grey level, 0 (black) to 255
    levels = sum(1 for n in histogram if n)
    dark = sum(histogram[:110])
    assert image.width > 40 and image.height > 15, f"{what}: {image.size} is too small to be a window"
    assert stddev > 12 and levels > 8 and dark > 50, \
        f"{what} looks blank: stddev {stddev:.1f}, {levels} grey levels, {dark} dark pixels"


def _normal(text: str) -> str:
    """What OCR text and a label are compared as: NFKC, no whitespace, long vowel marks unified."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text).replace("ー", "-").replace("一", "-")


def read_text(image: Image.Image, languages: str = "jpn") -> str:
    """What tesseract (jpn) reads on ``image``, greyed and enlarged: three readings together (a
    block of text at 3× and at 2×; sparse text at 3×, for buttons scattered over a window). One
    reading alone misses a label now and then; the three together have read every label of the
    tray's windows in every run so far."""
    gray = ImageOps.grayscale(image)
    readings = []
    for psm, scale in (("6", 3), ("11", 3), ("6", 2)):
        big = gray.resize((gray.width * scale, gray.height * scale), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        big.save(buffer, format="PNG")
        done = subprocess.run(["tesseract", "stdin", "stdout", "-l", languages, "--psm", psm],
                              input=buffer.getvalue(), capture_output=True, timeout=120, check=False)
        readings.append(done.stdout.decode("utf-8", "replace"))
    return "\n".join(readings)


def assert_labels(image: Image.Image, labels: list[str], what: str, languages: str = "jpn") -> str:
    """Each label is read back by tesseract on the screenshot; returns the normalised reading."""
    seen = _normal(read_text(image, languages))
    missing = [label for label in labels if _normal(label) not in seen]
    assert not missing, f"{what}: tesseract did not read {missing}; it read: {seen!r}"
    return seen


def ocr_contains(image: Image.Image, label: str) -> bool:
    return _normal(label) in _normal(read_text(image))

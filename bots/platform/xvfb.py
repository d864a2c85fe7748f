"""A private virtual X display (Xvfb) for tests, benchmarks and ``make demo``.

X11 only: on Windows the desktop steps drive the real, interactive desktop and nothing here
is used. Xvfb picks its own free display number (``-displayfd``), so parallel test sessions
on one machine never race for ``:99``.
"""

from __future__ import annotations

import os
import secrets
import select
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bots.errors import FrameworkError, TargetSystemError
from bots.i18n import tr

DEFAULT_SCREEN = "1280x800x24"
_SOCKET_DIR = Path("/tmp/.X11-unix")
_FAMILY_LOCAL = 256  # Xauth family of unix-socket connections


@dataclass(frozen=True)
class VirtualDisplay:
    """A running Xvfb: ``name`` is the ``DISPLAY`` value (``":42"``)."""

    number: int
    width: int
    height: int
    pid: int

    @property
    def name(self) -> str:
        """The ``DISPLAY`` value: a local display, no host part (Xvfb runs with ``-nolisten tcp``)."""
        return f":{self.number}"


def _screen_size(screen: str) -> tuple[int, int]:
    width, height, *_ = screen.split("x")
    return int(width), int(height)


def _read_display_number(fd: int, process: subprocess.Popen[bytes], timeout: float) -> int:
    """Xvfb writes its display number to ``fd`` once it accepts connections."""
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            break
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.2))
        if ready:
            chunk = os.read(fd, 32)
            if not chunk:
                break
            data += chunk
    if not data.strip().isdigit():
        raise TargetSystemError(tr("仮想ディスプレイ（Xvfb）が起動しませんでした（終了コード {code}）",
                                   "the virtual display (Xvfb) did not start (exit code {code})",
                                   code=process.poll()))
    return int(data.strip())


def _wait_answers(number: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll the display's socket until a client connection succeeds."""
    path = str(_SOCKET_DIR / f"X{number}")
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(path)
                return
            except OSError:
                pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise TargetSystemError(tr("仮想ディスプレイ :{n} が応答しません", "virtual display :{n} does not answer",
                                       n=number))
        time.sleep(0.02)  # wait-ok: poll interval of a wait for the display to answer


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _apply(values: dict[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@contextmanager
def _env(**values: str | None) -> Iterator[None]:
    """Set (or unset, for None) environment variables, restoring the previous values after."""
    saved = {key: os.environ.get(key) for key in values}
    try:
        _apply(values)
        yield
    finally:
        _apply(saved)


def _field(value: bytes) -> bytes:
    return len(value).to_bytes(2, "big") + value


def _write_cookie(path: Path) -> None:
    """An Xauthority file with one random MIT-MAGIC-COOKIE-1 for this host, any display number.

    Xvfb reads it (``-auth``), so only clients given this file can connect: no other local user
    sees the screen (citizens' data) or sends keys to it. It also silences python-xlib's
    "no xauthority details" warning.
    """
    entry = (_FAMILY_LOCAL.to_bytes(2, "big") + _field(socket.gethostname().encode()) + _field(b"")
             + _field(b"MIT-MAGIC-COOKIE-1") + _field(secrets.token_bytes(16)))
    path.write_bytes(entry)
    path.chmod(0o600)


@contextmanager
def virtual_display(screen: str = DEFAULT_SCREEN, *, timeout: float = 20.0) -> Iterator[VirtualDisplay]:
    """Start Xvfb on a free display, point ``DISPLAY`` and ``XAUTHORITY`` at it, stop it after.

    ``with virtual_display() as display: ...`` — the previous ``DISPLAY`` is restored on exit.
    """
    binary = shutil.which("Xvfb")
    if binary is None:
        raise FrameworkError(tr("Xvfb が見つかりません（Debian: apt-get install xvfb、`make test` が入れます）",
                                "Xvfb not found (Debian: apt-get install xvfb; `make test` installs it)"))
    width, height = _screen_size(screen)
    with tempfile.TemporaryDirectory(prefix="kz-xvfb-") as tmp:
        workdir = Path(tmp)
        cookie = workdir / "Xauthority"
        _write_cookie(cookie)
        read_fd, write_fd = os.pipe()
        # Output goes to a file nobody reads: a pipe could fill up and block Xvfb.
        with (workdir / "xvfb.log").open("wb") as log:
            process = subprocess.Popen(
                [binary, "-displayfd", str(write_fd), "-auth", str(cookie), "-screen", "0", screen, "-nolisten",
                 "tcp", "-noreset"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(write_fd,), start_new_session=True)
        os.close(write_fd)
        try:
            try:
                number = _read_display_number(read_fd, process, timeout)
            finally:
                os.close(read_fd)
            _wait_answers(number, process, timeout)
            display = VirtualDisplay(number=number, width=width, height=height, pid=process.pid)
            with _env(DISPLAY=display.name, XAUTHORITY=str(cookie)):
                yield display
        finally:
            _stop(process)

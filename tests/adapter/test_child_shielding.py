"""Issue 16: children of the runner do not die of the terminal's Ctrl+C.

A terminal's Ctrl+C is SIGINT to the whole foreground process group. A script plays the runner
as a terminal's foreground job (its own group, SIGINT caught, as ``graceful_stop`` does); it
starts a desktop-application-like child with :func:`shielded` and an OCR-like process pool with
:func:`leave_terminal_group`, and the test signals the group. Both must survive.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="process groups and killpg are POSIX")

RUNNER = textwrap.dedent("""
    import os, signal, subprocess, sys, threading
    from concurrent.futures import ProcessPoolExecutor
    from bots.platform.process import leave_terminal_group, shielded

    caught = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: caught.set())
    app = subprocess.Popen(["sleep", "60"], **shielded())
    unshielded = subprocess.Popen(["sleep", "60"])  # the control: default SIGINT action, no start-up to race
    with ProcessPoolExecutor(1, initializer=leave_terminal_group) as pool:
        worker = pool.submit(os.getpid).result()
        print("ready", flush=True)
        caught.wait(30)
        alive = pool.submit(os.getpid).result(timeout=30) == worker
        print("worker", "alive" if alive else "replaced", flush=True)
    print("app", "alive" if app.poll() is None else "killed", flush=True)
    try:
        print("unshielded", "killed" if unshielded.wait(10) < 0 else "exited", flush=True)
    except subprocess.TimeoutExpired:
        print("unshielded alive", flush=True)
    app.kill()
""")


def test_shielded_children_and_pool_workers_survive_ctrl_c_to_the_group(tmp_path: Path) -> None:
    script = tmp_path / "runner.py"
    script.write_text(RUNNER, encoding="utf-8")
    out = tmp_path / "out.txt"
    with out.open("w") as sink:
        process = subprocess.Popen([sys.executable, str(script)], stdout=sink, stderr=subprocess.STDOUT,
                                   start_new_session=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    deadline = time.monotonic() + 60
    while "ready" not in out.read_text() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "ready" in out.read_text(), out.read_text()
    os.killpg(process.pid, signal.SIGINT)  # what the terminal does on Ctrl+C
    assert process.wait(timeout=60) == 0, out.read_text()
    lines = out.read_text().splitlines()
    assert "worker alive" in lines and "app alive" in lines, lines
    assert "unshielded killed" in lines, lines  # the control: without shielding, Ctrl+C kills the child

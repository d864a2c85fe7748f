"""``runner.py`` as a real child process: started, watched through the run store it writes,
killed like a power cut (the whole process group: runner and browser at once)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FLOW = "flows/shinsei_nyuryoku.yaml"


@dataclass
class Runner:
    process: subprocess.Popen[str]
    log: Path

    def kill_hard(self) -> None:
        """SIGKILL to the process group: no handler, no teardown, no flush — a power cut."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def send(self, sig: int) -> None:
        """A signal to the runner alone (as Ctrl+C or a service manager's stop would)."""
        self.process.send_signal(sig)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start(args: list[str], env: dict[str, str], log: Path) -> Runner:
    """Start ``runner.py ARGS`` in its own session (so the kill reaches its browser too)."""
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen([sys.executable, "runner.py", *args], cwd=REPO, env={**os.environ, **env},
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, text=True,
                                   start_new_session=True)
    return Runner(process, log)


def wait_until(condition: Callable[[], bool], timeout: float, what: str, runner: Runner | None = None) -> None:
    """Poll a condition (never a fixed sleep); fail with ``what`` and the runner's output."""
    deadline = time.monotonic() + timeout
    while not condition():
        if runner is not None and runner.process.poll() is not None:
            raise AssertionError(f"runner exited ({runner.process.returncode}) before: {what}\n{runner.output()[-3000:]}")
        if time.monotonic() > deadline:
            tail = runner.output()[-3000:] if runner is not None else ""
            raise AssertionError(f"timed out waiting for: {what}\n{tail}")
        time.sleep(0.05)


def journal_states(store_file: Path) -> dict[str, int]:
    """Count of journal rows per state, read while the runner writes (SQLite WAL allows it)."""
    if not store_file.exists():
        return {}
    try:
        with sqlite3.connect(f"file:{store_file}?mode=ro", uri=True, timeout=5) as connection:
            return dict(connection.execute("SELECT state, count(*) FROM record_journal GROUP BY state").fetchall())
    except sqlite3.OperationalError:  # not created yet
        return {}


def latest_run(store_file: Path) -> tuple[str, str]:
    """(run id, status) of the most recently started run."""
    with sqlite3.connect(f"file:{store_file}?mode=ro", uri=True, timeout=5) as connection:
        row = connection.execute("SELECT run_id, status FROM runs ORDER BY started_at DESC, run_id DESC LIMIT 1").fetchone()
    return str(row[0]), str(row[1])


def runs(store_file: Path) -> list[tuple[str, str, str | None]]:
    """(run id, status, resumed_from) of every run, oldest first."""
    with sqlite3.connect(f"file:{store_file}?mode=ro", uri=True, timeout=5) as connection:
        rows = connection.execute("SELECT run_id, status, resumed_from FROM runs ORDER BY started_at, run_id")
        return [(str(a), str(b), c) for a, b, c in rows.fetchall()]

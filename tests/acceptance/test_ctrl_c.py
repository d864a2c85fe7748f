"""Issue 16: Ctrl+C in a terminal finishes the record in flight, as the README promises.

A terminal sends SIGINT to its whole foreground process group: the runner *and* the Playwright
driver it started. Here the runner runs in its own process group (as a terminal's foreground
job) and the signal goes to the group (``os.killpg``) while the demo web system holds a 登録
request: the record must be keyed exactly once and confirmed, the run ``stopped``, and a resume
keys the rest — nothing twice. (``test_crash_resume.py`` signals the runner alone.)
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from kazaguruma_demo.web.store import read_all
from keying_data import assert_store_holds_exactly, expected_keyed, make_list
from runner_proc import FLOW, Runner, journal_states, latest_run, start, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SETTLED = ("confirmed", "failed", "review")


def _settled(store_file: Path) -> int:
    states = journal_states(store_file)
    return sum(states.get(s, 0) for s in SETTLED)


def test_ctrl_c_to_the_process_group_finishes_the_record_in_flight_and_resume_keys_the_rest(
        demo_web: Any, tmp_path: Path) -> None:
    server = demo_web()
    logs = tmp_path / "logs"
    store_file = logs / "kazaguruma.sqlite3"
    env = {"KZ_LOGS": str(logs), "KZ_LANG": "ja"}
    source = tmp_path / "申請一覧_10.xlsx"
    make_list(source, 10, bad=0, seed=41)
    expected = expected_keyed(source)

    runner = start(["run", FLOW, "--input", str(source)], env, tmp_path / "ctrl_c.log")
    wait_until(lambda: _settled(store_file) >= 3, 120, "3 records settled", runner)
    server.reconfigure(slow_ms=2000, slow_paths=("/confirm",), slow_rate=1.0)
    wait_until(lambda: server.requests_in_flight("POST", "/confirm") > 0, 60, "a 登録 in flight", runner)
    in_flight = _key_in(store_file, ("submitting", "submitted"))
    _ctrl_c(runner)

    assert runner.wait(timeout=90) == 3, runner.output()[-3000:]  # 3: stopped before the end
    output = runner.output()
    assert "停止の指示を受けました" in output
    assert "Task was destroyed" not in output and "Traceback" not in output, output[-3000:]
    server.reconfigure(slow_ms=0, slow_paths=())
    run_id, status = latest_run(store_file)
    assert status == "stopped"
    states = journal_states(store_file)
    assert not any(states.get(s) for s in ("in_progress", "submitting", "submitted")), states
    # The record in flight was finished, not lost: confirmed in the journal and stored once.
    assert _state_of(store_file, in_flight) == "confirmed"
    stored = read_all(server.config.db_path)
    assert sum(1 for r in stored if r["氏名"] == in_flight.split("・")[0]) == 1
    assert 4 <= len(stored) < len(expected)

    resumed = start(["resume", run_id], env, tmp_path / "resume.log")
    assert resumed.wait(timeout=300) == 1, resumed.output()[-3000:]  # 1: the row the core system refuses
    assert_store_holds_exactly(read_all(server.config.db_path), expected)


def _ctrl_c(runner: Runner) -> None:
    """What a terminal does on Ctrl+C: SIGINT to every process of the foreground group."""
    os.killpg(runner.process.pid, signal.SIGINT)


def _key_in(store_file: Path, states: tuple[str, ...]) -> str:
    import sqlite3

    marks = ",".join("?" * len(states))
    with sqlite3.connect(f"file:{store_file}?mode=ro", uri=True, timeout=5) as connection:
        (key,) = connection.execute(f"SELECT record_key FROM record_journal WHERE state IN ({marks})",  # noqa: S608
                                    states).fetchone()
    return str(key)


def _state_of(store_file: Path, key: str) -> str:
    import sqlite3

    with sqlite3.connect(f"file:{store_file}?mode=ro", uri=True, timeout=5) as connection:
        (state,) = connection.execute("SELECT state FROM record_journal WHERE record_key = ?", (key,)).fetchone()
    return str(state)

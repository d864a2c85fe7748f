"""Issue 19: ``run.jsonl`` keeps the steps of the record in flight when the runner is killed (kill -9).

The run log was flushed only at warnings and record ends, so the lines of the record the runner
died on — the very record a person must look at after a crash — stayed in the process's buffer
and were lost. The runner is started as staff start it, the 登録 request of a record is held in
flight on the demo server, the runner and its browser get SIGKILL, and ``run.jsonl`` is read back.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from keying_data import make_list
from runner_proc import FLOW, journal_states, latest_run, start, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _in_flight_key(store_file: Path) -> str:
    """The key of the record the journal shows at its commit step (as the run wrote it: masked alike)."""
    with sqlite3.connect(f"file:{store_file}?mode=ro", uri=True) as connection:
        (key,) = connection.execute(
            "SELECT record_key FROM record_journal WHERE state IN ('submitting', 'submitted')").fetchone()
    return str(key)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_steps_of_the_record_in_flight_survive_kill_9(demo_web: Any, tmp_path: Path) -> None:
    server = demo_web()
    logs = tmp_path / "logs"
    store_file = logs / "kazaguruma.sqlite3"
    source = tmp_path / "申請一覧_12.xlsx"
    make_list(source, 12, bad=0, seed=19)
    runner = start(["run", FLOW, "--input", str(source)], {"KZ_LOGS": str(logs), "KZ_LANG": "ja"},
                   tmp_path / "runner.log")
    wait_until(lambda: journal_states(store_file).get("confirmed", 0) >= 2, 120, "two records keyed", runner)
    server.reconfigure(slow_ms=5000, slow_paths=("/confirm",), slow_rate=1.0)  # hold the next 登録
    wait_until(lambda: server.requests_in_flight("POST", "/confirm") > 0, 60, "a 登録 in flight", runner)
    runner.kill_hard()
    server.reconfigure(slow_ms=0, slow_paths=())

    run_id, status = latest_run(store_file)
    assert status == "running"  # killed: nothing got to say otherwise
    key = _in_flight_key(store_file)
    (log,) = list((logs / "runs").glob(f"*/{run_id}/run.jsonl"))
    lines = _lines(log)  # every line whole: nothing was cut mid-line by a buffer
    assert any(e.get("event") == "record_started" and e.get("record") == key for e in lines), key
    steps = [e for e in lines if e.get("event") == "step_finished" and e.get("record") == key]
    actions = [e["action"] for e in steps]
    # Everything up to the commit step: the entry page, the fields, the 確認へ click.
    assert "browser.goto" in actions and actions.count("browser.fill") >= 3, actions
    assert all(e["status"] == "PASS" for e in steps), steps
    assert not any(e.get("event") == "record_finished" and e.get("record") == key for e in lines)

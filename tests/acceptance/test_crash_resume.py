"""Issue 4 acceptance: the runner is killed (SIGKILL to it and its browser, like a power cut)
at five moments of a 200-record run — one of them while the 登録 request is in flight — and
resumed each time. In the end the core system holds every valid record exactly once and the
results workbook matches it. Also: SIGTERM stops gracefully and a resume completes the rest."""

from __future__ import annotations

import json
import random
import signal
from pathlib import Path
from typing import Any

import pytest
from kazaguruma_demo.web.store import read_all
from keying_data import (
    assert_results_match_store,
    assert_store_holds_exactly,
    expected_keyed,
    make_list,
    results_rows,
)
from runner_proc import FLOW, journal_states, latest_run, runs, start, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SETTLED = ("confirmed", "failed", "review")


def _settled(store_file: Path) -> int:
    states = journal_states(store_file)
    return sum(states.get(s, 0) for s in SETTLED)


def _results_path(output: str) -> Path:
    line = next(line for line in output.splitlines() if line.startswith("結果ファイル: "))
    return Path(line.removeprefix("結果ファイル: ").strip())


def _events(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "run.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def runner_env(tmp_path: Path, demo_web: Any) -> tuple[dict[str, str], Any, Path]:
    server = demo_web()
    logs = tmp_path / "logs"
    env = {"KZ_LOGS": str(logs), "KZ_LANG": "ja"}  # KZ_DEMO_URL/PASSWORD: set by demo_web
    return env, server, logs / "kazaguruma.sqlite3"


def test_killed_five_times_and_resumed_keys_every_record_exactly_once(
        runner_env: tuple[dict[str, str], Any, Path], tmp_path: Path) -> None:
    env, server, store_file = runner_env
    source = tmp_path / "申請一覧_200.xlsx"
    failing_rows = make_list(source, 200, bad=8, seed=11)
    expected = expected_keyed(source)
    rng = random.Random(4)
    # Kill points: records settled in the journal (random), and one while 登録 is in flight.
    kill_after = sorted(rng.sample(range(5, 190), 4))
    plan: list[int | str] = [kill_after[0], kill_after[1], "in_flight", kill_after[2], kill_after[3]]
    args = ["run", FLOW, "--input", str(source)]
    caught_in_flight: str | None = None

    for attempt, point in enumerate(plan):
        runner = start(args, env, tmp_path / f"runner{attempt}.log")
        if point == "in_flight":
            before = _settled(store_file)
            wait_until(lambda: _settled(store_file) >= before + 2, 120, "two more records", runner)  # noqa: B023
            _hold_next_commit(server, runner)
            runner.kill_hard()
            caught_in_flight = _let_orphan_land(server, store_file)
        else:
            wait_until(lambda p=point: _settled(store_file) >= p, 240, f"{point} records settled", runner)
            runner.kill_hard()
        run_id, status = latest_run(store_file)
        assert status == "running", "a killed run stays 'running' until a resume takes it over"
        # Alternate the two ways back in: `run --resume` (same input) and `resume RUN_ID`.
        args = ["resume", run_id] if attempt % 2 == 0 else ["run", FLOW, "--input", str(source), "--resume"]

    final = start(args, env, tmp_path / "runner_final.log")
    assert final.wait(timeout=600) == 1, final.output()[-3000:]  # 1: some records failed (the bad rows)

    stored = read_all(server.config.db_path)
    assert_store_holds_exactly(stored, expected)
    rows = results_rows(_results_path(final.output()))
    assert len(rows) == 201
    assert_results_match_store(rows, stored, failing_rows)

    # The final run reports every row (carried ones included) in its run log too.
    final_id, _ = latest_run(store_file)
    assert sum(e.get("event") == "record_finished" for e in _events(_run_folder(store_file, final_id))) == 201
    history = runs(store_file)
    assert [status for _, status, _ in history] == ["interrupted"] * 5 + ["completed"]
    assert all(resumed == history[i][0] for i, (_, _, resumed) in enumerate(history[1:]))
    # The in-flight record was found by the lookup, with the 受付番号 the core system gave it.
    verified = [e for run_id, _, _ in history[1:] for e in _events(_run_folder(store_file, run_id))
                if e.get("event") == "verified"]
    assert any(e["found"] and caught_in_flight in e["record"] for e in verified), verified
    receipt = next(r["receipt_no"] for r in stored if r["氏名"] == caught_in_flight)
    assert any(r["受付番号"] == receipt and r["状態"] == "成功" for r in rows)


def test_sigterm_stops_after_the_current_record_and_resume_completes(
        runner_env: tuple[dict[str, str], Any, Path], tmp_path: Path) -> None:
    env, server, store_file = runner_env
    source = tmp_path / "申請一覧_40.xlsx"
    failing_rows = make_list(source, 40, bad=2, seed=29)
    expected = expected_keyed(source)

    runner = start(["run", FLOW, "--input", str(source)], env, tmp_path / "stop.log")
    wait_until(lambda: _settled(store_file) >= 8, 120, "8 records settled", runner)
    runner.send(signal.SIGTERM)
    assert runner.wait(timeout=60) == 3, runner.output()[-3000:]  # 3: stopped before the end
    assert "停止の指示を受けました" in runner.output()
    run_id, status = latest_run(store_file)
    assert status == "stopped"
    states = journal_states(store_file)
    assert not any(states.get(s) for s in ("in_progress", "submitting", "submitted")), states
    keyed_before = len(read_all(server.config.db_path))
    assert 8 - len(failing_rows) <= keyed_before < len(expected)  # the 8 settled may include the bad rows
    assert f"runner.py resume {run_id}" in runner.output()

    resumed = start(["resume", run_id], env, tmp_path / "resume.log")
    assert resumed.wait(timeout=300) == 1, resumed.output()[-3000:]
    stored = read_all(server.config.db_path)
    assert_store_holds_exactly(stored, expected)
    rows = results_rows(_results_path(resumed.output()))
    assert_results_match_store(rows, stored, failing_rows)


def test_a_second_signal_aborts_mid_record_and_the_journal_stays_resumable(
        runner_env: tuple[dict[str, str], Any, Path], tmp_path: Path) -> None:
    env, server, store_file = runner_env
    source = tmp_path / "申請一覧_20.xlsx"
    failing_rows = make_list(source, 20, bad=0, seed=31)
    expected = expected_keyed(source)
    runner = start(["run", FLOW, "--input", str(source)], env, tmp_path / "abort.log")
    wait_until(lambda: _settled(store_file) >= 3, 120, "3 records settled", runner)
    _hold_next_commit(server, runner)
    runner.send(signal.SIGINT)
    # Signals do not queue: the second is sent once the first was handled.
    wait_until(lambda: "停止の指示を受けました" in runner.output(), 30, "the first stop request", runner)
    runner.send(signal.SIGINT)
    assert runner.wait(timeout=60) == 3, runner.output()[-3000:]
    assert "強制停止します" in runner.output()
    run_id, status = latest_run(store_file)
    assert status == "aborted"
    assert journal_states(store_file).get("submitting", 0) + journal_states(store_file).get("submitted", 0) == 1
    _let_orphan_land(server, store_file)

    resumed = start(["resume", run_id], env, tmp_path / "resume.log")
    assert resumed.wait(timeout=300) == 1, resumed.output()[-3000:]
    stored = read_all(server.config.db_path)
    assert_store_holds_exactly(stored, expected)
    assert_results_match_store(results_rows(_results_path(resumed.output())), stored, failing_rows)


def _hold_next_commit(server: Any, runner: Any) -> None:
    """Make every 登録 POST take 3 s on the server and wait until one is in flight."""
    server.reconfigure(slow_ms=3000, slow_paths=("/confirm",), slow_rate=1.0)
    wait_until(lambda: server.requests_in_flight("POST", "/confirm") > 0, 60, "a 登録 in flight", runner)


def _let_orphan_land(server: Any, store_file: Path) -> str:
    """The runner is gone but its 登録 request still completes on the server: the record IS
    stored, though the runner never saw the 受付番号 (a resume must find it, not key it again).
    Waits for it, restores normal speed and returns its 氏名."""
    name = _submitting_key(store_file)
    wait_until(lambda: any(r["氏名"] == name for r in read_all(server.config.db_path)), 30,
               "the in-flight record to land in the core system")
    server.reconfigure(slow_ms=0, slow_paths=())
    return name


def _submitting_key(store_file: Path) -> str:
    """氏名 of the record the journal shows in flight (keys read 氏名・生年月日)."""
    import sqlite3

    with sqlite3.connect(f"file:{store_file}?mode=ro", uri=True) as connection:
        (key,) = connection.execute(
            "SELECT record_key FROM record_journal WHERE state IN ('submitting', 'submitted')").fetchone()
    return str(key).split("・")[0]


def _run_folder(store_file: Path, run_id: str) -> Path:
    found = list((store_file.parent / "runs").glob(f"*/{run_id}"))
    assert len(found) == 1, (run_id, found)
    return found[0]

"""Issue 19 (item 5): the run store keeps a run's own results (``run_outputs``) on its ``runs`` row,
in the order the flow declares them — on PostgreSQL too, where a JSONB column would reorder the
names — and a database from before (revision 0004) is upgraded with its runs kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bots.results.model import RunResult, RunStatus
from bots.store import RunStore

JST = dt.timezone(dt.timedelta(hours=9))
STARTED = dt.datetime(2026, 12, 7, 9, 0, tzinfo=JST)
#: Declared order differs from JSONB's (shorter keys first, then bytewise): 'a', 'score', '合計件数'.
DECLARED = {"合計件数": 10, "score": "A+", "a": None, "締め日": dt.date(2026, 12, 7)}


def _run(store: RunStore, run_id: str, run_outputs: dict[str, object]) -> None:
    store.start_run(run_id=run_id, flow_id="f", flow_version="1.0.0", flow_hash="0" * 64, selectors_hash=None,
                    trigger="manual", os_user="u", host="h", started_at=STARTED)
    store.finish_run(RunResult(run_id=run_id, flow_id="f", flow_version="1.0.0", status=RunStatus.COMPLETED,
                               started=STARTED, finished=STARTED + dt.timedelta(minutes=1), run_outputs=run_outputs))


def test_run_outputs_come_back_in_declared_order(store_url: str, tmp_path: Path) -> None:
    with RunStore.open(store_url, tmp_path) as store:
        _run(store, "with", DECLARED)
        _run(store, "without", {})
        stored = store.get_run("with")
        listed = {run.run_id: run for run in store.list_runs(None, None)}
        raw = {row["run_id"]: row["run_outputs"] for row in store.dump()["runs"]}
    assert stored is not None
    assert list(stored.run_outputs.items()) == [("合計件数", 10), ("score", "A+"), ("a", None), ("締め日", "2026-12-07")]
    assert listed["with"].run_outputs == stored.run_outputs
    assert list(listed["with"].run_outputs) == list(DECLARED)
    assert listed["without"].run_outputs == {}
    assert raw["without"] is None  # a flow without run_outputs stores nothing


def test_a_database_of_revision_0004_is_upgraded_and_keeps_its_runs(store_url: str, tmp_path: Path) -> None:
    with RunStore(store_url) as old:
        assert old.migrate("0004") == "0004"
        old.start_run(run_id="old", flow_id="f", flow_version="0.9.0", flow_hash="0" * 64, selectors_hash=None,
                      trigger="schedule", os_user="u", host="h", started_at=STARTED)
    with RunStore.open(store_url, tmp_path) as store:
        assert store.revision() == "0005"
        old_run = store.get_run("old")
        _run(store, "new", {"score": 3})
        new_run = store.get_run("new")
    assert old_run is not None and old_run.run_outputs == {} and old_run.flow_version == "0.9.0"
    assert new_run is not None and new_run.run_outputs == {"score": 3}

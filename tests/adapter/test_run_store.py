"""The run store's API on real databases: the same tests on SQLite and on a private PostgreSQL
(see ``store_url`` in tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bots.results.model import RecordResult, RunResult, RunStatus, Status
from bots.store import RunStore, StepTiming, StoreError

JST = dt.timezone(dt.timedelta(hours=9))
T0 = dt.datetime(2026, 11, 2, 9, 30, tzinfo=JST)


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[RunStore]:
    with RunStore.open(store_url, tmp_path / "logs") as opened:
        yield opened


def start(store: RunStore, run_id: str, *, at: dt.datetime = T0, flow: str = "申請入力", user: str = "山田",
          **extra: object) -> None:
    store.start_run(run_id=run_id, flow_id=flow, flow_version="1.0.0", flow_hash="a" * 64,
                    selectors_hash="b" * 64, trigger="manual", os_user=user, host="窓口PC-01", started_at=at,
                    **extra)  # type: ignore[arg-type]


def finish(store: RunStore, run_id: str, status: RunStatus, records: list[RecordResult],
           steps: list[StepTiming] | None = None, at: dt.datetime = T0) -> None:
    run = RunResult(run_id=run_id, flow_id="申請入力", flow_version="1.0.0", status=status, started=at,
                    finished=at + dt.timedelta(minutes=5), records=records)
    store.finish_run(run, steps or [])


def test_japanese_text_and_aware_timestamps_round_trip(store: RunStore) -> None:
    start(store, "r1", flow="住民票・写し交付", user="髙橋 𠮷子", input_name="申請一覧（11月）.xlsx",
          input_sha256="c" * 64)
    record = RecordResult(index=2, location="申請一覧!2", key="髙橋 𠮷子・1975-04-01", status=Status.FAIL,
                          error="郵便番号が不正です：〒1OO-0001", error_kind="input_record",
                          outputs={"受付番号": "受-０００１", "生年月日": dt.date(1975, 4, 1), "件数": 3},
                          started=T0, elapsed=1.2345)
    store.add_record("r1", record)

    run = store.get_run("r1")
    assert run is not None
    assert (run.flow_id, run.os_user, run.host, run.input_name) == (
        "住民票・写し交付", "髙橋 𠮷子", "窓口PC-01", "申請一覧（11月）.xlsx")
    assert run.status == "running" and run.finished_at is None
    assert run.started_at == T0 and run.started_at.tzinfo is not None
    assert run.started_at.utcoffset() == dt.timedelta(0)  # returned in UTC
    [row] = run.records
    assert (row.index, row.location, row.key, row.status) == (2, "申請一覧!2", "髙橋 𠮷子・1975-04-01", Status.FAIL)
    assert row.error == "郵便番号が不正です：〒1OO-0001" and row.error_kind == "input_record"
    assert row.outputs == {"受付番号": "受-０００１", "生年月日": "1975-04-01", "件数": 3}
    assert row.started_at == T0 and row.elapsed_ms == 1234


def test_outputs_are_readable_utf8_json_in_the_database(store: RunStore, store_url: str) -> None:
    start(store, "r1")
    store.add_record("r1", RecordResult(index=1, location="x", key="k", outputs={"受付番号": "受付-1"}))
    engine = create_engine(store_url)
    with engine.connect() as connection:
        raw = connection.execute(text("SELECT CAST(outputs AS TEXT) FROM record_outcomes")).scalar_one()
    engine.dispose()
    assert "受付番号" in raw and "\\u" not in raw


def test_finish_run_sets_counts_and_stores_records_never_reported(store: RunStore) -> None:
    start(store, "r1")
    done = [RecordResult(index=i, location=f"申請一覧!{i}", key=f"k{i}", status=s)
            for i, s in [(2, Status.PASS), (3, Status.FAIL), (4, Status.REVIEW)]]
    for record in done:
        store.add_record("r1", record)
    not_run = RecordResult(index=5, location="申請一覧!5", key="k5")  # stopped before it: never reported
    steps = [StepTiming("control.fail", 3, 12, 7, 1), StepTiming("control.set", 2, 4, 3, 0)]
    finish(store, "r1", RunStatus.ABORTED, [*done, not_run], steps)

    run = store.get_run("r1")
    assert run is not None
    assert (run.status, run.passed, run.failed, run.review, run.not_run, run.total) == ("aborted", 1, 1, 1, 1, 4)
    assert run.finished_at == T0 + dt.timedelta(minutes=5)
    assert [(r.index, r.status) for r in run.records] == [
        (2, Status.PASS), (3, Status.FAIL), (4, Status.REVIEW), (5, Status.NOT_RUN)]
    assert store.step_summary("r1") == steps

    finish(store, "r1", RunStatus.ABORTED, [*done, not_run], steps[:1])  # finishing twice replaces timings
    assert store.step_summary("r1") == steps[:1]


def test_list_runs_filters_by_period_flow_user_and_status(store: RunStore) -> None:
    start(store, "a", at=dt.datetime(2026, 10, 31, 23, 59, tzinfo=JST))
    start(store, "b", at=dt.datetime(2026, 11, 1, 0, 0, tzinfo=JST), flow="税額照会")
    start(store, "c", at=dt.datetime(2026, 11, 15, 12, 0, tzinfo=dt.UTC), user="佐藤")
    start(store, "d", at=dt.datetime(2026, 11, 30, 23, 59, tzinfo=JST))
    start(store, "e", at=dt.datetime(2026, 12, 1, 0, 0, tzinfo=JST))
    finish(store, "c", RunStatus.COMPLETED, [])

    def ids(*args: object, **kwargs: object) -> list[str]:
        return [run.run_id for run in store.list_runs(*args, **kwargs)]  # type: ignore[arg-type]

    november = (dt.datetime(2026, 11, 1, tzinfo=JST), dt.datetime(2026, 12, 1, tzinfo=JST))
    assert ids(*november) == ["b", "c", "d"]
    assert ids(None, None) == ["a", "b", "c", "d", "e"]
    assert ids(*november, flow_id="税額照会") == ["b"]
    assert ids(*november, user="佐藤") == ["c"]
    assert ids(*november, status=RunStatus.COMPLETED) == ["c"]
    assert ids(*november, status="running") == ["b", "d"]
    assert ids(dt.datetime(2027, 1, 1, tzinfo=JST), None) == []
    assert store.list_runs(*november)[0].records == ()


def test_list_runs_by_local_dates_includes_the_whole_last_day(store: RunStore) -> None:
    local = dt.datetime(2026, 11, 30, 23, 0).astimezone()  # this machine's zone, as the auditor's dates are
    start(store, "late", at=local)
    start(store, "next", at=local + dt.timedelta(hours=2))
    assert [r.run_id for r in store.list_runs(dt.date(2026, 11, 1), dt.date(2026, 11, 30))] == ["late"]


def test_unknown_runs_and_bad_writes_raise(store: RunStore) -> None:
    assert store.get_run("nope") is None
    assert store.step_summary("nope") == []
    with pytest.raises(StoreError):
        store.add_record("nope", RecordResult(index=1, location="x", key="k"))  # foreign key
    with pytest.raises(StoreError, match="nope"):
        finish(store, "nope", RunStatus.COMPLETED, [])
    start(store, "r1")
    with pytest.raises(StoreError):
        start(store, "r1")  # the same run twice
    with pytest.raises(StoreError, match="naive"):
        start(store, "r2", at=dt.datetime(2026, 11, 2, 9, 30))
    store.add_record("r1", RecordResult(index=1, location="x", key="k"))
    with pytest.raises(StoreError):
        store.add_record("r1", RecordResult(index=1, location="x", key="k"))  # the same record twice
    assert [r.run_id for r in store.list_runs(None, None)] == ["r1"]


def test_ledger_head_moves_forward_only(store: RunStore) -> None:
    assert store.get_ledger_head("監査/2026-11") is None
    store.set_ledger_head("監査/2026-11", 1, "1" * 64)
    store.set_ledger_head("監査/2026-11", 1, "1" * 64)  # reported twice: fine
    store.set_ledger_head("監査/2026-11", 5, "5" * 64)
    store.set_ledger_head("other", 1, "9" * 64)
    head = store.get_ledger_head("監査/2026-11")
    assert head is not None and (head.seq, head.hash) == (5, "5" * 64)
    assert head.updated_at.tzinfo is not None
    with pytest.raises(StoreError, match="後退"):
        store.set_ledger_head("監査/2026-11", 4, "4" * 64)
    with pytest.raises(StoreError):
        store.set_ledger_head("監査/2026-11", 5, "f" * 64)  # a fork: same seq, other hash
    assert store.get_ledger_head("監査/2026-11") == head


def test_dump_returns_every_table_as_plain_dicts(store: RunStore) -> None:
    start(store, "r1")
    store.add_record("r1", RecordResult(index=1, location="x", key="k", outputs={"a": 1}))
    store.set_ledger_head("f", 1, "1" * 64)
    dumped = store.dump()
    assert set(dumped) == {"runs", "record_outcomes", "step_timings", "ledger_heads", "record_journal", "flow_approvals",
                           "flow_files"}
    assert dumped["runs"][0]["os_user"] == "山田"
    assert dumped["record_outcomes"][0]["outputs"] == {"a": 1}
    assert dumped["step_timings"] == []


def test_two_threads_writing_at_once_lose_and_corrupt_nothing(store_url: str, tmp_path: Path) -> None:
    """Like the tray and the scheduler running at once: two stores on one database."""
    stores = [RunStore.open(store_url, tmp_path / "logs") for _ in range(2)]
    errors: list[BaseException] = []

    def writer(n: int, store: RunStore) -> None:
        try:
            for i in range(15):
                run_id = f"w{n}-{i:02d}"
                start(store, run_id, at=T0 + dt.timedelta(seconds=i))
                records = [RecordResult(index=j, location=f"申請一覧!{j}", key=f"{run_id}・{j}", status=Status.PASS)
                           for j in range(1, 5)]
                for record in records:
                    store.add_record(run_id, record)
                finish(store, run_id, RunStatus.COMPLETED, records, [StepTiming("control.set", 4, 8, 3, 0)])
                store.set_ledger_head(f"folder-{n}", i + 1, f"{n}{i:063d}")
        except BaseException as exc:  # reported below, from the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n, s)) for n, s in enumerate(stores, start=1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert not [t for t in threads if t.is_alive()]
        assert errors == []
        runs = stores[0].list_runs(None, None)
        assert len(runs) == 30 and all(r.status == "completed" and r.passed == 4 for r in runs)
        assert sum(len(stores[0].get_run(r.run_id).records) for r in runs) == 120  # type: ignore[union-attr]
        assert [getattr(stores[0].get_ledger_head(f"folder-{n}"), "seq", None) for n in (1, 2)] == [15, 15]
        if store_url.startswith("sqlite"):
            engine = create_engine(store_url)
            with engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
            engine.dispose()
    finally:
        for store in stores:
            store.close()

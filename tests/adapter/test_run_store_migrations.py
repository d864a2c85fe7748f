"""Schema migrations on real databases: fresh, from an older revision, and refusing a newer one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text

from bots import i18n
from bots.store import RunStore, StoreError, StoreVersionError
from bots.store.migrate import head_revision
from bots.store.schema import Base

ALL_TABLES = {"alembic_version", "runs", "record_outcomes", "step_timings", "ledger_heads",
              "record_journal", "flow_approvals", "flow_files"}


@pytest.fixture
def raw(store_url: str) -> Iterator[Engine]:
    """A plain engine on the same database, to look at it (and tamper with it) from outside the store."""
    engine = create_engine(store_url)
    yield engine
    engine.dispose()


def test_a_fresh_database_migrates_to_head_and_matches_the_models(store_url: str, raw: Engine) -> None:
    with RunStore(store_url) as store:
        assert store.revision() is None
        assert store.migrate() == head_revision() == "0005"
        assert store.migrate() == "0005"  # idempotent
        assert store.revision() == "0005"
    assert set(inspect(raw).get_table_names()) == ALL_TABLES
    with raw.connect() as connection:
        # The migration scripts build exactly the tables the ORM models describe.
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_the_migration_scripts_build_the_schema_a_new_database_is_created_with(store_url: str, raw: Engine,
                                                                              tmp_path: Path) -> None:
    # A new database is created from the models at the head (bots.store.migrate.create_if_empty); every
    # existing one is upgraded by the scripts. Both must end in the same schema.
    with RunStore(store_url) as store:
        assert store.migrate("0001") == "0001"  # tables exist now: the scripts take it from here
        assert store.migrate() == head_revision()
    with raw.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    if not store_url.startswith("sqlite"):
        return
    created = "sqlite:///" + (tmp_path / "created.sqlite3").as_posix()
    with RunStore(created) as store:
        assert store.migrate() == head_revision()
    assert _reflected(create_engine(created)) == _reflected(raw)


def _reflected(engine: Engine) -> dict[str, object]:
    """Every table's columns (name, type, nullability, default), keys and indexes, as the database reports them."""
    found = inspect(engine)
    try:
        return {table: (
            [(c["name"], str(c["type"]), c["nullable"], c.get("default")) for c in found.get_columns(table)],
            found.get_pk_constraint(table)["constrained_columns"],
            sorted((fk["referred_table"], tuple(fk["constrained_columns"])) for fk in found.get_foreign_keys(table)),
            sorted((ix["name"], tuple(ix["column_names"]), bool(ix["unique"])) for ix in found.get_indexes(table)),
            sorted(tuple(uc["column_names"]) for uc in found.get_unique_constraints(table)),
        ) for table in sorted(found.get_table_names())}
    finally:
        engine.dispose()


def test_an_older_database_is_upgraded_on_open_and_keeps_its_rows(store_url: str, raw: Engine,
                                                                   tmp_path: Path) -> None:
    with RunStore(store_url) as old:
        assert old.migrate("0001") == "0001"
    assert set(inspect(raw).get_table_names()) == {"alembic_version", "runs", "record_outcomes"}
    with raw.begin() as connection:  # a run written by the revision-1 code
        connection.execute(text(
            "INSERT INTO runs (run_id, flow_id, flow_version, flow_hash, trigger, os_user, host, started_at, status,"
            " passed, failed, review, not_run, total, dry_run) VALUES ('old-1', '申請入力', '0.9.0', :h, 'schedule',"
            " '山田', 'pc', :t, 'completed', 1, 0, 0, 0, 1, :f)"),
            {"h": "e" * 64, "t": "2026-04-01 00:00:00" if store_url.startswith("sqlite") else "2026-04-01T09:00+09:00",
             "f": False})

    with RunStore.open(store_url, tmp_path / "logs") as store:
        assert store.revision() == "0005"
        run = store.get_run("old-1")
        assert run is not None and (run.flow_id, run.os_user, run.trigger) == ("申請入力", "山田", "schedule")
        assert run.started_at.isoformat() == "2026-04-01T00:00:00+00:00"
        store.set_ledger_head("f", 1, "1" * 64)  # a table of revision 2 works
        assert run.journal_id is None and run.resumed_from is None  # revision-3 columns, empty for old runs
        assert store.approvals("申請入力") == []  # revision-4 table, empty
    assert set(inspect(raw).get_table_names()) == ALL_TABLES


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_database_newer_than_the_code_is_refused(store_url: str, raw: Engine, tmp_path: Path,
                                                   language: str) -> None:
    with RunStore(store_url) as store:
        store.migrate()
    with raw.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    i18n.set_language(language)
    expected = "新しい" if language == "ja" else "newer than this Kazaguruma"

    with pytest.raises(StoreVersionError, match=expected) as caught:
        RunStore.open(store_url, tmp_path / "logs")

    assert "0099" in str(caught.value) and "0005" in str(caught.value)
    with raw.connect() as connection:  # left untouched
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0099"


def test_a_sqlite_store_defaults_to_the_logs_folder_in_wal_mode(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KZ_STORE_URL", raising=False)
    logs = tmp_path / "ログ"  # non-ASCII folders are normal on 職員 PCs (C:/Users/山田/…)
    with RunStore.open(None, logs) as store:
        assert store.revision() == "0005"
    engine = create_engine("sqlite:///" + (logs / "kazaguruma.sqlite3").as_posix())
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    engine.dispose()


def test_kz_store_url_is_used_when_no_url_is_given(store_url: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KZ_STORE_URL", store_url)
    with RunStore.open(None, tmp_path / "logs") as store:
        assert store.revision() == "0005"
    assert not (tmp_path / "logs" / "kazaguruma.sqlite3").exists()


@pytest.mark.postgresql
def test_a_postgresql_database_that_is_not_utf8_is_refused(postgres_server: object, tmp_path: Path) -> None:
    server = postgres_server
    name = server.create_database(encoding="SQL_ASCII")  # type: ignore[attr-defined]
    try:
        with pytest.raises(StoreError, match="UTF8"):
            RunStore.open(server.url(name), tmp_path / "logs")  # type: ignore[attr-defined]
    finally:
        server.drop_database(name)  # type: ignore[attr-defined]


def test_an_unreachable_or_unsupported_store_is_a_clear_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="SQLite"):
        RunStore("mysql://kz:secret@db/kz")
    with pytest.raises(StoreError) as caught:
        RunStore.open("postgresql://kz:secret@127.0.0.1:1/kz", tmp_path / "logs")
    assert "secret" not in str(caught.value) and "127.0.0.1" in str(caught.value)

"""Fixtures of the adapter tests: a fresh demo web system per test, an HTTP client on it, and the
project + run store of the journal tests (resume, target resilience)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from demo_client import Client
from flow_harness import web_project
from kazaguruma_demo.web.config import DemoWebConfig
from kazaguruma_demo.web.server import DemoServer, serve_in_thread

from bots.project import Project
from bots.store.store import RunStore


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "demo.db"


@pytest.fixture
def server(db: Path) -> Iterator[DemoServer]:
    with serve_in_thread(DemoWebConfig(db_path=db)) as srv:
        yield srv


@pytest.fixture
def client(server: DemoServer) -> Client:
    return Client(server)


@pytest.fixture
def project(tmp_project: Project) -> Project:
    """A tmp project holding the sample keying flow and the demo web selector map."""
    return web_project(tmp_project)


@pytest.fixture
def runs_url(tmp_path: Path) -> str:
    return "sqlite:///" + (tmp_path / "runs" / "実行記録.sqlite3").as_posix()


@pytest.fixture
def store(runs_url: str, tmp_path: Path) -> Iterator[RunStore]:
    """The test's own handle on the run store the runs write (to stage crashes and to inspect)."""
    (tmp_path / "runs").mkdir(exist_ok=True)
    with RunStore.open(runs_url, tmp_path / "runs") as opened:
        yield opened

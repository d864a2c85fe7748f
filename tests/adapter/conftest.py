"""Fixtures of the adapter tests: a fresh demo web system per test, and an HTTP client on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from demo_client import Client

from bots.demo.web.config import DemoWebConfig
from bots.demo.web.server import DemoServer, serve_in_thread


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

"""Fixtures shared by every test layer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from bots import i18n
from bots.demo.web.config import DemoWebConfig
from bots.demo.web.server import DemoServer, serve_in_thread
from bots.project import Project

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "demo-pass-2026"


@pytest.fixture(autouse=True)
def _japanese_messages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Messages are Japanese unless a test asks otherwise; no language setting leaks between tests."""
    monkeypatch.delenv("KZ_LANG", raising=False)
    i18n.set_language(None)
    yield
    i18n.set_language(None)


@pytest.fixture(autouse=True)
def _quiet_loguru() -> Iterator[None]:
    """No loguru output on the terminal; runs still write their own ``run.jsonl`` sink."""
    logger.remove()
    yield


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def repo_project() -> Project:
    """The repository itself as a project: its ``selectors/demo_web.yaml`` and ``flows/``."""
    return Project(REPO_ROOT)


@pytest.fixture
def tmp_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """An empty project (``flows/``, ``selectors/``) whose run logs go to tmp, never into the repo."""
    root = tmp_path / "project"
    (root / "flows").mkdir(parents=True)
    (root / "selectors").mkdir()
    monkeypatch.setenv("KZ_LOGS", str(tmp_path / "logs"))
    monkeypatch.delenv("KZ_HOME", raising=False)
    return Project(root)


@pytest.fixture
def demo_web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., DemoServer]]:
    """Start the demo web system with a fresh store: ``demo_web(fault_rate=0.1, ...)``.

    Points ``KZ_DEMO_URL`` / ``KZ_DEMO_PASSWORD`` at it, as the sample flows expect.
    """
    servers: list[DemoServer] = []

    def start(**config: Any) -> DemoServer:
        server = serve_in_thread(DemoWebConfig(db_path=tmp_path / f"store{len(servers)}.sqlite3", **config))
        servers.append(server)
        monkeypatch.setenv("KZ_DEMO_URL", server.url)
        monkeypatch.setenv("KZ_DEMO_PASSWORD", DEMO_PASSWORD)
        return server

    yield start
    for server in servers:
        server.stop()

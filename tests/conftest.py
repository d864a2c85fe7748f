"""Fixtures shared by every test layer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from desktop_fixtures import xvfb_display  # noqa: F401  (registered once here: see below)
from kazaguruma_demo.web.config import DemoWebConfig
from kazaguruma_demo.web.server import DemoServer, serve_in_thread
from loguru import logger

import bots.actions  # noqa: F401 - fills the step registry, as bots.api and the engine do
from bots import i18n
from bots.project import Project

# ``xvfb_display``, the private Xvfb of the desktop tests, is imported above so that it is one
# session fixture for the whole run (one display per xdist worker): imported into each test module
# it would be one per module, and pyautogui stays bound to the DISPLAY of its first import.

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


# --- PostgreSQL: a private server for the run-store tests ----------------------------------------

import os  # noqa: E402  (this section is appended; keeping its imports here avoids merge conflicts)
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402


class PostgresServer:
    """A throwaway PostgreSQL cluster from Debian's binaries: 127.0.0.1 on a free port, trust
    auth, UTF-8, data in a temp folder. initdb/pg_ctl refuse to run as root, so as root they run
    as the ``postgres`` user (created by the Debian package)."""

    def __init__(self, bindir: Path, root: Path) -> None:
        self.bindir, self.root = bindir, root
        self.data, self.log = root / "data", root / "server.log"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._databases = 0

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            pytest.fail(f"PostgreSQL {tool} failed ({done.returncode}):\n{done.stdout}{done.stderr}\n{log}")

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale")
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(sql.encode())  # our own literal SQL, no parameters

    def create_database(self, encoding: str = "UTF8") -> str:
        self._databases += 1
        name = f"kz_test_{self._databases}"
        self.admin(f"CREATE DATABASE {name} ENCODING '{encoding}' TEMPLATE template0")
        return name

    def drop_database(self, name: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Started on first use only (SQLite-only selections never pay for it); stopped at the end."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found:
        pytest.fail("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): `make test` installs "
                    "the Debian package postgresql; or run: apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="kz-pg-"))
    server = PostgresServer(found[-1].parent, root)
    try:
        server.start()
        yield server
        server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty run-store database: a SQLite file, or a new database on the private server."""
    if request.param == "sqlite":
        yield "sqlite:///" + (tmp_path / "実行記録.sqlite3").as_posix()
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)

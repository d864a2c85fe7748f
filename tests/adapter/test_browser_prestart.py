"""A browser started before the run asked for it (``runner.py run`` starts it while the run
machinery is imported): the run's first ``browser.open`` takes it instead of launching another,
and a browser no run took is closed — never left running — when the command ends.

Chromium is started through a wrapper (``KZ_CHROMIUM``) that notes each launch's process id, so
the tests count launches and check that a launched browser has gone.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from kazaguruma_demo.sample_data import make_applications, write_applications_xlsx
from kazaguruma_demo.web.server import DemoServer
from typer.testing import CliRunner

from bots.adapters import browser_pool
from bots.adapters.browser_pool import BrowserPool
from bots.cli.app import app
from bots.platform.browser import launch_options

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SAMPLE = str(REPO / "flows" / "shinsei_nyuryoku.yaml")


@pytest.fixture
def launches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``KZ_CHROMIUM`` → a wrapper that appends its pid to the returned file, then becomes Chromium."""
    chromium = launch_options()["executable_path"] if "KZ_CHROMIUM" not in os.environ else os.environ["KZ_CHROMIUM"]
    log = tmp_path / "launches.txt"
    wrapper = tmp_path / "chromium-wrapper.sh"
    wrapper.write_text(f'#!/bin/sh\necho $$ >> "{log}"\nexec "{chromium}" "$@"\n', encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("KZ_CHROMIUM", str(wrapper))
    return log


def pids(log: Path) -> list[int]:
    return [int(line) for line in log.read_text().split()] if log.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


def gone(pid: int, timeout: float = 10.0) -> bool:
    """Whether the process ends within ``timeout`` (a browser closes in well under a second)."""
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def quiet(kind: str, message: str, data: dict[str, object]) -> None:
    pass


@pytest.fixture(autouse=True)
def _nothing_left_prestarted() -> None:
    yield
    browser_pool.discard_prestarted()


def test_the_first_open_takes_the_prestarted_browser_and_its_page(launches: Path) -> None:
    assert browser_pool.prestart(headless=True)
    started = browser_pool.prestarted()
    assert started is not None
    pool = BrowserPool(headless=True, notify=quiet)
    try:
        first = pool.open("a", None, None)
        second = pool.open("b", None, None)

        assert first.page is started.page  # taken, not launched again
        assert browser_pool.prestarted() is None
        assert second.page.context is not first.page.context  # each system still has its own context
        assert second.page.context.browser is started.browser
        assert len(pids(launches)) == 1
    finally:
        pool.close()
    assert not started.browser.is_connected()
    assert gone(pids(launches)[0])


def test_a_prestarted_browser_nobody_took_is_closed_by_discard(launches: Path) -> None:
    assert browser_pool.prestart(headless=True)
    started = browser_pool.prestarted()
    assert started is not None and started.browser.is_connected()

    browser_pool.discard_prestarted()

    assert browser_pool.prestarted() is None
    assert not started.browser.is_connected()
    assert gone(pids(launches)[0])


def test_another_thread_neither_sees_nor_takes_it(launches: Path) -> None:
    """Playwright's sync objects belong to the thread that started the driver."""
    assert browser_pool.prestart(headless=True)
    seen: list[object] = []
    probe = threading.Thread(target=lambda: seen.append(browser_pool.prestarted()))
    probe.start()
    probe.join()

    assert seen == [None]
    assert browser_pool.prestarted() is not None


@pytest.mark.display
def test_a_run_that_wants_the_other_kind_closes_it_and_launches_its_own(launches: Path, xvfb_display: object) -> None:
    assert browser_pool.prestart(headless=True)
    started = browser_pool.prestarted()
    assert started is not None
    pool = BrowserPool(headless=False, notify=quiet)
    try:
        session = pool.open("a", None, None)

        assert session.page is not started.page
        assert not started.browser.is_connected()
        assert len(pids(launches)) == 2
    finally:
        pool.close()


def test_a_browser_that_cannot_start_leaves_nothing_prestarted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KZ_CHROMIUM", str(tmp_path / "no-such-chromium"))

    assert browser_pool.prestart(headless=True) is False
    assert browser_pool.prestarted() is None


# --- through the command line -------------------------------------------------------------------

Demo = Callable[..., DemoServer]


def kz(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})
    return f"exit={result.exit_code}\n{result.output}"


def test_runner_run_keys_with_the_browser_it_started_early(demo_web: Demo, launches: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    demo_web()
    monkeypatch.setenv("KZ_LOGS", str(tmp_path / "logs"))
    source = write_applications_xlsx(tmp_path / "申請一覧.xlsx", [row for row, _ in make_applications(2, seed=7, bad=0)])

    output = kz("run", SAMPLE, "--input", str(source))

    assert output.startswith("exit=0"), output
    assert len(pids(launches)) == 1  # one browser for the whole run: the early one
    assert gone(pids(launches)[0])  # closed with the run
    assert browser_pool.prestarted() is None


def test_a_run_refused_before_it_starts_closes_the_early_browser(launches: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KZ_LOGS", str(tmp_path / "logs"))

    output = kz("run", SAMPLE, "--input", str(tmp_path / "missing.xlsx"))

    assert output.startswith("exit=2"), output
    assert len(pids(launches)) == 1  # it was started early ...
    assert gone(pids(launches)[0])  # ... and closed when the command ended, in this still-running process
    assert browser_pool.prestarted() is None


def test_a_run_of_a_flow_without_a_web_system_starts_no_browser(launches: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KZ_LOGS", str(tmp_path / "logs"))
    flow = tmp_path / "log_only.yaml"
    flow.write_text("id: log-only\ntitle: t\nversion: 1.0.0\nowner: o\nsteps:\n  - log: こんにちは\n", encoding="utf-8")

    output = kz("run", str(flow))

    assert output.startswith("exit=0"), output
    assert pids(launches) == []

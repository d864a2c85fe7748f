"""Serving the demo system with waitress: in a thread for tests, or in the foreground for the CLI.

waitress sets TCP_NODELAY on accepted sockets, so keep-alive responses do not stall on
Nagle + delayed ACK (the ~40 ms trap of ``http.server``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from types import TracebackType
from typing import Any

from flask import Flask
from waitress import wasyncore
from waitress.server import create_server

from .app import create_app, demo_context
from .config import DemoWebConfig
from .spa import spa_state

_log = logging.getLogger(__name__)

_RUNTIME_FIELDS = frozenset(
    {"fault_rate", "fault_paths", "fault_mode", "slow_ms", "slow_paths", "slow_rate", "seed", "maintenance", "relabel",
     "spa_error_rate", "spa_notice_every"}
)
_READY_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0


def _make_server(app: Flask, host: str, port: int, threads: int) -> tuple[Any, dict[int, Any]]:
    socket_map: dict[int, Any] = {}  # our own map, so stop() closes exactly this server's sockets
    server = create_server(
        app, map=socket_map, host=host, port=port, threads=threads, ident="kazaguruma-demo"
    )
    return server, socket_map


class DemoServer:
    """A running demo system; use as a context manager or call ``stop()``."""

    def __init__(
        self, config: DemoWebConfig, host: str = "127.0.0.1", port: int = 0, threads: int = 4
    ) -> None:
        self.config = config
        self.app = create_app(config)
        self._server, self._map = _make_server(self.app, host, port, threads)
        # The listening socket is bound by create_server, so the port is known before the loop runs.
        self.host: str = self._server.effective_host
        self.port: int = int(self._server.effective_port)
        self._running = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"demo-web-{self.port}", daemon=True)
        self._stopped = False

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        self._running.set()
        self.run()

    def run(self) -> None:
        """Serve in the calling thread until ``stop()`` (from another thread) or Ctrl+C."""
        self._server.run()

    def start(self) -> DemoServer:
        """Start the loop thread and wait until it runs."""
        self._thread.start()
        if not self._running.wait(_READY_TIMEOUT):
            raise RuntimeError("demo web server did not start")
        return self

    def stop(self) -> None:
        """Close every socket from inside the loop (asyncore is not thread-safe), then join."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread.is_alive():
            try:
                self._server.trigger.pull_trigger(lambda: wasyncore.close_all(self._map))
            except OSError:  # the loop is already closing its sockets (trigger gone): just join
                pass
            self._thread.join(_STOP_TIMEOUT)
            if self._thread.is_alive():
                _log.warning("demo web server loop did not stop within %.0f s", _STOP_TIMEOUT)
        else:
            wasyncore.close_all(self._map)
        self._server.task_dispatcher.shutdown()
        demo_context(self.app).store.close()

    def reconfigure(self, **changes: Any) -> DemoWebConfig:
        """Change fault/slowness/maintenance settings of the running system, e.g. to make it fail mid-run.

        Only ``fault_*``, ``slow_*``, ``seed``, ``maintenance``, ``relabel`` and the order app's
        ``spa_error_rate`` and ``spa_notice_every`` may change; the rest is baked into the store and
        sessions. A new ``seed`` restarts both random streams (the faults' and the order app's submit
        errors) as a fresh server with that seed would start them.
        """
        unknown = set(changes) - _RUNTIME_FIELDS
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)} on a running server")
        demo = demo_context(self.app)
        demo.config = replace(demo.config, **changes)  # validated again (rates within 0..1 …)
        if "seed" in changes:
            with demo.rng_lock:
                demo.rng.seed(changes["seed"])
            spa_state(self.app).reseed(changes["seed"])
        return demo.config

    def expire_sessions(self) -> int:
        """Expire every logged-in session now, as a restart of the core system or an operator would.

        Lets tests make a login lapse mid-run without an injected clock; returns how many expired.
        """
        return demo_context(self.app).sessions.expire_all()

    def requests_in_flight(self, method: str = "POST", path_prefix: str = "/") -> int:
        """How many requests (e.g. ``POST /confirm``, the 登録) the system is processing right now."""
        return demo_context(self.app).count_in_flight(method, path_prefix)

    def __enter__(self) -> DemoServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_in_thread(config: DemoWebConfig, host: str = "127.0.0.1", port: int = 0) -> DemoServer:
    """Start the demo system in a daemon thread on a free port (port=0) and return its handle."""
    return DemoServer(config, host, port).start()


def serve_forever(
    config: DemoWebConfig,
    host: str = "127.0.0.1",
    port: int = 8800,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Run the demo system in the foreground until Ctrl+C (``runner.py demo``).

    ``on_ready`` receives the URL once the socket listens (the CLI prints it).
    """
    server = DemoServer(config, host, port)
    if on_ready is not None:
        on_ready(server.url)
    try:
        server.run()  # waitress itself turns Ctrl+C into a clean return
    finally:
        server.stop()

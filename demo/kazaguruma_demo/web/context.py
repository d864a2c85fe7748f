"""Per-app state shared by the views, and the helpers every view uses to answer.

Kept apart from ``app.py`` so the view modules can import it without a cycle.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from flask import Response, current_app, g, make_response, render_template
from jinja2 import pass_context
from jinja2.runtime import Context

from .config import DemoWebConfig
from .sessions import Session, SessionStore
from .store import JST, ApplicationStore

EXTENSION_KEY = "kazaguruma_demo_web"


@dataclass
class DemoContext:
    """The config, store, sessions and fault dice of one app instance."""

    config: DemoWebConfig
    store: ApplicationStore
    sessions: SessionStore
    rng: random.Random
    rng_lock: threading.Lock = field(default_factory=threading.Lock)
    #: Requests being processed now, as "METHOD /path": lets a test act while one is in flight
    #: (e.g. kill the robot between its 登録 click and the answer).
    in_flight: Counter[str] = field(default_factory=Counter)
    in_flight_lock: threading.Lock = field(default_factory=threading.Lock)

    def request_started(self, what: str) -> None:
        with self.in_flight_lock:
            self.in_flight[what] += 1

    def request_ended(self, what: str) -> None:
        with self.in_flight_lock:
            self.in_flight[what] -= 1
            if self.in_flight[what] <= 0:
                del self.in_flight[what]

    def count_in_flight(self, method: str, path_prefix: str) -> int:
        with self.in_flight_lock:
            return sum(n for what, n in self.in_flight.items()
                       if what.split(" ", 1)[0] == method and what.split(" ", 1)[1].startswith(path_prefix))

    def roll_fault(self, path: str) -> bool:
        """Whether this request to ``path`` should fail (seeded, so runs are reproducible)."""
        cfg = self.config
        if cfg.fault_rate <= 0.0 or not path.startswith(cfg.fault_paths):
            return False
        with self.rng_lock:
            return self.rng.random() < cfg.fault_rate


    def roll_slow(self) -> bool:
        """Whether this request to a slow path is slow this time (``slow_rate``)."""
        if self.config.slow_rate >= 1.0:
            return True
        with self.rng_lock:
            return self.rng.random() < self.config.slow_rate


def ctx() -> DemoContext:
    """The running app's DemoContext."""
    return cast(DemoContext, current_app.extensions[EXTENSION_KEY])


def current_session() -> Session:
    """The session resolved for this request by the app's before_request hook."""
    return cast(Session, g.kz_session)


@pass_context
def relabel(_context: Context, text: str) -> str:
    """A label as the screen shows it now: the ``relabel`` fault may have renamed it (template filter).

    Takes the template context only so that Jinja never folds ``"氏名" | relabel`` into a constant
    when it compiles the template: the fault can be switched on and off while the system runs."""
    return ctx().config.relabel.get(text, text)


def today() -> date:
    """Today in Japan, whatever the host's timezone (birth dates are judged against it)."""
    return datetime.now(JST).date()


def page(template: str, kz_page: str, status: int = 200, **values: Any) -> Response:
    """Render a screen; every page knows its screen name, user, CSRF token and municipality."""
    session: Session | None = g.get("kz_session")
    response = make_response(
        render_template(
            template,
            kz_page=kz_page,
            user=session.user if session else None,
            csrf_token=session.csrf_token if session else "",
            municipality=ctx().config.municipality,
            **values,
        ),
        status,
    )
    return response


def system_error(*, busy: bool = False) -> Response:
    """The HTTP 500 pages of the core system.

    ``busy``: the documented overload page, answered before the request is processed (the
    operations manual says nothing was stored, so a retry is safe). Otherwise the generic
    error page, after which the outcome of the request is unknown.
    """
    if busy:
        return page(
            "error.html",
            "busy",
            500,
            heading="システムエラー",
            heading_class="system-error",
            message="ただいま処理が混み合っています。この要求は処理されていません。しばらくしてから再度お試しください。",
        )
    return page(
        "error.html",
        "error",
        500,
        heading="システムエラー",
        heading_class="system-error",
        message="システムエラーが発生しました。処理が完了したかどうかを確認してください。",
    )


def bad_request(message: str) -> Response:
    """HTTP 400 for forged or stale forms; not a system error, so not retried."""
    return page(
        "error.html", "bad_request", 400, heading="不正な要求", heading_class="bad-request", message=message
    )

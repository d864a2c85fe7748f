"""The single-page order app (``/spa/``): a client-side screen set served by the demo web system.

The pages nobody designed for automation look like this: one HTML shell whose script talks to a
JSON API, a notice modal over the form now and then, a radio group, labels not tied to their
fields, a submit that fails at random with an error shown in the page (nothing stored, a retry is
safe), the receipt shown in place, and a paginated list. It sits behind the system's login; its
POSTs carry the session's CSRF token in the ``X-CSRF-Token`` header (checked by the app's pipeline).

``GET /spa/`` (order screen) and ``/spa/orders`` (list) serve the shell; ``/spa/api/catalogue``,
``/spa/api/orders`` (GET: one page, POST: submit), ``/spa/api/orders.json`` and
``/spa/api/orders.csv`` (every order) are the API.
"""

from __future__ import annotations

import csv
import io
import math
import random
import threading
from dataclasses import dataclass, field
from typing import Any, cast

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from .config import DemoWebConfig
from .context import ctx, current_session, page
from .spa_form import catalogue, check_order
from .spa_store import ORDER_FIELDS, OrderStore

PAGE_SIZE = 10
SPA_KEY = "kazaguruma_demo_spa"
_CSV_HEADER = ("受付番号", *ORDER_FIELDS, "登録者", "受付日時")

bp = Blueprint("spa", __name__, url_prefix="/spa")


@dataclass
class SpaState:
    """The order store, the submit-error dice and the count of order forms shown (for the notice)."""

    store: OrderStore
    rng: random.Random
    lock: threading.Lock = field(default_factory=threading.Lock)
    forms_shown: int = 0

    def next_form_shows_notice(self, every: int) -> bool:
        """Count one showing of the order form (a load of the order screen, or the next form after
        a receipt); whether it shows the notice (showing 1, 1 + every, …)."""
        with self.lock:
            self.forms_shown += 1
            return every > 0 and (self.forms_shown - 1) % every == 0

    def reseed(self, seed: int | None) -> None:
        """Start the submit-error stream over from ``seed`` (as :func:`init_app` seeds it), so a test
        that reconfigures the running system gets the same errors as a fresh one."""
        with self.lock:
            self.rng.seed(spa_seed(seed))

    def roll_error(self, rate: float) -> bool:
        """Whether this submit fails (its own seeded stream: other dice do not shift it)."""
        if rate <= 0.0:
            return False
        with self.lock:
            return self.rng.random() < rate


def init_app(app: Flask, config: DemoWebConfig) -> None:
    """Register the app's routes and its state on ``app`` (called by ``create_app``)."""
    rng = random.Random(spa_seed(config.seed))
    app.extensions[SPA_KEY] = SpaState(store=OrderStore(config.db_path), rng=rng)
    app.register_blueprint(bp)


def spa_seed(seed: int | None) -> str | None:
    """The order app's own seed, derived from the system's: its dice never shift the others'."""
    return f"{seed}/spa" if seed is not None else None


def spa_state(app: Flask | None = None) -> SpaState:
    """The order app's state (of ``app``, or of the app serving this request)."""
    return cast(SpaState, (app or current_app).extensions[SPA_KEY])


def _received_at(created_at: str) -> str:
    return created_at[:19].replace("T", " ")


def _public(row: dict[str, Any]) -> dict[str, Any]:
    """An order as the API shows it."""
    shown = {"受付番号": row["receipt_no"], **{name: row[name] for name in ORDER_FIELDS}}
    shown["受付日時"] = _received_at(str(row["created_at"]))
    return shown


def _shell(view: str, show_notice: bool) -> Response:
    return page("spa.html", f"spa_{view}", view=view, show_notice=show_notice, catalogue=catalogue())


@bp.route("/")
def order_screen() -> ResponseReturnValue:
    """注文: the shell on its order screen; the notice modal on some loads (decided here, so it is
    there when the page has loaded, never popping up later over a half-filled form)."""
    return _shell("order", spa_state().next_form_shows_notice(ctx().config.spa_notice_every))


@bp.route("/orders")
def list_screen() -> ResponseReturnValue:
    """注文一覧: the shell on its list screen (no notice)."""
    return _shell("orders", False)


@bp.route("/api/catalogue")
def api_catalogue() -> ResponseReturnValue:
    """The heads and bodies the form offers (the shell carries them too)."""
    return jsonify(catalogue())


@bp.get("/api/orders")
def api_orders_page() -> ResponseReturnValue:
    """One page (``?page=N``, 10 a page) of the orders, oldest first; ``?q=依頼番号`` filters."""
    number = request.args.get("page", "1")
    wanted = int(number) if number.isascii() and number.isdigit() and int(number) > 0 else 1
    request_no = request.args.get("q", "").strip()
    total, rows = spa_state().store.page(wanted, PAGE_SIZE, request_no)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if wanted > pages:  # past the end (the list shrank or a typed URL): the last page instead
        wanted = pages
        total, rows = spa_state().store.page(wanted, PAGE_SIZE, request_no)
    return jsonify(total=total, page=wanted, pages=pages, per_page=PAGE_SIZE, items=[_public(r) for r in rows])


@bp.post("/api/orders")
def api_submit() -> ResponseReturnValue:
    """Submit one order: 400 with messages per field, 500 (random, before anything is stored),
    or 201 with the stored order, its receipt number, and whether the next form (続けて注文する)
    shows the notice."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="不正な要求です（JSON ではありません）"), 400
    checked = check_order(data)
    if checked.errors:
        return jsonify(errors=checked.errors), 400
    state = spa_state()
    if state.roll_error(ctx().config.spa_error_rate):
        return jsonify(error="注文の処理中にエラーが発生しました。この注文は登録されていません。もう一度お試しください。"), 500
    row = state.store.insert(checked.values, created_by=current_session().user or "")
    notice_next = state.next_form_shows_notice(ctx().config.spa_notice_every)
    return jsonify(order=_public(row), notice_next=notice_next), 201


@bp.route("/api/orders.json")
def api_all_json() -> ResponseReturnValue:
    """Every order, oldest first."""
    return jsonify(orders=[_public(r) for r in spa_state().store.all()])


@bp.route("/api/orders.csv")
def api_all_csv() -> ResponseReturnValue:
    """Every order as CSV, UTF-8 with BOM (Excel opens it without mojibake)."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(_CSV_HEADER)
    for row in spa_state().store.all():
        writer.writerow((row["receipt_no"], *(row[name] for name in ORDER_FIELDS), row["created_by"],
                         _received_at(str(row["created_at"]))))
    return Response(buf.getvalue().encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="spa_orders.csv"'})

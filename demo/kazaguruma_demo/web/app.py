"""Flask application of the demo web core system (住民記録/申請受付).

Request pipeline, in order, so each concern happens before anything it could spoil:
maintenance (503, nothing touched, not even a session) → slowness → fault (mode "before": no state touched yet, a retry is safe) → session and idle
expiry → login required → CSRF on every POST. The views then only deal with their screen.
"""

from __future__ import annotations

import random
import secrets
import time
from urllib.parse import quote

from flask import Flask, current_app, g, jsonify, redirect, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from . import attachments, spa
from .config import DemoWebConfig
from .context import (
    EXTENSION_KEY,
    DemoContext,
    bad_request,
    ctx,
    current_session,
    page,
    relabel,
    system_error,
)
from .sessions import COOKIE_NAME, SessionStore
from .store import ApplicationStore
from .views import bp as entry_bp

_PUBLIC_ENDPOINTS = frozenset({"login", "healthz", "static"})
_UNCHECKED_PATHS = ("/healthz",)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: "//host" and "/\host" would leave the site.
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/menu"


def _before_request() -> ResponseReturnValue | None:
    demo = ctx()
    cfg = demo.config
    path = request.path
    g.kz_in_flight = f"{request.method} {path}"
    demo.request_started(g.kz_in_flight)
    if path.startswith(_UNCHECKED_PATHS):
        return None
    if cfg.maintenance and request.endpoint != "static":
        return _maintenance()
    if cfg.slow_ms and path.startswith(cfg.slow_paths) and demo.roll_slow():
        time.sleep(cfg.slow_ms / 1000)  # wait-ok: deliberate slowness of the simulated system
    if cfg.fault_mode == "before" and demo.roll_fault(path):
        return system_error(busy=True)

    lookup = demo.sessions.resolve(request.cookies.get(COOKIE_NAME))
    g.kz_session = session = lookup.session
    # The whole target, query included, travels as one percent-encoded ?next= value.
    next_path = quote(request.full_path.rstrip("?") if request.method == "GET" else path, safe="/")
    if lookup.expired and request.endpoint != "login":
        return redirect(f"/login?expired=1&next={next_path}", 303)
    g.kz_expired = lookup.expired
    if session.user is None and request.endpoint not in _PUBLIC_ENDPOINTS:
        return redirect(f"/login?next={next_path}", 303)
    if request.method == "POST":
        if path == attachments.PATH:  # the one form that carries files: the form is read just below
            request.max_content_length = attachments.REQUEST_MAX_BYTES
        # Forms send the token as a field; the single-page app's JSON requests in a header.
        token = request.form.get("csrf_token", "") or request.headers.get("X-CSRF-Token", "")
        if not token or not secrets.compare_digest(token.encode(), session.csrf_token.encode()):
            return bad_request("不正な要求です（CSRFトークン）")
    return None


def _teardown_request(_exc: BaseException | None) -> None:
    what = g.pop("kz_in_flight", None)
    if what is not None:
        ctx().request_ended(what)


def _maintenance() -> ResponseReturnValue:
    # Answered before sessions, CSRF or any view (even for unknown paths): the documented
    # "nothing was processed" screen, so a robot may retry once maintenance is over.
    return page(
        "error.html",
        "maintenance",
        503,
        heading="システムメンテナンス中",
        heading_class="maintenance",
        message="システムメンテナンス中です。しばらくしてから再度お試しください。この要求は処理されていません。",
    )


def _after_request(response: WerkzeugResponse) -> WerkzeugResponse:
    session = g.get("kz_session")
    if session is not None and session.is_new:
        response.set_cookie(COOKIE_NAME, session.sid, httponly=True, samesite="Lax", path="/")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def login() -> ResponseReturnValue:
    """ユーザーID/パスワードでログインする画面。"""
    session = current_session()
    expired = bool(g.get("kz_expired")) or request.args.get("expired") == "1"
    next_path = request.values.get("next", "")
    if request.method == "GET":
        if session.user is not None:
            return redirect(_safe_next(next_path), 303)
        kz_page = "session_expired" if expired else "login"
        return page("login.html", kz_page, expired=expired, next_path=next_path, user_id="", errors=[])
    user_id = request.form.get("user_id", "").strip()
    password = request.form.get("password", "")
    expected = ctx().config.users.get(user_id)
    if expected is None or not secrets.compare_digest(password.encode(), expected.encode()):
        errors = ["ユーザーIDまたはパスワードが正しくありません"]
        return page("login.html", "login", expired=False, next_path=next_path, user_id=user_id, errors=errors)
    g.kz_session = ctx().sessions.login(session, user_id)
    return redirect(_safe_next(next_path), 303)


def logout() -> ResponseReturnValue:
    """ログアウトしてログイン画面へ戻る。"""
    g.kz_session = ctx().sessions.logout(current_session())
    return redirect("/login", 303)


def menu() -> ResponseReturnValue:
    """業務メニュー。"""
    return page("menu.html", "menu")


def root() -> ResponseReturnValue:
    return redirect("/menu", 303)


def healthz() -> ResponseReturnValue:
    """Readiness probe: no login, no faults, no slowness."""
    return jsonify(status="ok", applications=ctx().store.count())


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    if exc.code == 404:
        return page(
            "error.html",
            "not_found",
            404,
            heading="ページが見つかりません",
            heading_class="not-found",
            message="指定されたページは存在しません。",
        )
    if exc.code == 413 and request.path == attachments.PATH and getattr(g.get("kz_session"), "user", None):
        return attachments.too_large_page()
    if exc.code is not None and exc.code >= 500:
        return system_error()
    return exc.get_response()


def _unexpected_error(exc: Exception) -> ResponseReturnValue:
    # A bug in the demo itself still shows the system's own error page, but is logged first.
    current_app.logger.error("unhandled error in %s %s", request.method, request.path, exc_info=exc)
    return system_error()


def create_app(config: DemoWebConfig) -> Flask:
    """Build the demo app for ``config``; the database schema is created if missing."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY=config.secret_key, MAX_CONTENT_LENGTH=1 << 20)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION_KEY] = DemoContext(
        config=config,
        store=ApplicationStore(config.db_path),
        sessions=SessionStore(config.session_idle_seconds, config.clock),
        rng=random.Random(config.seed),
    )
    app.add_template_filter(relabel, "relabel")
    app.before_request(_before_request)
    app.after_request(_after_request)
    app.teardown_request(_teardown_request)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.add_url_rule("/", "root", root)
    app.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    app.add_url_rule("/logout", "logout", logout)
    app.add_url_rule("/menu", "menu", menu)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.register_blueprint(entry_bp)
    app.register_blueprint(attachments.bp)
    spa.init_app(app, config)
    return app


def demo_context(app: Flask) -> DemoContext:
    """The DemoContext of an app made by ``create_app`` (its store, sessions and config)."""
    demo = app.extensions[EXTENSION_KEY]
    if not isinstance(demo, DemoContext):
        raise TypeError("not an app built by kazaguruma_demo.web.app.create_app")
    return demo

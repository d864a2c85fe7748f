"""Operations on the running demo system that flows must survive: sessions cleared at once,
maintenance mode, and the search screen's result count. Real HTTP through ``serve_in_thread``;
what was stored is always read back from SQLite.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

from demo_client import PASSWORD, USER, VALID, Client
from kazaguruma_demo.web.server import DemoServer
from kazaguruma_demo.web.store import read_all

from bots.selectors.loader import load_selector_map

REPO = Path(__file__).resolve().parents[2]
EXPIRED_MESSAGE = re.compile(
    r'class="session-expired"[^>]*>セッションの有効期限が切れました。再度ログインしてください。<'
)
MAINTENANCE_MESSAGE = "システムメンテナンス中です。しばらくしてから再度お試しください。この要求は処理されていません。"


def _pending(client: Client) -> str:
    """Log in and hold one application on 確認; returns its one-time submit token."""
    client.login()
    client.get("/entry")
    confirm = client.post("/entry", VALID)
    assert confirm.kz_page == "confirm", confirm.errors()
    return confirm.field("submit_token")


def test_expire_sessions_expires_every_login_like_idling(server: DemoServer, db: Path) -> None:
    browsing, keying, anonymous = Client(server), Client(server), Client(server)
    assert browsing.login().kz_page == "menu"
    token = _pending(keying)
    anonymous.get("/login")

    assert server.expire_sessions() == 2, "only the two logins count, not the open login screen"
    assert server.expire_sessions() == 0, "already expired sessions are not counted again"

    page = browsing.get("/entry")
    assert (page.status, page.kz_page) == (200, "session_expired")
    assert EXPIRED_MESSAGE.search(page.body)

    redirect = keying.post("/confirm", {"submit_token": token}, follow=False)
    assert (redirect.status, redirect.headers["Location"]) == (303, "/login?expired=1&next=/confirm")
    page = keying.get(redirect.headers["Location"])
    assert (page.status, page.kz_page) == (200, "session_expired")
    assert read_all(db) == [], "a POST made with the expired session stored nothing"

    # The expired login cannot be resumed with the old token, but a new login works at once.
    page = keying.post("/login", {"user_id": USER, "password": PASSWORD, "next": "/entry"})
    assert page.kz_page == "entry"
    assert keying.post("/confirm", {"submit_token": token}).kz_page == "entry", "the pending application is gone"
    assert anonymous.post("/login", {"user_id": USER, "password": PASSWORD}).kz_page == "menu"
    assert read_all(db) == []
    assert server.expire_sessions() == 2


def test_maintenance_answers_503_for_every_screen_and_stores_nothing(server: DemoServer, db: Path) -> None:
    client = Client(server)
    token = _pending(client)
    csrf = client.csrf
    server.reconfigure(maintenance=True)
    newcomer = Client(server)
    for who, method, path in (
        (client, "GET", "/menu"),
        (client, "GET", "/search?shimei=x"),
        (client, "POST", "/confirm"),
        (client, "POST", "/entry"),
        (client, "GET", "/no-such-page"),
        (newcomer, "GET", "/login"),
        (newcomer, "POST", "/login"),
    ):
        data = {"csrf_token": csrf, "submit_token": token, **VALID, "user_id": USER, "password": PASSWORD}
        page = who.request(method, path, data if method == "POST" else None, follow=False)
        assert (page.status, page.kz_page) == (503, "maintenance"), (method, path)
        assert MAINTENANCE_MESSAGE in page.body
        assert "Set-Cookie" not in page.headers, "not even a session is created"
    assert newcomer.cookie is None
    health = client.get("/healthz")
    assert (health.status, health.body.strip()) == (200, '{"applications":0,"status":"ok"}')
    assert read_all(db) == []

    server.reconfigure(maintenance=False)
    assert client.get("/menu").kz_page == "menu", "the login survived the maintenance"
    page = client.post("/confirm", {"submit_token": token})
    assert page.kz_page == "complete", "the refused POSTs consumed neither the token nor the application"
    assert len(read_all(db)) == 1


def test_selector_map_knows_the_maintenance_page_as_nothing_saved() -> None:
    smap, found = load_selector_map(REPO / "selectors" / "demo_web.yaml")
    assert smap is not None, found
    indicators = {i.name: i for i in smap.error_indicators}
    maintenance = indicators["メンテナンス中"]
    assert (maintenance.kind, maintenance.nothing_saved) == ("target_error", True)
    assert [c.css for c in maintenance.candidates] == ["body[data-kz-page=maintenance]"]


def test_search_always_shows_the_result_count(client: Client) -> None:
    client.login()
    page = client.get("/search")
    assert 'id="result_count"' not in page.body, "no count before a search"
    page = client.get("/search?" + urllib.parse.urlencode({"shimei": "山田 太郎"}))
    assert '<p id="result_count">0件</p>' in page.body
    assert '<p class="no-results" role="status">該当する申請はありません</p>' in page.body
    assert 'id="results"' not in page.body
    client.submit()
    page = client.get("/search?" + urllib.parse.urlencode({"shimei": "山田 太郎"}))
    assert '<p id="result_count">1件</p>' in page.body
    assert len(re.findall(r'<td class="r_receipt_no">', page.body)) == 1
    assert "no-results" not in page.body
    page = client.get("/search?birth=1980-13-01")
    assert page.errors() and 'id="result_count"' not in page.body, "a refused search shows no count"

"""The demo web core system, exercised over real HTTP through ``serve_in_thread``.

Every test reads back what actually arrived in SQLite (``store.read_all``): a screen that says
「受付が完了しました」 proves nothing on its own.
"""

from __future__ import annotations

import http.client
import re
import shutil
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from bots.demo.web.config import DemoWebConfig
from bots.demo.web.forms import read_entry
from bots.demo.web.server import DemoServer, serve_in_thread
from bots.demo.web.sessions import SessionStore
from bots.demo.web.store import read_all

USER, PASSWORD = "kazaguruma", "demo-pass-2026"
RECEIPT = re.compile(r"R\d{4}-\d{6}")

VALID = {
    "shimei": "山田 太郎",
    "furigana": "ヤマダ タロウ",
    "birth": "1980-04-01",
    "sex": "男",
    "zip": "123-4567",
    "address": "○○市本町1-2-3",
    "phone": "03-1234-5678",
    "kind": "住民票の写し",
    "agree": "1",
    "note": "窓口受付分",
}


@dataclass
class Page:
    status: int
    path: str
    body: str
    headers: Message
    raw: bytes

    def field(self, name: str) -> str:
        found = re.search(rf'name="{name}" value="([^"]*)"', self.body)
        assert found, f"no hidden field {name} on {self.path}"
        return found.group(1)

    @property
    def kz_page(self) -> str:
        found = re.search(r'<body data-kz-page="([^"]+)"', self.body)
        assert found, self.body[:300]
        return found.group(1)

    def errors(self) -> list[str]:
        block = re.search(r'<ul class="errors" role="alert">(.*?)</ul>', self.body, re.S)
        return re.findall(r"<li>(.*?)</li>", block.group(1)) if block else []


class Client:
    """One keep-alive connection with a cookie, following redirects like a browser."""

    def __init__(self, server: DemoServer) -> None:
        self.conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
        self.cookie: str | None = None
        self.page: Page | None = None
        self.csrf = ""  # last CSRF token seen: error pages carry no form

    def request(
        self, method: str, path: str, data: dict[str, str] | None = None, follow: bool = True
    ) -> Page:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        raw = resp.read()
        if cookie := resp.getheader("Set-Cookie"):
            self.cookie = cookie.split(";", 1)[0]
        location = resp.getheader("Location")
        if follow and resp.status in (302, 303) and location:
            return self.request(
                "GET", urllib.parse.urlsplit(location)._replace(scheme="", netloc="").geturl()
            )
        text = raw.decode("utf-8-sig", errors="replace")
        self.page = Page(resp.status, path, text, resp.headers, raw)
        if token := re.search(r'name="csrf_token" value="([^"]+)"', text):
            self.csrf = token.group(1)
        return self.page

    def get(self, path: str, follow: bool = True) -> Page:
        return self.request("GET", path, follow=follow)

    def post(self, path: str, data: dict[str, str], follow: bool = True, csrf: bool = True) -> Page:
        if csrf and "csrf_token" not in data:
            data = {"csrf_token": self.csrf, **data}
        return self.request("POST", path, data, follow=follow)

    def login(self, user: str = USER, password: str = PASSWORD) -> Page:
        self.get("/login")
        return self.post("/login", {"user_id": user, "password": password})

    def submit(self, values: dict[str, str] = VALID) -> Page:
        self.get("/entry")
        confirm = self.post("/entry", values)
        assert confirm.kz_page == "confirm", confirm.errors()
        return self.post("/confirm", {"submit_token": confirm.field("submit_token")})


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


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


def test_login_refuses_wrong_password_and_accepts_right_one(client: Client) -> None:
    page = client.login(password="wrong")
    assert page.kz_page == "login"
    assert page.errors() == ["ユーザーIDまたはパスワードが正しくありません"]
    page = client.login()
    assert (page.status, page.kz_page) == (200, "menu")
    assert "ログイン中：kazaguruma" in page.body
    for href in ("/entry", "/search", "/export.csv"):
        assert f'href="{href}"' in page.body


def test_login_is_required_and_returns_to_the_page_asked_for(client: Client) -> None:
    page = client.get("/search?shimei=%E5%B1%B1%E7%94%B0&birth=", follow=False)
    assert page.status == 303
    assert (
        page.headers["Location"] == "/login?next=/search%3Fshimei%3D%25E5%25B1%25B1%25E7%2594%25B0%26birth%3D"
    )
    client.get(page.headers["Location"])
    page = client.post("/login", {"user_id": USER, "password": PASSWORD, "next": client.page.field("next")})
    assert page.kz_page == "search"
    assert 'value="山田"' in page.body


def test_post_without_valid_csrf_token_is_refused(client: Client, db: Path) -> None:
    client.login()
    page = client.post("/entry", {**VALID, "csrf_token": "偽造トークン"})
    assert (page.status, page.kz_page) == (400, "bad_request")
    assert "不正な要求です（CSRFトークン）" in page.body
    page = client.post("/login", {"user_id": USER, "password": PASSWORD}, csrf=False)
    assert page.status == 400
    assert read_all(db) == []


def test_validation_lists_each_error_and_keeps_the_values(client: Client, db: Path) -> None:
    client.login()
    client.get("/entry")
    future = (date.today() + timedelta(days=2)).isoformat()
    bad = {
        **VALID,
        "furigana": "やまだ",
        "birth": future,
        "zip": "12-34567",
        "phone": "3-1234-5678",
        "agree": "",
    }
    page = client.post("/entry", bad)
    assert (page.status, page.kz_page) == (200, "entry")
    assert page.errors() == [
        "フリガナは全角カタカナで入力してください",
        "生年月日に未来の日付は入力できません",
        "郵便番号は7桁の数字で入力してください",
        "電話番号は0から始まる10〜11桁の数字で入力してください（ハイフン可）",
        "記載内容の確認欄にチェックを入れてください",
    ]
    assert 'id="shimei" name="shimei" value="山田 太郎"' in page.body
    assert 'value="12-34567"' in page.body
    assert '<option value="住民票の写し" selected>' in page.body
    assert read_all(db) == []


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("zip", "1234567", True),
        ("zip", "123-456", False),
        ("zip", "１２３４５６７", False),
        ("phone", "0312345678", True),
        ("phone", "090-1234-5678", True),
        ("phone", "03-1234-567", False),
        ("phone", "090-1234-56789", False),
        ("phone", "0-", False),
        ("furigana", "ヴァン　デル ヴェーレ", True),
        ("furigana", "ﾔﾏﾀﾞ", False),
        ("furigana", "  ", False),
        ("birth", "2000-02-30", False),
        ("birth", "20000101", False),
        ("birth", "2000-02-29", True),
        ("shimei", "山" * 40, True),
        ("shimei", "山" * 41, False),
        ("note", "あ" * 201, False),
        ("kind", "住民票", False),
        ("sex", "その他", True),
    ],
)
def test_entry_rules(field: str, value: str, ok: bool) -> None:
    result = read_entry({**VALID, field: value}, date(2026, 1, 1))
    assert (field not in result.errors) is ok, result.errors


def test_confirm_submit_stores_exactly_once(client: Client, db: Path) -> None:
    client.login()
    client.get("/entry")
    confirm = client.post("/entry", VALID, follow=False)
    assert (confirm.status, confirm.headers["Location"]) == (303, "/confirm")
    assert read_all(db) == [], "the pending application must stay in the session until 登録"
    confirm = client.get("/confirm")
    assert re.search(r'<td id="c_furigana">ヤマダ タロウ</td>', confirm.body)
    token = confirm.field("submit_token")
    done = client.post("/confirm", {"submit_token": token}, follow=False)
    assert done.status == 303
    receipt_no = done.headers["Location"].rsplit("/", 1)[1]
    assert RECEIPT.fullmatch(receipt_no)
    page = client.get(done.headers["Location"])
    assert "受付が完了しました" in page.body
    assert f'<span id="receipt_no" class="receipt">{receipt_no}</span>' in page.body

    again = client.post("/confirm", {"submit_token": token})
    assert (again.status, again.kz_page) == (200, "already_submitted")
    assert "この申請は既に送信されています" in again.body and receipt_no in again.body

    rows = read_all(db)
    assert len(rows) == 1
    row = rows[0]
    assert row["receipt_no"] == receipt_no
    assert (row["氏名"], row["フリガナ"], row["生年月日"], row["性別"]) == (
        "山田 太郎",
        "ヤマダ タロウ",
        "1980-04-01",
        "男",
    )
    assert (row["郵便番号"], row["住所"], row["電話番号"]) == ("123-4567", "○○市本町1-2-3", "03-1234-5678")
    assert (row["申請種別"], row["同意"], row["備考"], row["created_by"]) == (
        "住民票の写し",
        1,
        "窓口受付分",
        USER,
    )


def test_back_from_confirm_keeps_values(client: Client) -> None:
    client.login()
    client.get("/entry")
    client.post("/entry", {**VALID, "sex": "女"})
    page = client.get("/entry?back=1")
    assert 'id="furigana" name="furigana" value="ヤマダ タロウ"' in page.body
    assert '<option value="女" selected>' in page.body
    assert re.search(r'id="agree"[^>]*checked', page.body)
    assert 'value="ヤマダ' not in client.get("/entry").body


def test_search_finds_by_name_and_birth(client: Client) -> None:
    client.login()
    receipt_no = RECEIPT.search(client.submit().body).group(0)  # type: ignore[union-attr]
    client.submit({**VALID, "shimei": "佐藤 花子", "furigana": "サトウ ハナコ"})
    page = client.get("/search?" + urllib.parse.urlencode({"shimei": "山田　太郎", "birth": "1980-04-01"}))
    assert re.findall(r'<td class="r_receipt_no">(.*?)</td>', page.body) == [receipt_no]
    assert '<td class="r_kind">住民票の写し</td>' in page.body
    page = client.get("/search?" + urllib.parse.urlencode({"shimei": "山田 太郎", "birth": "1981-04-01"}))
    assert "該当する申請はありません" in page.body


def test_csv_export_has_bom_header_and_rows(client: Client) -> None:
    client.login()
    client.submit()
    client.submit({**VALID, "shimei": "佐藤 花子", "zip": "1000001"})
    page = client.get("/export.csv")
    assert page.raw.startswith(b"\xef\xbb\xbf")
    assert page.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="applications_\d{8}\.csv"', page.headers["Content-Disposition"]
    )
    lines = page.body.splitlines()
    assert lines[0].startswith("受付番号,氏名,フリガナ,生年月日")
    assert len(lines) == 3
    assert ",佐藤 花子,ヤマダ タロウ,1980-04-01,男,1000001," in lines[2]


def test_idle_session_expires_on_the_injected_clock(db: Path) -> None:
    clock = FakeClock()
    with serve_in_thread(DemoWebConfig(db_path=db, session_idle_seconds=900, clock=clock)) as srv:
        client = Client(srv)
        client.login()
        clock.now += 800
        assert client.get("/entry").kz_page == "entry"
        clock.now += 800  # still alive: idle time counts from the last request
        assert client.get("/entry").kz_page == "entry"
        client.post("/entry", VALID)
        clock.now += 901
        redirect = client.post("/confirm", {"submit_token": client.page.field("submit_token")}, follow=False)
        assert (redirect.status, redirect.headers["Location"]) == (303, "/login?expired=1&next=/confirm")
        page = client.get(redirect.headers["Location"])
        assert (page.status, page.kz_page) == (200, "session_expired")
        assert re.search(
            r'class="session-expired"[^>]*>セッションの有効期限が切れました。再度ログインしてください。<',
            page.body,
        )
        page = client.post("/login", {"user_id": USER, "password": PASSWORD, "next": "/entry"})
        assert page.kz_page == "entry"
    assert read_all(db) == []


def test_only_logins_expire_and_cookieless_clients_cannot_grow_memory(db: Path) -> None:
    clock = FakeClock()
    with serve_in_thread(DemoWebConfig(db_path=db, session_idle_seconds=900, clock=clock)) as srv:
        client = Client(srv)
        client.get("/login")
        clock.now += 2000  # a login screen left open over lunch still works
        assert client.post("/login", {"user_id": USER, "password": PASSWORD}).kz_page == "menu"
    sessions = SessionStore(idle_seconds=900, clock=clock)
    for _ in range(30_000):
        sessions.resolve(None)
    assert len(sessions) <= 10_000 + 256


def test_fault_rate_one_answers_500_before_any_state_change(db: Path) -> None:
    with serve_in_thread(DemoWebConfig(db_path=db, fault_rate=1.0)) as srv:
        client = Client(srv)
        assert client.login().kz_page == "menu", "/login is not a fault path by default"
        csrf = client.csrf
        for method, path in (("GET", "/entry"), ("POST", "/entry"), ("POST", "/confirm")):
            page = client.request(method, path, {**VALID, "csrf_token": csrf} if method == "POST" else None)
            assert (page.status, page.kz_page) == (500, "busy")
            assert '<h1 class="system-error">システムエラー</h1>' in page.body
            assert "ただいま処理が混み合っています。この要求は処理されていません。" in page.body
        srv.reconfigure(fault_rate=0.0)
        assert client.get("/confirm").kz_page == "entry", "the failed POST /entry left nothing pending"
    assert read_all(db) == []


def test_fault_after_commit_stores_once_and_retry_gets_the_receipt(db: Path) -> None:
    with serve_in_thread(DemoWebConfig(db_path=db, fault_mode="after_commit")) as srv:
        client = Client(srv)
        client.login()
        client.get("/entry")
        token = client.post("/entry", VALID).field("submit_token")
        srv.reconfigure(fault_rate=1.0)
        page = client.post("/confirm", {"submit_token": token})
        assert (page.status, page.kz_page) == (500, "error")
        assert len(read_all(db)) == 1
        retry = client.post("/confirm", {"submit_token": token})
        assert retry.kz_page == "already_submitted"
        assert read_all(db)[0]["receipt_no"] in retry.body
    assert len(read_all(db)) == 1


def test_fault_rate_zero_never_fails_and_seed_makes_faults_reproducible(server: DemoServer, db: Path) -> None:
    client = Client(server)
    client.login()
    assert all(client.get("/entry").status == 200 for _ in range(50))
    server.reconfigure(fault_rate=0.5, seed=7)
    first = [client.get("/entry").status for _ in range(30)]
    server.reconfigure(seed=7)
    assert [client.get("/entry").status for _ in range(30)] == first
    assert set(first) == {200, 500}


def test_healthz_needs_no_login_and_counts(client: Client) -> None:
    page = client.get("/healthz")
    assert (page.status, page.body.strip()) == (200, '{"applications":0,"status":"ok"}')


CHROMIUM = "/usr/bin/chromium"


@pytest.mark.browser
@pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium not installed")
def test_browser_keys_one_application(server: DemoServer, db: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
    ]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            page = browser.new_page()
            page.goto(server.url + "/entry")
            page.get_by_label("ユーザーID").fill(USER)
            page.get_by_label("パスワード").fill(PASSWORD)
            page.get_by_role("button", name="ログイン").click()
            expect(page.locator("body")).to_have_attribute("data-kz-page", "entry")
            for label, key in (
                ("氏名", "shimei"),
                ("フリガナ", "furigana"),
                ("生年月日", "birth"),
                ("郵便番号", "zip"),
                ("住所", "address"),
                ("電話番号", "phone"),
                ("備考", "note"),
            ):
                page.get_by_label(label).fill(VALID[key])
            page.get_by_label("性別").select_option("男")
            page.get_by_label("申請種別").select_option("住民票の写し")
            page.get_by_label("記載内容に誤りがないことを確認しました").check()
            page.get_by_role("button", name="確認へ").click()
            expect(page.locator("#c_shimei")).to_have_text("山田 太郎")
            page.get_by_role("button", name="登録", exact=True).click()
            expect(page.locator("#receipt_no")).to_have_text(RECEIPT)
            receipt_no = page.locator("#receipt_no").inner_text()
        finally:
            browser.close()
    rows = read_all(db)
    assert [(r["receipt_no"], r["氏名"], r["同意"]) for r in rows] == [(receipt_no, "山田 太郎", 1)]


# The screen of the selector map each reached state must fully match.
_STATE_SCREEN = {
    "login_failed": "ログイン",
    "menu": "メニュー",
    "entry_invalid": "申請入力",
    "confirm": "確認",
    "complete": "完了",
    "already_submitted": "送信済み",
    "search_hit": "検索",
}


def _locate(page: Any, cand: dict[str, Any]) -> Any:
    if "role" in cand:
        return page.get_by_role(cand["role"], name=cand.get("name"), exact=bool(cand.get("exact")))
    ((kind, value),) = cand.items()
    if kind == "css":
        return page.locator(value)
    if kind == "xpath":
        return page.locator(f"xpath={value}")
    return {"label": page.get_by_label, "text": page.get_by_text, "placeholder": page.get_by_placeholder}[
        kind
    ](value)


@pytest.mark.browser
@pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium not installed")
def test_selector_map_candidates_each_match_one_element(server: DemoServer) -> None:
    from playwright.sync_api import sync_playwright
    from ruamel.yaml import YAML

    smap = YAML(typ="safe").load(Path(__file__).parents[2].joinpath("selectors/demo_web.yaml").read_text())
    assert {e["kind"] for e in smap["error_indicators"]} == {"target_error", "session_expired", "validation"}

    def check(page: Any, state: str, skip: tuple[str, ...] = ()) -> None:
        screen = _STATE_SCREEN[state]
        for element, cands in smap["screens"][screen]["elements"].items():
            for cand in cands if element not in skip else []:
                assert _locate(page, cand).count() == 1, f"{state}: {screen}.{element} {cand}"

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(server.url + "/login")
            page.locator("#user_id").fill(USER)
            page.locator("#login").click()
            check(page, "login_failed")
            page.locator("#password").fill(PASSWORD)
            page.locator("#login").click()
            check(page, "menu")
            page.goto(server.url + "/entry")
            page.locator("#zip").fill("1")
            page.locator("#to_confirm").click()
            check(page, "entry_invalid")
            for key, value in VALID.items():
                if key in ("sex", "kind"):
                    page.locator(f"#{key}").select_option(value)
                elif key == "agree":
                    page.locator("#agree").check()
                else:
                    page.locator(f"#{key}").fill(value)
            page.locator("#to_confirm").click()
            check(page, "confirm")
            confirm_html = page.content()
            page.locator("#submit").click()
            check(page, "complete")
            page.set_content(confirm_html)  # the confirm form again, holding the now spent token
            page.locator("#submit").click()
            check(page, "already_submitted")
            page.goto(server.url + "/search?shimei=" + urllib.parse.quote(VALID["shimei"]))
            check(page, "search_hit", skip=("該当なし",))
            page.goto(server.url + "/search?shimei=none")
            for cand in smap["screens"]["検索"]["elements"]["該当なし"]:
                assert _locate(page, cand).count() == 1, cand
        finally:
            browser.close()

"""The single-page order app of the demo web system (``/spa/``): its JSON API over HTTP, then the
page itself in real Chromium (notice modal, radio group, error alert and retry, receipt in place,
paginated list), and every candidate of ``selectors/demo_spa.yaml`` on the live screens.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from demo_client import PASSWORD, USER, Client
from kazaguruma_demo.web.app import demo_context
from kazaguruma_demo.web.config import DemoWebConfig
from kazaguruma_demo.web.server import DemoServer, serve_in_thread
from kazaguruma_demo.web.spa_store import OrderStore, read_orders

REPO = Path(__file__).resolve().parents[2]
RECEIPT = re.compile(r"S\d{4}-\d{6}")


def order(n: int = 1, **changes: Any) -> dict[str, Any]:
    """A valid order as the page sends it (numbers as the form's strings)."""
    return {"依頼番号": f"K-{n:04d}", "頭部": "カメラ型", "胴体": "防災型", "脚部": "3",
            "配送先": "○○市本町1-2-3 防災課", "数量": "2", **changes}


class SpaClient:
    """A logged-in HTTP client speaking the app's JSON API, CSRF token in the header as the page sends it."""

    def __init__(self, server: DemoServer) -> None:
        self.http = Client(server)
        self.http.login()
        shell = self.http.get("/spa/orders")
        found = re.search(r'data-csrf="([^"]+)"', shell.body)
        assert found, shell.body[:300]
        self.csrf = found.group(1)

    def call(self, method: str, path: str, body: Any = None, *, csrf: bool = True) -> tuple[int, Any]:
        headers = {"Cookie": self.http.cookie or "", "Accept": "application/json"}
        raw = None
        if body is not None:
            raw = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
            if csrf:
                headers["X-CSRF-Token"] = self.csrf
        self.http.conn.request(method, path, body=raw, headers=headers)
        resp = self.http.conn.getresponse()
        data = resp.read()
        kind = resp.getheader("Content-Type") or ""
        return resp.status, json.loads(data) if "json" in kind else data.decode("utf-8-sig")

    def submit(self, values: dict[str, Any]) -> tuple[int, Any]:
        return self.call("POST", "/spa/api/orders", values)


@pytest.fixture
def spa(server: DemoServer) -> SpaClient:
    return SpaClient(server)


def test_app_is_behind_the_login(server: DemoServer) -> None:
    client = Client(server)
    page = client.get("/spa/")
    assert (page.status, page.kz_page) == (200, "login")
    assert client.post("/login", {"user_id": USER, "password": PASSWORD, "next": client.page.field("next")}).kz_page == "spa_order"


def test_submit_stores_the_order_and_answers_its_receipt(spa: SpaClient, db: Path) -> None:
    status, answer = spa.submit(order(1))
    assert status == 201
    shown = answer["order"]
    assert RECEIPT.fullmatch(shown["受付番号"])
    assert {k: shown[k] for k in ("依頼番号", "頭部", "胴体", "脚部", "配送先", "数量")} == {
        "依頼番号": "K-0001", "頭部": "カメラ型", "胴体": "防災型", "脚部": 3, "配送先": "○○市本町1-2-3 防災課", "数量": 2}
    stored = read_orders(db)
    assert [(r["receipt_no"], r["依頼番号"], r["脚部"], r["created_by"]) for r in stored] == [
        (shown["受付番号"], "K-0001", 3, USER)]


def test_refused_submits_store_nothing(spa: SpaClient, db: Path) -> None:
    status, answer = spa.submit(order(1, 胴体="巨大型", 脚部="9", 数量="０", 配送先=" ", 依頼番号="K 1"))
    assert status == 400
    assert set(answer["errors"]) == {"依頼番号", "胴体", "脚部", "数量", "配送先"}
    assert "型番 1〜6" in answer["errors"]["脚部"]
    status, _ = spa.call("POST", "/spa/api/orders", order(2), csrf=False)
    assert status == 400
    status, answer = spa.call("POST", "/spa/api/orders", [order(3)])
    assert status == 400
    assert read_orders(db) == []


def test_the_list_pages_by_ten_and_exports_every_order(spa: SpaClient) -> None:
    receipts = [spa.submit(order(n))[1]["order"]["受付番号"] for n in range(1, 24)]
    status, first = spa.call("GET", "/spa/api/orders")
    assert status == 200
    assert (first["total"], first["page"], first["pages"], first["per_page"]) == (23, 1, 3, 10)
    assert [o["受付番号"] for o in first["items"]] == receipts[:10]
    last = spa.call("GET", "/spa/api/orders?page=3")[1]
    assert [o["依頼番号"] for o in last["items"]] == ["K-0021", "K-0022", "K-0023"]
    assert spa.call("GET", "/spa/api/orders?page=99")[1]["page"] == 3  # past the end: the last page
    found = spa.call("GET", "/spa/api/orders?q=K-0007")[1]
    assert (found["total"], [o["受付番号"] for o in found["items"]]) == (1, [receipts[6]])

    everything = spa.call("GET", "/spa/api/orders.json")[1]["orders"]
    assert [o["受付番号"] for o in everything] == receipts
    status, text = spa.call("GET", "/spa/api/orders.csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["受付番号", "依頼番号", "頭部", "胴体", "脚部", "配送先", "数量", "登録者", "受付日時"]
    assert [r[0] for r in rows[1:]] == receipts and rows[5][1] == "K-0005"


def _statuses(tmp_path: Path, name: str, seed: int, n: int) -> tuple[list[int], int]:
    config = DemoWebConfig(db_path=tmp_path / name, spa_error_rate=0.3, seed=seed)
    with serve_in_thread(config) as server:
        client = SpaClient(server)
        statuses = [client.submit(order(k))[0] for k in range(n)]
        failed = client.submit(order(99))
        return statuses, len(read_orders(config.db_path)) - (failed[0] == 201)


def test_injected_submit_errors_are_seeded_and_store_nothing(tmp_path: Path) -> None:
    statuses, stored = _statuses(tmp_path, "a.sqlite3", seed=7, n=60)
    assert set(statuses) == {201, 500}
    assert stored == statuses.count(201), "a failed submit stored nothing"
    assert 8 <= statuses.count(500) <= 30  # ~30 % of 60
    again, _ = _statuses(tmp_path, "b.sqlite3", seed=7, n=60)
    assert again == statuses, "the same seed fails the same submits"
    other, _ = _statuses(tmp_path, "c.sqlite3", seed=8, n=60)
    assert other != statuses


def test_the_notice_shows_on_every_third_showing_of_the_order_form(tmp_path: Path) -> None:
    def notices(every: int) -> list[bool]:
        with serve_in_thread(DemoWebConfig(db_path=tmp_path / f"n{every}.sqlite3", spa_notice_every=every)) as srv:
            client = SpaClient(srv)
            shown = []
            for n in range(8):
                assert 'data-notice="0"' in client.http.get("/spa/orders").body  # the list never counts
                if n % 2:  # a load of the order screen…
                    body = client.http.get("/spa/").body
                    shown.append('data-notice="1"' in body)
                    assert ('<fieldset id="order_fields" class="plain" disabled>' in body) == shown[-1]
                else:  # …or the next form after a receipt (続けて注文する), told with the receipt
                    status, answer = client.submit(order(n))
                    assert status == 201
                    shown.append(answer["notice_next"])
            return shown

    assert notices(3) == [True, False, False, True, False, False, True, False]
    assert notices(1) == [True] * 8
    assert notices(0) == [False] * 8


def test_config_refuses_rates_outside_zero_to_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="spa_error_rate"):
        DemoWebConfig(db_path=tmp_path / "x", spa_error_rate=1.5)
    with pytest.raises(ValueError, match="spa_notice_every"):
        DemoWebConfig(db_path=tmp_path / "x", spa_notice_every=-1)


# --- real Chromium -----------------------------------------------------------------------------------


def _login(page: Any, url: str, target: str = "/spa/") -> None:
    page.goto(url + "/login?next=" + target)
    page.get_by_label("ユーザーID").fill(USER)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def _fill(page: Any, values: dict[str, str]) -> None:
    page.locator("input[name=request_no]").fill(values["依頼番号"])
    page.get_by_label("頭部").select_option(label=values["頭部"])
    page.get_by_role("radio", name=values["胴体"], exact=True).check()
    page.locator("input[name=legs]").fill(values["脚部"])
    page.locator("input[name=address]").fill(values["配送先"])
    page.locator("input[name=qty]").fill(values["数量"])


@pytest.mark.browser
def test_browser_notice_must_be_dismissed_then_the_order_is_received_in_place(server: DemoServer, db: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    from bots.platform.browser import launch_options

    demo = demo_context(server.app)
    demo.config = replace(demo.config, spa_notice_every=2)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_options(headless=True))
        try:
            page = browser.new_page()
            _login(page, server.url)  # form 1: the first load of the order screen, the notice shows
            dialog = page.get_by_role("dialog", name="ご利用にあたっての注意")
            expect(dialog).to_be_visible()
            expect(page.get_by_role("button", name="注文する")).to_be_disabled()
            with pytest.raises(Exception, match="Timeout"):
                page.locator("input[name=request_no]").fill("K-0001", timeout=500)
            page.get_by_role("button", name="確認しました").click()
            expect(dialog).to_have_count(0)
            _fill(page, order(1))
            url = page.url
            page.get_by_role("button", name="注文する").click()
            receipt = page.locator("#receipt_no")
            expect(receipt).to_have_text(RECEIPT)
            assert page.url == url, "the receipt is shown in place"
            expect(page.locator("#order_form")).to_be_hidden()
            stored = read_orders(db)
            assert [(r["receipt_no"], r["依頼番号"], r["胴体"], r["脚部"], r["数量"]) for r in stored] == [
                (receipt.inner_text(), "K-0001", "防災型", 3, 2)]
            page.get_by_role("button", name="続けて注文する").click()  # form 2: no notice
            expect(page.locator("#receipt")).to_have_count(0)
            expect(page.locator("input[name=request_no]")).to_have_value("")
            assert dialog.count() == 0
            _fill(page, order(2))
            page.get_by_role("button", name="注文する").click()
            expect(receipt).to_have_text(RECEIPT)
            page.get_by_role("button", name="続けて注文する").click()  # form 3: the notice, at once
            assert dialog.is_visible(), "shown synchronously with the new form"
            expect(page.get_by_role("button", name="注文する")).to_be_disabled()
            page.get_by_role("button", name="確認しました").click()
            expect(page.get_by_role("button", name="注文する")).to_be_enabled()
            page.reload()  # form 4: no notice
            expect(page.get_by_role("button", name="注文する")).to_be_enabled()
            assert dialog.count() == 0
            assert [r["依頼番号"] for r in read_orders(db)] == ["K-0001", "K-0002"]
        finally:
            browser.close()


@pytest.mark.browser
def test_browser_error_alert_saves_nothing_and_a_retry_goes_through(server: DemoServer, db: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    from bots.platform.browser import launch_options

    demo = demo_context(server.app)
    demo.config = replace(demo.config, spa_error_rate=1.0, spa_notice_every=0)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_options(headless=True))
        try:
            page = browser.new_page()
            _login(page, server.url)
            _fill(page, order(5))
            page.get_by_role("button", name="注文する").click()
            alert = page.locator(".alert-danger[role=alert]")
            expect(alert).to_contain_text("この注文は登録されていません")
            assert read_orders(db) == []
            page.get_by_role("button", name="注文する").click()
            expect(alert).to_have_count(1)  # failed again: one alert, the old one replaced
            demo.config = replace(demo.config, spa_error_rate=0.0)
            page.get_by_role("button", name="注文する").click()
            expect(page.locator("#receipt_no")).to_have_text(RECEIPT)
            expect(alert).to_have_count(0)
            assert [r["依頼番号"] for r in read_orders(db)] == ["K-0005"]
            page.locator("#order_another").click()
            page.get_by_role("button", name="注文する").click()  # an empty form: the fields' messages
            expect(page.locator("ul.errors[role=alert] li")).to_have_count(5)
            assert len(read_orders(db)) == 1
        finally:
            browser.close()


@pytest.mark.browser
def test_browser_list_shows_ten_a_page(server: DemoServer, db: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    from bots.platform.browser import launch_options

    store = OrderStore(db)
    for n in range(1, 24):
        store.insert({**order(n), "脚部": 1, "数量": 1}, created_by=USER)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_options(headless=True))
        try:
            page = browser.new_page()
            _login(page, server.url, "/spa/orders")
            expect(page.locator("#total_count")).to_have_text("23")
            rows = page.locator("#orders_table tbody tr")
            expect(rows).to_have_count(10)
            expect(page.locator("#page_info")).to_have_text("1 / 3 ページ")
            expect(page.get_by_role("button", name="前へ")).to_be_disabled()
            page.get_by_role("button", name="次へ").click()
            expect(page.locator("#page_info")).to_have_text("2 / 3 ページ")
            expect(rows.first.locator("td.o_0")).to_have_text("K-0011")
            page.get_by_role("button", name="次へ").click()
            expect(rows).to_have_count(3)
            expect(page.get_by_role("button", name="次へ")).to_be_disabled()
            page.get_by_label("依頼番号").fill("K-0017")
            page.get_by_role("button", name="検索").click()
            expect(page.locator("#total_count")).to_have_text("1")
            expect(rows).to_have_count(1)
            page.get_by_role("link", name="注文", exact=True).click()  # client-side: no load, no notice
            expect(page.locator("#view_order")).to_be_visible()
            assert page.url.endswith("/spa/") and page.get_by_role("dialog").count() == 0
            page.go_back()
            expect(page.locator("#view_orders")).to_be_visible()
        finally:
            browser.close()


@pytest.mark.browser
def test_selector_map_candidates_each_match_one_element(server: DemoServer, db: Path) -> None:
    """Every candidate of ``selectors/demo_spa.yaml`` — fallbacks included, which a run never
    tries while the first one works — finds exactly one element on the screen it belongs to, the
    radio group's for each 胴体, and each error indicator shows when its state comes."""
    from playwright.sync_api import expect, sync_playwright
    from ruamel.yaml import YAML

    from bots.adapters.locators import build_locator
    from bots.platform.browser import launch_options
    from bots.selectors.model import Candidate

    smap = YAML(typ="safe").load((REPO / "selectors" / "demo_spa.yaml").read_text(encoding="utf-8"))
    indicators = {i["name"]: i for i in smap["error_indicators"]}

    def count(page: Any, cand: dict[str, Any], value: str | None = None) -> int:
        candidate = Candidate.model_validate(cand)
        if value is not None:
            assert candidate.parametrised
            candidate = candidate.with_value(value)
        return int(build_locator(page, candidate).count())

    def check(page: Any, screen: str, *, skip: tuple[str, ...] = (), only: tuple[str, ...] = ()) -> None:
        for element, cands in smap["screens"][screen]["elements"].items():
            if element in skip or (only and element not in only) or element == "胴体":
                continue
            for cand in cands:
                assert count(page, cand) == 1, f"{screen}.{element} {cand}"

    def shows(page: Any, name: str) -> None:
        for cand in indicators[name]["candidates"][:1]:
            expect(build_locator(page, Candidate.model_validate(cand))).to_have_count(1)

    demo = demo_context(server.app)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_options(headless=True))
        try:
            page = browser.new_page()
            page.goto(server.url + "/login?next=/spa/")
            page.locator("#user_id").fill(USER)
            page.locator("button[type=submit]").click()
            check(page, "ログイン")
            page.locator("#password").fill(PASSWORD)
            page.locator("button[type=submit]").click()
            expect(page.locator("#notice")).to_have_count(1)
            check(page, "注文")  # the notice too: the first load shows it
            page.locator("#notice_ok").click()
            check(page, "注文", skip=("お知らせ", "お知らせ確認"))
            for body in ("標準型", "軽量型", "耐水型", "重装型", "小型", "防災型"):
                for cand in smap["screens"]["注文"]["elements"]["胴体"]:
                    assert count(page, cand, body) == 1, (body, cand)
            assert count(page, smap["screens"]["注文"]["elements"]["胴体"][0], "型") == 0  # exact: no partial match

            page.locator("#order_submit").click()  # empty: the fields' messages
            shows(page, "入力エラー")
            _fill(page, order(1))
            demo.config = replace(demo.config, spa_error_rate=1.0)
            page.locator("#order_submit").click()
            shows(page, "送信エラー")
            assert page.locator("ul.errors").count() == 0, "the earlier messages went with the new submit"
            demo.config = replace(demo.config, spa_error_rate=0.0)
            page.locator("#order_submit").click()
            expect(page.locator("#receipt_no")).to_have_text(RECEIPT)
            check(page, "受領")
            assert page.locator(".alert-danger").count() == 0

            page.locator("#tab_orders").click()
            expect(page.locator("#total_count")).to_have_text("1")
            check(page, "一覧", skip=("該当なし",))
            page.locator("#q_request_no").fill("K-9999")
            page.locator("#orders_search_btn").click()
            expect(page.locator("#total_count")).to_have_text("0")
            check(page, "一覧", skip=("一覧表", "行_受付番号"))

            page.locator("#tab_order").click()
            page.locator("#order_another").click()
            _fill(page, order(2))
            assert server.expire_sessions() == 1
            page.locator("#order_submit").click()  # the API answers the login page: the session lapsed
            shows(page, "セッション切れ")
            assert [r["依頼番号"] for r in read_orders(db)] == ["K-0001"]
        finally:
            browser.close()


# --- the running system reconfigured, the menu, runner.py demo --------------------------------------


def test_reconfigure_sets_the_error_rate_and_the_notice_and_a_seed_restarts_the_errors(tmp_path: Path) -> None:
    fresh, _ = _statuses(tmp_path, "fresh.sqlite3", seed=7, n=30)
    with serve_in_thread(DemoWebConfig(db_path=tmp_path / "live.sqlite3", spa_notice_every=0)) as server:
        client = SpaClient(server)
        assert {client.submit(order(k))[0] for k in range(5)} == {201}  # no errors configured

        server.reconfigure(spa_error_rate=1.0)
        assert {client.submit(order(k))[0] for k in range(5, 10)} == {500}
        # A seed restarts the order app's own error stream: the same submits fail as on a fresh server.
        server.reconfigure(spa_error_rate=0.3, seed=7)
        assert [client.submit(order(k))[0] for k in range(10, 40)] == fresh
        server.reconfigure(seed=7)
        assert [client.submit(order(k))[0] for k in range(40, 70)] == fresh

        assert 'data-notice="0"' in client.http.get("/spa/").body
        server.reconfigure(spa_notice_every=1, spa_error_rate=0.0)
        assert all('data-notice="1"' in client.http.get("/spa/").body for _ in range(3))
        status, answer = client.submit(order(99))
        assert status == 201 and answer["notice_next"] is True

        with pytest.raises(ValueError, match="spa_error_rate"):
            server.reconfigure(spa_error_rate=1.5)
        with pytest.raises(ValueError, match="db_path"):
            server.reconfigure(db_path=tmp_path / "other.sqlite3")
        assert server.reconfigure().spa_error_rate == 0.0  # the refused changes changed nothing


def test_the_menu_links_to_the_order_app(client: Client) -> None:
    client.login()
    menu = client.get("/menu")
    assert '<a id="menu_spa" href="/spa/">部品発注（SPA）</a>' in menu.body
    assert client.get("/spa/").kz_page == "spa_order"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_runner_demo_takes_the_spa_error_rate(tmp_path: Path, lang: str) -> None:
    import os
    import subprocess
    import sys
    import threading
    from types import SimpleNamespace

    environ = {**os.environ, "KZ_LANG": lang, "KZ_LOGS": str(tmp_path / "logs"), "COLUMNS": "200"}
    refused = subprocess.run([sys.executable, str(REPO / "runner.py"), "demo", "--spa-error-rate", "1.5"],
                             env=environ, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--spa-error-rate" in refused.stderr, refused.stderr
    helped = subprocess.run([sys.executable, str(REPO / "runner.py"), "demo", "--help"], env=environ,
                            capture_output=True, text=True, timeout=60)
    assert ("部品発注画面（/spa/）" if lang == "ja" else "order app (/spa/)") in helped.stdout, helped.stdout

    demo = subprocess.Popen([sys.executable, str(REPO / "runner.py"), "demo", "--port", "0", "--spa-error-rate", "1",
                             "--db", str(tmp_path / "demo.sqlite3")], env=environ, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert demo.stderr is not None
        for line in demo.stderr:
            lines.append(line)
            if "/spa/" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(60), "".join(lines)
        url = re.search(r"http://127\.0\.0\.1:(\d+)", "".join(lines))
        assert url, "".join(lines)
        said = "部品発注画面（SPA）: " if lang == "ja" else "order app (SPA): "
        assert f"{said}{url.group(0)}/spa/" in "".join(lines)
        spa = SpaClient(SimpleNamespace(host="127.0.0.1", port=int(url.group(1))))  # type: ignore[arg-type]
        assert [spa.submit(order(k))[0] for k in range(3)] == [500, 500, 500]  # every submit fails, nothing stored
        assert spa.call("GET", "/spa/api/orders")[1]["total"] == 0
    finally:
        demo.terminate()
        demo.wait(30)

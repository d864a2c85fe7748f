"""The demo web core system, exercised over real HTTP through ``serve_in_thread``.

Every test reads back what actually arrived in SQLite (``store.read_all``, ``read_attachments``):
a screen that says 「受付が完了しました」 proves nothing on its own.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import urllib.parse
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import pytest
from demo_client import PASSWORD, RECEIPT, USER, VALID, Client, FakeClock, tiny_pdf, tiny_png
from kazaguruma_demo.web.attachments import MAX_BYTES
from kazaguruma_demo.web.config import DemoWebConfig
from kazaguruma_demo.web.forms import read_entry
from kazaguruma_demo.web.server import DemoServer, serve_in_thread
from kazaguruma_demo.web.sessions import SessionStore
from kazaguruma_demo.web.store import ApplicationStore, read_all, read_attachments


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
        ("mynumber", "", True),
        ("mynumber", "123456789018", True),
        ("mynumber", "1234-5678-9018", True),
        ("mynumber", "1234 5678 9018", True),
        ("mynumber", "1234　5678　9018", True),
        ("mynumber", "000000000019", True),
        ("mynumber", "123456789017", False),  # wrong check digit
        ("mynumber", "12345678901", False),
        ("mynumber", "1234567890180", False),
        ("mynumber", "１２３４５６７８９０１８", False),  # full-width digits are refused like elsewhere
        ("mynumber", "1234/5678/9018", False),
        ("mynumber", "-", False),
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
    assert row["個人番号"] == "123456789018", "hyphens of the 個人番号 are dropped"
    assert (row["申請種別"], row["同意"], row["備考"], row["created_by"]) == (
        "住民票の写し",
        1,
        "窓口受付分",
        USER,
    )


def test_mynumber_field_is_optional_and_not_autocompleted(client: Client) -> None:
    client.login()
    page = client.get("/entry")
    assert '<label for="mynumber">個人番号</label>' in page.body
    found = re.search(r'<input type="text" id="mynumber" name="mynumber"[^>]*>', page.body)
    assert found, "no 個人番号 input"
    assert 'autocomplete="off"' in found.group(0) and "required" not in found.group(0)


def test_invalid_mynumber_is_refused_and_nothing_is_stored(client: Client, db: Path) -> None:
    client.login()
    client.get("/entry")
    page = client.post("/entry", {**VALID, "mynumber": "1234-5678-9017"})
    assert (page.status, page.kz_page) == (200, "entry")
    assert page.errors() == ["個人番号の形式が正しくありません"]
    assert re.search(r'id="mynumber"[^>]*class=" invalid"[^>]*aria-invalid="true"', page.body)
    assert client.get("/confirm").kz_page == "entry", "nothing is pending after a refusal"
    assert read_all(db) == []


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("1234-5678-9018", "123456789018"), (" 0000 0000 0019 ", "000000000019"), ("", "")],
    ids=["hyphens", "spaces", "empty"],
)
def test_mynumber_is_confirmed_and_stored_as_digits(client: Client, db: Path, typed: str, stored: str) -> None:
    client.login()
    client.get("/entry")
    confirm = client.post("/entry", {**VALID, "mynumber": typed})
    assert confirm.kz_page == "confirm", confirm.errors()
    assert f'<td id="c_mynumber">{stored}</td>' in confirm.body
    back = client.get("/entry?back=1")
    assert f'id="mynumber" name="mynumber" value="{stored}"' in back.body
    done = client.post("/confirm", {"submit_token": client.get("/confirm").field("submit_token")})
    assert done.kz_page == "complete"
    assert (stored or "no number") not in done.body, "the completion page never shows the 個人番号"
    [row] = read_all(db)
    assert row["個人番号"] == stored


def test_old_demo_database_gains_the_mynumber_column(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite3"
    columns = ("氏名", "フリガナ", "生年月日", "性別", "郵便番号", "住所", "電話番号", "申請種別", "同意", "備考")
    with closing(sqlite3.connect(old)) as conn, conn:
        conn.execute(
            "CREATE TABLE applications (id INTEGER PRIMARY KEY, receipt_no TEXT NOT NULL UNIQUE, "
            + ", ".join(f'"{c}" TEXT NOT NULL' for c in columns)
            + ", created_by TEXT NOT NULL, created_at TEXT NOT NULL, submit_token TEXT UNIQUE)"
        )
        conn.execute(
            f"INSERT INTO applications VALUES (1, 'R2025-000001', {', '.join('?' * len(columns))}, 'u', 't', NULL)",
            ("山田 太郎", "ヤマダ タロウ", "1980-04-01", "男", "1234567", "本町", "0312345678", "住民票の写し", 1, ""),
        )
    assert read_all(old)[0]["個人番号"] == "", "read_all reads an unmigrated database too"
    for _ in range(2):  # opening twice must not try to add the column twice
        store = ApplicationStore(old)
        store.close()
    store = ApplicationStore(old)
    try:
        receipt_no = store.insert({**read_all(old)[0], "個人番号": "123456789018"}, created_by="u")
    finally:
        store.close()
    rows = read_all(old)
    assert [(r["receipt_no"], r["個人番号"]) for r in rows] == [("R2025-000001", ""), (receipt_no, "123456789018")]
    with closing(sqlite3.connect(old)) as conn:
        assert "個人番号" in [row[1] for row in conn.execute("PRAGMA table_info(applications)")]


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
    assert lines[0].split(",")[7:9] == ["電話番号", "個人番号"]
    assert lines[1].split(",")[8] == "********9018", "the export never carries a full 個人番号"
    assert "123456789018" not in page.body
    client.submit({**VALID, "mynumber": ""})
    assert client.get("/export.csv").body.splitlines()[3].split(",")[8] == ""


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



def _receipt(client: Client) -> str:
    found = RECEIPT.search(client.submit().body)
    assert found
    return found.group(0)


def test_attachment_form_needs_login_and_is_on_the_menu(client: Client) -> None:
    page = client.get("/attachments", follow=False)
    assert (page.status, page.headers["Location"]) == (303, "/login?next=/attachments")
    assert 'href="/attachments">添付書類の登録</a>' in client.login().body
    page = client.get("/attachments")
    assert (page.status, page.kz_page) == (200, "attachments")
    assert 'enctype="multipart/form-data"' in page.body
    assert '<label for="a_file">添付ファイル</label>' in page.body
    assert re.search(r'<input type="file" id="a_file" name="file" accept="[^"]*application/pdf[^"]*"', page.body)


def test_attachment_is_stored_with_size_and_sha256(client: Client, db: Path) -> None:
    client.login()
    receipt_no = _receipt(client)
    content = tiny_pdf()
    # Windows browsers may send the full path; macOS sends decomposed kana (NFD).
    done = client.upload(receipt_no, ("C:\\スキャン\\住民票.pdf", content, "application/pdf"), follow=False)
    assert done.status == 303 and done.headers["Location"].startswith("/attachments?done=")
    page = client.get(done.headers["Location"])
    assert '<strong>添付しました</strong>：<span id="attached_name">住民票.pdf</span>' in page.body
    client.upload(receipt_no, ("ハンコ.png", tiny_png(), "image/png"))
    nfd = "ケ\u3099ンコウ.jpg"  # ゲ written as ケ + combining dakuten
    client.upload(receipt_no, (nfd, b"\xff\xd8\xff\xe0" + b"\x00" * 60, "image/jpeg"))
    rows = read_attachments(db)
    assert [(r["receipt_no"], r["filename"], r["content_type"], r["uploaded_by"]) for r in rows] == [
        (receipt_no, "住民票.pdf", "application/pdf", USER),
        (receipt_no, "ハンコ.png", "image/png", USER),
        (receipt_no, "ゲンコウ.jpg", "image/jpeg", USER),
    ]
    assert (rows[0]["size"], rows[0]["sha256"]) == (len(content), hashlib.sha256(content).hexdigest())
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00", rows[0]["uploaded_at"])


@pytest.mark.parametrize(
    ("receipt_no", "file", "message"),
    [
        ("R2000-999999", ("a.pdf", tiny_pdf(), "application/pdf"), "受付番号 R2000-999999 の申請は見つかりません"),
        ("", ("a.pdf", tiny_pdf(), "application/pdf"), "受付番号を入力してください"),
        ("{receipt}", None, "添付ファイルを選択してください"),
        ("{receipt}", ("申請書.docx", b"PK\x03\x04" + b"\x00" * 40, "application/octet-stream"),
         "添付できるファイルはPDF・JPEG・PNGのみです"),
        ("{receipt}", ("偽装.pdf", tiny_png(), "application/pdf"), "ファイルの内容が拡張子と一致しません（PDF・JPEG・PNGのみ）"),
        ("{receipt}", ("空.png", b"", "image/png"), "添付ファイルが空です"),
        ("{receipt}", ("大きい.pdf", b"%PDF-" + b"0" * (MAX_BYTES - 4), "application/pdf"),
         "添付ファイルは5MB以下にしてください"),
    ],
    ids=["unknown_receipt", "no_receipt", "no_file", "wrong_type", "content_mismatch", "empty", "over_5mb"],
)
def test_attachment_errors_are_listed_and_nothing_is_stored(
    client: Client, db: Path, receipt_no: str, file: tuple[str, bytes, str] | None, message: str
) -> None:
    client.login()
    receipt = _receipt(client)
    client.get("/attachments")
    page = client.upload(receipt_no.format(receipt=receipt), file)
    assert (page.status, page.kz_page) == (200, "attachments")
    assert page.errors() == [message]
    assert "添付しました" not in page.body
    assert read_attachments(db) == []


def test_far_too_large_upload_gets_the_form_back_not_a_bare_413(client: Client, db: Path) -> None:
    client.login()
    receipt = _receipt(client)
    client.get("/attachments")
    page = client.upload(receipt, ("巨大.pdf", b"%PDF-" + b"0" * (MAX_BYTES * 2), "application/pdf"))
    assert (page.status, page.kz_page) == (413, "attachments")
    assert page.errors() == ["添付ファイルは5MB以下にしてください"]
    page = client.upload(receipt, ("小さい.pdf", tiny_pdf(), "application/pdf"))  # the form still works
    assert "添付しました" in page.body
    assert [r["filename"] for r in read_attachments(db)] == ["小さい.pdf"]


def test_attachment_without_csrf_token_is_refused(client: Client, db: Path) -> None:
    client.login()
    receipt = _receipt(client)
    page = client.upload(receipt, ("a.pdf", tiny_pdf(), "application/pdf"), csrf=False)
    assert (page.status, page.kz_page) == (400, "bad_request")
    assert read_attachments(db) == []

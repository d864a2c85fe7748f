"""Issue 19 acceptance (item 7): the sample flow ``flows/spa_chumon.yaml`` keys 100 orders into the
single-page order app of the demo system while 30 % of its submits fail with an error alert.

Every order reaches the app exactly once (its own CSV export, read over HTTP as staff would
download it, and its database), each record's 受付番号 and receipt image are in the results
workbook and on disk, the notice modal was dismissed on the loads that showed it and skipped on
the others, and the list's total read in ``teardown`` is the run's output. The flow uses
near_label fields, a parametrised radio group, ``when: visible(...)`` and no raw selector. And a
run killed while a submit is in flight is resumed through the flow's ``verify`` (the list searched
by 依頼番号): the order that landed is found, not ordered twice."""

from __future__ import annotations

import csv
import http.cookiejar
import io
import json
import os
import random
import re
import struct
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from kazaguruma_demo.sample_data import make_orders, write_orders_xlsx
from kazaguruma_demo.web.spa_store import read_orders
from runner_proc import latest_run, start, wait_until

from bots.flow.loader import load_flow
from bots.results.model import RunStatus, Status

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SPA_FLOW = REPO / "flows" / "spa_chumon.yaml"
RECORDS = int(os.environ.get("KZ_SPA_RECORDS", "100"))  # fewer while working on the flow
ERROR_RATE = 0.3
SEED = 23  # 43 of the ~143 submits fail, at most 3 in a row (the flow tries 5 times)
ATTEMPTS = 5  # the flow's retry on the submit


def _failures_seen(seed: int, records: int) -> tuple[int, int]:
    """How many submits the app fails for ``seed`` (it draws once per submit from its own stream),
    and the longest run of failures one record meets: the test is meaningful only if some
    submits fail and none fails more often than the flow retries."""
    rng = random.Random(f"{seed}/spa")
    failed = longest = 0
    for _ in range(records):
        streak = 0
        while rng.random() < ERROR_RATE:
            streak += 1
        failed += streak
        longest = max(longest, streak)
    return failed, longest


def _csv_export(base: str) -> list[dict[str, str]]:
    """The app's CSV export, downloaded after a login like staff would."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert token
    form = urllib.parse.urlencode({"csrf_token": token.group(1), "user_id": "kazaguruma",
                                   "password": "demo-pass-2026", "next": "/menu"}).encode()
    opener.open(base + "/login", data=form, timeout=10).read()
    text = opener.open(base + "/spa/api/orders.csv", timeout=10).read().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def _sheet(path: Path, name: str) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in book[name].iter_rows(values_only=True)]
    finally:
        book.close()


def test_the_flow_is_valid_and_uses_no_raw_selector() -> None:
    loaded, diagnostics = load_flow(SPA_FLOW)
    assert loaded is not None and not diagnostics.errors and not diagnostics.warnings, diagnostics
    text = SPA_FLOW.read_text(encoding="utf-8")
    assert not re.search(r"\b(css|xpath)\s*:", text)
    assert "注文.胴体[{{ record.胴体 }}]" in text and "when: visible(注文.お知らせ確認)" in text


def test_spa_flow_keys_100_orders_exactly_once_through_30_percent_submit_errors(
        demo_web: Any, run_flow: Any, tmp_path: Path) -> None:
    injected, longest = _failures_seen(SEED, RECORDS)
    assert RECORDS * ERROR_RATE * 0.6 < injected and longest < ATTEMPTS, (injected, longest)
    server = demo_web(spa_error_rate=ERROR_RATE, seed=SEED)
    orders = make_orders(RECORDS, seed=SEED)
    source = write_orders_xlsx(tmp_path / "注文一覧.xlsx", orders)

    started = time.monotonic()
    outcome = run_flow(SPA_FLOW, input_file=source)
    elapsed = time.monotonic() - started

    result = outcome.result
    assert result.status is RunStatus.COMPLETED, [(r.key, r.error) for r in result.records if r.error]
    assert [r.status for r in result.records] == [Status.PASS] * RECORDS

    # Exactly once, as the app itself lists them, and as the form was filled.
    exported = _csv_export(server.url)
    assert Counter(row["依頼番号"] for row in exported) == Counter({str(o["依頼番号"]): 1 for o in orders})
    by_number = {row["依頼番号"]: row for row in exported}
    for order in orders:
        row = by_number[str(order["依頼番号"])]
        assert {k: row[k] for k in ("頭部", "胴体", "脚部", "配送先", "数量")} == {
            k: str(order[k]) for k in ("頭部", "胴体", "脚部", "配送先", "数量")}
    stored = read_orders(server.config.db_path)
    assert len(stored) == RECORDS

    # The submits that failed were retried (and only those): one try more per injected error.
    log = [json.loads(line) for line in (outcome.folder / "run.jsonl").read_text(encoding="utf-8").splitlines()]
    clicks = [e for e in log if e.get("event") == "step_finished" and e.get("step") == "注文する"]
    assert len(clicks) == RECORDS + injected, (len(clicks), injected)

    # The notice came on load 1, 4, 7 … of the order screen and was closed only then.
    dismissed = [e["status"] for e in log if e.get("step") == "お知らせを閉じる" and e.get("event") == "step_finished"]
    assert dismissed == ["PASS" if n % 3 == 0 else "SKIP" for n in range(RECORDS)], Counter(dismissed)

    # 受付番号 and the receipt image of each record in the results workbook; the images on disk.
    rows = outcome.results_rows()
    receipt_of = {row["依頼番号"]: row["receipt_no"] for row in stored}
    assert [(r["依頼番号"], r["受付番号"]) for r in rows] == [
        (str(o["依頼番号"]), receipt_of[str(o["依頼番号"])]) for o in orders]
    images = [Path(str(r["受付票"])) for r in rows]
    assert len(set(images)) == RECORDS
    for image, order in zip(images, orders, strict=True):
        assert image.is_file() and image.parent.name == "screenshots" and str(order["依頼番号"]) in image.name
        width, height = _png_size(image)
        assert 200 < width < 1000 and 100 < height < 600, (image, width, height)  # the receipt, not the page

    # The list's total, read in teardown: the run's own output, on the run and in the workbook.
    assert result.run_outputs == {"合計件数": str(RECORDS)}
    assert ("合計件数", str(RECORDS)) in _sheet(outcome.results_path, "実行結果")
    # The whole run took 64 s on a 2-core machine at load average 4, 89 s at 11-17 (other test
    # runs): the bound leaves room for a busy machine and still catches a wait creeping into every
    # record (a 1 s look for the notice each time alone would add 100 s).
    assert elapsed < 180, f"{RECORDS} records took {elapsed:.0f} s"


def test_killed_while_an_order_is_in_flight_the_resume_finds_it_and_orders_the_rest_once(
        demo_web: Any, tmp_path: Path) -> None:
    """A power cut while the submit is on its way: the order lands in the app, the runner never saw
    its receipt. The resume's ``verify`` (the list searched by 依頼番号) finds it with its 受付番号
    instead of ordering it again; the other records are ordered once each."""
    server = demo_web(spa_notice_every=0)
    orders = make_orders(12, seed=5)
    source = write_orders_xlsx(tmp_path / "注文一覧.xlsx", orders)
    store_file = tmp_path / "logs" / "kazaguruma.sqlite3"
    env = {"KZ_LOGS": str(tmp_path / "logs"), "KZ_LANG": "ja"}  # KZ_DEMO_URL/PASSWORD: set by demo_web
    db = server.config.db_path

    runner = start(["run", str(SPA_FLOW), "--input", str(source)], env, tmp_path / "run.log")
    wait_until(lambda: len(read_orders(db)) >= 4, 120, "four orders", runner)
    server.reconfigure(slow_ms=3000, slow_paths=("/spa/api/orders",), slow_rate=1.0)
    wait_until(lambda: server.requests_in_flight("POST", "/spa/api/orders") > 0, 60, "a submit in flight", runner)
    runner.kill_hard()
    in_flight = len(read_orders(db)) + 1
    wait_until(lambda: len(read_orders(db)) >= in_flight, 30, "the orphan submit to land")
    server.reconfigure(slow_ms=0, slow_paths=())
    orphan = read_orders(db)[-1]
    run_id, status = latest_run(store_file)
    assert status == "running"

    resumed = start(["resume", run_id], env, tmp_path / "resume.log")
    assert resumed.wait(timeout=300) == 0, resumed.output()[-3000:]
    stored = read_orders(db)
    assert Counter(row["依頼番号"] for row in stored) == Counter({str(o["依頼番号"]): 1 for o in orders})
    line = next(x for x in resumed.output().splitlines() if x.startswith("結果ファイル: "))
    book = openpyxl.load_workbook(Path(line.removeprefix("結果ファイル: ").strip()), read_only=True)
    try:
        rows = list(book["結果"].iter_rows(values_only=True))
    finally:
        book.close()
    header = list(rows[0])
    got = {row[header.index("依頼番号")]: row[header.index("受付番号")] for row in rows[1:]}
    assert got == {row["依頼番号"]: row["receipt_no"] for row in stored}
    assert got[orphan["依頼番号"]] == orphan["receipt_no"], "the resume took the receipt the app gave"
    resumed_id, _ = latest_run(store_file)
    (log,) = (tmp_path / "logs" / "runs").glob(f"*/{resumed_id}/run.jsonl")
    verified = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines() if '"verified"' in x]
    assert [(e["record"], e["found"]) for e in verified if e.get("event") == "verified"] == [(orphan["依頼番号"], True)]

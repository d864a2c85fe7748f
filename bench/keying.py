"""Keying throughput: the sample flow through the engine vs a hand-written Playwright script,
and the same flow without its per-record journal (the journal's cost).

All key the same N records into the same demo core system, in this one process run, with
the same locators (the selector map's first candidates) and the same browser flags. The flow
runs with everything production has on: journal, run store, audit ledger, run log, results workbook.
Start-up is measured the same way for both, as whole processes, in interleaved pairs: from the
process start to the first fill of the first record (after the login), ``runner.py run`` against
a hand-written Playwright script (``raw_cold_start_s``), with the run store already in the logs
folder as on every run after a PC's first; that first run, which creates the store, separately
(``first_run_cold_start_s``); and ``runner.py --help`` alone (``help_s``).
Per-step cost: each step family's median time in the flow (as its step reports it) against the
same Playwright call timed in the hand-written script, and the whole record the same way; the
difference is the framework's overhead (``overhead_ms``, per family and per ``record``).
Prints a table and, as its last line, JSON: {"records", "flow_rps", "flow_no_journal_rps",
"journal_ratio", "raw_rps", "ratio", "cold_start_s", "raw_cold_start_s", "cold_ratio",
"first_run_cold_start_s", "help_s",
"overhead_ms": {"browser.fill": ms, …, "record": ms}}.

    python bench/keying.py --records 200
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import jaconv
from loguru import logger
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kazaguruma_demo.sample_data import DEMO_COLUMNS, make_applications, write_applications_xlsx  # noqa: E402
from kazaguruma_demo.web.config import DemoWebConfig  # noqa: E402
from kazaguruma_demo.web.server import serve_in_thread  # noqa: E402
from kazaguruma_demo.web.store import read_all  # noqa: E402

from bots.adapters.excel_reader import read_records  # noqa: E402
from bots.api import LocalExecutor, RunRequest  # noqa: E402
from bots.listeners.jsonlog import RunLogListener  # noqa: E402
from bots.listeners.results_workbook import ResultsWorkbookListener  # noqa: E402
from bots.listeners.trail import AuditTrail  # noqa: E402
from bots.platform.browser import launch_options  # noqa: E402
from bots.project import Project  # noqa: E402
from bots.results.listener import RunInfo, RunListener  # noqa: E402
from bots.results.model import RecordResult, StepResult  # noqa: E402

PASSWORD = "demo-pass-2026"
FLOW = ROOT / "flows" / "shinsei_nyuryoku.yaml"


#: Step families compared with the hand-written script's calls (``overhead_ms``).
FAMILIES = ("browser.goto", "browser.fill", "browser.select", "browser.check", "browser.click", "browser.read_text")
#: Seconds per family (and per whole ``record``), appended to by both sides of the comparison.
Timings = dict[str, list[float]]


class LoopTimer(RunListener):
    """Times the record loop (first record started → last record finished), each record, and
    each step of the families compared, as the steps report their own elapsed time."""

    def __init__(self, timings: Timings | None = None) -> None:
        self.first: float | None = None
        self.last: float | None = None
        self.passed = 0
        self.timings = timings if timings is not None else {}
        self._in_record = False

    def record_started(self, record: RecordResult) -> None:
        if self.first is None:
            self.first = time.perf_counter()
        self._in_record = True

    def step_finished(self, result: StepResult, depth: int) -> None:
        if self._in_record and result.action in FAMILIES and result.status.name == "PASS":
            self.timings.setdefault(result.action, []).append(result.elapsed)

    def record_finished(self, record: RecordResult) -> None:
        self.last = time.perf_counter()
        self.passed += record.status.name == "PASS"
        self._in_record = False
        self.timings.setdefault("record", []).append(record.elapsed)


def run_flow(xlsx: Path, url: str, *, journal: bool = True, timings: Timings | None = None) -> tuple[float, int]:
    os.environ["KZ_DEMO_URL"] = url
    os.environ["KZ_DEMO_PASSWORD"] = PASSWORD
    timer = LoopTimer(timings)

    def listeners(info: RunInfo) -> list[RunListener]:
        # What a production run has: run store + audit ledger, the JSON-lines run log, the results workbook.
        return [*trail.listeners(info), RunLogListener(info, info.folder.name), ResultsWorkbookListener(info), timer]

    request = RunRequest(flow=str(FLOW), primary_input=str(xlsx), cwd=str(ROOT))
    with AuditTrail(Path(os.environ["KZ_LOGS"])) as trail:
        LocalExecutor(Project(ROOT), journal=trail.store if journal else None).run(request, listeners=listeners)
    assert timer.first is not None and timer.last is not None
    return timer.last - timer.first, timer.passed


def run_raw(records: list[dict[str, Any]], url: str, timings: Timings | None = None) -> tuple[float, int]:
    """What a careful person would write by hand with Playwright, same locators; each call timed
    into ``timings`` under the flow step family that does the same."""
    done = 0
    timings = timings if timings is not None else {}

    def timed(family: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        value = call(*args, **kwargs)
        timings.setdefault(family, []).append(time.perf_counter() - t)
        return value

    with sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_options(headless=True))
        page = browser.new_page(locale="ja-JP")
        page.goto(f"{url}/login")
        page.get_by_label("ユーザーID").fill("kazaguruma")
        page.get_by_label("パスワード").fill(PASSWORD)
        page.get_by_role("button", name="ログイン").click()
        page.get_by_role("link", name="申請入力").wait_for()
        t0 = time.perf_counter()
        for r in records:
            t_record = time.perf_counter()
            label = page.get_by_label
            timed("browser.goto", page.goto, f"{url}/entry", wait_until="domcontentloaded")
            timed("browser.fill", label("氏名").fill, r["氏名"])
            timed("browser.fill", label("フリガナ").fill, r["フリガナ"])
            timed("browser.fill", label("生年月日").fill, r["生年月日"].isoformat())
            timed("browser.select", label("性別").select_option, label=r["性別"])
            timed("browser.fill", label("郵便番号").fill, f"{r['郵便番号'][:3]}-{r['郵便番号'][3:]}")
            timed("browser.fill", label("住所").fill, r["住所"])
            timed("browser.fill", label("電話番号").fill, r["電話番号"])
            timed("browser.fill", label("個人番号").fill, jaconv.z2h(r["個人番号"] or "", digit=True, ascii=True))
            timed("browser.select", label("申請種別").select_option, label=r["申請種別"])
            timed("browser.check", page.get_by_role("checkbox", name="記載内容に誤りがないことを確認しました").set_checked,
                  True)
            timed("browser.fill", label("備考").fill, r["備考"] or "")
            timed("browser.click", page.get_by_role("button", name="確認へ").click)
            timed("browser.click", page.get_by_role("button", name="登録", exact=True).click)
            receipt = timed("browser.read_text", page.locator("#receipt_no").inner_text)
            done += bool(receipt.strip())
            timings.setdefault("record", []).append(time.perf_counter() - t_record)
        elapsed = time.perf_counter() - t0
        browser.close()
    return elapsed, done


def cold_start(xlsx: Path, url: str, logs: Path | None = None) -> float:
    """Process start of ``runner.py run`` → the first fill of the first record (NaN, with the
    run's output on stderr, when the run never got there: a busy machine can time a login out).

    ``logs`` is the logs folder the run uses; a run store already there is the normal case (every
    run on a PC after its first). None: an empty folder of its own — the PC's very first run,
    which also creates the run store."""
    env = dict(os.environ, KZ_DEMO_URL=url, KZ_DEMO_PASSWORD=PASSWORD)
    with tempfile.TemporaryDirectory() as fresh:
        env["KZ_LOGS"] = str(logs or fresh)
        t0 = time.time()
        done = subprocess.run([sys.executable, str(ROOT / "runner.py"), "run", str(FLOW), "--input", str(xlsx)],
                              env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        journals = sorted(Path(env["KZ_LOGS"]).rglob("run.jsonl"), key=lambda log: log.stat().st_mtime)
        for line in journals[-1].read_text(encoding="utf-8").splitlines() if journals else []:
            entry = json.loads(line)
            if entry.get("event") == "step_finished" and entry.get("action") == "browser.fill" and entry.get("record"):
                finished = datetime.fromisoformat(entry["ts"]).timestamp()
                return finished - t0 - entry["elapsed_ms"] / 1000
    print(f"cold start run never reached its first fill (exit {done.returncode}):\n{done.stderr[-2000:]}", file=sys.stderr)
    return float("nan")


def median_of(values: list[float]) -> float:
    """The median of the runs that produced a figure (NaN when none did)."""
    kept = [v for v in values if v == v]
    return statistics.median(kept) if kept else float("nan")


def overheads(flow: Timings, raw: Timings) -> dict[str, float]:
    """Per step family (and per whole record): the flow's median minus the hand-written median, in ms."""
    return {family: round((statistics.median(flow[family]) - statistics.median(raw[family])) * 1000, 1)
            for family in (*FAMILIES, "record") if flow.get(family) and raw.get(family)}


#: The hand-written script of :func:`raw_cold_start`: what a person would write to key one record,
#: run as its own process; prints the wall clock just before the first record's first fill.
RAW_SCRIPT = """
import sys, time
from playwright.sync_api import sync_playwright
sys.path.insert(0, sys.argv[3])
from bots.platform.browser import launch_options
url, password = sys.argv[1], sys.argv[2]
with sync_playwright() as pw:
    browser = pw.chromium.launch(**launch_options(headless=True))
    page = browser.new_page(locale="ja-JP")
    page.goto(f"{url}/login")
    page.get_by_label("ユーザーID").fill("kazaguruma")
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("link", name="申請入力").wait_for()
    page.goto(f"{url}/entry", wait_until="domcontentloaded")
    print(time.time(), flush=True)
    page.get_by_label("氏名").fill("風間 太郎")
    browser.close()
"""


def raw_cold_start(url: str) -> float:
    """Process start of the hand-written script → its first fill (same browser flags, same login)."""
    t0 = time.time()
    done = subprocess.run([sys.executable, "-c", RAW_SCRIPT, url, PASSWORD, str(ROOT)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return float(done.stdout.split()[0]) - t0


def help_time() -> float:
    """Wall time of one ``runner.py --help`` process."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "runner.py"), "--help"], cwd=ROOT, capture_output=True, check=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--cold-runs", type=int, default=5, help="start-up pairs (and --help runs) for the medians")
    args = parser.parse_args()
    logger.remove()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["KZ_LOGS"] = str(Path(tmp) / "logs")
        rows = [row for row, _ in make_applications(args.records, seed=7, bad=0)]
        xlsx = Path(tmp) / "bench.xlsx"
        write_applications_xlsx(xlsx, rows)
        one = Path(tmp) / "one.xlsx"
        write_applications_xlsx(one, rows[:1])
        with read_records(xlsx, sheet="申請一覧", header_row=1, columns=DEMO_COLUMNS) as reader:
            records = [r.values for r in reader]
        results: dict[str, list[float]] = {"flow": [], "no_journal": [], "raw": []}
        flow_steps: Timings = {}
        raw_steps: Timings = {}
        variants: dict[str, Callable[[str], tuple[float, int]]] = {
            "raw": lambda url: run_raw(records, url, raw_steps),
            "flow": lambda url: run_flow(xlsx, url, timings=flow_steps),
            "no_journal": lambda url: run_flow(xlsx, url, journal=False),
        }
        stored = 0
        # Each run keys into a demo system of its own, empty: the demo's screens slow down as its
        # table grows (about a quarter slower at 300 rows), so a shared one would favour whichever
        # variant runs first. The order is turned round in the second round all the same.
        for round_no, order in enumerate((["raw", "flow", "no_journal"], ["no_journal", "flow", "raw"])):
            for name in order:
                db = Path(tmp) / f"store-{round_no}-{name}.sqlite3"
                with serve_in_thread(DemoWebConfig(db_path=db)) as fresh:
                    elapsed, ok = variants[name](fresh.url)
                assert ok == len(records), f"{name} keyed {ok}/{len(records)}"
                results[name].append(len(records) / elapsed)
                stored += len(read_all(db))
        with serve_in_thread(DemoWebConfig(db_path=Path(tmp) / "store.sqlite3")) as server:
            colds: list[float] = []
            raw_colds: list[float] = []
            first_run = cold_start(one, server.url)  # the PC's first run: it creates the run store
            kept_logs = Path(tmp) / "cold-logs"
            cold_start(one, server.url, kept_logs)  # the store every later run opens (not counted)
            for _ in range(args.cold_runs):  # interleaved pairs: a busy machine slows both alike
                colds.append(cold_start(one, server.url, kept_logs))
                raw_colds.append(raw_cold_start(server.url))
        helps = [help_time() for _ in range(args.cold_runs)]
    cold, raw_cold, help_s = median_of(colds), median_of(raw_colds), statistics.median(helps)
    overhead = overheads(flow_steps, raw_steps)
    flow_rps, bare_rps, raw_rps = max(results["flow"]), max(results["no_journal"]), max(results["raw"])
    print(f"{'':24}{'flow (journal)':>16}{'flow (no journal)':>19}{'raw Playwright':>16}")
    print(f"{'records/s (best of 2)':24}{flow_rps:16.2f}{bare_rps:19.2f}{raw_rps:16.2f}")
    print(f"{'records/s (each run)':24}{', '.join(f'{v:.2f}' for v in results['flow']):>16}"
          f"{', '.join(f'{v:.2f}' for v in results['no_journal']):>19}"
          f"{', '.join(f'{v:.2f}' for v in results['raw']):>16}")
    print(f"stored in demo system: {stored} (expected {6 * len(records)})")
    print(f"cold start → first fill (median of {args.cold_runs}): runner.py run {cold:.2f} s, "
          f"hand-written script {raw_cold:.2f} s, ratio {cold / raw_cold:.2f}")
    print(f"  runs: {', '.join(f'{v:.2f}' for v in colds)} / {', '.join(f'{v:.2f}' for v in raw_colds)}")
    print(f"  a PC's first run (creates the run store): {first_run:.2f} s")
    print(f"runner.py --help (median of {args.cold_runs}): {help_s:.2f} s")
    print(f"{'median ms per call':24}{'flow step':>12}{'raw call':>12}{'overhead':>12}")
    for family in overhead:
        print(f"{family:24}{statistics.median(flow_steps[family]) * 1000:12.1f}"
              f"{statistics.median(raw_steps[family]) * 1000:12.1f}{overhead[family]:12.1f}")
    print(json.dumps({"records": len(records), "flow_rps": round(flow_rps, 3), "flow_no_journal_rps": round(bare_rps, 3),
                      "journal_ratio": round(flow_rps / bare_rps, 3), "raw_rps": round(raw_rps, 3),
                      "ratio": round(flow_rps / raw_rps, 3), "cold_start_s": round(cold, 2),
                      "raw_cold_start_s": round(raw_cold, 2), "cold_ratio": round(cold / raw_cold, 3),
                      "first_run_cold_start_s": round(first_run, 2),
                      "help_s": round(help_s, 2), "overhead_ms": overhead}))


if __name__ == "__main__":
    main()

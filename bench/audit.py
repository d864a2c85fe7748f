"""Audit ledger throughput: append N entries, then verify the whole chain.

Entries look like real runs (run_started, ~200 record events, run_finished) spread over
``--days`` daily files by a synthetic clock, with the default fsync policy. Runs once without
a key and once with one (``--key none|hmac|both``). Prints a table and, as its last line, JSON:
{"entries", "append_per_s", "verify_s", ...}; with both, the headline figures are the keyed ones.

    python bench/audit.py --entries 1000000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bots.audit.ledger import LedgerWriter, archive, verify  # noqa: E402

JST = timezone(timedelta(hours=9))
KEY = b"bench-key-0123456789abcdef-0123456789abcdef"


def events(run_size: int = 200) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(type, run_id, data) of consecutive runs; data already masked, as the caller would pass it."""
    run = 0
    while True:
        run += 1
        run_id = f"20260401-{run:06d}-a1b2c3"
        yield "run_started", run_id, {"flow": "shinsei-nyuryoku", "version": "1.0.0", "trigger": "schedule",
                                      "input": "申請一覧_4月.xlsx", "host": "RPA-PC01", "dry_run": False}
        for i in range(1, run_size + 1):
            status = "record_failed" if i % 15 == 0 else ("record_review" if i % 33 == 0 else "record_keyed")
            yield status, run_id, {"flow": "shinsei-nyuryoku", "record": f"行 {i + 1}", "key": "氏名=********",
                                   "受付番号": f"R2026-{run * 1000 + i:07d}", "elapsed_ms": 700 + i % 300,
                                   "attempt": 1, "reason": "郵便番号の形式が正しくありません" if status == "record_failed"
                                   else None}
        yield "run_finished", run_id, {"status": "completed", "passed": 180, "failed": 14, "review": 6,
                                       "elapsed_s": 1432.5}


def synthetic_clock(entries: int, days: int) -> Callable[[], datetime]:
    start = datetime(2026, 4, 1, 0, 0, tzinfo=JST)
    step = timedelta(seconds=days * 86400 / max(entries, 1))
    state = [start - step]

    def clock() -> datetime:
        state[0] += step
        return state[0]
    return clock


def run(folder: Path, entries: int, days: int, key: bytes | None, do_archive: bool) -> dict[str, float]:
    source = events()
    batch = [next(source) for _ in range(10_000)]  # a pool, so the loop measures append, not dict building
    with LedgerWriter(folder, key=key, clock=synthetic_clock(entries, days), actor="scheduler") as ledger:
        started = time.perf_counter()
        for i in range(entries):
            kind, run_id, data = batch[i % len(batch)]
            ledger.append(kind, None, run_id, data)
        append_s = time.perf_counter() - started
        head = ledger.head
    size = sum(p.stat().st_size for p in folder.glob("ledger-*"))
    started = time.perf_counter()
    report = verify(folder, key=key, expected_head=head)
    verify_s = time.perf_counter() - started
    if not report.ok or report.entries != entries:
        raise SystemExit(f"verify failed: {report.message} ({report.entries} entries)")
    result = {"append_per_s": entries / append_s, "verify_s": verify_s, "mb": size / 1e6}
    if do_archive:
        started = time.perf_counter()
        archived = archive(folder, 0, today=datetime(2026, 4, 1, tzinfo=JST).date() + timedelta(days=days))
        result["archive_s"] = time.perf_counter() - started
        started = time.perf_counter()
        report = verify(folder, key=key, expected_head=head)
        result["verify_gz_s"] = time.perf_counter() - started
        if not report.ok or not archived:
            raise SystemExit(f"verify after archive failed: {report.message}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=20, help="daily files the entries are spread over")
    parser.add_argument("--key", choices=["none", "hmac", "both"], default="both")
    parser.add_argument("--archive", action="store_true", help="also gzip every day and verify again")
    args = parser.parse_args()
    keys = {"none": [None], "hmac": [KEY], "both": [None, KEY]}[args.key]
    results: dict[str, dict[str, float]] = {}
    for key in keys:
        with tempfile.TemporaryDirectory(prefix="kz-bench-audit-") as tmp:
            results["hmac" if key else "none"] = run(Path(tmp), args.entries, args.days, key, args.archive)
    names = list(results)
    print(f"{args.entries:,} entries over {args.days} daily files")
    print(f"{'':22}" + "".join(f"{'key: ' + n:>16}" for n in names))
    rows = [("appends/s", "append_per_s", "{:16,.0f}"), ("verify s", "verify_s", "{:16.2f}"),
            ("ledger MB", "mb", "{:16.1f}"), ("archive s", "archive_s", "{:16.2f}"),
            ("verify (gz) s", "verify_gz_s", "{:16.2f}")]
    for label, field, fmt in rows:
        if field in results[names[0]]:
            print(f"{label:22}" + "".join(fmt.format(results[n][field]) for n in names))
    main_result = results[names[-1]]
    out: dict[str, Any] = {"entries": args.entries, "append_per_s": round(main_result["append_per_s"]),
                           "verify_s": round(main_result["verify_s"], 2), "key": names[-1]}
    if len(names) > 1:
        out |= {"append_per_s_nokey": round(results["none"]["append_per_s"]),
                "verify_s_nokey": round(results["none"]["verify_s"], 2)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()

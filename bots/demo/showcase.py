"""``make demo``: start the demo core system, run the sample flow end to end, show the results.

Everything stays on this machine: the demo system listens on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from loguru import logger
from rich.console import Console

from bots.cli.run_cmd import standard_listeners
from bots.demo.web.config import DemoWebConfig
from bots.demo.web.server import serve_in_thread
from bots.demo.web.store import read_all
from bots.engine.executor import LocalExecutor, RunRequest
from bots.i18n import tr
from bots.project import Project
from bots.run.results_listener import ResultsWorkbookListener
from bots.run.trail import AuditTrail

SAMPLE_FLOW = Path("flows/shinsei_nyuryoku.yaml")
DEMO_PASSWORD = "demo-pass-2026"  # the demo system's own built-in account, not a real secret


def main() -> int:
    logger.remove()
    console = Console(stderr=True, soft_wrap=True)
    project = Project.discover()
    store = project.logs / "demo" / "demo_web.sqlite3"
    store.parent.mkdir(parents=True, exist_ok=True)
    store.unlink(missing_ok=True)
    with serve_in_thread(DemoWebConfig(db_path=store)) as server:
        console.rule(tr("デモ基幹システム（Web）を起動しました: {u}", "demo core system (web) started: {u}", u=server.url))
        os.environ.setdefault("KZ_DEMO_PASSWORD", DEMO_PASSWORD)
        os.environ["KZ_DEMO_URL"] = server.url
        holder: dict[str, object] = {}
        request = RunRequest(flow=str(project.root / SAMPLE_FLOW), cwd=str(project.root))
        with AuditTrail(project.logs) as trail:
            result = LocalExecutor(project).run(request, listeners=standard_listeners(console, False, holder, trail))
        stored = len(read_all(store))
    results = holder.get("results")
    console.rule(tr("デモの結果", "demo results"))
    console.print(tr("基幹システムに登録された申請: {n} 件（保存先 {s}）", "applications stored in the core system: {n} ({s})",
                     n=stored, s=store))
    if isinstance(results, ResultsWorkbookListener) and results.path:
        console.print(tr("結果ファイル（受付番号・失敗理由）: {p}", "results workbook: {p}", p=results.path))
    console.print(tr("実行記録（JSON lines ログ・失敗時の画面）: {f}", "run folder (JSON-lines log, screenshots): {f}",
                     f=holder.get("folder")))
    console.print(tr("監査台帳の検査: python runner.py audit verify / 報告書: python runner.py audit export --format html",
                     "check the audit ledger: python runner.py audit verify / report: python runner.py audit export"))
    console.print(tr("手で触ってみるには: python runner.py demo  →  http://127.0.0.1:8800 （ID kazaguruma）",
                     "to try it by hand: python runner.py demo  →  http://127.0.0.1:8800 (user kazaguruma)"))
    # Failed rows are the deliberately bad ones in the sample list: the demo itself succeeded.
    return 0 if result.status.value == "completed" else int(result.exit_code)


if __name__ == "__main__":
    sys.exit(main())

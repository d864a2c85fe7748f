"""``make demo``: start the demo core system, run the sample flows end to end, show the results.

Everything stays on this machine: the demo system listens on 127.0.0.1 only.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import threading
from pathlib import Path

from loguru import logger
from rich.console import Console

from bots.api import RunRequest, open_trail, run_flow
from bots.audit.keys import audit_key
from bots.audit.report_data import build_report
from bots.audit.report_html import write_html
from bots.catalogue.build import build_catalogue, entry_for
from bots.catalogue.procedure import build_procedure
from bots.catalogue.procedure_html import write_html as write_procedure
from bots.catalogue.register import write_register
from bots.errors import ExitCode, KazagurumaError
from bots.governance.staff import load_staff
from bots.i18n import tr
from bots.listeners.console import ConsoleListener
from bots.listeners.trail import AuditTrail
from bots.project import Project
from bots.results.model import RunResult
from kazaguruma_demo.desktop.showcase import run_desktop_demo
from kazaguruma_demo.desktop.store import read_all as read_desktop
from kazaguruma_demo.forms import generate_forms
from kazaguruma_demo.web.config import DemoWebConfig
from kazaguruma_demo.web.server import serve_in_thread
from kazaguruma_demo.web.spa_store import read_orders
from kazaguruma_demo.web.store import read_all

SAMPLE_FLOW = Path("flows/shinsei_nyuryoku.yaml")
OCR_FLOW = Path("flows/shinsei_ocr.yaml")
SPA_FLOW = Path("flows/spa_chumon.yaml")
SCANS = 12
DEMO_PASSWORD = "demo-pass-2026"  # the demo system's own built-in account, not a real secret


def _run(project: Project, console: Console, trail: AuditTrail, flow: Path,
         inputs: dict[str, str] | None = None) -> RunResult:
    # The demo store starts empty every time: a fresh run, never a resume of an earlier demo.
    request = RunRequest(flow=str(project.root / flow), cwd=str(project.root), inputs=inputs or {},
                         if_interrupted="fresh")
    return run_flow(request, trail=trail, listeners=lambda info: [ConsoleListener(console)],
                    stop=threading.Event(), project=project)


def main() -> int:
    logger.remove()
    console = Console(stderr=True, soft_wrap=True)
    try:
        return _showcase(console)
    except KazagurumaError as exc:  # a sample flow or input refused: say which, no traceback
        for diagnostic in getattr(exc, "diagnostics", ()) or ():
            console.print(diagnostic.render())
        console.print(f"[red]{exc}[/]")
        return int(ExitCode.INVALID)


def _showcase(console: Console) -> int:
    project = Project.discover()
    demo = project.logs / "demo"
    store = demo / "demo_web.sqlite3"
    store.parent.mkdir(parents=True, exist_ok=True)
    store.unlink(missing_ok=True)
    scans = demo / "申請書スキャン"
    shutil.rmtree(scans, ignore_errors=True)
    console.rule(tr("申請書のスキャン（デモ用）を作成しています: {p}", "generating demo scans: {p}", p=scans))
    generate_forms(scans, SCANS, seed=2026)
    with serve_in_thread(DemoWebConfig(db_path=store)) as server, open_trail(project) as trail:
        console.rule(tr("デモ基幹システム（Web）を起動しました: {u}", "demo core system (web) started: {u}", u=server.url))
        os.environ.setdefault("KZ_DEMO_PASSWORD", DEMO_PASSWORD)
        os.environ["KZ_DEMO_URL"] = server.url
        console.rule(tr("1. Excel の申請一覧を入力", "1. keying the Excel list"))
        result = _run(project, console, trail, SAMPLE_FLOW)
        console.rule(tr("2. スキャンした申請書を OCR で読み取って入力", "2. reading scanned forms (OCR) and keying them"))
        ocr_result = _run(project, console, trail, OCR_FLOW, {"scans": str(scans)})
        stored = len(read_all(store))
        console.rule(tr("3. 同じ一覧をデスクトップの業務アプリ（住民記録システム・仮想画面）へ入力",
                        "3. keying the same list into the desktop client (virtual display)"))
        desktop_store = demo / "demo_desktop.sqlite3"
        desktop_result = run_desktop_demo(
            desktop_store, lambda flow: _run(project, console, trail, flow))
        console.rule(tr("4. 注文一覧を 1 ページで動く Web アプリ（部品発注）へ入力", "4. keying an order list into a single-page web app"))
        spa_result = _run(project, console, trail, SPA_FLOW)
        orders = len(read_orders(store))
        today = dt.date.today()
        report = build_report(trail.store, project.logs, today, today, key=audit_key())
        report_path = project.logs / "reports" / f"{tr('監査報告', 'audit-report')}_demo_{today}.html"
        write_html(report, report_path)
        register_path = write_register(build_catalogue(project, trail.store),
                                       project.logs / "reports" / f"{tr('RPA管理台帳', 'rpa-register')}_demo_{today}.xlsx")
        procedure_path = project.logs / "reports" / f"{tr('手順書', 'procedure')}_shinsei-nyuryoku.html"
        write_procedure(build_procedure(entry_for(project.root / SAMPLE_FLOW, project, trail.store),
                                        staff=load_staff(project)[0]), procedure_path)
    console.rule(tr("デモの結果", "demo results"))
    console.print(tr("基幹システムに登録された申請: {n} 件（保存先 {s}）", "applications stored in the core system: {n} ({s})",
                     n=stored, s=store))
    console.print(tr("住民記録システム（デスクトップ）に登録された申請: {n} 件（保存先 {s}）",
                     "applications stored in the desktop client: {n} ({s})", n=len(read_desktop(desktop_store)),
                     s=desktop_store))
    console.print(tr("部品発注（SPA）で受け付けた注文: {n} 件（受付票の画像は実行記録の screenshots/）",
                     "orders taken by the single-page app: {n} (receipt images in the run folder's screenshots/)",
                     n=orders))
    for label, each in ((tr("Excel", "Excel"), result), (tr("OCR", "OCR"), ocr_result),
                        (tr("デスクトップ", "desktop"), desktop_result), (tr("SPA", "SPA"), spa_result)):
        if each.results_workbook is not None:
            console.print(tr("結果ファイル（{l}: 受付番号・失敗理由）: {p}", "results workbook ({l}): {p}", l=label,
                             p=each.results_workbook))
        console.print(tr("実行記録（{l}: JSON lines ログ・失敗時の画面）: {f}", "run folder ({l}): {f}", l=label,
                         f=each.folder))
    for review in sorted(scans.glob("要確認/*/要確認_*.xlsx")):
        console.print(tr("OCR の要確認（欄の画像つき）: {p}  → 修正後 python runner.py review import で再入力用の一覧に",
                         "forms to review (with field images): {p} → after correcting: python runner.py review import",
                         p=review))
    console.print(tr("監査報告書（今日の実行・台帳の検査結果）: {p}", "audit report (today's runs, ledger check): {p}",
                     p=report_path))
    console.print(tr("RPA 管理台帳（ボットごとの担当・システム・承認・実行状況）: {p}",
                     "RPA register (each bot's owners, systems, approval and runs): {p}", p=register_path))
    console.print(tr("手順書（フロー定義から生成。後任者が読む手順）: {p}  → python runner.py flows doc で他のフローも",
                     "procedure generated from the flow (for a successor): {p} → python runner.py flows doc for others",
                     p=procedure_path))
    console.print(tr("承認と健全性: python runner.py flows approve / flows health（本番モードでは承認された版だけが動きます）",
                     "approval and health: python runner.py flows approve / flows health (production mode runs approved "
                     "versions only)"))
    console.print(tr("監査台帳の検査: python runner.py audit verify / 期間の報告書: python runner.py audit export",
                     "check the audit ledger: python runner.py audit verify / a period's report: python runner.py audit export"))
    console.print(tr("手で触ってみるには: python runner.py demo  →  http://127.0.0.1:8800 （ID kazaguruma）",
                     "to try it by hand: python runner.py demo  →  http://127.0.0.1:8800 (user kazaguruma)"))
    # Failed rows are the deliberately bad ones in the sample list: the demo itself succeeded.
    statuses = {each.status.value for each in (result, ocr_result, desktop_result, spa_result)}
    return 0 if statuses == {"completed"} else 3


if __name__ == "__main__":
    sys.exit(main())

"""``runner.py demo``: the demo web core system in the foreground, for trying flows by hand.

Added to the command line by ``runner.py`` when this package is installed; the library never imports it."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from bots.i18n import tr
from bots.project import Project
from kazaguruma_demo.web.config import DemoWebConfig
from kazaguruma_demo.web.server import serve_forever


def demo(
    port: int = typer.Option(8800, "--port", help=tr("待ち受けポート（0 で空きポート）", "port (0: any free port)")),
    db: Path = typer.Option(None, "--db", help=tr("保存先 SQLite ファイル", "SQLite store")),
    fault_rate: float = typer.Option(0.0, "--fault-rate", help=tr("HTTP 500 を返す確率", "probability of HTTP 500")),
    slow_ms: int = typer.Option(0, "--slow-ms", help=tr("遅延させるミリ秒", "delay in ms")),
    slow_path: list[str] = typer.Option([], "--slow-path", help=tr("遅くする URL の先頭", "path prefixes to slow down")),
    session_idle: float = typer.Option(900.0, "--session-idle", help=tr("セッションの無操作期限（秒）", "idle expiry (s)")),
    spa_error_rate: float = typer.Option(
        0.0, "--spa-error-rate", min=0.0, max=1.0,
        help=tr("部品発注画面（/spa/）の注文の送信がエラーになる確率（0〜1。何も登録せずにエラーを表示）",
                "probability that an order submitted on the order app (/spa/) fails (0-1; nothing is stored)")),
) -> None:
    console = Console(stderr=True)
    store = db or Project.discover().logs / "demo" / "demo_web.sqlite3"
    store.parent.mkdir(parents=True, exist_ok=True)
    config = DemoWebConfig(db_path=store, fault_rate=fault_rate, slow_ms=slow_ms, slow_paths=tuple(slow_path),
                           session_idle_seconds=session_idle, spa_error_rate=spa_error_rate)

    def ready(url: str) -> None:
        console.print(tr("デモ基幹システム: {u}  (ID kazaguruma / パスワード demo-pass-2026)  保存先 {s}",
                         "demo core system: {u}  (user kazaguruma / password demo-pass-2026)  store {s}", u=url, s=store))
        console.print(tr("部品発注画面（SPA）: {u}/spa/", "order app (SPA): {u}/spa/", u=url))
        console.print(tr("Ctrl+C で停止します", "Ctrl+C stops it"))

    serve_forever(config, "127.0.0.1", port, on_ready=ready)

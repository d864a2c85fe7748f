"""The ``runner.py`` / ``kazaguruma`` command line (typer). Sub-commands live in sibling modules."""

from __future__ import annotations

import sys
from collections.abc import Callable

import typer
from loguru import logger

from bots.cli import (
    audit_cmd,
    flows_cmd,
    review_cmd,
    run_cmd,
    schedule_cmd,
    scheduler_cmd,
    selectors_cmd,
    steps_cmd,
    tray_cmd,
    validate_cmd,
)
from bots.i18n import set_language, tr

app = typer.Typer(
    name="kazaguruma",
    help=tr("Kazaguruma（風車）: 自治体業務のための RPA", "Kazaguruma: RPA for municipal back offices"),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global(lang: str = typer.Option(None, "--lang", help="ja / en")) -> None:
    if lang:
        set_language(lang)


app.command("run", help=tr("フローを実行します", "run a flow"))(run_cmd.run)
app.command("resume", help=tr("中断した実行を続きから再開します", "resume an interrupted run"))(run_cmd.resume_run)
app.command("validate", help=tr("フロー定義を検査します", "validate flow files"))(validate_cmd.validate)
app.command("steps", help=tr("ステップの説明（パラメータ・既定値・例）", "step reference: parameters, defaults, examples"))(steps_cmd.steps)
app.add_typer(selectors_cmd.app, name="selectors", help=tr("セレクタ定義の確認", "selector maps"))
app.add_typer(review_cmd.app, name="review", help=tr("OCR の要確認帳票: レビューファイルの取り込み", "OCR review: import a corrected review workbook"))
app.add_typer(audit_cmd.app, name="audit", help=tr("監査: 実行の一覧・台帳の検査・報告書", "audit: runs, ledger verification, reports"))
app.add_typer(flows_cmd.app, name="flows", help=tr("フローの台帳・承認・手順書・健全性", "flow catalogue: register, approval, procedures, health"))
app.add_typer(schedule_cmd.app, name="schedule", help=tr("スケジュール: 検査・一覧・実行予定", "schedules: validate, list, next"))
app.command("tray", help=tr("トレイのランチャー（職員がボットを起動・停止）", "the tray launcher (staff start and stop bots)"))(tray_cmd.tray)
app.command("scheduler", help=tr("スケジューラ（常駐）を起動します", "run the scheduler daemon"))(scheduler_cmd.scheduler)


def add_command(name: str, help_text: str, command: Callable[..., None]) -> None:
    """Add a command from outside the library (``runner.py demo`` from the demo package)."""
    app.command(name, help=help_text)(command)


def main() -> None:
    """Entry point: library logging goes to the run log, not the terminal."""
    logger.remove()
    # diagnose=False: a traceback must never print local variables (a password typed, a record).
    logger.add(sys.stderr, level="ERROR", format="{message}", diagnose=False)
    app()

"""The ``runner.py`` / ``kazaguruma`` command line (typer). Sub-commands live in sibling modules."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import ClassVar

import typer
from loguru import logger

from bots.cli.lazy import Lazy, LazyGroup
from bots.i18n import set_language, tr


class Commands(LazyGroup):
    """``runner.py``'s commands, each module imported only when its command runs: ``--help`` and
    ``validate`` start without the browser, the run store, OCR, Excel or Qt."""

    lazy: ClassVar[dict[str, Lazy]] = {
        "run": Lazy("bots.cli.run_cmd:run", tr("フローを実行します", "run a flow"), overlap="bots.cli.warm:run_overlap"),
        "resume": Lazy("bots.cli.run_cmd:resume_run", tr("中断した実行を続きから再開します", "resume an interrupted run"),
                         overlap="bots.cli.warm:resume_overlap"),
        "validate": Lazy("bots.cli.validate_cmd:validate", tr("フロー定義を検査します", "validate flow files")),
        "steps": Lazy("bots.cli.steps_cmd:steps",
                      tr("ステップの説明（パラメータ・既定値・例）", "step reference: parameters, defaults, examples")),
        "tray": Lazy("bots.cli.tray_cmd:tray",
                     tr("トレイのランチャー（職員がボットを起動・停止）", "the tray launcher (staff start and stop bots)")),
        "scheduler": Lazy("bots.cli.scheduler_cmd:scheduler", tr("スケジューラ（常駐）を起動します", "run the scheduler daemon")),
        "selectors": Lazy("bots.cli.selectors_cmd:app", tr("セレクタ定義の確認", "selector maps"), group=True),
        "review": Lazy("bots.cli.review_cmd:app",
                       tr("要確認の行: 書き出し（export）と、修正したレビューファイルの取り込み（import）",
                          "rows needing review: export them, import a corrected review workbook"),
                       group=True),
        "audit": Lazy("bots.cli.audit_cmd:app",
                      tr("監査: 実行の一覧・台帳の検査・報告書", "audit: runs, ledger verification, reports"), group=True),
        "flows": Lazy("bots.cli.flows_cmd:app",
                      tr("フローの台帳・承認・手順書・健全性", "flow catalogue: register, approval, procedures, health"),
                      group=True),
        "schedule": Lazy("bots.cli.schedule_cmd:app", tr("スケジュール: 検査・一覧・実行予定", "schedules: validate, list, next"),
                         group=True),
        "forms": Lazy("bots.cli.forms_cmd:app",
                      tr("紙の帳票: 見本から定義の下書き（new）、欄の位置の確認（check）",
                         "paper forms: draft a template from a sample (new), check its zones on a scan (check)"),
                      group=True),
    }


app = typer.Typer(
    cls=Commands,
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


def add_command(name: str, help_text: str, command: Callable[..., None] | str) -> None:
    """Add a command from outside the library (``runner.py demo`` from the demo package): a function,
    or where one lives (``"package.module:function"``) to import it only when the command runs."""
    if isinstance(command, str):
        Commands.lazy[name] = Lazy(command, help_text)
    else:
        app.command(name, help=help_text)(command)


def main() -> None:
    """Entry point: library logging goes to the run log, not the terminal."""
    logger.remove()
    # diagnose=False: a traceback must never print local variables (a password typed, a record).
    logger.add(sys.stderr, level="ERROR", format="{message}", diagnose=False)
    app()

"""``runner.py run FLOW [--input FILE] [--headed] [--dry-run]``."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import cast

import typer
from rich.console import Console
from rich.markup import escape

from bots.api import RunRequest, RunResult, RunStatus, Status, Trigger, open_trail, resume_request, run_flow
from bots.api.signals import graceful_stop
from bots.errors import ExitCode, FlowError, InputFileError, KazagurumaError, Refused
from bots.i18n import tr
from bots.listeners.console import ConsoleListener, print_diagnostics
from bots.ports import Decide
from bots.project import Project
from bots.results.journal import InterruptedRun, ResumeChoice
from bots.spec.diagnostics import Diagnostic


def parse_sets(values: list[str]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(tr("--set は 名前=値 の形で書きます: {i}", "--set takes name=value: {i}", i=item))
        parsed[name.strip()] = value
    return parsed


def ask_on_terminal(console: Console) -> Decide:
    """Ask what to do about an interrupted run when a person is at the terminal; else refuse."""

    def decide(found: InterruptedRun) -> ResumeChoice:
        if not sys.stdin.isatty():
            return "refuse"
        console.print(f"[yellow]{escape(found.describe())}[/]")
        answer = typer.prompt(tr("続きから再開しますか？ [r]再開 / [f]最初から（処理済みの行も再入力） / [q]中止",
                                 "resume it? [r]esume / [f]resh (keys finished records again) / [q]uit"),
                              default="r").strip().lower()
        return {"r": "resume", "f": "fresh"}.get(answer[:1], "refuse")  # type: ignore[return-value]

    return decide


def execute(request: RunRequest, console: Console, verbose: bool) -> None:
    """Run a request through the library entry point with the console listener; exit with its code."""
    project = Project.discover()
    stop = threading.Event()
    try:
        with open_trail(project) as trail, graceful_stop(stop, lambda text: console.print(f"[yellow]{escape(text)}[/]")):
            result = run_flow(request, trail=trail, listeners=lambda info: [ConsoleListener(console, verbose=verbose)],
                              stop=stop, ask=ask_on_terminal(console), project=project)
    except FlowError as exc:
        print_diagnostics(console, [d for d in exc.diagnostics if isinstance(d, Diagnostic)])
        console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(ExitCode.INVALID) from None
    except InputFileError as exc:
        console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(ExitCode.INVALID) from None
    except Refused as exc:  # no role for the bot, or an unapproved version in production (audited as run_refused)
        console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(ExitCode.REFUSED) from None
    except KazagurumaError as exc:  # the audit trail cannot be opened: nothing runs unrecorded
        console.print(tr("[red]監査記録を開けないため実行しません: {e}[/]", "[red]not run: the audit trail cannot be opened: {e}[/]",
                         e=escape(str(exc))))
        raise typer.Exit(ExitCode.ABORTED) from None
    except KeyboardInterrupt:  # a stop request repeated while the results were being saved: quit without them
        console.print(tr("[red]強制終了しました。結果ファイルは保存されていません（各行の処理状況は実行記録にあります）。"
                         "続きから再開するには runner.py resume を使います[/]",
                         "[red]quit: the results workbook was not saved (each record's outcome is in the run store). "
                         "Continue later with runner.py resume[/]"))
        raise typer.Exit(ExitCode.ABORTED) from None
    console.print(tr("実行記録: {f}", "run folder: {f}", f=escape(str(result.folder))))
    if result.results_workbook is not None:
        console.print(tr("結果ファイル: {p}", "results workbook: {p}", p=escape(str(result.results_workbook))))
    if resumable(result):
        console.print(tr("続きから再開するには: python runner.py resume {r}", "to continue: python runner.py resume {r}",
                         r=result.run_id))
    elif result.status in (RunStatus.STOPPED, RunStatus.ABORTED) and result.journal_id:
        console.print(tr("処理を始めた行はありません。原因を取り除いてから、同じコマンドでもう一度実行してください",
                         "no record was started: remove the cause, then run the same command again"))
    raise typer.Exit(int(result.exit_code))


def resumable(result: RunResult) -> bool:
    """Whether to tell staff to resume: the run stopped early with a journal *after it started*
    keying (or it resumed a job that had). A run that ended before its first record — its setup
    failed (a missing secret, a login refused) — has nothing to continue: it is run again once
    the cause is fixed, and "resume" would only send staff the wrong way."""
    if result.status not in (RunStatus.STOPPED, RunStatus.ABORTED) or not result.journal_id:
        return False
    return result.resumed_from is not None or any(
        record.status is not Status.NOT_RUN or record.error_kind is not None for record in result.records)


def run(
    flow: Path = typer.Argument(..., help=tr("フローのファイル", "flow file")),
    input_file: str = typer.Option(None, "--input", "-i", help=tr("入力ファイル（Excel など）", "input file")),
    sets: list[str] = typer.Option([], "--set", help=tr("入力値 名前=値", "input name=value")),
    headed: bool = typer.Option(False, "--headed", help=tr("ブラウザを表示して実行", "show the browser")),
    dry_run: bool = typer.Option(False, "--dry-run", help=tr("登録（commit）以外を実行するリハーサル",
                                                             "rehearse: run everything but commit steps")),
    resume: bool = typer.Option(False, "--resume", help=tr("同じ入力の中断した実行があれば続きから再開",
                                                          "continue an interrupted run of the same input")),
    fresh: bool = typer.Option(False, "--fresh", help=tr("中断した実行があっても最初から（処理済みの行も再入力）",
                                                        "start over even if a run of the same input was interrupted")),
    trigger: str = typer.Option("manual", "--trigger", hidden=True),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """``runner.py run``: one flow on one input; an interrupted run of the same input is asked about first."""
    console = Console(stderr=True, soft_wrap=True)
    if resume and fresh:
        raise typer.BadParameter(tr("--resume と --fresh は同時に指定できません", "--resume and --fresh exclude each other"))
    request = RunRequest(flow=str(flow), inputs=parse_sets(sets), primary_input=input_file,
                         trigger=cast(Trigger, trigger if trigger in ("manual", "tray", "schedule") else "manual"),
                         dry_run=dry_run, headless=not headed, cwd=str(Path.cwd()),
                         if_interrupted="resume" if resume else "fresh" if fresh else "ask")
    execute(request, console, verbose)


def resume_run(
    run_id: str = typer.Argument(..., help=tr("再開する実行の ID", "id of the run to resume")),
    headed: bool = typer.Option(False, "--headed", help=tr("ブラウザを表示して実行", "show the browser")),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Start an interrupted run again from its stored request: settled records are reported,
    half-done ones verified, the rest keyed."""
    console = Console(stderr=True, soft_wrap=True)
    try:
        request = resume_request(run_id, Project.discover(), headless=not headed)
    except InputFileError as exc:
        console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(ExitCode.INVALID) from None
    except KazagurumaError as exc:
        console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(ExitCode.ABORTED) from None
    execute(request, console, verbose)


__all__ = ["run", "resume_run"]

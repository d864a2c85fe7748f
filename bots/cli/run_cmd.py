"""``runner.py run FLOW [--input FILE] [--headed] [--dry-run]``."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import typer
from rich.console import Console

from bots.cli.validate_cmd import print_diagnostics
from bots.engine.events import RunInfo, RunListener
from bots.engine.executor import ListenerFactory, LocalExecutor, RunRequest, Trigger, current_user
from bots.errors import ExitCode, FlowError, InputFileError, KazagurumaError
from bots.i18n import tr
from bots.project import Project
from bots.run.console import ConsoleListener
from bots.run.jsonlog import RunLogListener
from bots.run.results_listener import ResultsWorkbookListener
from bots.run.trail import AuditTrail


def parse_sets(values: list[str]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(tr("--set は 名前=値 の形で書きます: {i}", "--set takes name=value: {i}", i=item))
        parsed[name.strip()] = value
    return parsed


def standard_listeners(console: Console, verbose: bool, holder: dict[str, object],
                       trail: AuditTrail | None = None) -> ListenerFactory:
    """The listeners of a run: audit trail (run store, ledger), run log, results, console."""

    def make(info: RunInfo) -> list[RunListener]:
        results = ResultsWorkbookListener(info)
        holder["results"] = results
        holder["folder"] = info.folder
        audit = trail.listeners(info) if trail is not None else []
        return [*audit, RunLogListener(info, info.folder.name), results, ConsoleListener(console, verbose=verbose)]

    return make


def run(
    flow: Path = typer.Argument(..., help=tr("フローのファイル", "flow file")),
    input_file: str = typer.Option(None, "--input", "-i", help=tr("入力ファイル（Excel など）", "input file")),
    sets: list[str] = typer.Option([], "--set", help=tr("入力値 名前=値", "input name=value")),
    headed: bool = typer.Option(False, "--headed", help=tr("ブラウザを表示して実行", "show the browser")),
    dry_run: bool = typer.Option(False, "--dry-run", help=tr("登録（commit）以外を実行するリハーサル",
                                                             "rehearse: run everything but commit steps")),
    trigger: str = typer.Option("manual", "--trigger", hidden=True),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    console = Console(stderr=True, soft_wrap=True)
    holder: dict[str, object] = {}
    request = RunRequest(flow=str(flow), inputs=parse_sets(sets), primary_input=input_file,
                         trigger=cast(Trigger, trigger if trigger in ("manual", "tray", "schedule") else "manual"),
                         dry_run=dry_run, headless=not headed, cwd=str(Path.cwd()))
    project = Project.discover()
    try:
        trail = AuditTrail(project.logs)
    except KazagurumaError as exc:
        console.print(tr("[red]監査記録を開けないため実行しません: {e}[/]", "[red]not run: the audit trail cannot be opened: {e}[/]",
                         e=exc))
        raise typer.Exit(ExitCode.ABORTED) from None
    with trail:
        try:
            result = LocalExecutor(project).run(request, listeners=standard_listeners(console, verbose, holder, trail))
        except FlowError as exc:
            trail.flow_rejected(flow, current_user(), list(exc.diagnostics))  # type: ignore[arg-type]
            print_diagnostics(console, list(exc.diagnostics))  # type: ignore[arg-type]
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(ExitCode.INVALID) from None
        except InputFileError as exc:
            trail.input_refused(flow, current_user(), str(exc))
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(ExitCode.INVALID) from None
    folder = holder.get("folder")
    results = holder.get("results")
    console.print(tr("実行記録: {f}", "run folder: {f}", f=folder))
    if isinstance(results, ResultsWorkbookListener) and results.path:
        console.print(tr("結果ファイル: {p}", "results workbook: {p}", p=results.path))
    raise typer.Exit(int(result.exit_code))


__all__ = ["run", "Trigger"]

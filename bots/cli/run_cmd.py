"""``runner.py run FLOW [--input FILE] [--headed] [--dry-run]``."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import cast

import typer
from rich.console import Console

from bots.cli.validate_cmd import print_diagnostics
from bots.engine.events import RunInfo, RunListener
from bots.engine.executor import Executor, ListenerFactory, LocalExecutor, RunRequest, Trigger, current_user
from bots.engine.journal import InterruptedRun, ResumeChoice
from bots.engine.results import RunResult, RunStatus
from bots.engine.resume import Decide
from bots.errors import ExitCode, FlowError, InputFileError, KazagurumaError
from bots.i18n import tr
from bots.project import Project
from bots.run.console import ConsoleListener
from bots.run.jsonlog import RunLogListener
from bots.run.results_listener import ResultsWorkbookListener
from bots.run.signals import graceful_stop
from bots.run.trail import AuditTrail
from bots.store.store import RunStore


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


def ask_on_terminal(console: Console) -> Decide:
    """Ask what to do about an interrupted run when a person is at the terminal; else refuse."""

    def decide(found: InterruptedRun) -> ResumeChoice:
        if not sys.stdin.isatty():
            return "refuse"
        console.print(f"[yellow]{found.describe()}[/]")
        answer = typer.prompt(tr("続きから再開しますか？ [r]再開 / [f]最初から（処理済みの行も再入力） / [q]中止",
                                 "resume it? [r]esume / [f]resh (keys finished records again) / [q]uit"),
                              default="r").strip().lower()
        return {"r": "resume", "f": "fresh"}.get(answer[:1], "refuse")  # type: ignore[return-value]

    return decide


def open_trail(console: Console, project: Project) -> AuditTrail:
    """The audit trail, or exit 3: nothing runs unrecorded."""
    try:
        return AuditTrail(project.logs)
    except KazagurumaError as exc:
        console.print(tr("[red]監査記録を開けないため実行しません: {e}[/]", "[red]not run: the audit trail cannot be opened: {e}[/]",
                         e=exc))
        raise typer.Exit(ExitCode.ABORTED) from None


def run_audited(trail: AuditTrail, request: RunRequest, *, listeners: ListenerFactory, stop: threading.Event,
                ask: Decide | None = None, executor: Executor | None = None) -> RunResult:
    """Run a request with the audit trail: how ``run``, ``resume`` and the scheduler start runs.
    A flow or input refused before the start is audited, then re-raised."""
    try:
        return (executor or LocalExecutor(Project.discover(), journal=trail.store)).run(
            request, listeners=listeners, stop=stop, ask=ask)
    except FlowError as exc:
        trail.flow_rejected(Path(request.flow), request.user or current_user(), list(exc.diagnostics))  # type: ignore[arg-type]
        raise
    except InputFileError as exc:
        trail.input_refused(Path(request.flow), request.user or current_user(), str(exc))
        raise


def execute(request: RunRequest, console: Console, verbose: bool) -> None:
    """Run a request with the standard listeners and the audit trail; exit with its code."""
    holder: dict[str, object] = {}
    project = Project.discover()
    trail = open_trail(console, project)
    stop = threading.Event()
    with trail, graceful_stop(stop, lambda text: console.print(f"[yellow]{text}[/]")):
        try:
            result = run_audited(trail, request, listeners=standard_listeners(console, verbose, holder, trail),
                                 stop=stop, ask=ask_on_terminal(console),
                                 executor=LocalExecutor(project, journal=trail.store))
        except FlowError as exc:
            print_diagnostics(console, list(exc.diagnostics))  # type: ignore[arg-type]
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(ExitCode.INVALID) from None
        except InputFileError as exc:
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(ExitCode.INVALID) from None
        except KeyboardInterrupt:  # the second stop request: the run is recorded as aborted
            console.print(tr("強制停止しました。続きから再開するには runner.py resume を使います",
                             "aborted; continue later with runner.py resume"))
            raise typer.Exit(ExitCode.ABORTED) from None
    folder = holder.get("folder")
    results = holder.get("results")
    console.print(tr("実行記録: {f}", "run folder: {f}", f=folder))
    if isinstance(results, ResultsWorkbookListener) and results.path:
        console.print(tr("結果ファイル: {p}", "results workbook: {p}", p=results.path))
    if result.status in (RunStatus.STOPPED, RunStatus.ABORTED) and result.journal_id:
        console.print(tr("続きから再開するには: python runner.py resume {r}", "to continue: python runner.py resume {r}",
                         r=result.run_id))
    raise typer.Exit(int(result.exit_code))


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
    project = Project.discover()
    try:
        with RunStore.open(None, project.logs) as store:
            stored = store.run_request(run_id)
    except KazagurumaError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(ExitCode.ABORTED) from None
    if stored is None:
        console.print(tr("[red]実行 {r} が見つかりません[/]", "[red]no run {r}[/]", r=run_id))
        raise typer.Exit(ExitCode.INVALID)
    request = RunRequest.model_validate({**stored, "resume": run_id, "headless": not headed,
                                         "if_interrupted": "ask", "dry_run": False})
    execute(request, console, verbose)


__all__ = ["run", "resume_run", "open_trail", "run_audited", "standard_listeners", "Trigger"]

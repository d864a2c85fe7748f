"""The console view of a run: a progress bar (done/total, failures) and a closing summary.

Everything printed here goes through Rich markup, so every text that comes from a flow, an input,
a page or an error (a title, a record key, an XPath like ``//input[@id='x']`` in an error) is
escaped: Rich would take ``[@id='x']`` for a style tag and drop it."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bots.i18n import tr
from bots.results.listener import RunInfo, RunListener
from bots.results.model import RecordResult, RunResult, Status
from bots.spec.diagnostics import Diagnostic, Severity, read_source


class ConsoleListener(RunListener):
    """A run on the console: progress, every failure as it happens, and a summary at the end."""

    def __init__(self, console: Console | None = None, *, verbose: bool = False) -> None:
        self.console = console or Console(stderr=True)
        self.verbose = verbose
        self.each_record = verbose
        self.failed = 0
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(tr("失敗 {task.fields[failed]}", "failed {task.fields[failed]}")),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self.task: Any = None

    def run_started(self, info: RunInfo, run: RunResult) -> None:
        """Show which flow runs (and whether it is a dry run), then start the progress bar."""
        # A rehearsal exists to show what each record would do: list every record, not only failures.
        self.each_record = self.verbose or info.dry_run
        flow = info.flow
        mode = tr("（リハーサル: 登録はしません）", " (dry run: nothing is submitted)") if info.dry_run else ""
        self.console.print(tr("[bold]{t}[/] v{v}  実行ID {r}{m}", "[bold]{t}[/] v{v}  run {r}{m}",
                              t=escape(flow.title), v=escape(flow.version), r=escape(run.run_id), m=mode))
        self.progress.start()
        self.task = self.progress.add_task(tr("処理中", "running"), total=None, failed=0)

    def records_counted(self, total: int | None) -> None:
        """Give the progress bar its total (None: the source cannot tell in advance)."""
        self.progress.update(self.task, total=total)

    def record_finished(self, record: RecordResult) -> None:
        """Print a failed record (every record when verbose or rehearsing) and advance."""
        where = f"{escape(record.location)} {escape(record.key)}"
        if record.status in (Status.FAIL, Status.REVIEW):
            self.failed += 1
            self.progress.console.print(f"  [red]{record.status.label()}[/] {where}: {escape(record.error or '')}")
        elif self.each_record:
            self.progress.console.print(f"  [green]{record.status.label()}[/] {where}")
        self.progress.update(self.task, advance=1, failed=self.failed)

    def notice(self, kind: str, message: str, data: dict[str, Any]) -> None:
        """Print the notices staff must see now (drift, resume decisions); retries only when verbose."""
        if kind == "records_estimated":  # a streamed input: a total for the bar until the real count is known
            self.progress.update(self.task, total=data.get("estimate"))
            return
        if kind == "log":  # the flow's own ``log:`` lines: its author meant them to be read
            style = "yellow" if data.get("level") == "warning" else "cyan"
            self.progress.console.print(f"  [{style}]{escape(message)}[/]")
            return
        if kind in {"selector_drift", "recover_failed", "teardown_failed", "review_workbook", "resumed",
                    "fresh_start", "session_expired", "records_unread", "unapproved_flow"} or (kind in {"retry", "optional_absent"} and self.verbose):
            self.progress.console.print(f"  [yellow]{escape(message)}[/]")

    def run_finished(self, run: RunResult) -> None:
        """Stop the progress bar and print the outcome with the count of each status."""
        self.progress.stop()
        table = Table(show_header=False, box=None)
        status_text = run.status.label()
        table.add_row(tr("状態", "status"), status_text)
        for status in (Status.PASS, Status.FAIL, Status.REVIEW, Status.NOT_RUN):
            table.add_row(status.label(), str(run.count(status)))
        if run.unread_after is not None:
            table.add_row(tr("未読込", "unread"), tr("{l} より後の行（再開で続きから）", "rows after {l} (a resume continues)",
                                                  l=escape(run.unread_after)))
        if run.error:
            table.add_row(tr("理由", "reason"), escape(run.error))  # table cells are markup too
        if run.run_outputs:
            table.add_row(f"[bold]{tr('実行結果', 'run results')}[/]", "")
            for name, value in run.run_outputs.items():
                table.add_row(f"  {escape(str(name))}", escape(shown(value)))
        self.console.print(table)


def shown(value: Any) -> str:
    """A run output as text: ``-`` when the flow never set it, dates as ISO dates."""
    if value is None:
        return "-"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def print_diagnostics(console: Console, diagnostics: list[Diagnostic], source: str | None = None) -> None:
    """Each diagnostic as ``file:line:col: message`` with the offending line and a caret."""
    for diagnostic in diagnostics:
        colour = "red" if diagnostic.severity is Severity.ERROR else "yellow"
        console.print(f"[{colour}]{escape(diagnostic.render())}[/]")
        text = source if source is not None else read_source(diagnostic.path)
        excerpt = diagnostic.excerpt(text)
        if excerpt:
            console.print(escape(excerpt), highlight=False)

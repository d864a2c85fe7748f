"""``runner.py validate [PATHS…]``: check flow files; every problem as file:line:col."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from bots.errors import ExitCode
from bots.flow.diagnostics import Diagnostic, Severity
from bots.flow.loader import load_flow
from bots.i18n import tr
from bots.project import Project


def _flow_files(paths: list[Path], project: Project) -> list[Path]:
    if not paths:
        paths = [project.flows]
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.yaml") if "data" not in p.relative_to(path).parts))
        else:
            found.append(path)
    return found


def print_diagnostics(console: Console, diagnostics: list[Diagnostic], source: str | None = None) -> None:
    for diagnostic in diagnostics:
        colour = "red" if diagnostic.severity is Severity.ERROR else "yellow"
        console.print(f"[{colour}]{escape(diagnostic.render())}[/]")
        text = source
        if text is None:
            try:
                text = diagnostic.path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                text = None
        excerpt = diagnostic.excerpt(text)
        if excerpt:
            console.print(escape(excerpt), highlight=False)


def validate(
    paths: list[Path] = typer.Argument(None, help=tr("フローのファイルかフォルダ（既定: flows/）", "flow files or folders")),
) -> None:
    console = Console(stderr=True, soft_wrap=True)
    project = Project.discover()
    files = _flow_files(list(paths or []), project)
    errors = warnings = 0
    for path in files:
        _, found = load_flow(path, project)
        print_diagnostics(console, list(found))
        errors += len(found.errors)
        warnings += len(found.warnings)
    console.print(tr("{n} ファイルを検査: エラー {e} 件、警告 {w} 件", "{n} files checked: {e} errors, {w} warnings",
                     n=len(files), e=errors, w=warnings))
    raise typer.Exit(ExitCode.INVALID if errors else ExitCode.OK)

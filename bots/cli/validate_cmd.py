"""``runner.py validate [PATHS…]``: check flow files; every problem as file:line:col."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from bots.api.validation import flow_files
from bots.api.validation import validate as validate_flow
from bots.errors import ExitCode
from bots.i18n import tr
from bots.listeners.console import print_diagnostics
from bots.project import Project


def validate(
    paths: list[Path] = typer.Argument(None, help=tr("フローのファイルかフォルダ（既定: flows/）", "flow files or folders")),
) -> None:
    """``runner.py validate``: every diagnostic of the flow files; exit 2 on any error."""
    console = Console(stderr=True, soft_wrap=True)
    project = Project.discover()
    files = flow_files(list(paths or []), project)
    errors = warnings = 0
    for path in files:
        loaded, found = validate_flow(path, project)
        print_diagnostics(console, list(found))
        if loaded is not None and loaded.form_template is not None:  # how its scans will be registered
            template = loaded.form_template
            console.print(escape(tr("{p}: 帳票 {f} の位置合わせ: {m}", "{p}: form {f} is registered by {m}",
                                    p=path, f=template.form, m=template.anchors.describe())))
        errors += len(found.errors)
        warnings += len(found.warnings)
    console.print(tr("{n} ファイルを検査: エラー {e} 件、警告 {w} 件", "{n} files checked: {e} errors, {w} warnings",
                     n=len(files), e=errors, w=warnings))
    raise typer.Exit(ExitCode.INVALID if errors else ExitCode.OK)

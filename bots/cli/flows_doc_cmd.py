"""``runner.py flows doc FLOW --format html|md|docx [--out PATH]``: the 手順書 of one flow.

Written to ``docs/procedures/<flow-id>.<ext>`` unless ``--out`` says otherwise, regenerated from
the flow each time (so it never drifts from what runs). The approval state comes from the run
store when it opens; a flow with errors gets no 手順書 (exit 2) — it would describe nothing that runs.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from bots.catalogue.build import entry_for
from bots.catalogue.entry import CatalogueEntry
from bots.catalogue.procedure import build_procedure
from bots.catalogue.procedure_docx import render_docx
from bots.catalogue.procedure_html import write_html
from bots.catalogue.procedure_md import write_md
from bots.errors import ExitCode, StoreError
from bots.governance.staff import load_staff
from bots.i18n import tr
from bots.project import Project
from bots.store.store import RunStore


class DocFormat(StrEnum):
    """The formats of the 手順書: a page that prints, text for a wiki, a document a 原課 edits."""

    html = "html"
    md = "md"
    docx = "docx"


def default_path(project: Project, flow_id: str, fmt: DocFormat) -> Path:
    """Where the 手順書 goes by default: ``docs/procedures/<flow-id>.<ext>`` in the project."""
    return project.root / "docs" / "procedures" / f"{flow_id}.{fmt.value}"


def _entry(flow: Path, project: Project) -> CatalogueEntry:
    try:
        with RunStore.open(None, project.logs) as store:
            return entry_for(flow, project, store)
    except StoreError:  # no run store here (a fresh checkout): the 手順書 says the approval is unknown
        return entry_for(flow, project)


def doc(
    flow: Path = typer.Argument(..., help=tr("フローのファイル", "the flow file")),
    format: DocFormat = typer.Option(DocFormat.html, "--format", help="html / md / docx"),
    out: Path = typer.Option(None, "--out", help=tr("出力先（既定: docs/procedures/<フローID>.<形式>）",
                                                    "output file (default: docs/procedures/<flow id>.<format>)")),
) -> None:
    """``flows doc``: write the 手順書 of a flow and say where."""
    project = Project.discover()
    console = Console(soft_wrap=True)
    if not flow.is_file():
        console.print(tr("[red]フローのファイルがありません: {p}[/]", "[red]no such flow file: {p}[/]", p=escape(str(flow))))
        raise typer.Exit(ExitCode.INVALID)
    entry = _entry(flow, project)
    if entry.loaded is None:
        for diagnostic in entry.diagnostics.errors:
            console.print(escape(diagnostic.render()))
        console.print(tr("[red]フロー定義にエラーがあるため手順書を作れません: {p}[/]",
                         "[red]the flow has errors, so no procedure is written: {p}[/]", p=escape(str(flow))))
        raise typer.Exit(ExitCode.INVALID)
    staff, _ = load_staff(project)
    procedure = build_procedure(entry, staff=staff)
    path = out or default_path(project, entry.flow_id, format)
    if format is DocFormat.html:
        write_html(procedure, path)
    elif format is DocFormat.md:
        write_md(procedure, path)
    else:
        render_docx(procedure, path)
    console.print(tr("手順書を書きました: {p}", "procedure written: {p}", p=escape(str(path))))

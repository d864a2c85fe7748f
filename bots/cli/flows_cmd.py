"""``runner.py flows …``: the governed catalogue — the 管理台帳 (``list``), approval by a second
person (``approve``), what changed since the approved version (``diff``), versions and their runs
(``history``), the 手順書 (``doc``) and the 野良ロボット report (``health``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from bots.api import current_user, open_trail
from bots.catalogue.build import build_catalogue
from bots.catalogue.grid_html import grid_page
from bots.catalogue.health import health, health_grid
from bots.catalogue.register import register_grid, write_register
from bots.catalogue.workbook import write_grid_workbook
from bots.cli import flows_doc_cmd
from bots.cli.tables import grid_table
from bots.errors import ApprovalRefused, ExitCode, KazagurumaError
from bots.flow.loader import LoadedFlow, load_flow
from bots.governance.approve import Approval, approve
from bots.governance.gate import status_text
from bots.governance.versions import Version, approval_state, approved_versions
from bots.governance.whatchanged import changed_since_approval
from bots.i18n import tr
from bots.project import Project
from bots.spec.project_config import load_project_config
from bots.store.store import RunStore

app = typer.Typer(no_args_is_help=True)


class ReportFormat(StrEnum):
    """What `flows list` and `flows health` write: a terminal table, a workbook or a page."""

    table = "table"
    xlsx = "xlsx"
    html = "html"


#: ``--format`` and ``--out`` of the report commands (``flows list``, ``flows health``): one definition.
FORMAT_OPTION = typer.Option(ReportFormat.table, "--format", help="table / xlsx / html")
OUT_OPTION = typer.Option(None, "--out", help=tr("出力先（xlsx/html）", "output file (xlsx/html)"))


def _loaded(flow: Path, project: Project, console: Console) -> LoadedFlow:
    loaded, found = load_flow(flow, project)
    if loaded is None:
        for diagnostic in found.errors:
            console.print(escape(diagnostic.render()))
        console.print(tr("[red]フロー定義にエラーがあります: {p}[/]", "[red]the flow has errors: {p}[/]", p=flow))
        raise typer.Exit(ExitCode.INVALID)
    return loaded


def _write_report(project: Project, format: ReportFormat, out: Path | None, stem: str, write_xlsx: Callable[[Path], Path],
                  page: Callable[[], str]) -> Path:
    """The workbook or the page of a report: to ``out``, else ``logs/reports/<stem>-<time>.<format>``."""
    path = out or project.logs / "reports" / f"{stem}-{dt.datetime.now():%Y%m%d-%H%M%S}.{format.value}"
    if format is ReportFormat.xlsx:
        return write_xlsx(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(), encoding="utf-8")
    return path


@app.command("list", help=tr("RPA 管理台帳: フローごとの所管課・担当・システム・承認・実行状況",
                             "the RPA register: each flow's department, owners, systems, approval and runs"))
def list_flows(
    format: ReportFormat = FORMAT_OPTION,
    out: Path = OUT_OPTION,
) -> None:
    """``flows list``: the catalogue as a table, or the 管理台帳 workbook / page."""
    project = Project.discover()
    console = Console(soft_wrap=True)
    with RunStore.open(None, project.logs) as store:
        catalogue = build_catalogue(project, store)
    title = tr("RPA 管理台帳", "RPA register")
    if format is ReportFormat.table:
        console.print(grid_table(register_grid(catalogue, compact=True), title, tone_column=6))
        return
    path = _write_report(project, format, out, tr("RPA管理台帳", "rpa-register"),
                         lambda target: write_register(catalogue, target),
                         lambda: grid_page(title, catalogue.built_at.strftime("%Y-%m-%d %H:%M"), register_grid(catalogue),
                                           tr("フローがありません", "no flows")))
    console.print(tr("管理台帳を書きました: {p}", "register written: {p}", p=path))


@app.command("approve", help=tr("フローの今の版を承認します（変更した本人以外）",
                                "approve the flow's current version (not by its author)"))
def approve_flow(
    flow: Path = typer.Argument(..., help=tr("フローのファイル", "the flow file")),
    by: str = typer.Option(..., "--by", help=tr("承認者（職員名簿の ID か氏名）", "approver (staff id or name)")),
    comment: str = typer.Option(None, "--comment", help=tr("承認のコメント", "a comment")),
    author: str = typer.Option(None, "--author", help=tr("変更した人（git で分からないとき）",
                                                         "who made the change (when git cannot tell)")),
) -> None:
    """``flows approve``: record an approval of exactly what is on disk (audited either way)."""
    project = Project.discover()
    console = Console(soft_wrap=True)
    loaded = _loaded(flow, project, console)
    version = Version.of(loaded, project)
    try:
        with open_trail(project) as trail:
            done = approve(project, trail, version, Approval(by=by, comment=comment, author=author,
                                                             actor=current_user()))
    except ApprovalRefused as exc:
        console.print(tr("[red]承認できません: {e}[/]", "[red]approval refused: {e}[/]", e=escape(str(exc))))
        raise typer.Exit(ExitCode.INVALID) from None
    except KazagurumaError as exc:
        console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(ExitCode.ABORTED) from None
    console.print(tr("{p} が {f} 版 {v}（{h}）を承認しました。状態: {s}",
                     "{p} approved {f} version {v} ({h}); state: {s}", p=done.approver.label(), f=loaded.flow.id,
                     v=loaded.flow.version, h=version.fingerprint[:12], s=status_text(done.state)))


@app.command("history", help=tr("版ごとの承認と実行（初回・最終）", "versions, their approvals and first/last runs"))
def history(flow: Path = typer.Argument(..., help=tr("フローのファイル", "the flow file"))) -> None:
    """``flows history``: every version that was approved or ran, oldest first."""
    project = Project.discover()
    console = Console(soft_wrap=True)
    loaded = _loaded(flow, project, console)
    current = Version.of(loaded, project).fingerprint
    settings = load_project_config(project)[0].governance
    with RunStore.open(None, project.logs) as store:
        approvals = store.approvals(loaded.flow.id)
        runs = {v.fingerprint: v for v in store.runs_by_version(loaded.flow.id)}
    complete = {key for key, _, _ in approved_versions(approvals, settings.approvers_required)}
    versions = list(dict.fromkeys([*(a.fingerprint for a in approvals), *runs, current]))
    for key in versions:
        marks = [tr("承認済み", "approved")] if key in complete else []
        if key == current:
            marks.append(tr("現在の版", "current"))
        version = next((a.flow_version for a in approvals if a.fingerprint == key), None)
        console.print(f"[bold]{key[:12]}[/] {version or ''} {'・'.join(marks)}")
        for row in (a for a in approvals if a.fingerprint == key):
            console.print(tr("  承認 {t} {p}（変更者 {a}）{c}", "  approved {t} by {p} (author {a}) {c}",
                             t=row.approved_at.astimezone().strftime("%Y-%m-%d %H:%M"), p=row.approver,
                             a=row.author or "-", c=escape(row.comment or "")))
        if key in runs:
            ran = runs[key]
            console.print(tr("  実行 {n} 回: 初回 {f}、最終 {l}", "  {n} runs: first {f}, last {l}", n=ran.runs,
                             f=ran.first_run_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                             l=ran.last_run_at.astimezone().strftime("%Y-%m-%d %H:%M")))
        else:
            console.print(tr("  実行なし", "  no runs"))


@app.command("diff", help=tr("承認された版からの変更を、読める言葉で", "what changed since the approved version, in words"))
def diff(flow: Path = typer.Argument(..., help=tr("フローのファイル", "the flow file"))) -> None:
    """``flows diff``: files, steps and selectors changed since the latest approved version."""
    project = Project.discover()
    console = Console(soft_wrap=True)
    loaded = _loaded(flow, project, console)
    version = Version.of(loaded, project)
    settings = load_project_config(project)[0].governance
    with RunStore.open(None, project.logs) as store:
        state = approval_state(store, loaded.flow.id, version.fingerprint, settings)
        if state.approved_fingerprint is None:
            console.print(tr("承認された版がありません（すべてが新規です）。flows doc で内容を確認してください",
                             "no approved version yet (everything is new); read it with flows doc"))
            return
        if state.approved_fingerprint == version.fingerprint:
            console.print(tr("承認された版から変更はありません", "no change since the approved version"))
            return
        lines = changed_since_approval(project, store, version, state)
    console.print(tr("承認された版 {a}（{t}）からの変更:", "changes since the approved version {a} ({t}):",
                     a=state.approved_fingerprint[:12],
                     t=state.approved_at.astimezone().strftime("%Y-%m-%d") if state.approved_at else "-"))
    for line in lines:
        console.print(f"  - {escape(line)}")


app.command("doc", help=tr("手順書をフロー定義から作成（html / md / docx）",
                           "write the procedure (手順書) generated from the flow (html / md / docx)"))(flows_doc_cmd.doc)


@app.command("health", help=tr("野良ロボットの検出: 副担当なし・異動・長期未成功・連続失敗・ずれ・承認切れ・台帳外",
                               "find orphaned bots: no deputy, owner left, no success, failures, drift, overdue or "
                               "missing approval, unregistered files"))
def health_report(
    format: ReportFormat = FORMAT_OPTION,
    out: Path = OUT_OPTION,
) -> None:
    """``flows health``: exit 1 when anything is flagged (for a nightly check that mails the 情報政策係)."""
    project = Project.discover()
    console = Console(soft_wrap=True)
    with RunStore.open(None, project.logs) as store:
        catalogue = build_catalogue(project, store)
        findings = health(catalogue, store, project.logs)
    grid = health_grid(findings)
    title = tr("フローの健全性（野良ロボット検出）", "flow health (orphaned bots)")
    if format is ReportFormat.table:
        console.print(grid_table(grid, title))
    else:
        path = _write_report(project, format, out, tr("フロー健全性", "flow-health"),
                             lambda target: write_grid_workbook(target, tr("健全性", "health"), grid),
                             lambda: grid_page(title, catalogue.built_at.strftime("%Y-%m-%d %H:%M"), grid,
                                               tr("問題は見つかりませんでした", "nothing flagged")))
        console.print(tr("報告を書きました: {p}", "report written: {p}", p=path))
    flows = len(catalogue.entries)
    if findings:
        console.print(tr("[yellow]{n} 件の指摘（フロー {f} 本）[/]", "[yellow]{n} findings (flows checked: {f})[/]",
                         n=len(findings), f=flows))
        raise typer.Exit(1)
    console.print(tr("[green]問題は見つかりませんでした（フロー {f} 本）[/]", "[green]nothing flagged (flows checked: {f})[/]",
                     f=flows))

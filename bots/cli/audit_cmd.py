"""``runner.py audit …``: the auditor's commands — which runs happened (``runs``, ``show``), is the
audit ledger intact (``verify``), the period's report (``export``), and compressing old ledger
days (``archive``). Read-only except ``export`` (writes the report) and ``archive``."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bots.audit.archive import archive as archive_folder
from bots.audit.keys import audit_key
from bots.audit.query import (
    FolderCheck,
    Integrity,
    audit_root,
    check_integrity,
    ledger_folders,
    recorded_heads,
)
from bots.audit.report_data import build_report
from bots.audit.report_html import write_html
from bots.audit.report_tables import Grid, fmt, records_grid, run_header, runs_grid
from bots.audit.report_xlsx import write_xlsx
from bots.cli.tables import grid_table
from bots.errors import ExitCode, LedgerError, LedgerLocked, StoreError
from bots.i18n import tr
from bots.project import Project
from bots.store.store import RunStore

app = typer.Typer(no_args_is_help=True)
STATUSES = ("running", "completed", "stopped", "aborted", "failed", "invalid")


class ReportFormat(StrEnum):
    html = "html"
    xlsx = "xlsx"


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _date(value: str | None, option: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(tr("{o} は YYYY-MM-DD で指定します: {v}", "{o} takes YYYY-MM-DD: {v}",
                                    o=option, v=value)) from None


def _open_store(logs: Path) -> RunStore:
    try:
        return RunStore.open(None, logs)
    except StoreError as exc:
        Console(stderr=True, highlight=False).print(Text(str(exc), style="red"))
        raise typer.Exit(ExitCode.ABORTED) from None


@app.command("runs", help=tr("期間・フロー・利用者・状態で実行を一覧します", "list runs by period, flow, user and status"))
def runs(
    date_from: str = typer.Option(None, "--from", help=tr("開始日 YYYY-MM-DD（この日を含む）", "from YYYY-MM-DD (inclusive)")),
    date_to: str = typer.Option(None, "--to", help=tr("終了日 YYYY-MM-DD（この日を含む）", "to YYYY-MM-DD (inclusive)")),
    flow: str = typer.Option(None, "--flow", help=tr("フロー ID", "flow id")),
    user: str = typer.Option(None, "--user", help=tr("利用者（OS のユーザー名）", "user (OS login name)")),
    status: str = typer.Option(None, "--status", help="running / completed / stopped / aborted / invalid"),
) -> None:
    if status is not None and status not in STATUSES:
        raise typer.BadParameter(tr("--status は {s} のいずれかです", "--status is one of {s}", s=", ".join(STATUSES)))
    first, last = _date(date_from, "--from"), _date(date_to, "--to")
    with _open_store(Project.discover().logs) as store:
        found = store.list_runs(first, last, flow_id=flow, user=user, status=status)
    console = _console()
    if not found:
        console.print(tr("該当する実行はありません", "no matching runs"))
        return
    console.print(grid_table(runs_grid(found), tr("実行一覧（{n} 件）", "runs ({n})", n=len(found)), tone_column=8))


@app.command("show", help=tr("1 回の実行の詳細とレコードごとの結果を表示します（不明な実行 ID は終了コード 2）",
                             "show one run and its per-record outcomes (exit 2 for an unknown run id)"))
def show(run_id: str = typer.Argument(..., help=tr("実行ID", "run id"))) -> None:
    with _open_store(Project.discover().logs) as store:
        run = store.get_run(run_id)
        steps = store.step_summary(run_id) if run is not None else []
    console = _console()
    if run is None:
        Console(stderr=True, highlight=False).print(Text(tr(
            "実行 ID {r} は実行記録にありません（audit runs で一覧できます）",
            "no run with id {r} in the run store (audit runs lists them)", r=run_id), style="red"))
        raise typer.Exit(ExitCode.INVALID)
    header = Table.grid(padding=(0, 2))
    for label, value in run_header(run):
        header.add_row(Text(label, style="bold"), Text(fmt(value)))
    console.print(header)
    console.print(grid_table(records_grid(run.records), tr("レコードごとの結果", "records"), tone_column=2))
    if steps:
        timings = Grid((tr("操作", "action"), tr("回数", "count"), tr("合計 ms", "total ms"), tr("最大 ms", "max ms"),
                        tr("失敗", "failures")))
        for step in steps:
            timings.add((step.action, step.count, step.total_ms, step.max_ms, step.failures))
        console.print(grid_table(timings, tr("操作ごとの処理時間", "time per action")))


def _integrity(target: Path, root: Path, logs: Path) -> Integrity:
    with _open_store(logs) as store:
        heads = recorded_heads(store)
    return check_integrity(target, key=audit_key(), heads=heads, whole=target.resolve() == root.resolve())


def _folder_ok(check: FolderCheck) -> str:
    report = check.report
    entries, seq = (report.entries, report.head.seq if report.head else 0) if report else (0, 0)
    text = tr("異常なし（エントリ {e}・最終 seq {s}", "intact ({e} entries, last seq {s}", e=entries, s=seq)
    if check.recorded is not None:
        text += tr("・実行記録の最終 seq {r} と一致", ", matches seq {r} in the run store", r=check.recorded.seq)
    if report is not None and report.macs_unchecked:
        text += tr("・署名は未検査", ", MACs not checked")
    return text + tr("）", ")")


def report_integrity(console: Console, integrity: Integrity) -> ExitCode:
    """Print a verify result; the exit code of ``audit verify``."""
    counts = tr("台帳フォルダ {f}・ファイル {n}・エントリ {e}", "{f} ledger folders, {n} files, {e} entries",
                f=len(integrity.folders), n=integrity.files, e=integrity.entries)
    keyed = tr("署名（MAC）も検査しました", "MACs checked") if integrity.keyed else tr(
        "署名鍵（KZ_AUDIT_KEY）が未設定のため、ハッシュの連鎖だけを検査しました",
        "no signing key (KZ_AUDIT_KEY): checked the hash chain only")
    if not integrity.found:
        console.print(Text(integrity.summary, style="yellow"))
        return ExitCode.INVALID
    console.print(Text(integrity.summary, style="bold green" if integrity.ok else "bold red"))
    console.print(counts + tr("（{k}）", " ({k})", k=keyed))
    for check in integrity.folders:
        problem = check.problem
        if problem is None:
            console.print(f"  {check.folder_id}: " + _folder_ok(check))
        else:
            for label, value in ((tr("台帳フォルダ", "ledger folder"), check.folder_id),
                                 (tr("ファイル", "file"), problem.file), (tr("行", "line"), problem.line),
                                 ("seq", problem.seq if problem.seq is not None else "-"),
                                 (tr("内容", "problem"), problem.message)):
                console.print(Text(f"  {label}: {value}", style="red"))
            console.print(f"  {problem}")
        for note in check.notes:
            console.print(Text(f"    {note}", style="dim"))
    return ExitCode.OK if integrity.ok else ExitCode.RECORDS_FAILED


@app.command("verify", help=tr(
    "監査台帳の改ざんを検査します（既定では <logs>/audit/ の全台帳フォルダ）。署名鍵 KZ_AUDIT_KEY があれば署名も、"
    "実行記録に記録された最終エントリと比べて末尾の切り詰めも検査します。\n\n"
    "終了コード: 0 改ざんなし / 1 改ざん・破損・切り詰めを検出 / 2 検査する台帳がない / 3 実行記録を読めない",
    "Verify the audit ledgers (by default every ledger folder under <logs>/audit/): the hash chain, the MACs "
    "when KZ_AUDIT_KEY is set, and truncation against the last entry recorded in the run store.\n\n"
    "Exit codes: 0 intact / 1 tampering, damage or truncation detected / 2 no ledger to verify / "
    "3 cannot read the run store"))
def verify(path: Path = typer.Argument(None, help=tr("台帳フォルダまたはファイル", "ledger folder or file"))) -> None:
    logs = Project.discover().logs
    root = audit_root(logs)
    target = path if path is not None else root
    console = _console()
    if not target.exists():
        console.print(Text(tr("{p} がありません", "{p} does not exist", p=target), style="red"))
        raise typer.Exit(ExitCode.INVALID)
    raise typer.Exit(report_integrity(console, _integrity(target, root, logs)))


@app.command("export", help=tr(
    "期間の監査報告書（HTML または Excel）を作成します。既定の保存先は <logs>/reports/。\n\n"
    "終了コード: 0 作成（台帳に異常なし）/ 1 作成したが台帳に異常あり / 2 引数の誤り / 3 実行記録を読めない",
    "Write the period's audit report (HTML or Excel), by default under <logs>/reports/.\n\n"
    "Exit codes: 0 written, ledger intact / 1 written, the ledger check found a problem / 2 bad arguments / "
    "3 cannot read the run store"))
def export(
    date_from: str = typer.Option(..., "--from", help=tr("開始日 YYYY-MM-DD", "from YYYY-MM-DD")),
    date_to: str = typer.Option(..., "--to", help=tr("終了日 YYYY-MM-DD（この日を含む）", "to YYYY-MM-DD (inclusive)")),
    format: ReportFormat = typer.Option(ReportFormat.html, "--format", help="html / xlsx"),
    output: Path = typer.Option(None, "--output", "-o", help=tr("保存先のファイル", "output file")),
) -> None:
    first, last = _date(date_from, "--from"), _date(date_to, "--to")
    assert first is not None and last is not None
    if last < first:
        raise typer.BadParameter(tr("--to が --from より前です", "--to is before --from"))
    logs = Project.discover().logs
    with _open_store(logs) as store:
        data = build_report(store, logs, first, last, key=audit_key())
    name = tr("監査報告", "audit-report") + f"_{first}_{last}_{data.generated_at:%Y%m%d-%H%M%S}.{format.value}"
    path = output if output is not None else logs / "reports" / name
    (write_html if format is ReportFormat.html else write_xlsx)(data, path)
    console = _console()
    console.print(tr("監査報告書: {p}", "audit report: {p}", p=path))
    console.print(Text(tr("監査台帳: {s}", "audit ledger: {s}", s=data.integrity.summary),
                       style="green" if data.integrity.ok else "red"))
    broken = data.integrity.found and not data.integrity.ok
    raise typer.Exit(ExitCode.RECORDS_FAILED if broken else ExitCode.OK)


@app.command("archive", help=tr(
    "古い日の監査台帳ファイルを .jsonl.gz に圧縮し、その後に全台帳を検査します。\n\n"
    "終了コード: 0 圧縮して検査も正常 / 1 検査で異常を検出 / 3 書き込み中などで圧縮できない台帳フォルダがある",
    "Compress old daily ledger files to .jsonl.gz, then verify every ledger.\n\n"
    "Exit codes: 0 archived and verified / 1 verify found a problem / 3 a ledger folder could not be archived "
    "(e.g. a writer holds it)"))
def archive(older_than: int = typer.Option(..., "--older-than", min=0,
                                            help=tr("この日数より古い日のファイルを圧縮", "archive days older than this"))) -> None:
    logs = Project.discover().logs
    root = audit_root(logs)
    console = _console()
    skipped = 0
    folders = ledger_folders(root)
    if not folders:
        console.print(tr("圧縮する監査台帳がありません: {p}", "no audit ledger to archive: {p}", p=root))
        return
    for folder in folders:
        try:
            done = archive_folder(folder, older_than, today=dt.date.today())
        except LedgerLocked as exc:
            skipped += 1
            console.print(Text(tr("{f}: 書き込み中のため圧縮しませんでした。{e}。ロボットの終了後に再実行してください",
                                  "{f}: not archived, a writer holds it. {e}. Run again once it has finished",
                                  f=folder.name, e=exc), style="yellow"))
            continue
        except LedgerError as exc:
            skipped += 1
            console.print(Text(f"{folder.name}: {exc}", style="red"))
            continue
        console.print(tr("{f}: {n} ファイルを圧縮しました", "{f}: {n} files archived", f=folder.name, n=len(done)))
        for path in done:
            console.print(f"  {path.name}")
    code = report_integrity(console, _integrity(root, root, logs))
    raise typer.Exit(code if code is not ExitCode.OK or not skipped else ExitCode.ABORTED)


__all__ = ["app", "report_integrity"]

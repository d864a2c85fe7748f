"""``runner.py review export RUN_ID``: a run's 要確認 rows as a workbook staff correct;
``runner.py review import FILE``: a corrected review workbook (exported, or the OCR one) → the input
list of a follow-up run of just those rows."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from bots.errors import ExitCode, FlowError, KazagurumaError
from bots.i18n import tr

app = typer.Typer(no_args_is_help=True)

#: The follow-up flow of an OCR review workbook when ``--flow`` is not given (the sample's).
OCR_FOLLOW_UP = Path("flows/shinsei_nyuryoku.yaml")


@app.command("export", help=tr("実行の「要確認」の行を、確認・修正用の Excel（レビューファイル）に書き出します",
                               "write a run's rows needing review to a workbook for staff to check and correct"))
def export(
    run_id: str = typer.Argument(..., help=tr("実行ID", "run id")),
    out: Path = typer.Option(None, "--out", "-o", help=tr("出力先（既定: 入力ファイルと同じフォルダの *_要確認_実行ID.xlsx）",
                                                          "output (default: *_要確認_RUNID.xlsx beside the input)")),
    include_failed: bool = typer.Option(False, "--include-failed",
                                        help=tr("「失敗」の行も書き出す", "also the rows that failed")),
) -> None:
    """``review export``: the 要確認 rows of any flow's run, with the input's own values and the reason."""
    # lazy: the run store, the flow loader and openpyxl are not needed for ``--help``.
    from bots.cli.review_export import export_review
    from bots.project import Project

    console = Console(stderr=True, soft_wrap=True)
    try:
        done = export_review(Project.discover(), run_id, out, include_failed=include_failed)
    except FlowError as exc:
        _diagnostics(console, exc)
        raise typer.Exit(ExitCode.INVALID) from None
    except KazagurumaError as exc:
        console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(ExitCode.INVALID) from None
    if done.path is None:
        console.print(tr("実行 {r} に要確認の行はありません", "run {r} has no rows needing review", r=escape(run_id))
                      if not include_failed else
                      tr("実行 {r} に要確認・失敗の行はありません", "run {r} has no rows needing review or failed",
                         r=escape(run_id)))
        raise typer.Exit(ExitCode.OK)
    console.print(tr("{n} 件を書き出しました: {p}", "wrote {n} rows: {p}", n=done.count, p=escape(str(done.path))))
    console.print(tr("値を確認・修正し「確認済み」欄に記入してから: python runner.py review import \"{p}\"",
                     "check and correct the values, mark 確認済み, then: python runner.py review import \"{p}\"",
                     p=escape(str(done.path))))


@app.command("import", help=tr("確認・修正したレビューファイルを、再入力用の Excel 一覧に変換します",
                               "turn a corrected review workbook into an Excel list for a follow-up run"))
def import_(
    file: Path = typer.Argument(..., help=tr("レビューファイル（review export のもの、または OCR の要確認_*.xlsx）",
                                             "review workbook (from review export, or an OCR 要確認_*.xlsx)")),
    out: Path = typer.Option(None, "--out", "-o", help=tr("出力先（既定: 同じフォルダの *_修正済み.xlsx）",
                                                          "output (default: *_修正済み.xlsx beside it)")),
    only_confirmed: bool = typer.Option(False, "--only-confirmed",
                                        help=tr("「確認済み」欄に記入した行だけ", "only rows marked 確認済み")),
    flow: Path = typer.Option(None, "--flow",
                              help=tr("再入力に使うフロー（既定: 書き出した実行のフロー。OCR のレビューファイルは "
                                      "flows/shinsei_nyuryoku.yaml）", "the follow-up flow (default: the exported "
                                      "run's; for an OCR review workbook flows/shinsei_nyuryoku.yaml)")),
) -> None:
    """``review import``: corrected reviews become an Excel list, keyed by an ordinary run."""
    # lazy: the OCR review module pulls in OpenCV and openpyxl; ``--help`` should not.
    from bots.api import validate
    from bots.cli.review_export import FLOW_KEY, exported_from, fit_to_flow
    from bots.flow.model import ExcelRecords
    from bots.listeners.console import print_diagnostics
    from bots.ocr.review import import_review
    from bots.project import Project

    console = Console(stderr=True, soft_wrap=True)
    project = Project.discover()
    try:
        exported = exported_from(file)
        if flow is None:
            flow = project.root / exported[FLOW_KEY] if exported and exported.get(FLOW_KEY) else OCR_FOLLOW_UP
        loaded, found = validate(flow, project)
        if loaded is None:
            print_diagnostics(console, list(found))
            raise FlowError(tr("フロー定義にエラーがあります: {p}", "the flow has errors: {p}", p=flow))
        records = loaded.flow.records
        # An exported workbook has the input's own columns; an OCR one, the form's: the flow's order then.
        columns = None if exported or not records else [spec.header or name for name, spec in records.columns.items()]
        path, count = import_review(file, out, only_confirmed=only_confirmed, columns_out=columns)
        if isinstance(records, ExcelRecords):
            fit_to_flow(path, records)
    except KazagurumaError as exc:
        console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(ExitCode.INVALID) from None
    shown = project.relative(flow)
    console.print(tr("{n} 件を書き出しました: {p}", "wrote {n} records: {p}", n=count, p=escape(str(path))))
    console.print(tr("入力するには: python runner.py run {f} --input \"{p}\"",
                     "to key them: python runner.py run {f} --input \"{p}\"", f=escape(str(shown)), p=escape(str(path))))


def _diagnostics(console: Console, exc: FlowError) -> None:
    from bots.listeners.console import print_diagnostics
    from bots.spec.diagnostics import Diagnostic

    print_diagnostics(console, [d for d in exc.diagnostics if isinstance(d, Diagnostic)])
    console.print(f"[red]{escape(str(exc))}[/]")

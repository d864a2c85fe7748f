"""``runner.py review import FILE``: a corrected review workbook → the input of a follow-up run."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from bots.api import validate
from bots.errors import ExitCode, FlowError, KazagurumaError
from bots.i18n import tr
from bots.listeners.console import print_diagnostics
from bots.project import Project

app = typer.Typer(no_args_is_help=True)


@app.command("import", help=tr("確認・修正したレビューファイルを、再入力用の Excel 一覧に変換します",
                               "turn a corrected review workbook into an Excel list for a follow-up run"))
def import_(
    file: Path = typer.Argument(..., help=tr("レビューファイル（要確認_*.xlsx）", "review workbook")),
    out: Path = typer.Option(None, "--out", "-o", help=tr("出力先（既定: 同じフォルダの *_修正済み.xlsx）",
                                                          "output (default: *_修正済み.xlsx beside it)")),
    only_confirmed: bool = typer.Option(False, "--only-confirmed",
                                        help=tr("「確認済み」欄に記入した行だけ", "only rows marked 確認済み")),
    flow: Path = typer.Option(Path("flows/shinsei_nyuryoku.yaml"), "--flow",
                              help=tr("再入力に使うフロー（その列の並びで書き出します）", "the follow-up flow (its columns)")),
) -> None:
    """``review import``: corrected OCR reviews become an Excel list, keyed by an ordinary run."""
    # lazy: the OCR review module pulls in OpenCV and openpyxl; ``--help`` should not.
    from bots.ocr.review import import_review

    console = Console(stderr=True, soft_wrap=True)
    try:
        loaded, found = validate(flow, Project.discover())
        if loaded is None:
            print_diagnostics(console, list(found))
            raise FlowError(tr("フロー定義にエラーがあります: {p}", "the flow has errors: {p}", p=flow))
        records = loaded.flow.records
        columns = [spec.header or name for name, spec in records.columns.items()] if records else None
        path, count = import_review(file, out, only_confirmed=only_confirmed, columns_out=columns)
    except KazagurumaError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(ExitCode.INVALID) from None
    console.print(tr("{n} 件を書き出しました: {p}", "wrote {n} records: {p}", n=count, p=path))
    console.print(tr("入力するには: python runner.py run {f} --input \"{p}\"",
                     "to key them: python runner.py run {f} --input \"{p}\"", f=flow, p=path))

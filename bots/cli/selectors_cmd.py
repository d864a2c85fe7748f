"""``runner.py selectors check SYSTEM --url URL``: which elements resolve on a live screen;
``runner.py selectors validate [FILES…]``: every selector map and form template checked offline."""

from __future__ import annotations

from pathlib import Path

import typer
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bots.adapters.locators import build_locator
from bots.errors import ExitCode
from bots.i18n import tr
from bots.listeners.console import print_diagnostics
from bots.platform.browser import launch_options
from bots.project import Project
from bots.selectors.form_template import load_form_template
from bots.selectors.loader import load_selector_map, selectors_path
from bots.spec.validation import suggest

app = typer.Typer(no_args_is_help=True)


@app.command("validate", help=tr("セレクタ定義と帳票定義を検査（構文・候補・画像）。エラーは file:line:col で",
                                   "check selector maps and form templates (syntax, candidates, images)"))
def validate(
    paths: list[Path] = typer.Argument(None, help=tr("ファイル（既定: selectors/ の全部）", "files (default: all of selectors/)")),
) -> None:
    """``selectors validate``: the same checks ``validate`` runs for the maps a flow uses, for every map."""
    console = Console(stderr=True, soft_wrap=True)
    project = Project.discover()
    files = list(paths or sorted(project.selectors.rglob("*.yaml")))
    errors = warnings = 0
    for path in files:
        is_form = path.resolve().parent.name == "forms"
        _, found = load_form_template(path) if is_form else load_selector_map(path)
        print_diagnostics(console, list(found))
        errors += len(found.errors)
        warnings += len(found.warnings)
    console.print(tr("{n} ファイルを検査: エラー {e} 件、警告 {w} 件", "{n} files checked: {e} errors, {w} warnings",
                     n=len(files), e=errors, w=warnings))
    raise typer.Exit(ExitCode.INVALID if errors else ExitCode.OK)


@app.command("check", help=tr("画面上でどの要素がどの候補で見つかるかを表示", "show which elements resolve, by which candidate"))
def check(
    system: str = typer.Argument(..., help=tr("システム名（selectors/<名前>.yaml）", "system (selectors/<name>.yaml)")),
    url: str = typer.Option(..., "--url", help=tr("開く画面の URL", "URL of the screen")),
    screen: str = typer.Option(None, "--screen", help=tr("この画面の要素だけ", "only this screen's elements")),
    headed: bool = typer.Option(False, "--headed"),
    timeout: float = typer.Option(10.0, "--timeout", help=tr("画面表示の待ち時間（秒）", "page load timeout (s)")),
) -> None:
    """``selectors check``: open a screen, show which candidate finds each element (drift shows early)."""
    console = Console()
    project = Project.discover()
    selector_map, found = load_selector_map(selectors_path(project.selectors, system))
    if selector_map is None:
        print_diagnostics(Console(stderr=True), list(found))
        raise typer.Exit(ExitCode.INVALID)
    if screen and screen not in selector_map.screens:
        Console(stderr=True).print(tr("[red]画面 {s} はセレクタ定義 {m} にありません。[/]", "[red]selector map {m} has no screen {s}.[/]",
                                      s=escape(screen), m=system) + escape(suggest(screen, selector_map.screens)))
        raise typer.Exit(ExitCode.INVALID)
    screens = {screen: selector_map.screens[screen]} if screen else selector_map.screens
    table = Table(title=f"{system} @ {url}")
    for column in (tr("画面", "screen"), tr("要素", "element"), tr("結果", "result"), tr("候補", "candidate")):
        table.add_column(column)
    missing = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options(headless=not headed))
        page = browser.new_page(locale="ja-JP")
        try:
            page.goto(url, timeout=timeout * 1000, wait_until="domcontentloaded")
        except PlaywrightError as exc:
            console.print(tr("[red]画面を開けません: {e}[/]", "[red]cannot open: {e}[/]", e=str(exc).splitlines()[0]))
            raise typer.Exit(ExitCode.ABORTED) from None
        for screen_name, spec in screens.items():
            for element, candidates in spec.elements.items():
                hit = next((i for i, c in enumerate(candidates) if build_locator(page, c).count() > 0), None)
                if hit is None and element in spec.optional:
                    table.add_row(screen_name, element, tr("[dim]表示なし（条件付き）[/]", "[dim]not shown (optional)[/]"), "-")
                elif hit is None:
                    missing += 1
                    table.add_row(screen_name, element, tr("[red]見つからない[/]", "[red]missing[/]"), "-")
                else:
                    mark = tr("[green]OK[/]", "[green]OK[/]") if hit == 0 else tr("[yellow]ずれ[/]", "[yellow]drift[/]")
                    # escape: a role candidate reads "role=button[name='ログイン']", which is not markup
                    table.add_row(screen_name, element, mark, escape(f"{hit + 1}: {candidates[hit].describe()}"))
        browser.close()
    console.print(table)
    raise typer.Exit(ExitCode.OK if missing == 0 else ExitCode.RECORDS_FAILED)

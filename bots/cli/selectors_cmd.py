"""``runner.py selectors check SYSTEM --url URL``: which elements resolve on a live screen (the screens
that page can be, by their ``url``/``title``: :mod:`bots.selectors.page_match`);
``runner.py selectors validate [FILES…]``: every selector map and form template checked offline;
``runner.py selectors propose SYSTEM [--days N] [--apply]``: a fix of the map from recorded drift."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
from pathlib import Path
from typing import NoReturn

import typer
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bots.adapters.locators import build_locator, frame_root
from bots.api import current_user, open_trail
from bots.api.validation import flow_files
from bots.audit.entry import EventType
from bots.audit.query import audit_root, events, ledger_folders
from bots.errors import ExitCode
from bots.flow.loader import LoadedFlow, load_flow
from bots.i18n import listing, tr
from bots.listeners.console import print_diagnostics
from bots.platform.browser import launch_options
from bots.project import Project
from bots.selectors.form_template import FormTemplate, load_form_template
from bots.selectors.loader import load_selector_map, selectors_path
from bots.selectors.model import SelectorMap
from bots.selectors.observation import Observation
from bots.selectors.page_match import screens_for_page
from bots.selectors.propose import Proposal, propose
from bots.spec.project_config import load_project_config
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
        loaded, found = load_form_template(path) if is_form else load_selector_map(path)
        print_diagnostics(console, list(found))
        if isinstance(loaded, FormTemplate):  # how its scans will be registered
            console.print(escape(tr("{p}: 位置合わせ: {m}", "{p}: registered by {m}", p=path,
                                    m=loaded.anchors.describe())))
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
    storage_state: Path = typer.Option(
        None, "--storage-state", exists=True, dir_okay=False,
        help=tr("ログイン済みの状態（Playwright の storage state JSON）で開く: ログインの後ろの画面を確認するとき",
                "open with this logged-in state (a Playwright storage state JSON): to check screens behind a login")),
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
    missing = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options(headless=not headed))
        # A screen behind a login: the saved state's cookies make the page the logged-in one.
        page = browser.new_page(locale="ja-JP", storage_state=str(storage_state) if storage_state else None)
        try:
            page.goto(url, timeout=timeout * 1000, wait_until="domcontentloaded")
        except PlaywrightError as exc:
            console.print(tr("[red]画面を開けません: {e}[/]", "[red]cannot open: {e}[/]", e=escape(str(exc).splitlines()[0])))
            raise typer.Exit(ExitCode.ABORTED) from None
        names = [screen] if screen else screens_for_page(selector_map.screens, page.url, page.title())
        if not names:
            browser.close()
            _no_screen_for(selector_map, system, page.url)
        if not screen:
            console.print(tr("画面の URL・タイトルから確認する画面: {s}（{u}）", "screens this page can be, by URL or title: "
                             "{s} ({u})", s=escape(listing(names)),
                             u=escape(page.url)))
        table = Table(title=escape(f"{system} @ {page.url}"))
        for column in (tr("画面", "screen"), tr("要素", "element"), tr("結果", "result"), tr("候補", "candidate")):
            table.add_column(column)
        for screen_name in names:
            spec = selector_map.screens[screen_name]
            root = frame_root(page, spec.frame)  # a screen shown in an <iframe> is looked for inside it
            for element, candidates in spec.elements.items():
                if any(c.parametrised for c in candidates):  # which one depends on a record's value
                    table.add_row(escape(screen_name), escape(element),
                                  tr("[dim]値で決まる要素（確認しません）[/]", "[dim]depends on a value (not checked)[/]"), "-")
                    continue
                hit = next((i for i, c in enumerate(candidates) if build_locator(root, c).count() > 0), None)
                if hit is None and element in spec.optional:
                    table.add_row(escape(screen_name), escape(element),
                                  tr("[dim]表示なし（条件付き）[/]", "[dim]not shown (optional)[/]"), "-")
                elif hit is None:
                    missing += 1
                    table.add_row(escape(screen_name), escape(element), tr("[red]見つからない[/]", "[red]missing[/]"), "-")
                else:
                    mark = tr("[green]OK[/]", "[green]OK[/]") if hit == 0 else tr("[yellow]ずれ[/]", "[yellow]drift[/]")
                    # escape: a role candidate reads "role=button[name='ログイン']", which is not markup
                    table.add_row(escape(screen_name), escape(element), mark,
                                  escape(f"{hit + 1}: {candidates[hit].describe()}"))
        browser.close()
    console.print(table)
    raise typer.Exit(ExitCode.OK if missing == 0 else ExitCode.RECORDS_FAILED)


def _no_screen_for(selector_map: SelectorMap, system: str, page_url: str) -> NoReturn:
    """No screen of the map can be this page: say which URLs and titles the screens declare, and exit."""
    errors = Console(stderr=True, soft_wrap=True)
    errors.print(tr("[red]この画面（{u}）に当たる画面がセレクタ定義 {m} にありません。画面の url・title を見直すか、"
                    "--screen で確かめる画面を指定してください。[/]",
                    "[red]no screen of selector map {m} matches this page ({u}): check the screens' url and title, "
                    "or name the screen to check with --screen.[/]", u=escape(page_url), m=escape(system)))
    for name, spec in selector_map.screens.items():
        declared = ", ".join(f"{key}: {value}" for key, value in (("url", spec.url), ("title", spec.title)) if value)
        errors.print(escape(f"  {name}: {declared or '-'}"))
    raise typer.Exit(ExitCode.INVALID)


# --- propose ------------------------------------------------------------------------------------

_BOM = "\ufeff"


def _drifts(project: Project, system: str, selector_map: SelectorMap, days: int) -> list[Observation]:
    """The ``selector_drift`` entries of the last ``days`` days (and today) that concern this map."""
    last = dt.date.today()
    folders = ledger_folders(audit_root(project.logs))
    found = []
    for event in events(folders, last - dt.timedelta(days=days), last, frozenset({"selector_drift"})):
        observation = Observation.from_data(event.data, seen_at=event.ts, run_id=event.run_id)
        if observation is not None and observation.concerns(system, selector_map.system):
            found.append(observation)
    return found


def _flows_using(project: Project, path: Path) -> list[str]:
    """The flows (not only called as a sub-flow) whose runs read the map at ``path``."""
    target = path.resolve()
    users: dict[Path, LoadedFlow] = {}
    called: set[Path] = set()

    def uses(loaded: LoadedFlow) -> bool:
        return any(p.resolve() == target for p in loaded.selector_paths.values()) or any(
            uses(sub) for sub in loaded.subflows.values())

    def collect_called(loaded: LoadedFlow) -> None:
        for sub in loaded.subflows.values():
            called.add(sub.path.resolve())
            collect_called(sub)

    for file in flow_files([], project):
        loaded, _ = load_flow(file, project)
        if loaded is not None:
            collect_called(loaded)
            if uses(loaded):
                users[file.resolve()] = loaded
    return [str(project.relative(p)) for p in sorted(users) if p not in called] or [
        str(project.relative(p)) for p in sorted(users)]


def _patch_path(project: Project, system: str) -> Path:
    """``logs/proposals/<system>-<YYYYmmdd-HHMMSS>.patch``; a second one in the same second gets ``-2``."""
    folder = project.logs / "proposals"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{system}-{dt.datetime.now():%Y%m%d-%H%M%S}"
    path, n = folder / f"{stem}.patch", 2
    while path.exists():
        path, n = folder / f"{stem}-{n}.patch", n + 1
    return path


def _patch_text(proposal: Proposal, diff: list[str]) -> str:
    """The diff with the explanations as ``#`` lines before it (``git apply`` and ``patch`` skip them)."""
    notes = [f"# {e.message}\n" for e in proposal.explanations]
    return "".join([*notes, "\n", *diff])


def _write_map(path: Path, text: str, *, crlf: bool, bom: bool) -> None:
    """Replace the map in one step (a reader never sees half a file), keeping its BOM and line ends."""
    data = (_BOM if bom else "") + (text.replace("\n", "\r\n") if crlf else text)
    temporary = path.with_name(f".{path.name}.proposal")
    temporary.write_bytes(data.encode("utf-8"))
    os.replace(temporary, path)


@app.command("propose", help=tr("記録されたセレクタのずれから、セレクタ定義の修正案（差分）を作成（--apply で書き込み）",
                                  "propose a fix of a selector map from recorded selector drift (a diff; --apply writes it)"))
def propose_cmd(
    system: str = typer.Argument(..., help=tr("システム名（selectors/<名前>.yaml）", "system (selectors/<name>.yaml)")),
    days: int | None = typer.Option(None, "--days", min=1, help=tr("何日前までの記録を見るか（既定: kazaguruma.yaml の "
                                                              "governance.drift_window_days）", "how many days of records "
                                                              "(default: governance.drift_window_days)")),
    apply: bool = typer.Option(False, "--apply", help=tr("修正案をセレクタ定義に書き込む（使うフローは再承認が必要）",
                                                         "write the fix into the map (its flows then need approval)")),
) -> None:
    """``selectors propose``: the drift a run recorded (which candidate worked, what the page showed)
    turned into a diff of the map, saved as a patch; a person reviews it, applies it, approves the flows."""
    console = Console(soft_wrap=True)
    errors = Console(stderr=True, soft_wrap=True)
    project = Project.discover()
    path = selectors_path(project.selectors, system)
    selector_map, found = load_selector_map(path)
    if selector_map is None:
        print_diagnostics(errors, list(found))
        raise typer.Exit(ExitCode.INVALID)
    window = days or load_project_config(project)[0].governance.drift_window_days
    observations = _drifts(project, system, selector_map, window)
    if not observations:
        console.print(tr("提案はありません（過去 {d} 日に {s} のセレクタのずれの記録はありません）",
                         "nothing to propose (no selector drift on {s} recorded in the last {d} days)", d=window,
                         s=escape(system)))
        raise typer.Exit(ExitCode.OK)
    raw = path.read_bytes().decode("utf-8")
    bom, crlf = raw.startswith(_BOM), "\r\n" in raw
    text = raw.removeprefix(_BOM).replace("\r\n", "\n")
    try:
        changed_at = dt.datetime.fromtimestamp(path.stat().st_mtime).astimezone()
        proposal = propose(observations, text, kind=selector_map.kind, changed_at=changed_at)
    except ValueError as exc:
        errors.print(escape(str(exc)))
        raise typer.Exit(ExitCode.INVALID) from None
    shown = project.relative(path).as_posix()
    console.print(tr("セレクタ定義 {p} の修正案（過去 {d} 日のずれの記録 {k} 件から）:",
                     "proposed fix of {p} (from {k} selector drift records of the last {d} days):",
                     p=escape(shown), d=window, k=len(observations)))
    for explanation in proposal.explanations:
        console.print(f"  - {escape(explanation.message)}")
    if not proposal.changed:
        console.print(tr("提案はありません", "nothing to propose"))
        raise typer.Exit(ExitCode.OK)
    diff = list(difflib.unified_diff(text.splitlines(keepends=True), proposal.text.splitlines(keepends=True),
                                     fromfile=f"a/{shown}", tofile=f"b/{shown}"))
    for line in diff:
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else None
        console.print(line.rstrip("\n"), style=style, markup=False, highlight=False)
    patch = _patch_path(project, system)
    patch.write_text(_patch_text(proposal, diff), encoding="utf-8")
    console.print(tr("修正案を保存しました: {p}", "proposal saved: {p}", p=escape(str(patch))))
    if not apply:
        console.print(tr("確認して適用するには: runner.py selectors propose {s} --apply", "to apply it after review: "
                         "runner.py selectors propose {s} --apply", s=escape(system)))
        raise typer.Exit(ExitCode.OK)
    if path.read_bytes().decode("utf-8") != raw:
        errors.print(tr("[red]セレクタ定義がこの間に変更されたため書き込みません。もう一度実行してください。[/]",
                        "[red]the selector map changed meanwhile; nothing written. Run the command again.[/]"))
        raise typer.Exit(ExitCode.ABORTED)
    _write_map(path, proposal.text, crlf=crlf, bom=bom)
    with open_trail(project) as trail:  # who changed which approved file, and why: an audit event
        trail.writer.append(EventType.CONFIG_CHANGED, current_user(), None, {
            "file": shown, "reason": "selectors propose --apply", "patch": str(patch),
            "sha256_before": hashlib.sha256(raw.encode("utf-8")).hexdigest(),
            "sha256_after": hashlib.sha256(path.read_bytes()).hexdigest()})
    console.print(tr("セレクタ定義を書き換えました: {p}", "selector map updated: {p}", p=escape(shown)))
    flows = _flows_using(project, path)
    console.print(tr("このセレクタ定義を使うフローは内容が変わったため、承認が必要です: runner.py flows approve FLOW --by 承認者",
                     "the flows that use this map changed, so they need approval: "
                     "runner.py flows approve FLOW --by APPROVER"))
    for flow in flows:
        console.print(f"  - {escape(flow)}")

"""``runner.py forms new NAME --sample SCAN``: a form template drafted from a sample scan;
``runner.py forms check NAME SCAN``: the template's zones drawn on a registered scan, with what a
plain OCR reads in each, for the person to confirm before the template reads applications.

The work is in the library (:mod:`bots.ocr.draft`, :mod:`bots.ocr.draft_yaml`, :mod:`bots.ocr.overlay`);
this module only finds the files, reports and sets the exit status.
"""

from __future__ import annotations

import re
from pathlib import Path

import typer
from PIL import Image
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bots.errors import ExitCode, FormFileError, OcrEngineError
from bots.i18n import tr
from bots.listeners.console import print_diagnostics
from bots.ocr.draft import Draft, draft_template
from bots.ocr.draft_yaml import reference_name, write_draft
from bots.ocr.images import load_pages
from bots.ocr.overlay import ZoneReading, draw_zones, read_zones
from bots.ocr.register import register
from bots.ocr.tesseract import ensure_tesseract
from bots.project import Project
from bots.selectors.form_template import FormTemplate, form_path, load_form_template

app = typer.Typer(no_args_is_help=True)

#: A form's name is a file name and the template's ``form:`` (FormTemplate's pattern).
_FORM_NAME = re.compile(r"^[a-z0-9_-]+$")
#: PDF pages are rendered at this dpi: the page size in mm follows from it.
_PDF_DPI = 300


@app.command("new", help=tr("見本のスキャンから帳票定義の下書きを作成（枠 → 欄、印字された項目名 → 欄の名前と種類）",
                            "draft a form template from a sample scan (boxes → fields, printed labels → names, kinds)"))
def new(
    name: str = typer.Argument(..., help=tr("帳票の名前（英小文字・数字・_・-）", "form name (a-z, 0-9, _ and -)")),
    sample: Path = typer.Option(..., "--sample", help=tr("見本のスキャン（PDF・PNG・JPEG。白紙でも記入済みでもよい）",
                                                         "sample scan (PDF, PNG, JPEG; blank or filled)")),
    out: Path = typer.Option(None, "--out", help=tr("書き出す帳票定義（既定: selectors/forms/<名前>.yaml）",
                                                    "template to write (default: selectors/forms/<name>.yaml)")),
    force: bool = typer.Option(False, "--force", help=tr("既存の帳票定義を上書きする", "overwrite an existing template")),
) -> None:
    """``forms new``: the draft template (and the blank reference image) from one sample page."""
    errors = Console(stderr=True, soft_wrap=True)
    if not _FORM_NAME.match(name):
        errors.print(tr("[red]帳票の名前に使えるのは英小文字・数字・_・- だけです: {n}[/]",
                        "[red]a form name may hold only a-z, 0-9, _ and -: {n}[/]", n=escape(name)))
        raise typer.Exit(ExitCode.INVALID)
    path = out or form_path(Project.discover().selectors, name)
    existing = [p for p in (path, path.parent / reference_name(name)) if p.exists()]
    if existing and not force:
        errors.print(tr("[red]{p} はすでにあります。上書きするには --force を付けてください。[/]",
                        "[red]{p} already exists; add --force to overwrite it.[/]", p=escape(str(existing[0]))))
        raise typer.Exit(ExitCode.INVALID)
    page, dpi = _first_page(errors, sample)
    _need_tesseract(errors)
    draft = draft_template(name, page, dpi)
    if not draft.fields:
        errors.print(tr("[red]見本に記入欄の枠が見つかりません（罫線で囲まれた欄のある帳票か、向きを確かめてください）[/]",
                        "[red]no boxes found on the sample (is it a form with ruled boxes, scanned upright?)[/]"))
        raise typer.Exit(ExitCode.INVALID)
    written = write_draft(draft, path, sample)
    _report_draft(Console(soft_wrap=True), draft, written)
    _, found = load_form_template(path)
    print_diagnostics(errors, list(found))
    if found.errors:
        errors.print(tr("[red]下書きは帳票定義として読み込めません（上のエラーを直してください）[/]",
                        "[red]the draft does not load as a template yet (fix the errors above)[/]"))
        raise typer.Exit(ExitCode.INVALID)


@app.command("check", help=tr("帳票定義の欄をスキャンに重ねた画像を作り、各欄の読み取り結果を表示（位置の確認用）",
                              "draw a template's zones on a registered scan and show what OCR reads in each"))
def check(
    name: str = typer.Argument(..., help=tr("帳票の名前（selectors/forms/<名前>.yaml）", "form (selectors/forms/<name>.yaml)")),
    scan: Path = typer.Argument(..., help=tr("記入済みのスキャン", "a filled scan")),
    out: Path = typer.Option(None, "--out", help=tr("書き出す画像（既定: logs/forms/<名前>_<スキャン名>_check.png）",
                                                    "image to write (default: logs/forms/<name>_<scan>_check.png)")),
) -> None:
    """``forms check``: register the scan as a run would, draw the zones, read each zone once."""
    errors = Console(stderr=True, soft_wrap=True)
    project = Project.discover()
    template, found = load_form_template(form_path(project.selectors, name))
    print_diagnostics(errors, list(found))
    if template is None:
        raise typer.Exit(ExitCode.INVALID)
    page, _ = _first_page(errors, scan)
    try:
        canvas = register(page, template)
    except FormFileError as exc:  # NotAFormError: the reason registration gives, as a run reports it
        errors.print(tr("[red]位置合わせができません: {e}[/]", "[red]cannot register the scan: {e}[/]", e=escape(str(exc))))
        raise typer.Exit(ExitCode.RECORDS_FAILED) from None
    image = out or project.logs / "forms" / f"{name}_{scan.stem}_check.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    draw_zones(canvas, template).save(image)
    _need_tesseract(errors, template)
    _report_readings(Console(soft_wrap=True), template, read_zones(canvas, template), image)


def _first_page(errors: Console, path: Path) -> tuple[Image.Image, float | None]:
    """The file's first page and its dpi when known (a PDF's render dpi, an image's own)."""
    try:
        pages = load_pages(path, dpi=_PDF_DPI)
    except FormFileError as exc:
        errors.print(f"[red]{escape(str(path))}: {escape(str(exc))}[/]")
        raise typer.Exit(ExitCode.INVALID) from None
    if len(pages) > 1:
        errors.print(tr("[yellow]{p} は {n} ページあります: 1 ページ目を使います[/]",
                        "[yellow]{p} has {n} pages: the first is used[/]", p=escape(str(path)), n=len(pages)))
    with path.open("rb") as file:
        is_pdf = file.read(1024).lstrip()[:5] == b"%PDF-"  # as load_pages tells a PDF from an image
    if is_pdf:
        return pages[0], float(_PDF_DPI)
    dpi = pages[0].info.get("dpi")
    return pages[0], (float(dpi[0]) if dpi and dpi[0] and float(dpi[0]) > 1 else None)


def _need_tesseract(errors: Console, template: FormTemplate | None = None) -> None:
    langs = {spec.lang for spec in template.fields.values()} if template else {"jpn"}
    try:
        ensure_tesseract(langs)
    except OcrEngineError as exc:
        errors.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(ExitCode.ABORTED) from None


def _report_draft(console: Console, draft: Draft, written: list[Path]) -> None:
    table = Table(title=escape(f"{draft.name}: {draft.title}"))
    for column in (tr("欄", "field"), tr("種類", "kind"), tr("位置 (mm)", "zone (mm)"), tr("読めた項目名", "label read")):
        table.add_column(column)
    for spec in draft.fields:
        x, y, w, h = spec.zone
        label = spec.label or tr("[yellow]（読めず: 名前を付けてください）[/]", "[yellow](unread: name it)[/]")
        table.add_row(escape(spec.name), spec.kind, f"x {x:g}, y {y:g}, w {w:g}, h {h:g}",
                      label if not spec.label else escape(label))
    console.print(table)
    method = (tr("四隅のマーク", "corner marks") if draft.anchors.get("kind") == "corner_marks"
              else tr("白紙の帳票の画像との照合", "matching the blank form's image"))
    console.print(tr("用紙: {p}（{w:g}×{h:g} mm）、位置合わせ: {m}", "paper: {p} ({w:g}×{h:g} mm), registration: {m}",
                     p=draft.paper.name, w=draft.paper.width_mm, h=draft.paper.height_mm, m=method))
    for path in written:
        console.print(tr("書き出しました: {p}", "written: {p}", p=escape(str(path))))
    console.print(tr("下書きです。YAML の「#」の注記を確かめ、記入済みのスキャンで位置を確認してください: "
                     "python runner.py forms check {n} <スキャン>",
                     "this is a draft: check the notes (#) in the YAML, then confirm the zones on a filled scan: "
                     "python runner.py forms check {n} <scan>", n=draft.name))


def _report_readings(console: Console, template: FormTemplate, readings: list[ZoneReading], image: Path) -> None:
    table = Table(title=escape(tr("{f} の欄と読み取り（OCR 1 回、確認用）", "{f}: zones and a plain reading",
                                  f=template.form)))
    for column in (tr("欄", "field"), tr("種類", "kind"), tr("読み取り", "read")):
        table.add_column(column)
    for reading in readings:
        text = reading.text if reading.ink is None else f"{reading.text} ({reading.ink:.0%})"
        if template.fields[reading.name].sensitive and reading.text:
            text = "*" * len(reading.text)  # 個人番号: not on screen, as in logs
        table.add_row(escape(reading.name), reading.kind, escape(text) or tr("[yellow]（空）[/]", "[yellow](empty)[/]"))
    console.print(table)
    console.print(tr("欄を重ねた画像: {p}（枠が記入欄の内側にあり、項目名や罫線に掛かっていないかを確かめてください）",
                     "zones drawn on the scan: {p} (check each sits inside its box, clear of labels and rules)",
                     p=escape(str(image))))

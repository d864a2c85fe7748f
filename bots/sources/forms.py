"""Scanned forms as a record source: each form becomes a :class:`SourceRecord` exactly like an
Excel row (same columns, same coercion), so the keying steps are the same.

A form with a doubtful field becomes a record marked for review (要確認, never keyed), and so does
a page that could not be read as this form at all (an unreadable file, a blank page, the wrong
paper, another document: :class:`~bots.ocr.results.PageDoubt`), with the reason; only the engine's
own faults make a failed record (失敗). The batch goes on. When the last form has been read, the
review workbook is written beside the scans: every scan of the batch is keyed or listed there.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bots.errors import InputFileError
from bots.flow import expressions
from bots.flow.model import FormRecords
from bots.i18n import tr
from bots.ocr.results import FormResult
from bots.records.coerce import coerce_value
from bots.records.model import ColumnSpec, SourceRecord
from bots.selectors.form_template import FormTemplate, form_path, load_form_template
from bots.sources.base import Notice, OpenedSource

SCAN_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf", ".bmp"})


def scan_files(pattern: str) -> list[Path]:
    """A folder (its scans, sorted), a glob, or one file. Refuses an empty selection."""
    path = Path(pattern)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SCAN_SUFFIXES)
    elif any(ch in pattern for ch in "*?["):
        files = sorted(Path(p) for p in glob.glob(pattern) if Path(p).is_file())
    elif path.is_file():
        files = [path]
    else:
        raise InputFileError(tr("スキャンしたファイルのフォルダが見つかりません: {p}", "scan folder not found: {p}", p=path))
    if not files:
        raise InputFileError(tr("読み取る帳票ファイルがありません（{p}）", "no form files to read ({p})", p=pattern))
    return files


def load_template(selectors_root: Path, form: str) -> FormTemplate:
    """The form template the records are read against; a broken one refuses the input up front."""
    path = form_path(selectors_root, form)
    template, found = load_form_template(path)
    if template is None:
        first = found.errors[0].render() if found.errors else str(path)
        raise InputFileError(tr("帳票定義を読めません: {e}", "cannot load the form template: {e}", e=first))
    return template


def _as_cell(value: Any) -> Any:
    """A checkbox reads as the word the Excel list uses."""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    return value


def form_record(index: int, form: FormResult, columns: dict[str, ColumnSpec]) -> SourceRecord:
    """One form → one record, typed like an Excel row."""
    if form.error is not None:
        return SourceRecord(index=index, location=form.location, raw={}, values={}, error=form.error)
    if form.page_doubt is not None:
        return SourceRecord(index=index, location=form.location, raw={}, values={}, review=True,
                            error=tr("帳票として読み取れません（入力していません）: {p}", "not read as a form, not keyed: {p}",
                                     p=form.page_doubt.reason))
    raw = {name: _as_cell(form.fields[name].value) if name in form.fields else None for name in columns}
    values: dict[str, Any] = {}
    notes = [f"{name}: {reading.note}" for name, reading in form.fields.items() if reading.note]
    problems: list[str] = []
    for name, reading in form.doubts().items():
        problems.append(f"{name}: {'；'.join(reading.problems)}")
    doubtful = set(form.doubts())
    for name, spec in columns.items():
        if raw.get(name) in (None, ""):
            values[name] = None
            continue
        try:
            values[name], fixes = coerce_value(raw[name], spec)
        except ValueError as exc:  # a doubtful field may not even have the column's shape
            values[name] = None
            if name not in doubtful:
                problems.append(f"{name}: {exc}")
            continue
        notes.extend(fixes)
    record = SourceRecord(index=index, location=form.location, raw=raw, values=values, notes=notes)
    if problems:
        record.error = tr("読み取りに確認が必要です（入力していません）: {p}", "needs review, not keyed: {p}",
                          p=" / ".join(problems))
        record.review = True
    return record


class FormSource:
    """Iterates the forms' records; writes the review workbook when the last one is read."""

    def __init__(self, files: list[Path], template: FormTemplate, columns: dict[str, ColumnSpec],
                 review_dir: Path) -> None:
        self.files, self.template, self.columns, self.review_dir = files, template, columns, review_dir
        self.review_path: Path | None = None
        self.review_rows = 0

    def __iter__(self) -> Iterator[SourceRecord]:
        # lazy: the OCR stack (OpenCV, numpy, fonts) loads only when a flow reads forms.
        from bots.ocr.pipeline import read_forms
        from bots.ocr.review import write_review  # lazy: with the OCR stack above

        forms: list[FormResult] = []
        for index, form in enumerate(read_forms(self.files, self.template, crops_dir=self.review_dir / "画像"),
                                     start=1):
            forms.append(form)
            yield form_record(index, form, self.columns)
        if any(f.status == "review" for f in forms):
            path = self.review_dir / f"要確認_{self.template.form}.xlsx"
            self.review_rows = write_review(path, list(self.columns), forms)
            self.review_path = path


def open_forms(spec: FormRecords, namespace: dict[str, Any], selectors_root: Path) -> OpenedSource:
    """Find the scans (a folder, a glob or a file) and the template; refuse before reading any."""
    pattern = str(expressions.render(spec.files, namespace) or "").strip()
    if not pattern:
        raise InputFileError(tr("読み取る帳票の場所が指定されていません", "no form files given"))
    files = scan_files(pattern)
    template = load_template(selectors_root, spec.form)
    unknown = [c for c in spec.columns if c not in template.fields]
    if unknown:
        raise InputFileError(tr("帳票定義 {f} にない欄です: {c}", "not fields of form {f}: {c}", f=spec.form,
                                c=", ".join(unknown)))
    folder = Path(pattern) if Path(pattern).is_dir() else files[0].parent
    review_dir = Path(str(expressions.render(spec.review_dir, namespace))) if spec.review_dir else (
        folder / "要確認" / str(namespace["run"]["id"]))
    source = FormSource(files, template, dict(spec.columns), review_dir)

    def finished() -> list[Notice]:
        if source.review_path is None:
            return []
        return [("review_workbook", tr("要確認の帳票 {n} 件: {p}", "{n} forms need review: {p}", n=source.review_rows,
                                       p=source.review_path), {"path": str(source.review_path), "forms": source.review_rows})]

    # A file may hold several forms (a PDF of a batch): the file count is only an estimate.
    return OpenedSource(folder, list(spec.columns), None, iter(source), files=tuple(files), on_finished=finished,
                        estimate=len(files))

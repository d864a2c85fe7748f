"""Open a flow's record source before anything is keyed (a refusal costs no keystroke)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bots.adapters.excel_reader import read_records
from bots.errors import InputFileError
from bots.flow import expressions
from bots.flow.model import ExcelRecords, Flow, FormRecords
from bots.i18n import tr
from bots.records.model import SourceRecord


@dataclass
class OpenedSource:
    file: Path | None
    headers: list[str]
    total: int | None
    records: Iterator[SourceRecord]
    #: Every input file when there are several (a folder of scans): what identifies the input.
    files: tuple[Path, ...] = ()
    #: Called once the records are exhausted: notices for the listeners (e.g. the review workbook).
    finished: Callable[[], list[tuple[str, str, dict[str, Any]]]] | None = None


def _forms(spec: FormRecords, namespace: dict[str, Any], selectors_root: Path) -> OpenedSource:
    from bots.records.forms_source import FormSource, load_template, scan_files

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

    def finished() -> list[tuple[str, str, dict[str, Any]]]:
        if source.review_path is None:
            return []
        return [("review_workbook", tr("要確認の帳票 {n} 件: {p}", "{n} forms need review: {p}", n=source.review_rows,
                                       p=source.review_path), {"path": str(source.review_path), "forms": source.review_rows})]

    return OpenedSource(folder, list(spec.columns), len(files), iter(source), files=tuple(files), finished=finished)


def open_source(flow: Flow, namespace: dict[str, Any], selectors_root: Path | None = None) -> OpenedSource | None:
    """The flow's records, opened and checked; ``None`` for a flow without records."""
    spec = flow.records
    if spec is None:
        return None
    if isinstance(spec, FormRecords):
        return _forms(spec, namespace, selectors_root or Path("selectors"))
    if isinstance(spec, ExcelRecords):
        rendered = expressions.render(spec.file, namespace)
        if rendered is None or str(rendered).strip() == "":
            raise InputFileError(tr("入力ファイルが指定されていません", "no input file given"))
        path = Path(str(rendered))
        reader = read_records(path, sheet=spec.sheet, header_row=spec.header_row, columns=spec.columns)
        return OpenedSource(path, list(reader.headers), reader.total, iter(reader))
    raise InputFileError(tr("未対応の入力元です", "unsupported record source"))


def record_key(flow: Flow, record: SourceRecord) -> str:
    """The record's key as people read it (``山田太郎・1975-04-01``), else its location."""
    spec = flow.records
    if spec is None or not spec.key:
        return record.location
    parts = [record.values.get(k) for k in spec.key]
    if any(p is None or p == "" for p in parts):
        return record.location
    return "・".join(part.isoformat() if hasattr(part, "isoformat") else str(part) for part in parts if part is not None)

"""Open a flow's record source before anything is keyed (a refusal costs no keystroke)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bots.adapters.excel_reader import read_records
from bots.errors import InputFileError
from bots.flow import expressions
from bots.flow.model import ExcelRecords, Flow
from bots.i18n import tr
from bots.records.model import SourceRecord


@dataclass
class OpenedSource:
    file: Path | None
    headers: list[str]
    total: int | None
    records: Iterator[SourceRecord]


def open_source(flow: Flow, namespace: dict[str, Any]) -> OpenedSource | None:
    """The flow's records, opened and checked; ``None`` for a flow without records."""
    spec = flow.records
    if spec is None:
        return None
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

"""Record sources: where a flow's records come from, one module each behind one small interface.

::

    base.py    OpenedSource: what the engine gets (file, headers, total, records, finished())
    excel.py   rows of an Excel sheet (``records: {from: excel}``)
    forms.py   scanned application forms read by OCR (``records: {from: forms}``)

The engine calls :func:`open_source`; which module opens a spec is looked up by the spec's
``from:`` tag in :data:`OPENERS`, so a new source (CSV, a web table) is one module and one entry.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bots.errors import InputFileError
from bots.flow.model import RecordsSpec
from bots.i18n import tr
from bots.sources.base import OpenedSource
from bots.sources.excel import open_excel
from bots.sources.forms import open_forms

Opener = Callable[[Any, dict[str, Any], Path], OpenedSource]

#: ``records.from`` → the function that opens such a source.
OPENERS: dict[str, Opener] = {"excel": open_excel, "forms": open_forms}


def open_source(spec: RecordsSpec | None, namespace: dict[str, Any], selectors_root: Path) -> OpenedSource | None:
    """The flow's records, opened and checked; ``None`` for a flow without records."""
    if spec is None:
        return None
    opener = OPENERS.get(spec.source)
    if opener is None:
        raise InputFileError(tr("未対応の入力元です: {s}", "unsupported record source: {s}", s=spec.source))
    return opener(spec, namespace, selectors_root)


__all__ = ["OPENERS", "OpenedSource", "open_source"]

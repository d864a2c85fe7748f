"""What a run would read, shown before it starts: the tray's confirmation (record count, first rows).

The rows are masked like everything a listener sees (マイナンバー, the flow's ``sensitive``
columns), so a confirmation dialog on a shared screen shows no more than the run log would.
Scanned forms are only counted: reading one is OCR, not a preview.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bots.engine.executor import load_or_raise, masker_for
from bots.engine.inputs import resolve_inputs
from bots.flow.model import FormRecords
from bots.project import Project
from bots.sources import open_source

#: How many rows a confirmation shows.
PREVIEW_ROWS = 5


@dataclass(frozen=True)
class InputPreview:
    """The input of a run about to start: where, how many records, the first ones (masked)."""

    file: Path | None
    #: Exact when the source knows it up front; else ``estimate`` (about how many).
    total: int | None
    estimate: int | None
    headers: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    #: The first rows' problems as the run would report them (a row it will not key).
    errors: list[str] = field(default_factory=list)


def preview_input(flow: Path, project: Project, *, primary_input: str | None = None,
                  inputs: dict[str, Any] | None = None, rows: int = PREVIEW_ROWS) -> InputPreview:
    """Open the flow's records as the run would and read the first ``rows`` (not for scanned forms).
    Raises FlowError or InputFileError, like the run would, before anything is keyed."""
    loaded = load_or_raise(flow, project)
    resolved = resolve_inputs(loaded.flow, inputs or {}, cwd=project.root, root=project.root, primary=primary_input)
    env = {name: os.environ[name] for name in loaded.flow.env if name in os.environ}
    source = open_source(loaded.flow.records, {"inputs": resolved, "env": env, "vars": {}, "record": {}},
                         project.selectors)
    if source is None:
        return InputPreview(None, None, None)
    masker = masker_for(loaded)
    shown: list[dict[str, Any]] = []
    errors: list[str] = []
    try:
        if not isinstance(loaded.flow.records, FormRecords):
            for record in source.records:
                shown.append(masker.mapping(record.raw))
                if record.error:
                    errors.append(f"{record.location}: {masker.text(record.error)}")
                if len(shown) >= rows:
                    break
        return InputPreview(source.file, source.total, source.estimate or (len(source.files) or None),
                            list(source.headers), shown, errors)
    finally:
        source.close()

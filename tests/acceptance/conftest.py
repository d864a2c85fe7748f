"""End-to-end fixtures: flows run through the real engine (``demo_web`` lives in ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bots.engine.executor import LocalExecutor, RunRequest
from bots.listeners.jsonlog import RunLogListener
from bots.listeners.results_workbook import ResultsWorkbookListener
from bots.listeners.trail import AuditTrail
from bots.project import Project
from bots.results.listener import RunInfo, RunListener
from bots.results.model import RunResult

REPO = Path(__file__).resolve().parents[2]
SAMPLE_FLOW = REPO / "flows" / "shinsei_nyuryoku.yaml"


@dataclass
class FlowOutcome:
    result: RunResult
    folder: Path
    results_path: Path | None

    def results_rows(self) -> list[dict[str, Any]]:
        assert self.results_path is not None
        book = openpyxl.load_workbook(self.results_path, read_only=True)
        rows = list(book["結果"].iter_rows(values_only=True))
        book.close()
        header = [str(h) for h in rows[0]]
        return [dict(zip(header, row, strict=False)) for row in rows[1:]]


@pytest.fixture
def run_flow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., FlowOutcome]:
    """Run a flow through the real engine with the production listeners: run store and audit
    ledger (under ``tmp_path/logs``), run log, results workbook."""
    logs = tmp_path / "logs"
    monkeypatch.setenv("KZ_LOGS", str(logs))

    def run(flow: Path = SAMPLE_FLOW, *, input_file: Path | None = None, dry_run: bool = False,
            **options: Any) -> FlowOutcome:
        holder: dict[str, Any] = {}

        def listeners(info: RunInfo) -> list[RunListener]:
            holder["results"] = ResultsWorkbookListener(info)
            holder["folder"] = info.folder
            return [*trail.listeners(info), RunLogListener(info, info.folder.name), holder["results"]]

        request = RunRequest(flow=str(flow), primary_input=str(input_file) if input_file else None,
                             dry_run=dry_run, cwd=str(REPO), **options)
        with AuditTrail(logs) as trail:
            result = LocalExecutor(Project(REPO), journal=trail.store).run(request, listeners=listeners)
        return FlowOutcome(result, holder["folder"], holder["results"].path)

    return run

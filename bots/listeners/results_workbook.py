"""Writes the results workbook when a run ends: every input row with its outcome.

Staff open this file to see which applications were keyed (with their 受付番号) and which
need their attention; the input workbook itself is never touched.
"""

from __future__ import annotations

from pathlib import Path

from bots.adapters.excel_results import ResultsWorkbook
from bots.results.folder import results_path
from bots.results.listener import RunInfo, RunListener
from bots.results.model import RunResult, RunStatus


class ResultsWorkbookListener(RunListener):
    """Writes the results workbook at the end of a run that read records."""

    def __init__(self, info: RunInfo) -> None:
        self.info = info
        self.path: Path | None = None

    def run_finished(self, run: RunResult) -> None:
        """Write every input row with its outcome; ``path`` is where it went."""
        if not self.info.flow.has_records or not self.info.input_headers:
            return
        if run.status is RunStatus.INVALID and not run.records:
            return  # refused before reading a row: a workbook of nothing would only confuse
        path = results_path(self.info.folder, self.info.input_file, self.info.flow.id)
        book = ResultsWorkbook(path, self.info.input_headers, list(self.info.flow.outputs),
                               input_path=self.info.input_file or path.with_suffix(".input"))
        for record in run.records:
            book.add(record.raw, record.status.label(), record.outputs, record.error,
                     record.started if record.status.name != "NOT_RUN" else None)
        book.save()
        self.path = path

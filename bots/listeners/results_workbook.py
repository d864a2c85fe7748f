"""Writes the results workbook when a run ends: every input row with its outcome.

Staff open this file to see which applications were keyed (with their 受付番号) and which
need their attention; the input workbook itself is never touched. It is *required*: a run whose
results cannot be written (the folder is read-only, the file is open in Excel) is not reported
as a success — it ends ``failed`` with the reason, and the records' outcomes stay in the journal
and the run store.
"""

from __future__ import annotations

from pathlib import Path

from bots.adapters.excel_results import ResultsWorkbook, header_labels
from bots.i18n import tr
from bots.results.folder import results_path
from bots.results.listener import RunInfo, RunListener
from bots.results.model import RunResult, RunStatus, Status


class ResultsWorkbookListener(RunListener):
    """Writes the results workbook at the end of a run that read records (before ``run_finished``)."""

    required = True

    def __init__(self, info: RunInfo) -> None:
        self.info = info
        self.path: Path | None = None

    def run_ending(self, run: RunResult) -> None:
        """Write every input row with its outcome; ``path`` is where it went. Raises
        :class:`~bots.errors.RunAborted` when it cannot be saved (the run then fails)."""
        if not self.info.flow.has_records or not self.info.input_headers:
            return
        if run.status is RunStatus.INVALID and not run.records:
            return  # refused before reading a row: a workbook of nothing would only confuse
        path = results_path(self.info.folder, self.info.input_file, self.info.flow.id)
        # Headed as the input heads its columns ("First Name"), not as records are keyed ("FirstName").
        labels = header_labels(self.info.input_file, run.records[0].location if run.records else None,
                               self.info.input_headers)
        book = ResultsWorkbook(path, self.info.input_headers, list(self.info.flow.outputs),
                               input_path=self.info.input_file or path.with_suffix(".input"), labels=labels)
        for record in run.records:
            book.add(record.raw, record.status, record.outputs, record.error,
                     record.started if record.status is not Status.NOT_RUN else None)
        if run.unread_after is not None:
            book.note(unread_note(run.unread_after))
        book.run_results(run.run_outputs)
        book.save()
        self.path = path


def unread_note(location: str) -> str:
    """What staff read when a stopped run did not read the rest of a long input."""
    return tr("{l} より後の行は、実行を途中で終えたため読み込んでいません（未処理）。再開すると続きから処理します",
              "the rows after {l} were not read because the run ended early (not run); a resume continues from there",
              l=location)

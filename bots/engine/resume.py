"""Which job a run works on: a fresh one, or the interrupted one it resumes.

Before keying a record, a run of a flow on an input asks the journal whether an earlier run
of that flow on the very same bytes stopped half-way. It then resumes it (records already
settled are only reported, half-done ones are verified), starts fresh (explicitly chosen:
settled records would be keyed again) or refuses — the default when nobody was asked, so no
entry point (CLI, tray, scheduler) can key a list twice by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bots.engine.context import RunContext
from bots.engine.journal import RunJournal
from bots.errors import InputFileError, ResumeRefused
from bots.i18n import tr
from bots.ports import Decide
from bots.records.digest import file_sha256, files_sha256
from bots.results.journal import JournalEntry, ResumeChoice


@dataclass
class JobStart:
    """The job a run works on: its journal (None: dry runs, no run store) and, when resuming,
    where each record stood, by record index."""

    journal: RunJournal | None
    prior: dict[int, JournalEntry] = field(default_factory=dict)



def _hash(path: Path | tuple[Path, ...]) -> str:
    try:
        return files_sha256(path) if isinstance(path, tuple) else file_sha256(path)
    except OSError as exc:
        raise InputFileError(tr("入力ファイルを読めません: {p}: {e}", "cannot read the input file {p}: {e}",
                                p=path, e=exc)) from exc


def start_job(run: RunContext, input_file: Path | tuple[Path, ...] | None, resume: str | None,
              decide: Decide) -> JobStart:
    """Open the journal of this run's job. Raises :class:`ResumeRefused` (the run is refused
    before anything is keyed) when it must not go on."""
    if input_file:
        run.info.input_sha256 = _hash(input_file)
    store = run.journal
    result = run.result
    if store is None or run.dry_run:
        if resume:
            raise ResumeRefused(tr("再開には実行記録（run store）が必要です", "resuming needs the run store"))
        return JobStart(None)
    sha = run.info.input_sha256
    if resume:
        found = store.interrupted_run(resume)
        if found is None:
            raise ResumeRefused(tr("実行 {r} は再開できません（存在しない、完了済み、または既に再開済み）",
                                   "run {r} cannot be resumed (unknown, finished, or already resumed)", r=resume))
        if found.flow_id != run.loaded.flow.id:
            raise ResumeRefused(tr("実行 {r} は別のフロー（{f}）の実行です", "run {r} belongs to another flow ({f})",
                                   r=resume, f=found.flow_id))
        if found.input_sha256 is not None and found.input_sha256 != sha:
            raise ResumeRefused(tr("入力ファイルが実行 {r} のときと異なります。同じファイルで再開してください",
                                   "the input file differs from run {r}'s; resume with the same file", r=resume))
        choice: ResumeChoice = "resume"
    else:
        found = store.find_interrupted(run.loaded.flow.id, sha)
        choice = decide(found) if found is not None else "fresh"
    if found is not None and found.alive:
        raise ResumeRefused(tr("同じ入力を処理中の実行があります: {d}", "a run on the same input is still running: {d}",
                               d=found.describe()))
    if found is not None and choice == "refuse":
        raise ResumeRefused(tr("{d}。続きから再開するには --resume、最初から入力し直すには --fresh を指定してください"
                               "（--fresh は処理済みの行も再度入力します）",
                               "{d}. Use --resume to continue it, or --fresh to start over "
                               "(--fresh keys the finished records again)", d=found.describe()))
    if found is not None and choice == "resume":
        store.mark_interrupted(found.run_id)
        result.journal_id, result.resumed_from = found.journal_id, found.run_id
        run.listeners.notice("resumed", tr("{d} を再開します", "resuming {d}", d=found.describe()),
                             {"resumed_from": found.run_id, "journal_id": found.journal_id})
        prior = store.entries(found.journal_id)
    else:
        result.journal_id = result.run_id
        prior = {}
        if found is not None:
            store.mark_interrupted(found.run_id)  # a dead 'running' run would otherwise stay 'running'
            run.listeners.notice("fresh_start", tr(
                "{d} を再開せず、最初から実行します（指定による）", "not resuming {d}: starting over as requested",
                d=found.describe()), {"superseded": found.run_id})
    return JobStart(RunJournal(store, result.journal_id, result.run_id, run.info.masker), prior)

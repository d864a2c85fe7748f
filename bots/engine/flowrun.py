"""One run of a flow: refuse bad input first, set up, key record by record, tear down.

Per-record isolation: a record that fails is marked with its reason by the
:class:`~bots.engine.keying.RecordKeyer` and the loop goes on, until ``settings.max_failures``
failures (or a target system that stopped answering) stop the run cleanly. Records an earlier
run of the same job settled are reported, never keyed again.

Records stream from their source: the first is keyed while the rest of a long input is still
unread. A stop (signal, tray, ``stop`` event) takes effect before the next record; the rows not
reached are listed as 未処理 for a moment (:data:`NOT_RUN_LISTED`, :data:`NOT_RUN_SECONDS`),
and a longer rest is left unread (``RunResult.unread_after``) so the run ends at once on any
input size. A second stop request aborts the record in flight (:meth:`FlowRun.execute`).

A failed ``teardown`` leaves the records' own statuses as they are but fails the run
(``failed``, non-zero exit): a run that could not log out or close its day is not a success.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

from loguru import logger

from bots.engine.book import RecordBook
from bots.engine.context import RunContext, Scope, namespace
from bots.engine.keying import RecordKeyer
from bots.engine.resume import start_job
from bots.engine.steprunner import StepRunner
from bots.errors import ErrorKind, InputFileError, JournalError, KazagurumaError, RunHalted
from bots.i18n import tr
from bots.platform.interrupts import settling
from bots.ports import Decide
from bots.records.model import SourceRecord
from bots.results.journal import JournalEntry, JournalState
from bots.results.model import RecordResult, RunStatus, Status
from bots.sources import OpenedSource, open_source

#: How a record an earlier run settled is reported by a resume.
CARRIED_STATUS = {JournalState.CONFIRMED: Status.PASS, JournalState.FAILED: Status.FAIL,
                  JournalState.REVIEW: Status.REVIEW}
#: After a stop, at most this many rows not reached are still read to be listed as 未処理 ...
NOT_RUN_LISTED = 1000
#: ... and only for this long (reading a scanned form is OCR): the rest stays unread.
NOT_RUN_SECONDS = 2.0


class FlowRun:
    """Runs one flow once: the run loop; keying and recovery are its composed parts."""

    def __init__(self, run: RunContext, *, resume: str | None = None, decide: Decide | None = None) -> None:
        self.run = run
        self.flow = run.loaded.flow
        self.steps = StepRunner(run)
        self.resume = resume
        self.decide: Decide = decide or (lambda found: "refuse")
        self.prior: dict[int, JournalEntry] = {}
        self.key_columns: tuple[str, ...] = tuple(self.flow.records.key) if self.flow.records else ()
        self.book = RecordBook(run, None, self.key_columns)
        self.keyer = RecordKeyer(self.book, self.steps, self.flow)
        #: The input turned out damaged half-way through (see :meth:`_stream`).
        self.broken_input = False

    def execute(self) -> None:
        """Run the flow to its end; the listeners hear ``run_ending`` and ``run_finished`` whatever
        stopped it — a second stop request (KeyboardInterrupt) included: the run is then
        ``aborted`` and its results are still written."""
        run = self.run
        run.listeners.run_started(run.info, run.result)
        for kind, text in run.info.warnings:
            run.listeners.notice(kind, text, {})
        try:
            self._execute()
        except KeyboardInterrupt:
            self._aborted_now()
        finally:
            with settling():  # what the run leaves behind is written even if asked to abort now
                if run.result.status is RunStatus.RUNNING:  # a framework bug escaped
                    run.result.status = RunStatus.ABORTED
                self._settle_journal()
                run.result.finished = dt.datetime.now().astimezone()
                self._collect_run_outputs()
                run.listeners.run_ending(run.result)
                run.listeners.run_finished(run.result)

    def _settle_journal(self) -> None:
        """Wait for the journal's queued writes (:mod:`bots.engine.journal`) before the run reports
        its end; one that failed fails the run (a record's state may be missing: a resume looks)."""
        journal = self.book.journal
        if journal is None:
            return
        try:
            journal.flush()
        except JournalError as exc:
            self.run.result.fail(str(exc))

    def _collect_run_outputs(self) -> None:
        """The flow's ``run_outputs`` as setup and teardown left them in the run's ``vars`` (None
        when never set, e.g. a teardown that failed first); nothing for a run refused before setup."""
        if self.flow.run_outputs and self.run.result.status is not RunStatus.INVALID:
            self.run.result.run_outputs = {name: self.run.globals.get(name) for name in self.flow.run_outputs}

    def _aborted_now(self) -> None:
        """A second stop request: nothing more is typed or clicked, the record in hand stays as the
        journal has it (a resume verifies it), every adapter is closed."""
        run = self.run
        run.halt_now()
        if run.result.status in (RunStatus.RUNNING, RunStatus.STOPPED):
            run.result.status = RunStatus.ABORTED
            run.result.error = tr("2回目の停止指示により強制停止しました（処理途中の行は再開時に確認します）",
                                  "aborted by a second stop request (the record in hand is checked on resume)")
        if run.result.total is None and run.info.input_file is not None:
            self._unread_from_here()
        run.resources.close()

    def _execute(self) -> None:
        run = self.run
        try:
            source = open_source(self.flow.records, namespace(run, Scope(vars={})), run.project.selectors)
        except InputFileError as exc:
            run.result.status = RunStatus.INVALID
            run.result.error = str(exc)
            return
        if source is None:
            self._run_flow(None)
            return
        try:
            run.info.input_file = source.file
            run.info.input_headers = source.headers
            run.result.total = source.total
            try:
                job = start_job(run, source.files or source.file, self.resume, self.decide)
            except InputFileError as exc:
                run.result.status = RunStatus.INVALID
                run.result.error = str(exc)
                run.listeners.records_counted(source.total)
                return
            self.prior = job.prior
            self.book = RecordBook(run, job.journal, self.key_columns)
            self.keyer = RecordKeyer(self.book, self.steps, self.flow)
            run.listeners.records_counted(source.total)
            if source.total is None and source.estimate is not None:
                run.listeners.notice("records_estimated", tr("入力はおよそ {n} 件です", "about {n} records in the input",
                                                             n=source.estimate), {"estimate": source.estimate})
            self._run_flow(source)
        finally:
            source.close()

    def _run_flow(self, source: OpenedSource | None) -> None:
        """Setup, the records (or one pass without records), teardown."""
        run = self.run
        try:
            try:
                self.steps.run_steps(list(self.flow.setup), Scope(vars=run.globals))
            except (KazagurumaError, RunHalted) as exc:
                if isinstance(exc, RunHalted):
                    self._halted(exc)
                else:
                    run.result.status = RunStatus.ABORTED
                    run.result.error = tr("準備処理に失敗しました: {e}", "setup failed: {e}", e=exc)
                if source is not None:
                    self._loop(source.records)  # lists the records as 未処理 (bounded)
                return
            if source is None:
                self._run_once()
                return
            if self._loop(source.records):
                for kind, message, data in source.finished():
                    run.listeners.notice(kind, message, data)
        except KeyboardInterrupt:
            run.halt_now()  # aborting now: the teardown below types and clicks nothing
            raise
        finally:
            self._teardown()

    def _run_once(self) -> None:
        """A flow without records runs its steps once, as one 'record'."""
        record = SourceRecord(index=1, location=self.flow.id, raw={}, values={})
        self.run.result.total = 1
        self._guarded(record, record.location)
        if self.run.result.status is RunStatus.RUNNING:
            self.run.result.status = RunStatus.COMPLETED

    def _loop(self, records: Iterator[SourceRecord]) -> bool:
        """Key the records as they stream in. True when every record was read (the total is then
        exact); False when a stop left the rest of a long input unread."""
        run = self.run
        seen: dict[str, str] = {}
        read = listed = 0
        stopped_at: float | None = None
        for record in self._stream(records):
            read += 1
            if run.stop.is_set() and run.result.status is RunStatus.RUNNING:
                run.result.status = RunStatus.STOPPED
            if run.result.status is not RunStatus.RUNNING:
                stopped_at = time.monotonic() if stopped_at is None else stopped_at
                if listed >= NOT_RUN_LISTED or time.monotonic() - stopped_at > NOT_RUN_SECONDS:
                    self._unread_from_here()
                    run.listeners.notice("records_unread", tr(
                        "実行を途中で終えたため、{l} より後の行は読み込んでいません（未処理）", "the run ended early: the "
                        "rows after {l} were not read (not run)", l=run.result.unread_after or "-"),
                        {"after": run.result.unread_after})
                    return False
                self._not_run(record)
                listed += 1
                continue
            key = self.book.key_of(record)
            prior = self.prior.get(record.index)
            if prior is not None and prior.settled:
                self._carry(record, key, prior)
                seen.setdefault(key, record.location)
                continue
            if record.error is None and self.flow.records and self.flow.records.key and key in seen:
                record.error = tr("同じキーの行が既にあります（{w}）。二重登録を避けるため入力しません",
                                  "the same key appeared before ({w}); not keyed twice", w=seen[key])
                self._guarded(record, key, duplicate=True)
                continue
            seen.setdefault(key, record.location)
            self._guarded(record, key, prior)
            self._check_limits()
        if self.broken_input:
            return False
        run.result.total = read
        if run.result.status is RunStatus.RUNNING:
            run.result.status = RunStatus.COMPLETED
        return True

    def _stream(self, records: Iterator[SourceRecord]) -> Iterator[SourceRecord]:
        """The records as they are read. A file found damaged half-way (it streams: the damage
        shows only when reached) ends the run there, aborted with the reason; resumable."""
        try:
            yield from records
        except InputFileError as exc:
            self.broken_input = True
            self._unread_from_here()
            if self.run.result.status is RunStatus.RUNNING:
                self.run.result.status = RunStatus.ABORTED
            self.run.result.error = tr("入力ファイルを最後まで読めませんでした: {e}", "the input file could not be read "
                                       "to the end: {e}", e=exc)

    def _unread_from_here(self) -> None:
        """The input was not read to its end: say after which row (what the results workbook and a
        resume rely on; the run store then keeps the total unknown, so the job stays resumable)."""
        records = self.run.result.records
        self.run.result.unread_after = records[-1].location if records else tr("（先頭）", "(the start)")

    def _check_limits(self) -> None:
        run, settings = self.run, self.flow.settings
        if run.result.status is not RunStatus.RUNNING:
            return
        streak, failures = self.keyer.target_streak, self.keyer.failures
        if settings.target_down_after and streak >= settings.target_down_after:
            run.result.status = RunStatus.ABORTED
            run.result.error = tr("基幹システムが応答しないため停止しました（{n}件連続で失敗、登録はしていません）。"
                                  "復旧後に resume で再開してください",
                                  "stopped: the target system is not answering ({n} records in a row failed, nothing "
                                  "submitted); resume once it is back", n=streak)
        elif settings.max_failures and failures >= settings.max_failures:
            run.result.status = RunStatus.ABORTED
            run.result.error = tr("失敗が上限（{n}件）に達したため停止しました", "stopped: {n} records failed",
                                  n=failures)

    def _new_result(self, record: SourceRecord, key: str) -> RecordResult:
        result = RecordResult(index=record.index, location=record.location, key=key, raw=record.raw,
                              notes=list(record.notes), started=dt.datetime.now().astimezone())
        self.run.result.records.append(result)
        return result

    def _not_run(self, record: SourceRecord) -> None:
        self._new_result(record, self.book.key_of(record))

    def _carry(self, record: SourceRecord, key: str, prior: JournalEntry) -> None:
        """A record an earlier run of this job settled: reported again, never keyed again."""
        result = self._new_result(record, key)
        if prior.updated_at is not None:  # when the earlier run settled it, not when this one resumed
            result.started = prior.updated_at.astimezone()
        self.run.listeners.record_started(result)
        result.status = CARRIED_STATUS[prior.state]
        result.outputs, result.error, result.error_kind = dict(prior.outputs), prior.error, prior.error_kind
        result.carried_from = prior.run_id
        result.notes.append(tr("前回の実行（{r}）で処理済み", "settled by the earlier run {r}", r=prior.run_id))
        self.run.listeners.record_finished(result)

    def _guarded(self, record: SourceRecord, key: str, prior: JournalEntry | None = None, *,
                 duplicate: bool = False) -> None:
        """One record; a journal that cannot be written stops the run (no keying without it)."""
        result = self._new_result(record, key)
        self.run.listeners.record_started(result)
        t0 = time.perf_counter()
        self.run.resources.start_record()  # a dialog answer the record before declared is not this one's
        try:
            if record.error is not None:
                review = duplicate or record.review
                kind = ErrorKind.NEEDS_REVIEW if record.review else ErrorKind.INPUT_RECORD
                result.status, result.error, result.error_kind = (
                    Status.REVIEW if review else Status.FAIL, record.error, kind)
                self.book.mark(result, JournalState.REVIEW if review else JournalState.FAILED, error=record.error,
                               error_kind=kind)
            elif prior is not None and prior.state.interrupted:
                self.keyer.recover(result, record, prior)
            else:
                self.keyer.process(result, record)
        except JournalError as exc:
            self.run.abort(str(exc))
            result.status, result.error, result.error_kind = Status.NOT_RUN, str(exc), ErrorKind.FRAMEWORK
        except RunHalted as exc:  # the abort hotkey: the journal stays as it is (resumable)
            if result.status is Status.NOT_RUN:
                result.error_kind = ErrorKind.INTERRUPTED
                result.error = tr("中断の指示により処理の途中で中断しました（未完了。再開時に確認します）",
                                  "interrupted on request (not done; checked on resume)")
                if exc.after_commit:  # it may have been keyed: never reported as simply not done
                    result.status = Status.REVIEW
                    result.error = tr("登録操作の後で中断しました。基幹システムで登録の有無を確認してください（再開時にも確認します）",
                                      "interrupted after the commit step: check in the core system whether it was "
                                      "keyed (resume checks it too)")
            self._halted(exc)
        except KeyboardInterrupt:  # a second stop request: leave the journal as it is (resumable)
            result.status, result.error_kind = Status.NOT_RUN, ErrorKind.INTERRUPTED
            result.error = tr("強制停止により処理の途中で中断しました（再開時に確認します）",
                              "aborted mid-record by a second stop request (checked on resume)")
            raise
        finally:
            result.elapsed = time.perf_counter() - t0
            self.run.listeners.record_finished(result)

    def _halted(self, exc: RunHalted) -> None:
        """Stop the run after the abort hotkey (or pyautogui's fail-safe): status stopped."""
        self.run.halt_now()
        if self.run.result.status is RunStatus.RUNNING:
            self.run.result.status = RunStatus.STOPPED
            self.run.result.error = tr("中断の指示により停止しました: {e}", "stopped on request: {e}", e=exc)
        self.run.listeners.notice("halted", str(exc), {})

    def _teardown(self) -> None:
        """The flow's ``teardown`` steps (not after an abort), then every adapter is closed. A
        failed teardown fails the run (see the module docstring); the records keep their statuses."""
        try:
            if not self.run.halt.is_set():  # after an abort nothing more is typed or clicked
                self.steps.run_steps(list(self.flow.teardown), Scope(vars=self.run.globals))
        except Exception as exc:  # noqa: BLE001 - our bug or the flow's: either way the run did not end well
            if not isinstance(exc, KazagurumaError):
                logger.opt(exception=True).bind(run_id=self.run.result.run_id).error("unexpected error in teardown")
            message = tr("後処理に失敗しました: {e}", "teardown failed: {e}", e=str(exc) or type(exc).__name__)
            self.run.listeners.notice("teardown_failed", message, {})
            self.run.result.fail(message)
        finally:
            self.run.resources.close()

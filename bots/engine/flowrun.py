"""One run of a flow: refuse bad input first, set up, key record by record, tear down.

Per-record isolation: a record that fails (bad data, a validation message from the target
system, a step that ran out of retries) is marked with its reason and the loop goes on, until
``settings.max_failures`` failures stop the run cleanly. Rows not reached are reported 未処理.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from loguru import logger

from bots.engine.context import RunContext, Scope, namespace
from bots.engine.records import open_source, record_key
from bots.engine.results import RecordResult, RunStatus, Status
from bots.engine.steprunner import StepRunner
from bots.errors import InputFileError, InputRecordError, KazagurumaError, StepError
from bots.i18n import tr
from bots.records.model import SourceRecord
from bots.run.folder import screenshot_path


class FlowRun:
    def __init__(self, run: RunContext) -> None:
        self.run = run
        self.flow = run.loaded.flow
        self.steps = StepRunner(run)
        self.failures = 0

    def execute(self) -> None:
        run = self.run
        run.listeners.run_started(run.info, run.result)
        try:
            self._execute()
        finally:
            if run.result.status is RunStatus.RUNNING:  # interrupted (Ctrl+C) or a framework bug
                run.result.status = RunStatus.ABORTED
            run.result.finished = dt.datetime.now().astimezone()
            run.listeners.run_finished(run.result)

    def _execute(self) -> None:
        run = self.run
        try:
            source = open_source(self.flow, namespace(run, Scope(vars={})))
        except InputFileError as exc:
            run.result.status = RunStatus.INVALID
            run.result.error = str(exc)
            return
        if source is not None:
            run.info.input_file = source.file
            run.info.input_headers = source.headers
            run.result.total = source.total
            run.listeners.records_counted(source.total)
        scope = Scope(vars=run.globals)
        try:
            self.steps.run_steps(list(self.flow.setup), scope)
        except KazagurumaError as exc:
            run.result.status = RunStatus.ABORTED
            run.result.error = tr("準備処理に失敗しました: {e}", "setup failed: {e}", e=exc)
            self._teardown()
            if source is not None:
                self._mark_not_run(source.records)
            return
        try:
            if source is None:
                self._run_once()
            else:
                self._loop(source.records)
        finally:
            self._teardown()

    def _run_once(self) -> None:
        """A flow without records runs its steps once, as one 'record'."""
        record = SourceRecord(index=1, location=self.flow.id, raw={}, values={})
        self._process(record)
        if self.run.result.status is RunStatus.RUNNING:
            self.run.result.status = RunStatus.COMPLETED

    def _loop(self, records: Any) -> None:
        run = self.run
        seen: dict[str, str] = {}
        for record in records:
            if run.stop.is_set() and run.result.status is RunStatus.RUNNING:
                run.result.status = RunStatus.STOPPED
            if run.result.status is not RunStatus.RUNNING:
                self._not_run(record)
                continue
            key = record_key(self.flow, record)
            if record.error is None and self.flow.records and self.flow.records.key and key in seen:
                record.error = tr("同じキーの行が既にあります（{w}）。二重登録を避けるため入力しません",
                                  "the same key appeared before ({w}); not keyed twice", w=seen[key])
                self._finish_unkeyed(record, key, Status.REVIEW)
                continue
            seen.setdefault(key, record.location)
            self._process(record, key)
            if self.flow.settings.max_failures and self.failures >= self.flow.settings.max_failures:
                run.result.status = RunStatus.ABORTED
                run.result.error = tr("失敗が上限（{n}件）に達したため停止しました", "stopped: {n} records failed",
                                      n=self.failures)
        if run.result.status is RunStatus.RUNNING:
            run.result.status = RunStatus.COMPLETED

    def _new_result(self, record: SourceRecord, key: str) -> RecordResult:
        result = RecordResult(index=record.index, location=record.location, key=key, raw=record.raw,
                              notes=list(record.notes), started=dt.datetime.now().astimezone())
        self.run.result.records.append(result)
        return result

    def _not_run(self, record: SourceRecord) -> None:
        self._new_result(record, record_key(self.flow, record))

    def _mark_not_run(self, records: Any) -> None:
        for record in records:
            self._not_run(record)

    def _finish_unkeyed(self, record: SourceRecord, key: str, status: Status) -> None:
        result = self._new_result(record, key)
        self.run.listeners.record_started(result)
        # Bad input rows do not count towards max_failures: that limit guards the target system.
        result.status, result.error, result.error_kind = status, record.error, "input_record"
        self.run.listeners.record_finished(result)

    def _process(self, record: SourceRecord, key: str | None = None) -> None:
        key = key or record.location
        if record.error is not None:
            self._finish_unkeyed(record, key, Status.FAIL)
            return
        result = self._new_result(record, key)
        self.run.listeners.record_started(result)
        t0 = time.perf_counter()
        scope = Scope(vars=dict(self.run.globals), record=record)
        try:
            self.steps.run_steps(list(self.flow.steps), scope)
        except (StepError, InputRecordError) as exc:
            self._failed(result, scope, exc, exc.kind)
        except KazagurumaError as exc:
            self._failed(result, scope, exc, "framework")
        except Exception as exc:  # our bug: keep the run going, keep the evidence
            logger.opt(exception=True).bind(run_id=self.run.result.run_id).error("unexpected error in a step")
            self._failed(result, scope, exc, "framework")
        else:
            result.status = Status.PASS
        result.outputs = {name: scope.vars.get(name) for name in self.flow.outputs}
        result.elapsed = time.perf_counter() - t0
        self.run.listeners.record_finished(result)

    def _failed(self, result: RecordResult, scope: Scope, exc: BaseException, kind: str) -> None:
        self.failures += 1
        # After the commit step the record may have been keyed, unless the system said otherwise.
        uncertain = scope.commit_started and not getattr(exc, "nothing_saved", False)
        result.status = Status.REVIEW if uncertain else Status.FAIL
        result.error = str(exc) or type(exc).__name__
        if uncertain:
            result.error = tr("登録操作の後でエラー。基幹システムで登録の有無を確認してください: {e}",
                              "failed after the commit step; check in the core system whether it was keyed: {e}",
                              e=result.error)
        result.error_kind = kind
        if self.flow.settings.screenshot_on_failure:
            result.screenshot = self._screenshot(result)
        if self.flow.on_record_failure:
            try:
                self.steps.run_steps(list(self.flow.on_record_failure), scope)
            except KazagurumaError as recover_error:
                self.run.listeners.notice("recover_failed", tr("失敗後の復旧処理も失敗しました: {e}",
                                                               "recovery after a failure failed: {e}", e=recover_error),
                                          {"record": result.key})

    def _screenshot(self, result: RecordResult) -> str | None:
        browsers = self.run.resources.open_sessions()
        if not browsers:
            return None
        path = screenshot_path(self.run.info.folder, result.index, result.key)
        try:
            browsers[0].screenshot(path)
        except KazagurumaError:
            return None
        return str(path)

    def _teardown(self) -> None:
        try:
            self.steps.run_steps(list(self.flow.teardown), Scope(vars=self.run.globals))
        except KazagurumaError as exc:
            self.run.listeners.notice("teardown_failed", tr("後処理に失敗しました: {e}", "teardown failed: {e}", e=exc), {})
        finally:
            self.run.resources.close()

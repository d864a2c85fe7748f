"""The run's JSON-lines log (``run.jsonl`` in the run folder): a loguru sink and a listener.

Run id, flow id and record key are bound to each log record as fields, never formatted into
message strings, so the log can be filtered and joined without parsing text.

Every line is handed to the operating system as it is written (flushed, not fsynced): a process
killed outright (``kill -9``, a crash) keeps every line up to its last step, so the record it
died on can be followed step by step. A buffer flushed only at record ends lost exactly those
lines. (A power cut may still lose what the OS had not written yet; the journal is what a resume
relies on, and it is durable.)

The per-step and per-record lines are written straight to the run's file (:meth:`JsonLinesSink.write_line`),
not through loguru: they are the same lines, but loguru's record building, filtering and
dispatch to every sink cost about a millisecond a step, a framework overhead a hand-written
script does not pay. Everything else the run logs (and anything bound to its ``run_id``
elsewhere) still goes through loguru to the same file.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, TextIO

from loguru import logger

from bots.masking import Masker
from bots.results.listener import RunInfo, RunListener
from bots.results.model import RecordResult, RunResult, StepResult

_FIELDS = ("run_id", "flow_id", "event")


def _default(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class JsonLinesSink:
    """Writes one compact JSON object per log record of one run."""

    def __init__(self, path: Path, run_id: str, masker: Masker | None = None) -> None:
        self.path = path
        self.run_id = run_id
        self.masker = masker or Masker()
        self._file: TextIO = path.open("a", encoding="utf-8")

    def __call__(self, message: Any) -> None:
        """Write one log record as a JSON line and flush it (see the module docstring)."""
        record = message.record
        self._write_entry(record["time"], record["level"].name, record["message"], record["extra"])

    def write_line(self, level: str, message: str, fields: dict[str, Any]) -> None:
        """Write one line as loguru would have (same keys, same order), without loguru."""
        self._write_entry(dt.datetime.now().astimezone(), level, message, fields)

    def _write_entry(self, time: dt.datetime, level: str, message: str, fields: dict[str, Any]) -> None:
        entry: dict[str, Any] = {"ts": time.isoformat(timespec="milliseconds"), "level": level, "msg": message}
        entry.update(fields)
        entry = self.masker.mapping(entry)  # a second line of defence: the listener set masks first
        self._file.write(json.dumps(entry, ensure_ascii=False, default=_default) + "\n")
        self._file.flush()

    def accepts(self, record: Any) -> bool:
        """The loguru filter: only this run's records, since several runs may log at once."""
        return bool(record["extra"].get("run_id") == self.run_id)

    def close(self) -> None:
        """Close the file (after the sink is removed from loguru)."""
        self._file.close()


class RunLogListener(RunListener):
    """Logs the run's events to loguru (and so to ``run.jsonl``)."""

    def __init__(self, info: RunInfo, run_id: str) -> None:
        self.sink = JsonLinesSink(info.folder / "run.jsonl", run_id, info.masker)
        self._sink_id = logger.add(self.sink, filter=self.sink.accepts, level="DEBUG", enqueue=False, catch=True)
        self.log = logger.bind(run_id=run_id, flow_id=info.flow.id)
        self._ids = {"run_id": run_id, "flow_id": info.flow.id}
        self._record: str | None = None

    def run_started(self, info: RunInfo, run: RunResult) -> None:
        """Log which flow version ran, how, by whom and with which inputs."""
        self.log.bind(event="run_started", flow_version=info.flow.version, flow_hash=info.flow.content_hash,
                      trigger=info.trigger, user=info.user, host=info.host, dry_run=info.dry_run,
                      inputs={k: str(v) for k, v in info.inputs.items()}).info("run started")

    def records_counted(self, total: int | None) -> None:
        """Log the number of records (None when the source cannot tell)."""
        self.log.bind(event="records_counted", total=total).info("records counted")

    def record_started(self, record: RecordResult) -> None:
        """Log the record and remember its key, so step lines carry it."""
        self._record = record.key
        self.sink.write_line("DEBUG", "record started", {**self._ids, "event": "record_started", "record": record.key,
                                                    "location": record.location})

    def step_finished(self, result: StepResult, depth: int) -> None:
        """Log one step with its timing and attempt; failures as warnings."""
        level = "INFO" if result.status.value != "FAIL" else "WARNING"
        self.sink.write_line(level, "step finished", {
            **self._ids, "event": "step_finished", "record": self._record, "step": result.label,
            "action": result.action, "status": result.status.value, "elapsed_ms": round(result.elapsed * 1000, 1),
            "attempt": result.attempt, "error": result.error, "kind": result.error_kind, "depth": depth})

    def record_finished(self, record: RecordResult) -> None:
        """Log the record's outcome, outputs and screenshot."""
        self.sink.write_line("INFO", "record finished", {
            **self._ids, "event": "record_finished", "record": record.key, "location": record.location,
            "status": record.status.value, "error": record.error, "kind": record.error_kind,
            "outputs": record.outputs, "elapsed_ms": round(record.elapsed * 1000, 1),
            "screenshot": record.screenshot, "notes": record.notes})
        self._record = None

    def notice(self, kind: str, message: str, data: dict[str, Any]) -> None:
        """Log a notice under its kind; drift, retries and cleanup failures as warnings."""
        level = "WARNING" if kind in {"selector_drift", "retry", "recover_failed", "teardown_failed"} else "INFO"
        self.log.bind(**{"event": kind, "record": self._record, **data}).log(level, message)

    def run_finished(self, run: RunResult) -> None:
        """Log the outcome and counts, then detach and close the run's log file."""
        counts = {s.name: run.count(s) for s in type(run.records[0].status)} if run.records else {}
        extra = {"run_outputs": run.run_outputs} if run.run_outputs else {}  # the flow's run_outputs, masked
        self.log.bind(event="run_finished", status=run.status.value, error=run.error, counts=counts,
                      exit_code=int(run.exit_code), **extra).info("run finished")
        logger.remove(self._sink_id)
        self.sink.close()

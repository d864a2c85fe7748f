"""One run for the tray, in its own process: ``python -m bots.tray.worker`` (see :mod:`protocol`).

The run goes through the library entry point like every other (trigger ``tray``, the OS user as
the one who ran it), so the run store, the ledger, the results workbook, the role check and the
approval gate are exactly those of ``runner.py run``. Browser bots run headless: the PC stays
usable while they work.

Like ``runner.py run``, the worker starts Chromium while the run machinery is being imported
(a helper thread imports it; this thread, which runs the flow, starts the browser: Playwright's
sync API is bound to it), so the run machinery is imported inside the functions that use it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from loguru import logger

from bots.engine.abort_hotkey import configured as abort_hotkey
from bots.errors import ExitCode, FlowError, InputFileError, KazagurumaError, Refused
from bots.flow.peek import drives_a_browser
from bots.i18n import set_language, tr
from bots.project import Project
from bots.results.listener import RunInfo, RunListener
from bots.results.model import RecordResult, RunResult, Status
from bots.tray.protocol import SHOWN_NOTICES, decode, encode

if TYPE_CHECKING:
    from bots.api import RunRequest

Emit = Callable[..., None]


class ProgressEvents(RunListener):
    """Turns the run's events (already masked by the listener set) into protocol lines."""

    def __init__(self, emit: Emit, desktop: bool) -> None:
        self.emit = emit
        self.desktop = desktop
        self.counts = {Status.PASS.value: 0, Status.FAIL.value: 0, Status.REVIEW.value: 0}
        self.review_workbooks: list[str] = []
        #: The run's ``run_outputs`` and error as the listener set handed them over (masked), once
        #: the run has finished.
        self.final: RunResult | None = None

    def run_started(self, info: RunInfo, run: RunResult) -> None:
        """Which run, which bot, and for desktop bots the hotkey that stops it."""
        self.emit("started", run_id=run.run_id, flow_id=info.flow.id, title=info.flow.title, desktop=self.desktop,
                  hotkey=abort_hotkey() if self.desktop else None, dry_run=info.dry_run)

    def records_counted(self, total: int | None) -> None:
        """The exact number of records, once known."""
        self.emit("counted", total=total)

    def record_started(self, record: RecordResult) -> None:
        """The record being keyed now (its key is masked like in every log)."""
        self.emit("record", index=record.index, location=record.location, key=record.key)

    def record_finished(self, record: RecordResult) -> None:
        """A settled record and the counts so far."""
        if record.status.value in self.counts:
            self.counts[record.status.value] += 1
        self.emit("settled", index=record.index, status=record.status.value, counts=dict(self.counts))

    def notice(self, kind: str, message: str, data: dict[str, Any]) -> None:
        """What staff should see now; an estimate of the total feeds the progress bar."""
        if kind == "records_estimated":
            self.emit("counted", estimate=data.get("estimate"))
        elif kind == "review_workbook":
            self.review_workbooks.append(str(data.get("path", "")))
            self.emit("notice", kind=kind, message=message)
        elif kind in SHOWN_NOTICES:
            self.emit("notice", kind=kind, message=message)

    def run_finished(self, run: RunResult) -> None:
        """Keep the masked copy for the ``finished`` event: the engine's own result, which
        :func:`serve` gets back, holds the run outputs and the error unmasked (an error may quote
        a value read from a record or a screen)."""
        self.final = run


def _listen_for_commands(stream: IO[str], stop: threading.Event) -> None:
    """Stop commands from the tray; end of input (the tray went away) changes nothing."""
    for line in stream:
        if (decode(line) or {}).get("cmd") == "stop":
            stop.set()


def serve(request: RunRequest, project: Project, emit: Emit, stop: threading.Event) -> int:
    """Run one request for the tray; the exit code is the run's (4 when refused, 2 for a bad flow or input)."""
    # lazy: the run machinery (imported meanwhile by :func:`warm_up`'s helper thread).
    from bots.api import open_trail, run_flow

    desktop = _uses_desktop(request, project)
    progress = ProgressEvents(emit, desktop)
    try:
        with open_trail(project) as trail:
            result = run_flow(request, trail=trail, listeners=lambda info: [progress], stop=stop, project=project)
    except (Refused, FlowError, InputFileError) as exc:
        emit("refused", message=str(exc), exit_code=int(exc.exit_code))
        return int(exc.exit_code)
    except KazagurumaError as exc:  # the audit trail cannot be opened: nothing runs unrecorded
        emit("refused", message=tr("監査記録を開けないため実行しません: {e}", "not run: the audit trail cannot be opened: {e}",
                                   e=exc), exit_code=int(ExitCode.ABORTED))
        return int(ExitCode.ABORTED)
    masked = progress.final  # None only if the run ended before its listeners heard the end
    emit("finished", status=result.status.value, exit_code=int(result.exit_code), run_id=result.run_id,
         folder=str(result.folder) if result.folder else None,
         results_workbook=str(result.results_workbook) if result.results_workbook else None,
         review_workbooks=progress.review_workbooks, counts=dict(progress.counts),
         error=masked.error if masked is not None else result.error,
         # pairs, not an object: see protocol
         run_outputs=[[name, value] for name, value in masked.run_outputs.items()] if masked is not None else [],
         resumable=bool(result.journal_id) and result.status.value in ("stopped", "aborted"))
    return int(result.exit_code)


def _uses_desktop(request: RunRequest, project: Project) -> bool:
    """Whether the bot holds mouse and keyboard (the tray then shows the abort hotkey in large type)."""
    # lazy: see serve.
    from bots.api import validate

    loaded, _ = validate(Path(request.cwd or project.root) / request.flow, project)
    return loaded is not None and loaded.uses_desktop()


def _import_run_machinery() -> None:
    """The helper thread's share: what the run imports, and the flow models' one-off build."""
    try:
        # lazy: all of it loads here, in the helper thread, while the browser starts.
        import bots.adapters.browser  # noqa: F401
        import bots.adapters.excel_reader  # noqa: F401
        import bots.api.running  # noqa: F401
        from bots.flow.model import rebuild_models

        rebuild_models()
    except Exception:  # noqa: BLE001 - imported again by the run itself, which reports the failure
        pass


def warm_up(flow: Path) -> bool:
    """Start Chromium in this thread while a helper thread imports the run machinery, when the
    flow drives a browser; else just import. True when a browser was started for the run to take
    (:func:`bots.adapters.browser_pool.discard_prestarted` closes it if the run does not)."""
    if not drives_a_browser(flow):
        return False
    # lazy: Playwright only for a browser bot.
    from bots.adapters import browser_pool

    importer = threading.Thread(target=_import_run_machinery, name="import the run machinery", daemon=True)
    importer.start()
    try:
        return browser_pool.prestart(headless=True)
    finally:
        importer.join()


def main() -> int:
    """Read the request, start listening for stop commands, run, report."""
    logger.remove()  # the run log has the details; stderr only for what must not be lost
    logger.add(sys.stderr, level="ERROR", format="{message}", diagnose=False)
    first = sys.stdin.readline()
    fields = decode(first) or {}
    set_language(str(fields.pop("lang", "") or "") or None)
    out_lock = threading.Lock()

    def emit(event: str, **values: Any) -> None:
        with out_lock:
            sys.stdout.write(encode(event, **values) + "\n")
            sys.stdout.flush()

    flow, cwd = fields.get("flow"), fields.get("cwd")
    warmed = isinstance(flow, str) and warm_up(
        Path(cwd if isinstance(cwd, str) and cwd else Project.discover().root) / flow)
    try:
        return _run(fields, emit)
    finally:
        if warmed:  # a browser the run did not take (refused, or it failed before its first browser step)
            # lazy: imported by warm_up already.
            from bots.adapters.browser_pool import discard_prestarted

            discard_prestarted()


def _run(fields: dict[str, Any], emit: Emit) -> int:
    """Check the request, start listening for stop commands, run."""
    # lazy: see serve.
    from bots.api import RunRequest, current_user

    try:
        request = RunRequest.model_validate({**fields, "trigger": "tray", "user": current_user(), "headless": True})
    except ValueError as exc:
        emit("refused", message=str(exc), exit_code=int(ExitCode.INVALID))
        return int(ExitCode.INVALID)
    stop = threading.Event()
    threading.Thread(target=_listen_for_commands, args=(sys.stdin, stop), daemon=True).start()
    project = Project.discover(Path(request.cwd) if request.cwd else None)
    return serve(request, project, emit, stop)


if __name__ == "__main__":
    sys.exit(main())

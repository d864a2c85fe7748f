"""Running a flow with its audit trail: what every caller needs, whoever the caller is.

``runner.py run``/``resume``, the scheduler, ``make demo`` and (next) the tray and the distributed
worker all start runs here, so every run — however started — is in the run store and the ledger,
writes its run log and results workbook, and is refused (and audited) the same way.
"""

from __future__ import annotations

import threading
from pathlib import Path

from bots.engine.executor import LocalExecutor, RunRequest, current_user
from bots.errors import FlowError, InputFileError, KazagurumaError, Refused
from bots.governance.gate import approval_gate
from bots.i18n import tr
from bots.listeners.jsonlog import RunLogListener
from bots.listeners.results_workbook import ResultsWorkbookListener
from bots.listeners.trail import AuditTrail
from bots.ports import Decide, Executor, ListenerFactory
from bots.project import Project
from bots.results.listener import RunInfo, RunListener
from bots.results.model import RunResult
from bots.spec.diagnostics import Diagnostic
from bots.store.store import RunStore


def standard_listeners(trail: AuditTrail | None, extra: ListenerFactory | None = None) -> ListenerFactory:
    """The listeners of every run: audit trail (run store, ledger), run log, results workbook,
    then the caller's own (console, tray progress)."""

    def make(info: RunInfo) -> list[RunListener]:
        audit = trail.listeners(info) if trail is not None else []
        own = extra(info) if extra is not None else []
        return [*audit, RunLogListener(info, info.folder.name), ResultsWorkbookListener(info), *own]

    return make


def open_trail(project: Project, store_url: str | None = None) -> AuditTrail:
    """The audit trail of a caller (run store and ledger; a context manager that closes both).
    Raises a KazagurumaError when it cannot be opened: nothing runs unrecorded."""
    return AuditTrail(project.logs, store_url)


def run_flow(request: RunRequest, *, trail: AuditTrail, listeners: ListenerFactory | None = None,
             stop: threading.Event | None = None, ask: Decide | None = None,
             executor: Executor | None = None, project: Project | None = None) -> RunResult:
    """Run one flow with the audit trail and the standard listeners (plus ``listeners``).

    Raises FlowError (invalid flow), InputFileError (bad inputs, a refused resume) or Refused
    (no role for the bot, or production mode and an unapproved version: :mod:`bots.governance.gate`) before
    anything is keyed — each audited first; everything after the start is in the returned result
    (``result.exit_code``, ``result.folder``, ``result.results_workbook``).
    """
    project = project or Project.discover(Path(request.cwd) if request.cwd else None)
    # An executor given by the caller (a task queue) runs the request where run_flow is called again with none.
    runner = executor or LocalExecutor(project, journal=trail.store, admit=approval_gate(project, trail.store))
    try:
        return runner.run(request, listeners=standard_listeners(trail, listeners), stop=stop or threading.Event(),
                          ask=ask)
    except FlowError as exc:
        trail.flow_rejected(Path(request.flow), request.user or current_user(),
                            [d for d in exc.diagnostics if isinstance(d, Diagnostic)])
        raise
    except InputFileError as exc:
        trail.input_refused(Path(request.flow), request.user or current_user(), str(exc))
        raise
    except Refused as exc:
        trail.run_refused(Path(request.flow), request.user or current_user(), request.trigger, str(exc))
        raise


def resume_request(run_id: str, project: Project, *, headless: bool = True) -> RunRequest:
    """The stored request of an interrupted run, set to resume it (``runner.py resume RUN_ID``).
    Raises InputFileError when there is no such run."""
    with RunStore.open(None, project.logs) as store:
        stored = store.run_request(run_id)
    if stored is None:
        raise InputFileError(tr("実行 {r} が見つかりません", "no run {r}", r=run_id))
    return RunRequest.model_validate({**stored, "resume": run_id, "headless": headless, "if_interrupted": "ask",
                                      "dry_run": False})


__all__ = ["KazagurumaError", "open_trail", "resume_request", "run_flow", "standard_listeners"]

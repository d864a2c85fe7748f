"""The executor interface: a serialisable :class:`RunRequest` in, a :class:`RunResult` out.

Today runs execute in-process (:class:`LocalExecutor`); distributing them to runner PCs means
another ``Executor`` that hands the same request to Celery. Nothing else changes.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from bots.engine.abort_hotkey import guard_run
from bots.engine.context import RunContext
from bots.engine.flowrun import FlowRun
from bots.engine.inputs import resolve_inputs
from bots.engine.resources import Resources
from bots.errors import FlowError, InputFileError
from bots.flow.loader import LoadedFlow, load_flow
from bots.i18n import tr
from bots.masking import Masker
from bots.ports import Decide, JournalStore
from bots.project import Project
from bots.results.folder import new_run_id, results_path, run_folder
from bots.results.listener import ListenerSet, RunInfo, RunListener
from bots.results.model import RunResult, RunStatus
from bots.secrets import SecretsView

Trigger = Literal["manual", "tray", "schedule"]


class RunRequest(BaseModel):
    """Everything needed to start a run, as plain data (JSON-serialisable for a task queue)."""

    model_config = ConfigDict(frozen=True)

    flow: str
    inputs: dict[str, Any] = {}
    primary_input: str | None = None
    trigger: Trigger = "manual"
    dry_run: bool = False
    headless: bool = True
    user: str | None = None
    cwd: str | None = None
    #: Resume this interrupted run (``runner.py resume RUN_ID``).
    resume: str | None = None
    #: When an earlier run on the same input stopped half-way: ask (refuse when nobody can be
    #: asked), resume it, or start over (keys its finished records again).
    if_interrupted: Literal["ask", "resume", "fresh"] = "ask"


ListenerFactory = Callable[[RunInfo], list[RunListener]]


@dataclass(frozen=True)
class Admission:
    """A governance gate's answer for a loaded flow it lets run: the version (fingerprint) and
    whether it is approved, recorded with the run, and warnings to show when it is not."""

    fingerprint: str
    approval: str
    warnings: tuple[tuple[str, str], ...] = ()


#: Called with the loaded flow before anything starts: returns the admission or raises
#: NotApproved (``bots.governance.gate``). The engine knows nothing of approvals beyond this.
Admit = Callable[[LoadedFlow, RunRequest], Admission]


class Executor(Protocol):
    """What runs a :class:`RunRequest`: :class:`LocalExecutor` today, a task-queue one later
    (the typed twin of :class:`bots.ports.Executor`)."""

    def run(self, request: RunRequest, *, listeners: ListenerFactory | None = None,
            stop: threading.Event | None = None, ask: Decide | None = None) -> RunResult:
        """Run one request to its end; an invalid flow or input raises before anything starts."""


def current_user() -> str:
    """The OS account that started the run: the "who" of every ledger entry."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USERNAME") or os.environ.get("USER") or "unknown"


def masker_for(loaded: LoadedFlow) -> Masker:
    """マイナンバー everywhere, plus the columns the flow marks ``sensitive: true``."""
    records = loaded.flow.records
    fields: set[str] = set()
    if records is not None:
        for name, spec in records.columns.items():
            if spec.sensitive:
                fields.update({name, spec.header} - {None})  # type: ignore[arg-type]
    return Masker(sensitive_fields=fields)


def load_or_raise(path: Path, project: Project) -> LoadedFlow:
    """The loaded flow, or FlowError carrying every diagnostic (nothing runs from a bad flow)."""
    loaded, found = load_flow(path, project)
    if loaded is None:
        raise FlowError(tr("フロー定義にエラーがあります: {p}", "the flow has errors: {p}", p=path), list(found))
    return loaded


def decider(request: RunRequest, ask: Decide | None) -> Decide:
    """What to do about an interrupted run of the same input, per the request."""
    if request.if_interrupted == "resume":
        return lambda found: "resume"
    if request.if_interrupted == "fresh":
        return lambda found: "fresh"
    return ask or (lambda found: "refuse")


def required_failed(context: RunContext, listener: RunListener, exc: BaseException) -> None:
    """A required listener (run store, ledger, results workbook) failed. Mid-run: stop after the
    current record (aborted). At the end: the run is not a success — a completed run becomes
    failed, with the reason (e.g. the results workbook is open in Excel)."""
    if context.result.status is RunStatus.RUNNING:
        context.abort(tr("実行記録を書き込めないため停止しました（{n}）: {e}",
                         "stopped: the run record cannot be written ({n}): {e}", n=type(listener).__name__, e=exc))
    else:
        context.result.fail(str(exc) or type(exc).__name__)


class LocalExecutor:
    """Runs a flow in this process. With a ``journal`` (the run store) every record's progress
    is journalled and interrupted runs can be resumed; without one (tests of the engine alone,
    the journal-cost benchmark) neither."""

    def __init__(self, project: Project | None = None, journal: JournalStore | None = None,
                 admit: Admit | None = None) -> None:
        self.project = project or Project.discover()
        self.journal = journal
        self.admit = admit

    def run(self, request: RunRequest, *, listeners: ListenerFactory | None = None,
            stop: threading.Event | None = None, ask: Decide | None = None) -> RunResult:
        """Run one flow. Raises FlowError (invalid flow) or InputFileError (bad inputs) before
        anything starts; everything after that is reported in the returned result."""
        cwd = Path(request.cwd) if request.cwd else Path.cwd()
        loaded = load_or_raise((cwd / request.flow) if not Path(request.flow).is_absolute() else Path(request.flow),
                               self.project)
        admission = self.admit(loaded, request) if self.admit is not None else None
        inputs = resolve_inputs(loaded.flow, request.inputs, cwd=cwd, root=self.project.root,
                                primary=request.primary_input)
        started = dt.datetime.now().astimezone()
        run_id = new_run_id(started)
        folder = run_folder(self.project.logs, run_id, started)
        result = RunResult(run_id=run_id, flow_id=loaded.flow.id, flow_version=loaded.flow.version,
                           started=started, dry_run=request.dry_run)
        identity = loaded.identity()
        if admission is not None:
            identity = replace(identity, fingerprint=admission.fingerprint, approval=admission.approval)
        info = RunInfo(flow=identity, trigger=request.trigger, user=request.user or current_user(),
                       host=socket.gethostname(), folder=folder, inputs=inputs, dry_run=request.dry_run,
                       masker=masker_for(loaded), request=request.model_dump(mode="json", exclude={"user"}),
                       warnings=admission.warnings if admission is not None else ())
        listener_set = ListenerSet(listeners(info) if listeners else [], info.masker)
        resources = Resources(headless=request.headless)
        context = RunContext(loaded=loaded, project=self.project, result=result, info=info, listeners=listener_set,
                             inputs=inputs, resources=resources, dry_run=request.dry_run,
                             stop=stop or threading.Event(), secrets=SecretsView(info.masker), journal=self.journal)
        listener_set.on_required_failure = lambda listener, exc: required_failed(context, listener, exc)
        resources.bind(context)
        with guard_run(context):  # the abort hotkey, for flows that hold mouse and keyboard
            FlowRun(context, resume=request.resume, decide=decider(request, ask)).execute()
        if result.status is RunStatus.RUNNING:
            result.status = RunStatus.ABORTED
        result.folder = folder
        workbook = results_path(folder, info.input_file, loaded.flow.id)
        result.results_workbook = workbook if workbook.is_file() else None
        return result


__all__ = ["Admission", "Admit", "Executor", "LocalExecutor", "RunRequest", "InputFileError", "FlowError"]

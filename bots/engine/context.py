"""The state a step sees: the run, the current record's scope, its own timeout.

Step functions receive a :class:`StepContext` and their typed, rendered params; they reach
drivers only through ``ctx.browser()`` (and later desktop/ocr adapters), never as globals.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bots.engine.page_states import VisibleProbe
from bots.errors import FlowError, InputRecordError
from bots.flow import expressions
from bots.i18n import tr
from bots.project import Project
from bots.records.model import SourceRecord
from bots.results.listener import ListenerSet, RunInfo
from bots.results.model import RunResult, RunStatus
from bots.secrets import missing_secret_message

if TYPE_CHECKING:
    from bots.adapters.browser import BrowserSession
    from bots.adapters.desktop import DesktopSession
    from bots.engine.resources import Resources
    from bots.engine.steprunner import StepRunner
    from bots.flow.loader import LoadedFlow
    from bots.flow.steps import StepBase
    from bots.ports import JournalStore


@dataclass
class RunContext:
    """One run of one flow: shared by every step of every record."""

    loaded: LoadedFlow
    project: Project
    result: RunResult
    info: RunInfo
    listeners: ListenerSet
    inputs: dict[str, Any]
    resources: Resources
    dry_run: bool = False
    #: Set by a stop request (signal, tray): the run stops after the current record.
    stop: threading.Event = field(default_factory=threading.Event)
    #: Set when waiting must end now (a second stop request, an abort): retries give up.
    cancel: threading.Event = field(default_factory=threading.Event)
    #: Set by the abort hotkey: the run stops before its next step (journal left resumable).
    halt: threading.Event = field(default_factory=threading.Event)
    #: The per-record journal (None: dry runs and runs without a run store keep none).
    journal: JournalStore | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    globals: dict[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)

    def halt_now(self) -> None:
        """The abort hotkey: stop before the next step; waits and retries end at once."""
        self.halt.set()
        self.cancel.set()
        self.stop.set()

    def abort(self, reason: str) -> None:
        """Stop after the current record with status ABORTED (e.g. the audit trail failed)."""
        if self.result.status is RunStatus.RUNNING:
            self.result.status = RunStatus.ABORTED
            self.result.error = reason
        self.stop.set()

    def is_sensitive_value(self, value: str, scope: Scope) -> bool:
        """Whether a value typed into a screen is personal data or a secret (mask its field)."""
        masker = self.info.masker
        if value and masker.text(value) != value:
            return True
        record = scope.record
        if record is None or not value:
            return False
        return any(masker.is_sensitive(name) and str(v) == value for name, v in record.values.items() if v)

    def env_of(self, loaded: LoadedFlow) -> dict[str, str]:
        """What expressions of ``loaded`` see as ``env``: only the names its ``env:`` declares."""
        return {name: self.env[name] for name in loaded.flow.env if name in self.env}

    def secret(self, name: str) -> str:
        """A secret, for a parameter that takes one whole (registered with the masker first)."""
        try:
            return self.secrets[name]
        except KeyError:
            raise InputRecordError(missing_secret_message(name)) from None

    def run_namespace(self) -> dict[str, Any]:
        """What expressions see as ``run``: this run's identity, fixed when it started."""
        return {
            "id": self.result.run_id,
            "started_at": self.result.started,
            "date": self.result.started.date(),
            "dry_run": self.dry_run,
            "flow_id": self.loaded.flow.id,
            "flow_version": self.loaded.flow.version,
        }


class CommitWatcher(Protocol):
    """Told before and after a commit step runs (the per-record journal writes durably here)."""

    def submitting(self) -> None:
        """Before the commit step sends anything: from here a crash leaves the record maybe keyed."""

    def submitted(self) -> None:
        """Right after the commit step returned: the submit went out."""

    def not_submitted(self) -> None:
        """The submit provably never went out: the record is back to in progress (safe to key again)."""


@dataclass
class RecordProgress:
    """How far one record's processing got. Shared by every scope of the record, sub-flows
    included: a commit step inside a called sub-flow is a commit of the record."""

    #: In a dry run, once the commit step is held back the record's later steps are skipped.
    commit_skipped: bool = False
    #: A commit step has started for this record: from here on a failure may have been keyed,
    #: so it is never retried blindly (unless the system says nothing was saved) and goes to 要確認.
    commit_started: bool = False
    watcher: CommitWatcher | None = None
    #: ``for_each`` iterations run so far, nested loops and sub-flows counted together.
    loop_iterations: int = 0
    #: A desktop commit step no later step has observed an effect of (its label): the record
    #: then ends 要確認, never 成功 — a click that hit nothing looks exactly like one that worked.
    unobserved_commit: str | None = None

    def start_commit(self) -> None:
        """Before the commit step: journalled durably first, and no blind retry from here on."""
        if self.watcher is not None:
            self.watcher.submitting()
        self.commit_started = True

    def commit_done(self) -> None:
        """The commit step returned: journalled as sent (``commit_started`` stays set)."""
        if self.watcher is not None:
            self.watcher.submitted()

    def commit_not_sent(self) -> None:
        """The adapter knows the submit never went out, or the system said nothing was saved."""
        if self.commit_started and self.watcher is not None:
            self.watcher.not_submitted()
        self.commit_started = False


@dataclass
class Scope:
    """Variables and record of one record's processing (or of setup/teardown)."""

    vars: dict[str, Any]
    record: SourceRecord | None = None
    inputs: dict[str, Any] | None = None  #: a sub-flow's own inputs
    progress: RecordProgress = field(default_factory=RecordProgress)
    #: The flow whose steps run in this scope: a called sub-flow (its systems and selector maps),
    #: or None for the run's own flow.
    loaded: LoadedFlow | None = None

    @property
    def commit_started(self) -> bool:
        """The record's flag, shared with its sub-flow scopes: a failure from here may have been keyed."""
        return self.progress.commit_started

    @property
    def commit_skipped(self) -> bool:
        """The record's flag: a dry run held back its commit step, so its later steps are skipped too."""
        return self.progress.commit_skipped


class StepContext:
    """What one step function may use."""

    def __init__(
        self, run: RunContext, scope: Scope, step: StepBase, timeout: float, runner: StepRunner, depth: int = 0
    ) -> None:
        self.run = run
        self.depth = depth
        self.scope = scope
        self.step = step
        self.timeout = timeout
        self._runner = runner

    @property
    def timeout_ms(self) -> float:
        """The step's timeout in the unit Playwright takes."""
        return self.timeout * 1000.0

    @property
    def vars(self) -> dict[str, Any]:
        """Where steps store values (``into:``); a record's are its own copy of the globals, so
        nothing leaks to the next record."""
        return self.scope.vars

    @property
    def record(self) -> SourceRecord | None:
        """The record being keyed; None in setup, teardown and flows without records."""
        return self.scope.record

    def namespace(self) -> dict[str, Any]:
        """The names this step's expressions may read (see :func:`namespace`)."""
        return namespace(self.run, self.scope)

    def render(self, value: Any) -> Any:
        """Fill ``value``'s templates for a step that renders late (its params are rendered already,
        except the action's raw fields)."""
        return expressions.render(value, self.namespace(), timeout=self.timeout)

    def evaluate(self, expr: str) -> Any:
        """An expression's value in this step's names (``if``'s condition, ``for_each``'s items)."""
        return expressions.evaluate(expr, self.namespace(), timeout=self.timeout)

    def run_steps(self, steps: list[StepBase], scope: Scope | None = None) -> None:
        """Run nested steps (if/for_each/group) in this scope, one level deeper."""
        self._runner.run_steps(steps, scope or self.scope, self.depth + 1)

    @property
    def flow(self) -> LoadedFlow:
        """The flow whose step this is (a sub-flow's, inside ``call``)."""
        return self.scope.loaded or self.run.loaded

    def browser(self, system: str | None = None) -> BrowserSession:
        """The browser session of ``system`` (or the flow's only web system), opened on first use."""
        return self.run.resources.browser(self.system_name(system, "web"), self.flow)

    def desktop(self, system: str | None = None) -> DesktopSession:
        """The desktop session of ``system`` (or the flow's only desktop system)."""
        return self.run.resources.desktop(self.system_name(system, "desktop"), self.flow)

    def system_name(self, system: str | None, kind: str) -> str:
        """The system a step names, or the flow's only one of that kind."""
        name = system or self.flow.flow.default_system(kind)
        if name is None:
            raise FlowError(tr("system を指定してください", "name the system of this step"))
        return name

    def notice(self, kind: str, message: str, **data: Any) -> None:
        """Tell the listeners something for the run log, tagged with this step's label."""
        self.run.listeners.notice(kind, message, {"step": self.step.label, **data})

    def now(self) -> dt.datetime:
        """Now, timezone-aware (stored and shown times must say their zone)."""
        return dt.datetime.now().astimezone()


def namespace(run: RunContext, scope: Scope) -> dict[str, Any]:
    """The names expressions may read, and ``visible(画面.要素)`` for conditions on the page."""
    return {
        "record": scope.record.values if scope.record else {},
        "inputs": scope.inputs if scope.inputs is not None else run.inputs,
        "vars": scope.vars,
        "env": run.env_of(scope.loaded or run.loaded),
        "secrets": expressions.SECRETS_REFUSED,  # whole secrets are resolved by the step runner only
        "run": run.run_namespace(),
        "visible": VisibleProbe(run, scope),
    }

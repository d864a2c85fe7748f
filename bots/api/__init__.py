"""Kazaguruma as a library: the one entry point every caller uses.

::

    from bots.api import RunRequest, open_trail, run_flow

    with open_trail(project) as trail:
        result = run_flow(RunRequest(flow="flows/shinsei_nyuryoku.yaml", primary_input="申請一覧.xlsx"),
                          trail=trail, stop=stop_event)

The CLI (``bots/cli``), the scheduler, ``make demo``, the tray and the distributed worker are thin
callers of :func:`run_flow`, :func:`resume_request` and :func:`validate`; none of them re-implements
what a run needs (audit trail, run log, results workbook, refusal auditing).

The names are resolved on first use (PEP 562): ``bots.api.validation`` (``runner.py validate``)
must not start the run machinery — browser, run store, Excel — that ``bots.api.running`` imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import bots.actions  # noqa: F401 - fills the step registry: every flow is loaded after this

if TYPE_CHECKING:
    from bots.api.preview import InputPreview, preview_input
    from bots.api.running import open_trail, resume_request, run_flow, standard_listeners
    from bots.api.validation import flow_files, validate
    from bots.engine.executor import LocalExecutor, RunRequest, Trigger, current_user
    from bots.results.model import RunResult, RunStatus, Status

#: Where each public name lives; its module is imported when the name is first used.
_WHERE = {
    "InputPreview": "bots.api.preview", "preview_input": "bots.api.preview",
    "open_trail": "bots.api.running", "resume_request": "bots.api.running", "run_flow": "bots.api.running",
    "standard_listeners": "bots.api.running",
    "flow_files": "bots.api.validation", "validate": "bots.api.validation",
    "LocalExecutor": "bots.engine.executor", "RunRequest": "bots.engine.executor", "Trigger": "bots.engine.executor",
    "current_user": "bots.engine.executor",
    "RunResult": "bots.results.model", "RunStatus": "bots.results.model", "Status": "bots.results.model",
}


def __getattr__(name: str) -> Any:
    """``from bots.api import run_flow``: import the module that defines the name, on first use."""
    if name not in _WHERE:
        raise AttributeError(f"module 'bots.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "InputPreview",
    "LocalExecutor",
    "RunRequest",
    "RunResult",
    "RunStatus",
    "Status",
    "Trigger",
    "current_user",
    "flow_files",
    "open_trail",
    "preview_input",
    "resume_request",
    "run_flow",
    "standard_listeners",
    "validate",
]

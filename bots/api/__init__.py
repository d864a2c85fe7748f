"""Kazaguruma as a library: the one entry point every caller uses.

::

    from bots.api import RunRequest, open_trail, run_flow

    with open_trail(project) as trail:
        result = run_flow(RunRequest(flow="flows/shinsei_nyuryoku.yaml", primary_input="申請一覧.xlsx"),
                          trail=trail, stop=stop_event)

The CLI (``bots/cli``), the scheduler, ``make demo``, the tray and the distributed worker are thin
callers of :func:`run_flow`, :func:`resume_request` and :func:`validate`; none of them re-implements
what a run needs (audit trail, run log, results workbook, refusal auditing).
"""

from __future__ import annotations

import bots.actions  # noqa: F401 - fills the step registry: every flow is loaded after this
from bots.api.preview import InputPreview, preview_input
from bots.api.running import open_trail, resume_request, run_flow, standard_listeners
from bots.api.validation import flow_files, validate
from bots.engine.executor import LocalExecutor, RunRequest, Trigger, current_user
from bots.results.model import RunResult, RunStatus, Status

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

"""The messages between the tray and a run's worker process: JSON, one object per line.

Tray → worker (stdin): the first line is the run request (:class:`bots.api.RunRequest` fields, and
``lang``; trigger, user and headless are set by the worker);
later lines are commands: ``{"cmd": "stop"}`` (finish the current record, then stop). End of
input is *not* a stop: if the tray goes away, the run finishes on its own and is in the run store
as always.

Worker → tray (stdout), each with ``"event"``:

``started``     run_id, flow_id, title, desktop (bool), hotkey (the abort hotkey, desktop bots)
``counted``     total (exact) or estimate (about how many)
``record``      index, location, key (masked): the record being keyed now
``settled``     index, status (PASS/FAIL/REVIEW/SKIP/NOT RUN), counts {PASS, FAIL, REVIEW}
``notice``      kind, message (drift, review workbook, unapproved version in development mode …)
``finished``    status, exit_code, run_id, folder, results_workbook, review_workbooks, counts, error
                (masked), resumable, run_outputs [[name, value], …] (the flow's run outputs, masked, in declared
                order: pairs, not an object, because a Qt signal carrying a dict sorts its keys)
``refused``     message, exit_code (no role for the bot, unapproved in production, bad input or flow)
"""

from __future__ import annotations

import json
from typing import Any

#: Notices the tray shows (others are in the run log and the ledger).
SHOWN_NOTICES = frozenset({"selector_drift", "review_workbook", "unapproved_flow", "resumed", "session_expired",
                           "records_unread", "teardown_failed"})


def encode(event: str, **fields: Any) -> str:
    """One protocol line (no newline inside: JSON escapes it)."""
    return json.dumps({"event": event, **fields}, ensure_ascii=False, default=str)


def decode(line: str) -> dict[str, Any] | None:
    """A protocol line as a dict, or None for anything else (a stray print must not break the tray)."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None

"""``runner.py run``: the browser starts while the run machinery is imported, not after it.

Importing what a run needs (engine, run store, Excel, listeners) takes about a second; starting
Playwright's driver, Chromium and a first page about another, mostly in those processes. Playwright's
sync API must be used from the thread that starts it — the one that runs the flow — so this thread
starts the browser and a helper thread does the imports and the flow models' one-off build
(:class:`bots.cli.lazy.LazyGroup`).

Whether the flow drives a browser is read from its file before anything is loaded
(:func:`bots.flow.peek.drives_a_browser`). A guess both ways is harmless: a browser the
run does not take is closed when the command ends, and a flow whose web system is declared only
in a called sub-flow opens its browser at its first browser step, as before.

``runner.py resume RUN_ID`` does the same: the flow is the one the stored request names, read
from the SQLite run store with the standard library (no SQLAlchemy, no Alembic: that is what the
helper thread is importing meanwhile). A run store elsewhere (``KZ_STORE_URL``) cannot be read
that cheaply: the browser is started then anyway (a wrong guess costs only a browser closed unused).
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from bots.cli.lazy import Overlap


def flow_file(args: list[str]) -> Path | None:
    """The flow file among ``runner.py run``'s arguments: the first existing ``.yaml``/``.yml`` file."""
    for arg in args:
        if arg.lower().endswith((".yaml", ".yml")) and Path(arg).is_file():
            return Path(arg)
    return None


def run_overlap(args: list[str]) -> Overlap | None:
    """For ``runner.py run ARGS``: start the browser now when the flow drives one (not for ``--help``)."""
    if "--help" in args:
        return None
    flow = flow_file(args)
    if flow is None:
        return None
    # lazy: plain YAML reading, no flow model, no Playwright.
    from bots.flow.peek import drives_a_browser

    if not drives_a_browser(flow):
        return None
    return _browser_overlap(headless="--headed" not in args)


def stored_flow(run_id: str) -> Path | None:
    """The flow file of a stored run, from the default SQLite run store; None when it cannot be
    told cheaply (another store, no such run, an unreadable database)."""
    # lazy: the project's paths only for a resume.
    from bots.project import Project

    if os.environ.get("KZ_STORE_URL", "").strip():
        return None
    try:
        project = Project.discover()
        database = project.logs / "kazaguruma.sqlite3"  # bots.store.store.DEFAULT_FILE (it loads SQLAlchemy)
        if not database.is_file():
            return None
        with sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=1) as connection:
            row = connection.execute("SELECT request FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        request = json.loads(row[0]) if row and row[0] else None
    except (OSError, sqlite3.Error, ValueError):
        return None
    if not isinstance(request, dict) or not isinstance(request.get("flow"), str):
        return None
    return Path(str(request.get("cwd") or project.root)) / str(request["flow"])


def resume_overlap(args: list[str]) -> Overlap | None:
    """For ``runner.py resume RUN_ID``: start the browser now unless the stored flow drives none."""
    if "--help" in args:
        return None
    run_id = next((arg for arg in args if not arg.startswith("-")), None)
    if run_id is None:
        return None
    flow = stored_flow(run_id)
    # lazy: as in run_overlap.
    from bots.flow.peek import drives_a_browser

    if flow is not None and not drives_a_browser(flow):
        return None
    return _browser_overlap(headless="--headed" not in args)


def _browser_overlap(*, headless: bool) -> Overlap:
    # lazy: Playwright only for a run of a web flow; imported here, before the helper thread starts.
    from bots.adapters import browser_pool

    return Overlap(start=lambda: browser_pool.prestart(headless=headless), cleanup=browser_pool.discard_prestarted,
                   meanwhile=prepare_run)


def prepare_run() -> None:
    """The helper thread's share once the run command is imported: what the run imports only when
    it gets there (the browser adapter of the first ``browser.open``, the Excel reader of the input)
    and the flow models' one-off build (pydantic, a few hundred ms) that loading the flow would
    otherwise do first. None of it is bound to a thread."""
    # lazy: all of it loads with the run machinery, in the helper thread.
    import bots.actions  # noqa: F401 - the step registry the models are built from
    import bots.adapters.browser  # noqa: F401
    import bots.adapters.excel_reader  # noqa: F401
    from bots.flow.model import rebuild_models

    rebuild_models()

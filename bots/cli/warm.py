"""``runner.py run``: the browser starts while the run machinery is imported, not after it.

Importing what a run needs (engine, run store, Excel, listeners) takes about a second; starting
Playwright's driver, Chromium and a first page about another, mostly in those processes. Playwright's
sync API must be used from the thread that starts it — the one that runs the flow — so this thread
starts the browser and a helper thread does the imports and the flow models' one-off build
(:class:`bots.cli.lazy.LazyGroup`).

Whether the flow drives a browser is read from its file before anything is loaded: a system of
kind ``web`` (the default kind) under ``systems:``. A guess both ways is harmless: a browser the
run does not take is closed when the command ends, and a flow whose web system is declared only
in a called sub-flow opens its browser at its first browser step, as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bots.cli.lazy import Overlap


def flow_file(args: list[str]) -> Path | None:
    """The flow file among ``runner.py run``'s arguments: the first existing ``.yaml``/``.yml`` file."""
    for arg in args:
        if arg.lower().endswith((".yaml", ".yml")) and Path(arg).is_file():
            return Path(arg)
    return None


def drives_a_browser(path: Path) -> bool:
    """Whether the flow file declares a web system (a broken file: no, ``validate`` will say why)."""
    # lazy: the YAML reader only when a flow is about to run.
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        document: Any = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError):
        return False
    systems = document.get("systems") if isinstance(document, dict) else None
    if not isinstance(systems, dict):
        return False
    return any(not isinstance(spec, dict) or spec.get("kind", "web") == "web" for spec in systems.values())


def run_overlap(args: list[str]) -> Overlap | None:
    """For ``runner.py run ARGS``: start the browser now when the flow drives one (not for ``--help``)."""
    if "--help" in args:
        return None
    flow = flow_file(args)
    if flow is None or not drives_a_browser(flow):
        return None
    # lazy: Playwright only for a run of a web flow; imported here, before the helper thread starts.
    from bots.adapters import browser_pool

    headless = "--headed" not in args
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

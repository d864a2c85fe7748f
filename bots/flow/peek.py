"""What a flow file declares, peeked at before it is loaded: enough to decide what to start early.

``runner.py run``, ``resume`` and the tray worker start Chromium while the run machinery is still
being imported (:func:`bots.adapters.browser_pool.prestart`), but only for a flow that drives a
browser. Loading the flow properly would cost the time the overlap saves, so the file is read as
plain YAML here, without the flow model or Playwright.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def drives_a_browser(path: Path) -> bool:
    """Whether the flow file declares a web system — one of kind ``web`` (the default kind) under
    ``systems:`` — read before anything is loaded, to decide on a :func:`prestart`. A broken file:
    no (``validate`` will say why); a system declared only in a called sub-flow: no (its first
    browser step opens the browser, as without a prestart)."""
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

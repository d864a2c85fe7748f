"""Which browser binary to launch, per platform, without downloading one, and how.

Closed municipal networks cannot fetch Playwright's browser builds: on Linux we drive the
distribution's Chromium, on Windows the installed Microsoft Edge (``channel="msedge"``).
``KZ_CHROMIUM`` overrides both.

Ctrl+C in a terminal reaches every process of the foreground group, Playwright's Node driver
included. The driver itself ignores SIGINT, but a browser launched with Playwright's default
``handle_sigint=True`` makes it close every browser and exit on the first Ctrl+C — killing the
record in flight, which the runner promised to finish. So the runner, not the driver, decides
what Ctrl+C means: ``handle_sigint=False``. (Chromium runs in a process group of its own.)
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

#: Flags that keep Chromium quiet on a closed network (no update, sync or telemetry calls).
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
)


def launch_options(*, headless: bool = True) -> dict[str, Any]:
    """Keyword arguments for ``playwright.chromium.launch``."""
    options: dict[str, Any] = {"headless": headless, "args": list(CHROMIUM_ARGS), "handle_sigint": False}
    override = os.environ.get("KZ_CHROMIUM")
    if override:
        options["executable_path"] = str(Path(override))
    elif sys.platform.startswith("win"):
        options["channel"] = "msedge"
    else:
        found = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
        options["executable_path"] = found
    return options

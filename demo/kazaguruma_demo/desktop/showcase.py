"""The desktop part of ``make demo``: a private Xvfb, the Tk demo app, the desktop sample flow.

The flow launches the app itself (``desktop.launch``); here it is only pointed at a fresh store
through ``KZ_DESKTOP_APP``. The display is always virtual, so the demo never takes over the
mouse and keyboard of whoever runs it.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bots.platform.xvfb import virtual_display

DESKTOP_FLOW = Path("flows/desktop_nyuryoku.yaml")
T = TypeVar("T")


def run_desktop_demo(store: Path, run: Callable[[Path], T]) -> T:
    """Run ``run(DESKTOP_FLOW)`` with the desktop demo app keyed into ``store`` (emptied first)."""
    store.parent.mkdir(parents=True, exist_ok=True)
    for stale in (store, Path(f"{store}-wal"), Path(f"{store}-shm")):
        stale.unlink(missing_ok=True)
    command = [sys.executable, "-m", "kazaguruma_demo.desktop", "--db", str(store)]
    previous = os.environ.get("KZ_DESKTOP_APP")
    os.environ["KZ_DESKTOP_APP"] = shlex.join(command)
    try:
        with virtual_display():
            return run(DESKTOP_FLOW)
    finally:
        if previous is None:
            os.environ.pop("KZ_DESKTOP_APP", None)
        else:
            os.environ["KZ_DESKTOP_APP"] = previous

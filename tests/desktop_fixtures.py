"""Session-scoped virtual display for desktop tests.

``tests/conftest.py`` imports ``xvfb_display`` once, so the whole session (one xdist worker) has
one display; a test module must not import it itself. The X11 helpers below may be imported.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kazaguruma_demo.desktop.xdriver import clipboard, focused_title, key, paste, wait_focus

from bots.platform.xvfb import VirtualDisplay, virtual_display

__all__ = ["clipboard", "focused_title", "key", "paste", "wait_focus", "xvfb_display"]


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[VirtualDisplay]:
    """One private Xvfb (1280x800x24) for the whole session; ``DISPLAY`` points at it meanwhile."""
    with virtual_display() as display:
        yield display


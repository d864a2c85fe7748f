"""Session-scoped virtual display for desktop tests.

``tests/`` is on ``sys.path`` (rootdir conftest), so a test module uses it with
``from desktop_fixtures import xvfb_display  # noqa: F401``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bots.demo.desktop.xdriver import clipboard, focused_title, key, paste, wait_focus
from bots.platform.xvfb import VirtualDisplay, virtual_display

__all__ = ["clipboard", "focused_title", "key", "paste", "wait_focus", "xvfb_display"]


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[VirtualDisplay]:
    """One private Xvfb (1280x800x24) for the whole session; ``DISPLAY`` points at it meanwhile."""
    with virtual_display() as display:
        yield display


"""The desktop platform layer on a real Xvfb: clipboard round trips, windows, focus."""

from __future__ import annotations

import re

import desktop_tk as app
import pytest
from desktop_harness import TkApp, tk_app  # noqa: F401

from bots.platform.desktop import current_platform, find_windows

pytestmark = pytest.mark.display

TEXTS = ["髙橋", "𠮷田", "ｶﾀｶﾅ", "０１２３４５６７８９", "渡邉 ハナコ\t<a&b>", ""]


@pytest.mark.parametrize("text", TEXTS)
def test_clipboard_round_trip_is_exact(xvfb_display: object, text: str) -> None:  # noqa: F811
    platform = current_platform()
    platform.clipboard_set(text)
    assert platform.clipboard_get() == text
    platform.clipboard_keep(text)  # handed to xclip: read back through another process
    assert platform.clipboard_get() == text


def test_windows_are_listed_by_title_with_their_geometry(tk_app: TkApp) -> None:  # noqa: F811
    platform = current_platform()
    (main,) = find_windows(platform, f"^{re.escape(app.MAIN_TITLE)}$")
    x, y, width, height = app.MAIN_GEOMETRY
    assert (main.rect.x, main.rect.y, main.rect.width, main.rect.height) == (x, y, width, height)
    assert find_windows(platform, "存在しない窓") == []
    assert platform.screen_size() == (1280, 800)


def test_focus_moves_the_keyboard_and_active_window_follows(tk_app: TkApp) -> None:  # noqa: F811
    tk_app.reset()
    platform = current_platform()
    (main,) = find_windows(platform, app.MAIN_TITLE)
    (other,) = find_windows(platform, app.OTHER_TITLE)
    assert platform.active_window() == main.id
    platform.focus(other.id)
    tk_app.wait(lambda s: s["focus"] == "other")
    assert platform.active_window() == other.id
    platform.focus(main.id)
    tk_app.wait(lambda s: s["focus"] == "main")
    assert platform.active_window() == main.id

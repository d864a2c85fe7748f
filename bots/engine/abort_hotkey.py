"""The abort hotkey: staff press it to take their mouse and keyboard back from a desktop bot.

A global hotkey (X11: a passive key grab on the root window; Windows: pynput's low-level
hook) is held for the duration of a run of a flow with desktop steps. Pressing the hotkey (default Ctrl+Shift+F12,
``KZ_ABORT_HOTKEY`` to change it, e.g. ``ctrl+alt+q``) makes the run stop after the step in
hand: the engine checks before every step, and waits end at once. The record in hand is
reported 中断 and stays in the journal as it stood (resumable), never as failed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from bots.i18n import tr

if TYPE_CHECKING:
    from bots.engine.context import RunContext

DEFAULT = "ctrl+shift+f12"


def pynput_combo(text: str) -> str:
    """``ctrl+shift+f12`` → pynput's ``<ctrl>+<shift>+<f12>`` (single characters stay bare)."""
    parts = [p.strip().lower() for p in text.split("+") if p.strip()]
    return "+".join(p if len(p) == 1 or p.startswith("<") else f"<{p}>" for p in parts)


def configured() -> str:
    """``KZ_ABORT_HOTKEY`` when set, else :data:`DEFAULT`: the grab swallows the combination, so a
    site whose system needs Ctrl+Shift+F12 picks another."""
    return os.environ.get("KZ_ABORT_HOTKEY") or DEFAULT


@contextmanager
def abort_hotkey(on_press: Callable[[], None], say: Callable[[str], None],
                 combo: str | None = None) -> Iterator[bool]:
    """Listen for the hotkey meanwhile; yields False (and says why) when no listener could start —
    pyautogui's fail-safe (mouse into a screen corner) still stops the run then."""
    text = combo or configured()
    listener: Any = None
    try:
        listener = _listener(text, on_press)
        listener.start()
    except Exception as exc:  # noqa: BLE001 - pynput's backends raise plain Exceptions
        say(tr("中断キーを設定できません（{e}）。マウスを画面の隅に動かすと停止できます",
               "the abort hotkey is not available ({e}); move the mouse into a screen corner to stop", e=exc))
        listener = None
    try:
        yield listener is not None
    finally:
        if listener is not None:
            listener.stop()


def _listener(text: str, on_press: Callable[[], None]) -> Any:
    """X11: a passive key grab (stops at once); elsewhere pynput's hook. ``on_press`` runs on the
    listener's thread: it only sets events; the engine reports the stop."""
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        from bots.platform.x11_hotkey import X11HotKey  # lazy, per platform: python-xlib is not on Windows

        return X11HotKey(text, on_press)
    from pynput import keyboard  # lazy: pynput picks its backend (and needs a display) at import

    class Started(keyboard.GlobalHotKeys):  # type: ignore[misc]
        def start(self) -> None:
            super().start()
            self.wait()  # listening before the first step runs

    return Started({pynput_combo(text): on_press})


def guard_run(run: RunContext) -> AbstractContextManager[bool]:
    """The abort hotkey for a run that drives the desktop; nothing for other runs."""
    if not run.loaded.uses_desktop():
        return nullcontext(False)
    return abort_hotkey(run.halt_now, lambda text: run.listeners.notice("abort_hotkey", text, {}))

"""Translate the desktop stack's exceptions (pyautogui, python-xlib, OpenCV, subprocess, OS)
into Kazaguruma's error tree, in one place. Nothing above the desktop adapter sees them.

pyautogui's fail-safe (staff threw the mouse into a screen corner) is an emergency stop, like
the abort hotkey: it becomes :class:`~bots.errors.RunHalted`, not a failed record.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from bots.errors import (
    ElementNotFound,
    KazagurumaError,
    PlatformError,
    RunHalted,
    StepError,
    StepTimeout,
    TargetSystemError,
)
from bots.i18n import tr


def _third_party() -> dict[type[BaseException], type[BaseException]]:
    """Imported on use: pyautogui needs a display to import; Xlib exists on X11 only."""
    import cv2
    import pyautogui
    import pyscreeze

    found: dict[type[BaseException], type[BaseException]] = {
        pyautogui.FailSafeException: RunHalted,
        pyautogui.ImageNotFoundException: ElementNotFound,
        pyscreeze.ImageNotFoundException: ElementNotFound,
        pyautogui.PyAutoGUIException: StepError,
        pyscreeze.PyScreezeException: StepError,
        cv2.error: StepError,
    }
    if sys.platform != "win32":
        from Xlib import error as xerror

        found.update({xerror.ConnectionClosedError: TargetSystemError, xerror.DisplayError: TargetSystemError,
                      xerror.XauthError: TargetSystemError, xerror.XNoAuthError: TargetSystemError,
                      xerror.ResourceIDError: StepError, xerror.XError: StepError})
    return found


#: What each exception becomes; the most specific first (checked in order).
BASE_MAPPED: dict[type[BaseException], type[BaseException]] = {
    subprocess.TimeoutExpired: StepTimeout,
    subprocess.CalledProcessError: StepError,
    PlatformError: TargetSystemError,
    OSError: StepError,
}


def mapped() -> dict[type[BaseException], type[BaseException]]:
    """The whole mapping, third-party classes first (some subclass OSError)."""
    return {**_third_party(), **BASE_MAPPED}


def translate(exc: BaseException, what: str) -> BaseException:
    """The Kazaguruma exception for ``exc`` raised while doing ``what``."""
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    for source, target in mapped().items():
        if isinstance(exc, source):
            if target is RunHalted:
                return RunHalted(tr("フェイルセーフ: マウスが画面の隅に動かされたため停止します",
                                    "fail-safe: the mouse was moved into a screen corner; stopping"))
            if issubclass(target, StepError):
                return target(tr("{w}: {d}", "{w}: {d}", w=what, d=detail))
    return StepError(tr("{w}: 予期しないエラー: {d}", "{w}: unexpected error: {d}", w=what, d=detail))


@contextmanager
def edge(what: str) -> Iterator[None]:
    """Run a block of desktop calls; any third-party exception leaves translated."""
    try:
        yield
    except (KazagurumaError, RunHalted):
        raise
    except Exception as exc:
        raise translate(exc, what) from exc

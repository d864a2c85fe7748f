"""Parameters of the desktop steps (``desktop.*``): typed, ``extra="forbid"``.

``window`` names the window a step expects, either as a screen of the system's selector map
(its ``window:`` title pattern) or as a title regular expression. Keyboard steps refuse to
type when that window (or, if the step names none, the window the flow last focused) does
not have the focus.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from bots.registry import Params


class DesktopParams(Params):
    system: str | None = None


class LaunchParams(DesktopParams):
    shorthand: ClassVar[str | None] = "command"

    #: The program and its arguments (a string is split like a shell would, without a shell).
    command: str | list[str]
    cwd: str | None = None
    #: Wait for this window (screen name or title pattern) and focus it.
    window: str | None = None


class WindowParams(DesktopParams):
    shorthand: ClassVar[str | None] = "window"

    window: str


class WaitWindowParams(WindowParams):
    state: Literal["shown", "gone"] = "shown"
    #: Focus the window once shown (keyboard steps then expect it).
    focus: bool = True


class ClickParams(DesktopParams):
    shorthand: ClassVar[str | None] = "target"
    target_fields: ClassVar[tuple[str, ...]] = ("target",)

    target: str
    button: Literal["left", "right", "middle"] = "left"
    clicks: int = Field(1, ge=1, le=3)


class KeyboardParams(DesktopParams):
    #: The window that must have the focus (default: the one the flow last focused).
    window: str | None = None


class TypeParams(KeyboardParams):
    target_fields: ClassVar[tuple[str, ...]] = ("target",)

    value: Any
    #: Click this element first (e.g. an entry field).
    target: str | None = None
    #: Select all and delete what the field holds first.
    clear: bool = False


class HotkeyParams(KeyboardParams):
    shorthand: ClassVar[str | None] = "keys"

    #: ``ctrl+s`` or ``[ctrl, s]``.
    keys: str | list[str]


class PressParams(KeyboardParams):
    shorthand: ClassVar[str | None] = "key"

    key: str
    times: int = Field(1, ge=1, le=100)


class ReadTextParams(KeyboardParams):
    target_fields: ClassVar[tuple[str, ...]] = ("target",)

    into: str
    #: The element or region to read; with ``via: clipboard`` it is clicked first (optional).
    target: str | None = None
    via: Literal["ocr", "clipboard"] = "ocr"
    #: Keep the first group (or the whole match) of this regular expression.
    pattern: str | None = None
    lang: str = "jpn"
    #: Keys that select the field's text and copy it (``via: clipboard``).
    select_all: str = "ctrl+a"
    copy_keys: str = "ctrl+c"

    def assigned_names(self) -> list[str]:
        return [self.into]


class WaitForParams(DesktopParams):
    shorthand: ClassVar[str | None] = "target"
    target_fields: ClassVar[tuple[str, ...]] = ("target",)

    target: str
    state: Literal["visible", "hidden"] = "visible"


class ScreenshotParams(DesktopParams):
    shorthand: ClassVar[str | None] = "name"

    name: str = "desktop"
    #: Only this window (screen name or title pattern); the whole screen otherwise.
    window: str | None = None


class VerifyFieldParams(KeyboardParams):
    target_fields: ClassVar[tuple[str, ...]] = ("target",)

    value: Any
    #: Click this element first; otherwise the focused field is read.
    target: str | None = None
    select_all: str = "ctrl+a"
    copy_keys: str = "ctrl+c"


class CloseParams(DesktopParams):
    shorthand: ClassVar[str | None] = "system"

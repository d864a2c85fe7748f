"""Parameter types shared by the step families: what a value typed into a screen may be.

A value typed, filled, selected or compared is one scalar (text, number, date, true/false, or
empty) — or an expression that renders to one. A mapping or a list written there (``value: {}``)
is a mistake in the flow file: refused at validation at its ``file:line:col``, not typed as
``{}`` into a citizen's record. A command or a key combination must name something.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from bots.i18n import tr


def _scalar(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple, set)):
        raise ValueError(tr("ここには一つの値（文字・数値・日付、または {{ }} の式）を書いてください。"
                            "マッピングやリストは入力できません",
                            "write one value here (text, a number, a date, or a {{ }} expression); "
                            "a mapping or a list cannot be typed"))
    return value


def _words(value: str | list[str]) -> str | list[str]:
    items = [value] if isinstance(value, str) else value
    if not items or not str(items[0]).strip():
        raise ValueError(tr("空です。起動するプログラム（キー）を書いてください", "empty: name the program (or keys)"))
    if any(not str(item).strip() for item in items):
        raise ValueError(tr("空の要素があります", "an item is empty"))
    return value


#: One value to type or compare (a mapping or a list is refused at validation).
ScalarValue = Annotated[Any, BeforeValidator(_scalar)]
#: A program with its arguments, or keys pressed together: never empty.
Words = Annotated[str | list[str], AfterValidator(_words)]

"""Selector drift: an element found by a fallback candidate, not its first (the screen changed)."""

from __future__ import annotations

from bots.i18n import tr


def drift_message(key: str, first: str, number: int, chosen: str) -> str:
    """The notice text, shared by the browser and desktop adapters."""
    return tr("セレクタのずれ: {k} は第1候補 ({p}) で見つからず、第{n}候補 ({c}) で見つかりました",
              "selector drift: {k} not found by its first candidate ({p}) but by candidate {n} ({c})",
              k=key, p=first, n=number, c=chosen)

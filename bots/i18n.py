"""User-facing text: Japanese first, English available (``KZ_LANG=en`` or ``--lang en``).

Messages are written inline as pairs, ``tr("見つかりません", "not found")``, so the two
languages sit side by side where the message is raised and cannot drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Literal

Language = Literal["ja", "en"]
_current: Language | None = None


def set_language(language: str | None) -> None:
    """Fix the language for this process (``--lang``): ``en…`` is English, else Japanese; None unsets."""
    global _current
    _current = "en" if (language or "").lower().startswith("en") else ("ja" if language else None)


def language() -> Language:
    """The language now: the one set, else ``KZ_LANG`` read on each call (it may be set after import)."""
    if _current is not None:
        return _current
    return "en" if os.environ.get("KZ_LANG", "ja").lower().startswith("en") else "ja"


def tr(ja: str, en: str, /, **values: object) -> str:
    """The message in the current language, formatted with ``values``."""
    text = en if language() == "en" else ja
    return text.format(**values) if values else text


def listing(items: Iterable[str]) -> str:
    """Items as a list in running text: 「A、B」 in Japanese, "A, B" in English."""
    return tr("、", ", ").join(items)

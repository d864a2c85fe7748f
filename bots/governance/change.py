"""One difference between two versions of a flow, as a sentence, and how values are shown in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bots.i18n import listing, tr

ChangeKind = Literal["added", "removed", "changed"]
Area = Literal["metadata", "steps", "selectors", "form"]


@dataclass(frozen=True)
class Change:
    """One difference, as a sentence: ``text`` says what, ``where`` where (block and position,
    selector element, or the metadata field)."""

    kind: ChangeKind
    where: str
    text: str
    area: Area = "steps"

    def __str__(self) -> str:
        return self.text


def shown(value: Any) -> str:
    """A metadata value in one line: （なし） for nothing, lists joined, mappings as key=value."""
    if value is None or value == [] or value == {} or value == "":
        return tr("（なし）", "(none)")
    if isinstance(value, list):
        return listing(shown(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={shown(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return " ".join(str(value).split())


def plain(value: Any) -> Any:
    """Tuples as lists, so a changed setting reads the same as a list in YAML."""
    return list(value) if isinstance(value, tuple) else value


def model_text(value: Any) -> str:
    """A pydantic model (or plain value) in one line, defaults left out."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(exclude_defaults=True)
    return shown(value)

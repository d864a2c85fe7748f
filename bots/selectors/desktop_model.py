"""The desktop parts of selector maps (``kind: desktop``): what a candidate may be, where images live.

A desktop element is found by an image template (OpenCV, ``confidence``, ``scales``), by
on-screen text (OCR), by a point or a region relative to its screen's window. Image files are
relative to the map's folder (``selectors/``) and must exist when the map loads: a missing file
is a diagnostic at its ``image:`` line, not a failure in the middle of a run. ``recorded`` notes
the screen the images were captured on; a run on another resolution or scale refuses to start
matching (see :func:`bots.adapters.desktop.check_recorded`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationInfo

from bots.i18n import tr
from bots.spec.types import FrozenModel

#: ``near_label``: the form control next to a label text the page does not tie to it (no ``for=``).
WEB_KINDS = ("role", "label", "text", "placeholder", "css", "xpath", "near_label")
DESKTOP_KINDS = ("image", "text", "point", "region")
#: Multi-scale matching tries these factors (1.0 first) when a candidate gives none.
DEFAULT_SCALES = (1.0, 0.9, 1.1, 0.8, 1.25)
DEFAULT_CONFIDENCE = 0.9


class Recorded(FrozenModel):
    """The screen the map's images were captured on."""

    width: int = Field(gt=0)
    height: int = Field(gt=0)
    #: Display scaling (Windows 125 % → 1.25); Xvfb is always 1.0.
    scale: float = Field(1.0, gt=0)


def map_kind(info: ValidationInfo) -> str:
    """The map's kind from the validation context, so a candidate knows which kinds are allowed."""
    context = info.context if isinstance(info.context, dict) else {}
    return str(context.get("kind") or "web")


def check_image_file(value: str, info: ValidationInfo) -> str:
    """An ``image:`` names an existing file (relative to the map's folder, given in the context)."""
    context: dict[str, Any] = info.context if isinstance(info.context, dict) else {}
    folder = context.get("folder")
    if isinstance(folder, Path) and not (folder / value).is_file():
        raise ValueError(tr("画像ファイルがありません: {p}", "image file not found: {p}", p=folder / value))
    return value


def check_candidate_kinds(given: list[str], kind: str) -> None:
    """A web map's candidates are locators; a desktop map's are images, texts, points, regions."""
    allowed = DESKTOP_KINDS if kind == "desktop" else WEB_KINDS
    if len(given) != 1 or given[0] not in allowed:
        raise ValueError(tr("候補には {k} のどれか一つを書いてください", "write exactly one of {k}",
                            k=" / ".join(allowed)))

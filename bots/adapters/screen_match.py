"""Find an image template on the screen: OpenCV normalised cross-correlation, several scales.

Templates are matched in grayscale (colour themes and ClearType tints vary between PCs) with
``TM_CCOEFF_NORMED``, whose score (−1…1) is the ``confidence``. Scales are tried in the order
given, 1.0 first, and the first one reaching the confidence wins: the usual case costs one
``matchTemplate`` call (~10 ms on a 1280×800 screen).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from bots.platform.desktop import Rect

Gray = NDArray[np.uint8]


@dataclass(frozen=True)
class Match:
    """Where a template was found, with the score reached and the scale that matched."""

    rect: Rect  #: in the pixels of the image searched
    score: float
    scale: float


def to_gray(image: Image.Image) -> Gray:
    """A screenshot as matched: grayscale, since colour themes and ClearType tints vary between PCs."""
    return np.asarray(image.convert("L"), dtype=np.uint8)


def load_template(path: Path) -> Gray:
    """A template file as grayscale; raises OSError when it cannot be read (cached per mtime)."""
    return _load(path, path.stat().st_mtime)


@lru_cache(maxsize=256)
def _load(path: Path, _mtime: float) -> Gray:
    # imdecode(fromfile): cv2.imread cannot open non-ASCII paths on Windows.
    image = cv2.imdecode(np.fromfile(str(path), dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise OSError(f"not an image: {path}")
    return np.asarray(image, dtype=np.uint8)


def best_match(haystack: Gray, template: Gray, *, confidence: float, scales: tuple[float, ...]) -> tuple[
    Match | None, float
]:
    """The first scale whose best location reaches ``confidence`` (and the best score seen)."""
    best = -1.0
    for scale in scales:
        sized = template if scale == 1.0 else cv2.resize(
            template, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        height, width = sized.shape[:2]
        if height < 4 or width < 4 or height > haystack.shape[0] or width > haystack.shape[1]:
            continue
        scores = np.nan_to_num(cv2.matchTemplate(haystack, sized, cv2.TM_CCOEFF_NORMED), nan=0.0, posinf=0.0)
        _, top, _, (x, y) = cv2.minMaxLoc(scores)
        best = max(best, float(top))
        if top >= confidence:
            return Match(Rect(int(x), int(y), int(width), int(height)), float(top), scale), best
    return None, best

"""A text field's crop → the images tesseract reads: one set per reading (:data:`READINGS`), each
split into the runs of ink between full-width spaces.

The crop is cleaned (:mod:`bots.ocr.clean`), smoothed, scaled to the reading's text height and
binarised with a local (adaptive) threshold: strokes come out a little bold, which the models read
best, and thin Mincho strokes at 150 dpi do not break up as under a global threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from bots.ocr.clean import cleaned_ink, gaps

Gray = NDArray[np.uint8]

#: The readings of a text field: (text height in px, adaptive-threshold offset, model: an index into
#: :func:`bots.ocr.fields._engines`; with one model installed, all readings are its own).
READINGS: tuple[tuple[int, int, int], ...] = tuple(
    (height, offset, model) for height, offset in ((40, 12), (32, 12), (56, 12), (40, 24)) for model in (0, 1))
PAD = 16  #: white margin around the ink (px), tesseract needs some


@dataclass(frozen=True)
class Prepared:
    """One reading's images of a text field: one per run of ink between full-width spaces."""

    segments: tuple[Gray, ...]
    spacing_doubt: bool = False  #: a gap of doubtful width (a space or not?)


def prepare(crop: Gray, paper: float, ink: float) -> list[Prepared]:
    """The cleaned images of a text crop, one :class:`Prepared` per reading; [] when there is no
    ink in the zone."""
    found = cleaned_ink(crop, paper, ink)
    if found is None:
        return []
    dark, mask, (y0, y1, x0, x1) = found
    height = y1 - y0
    margin = max(2, height // 6)
    rows = slice(max(0, y0 - margin), y1 + margin)
    smooth = np.asarray(cv2.GaussianBlur(crop, (3, 3), 0), dtype=np.uint8)
    # What cleaning erased (rules, seal rims, specks, with their grey fringe) stays erased; the rest
    # is left to the adaptive threshold, which keeps faint strokes such as a blurred dakuten.
    erased = cv2.dilate((dark & ~mask).astype(np.uint8) * 255, np.ones((5, 5), np.uint8))
    allowed = np.asarray(np.where(erased > 0, 0, 255), dtype=np.uint8)
    wide, doubtful = gaps(mask[y0:y1, x0:x1], height)
    # Runs of ink between full-width spaces, each read on its own and joined with "　".
    edges = [x0] + [x for gap in wide for x in (x0 + gap[0], x0 + gap[1])] + [x1]
    spans = [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2)]
    prepared = []
    for target, offset, _cross in READINGS:
        scale = target / max(height, 1)
        block = max(15, int(target * 1.5) | 1)
        segments = []
        for left, right in spans:
            cols = slice(max(0, left - margin), right + margin)
            # Locally adaptive threshold: strokes come out a little bold, which the model reads best
            # (thin Mincho strokes at 150 dpi break up under a global threshold).
            binary = cv2.adaptiveThreshold(_resize(smooth[rows, cols], scale), 255,
                                           cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, offset)
            image = np.where(_resize(allowed[rows, cols], scale) > 0, binary, 255).astype(np.uint8)
            segments.append(_pad(image))
        prepared.append(Prepared(tuple(segments), bool(doubtful)))
    return prepared


def _resize(image: Gray, scale: float) -> Gray:
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation), dtype=np.uint8)


def _pad(image: Gray) -> Gray:
    return np.asarray(cv2.copyMakeBorder(image, PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=255),
                      dtype=np.uint8)

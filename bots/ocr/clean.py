"""Cleaning the ink of a field crop: what is a character, what is a box rule, a seal rim or a speck,
and where the full-width spaces are. Masks in, masks out (bots.ocr.prepare makes the images)."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

_SPECK = 3  #: px at WORK_DPI: scanner noise; a dakuten or the dot of 京 is larger
#: Ink gaps, in text heights: from _WIDE_GAP a full-width space; from _DOUBT_GAP doubtful. Measured on
#: 120 demo forms: letter spacing ≤ 0.76 (beside narrow kana), full-width spaces ≥ 1.12.
_DOUBT_GAP, _WIDE_GAP = 0.85, 0.97


def gaps(ink: NDArray[np.bool_], height: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The column gaps (start, end px from the ink's left edge) that are, or may be, spaces."""
    filled: list[bool] = np.asarray(ink.any(axis=0), dtype=bool).tolist()
    wide: list[tuple[int, int]] = []
    doubtful: list[tuple[int, int]] = []
    start = None
    for x, inked in enumerate(filled):
        if not inked and start is None:
            start = x
        elif inked and start is not None:
            width = (x - start) / max(height, 1)
            if width >= _WIDE_GAP:
                wide.append((start, x))
            elif width >= _DOUBT_GAP:
                doubtful.append((start, x))
            start = None
    return wide, doubtful


def clean(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Erase long thin lines (residual box rules), seal rings and specks; keep the characters."""
    height, width = mask.shape
    binary = mask.astype(np.uint8) * 255
    # A rule is far longer than any stroke: vertical ones span most of the zone's height, horizontal
    # ones several character widths (a character is at most ~the zone height wide).
    vertical = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(
        cv2.MORPH_RECT, (1, max(3, int(height * 0.85)))))
    horizontal = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(
        cv2.MORPH_RECT, (max(3, int(height * 2.5)), 1)))
    lines = cv2.dilate(cv2.bitwise_or(vertical, horizontal), np.ones((3, 3), np.uint8))
    binary[lines > 0] = 0
    count, labels, found, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    stats = np.asarray(found, dtype=np.int32)
    keep = np.zeros(count, dtype=bool)
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        touches = x == 0 or y == 0 or x + w >= width or y + h >= height
        # Printed values sit inside the zone at most ~2/3 of its height: anything taller is a rule
        # or a seal ring; a thin fragment cut by the crop edge is a rule's end, not half a character.
        if area <= _SPECK or h >= 0.8 * height or (touches and (w < height * 0.25 or h < height * 0.25)):
            continue
        keep[label] = True
    _drop_stray_runs(keep, stats, height)
    return np.asarray(keep[labels], dtype=np.bool_)


def _drop_stray_runs(keep: NDArray[np.bool_], stats: NDArray[np.int32], height: int) -> None:
    """Drop ink far right or left of the value that touches the zone's top or bottom edge: a seal's
    rim or characters (on a grayscale scan the seal's red is lost) beside a value, never the value."""
    labels = sorted((int(label) for label in np.flatnonzero(keep)), key=lambda label: int(stats[label][0]))
    if not labels:
        return
    runs: list[list[int]] = [[labels[0]]]
    right = int(stats[labels[0]][0] + stats[labels[0]][2])
    for label in labels[1:]:
        x, w = int(stats[label][0]), int(stats[label][2])
        if x - right > 1.2 * height:  # a gap wider than ~2 characters of the largest size
            runs.append([])
        runs[-1].append(label)
        right = max(right, x + w)
    if len(runs) == 1:
        return
    main = max(runs, key=lambda run: sum(int(stats[label][4]) for label in run))
    for run in runs:
        edge = any(stats[label][1] == 0 or stats[label][1] + stats[label][3] >= height for label in run)
        if run is not main and edge:
            keep[run] = False


def ink_box(mask: NDArray[np.bool_]) -> tuple[int, int, int, int] | None:
    """The ink's bounding box as (top, bottom, left, right), ends exclusive; None when there is no ink."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0 or len(cols) == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def cleaned_ink(crop: NDArray[np.uint8], paper: float, ink: float
                ) -> tuple[NDArray[np.bool_], NDArray[np.bool_], tuple[int, int, int, int]] | None:
    """A crop's dark pixels, its cleaned ink (:func:`clean`) and the ink's box; None when there is no ink.
    The common start of every reading of a text crop (tesseract, PP-OCR, the ink checks)."""
    if crop.size == 0:
        return None
    dark = crop < (paper + ink) / 2
    mask = clean(dark)
    box = ink_box(mask)
    return None if box is None else (dark, mask, box)

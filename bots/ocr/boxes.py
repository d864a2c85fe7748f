"""The printed structure of a form's sample scan: its skew, its corner marks, its boxes.

Used to draft a template from a sample (:mod:`bots.ocr.draft`), not when reading forms. A box is
what a person writes into: a rectangle closed by printed rules, a table's cell as well. Rules are
found as long thin runs of ink (a morphological opening with a line a few mm long), so text,
which has no straight stroke that long, leaves no rule; the boxes are then the areas of paper the
rules enclose (a connected component of "not rule" that does not reach the page's edge). An area
that encloses other boxes (a table's frame, a row holding a checkbox) is a frame, not a box.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

Gray = NDArray[np.uint8]

#: A rule is at least this long (mm): longer than any stroke of 7 mm text, shorter than a checkbox's side.
RULE_MIN_MM = 4.5
#: Boxes narrower or lower than this (mm) are gaps between double rules or parts of glyphs.
BOX_MIN_MM = 4.5
#: A box covering this share of the page (either side) is the page's frame, not a field.
PAGE_SHARE = 0.9
#: Ink is this much darker (0–255) than its surroundings: black print and rules are ~200 darker, a red
#: seal seen through the red channel ~50, scanner noise < 20.
_INK_CONTRAST = 60
#: Skew search (degrees): flatbed and feeder scans stay within ±5°.
_MAX_SKEW, _SKEW_STEP = 5.0, 0.1
#: Corner marks: filled dark squares of 4–15 mm within this distance (mm) of a page corner.
_MARK_SIDE_MM, _MARK_REACH_MM = (4.0, 15.0), 40.0


@dataclass(frozen=True)
class Box:
    """The paper inside a box's rules, in pixels (x, y: top-left; w, h: size)."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        """The first column past the box."""
        return self.x + self.w

    @property
    def bottom(self) -> int:
        """The first row past the box."""
        return self.y + self.h

    def contains(self, other: Box) -> bool:
        """Whether ``other`` lies inside this box (a frame holding a box)."""
        return other is not self and self.x <= other.x and self.y <= other.y and \
            other.right <= self.right and other.bottom <= self.bottom


def ink_mask(gray: Gray, px_per_mm: float) -> NDArray[np.uint8]:
    """Ink (255) against paper (0), by a local threshold: uneven light of a phone photo, a box's grey
    fill and a red seal (in the red channel) all count as paper."""
    block = max(3, int(px_per_mm * 12) | 1)
    smooth = cv2.GaussianBlur(gray, (3, 3), 0)
    return np.asarray(cv2.adaptiveThreshold(smooth, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                            block, _INK_CONTRAST), dtype=np.uint8)


def skew_angle(gray: Gray, px_per_mm: float) -> float:
    """The rotation (degrees, counter-clockwise as :func:`cv2.getRotationMatrix2D` takes it) that
    makes the page's rules and text lines horizontal: the angle whose row sums are the most peaked."""
    factor = min(1.0, 4.0 / px_per_mm)
    ink = ink_mask(np.asarray(cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA),
                              dtype=np.uint8), px_per_mm * factor)
    centre = (ink.shape[1] / 2, ink.shape[0] / 2)

    def peakedness(angle: float) -> float:
        turned = cv2.warpAffine(ink, cv2.getRotationMatrix2D(centre, angle, 1.0), (ink.shape[1], ink.shape[0]))
        rows = turned.sum(axis=1, dtype=np.float64)
        return float(np.dot(rows, rows))

    coarse = max(np.arange(-_MAX_SKEW, _MAX_SKEW + 1e-9, _SKEW_STEP * 5), key=peakedness)
    return float(max(np.arange(coarse - _SKEW_STEP * 5, coarse + _SKEW_STEP * 5 + 1e-9, _SKEW_STEP),
                     key=peakedness))


def rules(ink: NDArray[np.uint8], px_per_mm: float) -> NDArray[np.uint8]:
    """The printed rules (255): horizontal and vertical runs of ink at least :data:`RULE_MIN_MM` long."""
    length = max(3, round(RULE_MIN_MM * px_per_mm))
    across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    # Close the hairline gaps a scan leaves where two rules meet, so a box is really closed.
    joined = cv2.bitwise_or(across, down)
    return np.asarray(cv2.dilate(joined, np.ones((3, 3), np.uint8)), dtype=np.uint8)


def find_boxes(gray: Gray, px_per_mm: float) -> list[Box]:
    """The boxes of an upright page (see the module docstring), top to bottom, left to right."""
    lines = rules(ink_mask(gray, px_per_mm), px_per_mm)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.bitwise_not(lines), connectivity=4)
    height, width = gray.shape
    least = BOX_MIN_MM * px_per_mm
    found: list[Box] = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        touches_edge = x == 0 or y == 0 or x + w == width or y + h == height
        if touches_edge or w < least or h < least or w > PAGE_SHARE * width or h > PAGE_SHARE * height:
            continue
        if area < 0.5 * w * h:  # an L or a ring of paper between rules: not a box
            continue
        found.append(Box(x, y, w, h))
    boxes = [box for box in found if not any(box.contains(other) for other in found)]
    return sorted(boxes, key=lambda b: (b.y, b.x))


def corner_marks(gray: Gray, px_per_mm: float) -> NDArray[np.float32] | None:
    """Centres (4×2: top-left, top-right, bottom-left, bottom-right) of filled squares near the four
    corners of an upright page, or None when a corner has none (the form carries no marks)."""
    _, ink = cv2.threshold(cv2.GaussianBlur(gray, (3, 3), 0), 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    count, _, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    low, high = (side * px_per_mm for side in _MARK_SIDE_MM)
    squares = []
    for label in range(1, count):
        _, _, w, h, area = (int(v) for v in stats[label])
        if low <= min(w, h) and max(w, h) <= high and min(w, h) / max(w, h) >= 0.8 and area >= 0.8 * w * h:
            squares.append(centroids[label])
    if not squares:
        return None
    points = np.array(squares, dtype=np.float32)
    height, width = gray.shape
    reach = _MARK_REACH_MM * px_per_mm
    chosen = []
    for cx, cy in ((0, 0), (width, 0), (0, height), (width, height)):
        distance = np.hypot(points[:, 0] - cx, points[:, 1] - cy)
        if distance.min() > reach:
            return None
        chosen.append(points[int(np.argmin(distance))])
    return np.array(chosen, dtype=np.float32)


def mark_side_px(gray: Gray, centre: NDArray[np.float32], px_per_mm: float) -> float:
    """The side (px) of the filled square around ``centre``: its ink area's square root."""
    half = round(_MARK_SIDE_MM[1] * px_per_mm / 2) + 2
    x, y = round(float(centre[0])), round(float(centre[1]))
    patch = gray[max(0, y - half):y + half, max(0, x - half):x + half]
    _, ink = cv2.threshold(patch, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    count, labels = cv2.connectedComponents(ink)
    own = labels[min(y, half), min(x, half)]
    return float(np.sqrt(np.count_nonzero(labels == own))) if own else 0.0

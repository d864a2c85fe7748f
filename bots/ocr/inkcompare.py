"""Which of two near-identical texts a line of ink holds: the comparisons behind the look-alike and
width checks (:mod:`bots.ocr.confusables`).

:mod:`bots.ocr.glyphs` compares a drawing with the ink over whole characters, stretched to the
line's width: right for choosing between readings that differ in a stroke or two, too blunt where
two characters share all but a small ring (ポ/ボ: 0.8–0.9 of each other on a blurred scan) or differ
in size (ロ/口) or width (２/2). Here both texts are drawn in one frame at the ink's own scale and
compared where they differ.

The ink is a grey image of one run (ink 255, paper 0), cut to its ink and :data:`SIZE` px high,
blurred (``bots.ocr.confusables.ink_runs``).
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from bots.ocr.glyphs import SIZE, Gray

_SHIFT = 2  #: px a drawing may move up or down to fit the ink
_DIFFERS = 48  #: grey levels (of 255) by which two blurred drawings differ where a stroke is in one only
#: Fewer differing pixels (at SIZE) than this between two drawings: nothing to tell them by.
_MIN_DIFFERENT = 12
_NEAR = 1  #: px (at SIZE) within which a stroke of one drawing counts as the other's, drawn aside
_OVERHANG = 0.3  #: of the line's height: room above and below it for a rival's taller strokes


def contrast(ink: Gray, text: str, other: str, font: str, char: int) -> float:
    """Which of ``text`` and ``other`` (``text`` with the character at ``char`` replaced) the ink
    holds, judged where their drawings differ: +0.5 exactly ``text``, −0.5 exactly ``other``, 0 no
    telling. It is the ink's projection on the drawings' difference (the difference of their squared
    distances, scaled), so a stroke edge one drawing has a pixel further counts little and a ring
    one has and the other has not counts much.

    Both are drawn at the ink's scale, the character with a neighbour each side (a rival of another
    advance, I for 1, moves its neighbour: that shows too), thickened to the print's stroke width and
    placed on the ink by the strokes they share, within an em of where the line's proportions put
    them (print and drawing drift apart along a line). The ink is cut to its own box, which a taller
    character changes (卜 for ト, a dakuten above the line): the frame is ``text``'s box or
    ``other``'s, whichever the shared strokes fit best — never one chosen for a side."""
    drawn = _pair(text, other, font)
    frames = [drawn.boxes[0]] + ([drawn.boxes[1]] if drawn.boxes[1] != drawn.boxes[0] else [])
    return min(_lean(ink, text, other, font, char, drawn, frame) for frame in frames)[1]


def same_advance(one: str, other: str, font: str) -> bool:
    """Whether two characters take the same room on a line (ポ/ボ yes; I/1, ２/2 no)."""
    face = _face(font)
    return abs(face.getlength(one) - face.getlength(other)) <= 0.02 * SIZE


def placed_distance(ink: Gray, text: str, font: str, chars: tuple[int, int]) -> float:
    """Root-mean-square difference between the ink and the characters ``chars`` of ``text``, drawn at
    the ink's scale (its height; not stretched to its width) at their best place anywhere along it.

    For a change of width (２ or 2): a drawing stretched to the ink's width spreads a character's
    wrong advance over the line, and a space the reading leaves out (「…3号 コーポ」) moves the rest.
    Drawn at scale, the stretch keeps its own advances, and it is found wherever it is printed."""
    drawn = _pair(text, text, font)
    top, bottom, left, right = drawn.boxes[0]
    scale = ink.shape[0] / max(bottom - top, 1)
    line = _scaled(drawn.mine[top:bottom, left:right], scale, ink.shape[0])
    face = _face(font)
    x0 = min(line.shape[1] - 1, max(0, int((drawn.origin - left + face.getlength(text[: chars[0]])) * scale)))
    x1 = min(line.shape[1], max(x0 + 1, int((drawn.origin - left + face.getlength(text[: chars[1]])) * scale)))
    region = np.pad(ink, ((_SHIFT, _SHIFT), (x1 - x0, x1 - x0))).astype(np.float32)
    best = float("inf")
    for grow in range(4):
        stretch = np.ascontiguousarray(_thick(line, grow)[:, x0:x1], dtype=np.float32)
        squares = cv2.matchTemplate(region, stretch, cv2.TM_SQDIFF)
        best = min(best, float(np.sqrt(max(float(squares.min()), 0.0) / stretch.size)))
    return best


class _Drawn:
    """Two texts drawn at the same pen position on one canvas, each one's ink box (top, bottom, left,
    right) on it, and where the pen starts (x)."""

    def __init__(self, mine: Gray, theirs: Gray, boxes: tuple[tuple[int, int, int, int], ...], origin: float):
        self.mine, self.theirs, self.boxes, self.origin = mine, theirs, boxes, origin


@cache
def _pair(text: str, other: str, font: str) -> _Drawn:
    face = _face(font)
    bounds = [face.getbbox(t) for t in (text, other)]
    left, top = min(int(b[0]) for b in bounds), min(int(b[1]) for b in bounds)
    right, bottom = max(int(b[2]) for b in bounds), max(int(b[3]) for b in bounds)
    margin = int(_OVERHANG * SIZE) + 4
    images, boxes = [], []
    for t in (text, other):
        image = Image.new("L", (right - left + 2 * margin, bottom - top + 2 * margin), 0)
        ImageDraw.Draw(image).text((margin - left, margin - top), t, font=face, fill=255)
        pixels = np.asarray(image, dtype=np.uint8)
        rows, cols = np.flatnonzero(pixels.max(axis=1) > 127), np.flatnonzero(pixels.max(axis=0) > 127)
        if len(rows) == 0:  # nothing this font can draw
            rows = cols = np.array([margin, margin + 1])
        images.append(pixels)
        boxes.append((int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1))
    return _Drawn(images[0], images[1], tuple(boxes), float(margin - left))


def _lean(ink: Gray, text: str, other: str, font: str, char: int, drawn: _Drawn,
          frame: tuple[int, int, int, int]) -> tuple[float, float]:
    """(how unlike the ink the shared strokes are, the lean towards ``text``) with the ink's box taken
    to be ``frame`` (:func:`contrast`)."""
    top, bottom, left, right = frame
    scale = ink.shape[0] / max(bottom - top, 1)
    room = int(_OVERHANG * (bottom - top))
    rows = slice(max(0, top - room), bottom + room)
    above = int(round((top - rows.start) * scale))
    mine, theirs = (_scaled(d[rows, left:right], scale, None) for d in (drawn.mine, drawn.theirs))
    face = _face(font)
    first, last = max(0, char - 1), min(len(text), char + 2)
    start = drawn.origin - left
    x0 = min(mine.shape[1] - 1, max(0, int((start + face.getlength(text[:first])) * scale)))
    end = max(face.getlength(text[:last]), face.getlength(other[:last]))
    x1 = min(mine.shape[1], max(x0 + 1, int(round((start + end) * scale))))
    expected = int(x0 * ink.shape[1] / mine.shape[1])
    below = max(0, mine.shape[0] - above - ink.shape[0])
    region = np.pad(ink, ((above + _SHIFT, below + _SHIFT), (SIZE, SIZE + x1 - x0))).astype(np.float32)
    region = region[:, max(0, expected) : expected + 2 * SIZE + 2 * (x1 - x0)]
    best = (float("inf"), 0.0)
    near = np.ones((2 * _NEAR + 1, 2 * _NEAR + 1), np.uint8)
    for grow in range(4):
        a, b = (np.ascontiguousarray(_thick(d, grow)[:, x0:x1], dtype=np.float32) for d in (mine, theirs))
        # Strokes one drawing has and the other has nowhere near: the ring of ポ, the ticks of ボ, the
        # longer stroke of 卜. A stroke the other draws a pixel or two aside (ピ's narrower ヒ) is none.
        sharp_a, sharp_b = (_bold(d, grow)[:, x0:x1] > 127 for d in (mine, theirs))
        only_a = sharp_a & (cv2.dilate(sharp_b.astype(np.uint8), near) == 0)
        only_b = sharp_b & (cv2.dilate(sharp_a.astype(np.uint8), near) == 0)
        if np.count_nonzero(only_a) + np.count_nonzero(only_b) < _MIN_DIFFERENT \
                or region.shape[1] < a.shape[1] or region.shape[0] < a.shape[0]:
            return best
        shared = ~(only_a | only_b)
        x, y = cv2.minMaxLoc(cv2.matchTemplate(region, a, cv2.TM_SQDIFF, mask=shared.astype(np.float32)))[2]
        patch = region[y : y + a.shape[0], x : x + a.shape[1]]
        # Frames and stroke widths are compared by how the shared strokes correlate with the ink: a
        # mean difference would favour the smaller drawing (more paper in it).
        unlike = 1.0 - _correlation(patch[shared], a[shared])
        if unlike < best[0]:
            best = (unlike, _presence(patch, a, only_a, b, only_b))
    return best


def _presence(ink: NDArray[np.float32], a: NDArray[np.float32], only_a: NDArray[np.bool_],
              b: NDArray[np.float32], only_b: NDArray[np.bool_]) -> float:
    """From +0.5 (the ink has every stroke only ``a`` has and none only ``b`` has) to −0.5 (the
    reverse), weighted by the strokes' pixels."""
    held = [(float((ink[m] * d[m]).sum()) / max(float((d[m] ** 2).sum()), 1e-6), int(m.sum()), sign)
            for d, m, sign in ((a, only_a, 1), (b, only_b, -1)) if m.any()]
    total = sum(count for _, count, _ in held)
    return sum(count * (min(share, 1.0) if sign > 0 else 1.0 - min(share, 1.0)) for share, count, sign in held) \
        / total - 0.5


def _correlation(one: np.ndarray, other: np.ndarray) -> float:
    spread = float(one.std()) * float(other.std())
    if spread <= 1e-6:
        return 0.0
    return float(((one - one.mean()) * (other - other.mean())).mean()) / spread


def _scaled(image: Gray, scale: float, height: int | None) -> Gray:
    size = (max(1, round(image.shape[1] * scale)), height or max(1, round(image.shape[0] * scale)))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _bold(image: Gray, grow: int) -> Gray:
    """Thickened by ``grow`` px: the print's stroke width."""
    return image if grow == 0 else np.asarray(cv2.dilate(image, np.ones((grow + 1, grow + 1), np.uint8)), dtype=np.uint8)


def _thick(image: Gray, grow: int) -> Gray:
    """Thickened by ``grow`` px and blurred like the ink."""
    return np.asarray(cv2.GaussianBlur(_bold(image, grow), (0, 0), 2.0), dtype=np.uint8)


@cache
def _face(font: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font, SIZE, index=0)

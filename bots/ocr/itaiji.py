"""Itaiji (異体字) in names: the OCR models do not know 髙, 﨑 or 𠮷 and read them, confidently and
both alike, as 高, 崎, 吉 — a changed name, which must never be keyed. Agreement cannot catch it.

So wherever a reading holds a character that has a common name variant (:data:`VARIANTS`), the
ink is compared with the text rendered both ways, in the print fonts at hand (Noto Sans/Serif CJK;
MS/Yu Gothic and Mincho on Windows): if a variant fits the ink as well as the standard character
(within :data:`_MARGIN`), the field goes to review. Both renderings are scaled onto the ink's box
and blurred, so print size, weight and scan blur matter less than the strokes that differ.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

Gray = NDArray[np.uint8]

#: Standard character → its variants common in names (the models read each variant as the standard).
VARIANTS = {"高": "髙", "崎": "﨑嵜", "吉": "𠮷", "辺": "邊邉", "邊": "邉", "斎": "齋齊", "斉": "齊",
            "徳": "德", "浜": "濱濵", "沢": "澤", "島": "嶋嶌", "桑": "桒"}  # fmt: skip
FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("C:/Windows/Fonts"))
FONTS = {"sans": ("NotoSansCJK-Regular.ttc", "YuGothR.ttc", "msgothic.ttc"),
         "serif": ("NotoSerifCJK-Regular.ttc", "yumin.ttf", "msmincho.ttc"),
         "bold": ("NotoSansCJK-Bold.ttc", "YuGothB.ttc", "msgothic.ttc")}  # fmt: skip
#: A variant must fit this much worse than the standard character (relative distance) to rule it out.
_MARGIN = 0.06
_SIZE = 64  #: rendering height in px
_SHIFT = 2  #: px the drawing may be moved to fit the ink


def font_file(kind: str) -> str | None:
    """The first installed font of ``kind`` (sans, serif, bold), or None."""
    for folder in FONT_DIRS:
        for name in FONTS[kind]:
            if (folder / name).is_file():
                return str(folder / name)
    return None


def suspected_variant(segments: tuple[Gray, ...], text: str) -> str:
    """The variant character the ink may hold instead of one read in ``text`` ("" if none).

    ``segments``: the prepared images (black on white) of the runs of ink that ``text`` reads,
    joined by full-width spaces. When the text does not match them, or no font is installed, a
    text with a variant-prone character is doubtful: a name is not keyed on a guess."""
    parts = text.split("\u3000")
    prone = [char for char in text if char in VARIANTS]
    if not prone:
        return ""
    fonts = [path for path in (font_file("sans"), font_file("serif")) if path]
    if len(parts) != len(segments) or not fonts:
        return VARIANTS[prone[0]][0]
    for part, image in zip(parts, segments, strict=True):
        ink = _ink(image)
        for i, char in enumerate(part):
            for variant in VARIANTS.get(char, ""):
                other = part[:i] + variant + part[i + 1 :]
                best = min(fonts, key=lambda font: _distance(ink, part, font, (0, len(part))))
                if _distance(ink, other, best, (i, i + 1)) < _distance(ink, part, best, (i, i + 1)) * (1 + _MARGIN):
                    return variant
    return ""


def _ink(image: Gray) -> Gray:
    """The ink's bounding box, blurred, on a fixed height."""
    dark = np.asarray(image < 128, dtype=np.uint8) * 255
    rows, cols = np.flatnonzero(dark.any(axis=1)), np.flatnonzero(dark.any(axis=0))
    if len(rows) == 0:
        return np.zeros((_SIZE, _SIZE), dtype=np.uint8)
    box = dark[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    width = max(1, round(box.shape[1] * _SIZE / box.shape[0]))
    return _blur(np.asarray(cv2.resize(box, (width, _SIZE), interpolation=cv2.INTER_AREA), dtype=np.uint8))


def _distance(ink: Gray, text: str, font: str, chars: tuple[int, int]) -> float:
    """Mean difference between the ink and ``text`` drawn in ``font``, over the columns of the
    characters ``chars`` (a variant differs in a few strokes of one character: compared over a
    whole name, the difference would drown). The drawing is thickened to the print's stroke width
    and shifted by up to 2 px, whichever fits best, so weight and registration do not count."""
    drawn = _rendered(text, font)
    drawn = np.asarray(cv2.resize(drawn, (ink.shape[1], ink.shape[0]), interpolation=cv2.INTER_AREA),
                       dtype=np.uint8)
    face = _face(font)
    total = max(face.getlength(text), 1.0)
    x0 = int(ink.shape[1] * face.getlength(text[: chars[0]]) / total)
    x1 = max(x0 + 1, int(round(ink.shape[1] * face.getlength(text[: chars[1]]) / total)))
    target = ink[:, x0:x1].astype(np.int16)
    best = float("inf")
    for grow in range(4):
        bold = drawn if grow == 0 else cv2.dilate(drawn, np.ones((grow + 1, grow + 1), np.uint8))
        blurred = np.pad(_blur(np.asarray(bold, dtype=np.uint8)), _SHIFT).astype(np.int16)
        for dy in range(2 * _SHIFT + 1):
            for dx in range(2 * _SHIFT + 1):
                window = blurred[dy : dy + ink.shape[0], dx + x0 : dx + x1]
                best = min(best, float(np.mean(np.abs(target - window))))
    return best


@cache
def _face(font: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font, _SIZE, index=0)


@cache
def _rendered(text: str, font: str) -> Gray:
    face = _face(font)
    left, top, right, bottom = (int(v) for v in face.getbbox(text))
    image = Image.new("L", (right - left + 4, bottom - top + 4), 0)
    ImageDraw.Draw(image).text((2 - left, 2 - top), text, font=face, fill=255)
    pixels = np.asarray(image, dtype=np.uint8)
    rows, cols = np.flatnonzero(pixels.max(axis=1) > 127), np.flatnonzero(pixels.max(axis=0) > 127)
    return np.ascontiguousarray(pixels[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])


def _blur(image: Gray) -> Gray:
    return np.asarray(cv2.GaussianBlur(image, (0, 0), 2.0), dtype=np.uint8)

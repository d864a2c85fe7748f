"""Compare a field's ink with text drawn in the print fonts at hand.

Two checks need it: the itaiji check (does 髙 fit the ink as well as the 高 the models read?) and
the choice between two models' readings that differ in a few characters (千葉 or 干葉?). Both ask
how well one stretch of characters of a candidate text fits the same stretch of the ink.

The text is drawn in a print font (Noto Sans/Serif CJK; Yu/MS Gothic and Mincho on Windows),
scaled onto the ink's box and blurred, so print size, weight and scan blur matter less than the
strokes that differ. A stretch's columns come from the font's advances; on a long line those drift
from the print's own spacing by more than a character, so the stretch may slide ``slack`` px
sideways (and 2 px up or down) to its best place.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

Gray = NDArray[np.uint8]

FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("C:/Windows/Fonts"))
FONTS = {"sans": ("NotoSansCJK-Regular.ttc", "YuGothR.ttc", "msgothic.ttc"),
         "serif": ("NotoSerifCJK-Regular.ttc", "yumin.ttf", "msmincho.ttc"),
         "bold": ("NotoSansCJK-Bold.ttc", "YuGothB.ttc", "msgothic.ttc")}  # fmt: skip
SIZE = 64  #: rendering height in px: the ink is scaled to it too
_SHIFT = 2  #: px the drawing may move up or down (and sideways, at least) to fit the ink


def font_file(kind: str) -> str | None:
    """The first installed font of ``kind`` (sans, serif, bold), or None."""
    for folder in FONT_DIRS:
        for name in FONTS[kind]:
            if (folder / name).is_file():
                return str(folder / name)
    return None


def print_fonts() -> list[str]:
    """The fonts forms are printed in that are installed here (a Gothic and a Mincho)."""
    return [path for path in (font_file("sans"), font_file("serif")) if path]


def ink_image(image: Gray) -> Gray:
    """A prepared segment (black print on white) as ink: its bounding box, blurred, SIZE px high."""
    dark = np.asarray(image < 128, dtype=np.uint8) * 255
    rows, cols = np.flatnonzero(dark.any(axis=1)), np.flatnonzero(dark.any(axis=0))
    if len(rows) == 0:
        return np.zeros((SIZE, SIZE), dtype=np.uint8)
    box = dark[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    width = max(1, round(box.shape[1] * SIZE / box.shape[0]))
    return _blur(np.asarray(cv2.resize(box, (width, SIZE), interpolation=cv2.INTER_AREA), dtype=np.uint8))


def distance(ink: Gray, text: str, font: str, chars: tuple[int, int], *, slack: int = _SHIFT) -> float:
    """Mean difference (0–255) between the ink and ``text`` drawn in ``font``, over the columns of
    the characters ``chars`` (start, end): a misread differs in a few strokes of one character,
    which a comparison over a whole line would drown. The drawing is thickened to the print's
    stroke width, whichever fits best, and the stretch slides up to ``slack`` px sideways."""
    if not text.strip():
        return float("inf")
    drawn = np.asarray(cv2.resize(_rendered(text, font), (ink.shape[1], ink.shape[0]),
                                  interpolation=cv2.INTER_AREA), dtype=np.uint8)
    face = _face(font)
    total = max(face.getlength(text), 1.0)
    x0 = min(ink.shape[1] - 1, int(ink.shape[1] * face.getlength(text[: chars[0]]) / total))
    x1 = max(x0 + 1, int(round(ink.shape[1] * face.getlength(text[: chars[1]]) / total)))
    slack = max(slack, _SHIFT)
    region = np.pad(ink, ((_SHIFT, _SHIFT), (slack, slack))).astype(np.int16)[:, x0 : x1 + 2 * slack]
    best = float("inf")
    for grow in range(4):
        bold = drawn if grow == 0 else cv2.dilate(drawn, np.ones((grow + 1, grow + 1), np.uint8))
        stretch = _blur(np.asarray(bold, dtype=np.uint8))[:, x0:x1].astype(np.int16)
        windows = sliding_window_view(region, stretch.shape)
        best = min(best, float(np.abs(windows - stretch).mean(axis=(2, 3)).min()))
    return best


def best_font(ink: Gray, text: str, fonts: list[str], *, slack: int = _SHIFT) -> str:
    """The font the ink is printed in, of ``fonts``: the one whose characters of ``text`` fit it
    best, by the median character (a misread character or two must not pick the font)."""
    if len(fonts) == 1:
        return fonts[0]
    return min(fonts, key=lambda font: float(np.median(
        [distance(ink, text, font, (i, i + 1), slack=slack) for i in range(len(text))])))


@cache
def _face(font: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font, SIZE, index=0)


@cache
def _rendered(text: str, font: str) -> Gray:
    face = _face(font)
    left, top, right, bottom = (int(v) for v in face.getbbox(text))
    image = Image.new("L", (right - left + 4, bottom - top + 4), 0)
    ImageDraw.Draw(image).text((2 - left, 2 - top), text, font=face, fill=255)
    pixels = np.asarray(image, dtype=np.uint8)
    rows, cols = np.flatnonzero(pixels.max(axis=1) > 127), np.flatnonzero(pixels.max(axis=0) > 127)
    if len(rows) == 0:  # a character this font has no glyph for draws nothing
        return np.zeros((SIZE, SIZE), dtype=np.uint8)
    return np.ascontiguousarray(pixels[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])


def _blur(image: Gray) -> Gray:
    return np.asarray(cv2.GaussianBlur(image, (0, 0), 2.0), dtype=np.uint8)


#: Characters a printed form may hold: ASCII letters and digits, kana, and every kanji of Windows'
#: Japanese character set (cp932: JIS X 0208 and the vendor extensions, 髙 and 﨑 included).
_BLOCKS = ((0x30, 0x3A), (0x41, 0x5B), (0x61, 0x7B), (0x3041, 0x3097), (0x30A1, 0x30FB), (0x4E00, 0xA000),
           (0xF900, 0xFB00))
_CELL = 32  #: px of a character's cell when looking for look-alikes


def look_alikes(char: str, font: str, count: int) -> list[str]:
    """The ``count`` characters drawn most like ``char`` in ``font`` (itself excluded): what a
    reading of ``char`` might really be. Drawn once per font and process (≈ 7,000 characters)."""
    chars, cells = _bank(font)
    cell = _cell(char, font)
    if cell is None:
        return []
    differences = np.abs(cells.astype(np.int16) - cell.astype(np.int16)).mean(axis=(1, 2))
    same = unicodedata.normalize("NFKC", char)
    # A compatibility ideograph (隆 U+F9DC) is the same character as its unified one: not an alternative.
    return [chars[i] for i in np.argsort(differences)[: count + 4]
            if unicodedata.normalize("NFKC", chars[i]) != same][:count]


@cache
def _bank(font: str) -> tuple[list[str], NDArray[np.uint8]]:
    chars, cells = [], []
    for first, end in _BLOCKS:
        for code in range(first, end):
            char = chr(code)
            try:
                char.encode("cp932")
            except UnicodeEncodeError:
                continue
            cell = _cell(char, font)
            if cell is not None:
                chars.append(char)
                cells.append(cell)
    return chars, np.asarray(cells, dtype=np.uint8)  # ≈ 7 MB per font


def _cell(char: str, font: str) -> NDArray[np.uint8] | None:
    """``char`` drawn in the middle of a square cell (its size and place in the em kept: ロ and 口
    differ mostly there), blurred."""
    face = _face(font)
    if not face.getmask(char).getbbox():
        return None
    image = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(image).text((SIZE // 2, SIZE // 2), char, font=face, fill=255, anchor="mm")
    small = cv2.resize(np.asarray(image, dtype=np.uint8), (_CELL, _CELL), interpolation=cv2.INTER_AREA)
    return np.asarray(cv2.GaussianBlur(small, (0, 0), 1.0), dtype=np.uint8)

"""On-screen text by OCR: read a region, or find where a label (``登録``) is shown.

Screen text is small (12–16 px) and crisp, unlike scans: it is enlarged 3× before tesseract
(which expects ~300 dpi), and read with one process per call through
:func:`bots.ocr.tesseract.read_batch`. Japanese words come back split per glyph group; they
are joined without spaces between non-ASCII characters. A label is compared after NFKC and
without spaces, so ``登 録`` and ``ｶﾅ`` match ``登録`` and ``カナ``.
"""

from __future__ import annotations

import unicodedata

import cv2
import numpy as np
from PIL import Image

from bots.adapters.screen_match import Gray, to_gray
from bots.ocr.tesseract import Word, read_batch
from bots.platform.desktop import Rect

ENLARGE = 3


def _prepare(image: Image.Image) -> Gray:
    gray = to_gray(image)
    big = cv2.resize(gray, None, fx=ENLARGE, fy=ENLARGE, interpolation=cv2.INTER_CUBIC)
    if float(big.mean()) < 128:  # light text on a dark field: tesseract wants dark on light
        big = 255 - big
    return np.asarray(np.pad(big, 10, constant_values=255), dtype=np.uint8)


def _joined(words: list[Word]) -> str:
    text = ""
    for word in words:
        if text and (word.text[0].isascii() or text[-1].isascii()):
            text += " "
        text += word.text
    return text


def _lines(words: list[Word]) -> list[list[Word]]:
    """Words grouped into lines (vertical overlap), each line left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.left)):
        middle = word.top + word.height / 2
        line = next((ln for ln in lines if ln[0].top <= middle <= ln[0].top + ln[0].height), None)
        if line is None:
            lines.append([word])
        else:
            line.append(word)
    return [sorted(line, key=lambda w: w.left) for line in lines]


def read_text(image: Image.Image, lang: str) -> str:
    """The text of a region (lines joined with newlines)."""
    gray = _prepare(image)
    psm = 7 if image.height < 40 else 6
    words = read_batch([gray], lang=lang, psm=psm)[0]
    return "\n".join(_joined(line) for line in _lines(words)).strip()


def squash(text: str) -> str:
    """Text as labels are compared: NFKC without whitespace, so ``登 録`` and ``ｶﾅ`` match ``登録`` and ``カナ``."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def find_text(image: Image.Image, wanted: str, lang: str) -> Rect | None:
    """Where ``wanted`` is shown in ``image`` (pixels of ``image``), or None.

    The box covers the matched characters only, never the rest of the line: on a dialog whose
    buttons read "Cancel OK", ``OK`` is the box of the OK word, so a click cannot land on
    Cancel. A match on whole words is preferred to one inside a longer word (``OK`` in ``OKAY``);
    a match inside a word is cut to its share of the word's width.
    """
    target = squash(wanted)
    if not target:
        return None
    words = read_batch([_prepare(image)], lang=lang, psm=11)[0]
    partial: Rect | None = None
    for found in _lines(words):
        line = [word for word in found if squash(word.text)]
        texts = [squash(word.text) for word in line]
        starts = [sum(len(t) for t in texts[:i]) for i in range(len(texts))]
        joined = "".join(texts)
        at = joined.find(target)
        while at != -1:
            end = at + len(target)
            first = max(i for i, s in enumerate(starts) if s <= at)
            last = max(i for i, s in enumerate(starts) if s < end)
            if starts[first] == at and starts[last] + len(texts[last]) == end:
                return _box(line[first:last + 1])
            if partial is None:
                partial = _part_box(line[first:last + 1], at - starts[first], starts[last] + len(texts[last]) - end,
                                    len(texts[first]), len(texts[last]))
            at = joined.find(target, at + 1)
    return partial


def _part_box(words: list[Word], skip_left: int, skip_right: int, first_len: int, last_len: int) -> Rect:
    """The words' box without the characters before and after the match (their share of the
    first and last word's width: a fair guess for one line of one font)."""
    box = _box(words)
    left_cut = (words[0].right - words[0].left) * skip_left // max(1, first_len) // ENLARGE
    right_cut = (words[-1].right - words[-1].left) * skip_right // max(1, last_len) // ENLARGE
    width = max(1, box.width - left_cut - right_cut)
    return Rect(box.x + left_cut, box.y, width, box.height)


def _box(words: list[Word]) -> Rect:
    """The words' bounding box, back in the pixels of the image before enlarging and padding."""
    left = min(w.left for w in words) - 10
    top = min(w.top for w in words) - 10
    right = max(w.right for w in words) - 10
    bottom = max(w.top + w.height for w in words) - 10
    return Rect(left // ENLARGE, top // ENLARGE, max(1, (right - left) // ENLARGE), max(1, (bottom - top) // ENLARGE))

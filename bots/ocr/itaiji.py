"""Itaiji (異体字) in names: the OCR models do not know 髙, 﨑 or 𠮷 and read them, confidently and
both alike, as 高, 崎, 吉 — a changed name, which must never be keyed. Agreement cannot catch it.

So wherever a reading holds a character that has a common name variant (:data:`VARIANTS`), the
ink is compared with the text rendered both ways, in the print fonts at hand (Noto Sans/Serif CJK;
MS/Yu Gothic and Mincho on Windows): if a variant fits the ink as well as the standard character
(within :data:`_MARGIN`), the field goes to review. Both renderings are scaled onto the ink's box
and blurred, so print size, weight and scan blur matter less than the strokes that differ.
"""

from __future__ import annotations

from bots.ocr.glyphs import Gray, best_font, distance, ink_image, print_fonts

__all__ = ["VARIANTS", "suspected_variant"]

#: Standard character → its variants common in names (the models read each variant as the standard).
VARIANTS = {"高": "髙", "崎": "﨑嵜", "吉": "𠮷", "辺": "邊邉", "邊": "邉", "斎": "齋齊", "斉": "齊",
            "徳": "德", "浜": "濱濵", "沢": "澤", "島": "嶋嶌", "桑": "桒"}  # fmt: skip
#: A variant must fit this much worse than the standard character (relative distance) to rule it out.
_MARGIN = 0.06


def suspected_variant(segments: tuple[Gray, ...], text: str) -> str:
    """The variant character the ink may hold instead of one read in ``text`` ("" if none).

    ``segments``: the prepared images (black on white) of the runs of ink that ``text`` reads,
    joined by full-width spaces. When the text does not match them, or no font is installed, a
    text with a variant-prone character is doubtful: a name is not keyed on a guess."""
    parts = text.split("\u3000")
    prone = [char for char in text if char in VARIANTS]
    if not prone:
        return ""
    fonts = print_fonts()
    if len(parts) != len(segments) or not fonts:
        return VARIANTS[prone[0]][0]
    for part, image in zip(parts, segments, strict=True):
        ink = ink_image(image)
        for i, char in enumerate(part):
            for variant in VARIANTS.get(char, ""):
                other = part[:i] + variant + part[i + 1 :]
                best = best_font(ink, part, fonts)
                if distance(ink, other, best, (i, i + 1)) < distance(ink, part, best, (i, i + 1)) * (1 + _MARGIN):
                    return variant
    return ""

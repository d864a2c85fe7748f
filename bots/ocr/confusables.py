"""Positive evidence for look-alike characters in an accepted value: the ink must show them.

Two OCR models agreeing is not enough where a character has a look-alike the models confuse: both
read a degraded コーポ as コーボ (the ring of ポ blurred into a dot), and ロ/口, カ/力, ー/一 differ in
size or stroke weight only. So every such character of a value about to be accepted (:data:`GROUPS`,
the dakuten family of each kana, small and large kana) is drawn both ways in the print font
(:mod:`bots.ocr.glyphs`) and compared with the ink where the two drawings differ
(:func:`bots.ocr.inkcompare.contrast`): the ink must lean clearly to the character read
(:data:`LEAN`), or the field is doubtful. A look-alike of another script (カ/力, ー/一, へ/ヘ: the
same strokes a size or weight apart) must moreover be out of place among the neighbours (力 among
katakana). A look-alike that would make the value invalid for its field (口 in a フリガナ) is no rival.
Measured on 1,080 made-up substitutions (28 names and addresses, Noto Sans/Serif, 150/300 dpi, JPEG
35/75, noise): 0 wrong characters confirmed, 74 right ones (6.9 %) left doubtful.

The ink is the field's grey crop, not the binarised images tesseract reads: at 40 px a bold
threshold fills the ring of ポ; grey at 64 px keeps it.

Width: a digit or Latin letter printed full-width (第２みどり荘) is read half-width by tesseract. For
a field that keeps the width as printed, each run of such characters is drawn in both widths and
compared with the ink at the ink's scale, a neighbour each side (a full-width ２ stands in a wider
cell: its neighbours are further away).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from functools import cache

import cv2
import numpy as np

from bots.i18n import tr
from bots.ocr.clean import cleaned_ink, gaps, ink_box
from bots.ocr.glyphs import SIZE, Gray, best_font, print_fonts
from bots.ocr.inkcompare import contrast, placed_distance, same_advance

#: How far the ink must lean to the character read, where it and a look-alike differ
#: (:func:`bots.ocr.inkcompare.contrast`: +0.5 exactly it, −0.5 exactly the look-alike).
LEAN = 0.2
#: Sideways play (px at glyphs.SIZE) of a character's drawing on the ink, as bots.ocr.inkfit.
SLACK = 12
#: Digits and Latin letters as read (with a neighbour each side) must fit the ink within this fraction
#: of the distance in the other width. Measured (runs of 2+ characters): right 0.1–0.75,
#: wrong 1.3–9.5; a run of one character has no neighbour to show its width, and stays doubtful.
WIDTH_MARGIN = 0.8

#: Characters OCR reads one for another, beyond the dakuten families and small/large kana (generated
#: below): katakana and kanji alike in shape, hiragana and katakana drawn the same, Latin and digits.
GROUPS = ("ー一", "ロ口", "カ力", "エ工", "ニ二", "タ夕", "ト卜", "ハ八", "オ才", "チ千", "ミ三", "へヘ", "べベ",
          "ぺペ", "りリ", "ソン", "シツ", "ノソ", "ウワ", "千干", "土士", "未末", "人入", "己已巳", "日曰", "刀力",
          "ヶケ", "ヵカ", "0OＯ〇", "1lI")  # fmt: skip


def rivals(char: str) -> str:
    """The characters ``char`` may really be (empty: none that OCR confuses with it)."""
    return _rivals().get(char, "")


@cache
def _rivals() -> dict[str, str]:
    groups = [set(group) for group in GROUPS]
    families: dict[str, set[str]] = {}
    for code in [*range(0x3041, 0x3097), *range(0x30A1, 0x30FB)]:
        char = chr(code)
        parts = unicodedata.normalize("NFD", char)
        if len(parts) == 2:  # バ = ハ + ゛, パ = ハ + ゜: a family with its base
            families.setdefault(parts[0], {parts[0]}).add(char)
        elif unicodedata.name(char, "").replace("SMALL ", "") == unicodedata.name(chr(code + 1), ""):
            groups.append({char, chr(code + 1)})  # ッ/ツ, ャ/ヤ: the large form follows the small one
    table: dict[str, set[str]] = {}
    for group in [*groups, *families.values()]:
        for char in group:
            table.setdefault(char, set()).update(group - {char})
    return {char: "".join(sorted(others)) for char, others in table.items()}


def confusable_doubts(crop: Gray, text: str, *, paper: float, ink: float,
                      value_of: Callable[[str], object] | None = None, widths: bool = False,
                      sensitive: bool = False) -> list[str]:
    """Problems (ja/en) for the look-alike characters of ``text`` that the ink does not confirm.

    ``crop``: the field's grey crop (print dark on paper, as bots.ocr.fields cuts it), ``paper`` and
    ``ink`` its page's grey levels; ``value_of(text)``: the field's value for a text, None when
    invalid (a look-alike that gives no value, or the same one — べ for ベ in a フリガナ — is no
    rival; None: every text is its own value); ``widths``: also check that
    digits and Latin letters are read in the width printed; ``sensitive``: name no character."""
    spots = [(run, i, alike) for run, part in enumerate(text.split("\u3000")) for i, char in enumerate(part)
             if (alike := _live_rivals(text, run, i, value_of))]
    spans = list(_width_spans(text)) if widths else []
    if not spots and not spans:
        return []
    runs, fonts = ink_runs(crop, paper, ink), print_fonts()
    parts = text.split("\u3000")
    if len(runs) != len(parts) or not fonts:
        return [_doubt("".join(parts[run][i] for run, i, _ in spots) or "", sensitive)]
    chosen = [best_font(run, part, fonts, slack=SLACK) for run, part in zip(runs, parts, strict=True)]
    unsure = [parts[run][i] + "/" + alike for run, i, alikes in spots for alike in alikes
              if not _shown(runs[run], parts[run], i, alike, chosen[run])]
    problems = [_doubt("、".join(dict.fromkeys(unsure)), sensitive)] if unsure else []
    wrong = [parts[run][a:b] for run, a, b in spans
             if _width_ratio(runs[run], parts[run], a, b, chosen[run]) >= WIDTH_MARGIN]
    if wrong:
        shown = "" if sensitive else tr("（{s}）", " ({s})", s="、".join(wrong))
        problems.append(tr("文字の幅（全角・半角）が印字どおりか確かめられません{c}",
                           "cannot confirm the print's width (full/half) of some characters{c}", c=shown))
    return problems


def printed_widths(crop: Gray, text: str, *, paper: float, ink: float) -> str | None:
    """``text`` with each run of digits and Latin letters in the width the ink shows, or None when the
    ink does not show it clearly (or does not match the text's runs)."""
    spans = list(_width_spans(text))
    if not spans:
        return text
    runs, fonts = ink_runs(crop, paper, ink), print_fonts()
    parts = text.split("\u3000")
    if len(runs) != len(parts) or not fonts:
        return None
    fixed = list(parts)
    for run, a, b in reversed(spans):
        font = best_font(runs[run], parts[run], fonts, slack=SLACK)
        ratio = _width_ratio(runs[run], parts[run], a, b, font)
        if 1 / WIDTH_MARGIN > ratio >= WIDTH_MARGIN:
            return None
        if ratio >= 1 / WIDTH_MARGIN:
            fixed[run] = fixed[run][:a] + _other_width(fixed[run][a:b]) + fixed[run][b:]
    return "\u3000".join(fixed)


def _shown(ink: Gray, part: str, i: int, alike: str, font: str) -> bool:
    """Whether the ink shows ``part[i]`` rather than ``alike``. A look-alike of another script (カ/力,
    ー/一, 5/S) is ruled out by the neighbours (力 among katakana is out of place) as long as the ink
    does not lean to it: the ink alone does not tell them apart reliably (the same strokes, a size or
    weight apart). One of the same script (ポ/ボ, シ/ツ) only by the ink."""
    other = _swap(part, i, alike)
    if same_advance(part[i], alike, font):
        lean = contrast(ink, part, other, font, i)
        shows, against = lean >= LEAN, lean <= -LEAN
    else:  # I for 1, S for 5: the advance differs, the neighbour moves
        stretch = (max(0, i - 1), min(len(part), i + 2))
        ratio = placed_distance(ink, part, font, stretch) / max(placed_distance(ink, other, font, stretch), 1e-6)
        shows, against = ratio < WIDTH_MARGIN, ratio >= 1 / WIDTH_MARGIN
    if _script(part[i]) != _script(alike):
        return _in_context(part, i, alike) and not against
    return shows


def _script(char: str) -> str:
    if "\u3041" <= char <= "\u309f":
        return "hiragana"
    if "\u30a1" <= char <= "\u30ff":
        return "katakana"
    if char.isascii():
        return "digit" if char.isdigit() else "latin"
    return "kanji" if unicodedata.name(char, "").startswith("CJK") else "other"


def _in_context(part: str, i: int, alike: str) -> bool:
    """Whether a neighbour shares the script of ``part[i]`` and none has the look-alike's (ロ in ロイヤル,
    口 in 川口; ー counts as either kana)."""
    neighbours = [_script(char) for char in part[max(0, i - 1) : i] + part[i + 1 : i + 2]]
    mine, theirs = ({"hiragana", "katakana"} if char == "ー" else {_script(char)} for char in (part[i], alike))
    return any(n in mine for n in neighbours) and not any(n in theirs for n in neighbours)


def ink_runs(crop: Gray, paper: float, ink: float) -> list[Gray]:
    """The crop's ink as grey levels (ink 255, paper 0), one image per run between full-width spaces,
    each cut to its ink and SIZE px high, blurred like :func:`bots.ocr.glyphs.ink_image`."""
    found = cleaned_ink(crop, paper, ink)
    if found is None:
        return []
    dark, mask, (y0, y1, x0, x1) = found
    wide, _doubtful = gaps(mask[y0:y1, x0:x1], y1 - y0)
    edges = [x0] + [x for gap in wide for x in (x0 + gap[0], x0 + gap[1])] + [x1]
    level = np.clip((paper - crop.astype(np.float32)) / max(paper - ink, 1.0) * 255, 0, 255)
    level[cv2.dilate((dark & ~mask).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0] = 0  # rules, specks
    images = []
    for left, right in zip(edges[::2], edges[1::2], strict=True):
        inked = ink_box(mask[y0:y1, left:right])
        if inked is None:
            continue
        top, bottom, first, last = inked
        piece = level[y0 + top : y0 + bottom, left + first : left + last]
        width = max(1, round(piece.shape[1] * SIZE / piece.shape[0]))
        scale = cv2.INTER_AREA if piece.shape[0] > SIZE else cv2.INTER_CUBIC
        resized = np.clip(cv2.resize(piece, (width, SIZE), interpolation=scale), 0, 255).astype(np.uint8)
        images.append(np.asarray(cv2.GaussianBlur(resized, (0, 0), 2.0), dtype=np.uint8))
    return images


def _live_rivals(text: str, run: int, i: int, value_of: Callable[[str], object] | None) -> str:
    """The look-alikes of one character that would give the field another valid value."""
    parts = text.split("\u3000")
    found = rivals(parts[run][i])
    if value_of is None or not found:
        return found
    mine = value_of(text)
    return "".join(alike for alike in found
                   if (theirs := value_of("\u3000".join([*parts[:run], _swap(parts[run], i, alike), *parts[run + 1 :]])))
                   is not None and theirs != mine)


def _swap(part: str, i: int, char: str) -> str:
    return part[:i] + char + part[i + 1 :]


def _width_spans(text: str) -> Iterator[tuple[int, int, int]]:
    """(run, start, end) of each stretch of digits and Latin letters, either width."""
    for run, part in enumerate(text.split("\u3000")):
        start = None
        for i, char in enumerate(part + " "):
            if _other_width(char) != char and start is None:
                start = i
            elif _other_width(char) == char and start is not None:
                yield run, start, i
                start = None


def _other_width(text: str) -> str:
    """Digits and Latin letters in the other width (２ ↔ 2, Ａ ↔ A); anything else as it is."""
    out = []
    for char in text:
        code = ord(char)
        if char.isascii() and char.isalnum():
            out.append(chr(code + 0xFEE0))
        elif 0xFF10 <= code <= 0xFF5A and chr(code - 0xFEE0).isalnum():
            out.append(chr(code - 0xFEE0))
        else:
            out.append(char)
    return "".join(out)


def _width_ratio(ink: Gray, part: str, start: int, end: int, font: str) -> float:
    """How ``part[start:end]`` with its neighbours fit the ink as read, over how they fit with
    ``part[start:end]`` in the other width (below 1: as read fits better). The clearer of: both
    neighbours, the one before, the one after (a space the reading leaves out beside it, 「4 メゾン」,
    blurs one side)."""
    other = part[:start] + _other_width(part[start:end]) + part[end:]
    before, after = max(0, start - 1), min(len(part), end + 1)
    ratios = [placed_distance(ink, part, font, stretch) / max(placed_distance(ink, other, font, stretch), 1e-6)
              for stretch in {(before, after), (before, end), (start, after)} if stretch[1] - stretch[0] > end - start]
    if not ratios:
        return 1.0
    return min(ratios, key=lambda ratio: abs(np.log(max(ratio, 1e-6))))


def _doubt(chars: str, sensitive: bool) -> str:
    if sensitive or not chars:
        return tr("見分けにくい文字が印字と合うか確かめられません",
                  "look-alike characters could not be confirmed against the print")
    return tr("見分けにくい文字（{c}）が印字と合うか確かめられません",
              "look-alike characters ({c}) could not be confirmed against the print", c=chars)

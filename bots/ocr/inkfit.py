"""Choose between readings that differ in a few characters, by the ink.

The two models misread different characters (the full model 千葉 → 干葉, メゾン → メブン; Debian's
浩 → 洗, シ → ジ, ソレイユ → ソレイコユ), so on many fields they disagree in a character or two and
agreement accepts nothing. The ink can settle it: the characters where two candidates differ are
drawn in the print font (:mod:`bots.ocr.glyphs`) and compared with the same stretch of the ink.

A candidate is chosen only when, on *every* stretch where *any* other candidate differs from it,
it fits the ink clearly better (:data:`MARGIN`). The candidates are the texts the models read and,
where the two models' most-read texts differ in a few stretches (:data:`MAX_MIXED`), their mixes:
each stretch as one model or the other read it (メブン…ソレイユ and メゾン…ソレイコユ give メゾン…
ソレイユ). So every character chosen was read at that place by a model, and every character where
the readings differ was settled by the ink; the ink never spells a character nobody read.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import product

from bots.ocr.glyphs import Gray, best_font, distance, ink_image, look_alikes, print_fonts

#: The winner's distance must be below (1 − MARGIN) × the rival's on every differing stretch.
MARGIN = 0.3
#: Sideways play of a stretch, in px at glyphs.SIZE (64 px text height): ~0.2 character.
SLACK = 12
#: Two texts that differ in more stretches than this are not mixed (too many guesses at once).
MAX_MIXED = 3
#: Look-alikes of each character read at a contested place that must fit worse than the choice.
LOOK_ALIKES = 24
#: ... and by this margin: a look-alike nobody read is a weaker rival than a reading (ゾ must beat
#: the ソ without its dakuten, not by as much as the ブ a model read).
ALIKE_MARGIN = 0.15

_Stretch = tuple[str, tuple[int, int]]  #: a run's text and the characters compared


@dataclass(frozen=True)
class InkChoice:
    """The candidate the ink prefers, and by how much (its worst distance ratio to a rival)."""

    text: str
    ratio: float
    mixed: bool  #: the text is a mix of the two models' readings, not one reading


def choose_by_ink(segments: Sequence[Gray], readings: Sequence[tuple[str, int]],
                  acceptable: Callable[[str], bool]) -> InkChoice | None:
    """The one candidate that fits the ink clearly better than every other, or None.

    ``segments``: the prepared images of the field's runs of ink (between full-width spaces);
    ``readings``: (text, model) of every reading; ``acceptable``: whether a text may be chosen
    (valid for the field's kind) — a text that may not still counts as a rival. A text whose
    runs do not match the segments takes no part."""
    fonts = print_fonts()
    counts = Counter(text for text, _ in readings if _fits(text, segments))
    read = [text for text, _ in counts.most_common()]
    if len(read) < 2 or not fonts:
        return None
    mixes = [text for text in _mixes(readings, counts) if text not in counts]
    texts = read + mixes
    ink = _Ink(segments, read[0], fonts)
    for winner in texts:
        if not acceptable(winner) or any(_digit_differs(winner, rival) for rival in texts if rival != winner):
            continue
        worst = 0.0
        for rival in texts:
            if rival != winner:
                for run, mine, theirs in _differences(winner, rival):
                    worst = max(worst, ink.fit(run, mine) / max(ink.fit(run, theirs), 1e-6))
                    if worst >= 1 - MARGIN:
                        break
            if worst >= 1 - MARGIN:
                break
        else:
            if _unrivalled(winner, texts, ink):
                return InkChoice(winner, round(worst, 3), winner in mixes)
            return None
    return None


class _Ink:
    """A field's ink, run by run, with each run's print font and the fits measured so far."""

    def __init__(self, segments: Sequence[Gray], text: str, fonts: list[str]) -> None:
        self.inks = [ink_image(image) for image in segments]
        self.fonts = [best_font(ink, part, fonts, slack=SLACK)
                      for ink, part in zip(self.inks, text.split("\u3000"), strict=True)]
        self._memo: dict[tuple[int, str, int, int], float] = {}

    def fit(self, run: int, stretch: _Stretch) -> float:
        """How far the stretch's drawing is from the ink (lower fits better)."""
        text, span = stretch
        key = (run, text, *span)
        if key not in self._memo:
            self._memo[key] = distance(self.inks[run], text, self.fonts[run], span, slack=SLACK)
        return self._memo[key]


def _unrivalled(winner: str, texts: Sequence[str], ink: _Ink) -> bool:
    """Whether each character the ink chose also fits clearly better than the characters drawn most
    like it and like the ones it beat (:func:`bots.ocr.glyphs.look_alikes`). When both models
    misread a character, each its own way (陽 as 腸 and as 則), the ink would choose the better
    wrong one; the right one is then among their look-alikes, fits better still, and vetoes."""
    for rival in texts:
        if rival == winner:
            continue
        for run, (mine, (i1, i2)), (mixed, (j1, j2)) in _differences(winner, rival):
            if i2 - i1 != 1 or j2 - j1 != 1:
                continue  # a character more or less: the neighbours on both sides were compared
            ours = ink.fit(run, (mine, (i1, i2)))
            read = {mine[i1], mixed[j1]}
            for alike in {alike for char in read for alike in look_alikes(char, ink.fonts[run], LOOK_ALIKES)} - read:
                other = mine[:i1] + alike + mine[i2:]
                if ours >= (1 - ALIKE_MARGIN) * ink.fit(run, (other, (i1, i2))):
                    return False
    return True


def _digit_differs(one: str, other: str) -> bool:
    """Whether ``one`` has a digit where ``other`` reads something else: the ink does not settle
    digits (a Gothic 1 and 7 differ in one short stroke, and a wrong house number is a wrong
    address). A digit only ``other`` reads (Debian's model reads specks as 2) is no such case."""
    return any(char.isdigit()
               for mine, theirs in zip(one.split("\u3000"), other.split("\u3000"), strict=True)
               for i1, i2, _, _ in _edits(mine, theirs) for char in mine[i1:i2])


def _fits(text: str, segments: Sequence[Gray]) -> bool:
    parts = text.split("\u3000")
    return len(parts) == len(segments) and all(parts)


def _mixes(readings: Sequence[tuple[str, int]], counts: Counter[str]) -> list[str]:
    """Every mix of the two models' most-read texts, stretch by stretch (none if they differ in
    more than :data:`MAX_MIXED` stretches or have different runs)."""
    tops = []
    for model in sorted({model for _, model in readings})[:2]:
        own = Counter(text for text, by in readings if by == model and text in counts)
        if own:
            tops.append(own.most_common(1)[0][0])
    if len(tops) < 2 or tops[0] == tops[1] or len(tops[0].split("\u3000")) != len(tops[1].split("\u3000")):
        return []
    one, other = (text.split("\u3000") for text in tops)
    edits = [(run, i1, i2, other[run][j1:j2])
             for run, (mine, theirs) in enumerate(zip(one, other, strict=True))
             for i1, i2, j1, j2 in _edits(mine, theirs)]
    if len(edits) > MAX_MIXED:
        return []
    mixes = []
    for chosen in product((False, True), repeat=len(edits)):
        runs = list(one)
        for take, (run, i1, i2, replacement) in reversed(list(zip(chosen, edits, strict=True))):
            if take:
                runs[run] = runs[run][:i1] + replacement + runs[run][i2:]
        if all(runs):
            mixes.append("\u3000".join(runs))
    return mixes


def _differences(one: str, other: str) -> Iterator[tuple[int, _Stretch, _Stretch]]:
    """Per stretch where ``other`` differs from ``one``: the run, ``one``'s run and characters, and
    ``one``'s run with just that stretch as ``other`` reads it. Comparing with that mix (not with
    ``other`` itself) keeps the rest of the line alike, so the drawings of both stretches sit
    where the same ink is: a character more elsewhere in ``other`` would shift them apart. A
    substitution is compared character for character; an insertion or a deletion takes one
    neighbour on each side, so both stretches cover the same ink."""
    for run, (mine, theirs) in enumerate(zip(one.split("\u3000"), other.split("\u3000"), strict=True)):
        if mine == theirs:
            continue
        for i1, i2, j1, j2 in _edits(mine, theirs):
            mixed = mine[:i1] + theirs[j1:j2] + mine[i2:]
            end = i1 + j2 - j1
            if i2 - i1 == j2 - j1:
                yield run, (mine, (i1, i2)), (mixed, (i1, end))
            else:
                yield (run, (mine, (max(0, i1 - 1), min(len(mine), i2 + 1))),
                       (mixed, (max(0, i1 - 1), min(len(mixed), end + 1))))


def _edits(mine: str, theirs: str) -> Iterator[tuple[int, int, int, int]]:
    """Where two runs differ: (i1, i2, j1, j2) per stretch, a substitution of equal length split
    character by character (陽壮 / 腸葵 are two differences, each settled on its own)."""
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, mine, theirs, autojunk=False).get_opcodes():
        if tag == "replace" and i2 - i1 == j2 - j1:
            yield from ((i1 + k, i1 + k + 1, j1 + k, j1 + k + 1) for k in range(i2 - i1))
        elif tag != "equal":
            yield i1, i2, j1, j2

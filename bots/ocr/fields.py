"""Read the fields of one registered page: crop, clean, OCR each text field twice, checkboxes by ink.

Every function here is a plain top-level function of arrays and the template, so the pipeline
can run it in a ``ProcessPoolExecutor`` worker. Per page, crops that tesseract reads with the same
settings (language, psm, whitelist) go to tesseract in **one** call (see :mod:`bots.ocr.tesseract`),
both readings of every field included: ~2 processes per page instead of ~20.

Cleaning: red ink (印 seals) is dropped by colour; the zone is inset by :data:`INSET_MM` so box
rules stay out; residual rules (long thin lines), seal rims (on a grayscale scan the red is lost),
fragments cut by the crop edge and specks are erased; the ink is cropped with a white margin.

Three readings per text field (:data:`READINGS`): the crop smoothed, scaled to three different text
heights and binarised with a local (adaptive) threshold; a field read with ``eng`` (digits) gets
its third reading from the ``jpn`` model. The model sees different images, so a misreading of one
is rarely repeated by another; the pipeline accepts a value only when two confident readings agree
and none reads another valid value.

Spaces come from the ink, not from tesseract's words (it splits Japanese lines at ordinary letter
spacing): a gap of a full character or more (:data:`_WIDE_GAP` text heights) is a full-width space,
as in 氏名「佐藤　一郎」 and フリガナ; a gap just short of that is doubtful. A narrow (ASCII) space
cannot be told from the spacing of proportional Japanese print (the gaps beside ・ or ト are as wide),
so none is read: 「…3号 コーポ桜」 reads 「…3号コーポ桜」.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from bots.i18n import tr
from bots.ocr.register import mm_to_px
from bots.ocr.template import FieldKind, FieldSpec, FormTemplate
from bots.ocr.tesseract import Word, read_batch

Gray = NDArray[np.uint8]

INSET_MM = 0.4  #: trimmed off each side of a zone: the rules stay out even when registration is 1 mm off
#: The readings of a text field: (text height in px, adaptive-threshold offset, cross-model). The
#: cross-model reading of a field the template reads with ``eng`` (digits) uses the ``jpn`` model, a
#: different network with different errors (eng reads a Mincho 5 as 9 at every scale; jpn does not).
READINGS: tuple[tuple[int, int, bool], ...] = ((40, 12, False), (56, 12, False), (48, 12, True))
MODE = "removed"
_PAD = 16  #: white margin around the ink (px), tesseract needs some
_SPECK = 3  #: px at WORK_DPI: scanner noise; a dakuten or the dot of 京 is larger
#: Redness (R − max(G, B)) above this is seal ink, not print.
_RED_MARGIN = 40
#: Ink gaps, in text heights: from _WIDE_GAP a full-width space; from _DOUBT_GAP doubtful. Measured on
#: 120 demo forms: letter spacing ≤ 0.76 (beside narrow kana), full-width spaces ≥ 1.12.
_DOUBT_GAP, _WIDE_GAP = 0.85, 0.97
#: Checkbox ink (fraction of the inner box): up to _EMPTY empty, from _TICKED ticked, between: unclear.
_EMPTY, _TICKED = 0.015, 0.05
#: The full jpn model reads many digits as circled ones (4丁目 → ④丁目): nobody prints those on a form.
_CIRCLED = {chr(0x2460 + i): str(i + 1) for i in range(20)} | {"\u24ea": "0"}
#: Characters a kind can hold, when the template names none.
#: (Not for kana: the model reads katakana as katakana anyway; a whitelist would only add a call.)
KIND_WHITELIST: dict[FieldKind, str] = {
    "date_wareki": "令和平成昭和大正明治元年月日0123456789",
    "digits": "0123456789",
    "zip": "0123456789-〒",
    "phone": "0123456789-()",
    "mynumber": "0123456789",
}
CROSS_WHITELIST = "0123456789-()"


@dataclass(frozen=True)
class Reading:
    """One OCR pass over one field."""

    text: str  #: spaces from the word gaps (see module doc)
    confidence: float  #: the lowest word confidence, 0–100; 0 when nothing was read
    spacing_doubt: bool = False  #: a gap neither clearly a space nor clearly not


@dataclass(frozen=True)
class FieldOcr:
    """What was seen in one field, before normalisation."""

    name: str
    readings: tuple[Reading, ...]  #: two for text fields; empty for checkboxes
    ticked: bool | None = None  #: checkboxes: None when unclear
    ink: float = 0.0  #: checkboxes: inked fraction of the inner box
    confidence: float = 0.0  #: checkboxes: how clearly ticked or empty, 0–100
    crop: Path | None = None


@dataclass(frozen=True)
class Prepared:
    """One reading's images of a text field: one per run of ink between full-width spaces."""

    segments: tuple[Gray, ...]
    spacing_doubt: bool = False  #: a gap of doubtful width (a space or not?)


@dataclass(frozen=True)
class _Job:
    name: str
    variant: int
    segment: int
    image: Gray


def read_fields(
    canvas: NDArray[np.uint8], template: FormTemplate, *, crops_dir: Path | None = None, stem: str = "form"
) -> dict[str, FieldOcr]:
    """Read every field of a registered page (RGB canvas at WORK_DPI). Crops go to ``crops_dir``
    as ``<stem>_<field>.png`` when it is given."""
    gray = ink_gray(canvas)
    paper, ink = _levels(gray)
    results: dict[str, FieldOcr] = {}
    groups: dict[tuple[str, int, str | None], list[_Job]] = {}
    crops: dict[str, Path | None] = {}
    prepared: dict[str, list[Prepared]] = {}
    inset = mm_to_px(INSET_MM)
    # The second model for cross-model readings: jpn, if the template uses it (so it is installed).
    cross = "jpn" if any("jpn" in spec.lang for spec in template.fields.values()) else None
    choices = "".join(sorted({char for spec in template.fields.values() if spec.kind == "choice"
                              for option in spec.options for char in option if not char.isspace()}))
    for name, spec in template.fields.items():
        x0, y0, x1, y1 = zone_px(template, name)
        crops[name] = _save_crop(canvas, (x0, y0, x1, y1), crops_dir, stem, name)
        if spec.kind == "checkbox":
            results[name] = _checkbox(name, gray[y0:y1, x0:x1], paper, ink, crops[name])
            continue
        prepared[name] = prepare(gray[y0 + inset : y1 - inset, x0 + inset : x1 - inset], paper, ink)
        for variant, reading in enumerate(prepared[name]):
            key: tuple[str, int, str | None]
            if READINGS[variant][2] and cross and "jpn" not in spec.lang:
                # One group for every cross-model reading of the page (a verifier of digits).
                key = (cross, spec.psm, CROSS_WHITELIST + "".join(_CIRCLED))
            elif spec.kind == "choice" and not spec.whitelist:
                key = (spec.lang, spec.psm, choices)  # all choice fields of the page in one call
            else:
                key = (spec.lang, spec.psm, whitelist_for(spec))
            for segment, image in enumerate(reading.segments):
                groups.setdefault(key, []).append(_Job(name, variant, segment, image))
    words: dict[tuple[str, int, int], list[Word]] = {}
    # One tesseract process per group; they wait on their subprocess, so threads overlap them.
    with ThreadPoolExecutor(max_workers=max(1, len(groups))) as threads:
        batches = {key: threads.submit(read_batch, [job.image for job in jobs], lang=key[0], psm=key[1],
                                       whitelist=key[2]) for key, jobs in groups.items()}
        for key, jobs in groups.items():
            for job, found in zip(jobs, batches[key].result(), strict=True):
                words[(job.name, job.variant, job.segment)] = found
    for name, readings in prepared.items():
        if not readings:  # no ink in the zone: certainly empty
            results[name] = FieldOcr(name, tuple(Reading("", 100.0) for _ in READINGS), crop=crops[name])
            continue
        results[name] = FieldOcr(name, tuple(
            join_segments([words[(name, v, k)] for k in range(len(r.segments))], r.spacing_doubt)
            for v, r in enumerate(readings)
        ), crop=crops[name])
    return results


def whitelist_for(spec: FieldSpec, lang: str | None = None) -> str | None:
    """The template's whitelist, else the characters the kind allows (a choice: its options').

    Fewer candidates, fewer look-alikes (昭→暇, ベ→べ, ニ→二). A character outside the list is not
    silently forced into it: tesseract then reports confidence 0, so the field goes to review."""
    if spec.whitelist:
        chars = spec.whitelist
    elif spec.kind == "choice":
        chars = "".join(sorted({char for option in spec.options for char in option if not char.isspace()}))
    else:
        chars = KIND_WHITELIST.get(spec.kind, "")
    if chars and "jpn" in (lang or spec.lang) and any(char.isdigit() for char in chars):
        chars += "".join(_CIRCLED)  # the jpn model's way of writing digits, undone by unquirk()
    return chars or None


def zone_px(template: FormTemplate, name: str) -> tuple[int, int, int, int]:
    """A field's zone on the registered canvas: x0, y0, x1, y1 in pixels."""
    zone = template.zone_mm(name)
    return mm_to_px(zone.x), mm_to_px(zone.y), mm_to_px(zone.x + zone.w), mm_to_px(zone.y + zone.h)


def ink_gray(canvas: NDArray[np.uint8]) -> Gray:
    """Grayscale where red ink (seals) turns to paper: black print under a seal stays black."""
    if canvas.ndim == 2:
        return canvas
    rgb = canvas.astype(np.int16)
    gray = cv2.cvtColor(canvas, cv2.COLOR_RGB2GRAY)
    redness = rgb[:, :, 0] - np.maximum(rgb[:, :, 1], rgb[:, :, 2])
    # A red pixel's red channel is what it would be without the red ink's absorption of G and B.
    return np.asarray(np.where(redness > _RED_MARGIN, canvas[:, :, 0], gray), dtype=np.uint8)


def _levels(gray: Gray) -> tuple[float, float]:
    """Paper and print levels of the page (most of a form is paper; marks and rules are print)."""
    sample = gray[::4, ::4]
    paper = float(np.percentile(sample, 60))
    ink = float(np.percentile(sample, 0.5))
    if paper - ink < 40:  # a blank or washed-out page: assume a normal scan
        paper, ink = max(paper, 200.0), min(ink, 80.0)
    return paper, ink


def prepare(crop: Gray, paper: float, ink: float) -> list[Prepared]:
    """The cleaned images of a text crop, one :class:`Prepared` per reading; [] when there is no
    ink in the zone."""
    if crop.size == 0:
        return []
    dark = crop < (paper + ink) / 2
    mask = _clean(dark)
    box = _ink_box(mask)
    if box is None:
        return []
    y0, y1, x0, x1 = box
    height = y1 - y0
    margin = max(2, height // 6)
    rows = slice(max(0, y0 - margin), y1 + margin)
    smooth = np.asarray(cv2.GaussianBlur(crop, (3, 3), 0), dtype=np.uint8)
    if MODE == "allowed":
        allowed = np.asarray(cv2.dilate(mask.astype(np.uint8) * 255, np.ones((3, 3), np.uint8)), dtype=np.uint8)
    else:
        # What cleaning erased (rules, seal rims, specks, with their grey fringe) stays erased; the rest
        # is left to the adaptive threshold, which keeps faint strokes such as a blurred dakuten.
        erased = cv2.dilate((dark & ~mask).astype(np.uint8) * 255, np.ones((5, 5), np.uint8))
        allowed = np.asarray(np.where(erased > 0, 0, 255), dtype=np.uint8)
    wide, doubtful = _gaps(mask[y0:y1, x0:x1], height)
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


def _gaps(ink: NDArray[np.bool_], height: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
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


def _resize(image: Gray, scale: float) -> Gray:
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation), dtype=np.uint8)


def _pad(image: Gray) -> Gray:
    return np.asarray(cv2.copyMakeBorder(image, _PAD, _PAD, _PAD, _PAD, cv2.BORDER_CONSTANT, value=255),
                      dtype=np.uint8)


def _clean(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
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


def _ink_box(mask: NDArray[np.bool_]) -> tuple[int, int, int, int] | None:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0 or len(cols) == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def join_segments(segments: Sequence[Sequence[Word]], spacing_doubt: bool = False) -> Reading:
    """The words of each ink run between full-width spaces, joined with "　".

    Tesseract's own word boxes are no guide to spaces in Japanese (they overlap, and it splits
    lines at ordinary letter spacing); the runs come from the ink (see :func:`prepare`)."""
    texts = ["".join(unquirk(word.text) for word in words) for words in segments]
    if not any(texts):
        return Reading("", 0.0, spacing_doubt)
    # A run read as nothing is ink that could not be read: confidence 0.
    confidence = min(min((word.conf for word in words), default=0.0) for words in segments)
    return Reading("\u3000".join(texts), confidence, spacing_doubt)


def unquirk(text: str) -> str:
    """Undo the model's known substitutions (circled digits)."""
    return "".join(_CIRCLED.get(char, char) for char in text)


def _checkbox(name: str, box: Gray, paper: float, ink: float, crop: Path | None) -> FieldOcr:
    """Ticked, empty or unclear, by the inked fraction of the box's inside (the zone, inset)."""
    inset = mm_to_px(INSET_MM)
    inner = box[inset:-inset or None, inset:-inset or None]
    if inner.size == 0:
        return FieldOcr(name, (), None, 0.0, 0.0, crop)
    cut = (paper + ink) / 2
    fraction = float(np.count_nonzero(inner < cut)) / inner.size
    if fraction <= _EMPTY:
        ticked: bool | None = False
        confidence = 100.0 - 20.0 * fraction / _EMPTY
    elif fraction >= _TICKED:
        ticked = True
        confidence = min(100.0, 80.0 + 20.0 * (fraction - _TICKED) / _TICKED)
    else:
        ticked = None
        confidence = 50.0
    return FieldOcr(name, (), ticked, round(fraction, 4), round(confidence, 1), crop)


def _save_crop(
    canvas: NDArray[np.uint8], box: tuple[int, int, int, int], folder: Path | None, stem: str, name: str
) -> Path | None:
    """The field as the reviewer should see it: the zone with a little context, in colour."""
    if folder is None:
        return None
    x0, y0, x1, y1 = box
    margin = mm_to_px(2)
    height, width = canvas.shape[:2]
    piece = canvas[max(0, y0 - margin) : min(height, y1 + margin), max(0, x0 - margin) : min(width, x1 + margin)]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}_{name}.png"
    try:
        Image.fromarray(piece).save(path, optimize=False, compress_level=3)
    except OSError as exc:
        raise OSError(tr("読み取り画像を保存できません: {p}", "cannot save the field image: {p}", p=path)) from exc
    return path

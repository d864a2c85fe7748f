"""Scanned files → :class:`FormResult` s: load, check the page, register, read fields, normalise, decide.

``read_forms`` yields one result per form **in input order**, while the files are read in a
process pool (one worker per core; a worker reads a whole file: loading, registration and the
field OCR are all CPU-bound). Every page of a multi-page file (PDF, TIFF) is a form of its own
(``scan.pdf#2``): a batch scanned into one PDF is the usual case.

**Everything doubtful reaches a person**: whatever is wrong with the *scan* — the file cannot be
read, a page is blank, of the wrong size or proportions, turned, two forms on one sheet
(:mod:`bots.ocr.page_checks`, cheap, before registration), or it cannot be registered as this form
(another document, upside down, misaligned: :class:`~bots.errors.NotAFormError`) — gives a result
for **review** with the reason and a reduced image of the page (``<crops_dir>/<stem>.jpg``), never
keyed, and the batch goes on. Only the engine's own faults are ``error``: a missing tesseract
stops the batch before any file is read; a bug while reading one form's fields fails that form.

The decision rule (bots/ocr/DESIGN.md), per field: accepted only if the readings
(:data:`bots.ocr.prepare.READINGS`) agree after normalisation — with two models installed, each
model reads the value in at least one of its readings and no model reads only something else —,
the value validates for its kind, no space is in doubt, and every agreeing reading's confidence
(its lowest word confidence) reaches ``template.agree_confidence`` (two models) or
``template.threshold(name)`` (one model: two of its readings must agree). Anything else is a
*problem*, and one problem sends the whole form to review. An optional field is empty only when
its zone holds no ink at all; ink that reads as nothing is a problem.

A word value (``text``, ``kana``) the tesseract readings agreed on, or the ink chose, is accepted
only if the second engine, PP-OCRv5 (:mod:`bots.ocr.ppocr`), reads the same after the same
normalisation (:mod:`bots.ocr.witness`); where the two engines differ, even in width only, the
field goes to review. Without that engine the tesseract rule alone decides (said once in the log).
After every field is decided, the form's values are checked against each other
(:func:`bots.ocr.crosscheck.cross_check`: postcode ↔ address, plausible dates).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from itertools import repeat
from pathlib import Path
from typing import Any

from loguru import logger
from PIL import Image

from bots.errors import FormFileError, OcrEngineError
from bots.i18n import tr
from bots.ocr.crosscheck import cross_check
from bots.ocr.fields import FieldOcr, read_fields
from bots.ocr.images import load_pages, save_preview
from bots.ocr.inkfit import InkChoice
from bots.ocr.normalize import normalize
from bots.ocr.page_checks import check_page
from bots.ocr.ppocr import warn_if_missing
from bots.ocr.register import WORK_DPI, Canvas, register
from bots.ocr.results import FieldReading, FormResult, PageDoubt, PageProblem
from bots.ocr.tesseract import ensure_tesseract
from bots.ocr.widths import as_printed
from bots.ocr.witness import witnessed
from bots.platform.process import leave_terminal_group
from bots.selectors.form_template import FieldSpec, FormTemplate


def read_form(path: Path, template: FormTemplate, *, crops_dir: Path | None = None, page: int = 1) -> FormResult:
    """One form: page ``page`` of ``path``, read in this process (``read_forms`` reads every page)."""
    ensure_tesseract(template_languages(template))
    return _read_file(path, template, crops_dir, only=page)[0]


def read_forms(
    paths: Sequence[Path], template: FormTemplate, *, crops_dir: Path | None = None, workers: int | None = None
) -> Iterator[FormResult]:
    """Read the files in parallel; results in input order, as soon as each is ready.

    ``workers``: processes (default: one per CPU core); 1 reads in this process. Raises
    :class:`OcrEngineError` before reading anything when tesseract or a language is missing."""
    files = [Path(p) for p in paths]
    ensure_tesseract(template_languages(template))
    warn_if_missing()  # once here, not once per worker
    count = min(workers or os.cpu_count() or 1, len(files))
    if count <= 1:
        for path in files:
            yield from _read_file(path, template, crops_dir)
        return
    # Workers leave the terminal's process group: Ctrl+C asks the runner to finish the record in
    # flight, it must not kill the OCR under it (nor the tesseract calls the workers start).
    with ProcessPoolExecutor(max_workers=count, initializer=leave_terminal_group) as pool:
        # map() keeps input order; chunks of 1 so a slow file does not hold back others' workers.
        for results in pool.map(_read_file, files, repeat(template), repeat(crops_dir)):
            yield from results


def template_languages(template: FormTemplate) -> set[str]:
    """The tesseract languages the template's OCR-read fields need (checkboxes are not OCR-read), checked
    before any file is read so a missing model stops the batch up front."""
    return {spec.lang for spec in template.fields.values() if spec.kind != "checkbox"}


def _read_file(
    path: Path, template: FormTemplate, crops_dir: Path | None, only: int | None = None
) -> list[FormResult]:
    """Worker: all forms of one file (or page ``only``). A file that cannot be read is one form
    for review (no image); each page is read by :func:`_read_page`."""
    ensure_tesseract(template_languages(template))  # cached; sets the binary in a fresh worker too
    started = time.perf_counter()
    try:
        pages = load_pages(path, dpi=WORK_DPI, check_size=False)  # a thumbnail is checked per page, with its image
    except FormFileError as exc:
        return [_for_review(path, 1, PageDoubt(PageProblem.UNREADABLE, str(exc)), None, started)]
    except Exception as exc:  # a decoder's fault no mapping knows: still this file's, and the batch goes on
        logger.opt(exception=exc).warning("ocr: cannot load {file}", file=str(path))
        why = tr("ファイルを読み取れません（{e}）。ファイルを開いて確かめ、手で入力してください",
                 "the file cannot be read ({e}); open it to check, and enter the form by hand", e=type(exc).__name__)
        return [_for_review(path, 1, PageDoubt(PageProblem.UNREADABLE, why), None, started)]
    if only is not None and not 1 <= only <= len(pages):  # the caller's mistake, not the scan's
        return [FormResult(path, only, error=tr("{n} ページ目はありません（全 {m} ページ）",
                                                "there is no page {n} (the file has {m})", n=only, m=len(pages)))]
    numbered = {only: pages[only - 1]} if only is not None else dict(enumerate(pages, start=1))
    results = []
    for number, page in numbered.items():
        results.append(_read_page(path, number, page, template, crops_dir, started))
        started = time.perf_counter()
    return results


def _read_page(path: Path, number: int, page: Image.Image, template: FormTemplate, crops_dir: Path | None,
               started: float) -> FormResult:
    """One page: for review with its image when it is not this form's page, else every field decided."""
    stem = f"{path.stem}_{path.suffix.lstrip('.')}" + (f"_p{number}" if number > 1 else "")
    try:
        canvas = _registered(path, number, page, template)
        if isinstance(canvas, PageDoubt):
            return _for_review(path, number, canvas, _preview(page, crops_dir, stem), started)
        seen = read_fields(canvas, template, crops_dir=crops_dir, stem=stem)
        fields = {name: decide(name, spec, seen[name], template.threshold(name), template.agree_confidence)
                  for name, spec in template.fields.items()}
        return FormResult(path, number, _cross_checked(template, fields), seconds=time.perf_counter() - started)
    except OcrEngineError as exc:  # tesseract failed on this form: the installation's fault, not the scan's
        return FormResult(path, number, error=str(exc), seconds=time.perf_counter() - started)
    except Exception as exc:  # a bug shows on this form only, and in the log
        logger.opt(exception=exc).warning("ocr: cannot read {file} page {page}", file=str(path), page=number)
        return FormResult(path, number, error=_unexpected(exc), seconds=time.perf_counter() - started)


def _registered(path: Path, number: int, page: Image.Image, template: FormTemplate) -> Canvas | PageDoubt:
    """The page on the template's canvas, or why it is not this form's page: the cheap checks
    first (blank, size, orientation: their reasons say more than "not this form"), then registration."""
    doubt = check_page(page, template)
    if doubt is not None:
        return doubt
    try:
        return register(page, template)
    except FormFileError as exc:  # NotAFormError: another document, upside down, residual too large
        return PageDoubt(PageProblem.NOT_REGISTERED, str(exc))
    except Exception as exc:  # registration tripping over an odd page: the page still goes to a person
        logger.opt(exception=exc).warning("ocr: cannot register {file} page {page}", file=str(path), page=number)
        return PageDoubt(PageProblem.NOT_REGISTERED, tr(
            "帳票の位置合わせができません（{e}）。画像を確かめ、手で入力してください",
            "the page cannot be aligned to the form ({e}); check the image and enter the form by hand",
            e=type(exc).__name__))


def _cross_checked(template: FormTemplate, fields: dict[str, FieldReading]) -> dict[str, FieldReading]:
    """The fields with the problems found *between* them (postcode ↔ address, plausible dates …)
    added to their own: one sends the form to review like any doubtful field."""
    found = cross_check(template, {name: reading.value for name, reading in fields.items()})
    return {name: replace(reading, problems=(*reading.problems, *found[name])) if found.get(name) else reading
            for name, reading in fields.items()}


def _for_review(path: Path, number: int, doubt: PageDoubt, image: Path | None, started: float) -> FormResult:
    return FormResult(path, number, page_doubt=doubt, image=image, seconds=time.perf_counter() - started)


def _preview(page: Image.Image, crops_dir: Path | None, stem: str) -> Path | None:
    """The reviewer's copy of a whole page beside the field crops; a page without it still goes to review."""
    if crops_dir is None:
        return None
    try:
        return save_preview(page, crops_dir / f"{stem}.jpg")
    except OSError as exc:
        logger.warning("ocr: cannot save the image of {file}: {e}", file=stem, e=exc)
        return None


def _unexpected(exc: Exception) -> str:
    return tr("読み取り中にエラーが起きました（{e}）", "reading failed ({e})", e=type(exc).__name__)


#: The kinds whose value may hold a space (a doubtful gap is a doubtful value); the others drop spaces.
SPACED_KINDS = frozenset({"text", "kana"})


def decide(name: str, spec: FieldSpec, seen: FieldOcr, threshold: float,
           cross_threshold: float | None = None) -> FieldReading:
    """One field's value and, when it cannot be trusted, why (see the module doc).

    A value the tesseract readings agreed on, or the ink chose, is then put to the second engine
    (:func:`bots.ocr.witness.witnessed`): for the kinds it reads (``fields.WITNESS_KINDS``) it is
    accepted only if PP-OCR reads the same; without the engine the tesseract rule alone decides.
    A ``text`` value kept as printed then takes the width of its digits and letters from the ink
    (:func:`bots.ocr.widths.as_printed`), or goes to review when the ink cannot tell.

    ``cross_threshold``: the confidence each reading needs when the readings come from two models
    (default ``threshold``); one model's confidence says little about its own errors (wrong
    readings at 80–90 are common), two networks agreeing says much more."""
    if spec.kind == "checkbox":
        raw = "" if seen.ticked is None else ("1" if seen.ticked else "0")
        value, problems = normalize(spec, raw)
        if seen.ticked is not None and seen.confidence < threshold:
            problems.append(_low(seen.confidence, threshold))
        return FieldReading(name, value, "", seen.confidence, tuple(problems), seen.crop)
    readings = [(reading, *normalize(spec, reading.text)) for reading in seen.readings]
    # A reading that saw ink but read nothing (confidence 0) is no vote, not a vote for "empty".
    valid = [(reading, value) for reading, value, problems in readings
             if not problems and not (value is None and reading.confidence < threshold)]
    values = {_key(value) for _, value in valid}
    models = {reading.model for reading in seen.readings}
    if len(models) > 1:
        threshold = threshold if cross_threshold is None else cross_threshold
    # A doubtful gap matters only where a space is part of the value (佐藤　一郎); digits, dates and
    # choices drop spaces when normalised (a 12-cell comb of 個人番号 is all gaps).
    spaces_matter = spec.kind in SPACED_KINDS
    confident = [(reading, value) for reading, value in valid
                 if reading.confidence >= threshold and not (value is not None and spaces_matter and reading.spacing_doubt)]
    if len(models) > 1:
        # Every model reads the value in one of its readings at least; another reading of a model
        # that also reads it is a slip of that model on another image, not evidence of another value.
        agreed = {_key(value) for _, value in confident
                  if all(any(r.model == model and _key(v) == _key(value) for r, v in confident) for model in models)}
        if len(agreed) == 1:
            values = agreed
        confident = [(reading, value) for reading, value in confident if len(agreed) == 1 and _key(value) in agreed]
    if seen.variant:  # every model reads 髙 as 高: agreement proves nothing here
        confident = []
    if len(values) == 1 and len(confident) >= 2:  # two confident readings agree, none reads otherwise
        value = confident[0][1]
        confidence = min(reading.confidence for reading, _ in confident)
        kept = FieldReading(name, value, confident[0][0].text, round(confidence, 1), (), seen.crop)
        return as_printed(spec, seen.widths, witnessed(spec, seen.witness, kept))
    if seen.ink_choice is not None and not seen.variant:
        settled = _by_ink(name, spec, seen, seen.ink_choice)
        if settled is not None:
            return as_printed(spec, seen.widths, witnessed(spec, seen.witness, settled))
    # Doubtful: show the most trusted reading, and every reason.
    first, value, problems = max(readings, key=lambda r: (not r[2], r[0].confidence))
    problems = list(problems)
    if seen.variant:
        problems.append(tr("異体字（{v} など）の可能性があります: 読み取りでは区別できません",
                           "may hold an itaiji ({v} or similar), which OCR cannot tell apart", v=seen.variant))
    if len(values) > 1:
        shown = "" if spec.sensitive else ": " + " / ".join(sorted(values))
        problems.append(tr("読み取るたびに違う値になります{o}", "the readings differ{o}", o=shown))
    elif valid:
        if spaces_matter and any(reading.spacing_doubt for reading, value in valid if value is not None):
            problems.append(tr("空白の有無がはっきりしません", "unclear whether there is a space"))
        elif len(models) > 1 and len({r.model for r, _ in valid}) < len(models):
            problems.append(tr("2 つの OCR モデルの一方しかこの値を読めません",
                               "only one of the two OCR models reads this value"))
        ranked = sorted((reading.confidence for reading, _ in valid), reverse=True)
        second = ranked[1] if len(ranked) > 1 else 0.0
        if second < threshold and not problems:
            problems.append(_low(second, threshold))
    elif not problems and all(not reading.text for reading in seen.readings):
        # Ink in the zone, but nothing read: never "empty" for an optional field.
        problems.append(tr("文字がありますが読めません", "there is writing that could not be read"))
    if not problems:
        problems.append(_low(first.confidence, threshold))
    return FieldReading(name, value, first.text, round(first.confidence, 1), tuple(problems), seen.crop)


def _by_ink(name: str, spec: FieldSpec, seen: FieldOcr, choice: InkChoice) -> FieldReading | None:
    """The value the ink chose between differing readings (bots/ocr/inkfit.py), when it validates.
    Its confidence is the best of the readings that read exactly it (0 for a mix of two)."""
    value, problems = normalize(spec, choice.text)
    if problems:
        return None
    confidence = max((r.confidence for r in seen.readings if r.text == choice.text), default=0.0)
    # No values in the note: it goes to the run log, which need not hold the applicant's data.
    ways = len({r.text for r in seen.readings if r.text})
    note = tr("読み取りが {n} 通りに分かれたため、印字と照合して決めました{m}",
              "the readings differed ({n} ways); settled by comparing them with the print{m}", n=ways,
              m=tr("（2 つの読みの組み合わせ）", " (a mix of two readings)") if choice.mixed else "")
    return FieldReading(name, value, choice.text, round(confidence, 1), (), seen.crop, note)


def _key(value: Any) -> str:
    return _shown(value) if value is not None else "None"


def _low(confidence: float, threshold: float) -> str:
    return tr("読み取りの確信度が低い（{c:.0f} < {t:.0f}）", "low confidence ({c:.0f} < {t:.0f})",
              c=confidence, t=threshold)


def _shown(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)

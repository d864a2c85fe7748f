"""OCR accuracy and throughput per demo form layout: the pipeline vs plain tesseract on the same zones.

For each layout of ``demo/kazaguruma_demo/form_layouts.py`` (shinsei: corner marks; kokuho: no
marks, phone photos) N scans are generated with their ground truth (seeded), then in this one
process, on the same files and with the same number of worker processes:

- the pipeline (``bots.ocr.pipeline.read_forms``: registration, per-field readings, the decision
  rule, cross checks): forms accepted without review, how many of the fields keyed from them are
  exactly right, how many wrong values would have been keyed (must be 0);
- the baseline: each page registered the same way (``bots.ocr.register.register``), each zone cut
  out and read by **one** ``pytesseract.image_to_string(crop, lang="jpn", config="--psm 7")``,
  normalised as the pipeline normalises (a value that fails its kind's check counts as not read).
  Checkboxes are left out of the baseline (plain OCR does not read a tick); a page registration
  refuses counts every one of its fields as wrong.

``forms_per_min`` counts from the first file to the last result (pool start-up included).
stdout: one JSON line per layout (``--layout NAME``: just that one); with several layouts a last
line combines them (``"layout": "all"``). A readable summary goes to stderr.

    python bench/ocr.py --layout kokuho --forms 30 --seed 2026
    python bench/ocr.py --forms 30
    python bench/ocr.py --list-layouts
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields
from itertools import repeat
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pytesseract  # noqa: E402
from kazaguruma_demo.form_layouts import FormLayout, get_layout, layout_names  # noqa: E402
from PIL import Image  # noqa: E402

from bots.errors import FormFileError  # noqa: E402
from bots.ocr.images import load_pages  # noqa: E402
from bots.ocr.normalize import normalize  # noqa: E402
from bots.ocr.pipeline import read_forms  # noqa: E402
from bots.ocr.register import WORK_DPI, mm_to_px, register  # noqa: E402
from bots.ocr.results import FormResult, same_value  # noqa: E402
from bots.ocr.tesseract import ensure_tesseract  # noqa: E402
from bots.selectors.form_template import FormTemplate  # noqa: E402


@dataclass
class Tally:
    """Raw counts of one run (or several added up): the figures are ratios of these."""

    forms: int = 0
    accepted_forms: int = 0
    accepted_fields: int = 0
    right_fields: int = 0
    wrong_fields: int = 0
    whole_page_review: int = 0  #: pages not read field by field (not registered, blank …)
    errors: int = 0
    seconds: float = 0.0
    base_right: int = 0
    base_total: int = 0
    base_seconds: float = 0.0

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def figures(self, layout: str, workers: int, seed: int | None) -> dict[str, Any]:
        n = max(self.forms, 1)
        return {
            "layout": layout,
            "forms": self.forms,
            "auto_accepted": round(self.accepted_forms / n, 3),
            "accepted_field_accuracy": round(self.right_fields / self.accepted_fields, 4)
            if self.accepted_fields else None,
            "wrong_keyed": self.wrong_fields,
            "baseline_field_accuracy": round(self.base_right / max(self.base_total, 1), 4),
            "forms_per_min": round(self.forms / self.seconds * 60, 1) if self.seconds else None,
            "baseline_forms_per_min": round(self.forms / self.base_seconds * 60, 1) if self.base_seconds else None,
            "whole_page_review": self.whole_page_review,
            "errors": self.errors,
            "workers": workers,
            "seed": seed,
        }


def tally_pipeline(results: list[FormResult], truths: dict[Path, dict[str, Any]]) -> Tally:
    """Only a fully accepted form is keyed: its fields are the ones that count as keyed."""
    tally = Tally(forms=len(results))
    for result in results:
        if result.status == "error":
            tally.errors += 1
        elif not result.fields:
            tally.whole_page_review += 1
        if result.status != "accepted":
            continue
        tally.accepted_forms += 1
        for name, reading in result.fields.items():
            tally.accepted_fields += 1
            if same_value(reading.value, truths[result.file].get(name)):
                tally.right_fields += 1
            else:
                tally.wrong_fields += 1
    return tally


def baseline_form(path: Path, truth: dict[str, Any], template: FormTemplate) -> tuple[int, int]:
    """(fields right, fields counted) of plain tesseract on one form's registered zones."""
    names = [name for name, spec in template.fields.items() if spec.kind != "checkbox"]
    try:
        canvas = register(load_pages(path, dpi=WORK_DPI)[0], template)
    except FormFileError:  # not registered (NotAFormError) or unreadable: nothing read
        return 0, len(names)
    right = 0
    for name in names:
        spec, zone = template.fields[name], template.zone_mm(name)
        crop = canvas[mm_to_px(zone.y) : mm_to_px(zone.y + zone.h), mm_to_px(zone.x) : mm_to_px(zone.x + zone.w)]
        text = pytesseract.image_to_string(Image.fromarray(crop), lang="jpn", config="--psm 7")
        value, problems = normalize(spec, text)
        right += same_value(None if problems else value, truth.get(name))
    return right, len(names)


def _baseline_worker() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"  # as the pipeline's tesseract calls: one thread per process
    ensure_tesseract({"jpn"})


def run_layout(layout: FormLayout, n: int, seed: int, workers: int) -> Tally:
    """Generate ``n`` forms of ``layout`` and read them both ways."""
    template = layout.template()
    with tempfile.TemporaryDirectory() as tmp:
        forms = layout.generate(Path(tmp), n, seed=seed)
        truths = {form.path: form.truth for form in forms}
        started = time.perf_counter()
        results = list(read_forms([form.path for form in forms], template, workers=workers))
        tally = tally_pipeline(results, truths)
        tally.seconds = time.perf_counter() - started
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=min(workers, n), initializer=_baseline_worker) as pool:
            counted = list(pool.map(baseline_form, list(truths), list(truths.values()), repeat(template)))
        tally.base_seconds = time.perf_counter() - started
    tally.base_right = sum(right for right, _ in counted)
    tally.base_total = sum(total for _, total in counted)
    return tally


def summary(figures: dict[str, Any]) -> str:
    """Readable lines for stderr."""
    return (f"[{figures['layout']}] {figures['forms']} forms: accepted without review {figures['auto_accepted']}, "
            f"wrong keyed {figures['wrong_keyed']}, accepted field accuracy {figures['accepted_field_accuracy']}, "
            f"whole pages to review {figures['whole_page_review']}\n"
            f"[{figures['layout']}] forms/min: pipeline {figures['forms_per_min']}, plain tesseract on the zones "
            f"{figures['baseline_forms_per_min']} (its field accuracy {figures['baseline_field_accuracy']})\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="OCR pipeline vs plain tesseract, per demo form layout")
    parser.add_argument("--layout", choices=layout_names(), help="one layout (default: every layout)")
    parser.add_argument("--forms", type=int, default=30)
    parser.add_argument("--seed", type=int, help="default: each layout's bench seed")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--list-layouts", action="store_true", help="print the layout names, one a line")
    args = parser.parse_args(argv)
    if args.list_layouts:
        sys.stdout.write("".join(f"{name}\n" for name in layout_names()))
        return 0
    names = [args.layout] if args.layout else layout_names()
    total = Tally()
    for name in names:
        layout = get_layout(name)
        seed = layout.bench_seed if args.seed is None else args.seed
        tally = run_layout(layout, args.forms, seed, args.workers)
        figures = tally.figures(name, args.workers, seed)
        sys.stderr.write(summary(figures))
        sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        total = total + tally
    if len(names) > 1:
        combined = total.figures("all", args.workers, args.seed)
        sys.stderr.write(summary(combined))
        sys.stdout.write(json.dumps(combined, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

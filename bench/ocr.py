"""OCR throughput and accuracy: the form pipeline vs plain full-page tesseract, same forms.

Generates N demo scans (seeded, with ground truth), then in this one process run:
- the pipeline (registration, per-field OCR in a process pool, normalisation, validation,
  confidence): fields accepted automatically, how many of them are exactly right, how many
  wrong ones would have been keyed (must be 0), forms accepted without review;
- the baseline: ``pytesseract.image_to_string(page, lang="jpn")`` on each whole page, each value
  taken from the text after its printed label on the same line, normalised the same way.

Last line JSON: {"forms", "auto_accepted", "accepted_field_accuracy", "wrong_keyed",
"baseline_field_accuracy", "forms_per_min", "baseline_forms_per_min", "workers"}.

    python bench/ocr.py --forms 30
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pytesseract  # noqa: E402
from kazaguruma_demo.forms import generate_forms  # noqa: E402

from bots.ocr.images import load_pages  # noqa: E402
from bots.ocr.normalize import normalize  # noqa: E402
from bots.ocr.pipeline import read_forms  # noqa: E402
from bots.ocr.results import same_value  # noqa: E402
from bots.selectors.form_template import load_form_template  # noqa: E402

TEMPLATE = ROOT / "selectors" / "forms" / "shinsei.yaml"


def baseline(forms: list[Any], template: Any) -> tuple[float, float]:
    """Full-page OCR, values matched by label: (field accuracy, seconds)."""
    right = total = 0
    t0 = time.perf_counter()
    for form in forms:
        page = load_pages(form.path)[0]
        text = pytesseract.image_to_string(page, lang="jpn")
        lines = [re.sub(r"\s+", "", line) for line in text.splitlines()]
        for name, spec in template.fields.items():
            truth = form.truth.get(name)
            total += 1
            label = re.sub(r"\s+", "", name)
            found = next((line.split(label, 1)[1] for line in lines if label in line), "")
            if spec.kind == "checkbox":
                value: Any = None  # a full-page text cannot tell a ticked box
            else:
                value, problems = normalize(spec, found)
                if problems:
                    value = None
            right += same_value(value, truth)
    return right / max(total, 1), time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--forms", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    template, found = load_form_template(TEMPLATE)
    assert template is not None, found
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        forms = generate_forms(Path(tmp), args.forms, seed=args.seed, template=template)
        by_path = {f.path: f for f in forms}
        t0 = time.perf_counter()
        results = list(read_forms([f.path for f in forms], template, workers=workers))
        pipeline_s = time.perf_counter() - t0
        accepted_forms = accepted_fields = right_fields = wrong_fields = 0
        for result in results:
            truth = by_path[result.file].truth
            if result.status == "accepted":
                accepted_forms += 1
            if result.status == "error":
                continue
            form_accepted = result.status == "accepted"
            for name, reading in result.fields.items():
                if form_accepted:  # only a fully accepted form is keyed
                    accepted_fields += 1
                    if same_value(reading.value, truth.get(name)):
                        right_fields += 1
                    else:
                        wrong_fields += 1
        base_accuracy, base_s = baseline(forms, template)
    n = len(forms)
    figures = {
        "forms": n,
        "auto_accepted": round(accepted_forms / n, 3),
        "accepted_field_accuracy": round(right_fields / accepted_fields, 4) if accepted_fields else None,
        "wrong_keyed": wrong_fields,
        "baseline_field_accuracy": round(base_accuracy, 4),
        "forms_per_min": round(n / pipeline_s * 60, 1),
        "baseline_forms_per_min": round(n / base_s * 60, 1),
        "workers": workers,
    }
    print(f"{'':28}{'pipeline':>12}{'full-page jpn':>16}")
    print(f"{'field accuracy':28}{figures['accepted_field_accuracy']!s:>12}{figures['baseline_field_accuracy']!s:>16}"
          "   (pipeline: of the fields it accepted)")
    print(f"{'forms per minute':28}{figures['forms_per_min']!s:>12}{figures['baseline_forms_per_min']!s:>16}")
    print(f"forms accepted without review: {accepted_forms}/{n}; wrong values that would be keyed: {wrong_fields}")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""The OCR engines side by side on a demo layout's registered zones, and the decision rule with and
without the second engine.

Per engine, on the same registered field zones of N generated scans (ground truth beside each):
exact-field accuracy (normalised as the pipeline does), the kinds of its errors (characters
substituted, dropped, inserted: aligned with ``difflib``), seconds per form, peak RSS (each engine
in a fresh process, so the figures do not mix). Engines:

- ``tesseract_jpn``: plain tesseract ``jpn`` psm 7 on the zone (the issue's baseline);
- ``tesseract_full`` / ``tesseract_debian``: the pipeline's first reading (40 px, cleaned,
  binarised) by each of the two ``jpn`` models (digit fields: ``eng``, then ``jpn``);
- ``ppocr``: PP-OCRv5 recognition on the cleaned gray line (:mod:`bots.ocr.ppocr`).

Then the whole pipeline twice (``KAZAGURUMA_PPOCR=0`` for the tesseract-only rule): forms accepted,
fields accepted with a wrong value (``wrong_keyed``: counted per field, also in forms that go to
review for another field — stricter than bench/ocr.py), fields the witness sent to review, forms
per minute. Last line JSON.

    python bench/ocr_engines.py --layout shinsei --forms 30 --seed 9100
"""

from __future__ import annotations

import argparse
import difflib
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "demo"))

import pytesseract  # noqa: E402

from bots.ocr import ppocr  # noqa: E402
from bots.ocr.fields import INSET_MM, _engines, _levels, ink_gray, unquirk, zone_px  # noqa: E402
from bots.ocr.images import load_pages  # noqa: E402
from bots.ocr.normalize import normalize  # noqa: E402
from bots.ocr.prepare import prepare  # noqa: E402
from bots.ocr.register import WORK_DPI, mm_to_px, register  # noqa: E402
from bots.ocr.results import same_value  # noqa: E402
from bots.ocr.tesseract import ensure_tesseract, read_batch  # noqa: E402
from bots.selectors.form_template import FormTemplate, load_form_template  # noqa: E402

ENGINES = ("tesseract_jpn", "tesseract_full", "tesseract_debian", "ppocr")


def layouts() -> dict[str, Path]:
    """The demo layouts whose template exists in this checkout."""
    found = {"shinsei": ROOT / "selectors" / "forms" / "shinsei.yaml"}
    kokuho = ROOT / "selectors" / "forms" / "kokuho.yaml"
    if kokuho.is_file():
        found["kokuho"] = kokuho
    return found


def generate(layout: str, folder: Path, n: int, seed: int, template: FormTemplate) -> list[Any]:
    if layout == "kokuho":
        from kazaguruma_demo.forms_kokuho import generate_kokuho_forms  # lazy: only this layout needs it

        return generate_kokuho_forms(folder, n, seed=seed)
    from kazaguruma_demo.forms import generate_forms  # lazy: the demo, not the library

    return generate_forms(folder, n, seed=seed, template=template)


def read_engine(engine: str, paths: list[str], template_path: str) -> dict[str, Any]:
    """In a fresh process: every form's OCR-read fields by one engine; seconds spent reading (the
    registration is not counted) and the peak RSS of this process and its children (tesseract)."""
    template, _ = load_form_template(Path(template_path))
    assert template is not None
    ensure_tesseract({spec.lang for spec in template.fields.values() if spec.kind != "checkbox"})
    read: list[dict[str, str]] = []
    seconds = 0.0
    for path in paths:
        try:
            canvas = register(load_pages(Path(path), dpi=WORK_DPI)[0], template)
        except Exception:  # not registered: the form is left out of every engine's figures alike
            read.append({})
            continue
        gray = ink_gray(canvas)
        paper, ink = _levels(gray)
        inset = mm_to_px(INSET_MM)
        crops = {}
        for name, spec in template.fields.items():
            if spec.kind != "checkbox":
                x0, y0, x1, y1 = zone_px(template, name)
                crops[name] = gray[y0 + inset : y1 - inset, x0 + inset : x1 - inset]
        started = time.perf_counter()
        read.append(_read(engine, template, crops, paper, ink))
        seconds += time.perf_counter() - started
    return {"read": read, "seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "children_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def _read(engine: str, template: FormTemplate, crops: dict[str, Any], paper: float, ink: float) -> dict[str, str]:
    if engine == "tesseract_jpn":
        return {name: pytesseract.image_to_string(crop, lang="jpn", config="--psm 7").strip()
                for name, crop in crops.items()}
    if engine == "ppocr":
        lines = {name: ppocr.line_images(crop, paper, ink) for name, crop in crops.items()}
        flat = ppocr.recognize([image for images in lines.values() for image in images]) or []
        out, start = {}, 0
        for name, images in lines.items():
            out[name] = ppocr.join(flat[start : start + len(images)]).text
            start += len(images)
        return out
    model = 0 if engine == "tesseract_full" else 1
    out = {}
    for name, crop in crops.items():
        prepared = prepare(crop, paper, ink)
        if not prepared:
            out[name] = ""
            continue
        lang, tessdata = _engines(template.fields[name], template)[model % len(_engines(template.fields[name],
                                                                                          template))]
        words = [read_batch([segment], lang=lang, psm=7, tessdata=tessdata)[0] for segment in prepared[0].segments]
        out[name] = "\u3000".join(unquirk("".join(word.text for word in segment)) for segment in words)
    return out


def score(template: FormTemplate, forms: list[Any], read: list[dict[str, str]]) -> dict[str, Any]:
    """Exact fields (normalised) and the kinds of the character errors."""
    right = total = 0
    kinds = {"substituted": 0, "dropped": 0, "inserted": 0}
    examples: list[str] = []
    for form, fields in zip(forms, read, strict=True):
        for name, text in fields.items():
            truth = form.truth.get(name)
            value, problems = normalize(template.fields[name], text)
            total += 1
            if not problems and same_value(value, truth):
                right += 1
                continue
            expected = truth.isoformat() if hasattr(truth, "isoformat") else str(truth or "")
            got = value.isoformat() if hasattr(value, "isoformat") else str(value or text)
            for tag, i0, i1, j0, j1 in difflib.SequenceMatcher(None, expected, got, autojunk=False).get_opcodes():
                if tag == "replace":
                    kinds["substituted"] += max(i1 - i0, j1 - j0)
                elif tag == "delete":
                    kinds["dropped"] += i1 - i0
                elif tag == "insert":
                    kinds["inserted"] += j1 - j0
            if len(examples) < 8 and not template.fields[name].sensitive:
                examples.append(f"{expected} → {got}")
    return {"field_accuracy": round(right / max(total, 1), 3), "errors": kinds, "examples": examples,
            "forms_not_registered": sum(1 for fields in read if not fields)}


def pipeline(template_path: Path, paths: list[Path], truth: dict[Path, Any], second: bool) -> dict[str, Any]:
    """The whole pipeline in a child process (the engine switch is read once per process)."""
    env = {**os.environ, "KAZAGURUMA_PPOCR": "1" if second else "0"}
    code = ("import json,sys; sys.path.insert(0, 'demo'); from pathlib import Path;"
            "from bots.ocr.pipeline import read_forms; from bots.selectors.form_template import load_form_template;"
            "import time; t,_=load_form_template(Path(sys.argv[1])); s=time.perf_counter();"
            "r=list(read_forms([Path(p) for p in sys.argv[2:]], t)); d=time.perf_counter()-s;"
            "print(json.dumps({'seconds': d, 'forms': [[str(x.file), x.status,"
            " {n: [f.value.isoformat() if hasattr(f.value, 'isoformat') else f.value, f.doubtful, list(f.problems)]"
            " for n, f in x.fields.items()}] for x in r]}, ensure_ascii=False))")
    out = subprocess.run([sys.executable, "-c", code, str(template_path), *map(str, paths)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout.splitlines()[-1]
    found = json.loads(out)
    accepted = witness_vetoes = 0
    wrong: list[str] = []  # fields accepted with a wrong value (keyed if the rest of the form is accepted)
    for file, status, fields in found["forms"]:
        accepted += status == "accepted"
        for name, (value, doubtful, problems) in fields.items():
            if not doubtful and not same_value(value, truth[Path(file)].get(name)):
                wrong.append(f"{name}: {truth[Path(file)].get(name)} → {value}")
            witness_vetoes += any("OCR エンジン" in p or "OCR engines" in p for p in problems)
    return {"auto_accepted": round(accepted / max(len(paths), 1), 3), "wrong_keyed": len(wrong), "wrong": wrong[:8],
            "witness_vetoes": witness_vetoes, "forms_per_min": round(60 * len(paths) / found["seconds"], 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layout", default="shinsei")
    parser.add_argument("--forms", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--engines", default=",".join(ENGINES), help='comma-separated; "" for the pipeline only')
    parser.add_argument("--no-pipeline", action="store_true", help="engines only")
    parser.add_argument("--list-layouts", action="store_true")
    args = parser.parse_args()
    if args.list_layouts:
        print("\n".join(layouts()))
        return
    template_path = layouts()[args.layout]
    template, found = load_form_template(template_path)
    assert template is not None, found
    report: dict[str, Any] = {"layout": args.layout, "forms": args.forms, "seed": args.seed}
    with tempfile.TemporaryDirectory() as tmp:
        forms = generate(args.layout, Path(tmp), args.forms, args.seed, template)
        paths = [str(form.path) for form in forms]
        context = multiprocessing.get_context("spawn")
        for engine in filter(None, args.engines.split(",")):
            with context.Pool(1) as pool:
                got = pool.apply(read_engine, (engine, paths, str(template_path)))
            report[engine] = {**score(template, forms, got["read"]),
                              "seconds_per_form": round(got["seconds"] / len(forms), 3),
                              "peak_rss_mb": round(got["rss_mb"]), "children_peak_rss_mb": round(got["children_rss_mb"])}
            print(engine, json.dumps(report[engine], ensure_ascii=False), flush=True)
        if not args.no_pipeline:
            truth = {form.path: form.truth for form in forms}
            for second in (False, True):
                key = "pipeline_with_ppocr" if second else "pipeline_tesseract_only"
                report[key] = pipeline(template_path, [form.path for form in forms], truth, second)
                print(key, json.dumps(report[key], ensure_ascii=False), flush=True)
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()

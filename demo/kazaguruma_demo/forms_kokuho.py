"""Demo scans of a second form layout, ``kokuho`` (国民健康保険 被保険者資格取得届), with ground truth.

The OCR pipeline was tuned on the shinsei demo form; this one measures it on a form it has never
seen, as a municipality's own form would be: no corner marks, labels above the boxes, Noto Serif
print and bold typed values (:mod:`kazaguruma_demo.forms_kokuho_draw`), values with full-width
digits, small kana, ポ/ボ and middle dots (:mod:`kazaguruma_demo.forms_kokuho_values`), and the
damage of a flatbed at 150–600 dpi or of a phone photo (:mod:`kazaguruma_demo.forms_kokuho_scan`).

Truth (``<stem>.json`` beside each image) has the shape of the shinsei demo's
(:class:`kazaguruma_demo.forms.GeneratedForm`, the same columns), so tests and ``bench/ocr.py``
treat both layouts alike; the 住所 is as printed (its digits keep their width).
Same seed, same bytes. ``python -m kazaguruma_demo.forms_kokuho OUT_DIR --count N --seed S``;
``--blank PATH`` writes the blank reference image (``selectors/forms/kokuho_blank.png``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

from bots.i18n import tr
from kazaguruma_demo.forms import GeneratedForm
from kazaguruma_demo.forms_kokuho_draw import (
    BLANK_DPI,
    BOXES,
    Sheet,
    blank_path,
    draw_form,
    draw_values,
    render_blank,
)
from kazaguruma_demo.forms_kokuho_scan import (
    LOW_DPI_QUALITY_RANGE,
    PHOTO_DPI,
    PHOTO_QUALITY_RANGE,
    QUALITY_RANGE,
    SCAN_DPIS,
    flatbed,
    phone,
    save,
    specks,
)
from kazaguruma_demo.forms_kokuho_values import kokuho_values
from kazaguruma_demo.sample_data import make_applications

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "selectors" / "forms" / "kokuho.yaml"
BLANK_PATH = blank_path(ROOT)
#: Record columns, in the order the form asks them.
FIELDS = tuple(BOXES)
PHOTO_DRAW_DPI = 300  #: a phone photo is drawn at this dpi, then photographed


def generate_kokuho_forms(folder: Path, n: int, *, seed: int) -> list[GeneratedForm]:
    """Write ``n`` scans or photos of filled kokuho forms and their ``.json`` truth into ``folder``.

    By position, so any batch of ten has each case: 2 phone photos (the 2nd and 7th), 2 grayscale
    PNG scans (the 3rd and 8th), 6 colour JPEG scans; the 7th is a foreign resident's; 同意 is left
    unticked on every seventh. The rest (dpi, skew, fonts, values, quality) is seeded."""
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for i, (row, _) in enumerate(make_applications(n, seed=seed, bad=0)):
        rng = random.Random(f"{seed}/kokuho/{i}")
        printed, truth = kokuho_values(row, i, rng)
        photo = i % 5 == 1
        suffix = ".png" if i % 10 in (2, 7) else ".jpg"
        path = folder / f"kokuho_{i + 1:03d}{suffix}"
        scan = _make_scan(path, printed, photo=photo, rng=rng)
        truth = {name: truth.get(name) for name in FIELDS}
        path.with_suffix(".json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
        made.append(GeneratedForm(path, truth, scan))
    return made


def render_filled(printed: dict[str, Any], dpi: int, rng: random.Random) -> tuple[Sheet, dict[str, Any]]:
    """The filled form before any scanning: the printed form, the values typed in."""
    sheet = Sheet(dpi)
    draw_form(sheet)
    typed = draw_values(sheet, printed, rng)
    return sheet, typed


def _make_scan(path: Path, printed: dict[str, Any], *, photo: bool, rng: random.Random) -> dict[str, Any]:
    dpi = PHOTO_DRAW_DPI if photo else rng.choice(SCAN_DPIS)
    sheet, typed = render_filled(printed, dpi, rng)
    page = specks(sheet.image, dpi, rng)
    pixels, how = phone(page, rng) if photo else flatbed(page, dpi, rng)
    low, high = PHOTO_QUALITY_RANGE if photo else QUALITY_RANGE if dpi >= 250 else LOW_DPI_QUALITY_RANGE
    quality = rng.randint(low, high)
    save(pixels, path, PHOTO_DPI if photo else dpi, quality)
    return {**how, **typed, "format": path.suffix.lstrip("."), "quality": quality if path.suffix == ".jpg" else None}


def write_blank_reference(path: Path = BLANK_PATH, dpi: int = BLANK_DPI) -> Path:
    """The blank form as the template's reference image: grayscale PNG at ``dpi``, same bytes each time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    render_blank(dpi).save(path, "PNG", dpi=(dpi, dpi), optimize=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=tr("デモ用の国保届（印なし）のスキャンを作ります（正解 JSON 付き）",
                                                    "make demo scans of the kokuho form (no marks; with truth JSON)"))
    parser.add_argument("out_dir", type=Path, nargs="?")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--blank", type=Path, help=tr("白紙の参照画像をここに書きます", "write the blank reference image here"))
    args = parser.parse_args(argv)
    if args.blank is not None:
        write_blank_reference(args.blank)
        sys.stdout.write(tr("白紙の参照画像を書きました: {p}\n", "blank reference written: {p}\n", p=args.blank))
    if args.out_dir is not None:
        made = generate_kokuho_forms(args.out_dir, args.count, seed=args.seed)
        sys.stdout.write(tr("{n} 枚の届出書を作りました: {d}\n", "{n} forms written to {d}\n", n=len(made), d=args.out_dir))
    elif args.blank is None:
        parser.error(tr("出力先フォルダか --blank を指定してください", "give an output folder or --blank"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

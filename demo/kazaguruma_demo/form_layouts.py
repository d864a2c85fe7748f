"""The demo form layouts by name: how to generate scans of each, its template, and its seeds.

``bench/ocr.py`` and the OCR tests treat every layout alike through this registry. The seeds keep
tuning and measuring apart (issue 20): thresholds and rules are tuned on a layout's
``tuning_seed`` only; ``test_seed`` is the acceptance test's set and is never looked at while
tuning; ``bench_seed`` is the benchmark's.

- ``shinsei`` (各種証明書等交付申請書): corner marks, the layout the pipeline was built on
  (bots/ocr/DESIGN.md: tuning 9100, test 4242, bench 2026).
- ``kokuho`` (国民健康保険 被保険者資格取得届): no marks, drawn differently, phone photos
  (:mod:`kazaguruma_demo.forms_kokuho`); registered against ``selectors/forms/kokuho_blank.png``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bots.errors import FlowError
from bots.i18n import tr
from bots.selectors.form_template import FormTemplate, load_form_template
from kazaguruma_demo.forms import TEMPLATE_PATH as SHINSEI_TEMPLATE
from kazaguruma_demo.forms import GeneratedForm, generate_forms
from kazaguruma_demo.forms_kokuho import TEMPLATE_PATH as KOKUHO_TEMPLATE
from kazaguruma_demo.forms_kokuho import generate_kokuho_forms

#: kokuho: thresholds may be tuned on this set only.
KOKUHO_TUNING_SEED = 8800
#: kokuho: the acceptance test's set (tests/acceptance/test_ocr_unseen_layout.py); never tuned on.
KOKUHO_TEST_SEED = 3131
BENCH_SEED = 2026


@dataclass(frozen=True)
class FormLayout:
    """One demo layout: its generator, its template file and its seeds."""

    name: str
    title: str
    template_path: Path
    make: Callable[[Path, int, int], list[GeneratedForm]]
    tuning_seed: int
    test_seed: int
    bench_seed: int = BENCH_SEED

    def generate(self, folder: Path, n: int, *, seed: int) -> list[GeneratedForm]:
        """``n`` scans with their truth JSON in ``folder``; same seed, same files."""
        return self.make(folder, n, seed)

    def template(self) -> FormTemplate:
        """The layout's template; a broken or unloadable one is a FlowError with its diagnostics."""
        template, found = load_form_template(self.template_path)
        if template is None:
            raise FlowError(tr("帳票定義を読み込めません: {p}", "cannot load the form template: {p}",
                               p=self.template_path), list(found))
        return template


def _shinsei(folder: Path, n: int, seed: int) -> list[GeneratedForm]:
    return generate_forms(folder, n, seed=seed)


def _kokuho(folder: Path, n: int, seed: int) -> list[GeneratedForm]:
    return generate_kokuho_forms(folder, n, seed=seed)


LAYOUTS: dict[str, FormLayout] = {
    "shinsei": FormLayout("shinsei", "各種証明書等交付申請書", SHINSEI_TEMPLATE, _shinsei, tuning_seed=9100,
                          test_seed=4242),
    "kokuho": FormLayout("kokuho", "国民健康保険 被保険者資格取得届", KOKUHO_TEMPLATE, _kokuho,
                         tuning_seed=KOKUHO_TUNING_SEED, test_seed=KOKUHO_TEST_SEED),
}


def layout_names() -> list[str]:
    """Every demo layout's name, in a fixed order."""
    return list(LAYOUTS)


def get_layout(name: str) -> FormLayout:
    """The layout called ``name``; an unknown name is a ValueError naming the close ones."""
    if name in LAYOUTS:
        return LAYOUTS[name]
    close = difflib.get_close_matches(name, LAYOUTS, n=1)
    hint = tr("（もしかして: {c}）", " (did you mean: {c}?)", c=close[0]) if close else ""
    raise ValueError(tr("デモの帳票 '{n}' はありません。あるのは {all} です{h}",
                        "no demo form layout '{n}'; there are {all}{h}", n=name, all=", ".join(LAYOUTS), h=hint))

"""Blank shinsei pages for ``forms new``'s tests: the demo generator's own drawing of the form
(labels, box rules, corner marks) without values, scanned as its forms are (rotation, shift, blur,
noise, JPEG), optionally with the corner marks painted out to make a form without marks."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from kazaguruma_demo import forms as demo
from kazaguruma_demo.forms import Rect

from bots.selectors.form_template import FormTemplate


def blank_shinsei(path: Path, template: FormTemplate, *, dpi: int, seed: int, marks: bool = True,
                  scanned: bool = True) -> dict[str, Any]:
    """Write a blank page of ``template`` to ``path``; returns the scan's parameters (angle, shift_mm)."""
    sheet = demo._Sheet(template, dpi)
    zones = {name: demo._rect(template.zone_mm(name)) for name in template.fields}
    demo._draw_form(sheet, template, zones)
    if not marks:
        anchors = template.anchors
        side, inset = anchors.size_mm, anchors.inset_mm  # type: ignore[union-attr]
        width, height = template.page.width_mm, template.page.height_mm
        for x, y in ((inset, inset), (width - inset - side, inset), (inset, height - inset - side),
                     (width - inset - side, height - inset - side)):
            square = Rect(x, y, side, side).grown(1)
            sheet.draw.rectangle((square.x * sheet.k, square.y * sheet.k, square.right * sheet.k,
                                  square.bottom * sheet.k), fill=(255, 255, 255))
    if not scanned:
        sheet.image.save(path, dpi=(dpi, dpi))
        return {"angle": 0.0, "shift_mm": [0.0, 0.0]}
    return demo._scan_and_save(sheet.image, path, template, dpi, random.Random(seed))

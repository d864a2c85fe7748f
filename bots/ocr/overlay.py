"""A template's zones drawn on a registered scan, and a plain reading of each: ``forms check``.

Before a drafted or edited template reads real applications, a person looks at where its zones
fall on a filled scan: each zone's rectangle with its name and kind, on the page as registration
put it. Beside the picture, one plain tesseract reading per zone (no second model, no ink check:
:mod:`bots.ocr.fields` does the real reading) shows at a glance whether a zone holds its value,
half of it, or the label next to it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from bots.ocr.fields import ink_gray, unquirk, whitelist_for, zone_px
from bots.ocr.glyphs import font_file
from bots.ocr.register import mm_to_px
from bots.ocr.tesseract import read_batch
from bots.selectors.form_template import FormTemplate

Canvas = NDArray[np.uint8]
#: Zone colours: text-like fields, checkboxes (RGB).
_ZONE, _CHECKBOX, _CAPTION = (220, 30, 30), (20, 120, 220), (10, 90, 10)
#: Caption height (mm) above each zone.
_CAPTION_MM = 3.0
#: Words below this confidence are scanner noise read as "。" or "“" in an empty zone.
_MIN_CONF = 20
#: Checkbox ink (share of the zone) from which it reads as ticked: fields.py's "ticked" level.
_TICKED = 0.05


@dataclass(frozen=True)
class ZoneReading:
    """What a plain reading finds in one zone: text, or for a checkbox its share of ink."""

    name: str
    kind: str
    text: str
    ink: float | None = None


def draw_zones(canvas: Canvas, template: FormTemplate) -> Image.Image:
    """The registered page with every zone outlined and captioned ``name (kind)``."""
    image = Image.fromarray(canvas if canvas.ndim == 3 else np.stack([canvas] * 3, axis=-1)).convert("RGB")
    draw = ImageDraw.Draw(image, "RGBA")
    font = _font(mm_to_px(_CAPTION_MM))
    width = max(2, mm_to_px(0.4))
    for name, spec in template.fields.items():
        x0, y0, x1, y1 = zone_px(template, name)
        colour = _CHECKBOX if spec.kind == "checkbox" else _ZONE
        draw.rectangle((x0, y0, x1, y1), outline=colour, width=width)
        draw.rectangle((x0, y0, x1, y1), fill=(*colour, 28))
        caption = f"{name} ({spec.kind})"
        left, top, right, bottom = draw.textbbox((x0, y0 - 2), caption, font=font, anchor="lb")
        draw.rectangle((left - 2, top - 2, right + 2, bottom + 2), fill=(255, 255, 255, 210))
        draw.text((x0, y0 - 2), caption, font=font, fill=_CAPTION, anchor="lb")
    return image


def read_zones(canvas: Canvas, template: FormTemplate) -> list[ZoneReading]:
    """One plain reading per zone, in the template's order (one tesseract call per reading setting)."""
    gray = ink_gray(canvas)
    groups: dict[tuple[str, int, str | None], list[str]] = defaultdict(list)
    readings: dict[str, ZoneReading] = {}
    for name, spec in template.fields.items():
        x0, y0, x1, y1 = zone_px(template, name)
        if spec.kind == "checkbox":
            readings[name] = _checkbox(name, gray[y0:y1, x0:x1])
        else:
            groups[(spec.lang, spec.psm, whitelist_for(spec))].append(name)
    for (lang, psm, whitelist), names in groups.items():
        crops = [np.ascontiguousarray(gray[y0:y1, x0:x1]) for y0, y1, x0, x1 in
                 ((b[1], b[3], b[0], b[2]) for b in (zone_px(template, n) for n in names))]
        for name, words in zip(names, read_batch(crops, lang=lang, psm=psm, whitelist=whitelist), strict=True):
            # tesseract splits Japanese into one "word" per character: joined without spaces, as fields.py does.
            glue = " " if lang == "eng" else ""
            text = unquirk(glue.join(word.text for word in words if word.conf >= _MIN_CONF).strip())
            readings[name] = ZoneReading(name, template.fields[name].kind, text)
    return [readings[name] for name in template.fields]


def _checkbox(name: str, box: Canvas) -> ZoneReading:
    """A checkbox's ink: dark pixels (below the middle of paper and print) over the zone."""
    if box.size == 0:
        return ZoneReading(name, "checkbox", "", 0.0)
    paper, ink = float(np.percentile(box, 90)), float(np.percentile(box, 1))
    dark = np.count_nonzero(box < (paper + ink) / 2) if paper - ink > 40 else 0
    share = dark / box.size
    return ZoneReading(name, "checkbox", "☑" if share >= _TICKED else "☐", share)


def _font(size_px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A Japanese font for the captions (the print fonts OCR uses), else Pillow's own."""
    path = font_file("sans")
    if path is None:
        return ImageFont.load_default(size=size_px)
    return ImageFont.truetype(path, size_px, index=0)

"""Registration: warp a scanned page onto the template's canvas, by the method the template names.

``anchors.kind`` picks it: ``reference`` aligns to the print of the blank form itself
(:mod:`bots.ocr.align`, any form), ``corner_marks`` to four filled squares near the corners (below).
Either way the result is the page on a canvas at :data:`WORK_DPI`, where a zone in mm is a fixed
pixel rectangle (``mm_to_px(zone.x)`` …), or :class:`NotAFormError` with a reason staff understand.

Corner marks: one perspective transform from the marks' centres absorbs rotation (±3° and more),
shift, scale (150–400 dpi) and a slight feeder skew at once. Marks are filled, near-square dark
blobs of the size the page's dpi predicts (dpi estimated as image width / page width). The
quadrilateral they form must have the template's proportions and right angles at a plausible
scale, so another document is refused rather than warped into nonsense that OCR would then "read".
Four symmetric squares also fit a page turned 180°: the printed rules around the zones tell
(:func:`_upside_down`).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from bots.errors import NotAFormError
from bots.i18n import tr
from bots.ocr.align import register_by_reference
from bots.ocr.canvas import MM_PER_INCH, WORK_DPI, Canvas, Points, canvas_size, mm_to_px, to_gray
from bots.selectors.form_template import CornerMarks, FormTemplate

__all__ = ["MM_PER_INCH", "WORK_DPI", "Canvas", "Points", "mark_centres_mm", "mm_to_px", "register", "to_gray"]

#: Marks are looked for on a copy at about this resolution: fast, and averages scanner noise.
_DETECT_PX_PER_MM = 6.0
#: Geometry tolerances (relative): opposite sides equal, proportions, scale vs the estimate.
_SIDE_TOLERANCE = 0.03
_RATIO_TOLERANCE = 0.04
_SCALE_RANGE = (0.75, 1.33)
#: Upside-down check (corner marks): the rows of ink just outside each zone's top and bottom edges
#: (a box rule: 0.3–3.5 mm out) are read at this resolution.
_RULE_PX_PER_MM = 4.0
_RULE_BAND_MM = (0.3, 3.5)
#: A page is upside down when the zones' rules are found on the page turned 180° (a rule's row is
#: ≥ 60 % inked along the zone) clearly more than where the template puts them. The demo scans
#: (shinsei, 150–400 dpi, ±3°) score 1.0 upright and 0.0 turned; a form whose zones have no rules
#: scores low both ways and is left as it is (the check cannot tell, it does not guess).
_RULE_FOUND = 0.6
_RULE_MARGIN = 0.3


def register(page: Image.Image, template: FormTemplate) -> Canvas:
    """The page warped onto the template: RGB uint8, ``mm_to_px(height_mm)`` × ``mm_to_px(width_mm)`` × 3."""
    rgb = np.asarray(page if page.mode == "RGB" else page.convert("RGB"), dtype=np.uint8)
    anchors = template.anchors
    if not isinstance(anchors, CornerMarks):
        return register_by_reference(rgb, template, anchors)
    return _by_corner_marks(rgb, template, anchors)


def _by_corner_marks(rgb: Canvas, template: FormTemplate, anchors: CornerMarks) -> Canvas:
    px_per_mm = rgb.shape[1] / template.page.width_mm
    found = _find_marks(rgb[:, :, 0], anchors, px_per_mm)  # red channel: a red seal is no mark
    target = mark_centres_mm(template) * np.float32(WORK_DPI / MM_PER_INCH) - np.float32(0.5)  # to pixel indices
    _check_geometry(found, target, px_per_mm / (WORK_DPI / MM_PER_INCH))
    matrix = cv2.getPerspectiveTransform(found, target)
    size = canvas_size(template.page.width_mm, template.page.height_mm)
    warped = np.asarray(cv2.warpPerspective(rgb, matrix, size, flags=cv2.INTER_LINEAR,
                                            borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255)),
                        dtype=np.uint8)
    if _upside_down(warped, template):
        raise NotAFormError(tr("ページの上下が逆です（180° 回転）: 向きを直してスキャンし直してください",
                               "the page is upside down (turned 180°): turn it and scan it again"))
    return warped


def mark_centres_mm(template: FormTemplate) -> Points:
    """Template mark centres (mm): top-left, top-right, bottom-left, bottom-right (corner-mark templates)."""
    anchors = template.anchors
    if not isinstance(anchors, CornerMarks):
        raise TypeError(f"{template.form}: registered by {anchors.kind}, not corner marks")
    c = anchors.inset_mm + anchors.size_mm / 2
    w, h = template.page.width_mm, template.page.height_mm
    return np.array([[c, c], [w - c, c], [c, h - c], [w - c, h - c]], dtype=np.float32)


def _not_a_form(detail: str) -> NotAFormError:
    return NotAFormError(
        tr("帳票の位置合わせ用マークが見つかりません（別の書類か、向き・読み取り範囲が違う可能性があります）",
           "the form's registration marks were not found (another document, or scanned turned or cropped)")
        + detail
    )


def _find_marks(gray: Canvas, anchors: CornerMarks, px_per_mm: float) -> Points:
    """The blob nearest each page corner, in that corner's quadrant, in full-page pixels."""
    factor = min(1.0, _DETECT_PX_PER_MM / px_per_mm)
    small = np.asarray(cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    # Pixel centres sit at integer coordinates: a small-image pixel i spans full-size (i + 0.5) / factor - 0.5.
    candidates = (_square_blobs(small, anchors.size_mm * px_per_mm * factor) + 0.5) / factor - 0.5
    height, width = gray.shape
    chosen: list[NDArray[np.float32]] = []
    for cx, cy in ((0, 0), (width, 0), (0, height), (width, height)):
        near = candidates[(np.abs(candidates[:, 0] - cx) < width / 2) & (np.abs(candidates[:, 1] - cy) < height / 2)]
        if len(near):
            chosen.append(near[int(np.argmin(np.hypot(near[:, 0] - cx, near[:, 1] - cy)))])
    if len(chosen) < 4:
        raise _not_a_form(tr("（見つかったマーク: 四隅のうち {n} か所）", " (marks found: {n} of 4 corners)",
                             n=len(chosen)))
    return np.array(chosen, dtype=np.float32)


def _square_blobs(gray: Canvas, side: float) -> NDArray[np.float32]:
    """Centroids (N×2) of filled, dark, near-square blobs whose side is about ``side`` px."""
    smooth = cv2.GaussianBlur(gray, (3, 3), 0)
    _, ink = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    count, _, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep: list[NDArray[np.float64]] = []
    for label in range(1, count):
        _, _, w, h, area = (int(v) for v in stats[label])
        square_enough = 0.6 * side <= min(w, h) and max(w, h) <= 1.5 * side and min(w, h) / max(w, h) >= 0.75
        # ≥ 0.75 of the bounding box inked: a filled square (≈0.9 at 3°), not a ring, box or glyph.
        if square_enough and area >= 0.75 * w * h:
            keep.append(centroids[label])
    return np.array(keep, dtype=np.float32).reshape(-1, 2)


def _check_geometry(found: Points, target: Points, scale_hint: float) -> None:
    """The marks must form the template's rectangle (any small rotation), at a plausible scale."""

    def sides(p: Points) -> tuple[float, float, float, float]:
        return (float(np.hypot(*(p[1] - p[0]))), float(np.hypot(*(p[3] - p[2]))),
                float(np.hypot(*(p[2] - p[0]))), float(np.hypot(*(p[3] - p[1]))))

    top, bottom, left, right = sides(found)
    want_top, _, want_left, _ = sides(target)
    across, down = found[1] - found[0], found[2] - found[0]
    implausible = (
        min(top, bottom, left, right) <= 0
        or abs(top / bottom - 1) > _SIDE_TOLERANCE
        or abs(left / right - 1) > _SIDE_TOLERANCE
        or abs(((left + right) / (top + bottom)) / (want_left / want_top) - 1) > _RATIO_TOLERANCE
        or abs(float(np.dot(across, down))) / (top * left) > 0.05  # not a right angle
        or not _SCALE_RANGE[0] <= (top + bottom) / 2 / want_top / scale_hint <= _SCALE_RANGE[1]
    )
    if implausible:
        turned = abs(((top + bottom) / (left + right)) / (want_left / want_top) - 1) <= _RATIO_TOLERANCE
        if turned:  # the marks' rectangle lies across: the page was scanned sideways
            raise _not_a_form(tr("（マークの配置が帳票定義と合いません: ページが横向きです。向きを直してスキャンし直してください）",
                                 " (the marks do not match the template: the page is sideways; turn it and scan it "
                                 "again)"))
        raise _not_a_form(tr("（マークの配置が帳票定義と合いません）", " (the marks do not match the template)"))


def _upside_down(canvas: Canvas, template: FormTemplate) -> bool:
    """Whether the zones' printed rules are found on the page turned 180° and not where they belong."""
    k = _RULE_PX_PER_MM
    size = (round(template.page.width_mm * k), round(template.page.height_mm * k))
    small = cv2.resize(to_gray(canvas, drop_red=True), size, interpolation=cv2.INTER_AREA)
    ink = np.asarray(small < 160, dtype=np.float32)  # a 0.3 mm rule averages to ≈100–150 at 4 px/mm
    upright, turned = _rule_score(ink, template), _rule_score(ink[::-1, ::-1], template)
    return turned >= _RULE_FOUND and turned - upright >= _RULE_MARGIN


def _rule_score(ink: NDArray[np.float32], template: FormTemplate) -> float:
    """Median over the zones' top and bottom bands of the best-inked row's share of the zone's width."""
    k = _RULE_PX_PER_MM
    near, far = _RULE_BAND_MM
    scores = []
    for name in template.fields:
        zone = template.zone_mm(name)
        x0, x1 = round(zone.x * k), round((zone.x + zone.w) * k)
        for y0, y1 in ((zone.y - far, zone.y - near), (zone.y + zone.h + near, zone.y + zone.h + far)):
            rows = ink[max(0, round(y0 * k)):max(0, round(y1 * k)), x0:x1]
            if rows.size:
                scores.append(float(rows.mean(axis=1).max()))
    return float(np.median(scores)) if scores else 0.0

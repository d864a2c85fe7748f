"""Registration by the blank form's own print (``anchors: {kind: reference, image: …}``): no marks needed.

Three steps, each a check as well as a computation, so a scan is registered or refused with a
reason staff understand (:class:`~bots.errors.NotAFormError`), never silently misaligned:

1. **Coarse**: ORB keypoints of the scan and of the reference (both at
   :data:`~bots.selectors.form_reference.WORK_PX_PER_MM`, lighting evened out), Lowe's ratio test,
   a robust homography (the best of three estimators). Too few inliers → another document or a blank page.
2. **Fine**: the reference's patches of print (label text, box corners; one per grid cell) are looked
   for in the scan warped by the coarse homography (normalised cross-correlation, sub-pixel peak);
   their positions give a refined homography (RANSAC, then least squares on the inliers).
3. **Quality**: the patches are looked for again through the refined homography. Enough of them must
   be found where the reference has them (:data:`MIN_PRINT_MATCH`, and in every part of the page
   that has print), none may be found clearly elsewhere (a fold cannot hide behind a good fit of
   the rest: :data:`MISPLACED_MM`), and their residual error must stay under :data:`MAX_RESIDUAL_MM`.
   Then the homography says how the page lay: turned a quarter (横向き), upside down (上下が逆) or
   mirrored are refused with that reason (ORB is rotation invariant: such a page is matched, not missed).

The scan is read in its red channel: a red 印 seal over the print turns to paper.

Handles 150–600 dpi (ORB's scale pyramid; every scale is normalised first), rotation, flatbed skew,
the perspective of a phone photo (a homography is exactly a flat page seen by a camera) and uneven
light (flat-field before ORB; correlation is normalised per patch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from bots.errors import NotAFormError
from bots.i18n import tr
from bots.ocr.canvas import Canvas, canvas_size, mm_to_canvas, to_gray
from bots.selectors.form_reference import (
    FINE_PX_PER_MM,
    WORK_PX_PER_MM,
    ReferenceFeatures,
    flat_field,
    orb_features,
    reference_features,
)
from bots.selectors.form_template import FormTemplate, ReferenceImage

Matrix = NDArray[np.float64]

#: Lowe's ratio test: a match must be clearly better than the second best (0.8, Lowe 2004).
RATIO = 0.8
#: Coarse inlier tolerance: ORB keypoints of the upper pyramid levels are placed to ≈0.5 mm.
COARSE_TOLERANCE_MM = 1.0
#: Measured on the demo scans (shinsei without marks, kokuho; 150–600 dpi, phone photos): a scan of
#: the form gives 330–1,200 coarse inliers; another form, a notice, noise or a blank page 0–45 (chance
#: agreement of repeated characters). 100 only spares the fine check pages that cannot be the form; the
#: print check (:data:`MIN_PRINT_MATCH`) is what refuses another document.
MIN_INLIERS = 100
#: How far from the coarse (then the refined) position a patch is looked for.
SEARCH_MM = (2.5, 1.0)
#: A patch is found when its best correlation reaches this. Measured: the form's own patches 0.56–1.0
#: (median 0.98); another form's print correlates as high in places (box corners look alike), so a
#: found patch counts only where the homography agrees (:data:`AGREE_MM`).
PATCH_MIN_NCC = 0.5
#: A found patch agrees when the refined homography puts it within this of where it was found.
AGREE_MM = 0.5
#: Share of the reference's patches that must agree. Measured: scans and photos of the form 0.82–0.98
#: (a value over a box corner, a seal, hide a few); another form, a notice, noise: 0.0 (when let past
#: the coarse step); another form laid exactly where this one would lie (shinsei scans against the
#: kokuho reference, the pose given): 0.09–0.15, its boxes and labels look alike but do not line up.
#: Below → 別の帳票の可能性.
MIN_PRINT_MATCH = 0.6
#: Folds and creases: in the last pass each patch is also looked for up to :data:`WIDE_MM` away. One
#: found clearly elsewhere — correlation ≥ :data:`MISPLACED_NCC` more than :data:`MISPLACED_MM` from
#: where the homography puts it, and clearly worse (by :data:`MISPLACED_GAP`) there — is print the
#: page's one homography misplaces: a fitted part of the page hiding a moved part. 1.5 mm is the
#: zones' margin inside their box rules. Measured: scans and photos of the form 0–3 such patches
#: (kokuho 0–1; shinsei without marks up to 3: its text, drawn at each resolution, varies up to
#: 1.1 mm, and repeated characters correlate alike nearby); a third or a half of the page moved 2 mm
#: or more against the rest: 10–21 (or refused by the print check). Up to :data:`MAX_MISPLACED` pass;
#: what passes was measured at most 1.6 mm off on any zone corner (a part moved 1.5 mm).
WIDE_MM = 8.0
MISPLACED_MM = 1.5
MISPLACED_NCC = 0.8
MISPLACED_GAP = 0.15
MAX_MISPLACED = 3
#: RMS error of the agreeing patches after the refined fit. Measured on the form's scans and photos:
#: 0.07–0.17 mm (zone corners against the true geometry: 0.03–0.26 mm). Zones keep 1.5 mm inside
#: their box rules, so 0.35 mm is far from reading a rule, and twice what a flat page gives.
MAX_RESIDUAL_MM = 0.35


@dataclass(frozen=True)
class Alignment:
    """Where the scan lies: ``matrix`` maps scan pixels to page mm; the quality figures behind it."""

    matrix: Matrix
    inliers: int
    print_match: float
    residual_mm: float


def register_by_reference(rgb: Canvas, template: FormTemplate, anchors: ReferenceImage) -> Canvas:
    """The page warped onto the template canvas (RGB at WORK_DPI), or :class:`NotAFormError`."""
    gray = to_gray(rgb, drop_red=True)  # a red 印 seal over the print turns to paper; the print stays
    alignment = align(gray, template, anchors)
    matrix = mm_to_canvas() @ alignment.matrix
    size = canvas_size(template.page.width_mm, template.page.height_mm)
    warped = cv2.warpPerspective(rgb, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                 borderValue=(255, 255, 255))
    return np.asarray(warped, dtype=np.uint8)


def align(gray: Canvas, template: FormTemplate, anchors: ReferenceImage) -> Alignment:
    """The scan (grayscale, any resolution) aligned to the reference, checked (see the module doc)."""
    page = (template.page.width_mm, template.page.height_mm)
    reference = reference_features(anchors.image, page)
    coarse, inliers = _coarse(gray, reference, page)
    refined = _refine(gray, coarse, reference, SEARCH_MM[0])
    fit = _refine(gray, refined.matrix, reference, SEARCH_MM[1], wide=True)
    if fit.share < MIN_PRINT_MATCH:
        raise _not_this_form(tr("（帳票の印刷が基準画像と重なりません: 一致 {p:.0%}、必要 {m:.0%}）",
                                " (the print does not line up with the reference: {p:.0%} matched, {m:.0%} needed)",
                                p=fit.share, m=MIN_PRINT_MATCH))
    if not fit.everywhere:
        raise _not_this_form(tr("（印刷がページの一部でしか一致しません: ページの一部が写っていない可能性もあります）",
                                " (the print lines up in part of the page only; or part of the page is missing)"))
    if fit.misplaced > MAX_MISPLACED:
        raise NotAFormError(tr(
            "ページの一部で印刷が白紙の帳票（基準画像）とずれています（{n} か所）: 用紙の折れ・しわ・反りのない状態で"
            "スキャンし直してください",
            "part of the page is shifted against the blank form (reference image) ({n} places): scan the page "
            "again, flat and without folds", n=fit.misplaced))
    if fit.residual_mm > MAX_RESIDUAL_MM:
        raise NotAFormError(tr(
            "位置合わせの誤差が大きすぎます（{e:.2f} mm、上限 {m:.2f} mm）: 用紙の折れ・しわ・反りのない状態でスキャンし直してください",
            "the registration error is too large ({e:.2f} mm, at most {m:.2f} mm): scan the page again, flat "
            "and without folds", e=fit.residual_mm, m=MAX_RESIDUAL_MM))
    _check_pose(fit.matrix, page)  # last: the print proved it is this form, so "upside down" is the reason
    return Alignment(fit.matrix, inliers, fit.share, fit.residual_mm)


def _not_this_form(detail: str) -> NotAFormError:
    return NotAFormError(tr("白紙の帳票（基準画像）と照合できません: 別の帳票か白紙のページの可能性があります",
                            "the scan does not match the blank form (reference image): another document or a "
                            "blank page") + detail)


def _coarse(gray: Canvas, reference: ReferenceFeatures, page: tuple[float, float]) -> tuple[Matrix, int]:
    """ORB + ratio test + robust homography: scan pixels → mm, and the number of inliers."""
    # The page's scale from its area, whichever way it lies: ORB's pyramid covers the rest (a photo).
    factor = min(1.0, WORK_PX_PER_MM * math.sqrt(page[0] * page[1] / (gray.shape[0] * gray.shape[1])))
    small = np.asarray(cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    points, descriptors = orb_features(flat_field(small, WORK_PX_PER_MM))
    matches = _matches(descriptors, reference.descriptors) if len(points) else []
    if len(matches) < MIN_INLIERS:
        raise _not_this_form(tr("（一致した特徴点 {n} 個、必要 {m} 個）", " ({n} matching features, {m} needed)",
                                n=len(matches), m=MIN_INLIERS))
    source = (points[[q for q, _ in matches]] + 0.5) / factor - 0.5  # small → full-size pixel indices
    target = reference.points_mm[[t for _, t in matches]]
    matrix, inliers = _most_inliers(source, target)
    if matrix is None or inliers < MIN_INLIERS:
        raise _not_this_form(tr("（一致した特徴点 {n} 個、必要 {m} 個）", " ({n} matching features, {m} needed)",
                                n=inliers, m=MIN_INLIERS))
    return np.asarray(matrix, dtype=np.float64), inliers


def _most_inliers(source: NDArray[np.float32], target: NDArray[np.float32]) -> tuple[Matrix | None, int]:
    """The homography, of those three robust estimators find, that the most matches agree with.

    Each alone failed on a demo scan: RANSAC stops early on a model of part of the page when most
    matches are right (707 inliers against the true model's 772, 290 mm off), MAGSAC++ scored a wrong
    tilted model above the right one on a form with repeated boxes (300 against 330). The true model
    has the most inliers; counting them the same way for each picks it. OpenCV seeds them: same scan,
    same result."""
    best: Matrix | None = None
    most = 0
    for method in (cv2.USAC_ACCURATE, cv2.USAC_MAGSAC, cv2.RANSAC):
        matrix, _ = cv2.findHomography(source, target, method, COARSE_TOLERANCE_MM, maxIters=5000,
                                       confidence=0.999)
        if matrix is None:
            continue
        moved = cv2.perspectiveTransform(source.reshape(-1, 1, 2), matrix).reshape(-1, 2)
        count = int((np.hypot(*(moved - target).T) <= COARSE_TOLERANCE_MM).sum())
        if count > most:
            best, most = np.asarray(matrix, dtype=np.float64), count
    return best, most


def _matches(scan: NDArray[np.uint8], reference: NDArray[np.uint8]) -> list[tuple[int, int]]:
    """(scan index, reference index) pairs passing the ratio test."""
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(scan, reference, k=2)
    return [(p[0].queryIdx, p[0].trainIdx) for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]


def _check_pose(matrix: Matrix, page: tuple[float, float]) -> None:
    """How the page lies on the scan, from the homography: upright (small tilt) or refused with its reason."""
    inverse = np.linalg.inv(matrix)  # mm → scan pixels
    centre = np.array([page[0] / 2, page[1] / 2])
    o, x, y = (cv2.perspectiveTransform(np.array([[p]], dtype=np.float64), inverse)[0, 0]
               for p in (centre, centre + (10.0, 0.0), centre + (0.0, 10.0)))
    across, down = x - o, y - o
    angle = math.degrees(math.atan2(across[1], across[0]))
    if across[0] * down[1] - across[1] * down[0] < 0:
        raise NotAFormError(tr("ページが裏返し（鏡像）です: 表を上にしてスキャンし直してください",
                               "the page is mirrored: scan it again face up"))
    if abs(angle) > 135:
        raise NotAFormError(tr("ページの上下が逆です（180° 回転）: 向きを直してスキャンし直してください",
                               "the page is upside down (turned 180°): turn it and scan it again"))
    if abs(angle) > 45:
        raise NotAFormError(tr("ページが横向きです（90° 回転）: 向きを直してスキャンし直してください",
                               "the page is sideways (turned 90°): turn it and scan it again"))


@dataclass(frozen=True)
class _Fit:
    """A refined homography and how well the reference's patches agree with it."""

    matrix: Matrix
    share: float  #: of the reference's patches, those found where the homography puts them
    residual_mm: float  #: RMS error of those
    everywhere: bool  #: every part of the page with print has one (:func:`_everywhere`)
    misplaced: int = 0  #: patches found clearly elsewhere (only counted with ``wide``)


def _refine(gray: Canvas, matrix: Matrix, reference: ReferenceFeatures, search_mm: float, *,
            wide: bool = False) -> _Fit:
    """Patches looked for around where ``matrix`` puts them, and the homography refitted to them
    (``wide``: also count the patches found clearly elsewhere)."""
    k = FINE_PX_PER_MM
    to_fine = np.array([[k, 0, -0.5], [0, k, -0.5], [0, 0, 1]]) @ matrix
    size = (round(reference.page_mm[0] * k), round(reference.page_mm[1] * k))
    warped = cv2.warpPerspective(gray, to_fine, size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_CONSTANT,
                                 borderValue=255)
    blurred = np.asarray(cv2.GaussianBlur(warped, (0, 0), 1.0), dtype=np.uint8)
    found_fine, where_mm, misplaced = _locate(blurred, reference, round(search_mm * k),
                                              round(WIDE_MM * k) if wide else 0)
    failed = _Fit(matrix, 0.0, math.inf, False)
    if len(found_fine) < 4:
        return failed
    scan = cv2.perspectiveTransform(found_fine.reshape(-1, 1, 2), np.linalg.inv(to_fine)).reshape(-1, 2)
    fitted, mask = cv2.findHomography(scan, where_mm, cv2.RANSAC, AGREE_MM)
    if fitted is None:
        return failed
    keep = mask.ravel().astype(bool)
    if keep.sum() >= 4:  # least squares on the agreeing patches: RANSAC's model rests on four of them
        fitted = cv2.findHomography(scan[keep], where_mm[keep], 0)[0]
    error = np.hypot(*(cv2.perspectiveTransform(scan.reshape(-1, 1, 2), fitted).reshape(-1, 2) - where_mm).T)
    agree = error <= AGREE_MM
    residual = float(np.sqrt(np.mean(error[agree] ** 2))) if agree.any() else math.inf
    return _Fit(np.asarray(fitted, dtype=np.float64), float(agree.sum()) / len(reference.patches), residual,
                _everywhere(where_mm[agree], reference), misplaced)


def _locate(warped: Canvas, reference: ReferenceFeatures, search: int,
            wide: int) -> tuple[NDArray[np.float32], NDArray[np.float32], int]:
    """Each patch's best match within ``search`` px of its place: (found centres in fine pixels, reference
    centres in mm, how many patches are found clearly elsewhere within ``wide`` px)."""
    k = FINE_PX_PER_MM
    found, where, misplaced = [], [], 0
    for patch in reference.patches:
        side = patch.pixels.shape[0]
        left, top = round(patch.centre_mm[0] * k) - side // 2, round(patch.centre_mm[1] * k) - side // 2
        reach = max(search, wide)
        scores = _scores(warped, patch.pixels, left, top, reach)
        if scores is None and reach > search:  # near the page's edge: its place only
            reach, scores = search, _scores(warped, patch.pixels, left, top, search)
        if scores is None:
            continue
        near = scores[reach - search:reach + search + 1, reach - search:reach + search + 1]
        _, best, _, (u, v) = cv2.minMaxLoc(near)
        _, peak, _, (pu, pv) = cv2.minMaxLoc(scores)
        if wide and peak >= MISPLACED_NCC and best < peak - MISPLACED_GAP and \
                math.hypot(pu - reach, pv - reach) > MISPLACED_MM * k:
            misplaced += 1
        if best < PATCH_MIN_NCC:
            continue
        du, dv = _subpixel(near, u, v)
        # Found top-left left - search + u + du; the patch's centre index is top-left + side / 2 - 0.5.
        found.append((left - search + u + du + side / 2 - 0.5, top - search + v + dv + side / 2 - 0.5))
        where.append(patch.centre_mm)
    return (np.array(found, dtype=np.float32).reshape(-1, 2), np.array(where, dtype=np.float32).reshape(-1, 2),
            misplaced)


def _scores(warped: Canvas, pixels: Canvas, left: int, top: int, reach: int) -> NDArray[np.float32] | None:
    """Correlation of the patch at every offset up to ``reach`` px from (left, top); None off the page or
    where there is nothing (beyond the scan's edge)."""
    side = pixels.shape[0]
    x0, y0 = left - reach, top - reach
    if x0 < 0 or y0 < 0 or x0 + side + 2 * reach > warped.shape[1] or y0 + side + 2 * reach > warped.shape[0]:
        return None
    window = warped[y0:y0 + side + 2 * reach, x0:x0 + side + 2 * reach]
    if float(window.std()) < 1.0:
        return None
    return np.asarray(cv2.matchTemplate(window, pixels, cv2.TM_CCOEFF_NORMED), dtype=np.float32)


def _subpixel(scores: NDArray[np.float32], u: int, v: int) -> tuple[float, float]:
    """The peak's offset from (u, v) by a parabola through it and its neighbours, each axis alone."""

    def vertex(before: float, at: float, after: float) -> float:
        bend = before - 2 * at + after
        return 0.0 if bend >= 0 else max(-0.5, min(0.5, 0.5 * (before - after) / bend))

    height, width = scores.shape
    du = vertex(scores[v, u - 1], scores[v, u], scores[v, u + 1]) if 0 < u < width - 1 else 0.0
    dv = vertex(scores[v - 1, u], scores[v, u], scores[v + 1, u]) if 0 < v < height - 1 else 0.0
    return du, dv


def _everywhere(agreeing_mm: NDArray[np.float32], reference: ReferenceFeatures) -> bool:
    """Every quarter of the page that holds two or more of the reference's patches has one that agrees:
    a homography fitted to one corner of the page can be wrong at the other."""
    half_w, half_h = reference.page_mm[0] / 2, reference.page_mm[1] / 2

    def quarter(x: float, y: float) -> int:
        return int(x >= half_w) + 2 * int(y >= half_h)

    wanted = [quarter(*p.centre_mm) for p in reference.patches]
    present = {quarter(float(x), float(y)) for x, y in agreeing_mm}
    return all(q in present for q in set(wanted) if wanted.count(q) >= 2)

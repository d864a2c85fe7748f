"""The blank form a template registers scans against (``anchors: {kind: reference, image: …}``).

Why this sits here, below the OCR: a reference image that is missing, unreadable or too plain to
align to must be refused when the template loads (``file:line:col`` on ``image:``), never on every
scan of a batch, and the template loader sits below ``bots.ocr``. So the reference's features are
computed here, once per process (cached by path, size and modification time), and
``bots/ocr/align.py`` matches each scan against them:

- ORB keypoints of the whole page at :data:`WORK_PX_PER_MM` (coarse: the first homography);
- patches of printed structure (label text, box corners) at :data:`FINE_PX_PER_MM`, one per cell of
  a grid over the page, located again in the scan to refine the homography and to prove that the
  print lines up everywhere (the quality check).

The reference image *is* the page: its edges are the paper's edges, so a point of it maps to mm by
its width and height over the template's page size.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from bots.i18n import tr

#: ORB matching scale (≈150 dpi): 6 px per mm keeps a 3.5 mm label character at 21 px, enough for
#: FAST corners, and an A4 page at 1260 × 1782 px (≈0.1 s for 3,000 keypoints; matching them ≈0.2 s).
WORK_PX_PER_MM = 6.0
#: Refinement scale (≈200 dpi): a patch located to a tenth of a pixel is 0.01 mm.
FINE_PX_PER_MM = 8.0
MAX_FEATURES = 3000
#: A blank form of real print gives thousands of keypoints (the demo forms: 3,000 capped); under 300 the
#: page is nearly empty and a scan could not be told from another document.
MIN_FEATURES = 300
#: Patches: 6 mm squares (label characters are 3.3–3.8 mm), one per cell of a 6 × 8 grid (35 × 37 mm).
PATCH_MM = 6.0
GRID = (6, 8)
#: A patch needs two-dimensional structure (a corner, a character), not a lone rule that slides along itself:
#: its strongest minimum eigenvalue of the structure tensor must reach this share of the page's strongest.
PATCH_STRUCTURE = 0.05
#: Fewer patches than this and the refinement cannot prove the whole page lines up.
MIN_PATCHES = 8
#: The image's proportions must be the page's: a crop or a landscape image is another page.
ASPECT_TOLERANCE = 0.03
#: Pages a reference image registers (mm a side): a card to A2; beyond, the working images grow past
#: what a staff PC should hold for one template.
PAGE_MM = (20.0, 600.0)

Gray = NDArray[np.uint8]


class ReferenceImageError(ValueError):
    """The reference image cannot be used (the message says why, in the user's language)."""


@dataclass(frozen=True)
class Patch:
    """A square of the reference's print: its centre in mm and its pixels at :data:`FINE_PX_PER_MM`."""

    centre_mm: tuple[float, float]
    pixels: Gray


@dataclass(frozen=True, eq=False)
class ReferenceFeatures:
    """What a scan is matched against: ORB keypoints (in mm) and descriptors, and the patches."""

    path: Path
    points_mm: NDArray[np.float32]
    descriptors: NDArray[np.uint8]
    patches: tuple[Patch, ...]
    page_mm: tuple[float, float]


def orb_features(gray: Gray) -> tuple[NDArray[np.float32], NDArray[np.uint8]]:
    """Keypoints (N × 2, pixels) and descriptors (N × 32): the same detector for reference and scan."""
    detector = cv2.ORB_create(  # type: ignore[attr-defined]  # not in OpenCV's stubs
        nfeatures=MAX_FEATURES, scaleFactor=1.2, nlevels=8, edgeThreshold=15, patchSize=31, fastThreshold=10)
    keypoints, descriptors = detector.detectAndCompute(gray, None)
    points = np.array([k.pt for k in keypoints], dtype=np.float32).reshape(-1, 2)
    if descriptors is None:
        return points, np.zeros((0, 32), dtype=np.uint8)
    return points, np.asarray(descriptors, dtype=np.uint8)


def flat_field(gray: Gray, px_per_mm: float) -> Gray:
    """The page with its lighting evened out (a phone photo's shadow, a scanner's gradient): each pixel
    over the page's brightness around it (a 15 mm neighbourhood), so print keeps its contrast everywhere."""
    # Blurred at an eighth of the size and scaled back: the same background, 50 times faster.
    small = cv2.resize(gray, None, fx=0.125, fy=0.125, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), 15 * px_per_mm / 3 / 8)
    background = cv2.resize(small, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.asarray(cv2.divide(gray, background, scale=255), dtype=np.uint8)


def reference_features(path: Path, page_mm: tuple[float, float]) -> ReferenceFeatures:
    """The features of the reference image at ``path`` (cached per process by path, size and mtime).

    ``page_mm``: the template's page (width, height); the image's proportions are checked against it.
    Raises :class:`ReferenceImageError` when the image is missing, unreadable or too plain."""
    try:
        stat = path.stat()
    except (OSError, ValueError):  # ValueError: a NUL in the name
        raise ReferenceImageError(tr("基準画像が見つかりません: {p}", "reference image not found: {p}", p=path)) from None
    if not path.is_file():
        raise ReferenceImageError(tr("基準画像がファイルではありません: {p}", "reference image is not a file: {p}",
                                     p=path))
    return _features(path.resolve(), stat.st_mtime_ns, stat.st_size, page_mm)


@lru_cache(maxsize=16)
def _features(path: Path, mtime_ns: int, size: int, page_mm: tuple[float, float]) -> ReferenceFeatures:
    del mtime_ns, size  # cache key only: a replaced image is read again
    if not all(PAGE_MM[0] <= side <= PAGE_MM[1] for side in page_mm):
        raise ReferenceImageError(tr("基準画像で位置合わせできる用紙は 1 辺 {a:g}〜{b:g} mm です",
                                     "a reference image registers pages of {a:g} to {b:g} mm a side",
                                     a=PAGE_MM[0], b=PAGE_MM[1]))
    gray = _read_gray(path)
    height, width = gray.shape
    if abs((width / height) / (page_mm[0] / page_mm[1]) - 1) > ASPECT_TOLERANCE:
        raise ReferenceImageError(tr(
            "基準画像の縦横比（{w}×{h} px）が用紙（{pw:g}×{ph:g} mm）と合いません: 用紙全体を、余白を切らずに画像にしてください",
            "the reference image's proportions ({w}×{h} px) are not the page's ({pw:g}×{ph:g} mm): it must show "
            "the whole page, uncropped", w=width, h=height, pw=page_mm[0], ph=page_mm[1]))
    work = _resized(gray, page_mm, WORK_PX_PER_MM)
    points, descriptors = orb_features(flat_field(work, WORK_PX_PER_MM))
    if len(points) < MIN_FEATURES:
        raise ReferenceImageError(tr(
            "基準画像の印刷が少なすぎて位置合わせに使えません（特徴点 {n} 個、必要 {m} 個）: 白紙の帳票全体の画像を使ってください",
            "the reference image has too little print to align to ({n} features, {m} needed): use an image of "
            "the whole blank form", n=len(points), m=MIN_FEATURES))
    patches = _patches(_resized(gray, page_mm, FINE_PX_PER_MM), page_mm)
    if len(patches) < MIN_PATCHES:
        raise ReferenceImageError(tr(
            "基準画像の印刷が一部にしかなく、ページ全体の位置合わせを確かめられません（目印 {n} か所、必要 {m} か所）",
            "the reference image's print covers too little of the page to check the alignment everywhere "
            "({n} landmarks, {m} needed)", n=len(patches), m=MIN_PATCHES))
    points_mm = ((points + 0.5) / WORK_PX_PER_MM).astype(np.float32)
    return ReferenceFeatures(path, points_mm, descriptors, tuple(patches), page_mm)


def _read_gray(path: Path) -> Gray:
    """Through Pillow (non-ASCII paths work on Windows, unlike ``cv2.imread``); transparency on white."""
    try:
        with Image.open(path) as opened:
            image: Image.Image = opened.convert("RGBA") if opened.mode in ("RGBA", "LA", "P") else opened.copy()
        if image.mode == "RGBA":
            image = Image.alpha_composite(Image.new("RGBA", image.size, (255, 255, 255, 255)), image)
        return np.asarray(image.convert("L"), dtype=np.uint8)
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as exc:
        raise ReferenceImageError(tr("基準画像を読めません（PNG・JPEG・TIFF の画像にしてください）: {p}",
                                     "cannot read the reference image (use a PNG, JPEG or TIFF image): {p}",
                                     p=path)) from exc


def _resized(gray: Gray, page_mm: tuple[float, float], px_per_mm: float) -> Gray:
    size = (round(page_mm[0] * px_per_mm), round(page_mm[1] * px_per_mm))
    return np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _patches(fine: Gray, page_mm: tuple[float, float]) -> list[Patch]:
    """One patch per grid cell, where the print has the most two-dimensional structure."""
    k = FINE_PX_PER_MM
    half = round(PATCH_MM * k / 2)
    fine = np.asarray(cv2.GaussianBlur(fine, (0, 0), 1.0), dtype=np.uint8)  # as the scan is blurred before matching
    structure = cv2.cornerMinEigenVal(fine.astype(np.float32), blockSize=7)
    # Patches keep 3 mm clear of the page edge: a scan's border there is the scanner lid, not print.
    margin = half + round(3 * k)
    structure[:margin, :] = 0
    structure[-margin:, :] = 0
    structure[:, :margin] = 0
    structure[:, -margin:] = 0
    floor = PATCH_STRUCTURE * float(structure.max()) if structure.size else 0.0
    cols, rows = GRID
    height, width = fine.shape
    found = []
    for row in range(rows):
        for col in range(cols):
            y0, y1 = row * height // rows, (row + 1) * height // rows
            x0, x1 = col * width // cols, (col + 1) * width // cols
            cell = structure[y0:y1, x0:x1]
            if not cell.size or float(cell.max()) <= floor:
                continue
            cy, cx = np.unravel_index(int(np.argmax(cell)), cell.shape)
            cy, cx = int(cy) + y0, int(cx) + x0
            pixels = fine[cy - half:cy + half, cx - half:cx + half]
            # The patch spans pixels cx - half … cx + half - 1: its centre is cx - 0.5, i.e. cx / k mm.
            found.append(Patch((cx * page_mm[0] / width, cy * page_mm[1] / height), np.ascontiguousarray(pixels)))
    return found

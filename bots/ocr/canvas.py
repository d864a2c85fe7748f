"""The registered page: the template's page at :data:`WORK_DPI`, where a zone in mm is a fixed pixel
rectangle. Shared by every registration method (``register.py`` corner marks, ``align.py`` the blank
form's print) and by the field reading."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

WORK_DPI = 300
MM_PER_INCH = 25.4

Canvas = NDArray[np.uint8]
Points = NDArray[np.float32]


def mm_to_px(mm: float) -> int:
    """A length or position in mm on the registered canvas, in pixels at :data:`WORK_DPI`."""
    return round(mm * WORK_DPI / MM_PER_INCH)


def canvas_size(width_mm: float, height_mm: float) -> tuple[int, int]:
    """(width, height) in pixels of the canvas of a page."""
    return mm_to_px(width_mm), mm_to_px(height_mm)


def mm_to_canvas() -> NDArray[np.float64]:
    """The 3 × 3 transform from page mm to canvas pixel indices (pixel centres at integers)."""
    k = WORK_DPI / MM_PER_INCH
    return np.array([[k, 0.0, -0.5], [0.0, k, -0.5], [0.0, 0.0, 1.0]])


def to_gray(canvas: Canvas, *, drop_red: bool = False) -> Canvas:
    """Grayscale of an RGB canvas. ``drop_red`` keeps only the red channel: red ink (印 seals,
    red drop-out rules) turns near-white while black print and blue handwriting stay dark."""
    if canvas.ndim == 2:
        return canvas
    if drop_red:
        return np.ascontiguousarray(canvas[:, :, 0])
    return np.asarray(cv2.cvtColor(canvas, cv2.COLOR_RGB2GRAY), dtype=np.uint8)

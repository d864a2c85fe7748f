"""Cheap checks on a loaded page, before registration: is there anything to read, and is it the
form's paper?

A blank page (白紙: the back of a duplex scan), a page of the wrong size or proportions (A3, a
receipt, a cut-out), a page turned a quarter and two forms side by side on one sheet each get
their own reason, saying what staff should do, instead of the registration's generic "not this
form". Each is a :class:`~bots.ocr.results.PageDoubt`: the page goes to review with its image.

Paper size is known only when the file says its resolution (a PDF always does; scanners write
it into PNG, JPEG and TIFF files). A resolution under 100 dpi is a screen default (72 from a
phone, 96 from Windows) and a page over :data:`MAX_PAPER_MM` is no paper a scanner takes: both
mean "unknown", and only the proportions are checked.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from bots.i18n import tr
from bots.ocr.images import too_small
from bots.ocr.results import PageDoubt, PageProblem
from bots.selectors.form_template import FormTemplate

MM_PER_INCH = 25.4
#: The blank check looks at a copy whose long side is this (≈ 4 px/mm on A4): fast, and the
#: averaging melts scanner noise and JPEG speckle into the paper.
_SMALL_LONG_SIDE = 1200
#: Scanner-lid shadows, punch holes and staples sit near the edges: the blank check skips them.
_MARGIN = 0.07
#: Ink: darker than the paper by this factor in some channel (coloured pens and stamps count too).
_INK_FACTOR = 0.8
#: A page with less ink than this (share of the inner area; ≈ 30 mm² on A4) is blank.
BLANK_INK_SHARE = 0.0005
#: A page whose paper is darker than this (0–255) was scanned with the lid open, or not at all.
_DARK_PAPER = 110
#: Proportions (short side / long side) further than this from the form's are another paper.
ASPECT_TOLERANCE = 0.2
#: Each side of a page of known size within this of the form's is the form's paper (US Letter
#: passes for A4; B5 and A3 do not).
SIZE_TOLERANCE = 0.12
#: Below this, a file's resolution is a screen default, not the scanner's.
_MIN_TRUE_DPI = 100
#: Longer than this (mm) is no scanner's paper: the file's resolution is wrong, not the paper.
MAX_PAPER_MM = 500
#: Standard papers, to name what was scanned (mm, portrait).
PAPERS = {"A3": (297, 420), "A4": (210, 297), "A5": (148, 210), "B4": (257, 364), "B5": (182, 257),
          "Letter": (216, 279), "Legal": (216, 356)}

Gray = NDArray[np.uint8]


def check_page(page: Image.Image, template: FormTemplate) -> PageDoubt | None:
    """Why ``page`` cannot be this form's page at all, or None to go on to registration."""
    return _blank_or_dark(page) or _shape(page, template) or _small(page)


def _small(page: Image.Image) -> PageDoubt | None:
    reason = too_small(page)
    return PageDoubt(PageProblem.UNREADABLE, reason) if reason else None


def _blank_or_dark(page: Image.Image) -> PageDoubt | None:
    """No ink inside the margins: 白紙. A page that is dark all over was not scanned properly."""
    inner = _inner(_darkest_channel(page))
    paper = float(np.percentile(inner, 90))
    if paper < _DARK_PAPER:
        return PageDoubt(PageProblem.UNREADABLE, tr(
            "ページ全体が暗く、読み取れません。スキャナーのふたを閉めて読み取り直してください",
            "the whole page is dark and cannot be read; close the scanner lid and scan it again"))
    share = float(np.count_nonzero(inner < paper * _INK_FACTOR)) / inner.size
    if share >= BLANK_INK_SHARE:
        return None
    return PageDoubt(PageProblem.BLANK, tr(
        "白紙のページです（何も書かれていません）。裏面を読み取った場合はこの行を無視してください",
        "a blank page (nothing written on it); if it is the back of a sheet, ignore this row"))


def _darkest_channel(page: Image.Image) -> Gray:
    """Per pixel the darkest of R, G, B, on a reduced copy: a pale coloured pen is still ink."""
    image = page if page.mode in ("RGB", "L") else page.convert("RGB")
    factor = max(1, max(image.size) // _SMALL_LONG_SIDE)
    pixels = np.asarray(image.reduce(factor) if factor > 1 else image, dtype=np.uint8)  # box filter: averages noise
    darkest = pixels if pixels.ndim == 2 else pixels.min(axis=2)
    return np.asarray(cv2.medianBlur(np.ascontiguousarray(darkest), 3), dtype=np.uint8)  # specks are no ink


def _inner(gray: Gray) -> Gray:
    height, width = gray.shape
    dy, dx = round(height * _MARGIN), round(width * _MARGIN)
    return gray[dy:height - dy, dx:width - dx]


def _shape(page: Image.Image, template: FormTemplate) -> PageDoubt | None:
    """Orientation, proportions and — when the file says its resolution — the paper's size."""
    form = (template.page.width_mm, template.page.height_mm)
    size = paper_mm(page)
    if _portrait(page.size) != _portrait(form) and abs(page.width / page.height - 1) > 0.05:
        return _sideways(page.size, size, form)
    if abs(_aspect(page.size) / _aspect(form) - 1) > ASPECT_TOLERANCE:
        return _wrong_size(form, size, proportions=True)
    if size is not None and not _close(size, form):
        return _wrong_size(form, size, proportions=False)
    return None


def _sideways(pixels: tuple[int, int], size: tuple[float, float] | None,
              form: tuple[float, float]) -> PageDoubt:
    """A page across the form's orientation: turned a quarter, two forms side by side, or another paper."""
    form_w, form_h = form
    two_up = (2 * form_w, form_h) if _portrait(form) else (form_w, 2 * form_h)
    turned = (form_h, form_w)
    if size is not None:
        if _close(size, two_up):
            return _two_forms()
        if _close(size, turned):
            return _turned()
        return _wrong_size(form, size, proportions=False)
    fits_turned = abs(_aspect(pixels) / _aspect(turned) - 1) <= ASPECT_TOLERANCE
    fits_two = abs(_aspect(pixels) / _aspect(two_up) - 1) <= ASPECT_TOLERANCE
    if fits_turned and fits_two:  # A-series paper: the proportions cannot tell them apart
        return PageDoubt(PageProblem.TURNED, tr(
            "ページが横向きです。帳票が 90° 回っているか、2 枚が 1 ページに並んでいます。"
            "1 枚ずつ縦向きで読み取り直すか、手で入力してください",
            "the page is landscape: the form is turned a quarter, or two forms share the page; "
            "scan each form on its own, upright, or enter it by hand"))
    if fits_two:
        return _two_forms()
    if fits_turned:
        return _turned()
    return _wrong_size(form, None, proportions=True)


def _two_forms() -> PageDoubt:
    return PageDoubt(PageProblem.MULTI_FORM, tr(
        "2 枚の帳票が 1 ページに並んでいます。1 枚ずつ読み取り直すか、手で入力してください",
        "two forms share one page; scan them one by one, or enter them by hand"))


def _turned() -> PageDoubt:
    return PageDoubt(PageProblem.TURNED, tr(
        "ページが 90° 回っています（横向き）。縦向きで読み取り直すか、手で入力してください",
        "the page is turned a quarter (landscape); scan it upright again, or enter it by hand"))


def _wrong_size(form: tuple[float, float], size: tuple[float, float] | None, *, proportions: bool) -> PageDoubt:
    want = _paper_name(form)
    if proportions or size is None:
        return PageDoubt(PageProblem.WRONG_SIZE, tr(
            "用紙の縦横比が帳票（{f}）と違います（レシート、切り抜き、別の書類など）。帳票を {f} の大きさで読み取り直すか、"
            "手で入力してください",
            "the page's proportions are not the form's ({f}): a receipt, a cut-out or another document? "
            "scan the form again at {f}, or enter it by hand", f=want))
    return PageDoubt(PageProblem.WRONG_SIZE, tr(
        "用紙の大きさ（{p}）が帳票（{f}）と違います。帳票を {f} の大きさで読み取り直すか、手で入力してください",
        "the paper ({p}) is not the form's size ({f}); scan the form again at {f}, or enter it by hand",
        p=_paper_name(size), f=want))


def paper_mm(page: Image.Image) -> tuple[float, float] | None:
    """The page's size in mm (width, height) from the file's resolution, or None when unknown."""
    dpi = page.info.get("dpi")
    try:
        x, y = (float(dpi[0]), float(dpi[1])) if dpi else (0.0, 0.0)
    except (TypeError, ValueError, IndexError):
        return None
    if min(x, y) < _MIN_TRUE_DPI:
        return None
    size = (page.width / x * MM_PER_INCH, page.height / y * MM_PER_INCH)
    return size if max(size) <= MAX_PAPER_MM else None


def _paper_name(size: tuple[float, float]) -> str:
    """``A4 縦`` / ``A3 portrait`` for a standard paper (within 3 %), else ``297×420 mm``."""
    for name, (w, h) in PAPERS.items():
        for paper, ja, en in (((w, h), "縦", "portrait"), ((h, w), "横", "landscape")):
            if all(abs(got / want - 1) <= 0.03 for got, want in zip(size, paper, strict=True)):
                return tr("{n} {o}", "{n} {o}", n=name, o=tr(ja, en))
    return f"{size[0]:.0f}×{size[1]:.0f} mm"


def _close(size: tuple[float, float], want: tuple[float, float]) -> bool:
    return all(abs(got / expected - 1) <= SIZE_TOLERANCE for got, expected in zip(size, want, strict=True))


def _portrait(size: tuple[float, float]) -> bool:
    return size[1] >= size[0]


def _aspect(size: tuple[float, float]) -> float:
    """Short side over long side: the same for a page and the page turned."""
    return min(size) / max(size)

"""Scanned files → page images. PNG/JPEG/TIFF through Pillow, PDF through pypdfium2.

pypdfium2 bundles PDFium, so no poppler is needed on Windows. Files are read into memory by
Python and never opened by path in native code, so paths like ``日本語フォルダ/申請書.pdf``
work on every platform.

A file that cannot be read raises :class:`FormFileError`, a per-file error: the batch goes on
with the next file (as a page for review). Messages do not repeat the file name; the caller shows
it beside them. Each page keeps its resolution in ``info["dpi"]`` when the file says it (a PDF
always does): the page checks (:mod:`bots.ocr.page_checks`) tell an A3 page from an A4 one by it.
:func:`save_preview` writes the reduced copy of a page the reviewer looks at.
"""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped,unused-ignore]
from PIL import Image, ImageOps, ImageSequence

from bots.errors import FormFileError
from bots.i18n import tr
from bots.ocr import image_errors

#: Shorter than this (px) is a thumbnail or a photo crop, not a scan (A4 at 150 dpi: 1240 px).
MIN_SHORT_SIDE_PX = 500
#: Rendering cap for one PDF page: a poster-sized page must not exhaust memory.
MAX_PDF_PIXELS = 60_000_000
#: The reviewer's copy of a page: its long side in px (A4 at 150 dpi, handwriting still legible).
PREVIEW_LONG_SIDE_PX = 1754
PREVIEW_QUALITY = 80


def load_pages(path: Path, dpi: int = 300, *, check_size: bool = True) -> list[Image.Image]:
    """Every page of ``path`` as an RGB or L image; PDF pages are rendered at ``dpi``.

    ``check_size``: refuse the file when a page is a thumbnail. The OCR pipeline passes False and
    checks each page itself, so the reviewer still gets the page's image."""
    data = _read(path)
    pages = _pdf_pages(data, dpi, path) if data.lstrip()[:5] == b"%PDF-" else _image_pages(data, path)
    for page in pages if check_size else ():
        problem = too_small(page)
        if problem is not None:
            raise FormFileError(problem, path)
    return pages


def too_small(page: Image.Image) -> str | None:
    """Why ``page`` is too small to be a scan (a thumbnail, a photo crop), or None."""
    if min(page.size) >= MIN_SHORT_SIDE_PX:
        return None
    return tr("画像が小さすぎます（{w}×{h} ピクセル）。申請書は 150 dpi 以上でスキャンしてください",
              "the image is too small to be a scan ({w}×{h} px); scan forms at 150 dpi or more",
              w=page.width, h=page.height)


def save_preview(page: Image.Image, path: Path) -> Path:
    """A reduced JPEG of ``page`` at ``path`` (folders made), for the reviewer: small enough for a
    folder of hundreds, large enough to read the handwriting."""
    preview = page if page.mode in ("RGB", "L") else page.convert("RGB")
    scale = PREVIEW_LONG_SIDE_PX / max(preview.size)
    if scale < 1:
        size = (max(1, round(preview.width * scale)), max(1, round(preview.height * scale)))
        preview = preview.resize(size, Image.Resampling.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    preview.save(path, "JPEG", quality=PREVIEW_QUALITY)
    return path


def _read(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FormFileError(tr("ファイルが見つかりません", "file not found"), path) from None
    except IsADirectoryError:
        raise FormFileError(tr("ファイルではなくフォルダです", "this is a folder, not a file"), path) from None
    except OSError as exc:
        raise FormFileError(
            tr("ファイルを読めません（{e}）", "cannot read the file ({e})", e=exc.strerror or exc), path
        ) from exc
    if not data:
        raise FormFileError(tr("ファイルが空です（0 バイト）", "the file is empty (0 bytes)"), path)
    return data


def _image_pages(data: bytes, path: Path) -> list[Image.Image]:
    pages: list[Image.Image] = []
    with image_errors.edge(path, data=data):
        image = Image.open(io.BytesIO(data))
        for frame in ImageSequence.Iterator(image):  # multi-page TIFF: one image per page
            frame.load()
            pages.append(_plain(ImageOps.exif_transpose(frame) or frame))
    return pages


def _plain(image: Image.Image) -> Image.Image:
    """RGB or L, whatever the file held (palette, 1-bit fax TIFF, 16-bit, CMYK, alpha on white)."""
    if image.mode in ("RGB", "L"):
        return image.copy()
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if image.mode == "1":
        return image.convert("L")
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        return ImageOps.autocontrast(image.convert("F").convert("L"))
    return image.convert("RGB")


def _pdf_pages(data: bytes, dpi: int, path: Path) -> list[Image.Image]:
    with image_errors.edge(path, data=data):
        document = pdfium.PdfDocument(data)
    try:
        if len(document) == 0:
            raise image_errors.no_pages(path)
        pages = []
        for index in range(len(document)):
            with image_errors.edge(path, data=data, page=index):
                pages.append(_render(document[index], dpi))
        return pages
    finally:
        document.close()


def _render(page: pdfium.PdfPage, dpi: int) -> Image.Image:
    width_pt, height_pt = page.get_size()
    scale = dpi / 72
    if width_pt * height_pt * scale * scale > MAX_PDF_PIXELS:
        scale = (MAX_PDF_PIXELS / (width_pt * height_pt)) ** 0.5
    image = _plain(page.render(scale=scale).to_pil())
    image.info["dpi"] = (scale * 72, scale * 72)  # the page's real size, for the page checks
    return image

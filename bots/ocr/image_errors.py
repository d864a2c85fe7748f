"""Translate what Pillow and pypdfium2 raise on a scanned file into
:class:`~bots.errors.FormFileError`, in one place.

A scan that cannot be decoded is *that file's* problem: the batch goes on with the next file, and
staff are told in plain words what is wrong with it (not an image, cut off, password-protected,
too many pixels). Pillow's decoders raise ``UnidentifiedImageError`` (no format recognised),
``OSError`` ("image file is truncated"), ``SyntaxError`` (a malformed header, e.g. "not a TIFF
file"), ``ValueError`` and ``EOFError``; PDFium raises ``PdfiumError`` for everything, with its
reason only in the text. Messages do not repeat the file name; the caller shows it beside them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped,unused-ignore]
from PIL import Image, UnidentifiedImageError

from bots.errors import FormFileError
from bots.i18n import tr

#: The first bytes of the image formats Pillow is asked to read: with these, an unidentified
#: file is a damaged image, not some other document.
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM", b"GIF8")
_NO_PAGES, _SOME_PAGES = re.compile(rb"/Count\s*0\b"), re.compile(rb"/Count\s*[1-9]")


class Reason(Enum):
    """What a decoding error says about the scan, and so which message staff get."""

    UNIDENTIFIED = "unidentified"  #: Pillow recognises no format: another document, or a damaged header
    TOO_LARGE = "too_large"  #: more pixels than Pillow's decompression-bomb limit
    PDF = "pdf"  #: PDFium refused the document or a page (the reason is in its text)
    CORRUPT = "corrupt"  #: an image whose data is damaged or cut off


#: What each exception means; checked in order, the most specific first (UnidentifiedImageError
#: is an OSError). Every one becomes a FormFileError.
MAPPED: dict[type[BaseException], Reason] = {
    UnidentifiedImageError: Reason.UNIDENTIFIED,
    Image.DecompressionBombError: Reason.TOO_LARGE,
    pdfium.PdfiumError: Reason.PDF,
    OSError: Reason.CORRUPT,
    SyntaxError: Reason.CORRUPT,
    ValueError: Reason.CORRUPT,
    EOFError: Reason.CORRUPT,
}
_CAUGHT = tuple(MAPPED)


def reason(exc: BaseException) -> Reason | None:
    """The mapped reason for ``exc``, or None when no entry covers it."""
    return next((why for source, why in MAPPED.items() if isinstance(exc, source)), None)


def corrupt(path: Path) -> FormFileError:
    """A damaged or cut-off image; also what an error no other entry explains becomes."""
    return FormFileError(
        tr("画像ファイルが壊れているか、途中で切れています", "the image file is corrupt or truncated"), path
    )


def translate(exc: BaseException, path: Path, *, data: bytes = b"", page: int | None = None) -> FormFileError:
    """The FormFileError for ``exc`` raised while reading ``path`` (whose bytes are ``data``);
    ``page``: the 0-based PDF page being rendered, if it was one."""
    why = reason(exc) or Reason.CORRUPT
    if why is Reason.UNIDENTIFIED and not data.startswith(IMAGE_MAGIC):
        return FormFileError(
            tr("画像（PNG・JPEG・TIFF）でも PDF でもありません", "not an image (PNG, JPEG, TIFF) or a PDF"), path
        )
    if why is Reason.TOO_LARGE:
        return FormFileError(
            tr("画像の画素数が多すぎます（{n} 画素まで）。申請書は 300 dpi 程度でスキャンしてください",
               "the image has too many pixels (at most {n}); scan forms at about 300 dpi",
               n=f"{2 * (Image.MAX_IMAGE_PIXELS or 0):,}"), path
        )
    if why is Reason.PDF:
        if page is not None:
            return FormFileError(
                tr("PDF の {n} ページ目を描画できません", "cannot render page {n} of the PDF", n=page + 1), path
            )
        if "password" in str(exc).lower():
            return FormFileError(tr("パスワード付きの PDF は読めません", "password-protected PDFs cannot be read"), path)
        if _NO_PAGES.search(data) and not _SOME_PAGES.search(data):  # PDFium refuses a page-less file
            return no_pages(path)
        return FormFileError(tr("PDF が壊れています", "the PDF is corrupt"), path)
    return corrupt(path)


def no_pages(path: Path) -> FormFileError:
    """A page-less PDF, whether PDFium opens it (:mod:`bots.ocr.images`) or refuses it (:func:`translate`)."""
    return FormFileError(tr("PDF にページがありません", "the PDF has no pages"), path)


@contextmanager
def edge(path: Path, *, data: bytes = b"", page: int | None = None) -> Iterator[None]:
    """Decode ``path`` inside this block; Pillow's and PDFium's errors leave as FormFileError.

    Only the mapped classes are caught: anything else is a bug, which the OCR pipeline reports on
    that file alone (see ``bots.ocr.pipeline``)."""
    try:
        yield
    except FormFileError:
        raise
    except _CAUGHT as exc:
        raise translate(exc, path, data=data, page=page) from exc

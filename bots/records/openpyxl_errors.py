"""Translate what reading an .xlsx raises (openpyxl, and the zip, zlib and XML layers under it)
into :class:`~bots.errors.InputFileError`, in one place.

openpyxl does not wrap its parsers' errors: a damaged workbook surfaces as ``BadZipFile`` (not a
zip, truncated, bad CRC), ``KeyError`` (a part the package names is missing), an XML
``ParseError`` (a part cut off), ``zlib.error`` / ``EOFError`` (a member's compressed bytes
damaged or cut), or ``ValueError`` / ``TypeError`` (openpyxl's descriptors refusing a malformed
attribute). Each of these means the *file* is refused before anything is keyed; the staff member
is told which file and why, never shown a traceback.

It lives below both the Excel input reader (``bots.adapters``) and the OCR review import
(``bots.ocr``), which may not import the adapters.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path

from openpyxl.utils import exceptions as openpyxl_exceptions

from bots.errors import InputFileError, KazagurumaError
from bots.i18n import tr


class Reason(Enum):
    """What an exception says about the file, and so which message the staff member gets."""

    BUSY = "busy"  #: open in another program (Windows locks it), or no permission
    MISSING = "missing"  #: gone between being chosen and being read
    UNREADABLE = "unreadable"  #: the operating system refused (network drive gone, I/O error)
    DAMAGED = "damaged"  #: the bytes are there but are not a readable workbook


#: openpyxl's own exceptions (``openpyxl.utils.exceptions``): all mean "not a workbook we can read".
_OPENPYXL: dict[type[BaseException], Reason] = {
    openpyxl_exceptions.InvalidFileException: Reason.DAMAGED,
    openpyxl_exceptions.CellCoordinatesException: Reason.DAMAGED,
    openpyxl_exceptions.IllegalCharacterError: Reason.DAMAGED,
    openpyxl_exceptions.NamedRangeException: Reason.DAMAGED,
    openpyxl_exceptions.SheetTitleException: Reason.DAMAGED,
    openpyxl_exceptions.ReadOnlyWorkbookException: Reason.DAMAGED,
    openpyxl_exceptions.WorkbookAlreadySaved: Reason.DAMAGED,
}

#: What each exception means; checked in order, so the most specific comes first (PermissionError
#: and FileNotFoundError before OSError). Every one becomes an InputFileError.
MAPPED: dict[type[BaseException], Reason] = {
    PermissionError: Reason.BUSY,
    FileNotFoundError: Reason.MISSING,
    zipfile.BadZipFile: Reason.DAMAGED,
    zipfile.LargeZipFile: Reason.DAMAGED,
    OSError: Reason.UNREADABLE,
    **_OPENPYXL,
    zlib.error: Reason.DAMAGED,
    EOFError: Reason.DAMAGED,
    KeyError: Reason.DAMAGED,
    SyntaxError: Reason.DAMAGED,  # xml.etree's ParseError, and lxml's XMLSyntaxError, subclass it
    ValueError: Reason.DAMAGED,
    TypeError: Reason.DAMAGED,
    IndexError: Reason.DAMAGED,
}


def reason(exc: BaseException) -> Reason | None:
    """The mapped reason for ``exc``, or None when no entry covers it."""
    return next((why for source, why in MAPPED.items() if isinstance(exc, source)), None)


def busy(path: Path) -> str:
    """The message for a file another program holds (Excel locks an open workbook on Windows) or that
    the user may not read."""
    return tr(
        "入力ファイルを読み取れません（他のプログラムが使用中か、権限がありません）: {p}",
        "cannot read the input file (another program is using it, or permission is denied): {p}",
        p=path,
    )


def translate(exc: BaseException, path: Path, *, sheet: str | None = None) -> InputFileError:
    """The InputFileError for ``exc`` raised while reading ``path`` (``sheet``: while streaming
    that sheet). An unmapped exception is reported as a damaged file too (see :func:`edge`)."""
    why = reason(exc) or Reason.DAMAGED
    if why is Reason.BUSY:
        return InputFileError(busy(path))
    if why is Reason.MISSING:
        return InputFileError(tr("入力ファイルが見つかりません: {p}", "input file not found: {p}", p=path))
    if why is Reason.UNREADABLE:
        strerror = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        return InputFileError(tr("入力ファイルを読み取れません（{r}）: {p}", "cannot read the input file ({r}): {p}",
                                 r=strerror, p=path))
    if sheet is not None:
        return InputFileError(tr("シート「{s}」を読めません（壊れている可能性があります）: {p}（{e}）",
                                 'cannot read sheet "{s}" (it may be damaged): {p} ({e})', s=sheet, p=path, e=exc))
    return InputFileError(tr("Excelファイルとして読めません（壊れている可能性があります）: {p}（{t}: {e}）",
                             "cannot read as an Excel file (it may be damaged): {p} ({t}: {e})",
                             p=path, t=type(exc).__name__, e=exc))


@contextmanager
def edge(path: Path, *, sheet: str | None = None) -> Iterator[None]:
    """Read a workbook inside this block; whatever it raises leaves as an InputFileError."""
    try:
        yield
    except KazagurumaError:
        raise
    except Exception as exc:  # deliberately all: the block parses the user's file, and openpyxl
        # documents no error contract (AttributeError has been seen on hand-made files). Refusing
        # the file, with the original as __cause__ and its type in the message, beats a crash.
        raise translate(exc, path, sheet=sheet) from exc

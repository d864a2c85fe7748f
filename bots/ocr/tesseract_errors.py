"""Translate what running tesseract raises into :class:`~bots.errors.OcrEngineError`, in one place.

A tesseract that is missing, cannot start, hangs or fails is an installation problem, not the
form's: the batch stops with a message saying how to fix the PC, instead of marking every form
unreadable. Kazaguruma runs the binary itself (:mod:`bots.ocr.tesseract`), so what it meets are
``subprocess`` and ``OSError`` exceptions; pytesseract, also installed, is mapped here too so that
nothing that calls it (a benchmark, a future step) leaks its exceptions past the OCR layer.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum

from bots.errors import KazagurumaError, OcrEngineError
from bots.i18n import tr


class Reason(Enum):
    """What went wrong running tesseract, and so how the message tells staff to fix the PC."""

    NOT_FOUND = "not_found"  #: no tesseract binary where it was looked for
    CANNOT_START = "cannot_start"  #: the binary exists but the OS would not run it
    TIMEOUT = "timeout"  #: it did not finish in time
    FAILED = "failed"  #: it ran and reported an error (bad image, missing model file, crash)
    UNSUPPORTED = "unsupported"  #: this tesseract (or pytesseract setup) lacks a needed feature


def _pytesseract() -> dict[type[BaseException], Reason]:
    """Imported on use: pytesseract takes ~0.3 s to import (it probes for pandas), and Kazaguruma
    itself never calls it."""
    from pytesseract import pytesseract as pt

    return {
        pt.TesseractNotFoundError: Reason.NOT_FOUND,  # an OSError: before OSError below
        pt.TesseractError: Reason.FAILED,
        pt.TSVNotSupported: Reason.UNSUPPORTED,
        pt.ALTONotSupported: Reason.UNSUPPORTED,
        pt.PandasNotSupported: Reason.UNSUPPORTED,
        pt.InvalidVersion: Reason.UNSUPPORTED,
    }


#: What each exception means when running tesseract; checked in order, the most specific first.
BASE_MAPPED: dict[type[BaseException], Reason] = {
    subprocess.TimeoutExpired: Reason.TIMEOUT,
    subprocess.CalledProcessError: Reason.FAILED,
    OSError: Reason.CANNOT_START,
}


def mapped() -> dict[type[BaseException], Reason]:
    """The whole mapping, pytesseract's classes first (some subclass OSError)."""
    return {**_pytesseract(), **BASE_MAPPED}


def not_found() -> str:
    """How to install tesseract or point Kazaguruma to it."""
    return tr(
        "OCR エンジン tesseract が見つかりません。Debian/Ubuntu: apt-get install tesseract-ocr "
        "tesseract-ocr-jpn、Windows: UB Mannheim 版をインストール（日本語を選択）するか、"
        "環境変数 TESSERACT_CMD に tesseract.exe の場所を設定してください",
        "the OCR engine tesseract was not found. Debian/Ubuntu: apt-get install tesseract-ocr "
        "tesseract-ocr-jpn; Windows: install the UB Mannheim build (with Japanese) or set "
        "TESSERACT_CMD to the path of tesseract.exe",
    )


def _output(exc: BaseException) -> str:
    """The end of what tesseract printed (its error is last), else the exception's own text."""
    stderr = getattr(exc, "stderr", None) or getattr(exc, "message", None)
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    text = str(stderr).strip() if stderr else str(exc)
    return text[-300:]


def translate(exc: BaseException) -> OcrEngineError:
    """The OcrEngineError for ``exc`` raised while running tesseract."""
    why = next((r for source, r in mapped().items() if isinstance(exc, source)), Reason.FAILED)
    if why is Reason.NOT_FOUND:
        return OcrEngineError(not_found())
    if why is Reason.CANNOT_START:
        return OcrEngineError(tr("tesseract を起動できません（{e}）", "cannot start tesseract ({e})", e=exc))
    if why is Reason.TIMEOUT:
        seconds = getattr(exc, "timeout", "?")
        return OcrEngineError(tr("tesseract が {s} 秒以内に終わりませんでした", "tesseract took over {s} s", s=seconds))
    if why is Reason.UNSUPPORTED:
        return OcrEngineError(tr("この tesseract では使えない機能です（{e}）。tesseract 4 以降を入れてください",
                                 "this tesseract lacks a needed feature ({e}); install tesseract 4 or later",
                                 e=exc))
    return OcrEngineError(tr("tesseract が失敗しました: {e}", "tesseract failed: {e}", e=_output(exc)))


@contextmanager
def edge() -> Iterator[None]:
    """Run tesseract inside this block; what it raises leaves as OcrEngineError.

    Only the mapped classes are caught (an OSError covers every way the OS refuses to start a
    program): anything else is a bug and must show as one. The tuple is built only when
    something was raised, so pytesseract is imported only then."""
    try:
        yield
    except KazagurumaError:
        raise
    except tuple(mapped()) as exc:
        raise translate(exc) from exc

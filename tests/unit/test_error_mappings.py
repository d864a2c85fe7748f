"""Every third-party library's exceptions map to Kazaguruma's error tree, one module per library
(httpx's ``test_httpcore_all_exceptions_mapped``): Playwright, openpyxl, pytesseract/tesseract,
Pillow + pypdfium2, SQLAlchemy. The desktop stack's test needs a display and lives with the
desktop tests (``tests/adapter/test_desktop_match.py``).

Each library's public exception classes are found by introspection, so a class a new version adds
fails here until it is mapped. Beside each table, at least one real, unmocked failure goes
through the real code path and comes out as a Kazaguruma error with a Japanese message.
"""

from __future__ import annotations

import inspect
import io
import os
import re
import socket
import sqlite3
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from openpyxl import Workbook

from bots.adapters import browser_pool, excel_reader, playwright_errors
from bots.errors import (
    ElementNotFound,
    FormFileError,
    InputFileError,
    KazagurumaError,
    OcrEngineError,
    StepError,
    StoreError,
    TargetSystemError,
)
from bots.ocr import image_errors, images, review, tesseract, tesseract_errors
from bots.records import model, openpyxl_errors
from bots.store import RunStore, sqlalchemy_errors

_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def exception_classes(*modules: ModuleType) -> list[type[BaseException]]:
    """Every exception class a module's namespace offers (warnings are not raised at callers)."""
    found = {obj for module in modules for _, obj in inspect.getmembers(module, inspect.isclass)
             if issubclass(obj, BaseException) and not issubclass(obj, Warning)}
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def subclasses(*roots: type[BaseException]) -> list[type[BaseException]]:
    """The roots and every subclass of them, recursively."""
    out: list[type[BaseException]] = []
    todo = list(roots)
    while todo:
        cls = todo.pop()
        if cls not in out:
            out.append(cls)
            todo.extend(cls.__subclasses__())
    return out


def unmapped(classes: Iterable[type[BaseException]], table: Iterable[type[BaseException]]) -> list[str]:
    sources = tuple(table)
    return [f"{cls.__module__}.{cls.__qualname__}" for cls in classes if not issubclass(cls, sources)]


def assert_japanese(error: BaseException, kind: type[KazagurumaError]) -> None:
    assert isinstance(error, kind), f"{type(error).__name__}: {error}"
    assert str(error).strip() and _JAPANESE.search(str(error)), str(error)


def test_the_completeness_check_can_fail() -> None:
    assert unmapped([KeyError, zipfile.BadZipFile], [LookupError]) == ["zipfile.BadZipFile"]


# --- Playwright --------------------------------------------------------------------------------


def playwright_classes() -> list[type[BaseException]]:
    import playwright._impl._errors
    import playwright.sync_api

    return exception_classes(playwright._impl._errors, playwright.sync_api)


def test_every_playwright_exception_is_mapped() -> None:
    classes = playwright_classes()
    assert {cls.__name__ for cls in classes} >= {"Error", "TimeoutError", "TargetClosedError"}
    assert unmapped(classes, playwright_errors.MAPPED) == []
    for cls in classes:
        assert_japanese(playwright_errors.translate(cls("boom"), "click: form.name"), StepError)


def test_playwright_kinds_follow_the_class() -> None:
    from playwright._impl._errors import TargetClosedError
    from playwright.sync_api import Error, TimeoutError


    assert isinstance(playwright_errors.translate(TimeoutError("Timeout 100ms exceeded."), "click"), ElementNotFound)
    assert isinstance(playwright_errors.translate(TargetClosedError(), "click"), TargetSystemError)
    plain = playwright_errors.translate(Error("Element is not an <input>"), "click")
    assert type(plain) is StepError and "Element is not an <input>" in str(plain)


@pytest.mark.browser
def test_a_refused_connection_and_a_closed_browser_are_target_system_errors() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pool = browser_pool.BrowserPool(notify=lambda *_: None)
    try:
        session = pool.open("t", None, None)
        with pytest.raises(TargetSystemError) as refused:
            session.goto(f"http://127.0.0.1:{port}/", 10_000)
        assert_japanese(refused.value, TargetSystemError)
        assert "接続できません" in str(refused.value)
        session.page.context.close()
        with pytest.raises(TargetSystemError, match="ブラウザが閉じられました"):
            session.goto(f"http://127.0.0.1:{port}/", 10_000)
    finally:
        pool.close()


# --- openpyxl (and the zip, zlib and XML layers under it) --------------------------------------


def openpyxl_classes() -> list[type[BaseException]]:
    import openpyxl.utils.exceptions

    return [*exception_classes(openpyxl.utils.exceptions), zipfile.BadZipFile, zipfile.LargeZipFile,
            ET.ParseError, zlib.error, EOFError, KeyError]


def test_every_openpyxl_exception_is_mapped(tmp_path: Path) -> None:
    classes = openpyxl_classes()
    assert len(classes) >= 12
    assert unmapped(classes, openpyxl_errors.MAPPED) == []
    path = tmp_path / "申請一覧.xlsx"
    for cls in classes:
        error = cls("damaged")
        assert openpyxl_errors.reason(error) is openpyxl_errors.Reason.DAMAGED, cls
        translated = openpyxl_errors.translate(error, path)
        assert_japanese(translated, InputFileError)
        assert str(path) in str(translated)
    assert_japanese(openpyxl_errors.translate(PermissionError(13, "denied"), path), InputFileError)
    assert "他のプログラムが使用中" in str(openpyxl_errors.translate(PermissionError(13, "denied"), path))


def _xlsx(path: Path, sheet: str) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for row in [["氏名", "電話番号"], *[["山田", "03-1234-5678"]] * 200]:
        ws.append(row)
    wb.save(path)
    return path


def _rezip(src: Path, dst: Path, member: str, content: bytes | None) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename) if item.filename != member else content
            if data is not None:
                zout.writestr(item, data)
    return dst


def _damaged_workbooks(tmp_path: Path, sheet: str) -> Iterator[tuple[str, Path]]:
    """Workbooks with one sheet named ``sheet``, each damaged in a way met in practice."""
    good = _xlsx(tmp_path / "good.xlsx", sheet)
    data = good.read_bytes()
    random = tmp_path / "random.xlsx"
    random.write_bytes(b"PK\x03\x04" + os.urandom(4000))
    yield "random bytes", random
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(data[: len(data) // 2])
    yield "truncated zip", truncated
    yield "no workbook part", _rezip(good, tmp_path / "no_workbook.xlsx", "xl/workbook.xml", None)
    yield "bad styles XML", _rezip(good, tmp_path / "bad_styles.xlsx", "xl/styles.xml", b"<styleSheet")
    sheet = zipfile.ZipFile(good).read("xl/worksheets/sheet1.xml")
    yield "cut-off sheet XML", _rezip(good, tmp_path / "bad_sheet.xlsx", "xl/worksheets/sheet1.xml",
                                      sheet[: len(sheet) // 2])


def test_damaged_workbooks_are_refused_by_the_real_reader(tmp_path: Path) -> None:

    for what, path in _damaged_workbooks(tmp_path, "申請一覧"):
        with pytest.raises(InputFileError) as caught:
            excel_reader.read_records(path, columns={"氏名": model.ColumnSpec()})
        assert_japanese(caught.value, InputFileError)
        assert str(path) in str(caught.value) and "壊れている可能性があります" in str(caught.value), what
        assert caught.value.__cause__ is not None, what


def test_a_damaged_review_workbook_is_refused_not_leaked(tmp_path: Path) -> None:
    for what, path in _damaged_workbooks(tmp_path, review.SHEET):
        with pytest.raises(InputFileError) as caught:
            review.import_review(path)
        assert_japanese(caught.value, InputFileError)
        assert str(path) in str(caught.value) and "壊れている可能性があります" in str(caught.value), what


# --- tesseract (run directly) and pytesseract ---------------------------------------------------


def pytesseract_classes() -> list[type[BaseException]]:
    from pytesseract import pytesseract

    return exception_classes(pytesseract)


def _instance(cls: type[BaseException]) -> BaseException:
    """One instance of a pytesseract exception, whatever its constructor wants."""
    if cls.__name__ == "TesseractError":
        return cls(1, "Error opening data file jpn.traineddata")  # type: ignore[call-arg]
    try:
        return cls()
    except TypeError:
        return cls("1.x")


def test_every_tesseract_exception_is_mapped() -> None:
    classes = pytesseract_classes()
    assert {cls.__name__ for cls in classes} >= {"TesseractError", "TesseractNotFoundError"}
    assert unmapped(classes, tesseract_errors.mapped()) == []
    assert unmapped([subprocess.TimeoutExpired, subprocess.CalledProcessError, PermissionError, OSError],
                    tesseract_errors.BASE_MAPPED) == []
    for error in [*map(_instance, classes), subprocess.TimeoutExpired(["tesseract"], 120),
                  subprocess.CalledProcessError(1, ["tesseract"], b"", b"Error: bad image"),
                  PermissionError(13, "Permission denied")]:
        assert_japanese(tesseract_errors.translate(error), OcrEngineError)
    from pytesseract import pytesseract

    assert "apt-get install tesseract-ocr" in str(tesseract_errors.translate(pytesseract.TesseractNotFoundError()))


def _fake_tesseract(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "tesseract"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="ascii")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for tesseract")
def test_a_tesseract_that_fails_hangs_or_cannot_start_is_an_engine_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = np.full((20, 20), 255, dtype=np.uint8)
    monkeypatch.setenv("TESSERACT_CMD", str(_fake_tesseract(tmp_path, "echo 'Error opening data file' >&2; exit 1")))
    with pytest.raises(OcrEngineError, match="tesseract が失敗しました: Error opening data file"):
        tesseract.read_batch([image], lang="jpn", psm=7, tessdata=None)

    monkeypatch.setenv("TESSERACT_CMD", str(_fake_tesseract(tmp_path, "sleep 5")))
    monkeypatch.setattr(tesseract, "CALL_TIMEOUT_S", 0.2)
    with pytest.raises(OcrEngineError, match="0.2 秒以内に終わりませんでした"):
        tesseract.read_batch([image], lang="jpn", psm=7, tessdata=None)

    not_a_program = tmp_path / "tesseract.txt"
    not_a_program.write_text("not a program", encoding="ascii")
    monkeypatch.setenv("TESSERACT_CMD", str(not_a_program))
    with pytest.raises(OcrEngineError) as caught:
        tesseract.read_batch([image], lang="jpn", psm=7, tessdata=None)
    assert_japanese(caught.value, OcrEngineError)
    assert "起動できません" in str(caught.value) and isinstance(caught.value.__cause__, OSError)


# --- Pillow and pypdfium2 -----------------------------------------------------------------------


def image_classes() -> list[type[BaseException]]:
    import PIL
    import pypdfium2
    from PIL import Image

    return exception_classes(PIL, Image, pypdfium2)


def test_every_pillow_and_pdfium_exception_is_mapped(tmp_path: Path) -> None:
    import pypdfium2
    from PIL import Image, UnidentifiedImageError


    classes = image_classes()
    assert {pypdfium2.PdfiumError, UnidentifiedImageError, Image.DecompressionBombError} <= set(classes)
    assert unmapped(classes, image_errors.MAPPED) == []
    for cls in classes:
        assert image_errors.reason(cls("bad")) is not None
        assert_japanese(image_errors.translate(cls("bad"), tmp_path / "申請書.png", data=b"\x89PNG...."), FormFileError)
    for cls in (OSError, SyntaxError, ValueError, EOFError):  # what Pillow's decoders raise
        assert_japanese(image_errors.translate(cls("broken data stream"), tmp_path / "申請書.png"), FormFileError)


def _png(size: tuple[int, int]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", size, 255).save(out, "PNG")
    return out.getvalue()


def test_unreadable_scans_are_form_file_errors_through_the_real_loader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image


    cases = {
        "garbage.pdf": (b"%PDF-1.7\n" + os.urandom(3000), "PDF が壊れています"),
        "no_pages.pdf": (b"%PDF-1.4\n1 0 obj << /Type /Pages /Count 0 /Kids [] >> endobj\n%%EOF\n",
                         "PDF にページがありません"),
        "letter.png": ("これは申請書ではありません".encode() * 50, "画像（PNG・JPEG・TIFF）でも PDF でもありません"),
        "cut.png": (_png((800, 800))[:120], "壊れているか、途中で切れています"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(FormFileError) as caught:
            images.load_pages(path)
        assert_japanese(caught.value, FormFileError)
        assert message in str(caught.value), (name, str(caught.value))
        assert caught.value.path == path

    huge = tmp_path / "huge.png"
    huge.write_bytes(_png((800, 800)))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)  # 640,000 px is past twice the limit
    with pytest.raises(FormFileError, match="画素数が多すぎます") as bomb:
        images.load_pages(huge)
    assert isinstance(bomb.value.__cause__, Image.DecompressionBombError)


# --- SQLAlchemy ---------------------------------------------------------------------------------


def sqlalchemy_classes() -> list[type[BaseException]]:
    import sqlalchemy.exc

    return sorted({*subclasses(sqlalchemy.exc.OperationalError, sqlalchemy.exc.IntegrityError),
                   *(cls for cls in exception_classes(sqlalchemy.exc) if issubclass(cls, sqlalchemy.exc.SQLAlchemyError))},
                  key=lambda cls: cls.__qualname__)


def test_every_sqlalchemy_exception_is_mapped() -> None:
    import sqlalchemy.exc
    from alembic.util import CommandError


    classes = sqlalchemy_classes()
    assert {sqlalchemy.exc.OperationalError, sqlalchemy.exc.IntegrityError, sqlalchemy.exc.DBAPIError} <= set(classes)
    assert unmapped([*classes, CommandError], sqlalchemy_errors.mapped()) == []  # Alembic is loaded here
    families = [cls for cls in classes if issubclass(cls, sqlalchemy.exc.DBAPIError)]
    for cls in families:
        error = cls("INSERT INTO runs VALUES (?)", ("髙橋 𠮷子",), sqlite3.OperationalError("database is locked"))
        translated = sqlalchemy_errors.translate(error, "write", "sqlite:///kazaguruma.sqlite3")
        assert_japanese(translated, StoreError)
        assert "database is locked" in str(translated)
        assert "髙橋" not in str(translated) and "INSERT" not in str(translated)  # no SQL, no citizen data
    lock = sqlalchemy_errors.translate(sqlalchemy.exc.OperationalError("BEGIN", {}, sqlite3.OperationalError("locked")), "w", "u")
    dup = sqlalchemy_errors.translate(sqlalchemy.exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE")), "w", "u")
    assert "ロック中" in str(lock) and "同じ記録がすでにある" in str(dup)


def test_a_duplicate_run_and_an_unopenable_file_are_store_errors(tmp_path: Path) -> None:
    import datetime as dt


    started = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
    with RunStore.open("sqlite:///" + (tmp_path / "実行記録.sqlite3").as_posix(), tmp_path / "logs") as store:
        run = {"run_id": "r1", "flow_id": "申請入力", "flow_version": "1", "flow_hash": "a" * 64,
               "selectors_hash": None, "trigger": "manual", "os_user": "髙橋 𠮷子", "host": "窓口PC-01",
               "started_at": started}
        store.start_run(**run)  # type: ignore[arg-type]
        with pytest.raises(StoreError) as duplicate:
            store.start_run(**run)  # type: ignore[arg-type]
    assert_japanese(duplicate.value, StoreError)
    assert "同じ記録がすでにある" in str(duplicate.value) and "髙橋" not in str(duplicate.value)
    assert type(duplicate.value.__cause__).__name__ == "IntegrityError"

    nowhere = tmp_path / "ない" / "フォルダ" / "kazaguruma.sqlite3"
    with pytest.raises(StoreError) as unopenable:
        RunStore.open("sqlite:///" + nowhere.as_posix(), tmp_path / "logs")
    assert_japanese(unopenable.value, StoreError)
    assert "データベースに接続できないか" in str(unopenable.value)
    assert type(unopenable.value.__cause__).__name__ == "OperationalError"

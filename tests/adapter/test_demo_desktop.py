"""The desktop demo core system itself, under a real Xvfb, driven with xdotool and xclip.

These pin what desktop flows rely on: distinct window titles per screen and dialog, the tab order,
F9, the modal dialogs, the 受付番号 copyable from its read-only Entry, and the SQLite store.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from desktop_fixtures import clipboard, focused_title, key, paste, wait_focus
from kazaguruma_demo.desktop import ui
from kazaguruma_demo.desktop.store import find, read_all
from PIL import ImageGrab

from bots.adapters.screen_match import best_match, load_template, to_gray
from bots.adapters.screen_text import read_text
from bots.platform.xvfb import VirtualDisplay
from bots.selectors.loader import load_selector_map

pytestmark = pytest.mark.display

MAP_DIR = Path(__file__).resolve().parents[2] / "selectors"
IMAGES = MAP_DIR / "demo_desktop"

# Rare kanji (𠮷 outside the BMP, 髙 an itaiji), half-width kana, full-width digits and spaces.
RECORD = {
    "氏名": "𠮷田\u3000髙子",
    "フリガナ": "ヨシダ\u3000タカコ",
    "生年月日": "1980-01-02",
    "性別": "女",
    "郵便番号": "100-0001",
    "住所": "東京都千代田区千代田１－１ ﾒｿﾞﾝ･ﾄﾞ･ｿﾚｲﾕ 202号室",
    "電話番号": "03-1234-5678",
    "個人番号": "",
    "申請種別": "住民票の写し",
    "備考": "ﾃｽﾄ（半角ｶﾅ）と全角ＡＢＣ",
}


@dataclass
class RunningApp:
    process: subprocess.Popen[bytes]
    db: Path


def _start(db: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "kazaguruma_demo.desktop", "--db", str(db), *args],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)


def _log_in(password: str = ui.DEFAULT_PASSWORD) -> None:
    paste(ui.USER_ID)
    key("Tab")
    paste(password)
    key("Return")


@pytest.fixture(scope="module")
def app(xvfb_display: VirtualDisplay, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:  # noqa: F811
    db = tmp_path_factory.mktemp("desktop") / "住民記録.sqlite3"
    process = _start(db)
    wait_focus(ui.TITLE_LOGIN)
    yield RunningApp(process, db)
    _stop(process)


@pytest.fixture
def entry_screen(app: RunningApp) -> RunningApp:
    """The app on a fresh 申請受付 screen, logging in first when needed."""
    if focused_title().endswith(ui.TITLE_LOGIN):
        _log_in()
        wait_focus(ui.TITLE_MENU)
    if not focused_title().endswith(ui.TITLE_ENTRY):
        key("F12")
        wait_focus(ui.TITLE_MENU)
        key("1")
        wait_focus(ui.TITLE_ENTRY)
    key("F5")  # クリア: every test starts from empty fields, focus on 氏名
    return app


def _key_record(record: dict[str, str]) -> None:
    for value in record.values():
        if value:
            paste(value)
        key("Tab")


def test_fail_start_exits_with_an_error_before_any_window(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "kazaguruma_demo.desktop", "--db", str(tmp_path / "x.db"), "--fail-start"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "接続できません" in done.stderr
    assert not (tmp_path / "x.db").exists()


def test_wrong_password_shows_a_modal_error_then_login_opens_the_menu(xvfb_display: VirtualDisplay,  # noqa: F811
                                                                       tmp_path: Path) -> None:
    process = _start(tmp_path / "login.sqlite3")  # its own app: the shared one may be logged in already
    try:
        wait_focus(ui.TITLE_LOGIN)
        _log_in("wrong-password")
        wait_focus(ui.TITLE_LOGIN_ERROR)
        key("Return")
        wait_focus(ui.TITLE_LOGIN)
        key("ctrl+a", "BackSpace")  # focus went back to the password field
        paste(ui.DEFAULT_PASSWORD)
        key("Return")
        wait_focus(ui.TITLE_MENU)
    finally:
        _stop(process)


def test_entry_is_stored_character_for_character_and_receipt_copies(entry_screen: RunningApp) -> None:
    before = len(read_all(entry_screen.db))
    receipt = _register(RECORD)  # the dialog closed: fields cleared, focus back on 氏名
    stored = find(entry_screen.db, receipt)
    assert stored is not None, receipt
    assert {name: stored[name] for name in RECORD} == RECORD
    assert len(read_all(entry_screen.db)) == before + 1
    paste("確認")
    key("ctrl+a", "ctrl+c")
    assert clipboard() == "確認"


def test_validation_error_names_the_field_as_shown_and_stores_nothing(entry_screen: RunningApp) -> None:
    before = len(read_all(entry_screen.db))
    _key_record({**RECORD, "フリガナ": "よしだ"})
    key("F9")
    wait_focus(ui.TITLE_INPUT_ERROR)
    key("Return")
    wait_focus(ui.TITLE_ENTRY)
    key("ctrl+a", "ctrl+c")  # focus is back on the refused field
    assert clipboard() == "よしだ"
    assert len(read_all(entry_screen.db)) == before


def _register(record: dict[str, str]) -> str:
    _key_record(record)
    key("F9")
    wait_focus(ui.TITLE_DONE)
    key("ctrl+a", "ctrl+c")
    receipt = clipboard()
    key("Return")
    wait_focus(ui.TITLE_ENTRY)
    return receipt


def test_inquiry_finds_the_stored_receipt(entry_screen: RunningApp) -> None:
    record = {**RECORD, "氏名": "照会　𠮷子", "生年月日": "1975-05-05"}
    receipt = _register(record)
    key("F12")
    wait_focus(ui.TITLE_MENU)
    key("2")
    wait_focus(ui.TITLE_INQUIRY)
    paste(record["氏名"])
    key("Tab")
    paste(record["生年月日"])
    key("Return")  # search: the focus moves to the read-only result
    key("ctrl+c")
    assert clipboard() == receipt


def _focused_origin() -> tuple[int, int]:
    done = subprocess.run(["xdotool", "getwindowfocus", "getwindowgeometry", "--shell"],
                          capture_output=True, text=True, timeout=10, check=True)
    values = dict(line.split("=", 1) for line in done.stdout.split())
    return int(values["X"]), int(values["Y"])


def _screen_score(template: str) -> float:
    """Best match of a selector-map template on the live screen (the desktop steps' matcher)."""
    _, score = best_match(to_gray(ImageGrab.grab()), load_template(IMAGES / template), confidence=0.9,
                          scales=(1.0,))
    return score


@pytest.mark.tesseract
def test_receipt_dialog_is_readable_by_ocr_in_its_mapped_region(entry_screen: RunningApp) -> None:
    _key_record({**RECORD, "氏名": "読取\u3000花子"})
    key("F9")
    wait_focus(ui.TITLE_DONE)
    selector_map, _ = load_selector_map(MAP_DIR / "demo_desktop.yaml")
    assert selector_map is not None
    region = selector_map.element("登録完了.受付番号")[0].region
    assert region is not None
    left, top = _focused_origin()  # the dialog
    x, y, width, height = region
    shot = ImageGrab.grab(bbox=(left + x, top + y, left + x + width, top + y + height))
    text = read_text(shot, "eng").replace(" ", "")
    key("Return")
    wait_focus(ui.TITLE_ENTRY)
    assert text == read_all(entry_screen.db)[-1]["receipt_no"]


def test_recorded_templates_match_the_normal_screen_but_not_the_changed_one(
        entry_screen: RunningApp, tmp_path: Path) -> None:
    assert _screen_score("entry_register.png") >= 0.9
    key("F12")
    wait_focus(ui.TITLE_MENU)
    assert _screen_score("menu_entry.png") >= 0.9
    changed = _start(tmp_path / "changed.sqlite3", "--variant", "changed")
    try:
        wait_focus(ui.TITLE_LOGIN)
        _log_in()
        wait_focus(ui.TITLE_MENU)
        key("1")
        wait_focus(ui.TITLE_ENTRY)
        assert _screen_score("entry_register.png") < 0.8  # a changed screen is noticed, not guessed
    finally:
        _stop(changed)

"""The desktop adapter: one session per desktop system, elements from its selector map.

Windows are found by title (a screen's ``window:`` pattern, or a regular expression), and an
element is resolved inside its screen's window: an image template (OpenCV, multi-scale), a
text read by OCR, or a point/region relative to the window. Candidates are tried in order;
the winner is remembered per element and a fallback win is reported as selector drift.

Safety: pyautogui's fail-safe stays on; every mouse or keyboard action first checks that
the expected window has the keyboard focus, and refuses (:class:`FocusLost`, nothing sent)
otherwise. The session is composed of its parts: ``windows`` (:mod:`bots.adapters.desktop_focus`:
find, focus, the focus check, applications) and ``keys`` (:mod:`bots.adapters.desktop_input`:
mouse, keyboard, clipboard); the elements of the selector map are resolved here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageGrab

from bots.adapters.desktop_errors import edge
from bots.adapters.desktop_focus import FOCUS_GRACE_S, DesktopWindows
from bots.adapters.desktop_input import DesktopInput, key_names
from bots.adapters.screen_match import best_match, load_template, to_gray
from bots.adapters.screen_text import find_text, read_text
from bots.errors import (
    DriftedCommit,
    ElementNotFound,
    FlowError,
    InputRecordError,
    KazagurumaError,
    ScreenMismatch,
    SessionExpired,
    StepTimeout,
    TargetSystemError,
)
from bots.i18n import tr
from bots.platform.desktop import DesktopPlatform, Rect, Window, current_platform
from bots.selectors.desktop_model import DEFAULT_CONFIDENCE, DEFAULT_SCALES
from bots.selectors.drift import drift_message, drifted_commit_message
from bots.selectors.model import Candidate, ErrorIndicator, SelectorMap
from bots.selectors.observation import drift_data

Notify = Callable[[str, str, dict[str, Any]], None]


def grab(rect: Rect | None = None) -> Image.Image:
    """The screen (or a part of it) as an RGB image."""
    box = None if rect is None else (rect.x, rect.y, rect.x + rect.width, rect.y + rect.height)
    return ImageGrab.grab(bbox=box).convert("RGB")


class DesktopSession:
    """One desktop target system for the length of a run: its windows, keyboard and elements."""

    def __init__(self, name: str, selector_map: SelectorMap | None, map_file: Path, notify: Notify,
                 halt: threading.Event | None = None, platform: DesktopPlatform | None = None) -> None:
        self.platform = platform or current_platform()
        self.selector_map = selector_map
        self.keys = DesktopInput(self.platform)
        self.windows = DesktopWindows(self.platform, selector_map, halt, self.check_screen)
        self.name = name
        self.map_file = map_file
        self.folder = map_file.parent  #: image paths are relative to it
        self._notify = notify
        self._chosen: dict[str, int] = {}
        self._drift_reported: set[str] = set()
        self._recorded_checked = False

    # -- elements ----------------------------------------------------------------------------

    def check_recorded(self) -> None:
        """Refuse to match images recorded on another resolution or scale, naming the map."""
        recorded = self.selector_map.recorded if self.selector_map else None
        if recorded is None or self._recorded_checked:
            return
        with edge(tr("画面サイズ", "screen size")):
            width, height = self.platform.screen_size()
            scale = self.platform.scale()
        if (width, height) != (recorded.width, recorded.height) or abs(scale - recorded.scale) > 0.01:
            raise ScreenMismatch(tr(
                "セレクタ定義 {m} は {rw}x{rh}（拡大率 {rs:g}）で記録されていますが、この画面は {w}x{h}（拡大率 {s:g}）"
                "です。画面設定を合わせるか、画像を取り直してください",
                "selector map {m} was recorded at {rw}x{rh} (scale {rs:g}) but this screen is {w}x{h} (scale {s:g}); "
                "match the display settings or re-record the images",
                m=self.map_file, rw=recorded.width, rh=recorded.height, rs=recorded.scale,
                w=width, h=height, s=scale))
        self._recorded_checked = True

    def check_screen(self) -> None:
        """Raise at once if one of the system's error windows is shown (validation, system error)."""
        indicators = [i for i in (self.selector_map.error_indicators if self.selector_map else []) if i.window]
        for indicator in indicators:
            shown = self.windows.matching(str(indicator.window))
            if shown:
                error = indicator_error(indicator, self._indicator_text(indicator, shown[-1]))
                if indicator.dismiss:
                    self._dismiss(shown[-1], indicator.dismiss)
                raise error

    def _dismiss(self, window: Window, key: str) -> None:
        """Close an error window with its key; a failure is reported, the error stands."""
        try:
            with edge(tr("エラー表示を閉じる", "dismiss error window")):
                self.platform.focus(window.id)
            self.windows.wait(lambda: self.platform.active_window() == window.id, FOCUS_GRACE_S, "focus")
            self.keys.send(window, [key_names(key)])
        except KazagurumaError as exc:
            self._notify("dismiss_failed", tr("エラー表示「{t}」を閉じられません: {e}", "cannot dismiss {t!r}: {e}",
                                              t=window.title, e=exc), {"system": self.name})

    def _indicator_text(self, indicator: ErrorIndicator, window: Window) -> str:
        """The message of an error window (OCR of its regions); its name if that reads nothing."""
        texts: list[str] = []
        for c in indicator.candidates:
            found = self._find(c, window.rect, None, "jpn") if c.region is not None else None
            if found is not None:
                with edge(tr("エラー表示の読み取り", "read error message")):
                    texts.append(" ".join(read_text(grab(found), "jpn").split()))
        return " / ".join(t for t in texts if t) or indicator.name

    def candidates(self, ref: str) -> tuple[str | None, list[Candidate]]:
        """The element's screen window pattern and its candidates in the map's order."""
        if self.selector_map is None or not self.selector_map.has(ref):
            raise FlowError(tr("セレクタ定義 {s} に要素 {t} がありません", "selector map {s} has no element {t}",
                               s=self.name, t=ref))
        screen = self.selector_map.screens[ref.partition(".")[0]]
        return screen.window, self.selector_map.element(ref)

    def screen_window(self, ref: str, timeout: float) -> Window:
        """The window an element lives in: its screen's ``window:``, else the focused one."""
        pattern, _ = self.candidates(ref)
        if pattern is not None:
            return self.windows.find_window(pattern, timeout)
        if self.windows.expected is None:
            raise FlowError(tr("画面 {s} に window がなく、フォーカス中のウィンドウもありません",
                               "screen of {s} names no window and none is focused", s=ref))
        return self.windows.expected

    def locate(self, ref: str, timeout: float, lang: str = "jpn") -> tuple[Window, Rect]:
        """The element's window and its rectangle on the screen (waits until it shows)."""
        self.check_recorded()
        pattern, candidates = self.candidates(ref)
        window = self.screen_window(ref, timeout)
        order = list(range(len(candidates)))
        if ref in self._chosen:
            order.insert(0, order.pop(self._chosen[ref]))

        def probe() -> tuple[Window, Rect]:
            current = self.windows.find_window(pattern, 0) if pattern is not None else window  # it may have moved
            shot: Image.Image | None = None
            for index in order:
                candidate = candidates[index]
                if candidate.image is not None or candidate.text is not None:
                    shot = shot or self._grab(current.rect)
                found = self._find(candidate, current.rect, shot, lang)
                if found is not None:
                    self._chose(ref, index, candidates)
                    return current, found
            self.check_screen()
            raise ElementNotFound(tr("画面上に {r} が見つかりません（{c}）", "{r} not found on the screen ({c})", r=ref,
                                     c=", ".join(describe(c) for c in candidates)))

        return self.windows.wait(probe, timeout, ref)

    def refuse_guess(self, ref: str) -> None:
        """Before a commit acts on ``ref``: refuse (nothing clicked) when only a fallback candidate
        found it, unless the map lists it in ``allow_fallback_commit``. Under another theme the
        first candidate (the button's image) no longer matched and ``{text: OK}`` found a box that
        reached the Cancel button: a commit never acts on a guess."""
        chosen = self._chosen.get(ref, 0)
        if chosen == 0 or (self.selector_map is not None and self.selector_map.fallback_commit_allowed(ref)):
            return
        _, candidates = self.candidates(ref)
        self._chosen.pop(ref, None)  # a retry looks for the first candidate again
        raise DriftedCommit(drifted_commit_message(ref, describe(candidates[0]), chosen + 1,
                                                   describe(candidates[chosen])))

    def read_region(self, ref: str, timeout: float, lang: str) -> str:
        """OCR of the element's rectangle (a ``region:`` candidate, usually)."""
        _, rect = self.locate(ref, timeout, lang)
        with edge(tr("文字の読み取り: {r}", "read text: {r}", r=ref)):
            return read_text(grab(rect), lang)

    def wait_gone(self, ref: str, timeout: float) -> None:
        """Until the element (an image or a text) is no longer shown, or its window closed."""
        def gone() -> bool:
            try:
                self.locate(ref, 0)
            except (ElementNotFound, StepTimeout):
                return True
            return False

        self.windows.wait(gone, timeout, tr("{r} が消えるのを待機", "wait for {r} to go", r=ref))

    def screenshot(self, path: Path, rect: Rect | None = None) -> Path:
        """Save the screen (or a window's rectangle) as PNG evidence of a step."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._grab(rect).save(path)
        return path

    def close(self) -> None:
        """Close the applications this session started and hand the clipboard back for good."""
        self.windows.close()
        self.keys.release_clipboard()

    def _grab(self, rect: Rect | None) -> Image.Image:
        with edge(tr("画面の取得", "screen capture")):
            return grab(rect)

    def _find(self, c: Candidate, area: Rect, shot: Image.Image | None, lang: str) -> Rect | None:
        if c.point is not None:
            return Rect(area.x + c.point[0], area.y + c.point[1], 1, 1)
        if c.region is not None:
            x, y, width, height = c.region
            return Rect(area.x + x, area.y + y, width, height)
        if shot is None:
            return None
        if c.image is not None:
            with edge(tr("画像の照合: {i}", "image match: {i}", i=c.image)):
                template = load_template(self.folder / c.image)
                match, _ = best_match(to_gray(shot), template, confidence=c.confidence or DEFAULT_CONFIDENCE,
                                      scales=c.scales or DEFAULT_SCALES)
            return None if match is None else Rect(area.x + match.rect.x, area.y + match.rect.y, match.rect.width,
                                                   match.rect.height)
        with edge(tr("文字の検索: {t}", "find text: {t}", t=c.text)):
            hit = find_text(shot, str(c.text), lang)
        return None if hit is None else Rect(area.x + hit.x, area.y + hit.y, hit.width, hit.height)

    def _chose(self, ref: str, index: int, candidates: list[Candidate]) -> None:
        self._chosen[ref] = index
        if index > 0 and ref not in self._drift_reported:
            self._drift_reported.add(ref)
            self._notify("selector_drift", drift_message(ref, describe(candidates[0]), index + 1,
                                                         describe(candidates[index])),
                         drift_data(self.name, self.selector_map.system if self.selector_map else None, ref,
                                    candidates, index, None))

def indicator_error(indicator: ErrorIndicator, text: str) -> KazagurumaError:
    """The error an error window stands for: bad input, an expired session or a system error."""
    if indicator.kind == "validation":
        refused = InputRecordError(tr("対象システムの入力エラー: {t}", "rejected by the target system: {t}", t=text))
        refused.nothing_saved = indicator.nothing_saved
        return refused
    if indicator.kind == "session_expired":
        return SessionExpired(tr("セッションが切れました: {t}", "session expired: {t}", t=text),
                              nothing_saved=indicator.nothing_saved)
    return TargetSystemError(tr("対象システムのエラー表示: {t}", "target system error: {t}", t=text),
                             nothing_saved=indicator.nothing_saved)


def describe(c: Candidate) -> str:
    """A candidate as the selector map writes it, for drift and not-found messages."""
    if c.image is not None:
        return f"image={c.image!r}"
    if c.point is not None:
        return f"point={list(c.point)}"
    if c.region is not None:
        return f"region={list(c.region)}"
    return c.describe()

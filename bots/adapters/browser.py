"""The browser adapter: one Playwright page per target system, elements from its selector map.

:class:`BrowserSession` is what steps call; it waits and acts, and composes the parts that each
keep one concern of a page, so each stays small enough to read:

- :mod:`bots.adapters.browser_elements` — which of an element's candidates is on the page. The
  first action goes through their union; the winner is learned after it and a fallback win is
  reported as selector drift. A commit step resolves before acting and never acts on what only a
  fallback found. Elements of a screen with ``frame:`` are looked for inside its iframe.
- :mod:`bots.adapters.browser_watch` — the system's error indicators and HTTP status.
- :mod:`bots.adapters.browser_pages` — popups and JavaScript dialogs (a declared answer holds for
  its record only: :meth:`BrowserSession.start_record`).
- :mod:`bots.adapters.browser_capture` — screenshots and PDF receipts with personal data masked.

Every action waits in slices (the first up to 1 s, then doubling up to the step's timeout). Waiting steps
(``wait_for``, ``read_text``, ``expect_text``, an element screenshot) wait for their element or
any of the system's error indicators in one combined wait from the first poll, so an error page,
an expired session or a validation message fails the step at once; acting steps act at once on
the first try (no extra round trip on the happy path) and look for the indicators between the
later slices.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar, cast
from urllib.parse import urljoin

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bots.adapters.browser_capture import Capture
from bots.adapters.browser_elements import ElementResolver, Notify, Target
from bots.adapters.browser_pages import DialogAnswer, DialogDesk, PageSet
from bots.adapters.browser_watch import ScreenWatch
from bots.adapters.locators import build_locator, union
from bots.adapters.playwright_errors import translate
from bots.errors import InputRecordError, KazagurumaError, StepTimeout, TargetSystemError
from bots.i18n import tr
from bots.selectors.model import Candidate, SelectorMap

__all__ = ["BrowserSession", "Notify", "Target"]

T = TypeVar("T")


_FIRST_SLICE_MS = 1000.0


#: Chromium's error for a load cut short by the browser itself (not an answer of the target system).
_ABORTED = "net::ERR_ABORTED"


class _Dispatched(Exception):
    """A timed-out try whose input was sent: the action is done (see ``act``)."""


def _dispatch_state(exc: PlaywrightTimeoutError) -> str:
    """Did a timed-out action send its input? Read from Playwright's call log.

    "done": the click/press went in and only the wait for a navigation ran out; "uncertain":
    it timed out while performing; "none": it was still waiting for the element.
    """
    log = getattr(exc, "message", "") or str(exc)
    if "action done" in log:
        return "done"
    if "performing " in log:
        return "uncertain"
    return "none"


class BrowserSession:
    """A logged-in (or about to be) page on one target system."""

    def __init__(self, name: str, page: Page, base_url: str | None, selector_map: SelectorMap | None,
                 notify: Notify) -> None:
        self.name = name
        self.base_url = base_url
        self.selector_map = selector_map
        self._notify = notify
        self.dialogs = DialogDesk()
        self.screen = ScreenWatch(selector_map, lambda: self.page)
        self.pages = PageSet(page, self._adopt, self.screen.page_changed)
        self.elements = ElementResolver(name, selector_map, notify, lambda: self.page)
        self.capture = Capture(self.elements, lambda: self.page)
        #: The winner cache (the resolver's own dict): which candidate each element matched.
        self._chosen = self.elements.chosen
        self._committing = False
        self._adopt(page)

    @property
    def page(self) -> Page:
        """The page steps act on now: the main page, or a popup a step opened (``browser_pages``)."""
        return self.pages.current

    @property
    def nav_status(self) -> int | None:
        """The HTTP status of the last navigation of the page steps act on."""
        return self.screen.nav_status

    def _adopt(self, page: Page) -> None:
        """Listen to a page of this session (the main one, each popup): answers, navigations, dialogs."""
        page.on("response", self.screen.on_response)
        page.on("framenavigated", self.elements.on_navigated)
        self.dialogs.watch(page)

    def start_record(self) -> None:
        """A new record starts: a ``browser.dialog`` answer no dialog used, and a dialog dismissed
        after the last step of the record before, belong to that record; both are dropped (and
        noted in the run log) so this record's dialogs are answered only by its own declarations."""
        unused, refused = self.dialogs.clear()
        if unused is not None:
            self._notify("dialog_unused", tr(
                "{s}: browser.dialog で宣言した答えを使うダイアログが出ないままレコードが終わりました（破棄しました）",
                "{s}: the record ended without the dialog browser.dialog declared an answer for (dropped)",
                s=self.name), {"system": self.name, "accept": unused.accept, "text": unused.text})
        if refused is not None:
            self._notify("dialog_between_records", tr(
                "{s}: 前のレコードの最後のステップの後に出たダイアログを閉じました: {m}",
                "{s}: a dialog shown after the previous record's last step was dismissed: {m}",
                s=self.name, m=refused), {"system": self.name})

    def describe(self, target: Target) -> str:
        """How messages and the winner cache name the target: its element name, or the candidate's text."""
        return self.elements.describe(target)

    def candidates(self, target: Target) -> list[Candidate]:
        """The selectors to try, in order (:meth:`ElementResolver.candidates`)."""
        return self.elements.candidates(target)

    def locators(self, target: Target) -> list[Locator]:
        """One locator per candidate, in the target's frame (for masks and hidden-waits)."""
        return self.elements.locators(target)

    def element(self, target: Target, timeout_ms: float) -> Locator:
        """The locator to act on (:meth:`ElementResolver.element`); a commit resolves first."""
        return self.elements.element(target, timeout_ms, committing=self._committing)

    def act(self, target: Target, what: str, timeout_ms: float, do: Callable[[Locator, float], T], *,
            commit: bool = False) -> T:
        """Resolve ``target`` and run ``do(locator, timeout_ms)`` on it, watching for error screens.

        The first try acts at once (no extra round trip when the screen is already right). If
        the element is not there within the first slice, the step only *waits* in slices,
        checking the error indicators in between, and acts once with the time that is left, so
        an input is never sent twice. Whether a timed-out try sent its input is read from
        Playwright's call log. A ``commit`` acts only on an element its first candidate found
        (or one the map lists in ``allow_fallback_commit``): see :meth:`ElementResolver.refuse_guess`. A
        JavaScript dialog nobody declared fails the step (:meth:`DialogDesk.raise_refused`).
        """
        self.dialogs.raise_refused(action_taken=False)  # one shown since the last step (on page load)
        key = self.describe(target)
        self._committing = commit
        try:
            result = self._act(target, what, timeout_ms, do, commit)
        except _Dispatched:
            result = cast(T, None)
        except Exception as exc:
            self.elements.forget_unsettled(key)
            self.dialogs.raise_refused(cause=exc)  # the dialog is why the step failed
            raise
        finally:
            self._committing = False
        self.elements.learn(key)
        self.dialogs.raise_refused()
        return result

    def arm_dialog(self, *, accept: bool, text: str | None = None, prompt: str | None = None) -> None:
        """Answer the next JavaScript dialog of this system like this (``browser.dialog``)."""
        self.dialogs.arm(DialogAnswer(accept=accept, text=text, prompt=prompt))

    @contextmanager
    def opening_popup(self, timeout_ms: float) -> Iterator[None]:
        """Around an action that opens a new tab or window: wait for it, then act on it from now on."""
        with self.pages.opening_popup(timeout_ms):
            yield

    def switch_page(self, which: str) -> None:
        """Act on the ``main`` page or the ``popup`` from now on."""
        self.pages.switch_page(which)

    def close_page(self) -> None:
        """Close the popup and act on the main page again."""
        self.pages.close_popup()

    def _act(self, target: Target, what: str, timeout_ms: float, do: Callable[[Locator, float], T],
             commit: bool) -> T:
        key = self.describe(target)
        deadline = time.monotonic() + timeout_ms / 1000
        first = min(_FIRST_SLICE_MS, timeout_ms)
        try:
            locator = self.element(target, first)
            if commit:
                self.elements.refuse_guess(target, key)
            return do(locator, first)
        except PlaywrightTimeoutError as exc:
            self._after_timeout(exc, what, key, last=first >= timeout_ms)
        except PlaywrightError as exc:
            self._chosen.pop(key, None)
            raise translate(exc, f"{what}: {key}", status=self.screen.error_status()) from exc
        budget = first
        while True:
            remaining = (deadline - time.monotonic()) * 1000
            budget = min(budget * 2, max(1.0, remaining))
            try:
                locator = self.element(target, budget)
                self.screen.watch(locator, budget)
                if commit:
                    self.elements.refuse_guess(target, key)
            except PlaywrightTimeoutError as exc:
                self._after_timeout(exc, what, key, last=budget >= remaining)
                continue
            except PlaywrightError as exc:
                raise translate(exc, f"{what}: {key}", status=self.screen.error_status()) from exc
            try:
                return do(locator, max(1.0, (deadline - time.monotonic()) * 1000))
            except PlaywrightTimeoutError as exc:
                self._after_timeout(exc, what, key, last=True)
            except PlaywrightError as exc:
                self._chosen.pop(key, None)
                raise translate(exc, f"{what}: {key}", status=self.screen.error_status()) from exc

    def _after_timeout(self, exc: PlaywrightTimeoutError, what: str, key: str, *, last: bool) -> None:
        """Decide what a timed-out try means; returns only if waiting may go on."""
        dispatched = _dispatch_state(exc)
        if dispatched == "done":  # the input went in; only the wait for the next page ran out
            raise _Dispatched()
        if dispatched == "uncertain":
            raise StepTimeout(tr("{w}: {k}: 操作の途中で時間切れになり、結果が不明です",
                                 "{w}: {k}: timed out while acting; the outcome is unknown", w=what, k=key)) from exc
        try:
            self.screen.check()
        except KazagurumaError as shown:
            shown.action_taken = False
            raise
        if last:
            self._chosen.pop(key, None)  # the screen may have changed: resolve afresh next time
            error = translate(exc, f"{what}: {key}", status=self.screen.error_status())
            error.action_taken = False
            raise error from exc

    def check_screen(self) -> None:
        """Raise if the page shows one of the system's error screens (:meth:`ScreenWatch.check`)."""
        self.screen.check()

    def watched(self, do: Callable[[Locator, float], T]) -> Callable[[Locator, float], T]:
        """``do`` after waiting for the element or an error indicator (:meth:`ScreenWatch.watched`)."""
        return self.screen.watched(do)

    def shows(self, target: Target, timeout_ms: float, *, raise_shown: bool = False) -> bool:
        """Whether ``target`` is shown, or shows within ``timeout_ms``: a short look, for
        ``visible()`` in a condition and an ``optional`` step's element. An error indicator shown
        instead ends the look at once: raised with ``raise_shown`` (the step would fail on it),
        else the answer is False."""
        deadline = time.monotonic() + timeout_ms / 1000
        try:
            locator = self.element(target, timeout_ms)
            return self.screen.watch(locator, max(1.0, (deadline - time.monotonic()) * 1000), raise_shown=raise_shown)
        except PlaywrightTimeoutError:
            return False
        except PlaywrightError as exc:
            raise translate(exc, f"{tr('表示の確認', 'visibility check')}: {self.describe(target)}",
                            status=self.screen.error_status()) from exc

    def reload(self, timeout_ms: float) -> None:
        """Load the page again (a screen that went stale, an SPA that lost its state); an HTTP 5xx
        answer fails the step as a TargetSystemError, as ``goto`` does."""
        try:
            response = self.page.reload(timeout=timeout_ms, wait_until="domcontentloaded")
        except PlaywrightError as exc:
            raise translate(exc, tr("再読み込み", "reload"), element=False) from exc
        if response is not None and response.status >= 500:
            raise TargetSystemError(tr("再読み込み: 対象システムがエラーを返しました (HTTP {s})",
                                       "reload: the target system answered HTTP {s}", s=response.status))

    def wait_for_screen(self, target: Target, timeout_ms: float, state: str = "visible") -> None:
        """Wait until ``target`` is in ``state`` (the next screen has arrived, or a dialog went)."""
        if state in ("hidden", "detached"):
            key = self.describe(target)
            candidates = self.candidates(target)
            chosen = self._chosen.get(key)
            pool = [candidates[chosen]] if chosen is not None else candidates
            gone = union([build_locator(self.page, c) for c in pool])
            try:
                gone.first.wait_for(state=state, timeout=timeout_ms)  # type: ignore[arg-type]
            except PlaywrightError as exc:
                raise translate(exc, key, status=self.screen.error_status()) from exc
            return
        if state == "visible":  # the element, or an error indicator from the first poll
            self.act(target, tr("画面待ち", "wait"), timeout_ms, self.screen.watch)
            return
        self.act(target, tr("画面待ち", "wait"), timeout_ms,
                 lambda loc, t: loc.first.wait_for(state=state, timeout=t))  # type: ignore[arg-type]

    def read_text(self, target: Target, timeout_ms: float) -> str:
        """The first match's rendered text, waited for like any action (error indicators fail it at once)."""
        text: str = self.act(target, tr("読み取り", "read"), timeout_ms,
                             self.screen.watched(lambda loc, t: loc.first.inner_text(timeout=t)))
        return text

    def select(self, target: Target, timeout_ms: float, *, label: str | None = None, value: str | None = None,
               commit: bool = False) -> None:
        """Choose an option by label or value. An option the list does not offer is the record's
        problem (InputRecordError naming what is offered), not a missing element."""
        wanted, by = (label, "label") if label is not None else (value, "value")

        def choose(loc: Locator, budget: float) -> None:
            try:
                loc.select_option(label=label, value=value, timeout=budget)
            except PlaywrightTimeoutError:
                offered = self._options(loc, by)
                if offered is not None and wanted not in offered:
                    shown = "、".join(o for o in offered if o) or "-"
                    raise InputRecordError(tr("{t} に選択肢 {w!r} がありません（画面の選択肢: {o}）",
                                              "{t} offers no option {w!r} (it offers: {o})",
                                              t=self.describe(target), w=wanted, o=shown)) from None
                raise

        self.act(target, tr("選択", "select"), timeout_ms, choose, commit=commit)

    @staticmethod
    def _options(loc: Locator, by: str) -> list[str] | None:
        """The labels (or values) a <select> offers now; None if it is not there to ask."""
        try:
            if loc.count() != 1:
                return None
            found = loc.evaluate("(el, by) => el.options ? Array.from(el.options, (o) => o[by]) : null", by,
                                 timeout=1000)
        except PlaywrightError:
            return None
        return [str(o) for o in found] if isinstance(found, list) else None

    def goto(self, url: str, timeout_ms: float) -> None:
        """Open ``url`` (relative to the system's base URL); an HTTP 5xx answer fails the step as a
        TargetSystemError instead of leaving the next step to time out on an error page."""
        full = urljoin(self.base_url or "", url)
        try:
            try:
                response = self.page.goto(full, timeout=timeout_ms, wait_until="domcontentloaded")
            except PlaywrightError as exc:
                if _ABORTED not in str(exc):
                    raise
                # Chromium aborted the load (another navigation of the page — a late redirect or
                # refresh of the screen being left — cut it): opening a screen is a plain GET, once more.
                response = self.page.goto(full, timeout=timeout_ms, wait_until="domcontentloaded")
        except PlaywrightError as exc:
            raise translate(exc, tr("画面を開く: {u}", "open {u}", u=full), element=False) from exc
        if response is not None and response.status >= 500:
            raise TargetSystemError(tr("{u}: 対象システムがエラーを返しました (HTTP {s})", "{u}: the target system answered HTTP {s}",
                                       u=full, s=response.status))

    def mark_sensitive(self, target: Target) -> None:
        """Black this element out in every later screenshot (it was given personal data)."""
        self.capture.mark_sensitive(target)

    def screenshot(self, path: Path, target: Target | None = None, timeout_ms: float = 10_000) -> Path:
        """Full-page screenshot, or of one element (``target``: waited for like any step, an error
        indicator fails it at once); passwords, sensitive elements and fields given personal data masked."""
        if target is None:
            return self.capture.full_page(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.act(target, tr("要素の画像", "element screenshot"), timeout_ms, self.screen.watched(
            lambda loc, t: loc.first.screenshot(path=str(path), mask=self.capture.masks(), timeout=t)))
        return path

    def pdf(self, path: Path) -> Path:
        """The whole page as a PDF receipt, masked like screenshots (:meth:`Capture.pdf`)."""
        return self.capture.pdf(path)

"""Watching a browser session's page for the target system's error screens.

Kept apart from acting (:mod:`bots.adapters.browser`) because every kind of step needs it the
same way: the selector map's ``error_indicators`` (an error page, an expired session, a
validation message) and the HTTP status of the last navigation. Waiting steps wait for their
element or any indicator in one combined wait from the first poll (:meth:`ScreenWatch.watch`), so
an error alert right after a submit fails the step at once; acting steps ask
:meth:`ScreenWatch.check` between their later waiting slices.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, Response

from bots.adapters.locators import build_locator, union
from bots.errors import InputRecordError, KazagurumaError, SessionExpired, TargetSystemError
from bots.i18n import tr
from bots.selectors.model import ErrorIndicator, SelectorMap

T = TypeVar("T")


def shown_now(locator: Locator) -> bool:
    """Whether the locator's first match is shown at this moment (no waiting); a page in the
    middle of navigating shows nothing yet."""
    try:
        return locator.first.is_visible()
    except PlaywrightError:
        return False


class ScreenWatch:
    """The error indicators and HTTP status of the page a session's steps act on."""

    def __init__(self, selector_map: SelectorMap | None, page: Callable[[], Page]) -> None:
        self.selector_map = selector_map
        self._page = page  # the page steps act on now (main or popup)
        #: The HTTP status of the last navigation of the page steps act on.
        self.nav_status: int | None = None
        self._errors: list[tuple[ErrorIndicator, Locator]] | None = None

    def on_response(self, response: Response) -> None:
        """Keep the status of navigations (listener of every page of the session)."""
        request = response.request
        if request.is_navigation_request() and request.frame == self._page().main_frame:
            self.nav_status = response.status

    def page_changed(self) -> None:
        """Steps act on another page now (a popup, or back): its indicators are built afresh."""
        self._errors = None

    def error_status(self) -> int | None:
        """The last navigation's status when it was a server error (5xx), else None."""
        return self.nav_status if self.nav_status is not None and self.nav_status >= 500 else None

    def check(self) -> None:
        """Raise if the page shows one of the system's error screens (or answered HTTP 5xx). An
        indicator counts only when shown: a single-page app keeps its alert box in the page, hidden."""
        errors = self.error_union()
        try:
            shown = errors is not None and errors.count() > 0
        except PlaywrightError:  # the page is navigating: nothing to judge yet
            shown = False
        if shown:
            self._raise_indicator(self._errors or [])
        status = self.error_status()
        if status is not None:
            raise TargetSystemError(tr("対象システムがエラーを返しました (HTTP {s})", "the target system answered HTTP {s}",
                                       s=status))

    def error_union(self) -> Locator | None:
        """The system's error indicators as one locator of shown elements; None if it declares none."""
        if self._errors is None:
            indicators = self.selector_map.error_indicators if self.selector_map else []
            page = self._page()
            self._errors = [(ind, union([build_locator(page, c) for c in ind.candidates]).filter(visible=True))
                            for ind in indicators]
        return union([loc for _, loc in self._errors]) if self._errors else None

    def raise_shown(self) -> None:
        """Raise the error indicator the page shows, if any, as nothing sent (only waiting happened)."""
        try:
            self.check()
        except KazagurumaError as shown:
            shown.action_taken = False
            raise

    def watch(self, locator: Locator, timeout_ms: float, *, raise_shown: bool = True) -> bool:
        """Wait until ``locator`` shows or one of the system's error indicators does, in one wait
        (``or_``): an error alert right after a submit ends the wait at once, not after a slice.

        True when the element shows (it counts first: a step reading the error message itself is
        not failed by it). An indicator shown instead is raised (``raise_shown``), or gives False.
        Neither in time: Playwright's TimeoutError. Already shown costs one round trip."""
        target = locator.first
        errors = self.error_union()
        if errors is None:
            target.wait_for(state="visible", timeout=timeout_ms)
            return True
        if shown_now(target):
            return True
        deadline = time.monotonic() + timeout_ms / 1000
        try:
            either = locator.or_(errors)
        except PlaywrightError:  # an element in a frame: the indicators are looked at between slices
            target.wait_for(state="visible", timeout=timeout_ms)
            return True
        either.filter(visible=True).first.wait_for(state="visible", timeout=timeout_ms)
        if shown_now(target):
            return True
        if raise_shown:
            self.raise_shown()
        elif shown_now(errors):
            return False
        # Something showed and went: the element may still come, in the time that is left.
        target.wait_for(state="visible", timeout=max(1.0, (deadline - time.monotonic()) * 1000))
        return True

    def watched(self, do: Callable[[Locator, float], T]) -> Callable[[Locator, float], T]:
        """``do`` after :meth:`watch`: for steps that wait for what a submit brings (a text to
        read, a receipt to capture), so an error alert fails them from the first poll."""
        def run(locator: Locator, budget: float) -> T:
            started = time.monotonic()
            self.watch(locator, budget)
            return do(locator, max(1.0, budget - (time.monotonic() - started) * 1000))
        return run

    def _raise_indicator(self, errors: list[tuple[ErrorIndicator, Locator]]) -> None:
        """Raise the first shown indicator as its kind says: the record's input, an expired
        session, or the target system's error; its text names it unless it is a whole page."""
        for indicator, locator in errors:
            try:
                if locator.count() == 0:
                    continue
                text = " / ".join(" ".join(t.split()) for t in locator.all_inner_texts() if t.strip())
            except PlaywrightError:
                text = ""
            if not text or len(text) > 80:  # a whole page matched: its name says more than its text
                text = indicator.name
            if indicator.kind == "validation":
                raise InputRecordError(tr("対象システムの入力エラー: {t}", "rejected by the target system: {t}", t=text))
            if indicator.kind == "session_expired":
                raise SessionExpired(tr("セッションが切れました: {t}", "session expired: {t}", t=text),
                                     nothing_saved=indicator.nothing_saved)
            raise TargetSystemError(tr("対象システムのエラー画面: {t}", "target system error page: {t}", t=text),
                                    nothing_saved=indicator.nothing_saved)

"""One Playwright driver and browser per run; one context and page per target system.

Starting them costs about a second (the Node driver, Chromium, the first page's renderer), most
of it spent in those other processes. :func:`prestart` lets a caller start them early — the
command line does it while the run machinery is still being imported — and the run's first
:meth:`BrowserPool.open` then takes the running browser instead of launching one.

Playwright's sync API is not thread-safe: its objects may be used only from the thread that
started the driver (its dispatcher is a greenlet of that thread). So the early start happens in
the thread that will run the flow, and :meth:`BrowserPool.open` takes a prestarted browser only
in that thread; the overlap comes from doing *other* work (imports) in another thread meanwhile.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from bots.errors import StepError
from bots.i18n import tr
from bots.platform.browser import launch_options

if TYPE_CHECKING:
    from bots.adapters.browser import BrowserSession, Notify
    from bots.selectors.model import SelectorMap


@dataclass(frozen=True)
class Started:
    """A driver, a browser and a first page, started before the run asked for them."""

    playwright: Playwright
    browser: Browser
    page: Page
    headless: bool

    def close(self) -> None:
        """Close the browser and stop the driver; a browser already gone is not an error."""
        for end in (self.browser.close, self.playwright.stop):
            try:
                end()
            except PlaywrightError:
                pass


#: The prestarted browser, per thread: only the thread that started it may use or close it.
_local = threading.local()


def new_page(browser: Browser) -> Page:
    """A page in a context of its own, ja-JP and Asia/Tokyo so target systems show dates and text
    as they do to staff; downloads accepted (``browser.download``)."""
    context: BrowserContext = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", accept_downloads=True)
    return context.new_page()


def prestart(*, headless: bool = True) -> bool:
    """Start the driver, Chromium and a first page now, in this thread, for the next
    :meth:`BrowserPool.open` of this thread to take. False (and nothing left running) when the
    browser cannot start: the run's own open then reports why, as it always did."""
    discard_prestarted()
    playwright: Playwright | None = None
    try:
        playwright = sync_playwright().start()
        browser = playwright.chromium.launch(**launch_options(headless=headless))
        page = new_page(browser)
    except BaseException as exc:  # Ctrl+C included: the driver (and the browser with it) is stopped
        if playwright is not None:
            try:
                playwright.stop()
            except PlaywrightError:
                pass
        if isinstance(exc, PlaywrightError):
            return False
        raise
    _local.started = Started(playwright, browser, page, headless)
    return True


def prestarted() -> Started | None:
    """This thread's prestarted browser, if one is waiting to be taken."""
    started: Started | None = getattr(_local, "started", None)
    return started


def discard_prestarted() -> None:
    """Close this thread's prestarted browser if no run took it (the run was refused before it
    started, or needed no browser)."""
    started = prestarted()
    _local.started = None
    if started is not None:
        started.close()


def _take(headless: bool) -> Started | None:
    """This thread's prestarted browser, handed over (it is no longer this module's to close); one
    started with the other ``headless`` is closed instead (the run wants the other kind)."""
    started = prestarted()
    _local.started = None
    if started is not None and (started.headless != headless or not started.browser.is_connected()):
        started.close()
        return None
    return started


class BrowserPool:
    """The run's browser: Chromium starts on the first ``open`` (or was prestarted); each system
    gets its own context, so cookies and logins never leak from one target system to another."""

    def __init__(self, *, headless: bool = True, notify: Notify) -> None:
        self.headless = headless
        self._notify = notify
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self.sessions: dict[str, BrowserSession] = {}

    def open(self, name: str, base_url: str | None, selector_map: SelectorMap | None) -> BrowserSession:
        """The session of ``name``, made on the first call and reused after."""
        if name in self.sessions:
            return self.sessions[name]
        try:
            page = self._first_page()
            if page is None:
                if self._browser is None:
                    self._playwright = sync_playwright().start()
                    self._browser = self._playwright.chromium.launch(**launch_options(headless=self.headless))
                page = new_page(self._browser)
        except PlaywrightError as exc:
            raise StepError(tr("ブラウザを起動できません: {e}", "cannot start the browser: {e}",
                               e=str(exc).splitlines()[0])) from exc
        # lazy: the browser adapter (selector maps, XPath parser) is imported by the run meanwhile;
        # :func:`prestart` needs only Playwright, so it starts before the helper thread's imports.
        from bots.adapters.browser import BrowserSession

        session = BrowserSession(name, page, base_url, selector_map, self._notify)
        self.sessions[name] = session
        return session

    def _first_page(self) -> Page | None:
        """The prestarted browser's page, taken over with its browser and driver (first open only)."""
        if self._browser is not None:
            return None
        started = _take(self.headless)
        if started is None:
            return None
        self._playwright, self._browser = started.playwright, started.browser
        return started.page

    def close_session(self, name: str) -> None:
        """Close one system's context; a browser already gone is not an error (this is cleanup)."""
        session = self.sessions.pop(name, None)
        if session is not None:
            try:
                session.page.context.close()
            except PlaywrightError:
                pass

    def close(self) -> None:
        """Close every session, the browser and the driver; Playwright errors are ignored so run-end
        cleanup always completes, even after the browser crashed."""
        for name in list(self.sessions):
            self.close_session(name)
        try:
            if self._browser is not None:
                self._browser.close()
            if self._playwright is not None:
                self._playwright.stop()
        except PlaywrightError:
            pass
        self._browser = None
        self._playwright = None

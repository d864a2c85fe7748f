"""One Playwright driver and browser per run; one context and page per target system."""

from __future__ import annotations

from playwright.sync_api import Browser, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from bots.adapters.browser import BrowserSession, Notify
from bots.errors import StepError
from bots.i18n import tr
from bots.platform.browser import launch_options
from bots.selectors.model import SelectorMap


class BrowserPool:
    """The run's browser: Chromium starts on the first ``open``; each system gets its own context, so
    cookies and logins never leak from one target system to another."""

    def __init__(self, *, headless: bool = True, notify: Notify) -> None:
        self.headless = headless
        self._notify = notify
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self.sessions: dict[str, BrowserSession] = {}

    def open(self, name: str, base_url: str | None, selector_map: SelectorMap | None) -> BrowserSession:
        """The session of ``name``, made on the first call and reused after; contexts are ja-JP and
        Asia/Tokyo so target systems show dates and text as they do to staff."""
        if name in self.sessions:
            return self.sessions[name]
        try:
            if self._browser is None:
                self._playwright = sync_playwright().start()
                self._browser = self._playwright.chromium.launch(**launch_options(headless=self.headless))
            context = self._browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", accept_downloads=True)
            page = context.new_page()
        except PlaywrightError as exc:
            raise StepError(tr("ブラウザを起動できません: {e}", "cannot start the browser: {e}",
                               e=str(exc).splitlines()[0])) from exc
        session = BrowserSession(name, page, base_url, selector_map, self._notify)
        self.sessions[name] = session
        return session

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

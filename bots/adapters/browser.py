"""The browser adapter: one Playwright page per target system, elements from its selector map.

Selector candidates are tried in order once per element and session; the winner is cached,
so keying costs no extra round trip per field. A fallback win is reported as selector drift.
Screen waits also watch the system's error indicators, so an error page or a validation
message fails the step at once instead of after its timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin

from playwright.sync_api import Browser, Locator, Page, Playwright, Response, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bots.adapters.playwright_errors import translate
from bots.errors import FlowError, InputRecordError, SessionExpired, StepError, TargetSystemError
from bots.i18n import tr
from bots.platform.browser import launch_options
from bots.selectors.model import Candidate, SelectorMap

T = TypeVar("T")
Target = str | Candidate
Notify = Callable[[str, str, dict[str, Any]], None]


def build_locator(page: Page, c: Candidate) -> Locator:
    """A Playwright locator for one candidate."""
    if c.role is not None:
        return page.get_by_role(c.role, name=c.name, exact=c.exact)  # type: ignore[arg-type]
    if c.label is not None:
        return page.get_by_label(c.label, exact=c.exact)
    if c.text is not None:
        return page.get_by_text(c.text, exact=c.exact)
    if c.placeholder is not None:
        return page.get_by_placeholder(c.placeholder, exact=c.exact)
    if c.css is not None:
        return page.locator(c.css)
    return page.locator(f"xpath={c.xpath}")


#: Is the element (or an ancestor) one of the error indicators' CSS selectors? And its text.
_MATCHES_ANY = "(el, sels) => [sels.some((s) => el.matches(s) || el.closest(s) !== null), el.innerText]"


def _union(locators: list[Locator]) -> Locator:
    return reduce(lambda a, b: a.or_(b), locators)


class BrowserSession:
    """A logged-in (or about to be) page on one target system."""

    def __init__(self, name: str, page: Page, base_url: str | None, selector_map: SelectorMap | None,
                 notify: Notify) -> None:
        self.name = name
        self.page = page
        self.base_url = base_url
        self.selector_map = selector_map
        self._notify = notify
        self._chosen: dict[str, int] = {}
        self._drift_reported: set[str] = set()
        self.nav_status: int | None = None
        page.on("response", self._on_response)

    def _on_response(self, response: Response) -> None:
        request = response.request
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.nav_status = response.status

    def _error_status(self) -> int | None:
        return self.nav_status if self.nav_status is not None and self.nav_status >= 500 else None

    def describe(self, target: Target) -> str:
        return target if isinstance(target, str) else target.describe()

    def candidates(self, target: Target) -> list[Candidate]:
        if isinstance(target, Candidate):
            return [target]
        if self.selector_map is None or not self.selector_map.has(target):
            raise FlowError(tr("セレクタ定義 {s} に要素 {t} がありません", "selector map {s} has no element {t}",
                               s=self.name, t=target))
        return self.selector_map.element(target)

    def element(self, target: Target, timeout_ms: float) -> Locator:
        """The locator of the first candidate that resolves (cached per session)."""
        candidates = self.candidates(target)
        key = self.describe(target)
        chosen = self._chosen.get(key)
        if chosen is not None:
            return build_locator(self.page, candidates[chosen])
        if len(candidates) == 1:
            self._chosen[key] = 0
            return build_locator(self.page, candidates[0])
        locators = [build_locator(self.page, c) for c in candidates]
        self._wait(_union(locators).first, "attached", timeout_ms, key)
        return self._pick(key, candidates, locators)

    def _pick(self, key: str, candidates: list[Candidate], locators: list[Locator]) -> Locator:
        for index, locator in enumerate(locators):
            if locator.count() > 0:
                self._chosen[key] = index
                if index > 0 and key not in self._drift_reported:
                    self._drift_reported.add(key)
                    self._notify("selector_drift", tr(
                        "セレクタのずれ: {k} は第1候補 ({p}) で見つからず、第{n}候補 ({c}) で見つかりました",
                        "selector drift: {k} not found by its first candidate ({p}) but by candidate {n} ({c})",
                        k=key, p=candidates[0].describe(), n=index + 1, c=candidates[index].describe()),
                        {"system": self.name, "element": key, "candidate": index + 1})
                return locator
        raise translate(PlaywrightError("detached"), key)

    def _wait(self, locator: Locator, state: str, timeout_ms: float, what: str) -> None:
        try:
            locator.wait_for(state=state, timeout=timeout_ms)  # type: ignore[arg-type]
        except PlaywrightError as exc:
            raise translate(exc, what, status=self._error_status()) from exc

    def act(self, target: Target, what: str, timeout_ms: float, do: Callable[[Locator], T]) -> T:
        """Resolve ``target`` and run ``do`` on it, translating failures."""
        key = self.describe(target)
        locator = self.element(target, timeout_ms)
        try:
            return do(locator)
        except PlaywrightError as exc:
            self._chosen.pop(key, None)  # the screen may have changed: resolve afresh next time
            raise translate(exc, f"{what}: {key}", status=self._error_status()) from exc

    def read_screen_text(self, target: Target, timeout_ms: float) -> str:
        """The text of ``target`` once it shows, in one round trip; an error screen fails at once."""
        text: list[str] = []
        self.wait_for_screen(target, timeout_ms, capture_text=text)
        if text:
            return text[0]
        return self.act(target, tr("読み取り", "read"), timeout_ms, lambda loc: loc.first.inner_text(timeout=timeout_ms))

    def select(self, target: Target, timeout_ms: float, *, label: str | None = None, value: str | None = None) -> None:
        """Choose an option by label or value. An option the list does not offer is the record's
        problem (InputRecordError naming what is offered), not a missing element."""
        wanted, by = (label, "label") if label is not None else (value, "value")

        def choose(loc: Locator) -> None:
            try:
                loc.select_option(label=label, value=value, timeout=timeout_ms)
            except PlaywrightTimeoutError:
                offered = self._options(loc, by)
                if offered is not None and wanted not in offered:
                    shown = "、".join(o for o in offered if o) or "-"
                    raise InputRecordError(tr("{t} に選択肢 {w!r} がありません（画面の選択肢: {o}）",
                                              "{t} offers no option {w!r} (it offers: {o})",
                                              t=self.describe(target), w=wanted, o=shown)) from None
                raise

        self.act(target, tr("選択", "select"), timeout_ms, choose)

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

    def wait_for_screen(self, target: Target, timeout_ms: float, state: str = "visible",
                        capture_text: list[str] | None = None) -> Locator:
        """Wait until ``target`` shows; fail at once if an error indicator shows instead.

        With ``capture_text`` the element's text is read in the same round trip.
        """
        key = self.describe(target)
        candidates = self.candidates(target)
        chosen = self._chosen.get(key)
        if chosen is not None:  # watch only the candidate that resolved before: fewer selector queries
            candidates = [candidates[chosen]]
        locators = [build_locator(self.page, c) for c in candidates]
        indicators = self.selector_map.error_indicators if self.selector_map and state == "visible" else []
        errors = [(ind, _union([build_locator(self.page, c) for c in ind.candidates])) for ind in indicators]
        watched = _union(locators + [loc for _, loc in errors])
        css = [c.css for ind in indicators for c in ind.candidates]
        if errors and all(css) and state == "visible":
            # One round trip: wait for whichever shows first and ask the page if it is an error.
            try:
                hit, text = watched.first.evaluate(_MATCHES_ANY, css, timeout=timeout_ms)
            except PlaywrightError as exc:
                raise translate(exc, key, status=self._error_status()) from exc
            if hit:
                self._raise_indicator(errors)
            if capture_text is not None and len(locators) == 1:
                capture_text.append(str(text))
        else:
            self._wait(watched.first, state, timeout_ms, key)
            if errors and _union([loc for _, loc in errors]).count() > 0:
                self._raise_indicator(errors)
        if state != "visible" or chosen is not None or len(locators) == 1:
            if chosen is None:
                self._chosen[key] = 0
            return locators[0]
        return self._pick(key, candidates, locators)

    def _raise_indicator(self, errors: list[tuple[Any, Locator]]) -> None:
        for indicator, locator in errors:
            if locator.count() == 0:
                continue
            try:
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

    def goto(self, url: str, timeout_ms: float) -> None:
        full = urljoin(self.base_url or "", url)
        try:
            response = self.page.goto(full, timeout=timeout_ms, wait_until="domcontentloaded")
        except PlaywrightError as exc:
            raise translate(exc, tr("画面を開く: {u}", "open {u}", u=full), element=False) from exc
        if response is not None and response.status >= 500:
            raise TargetSystemError(tr("{u}: 対象システムがエラーを返しました (HTTP {s})", "{u}: the target system answered HTTP {s}",
                                       u=full, s=response.status))

    def screenshot(self, path: Path) -> Path:
        """Full-page screenshot, password fields masked."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.page.screenshot(path=str(path), full_page=True, mask=[self.page.locator("input[type=password]")],
                                 timeout=10_000)
        except PlaywrightError as exc:
            raise translate(exc, tr("画面の保存", "screenshot"), element=False) from exc
        return path


class BrowserPool:
    """One Playwright driver and browser per run; one context and page per target system."""

    def __init__(self, *, headless: bool = True, notify: Notify) -> None:
        self.headless = headless
        self._notify = notify
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self.sessions: dict[str, BrowserSession] = {}

    def open(self, name: str, base_url: str | None, selector_map: SelectorMap | None) -> BrowserSession:
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
        session = self.sessions.pop(name, None)
        if session is not None:
            try:
                session.page.context.close()
            except PlaywrightError:
                pass

    def close(self) -> None:
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

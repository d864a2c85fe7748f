"""The browser adapter: one Playwright page per target system, elements from its selector map.

Selector candidates are tried in order once per element and session; the winner is cached,
so keying costs no extra round trip per field. A fallback win is reported as selector drift,
with what the page shows at the element (one extra round trip, once per drifted element).

Every action waits in slices (250 ms, then doubling up to the step's timeout). Between slices
it looks for the system's error indicators, so an error page, an expired session or a
validation message fails the step at once, while the happy path costs no extra round trip.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urljoin

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, Response
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bots.adapters.drift_observe import observe
from bots.adapters.locators import build_locator, union
from bots.adapters.playwright_errors import translate
from bots.errors import (
    DriftedCommit,
    FlowError,
    InputRecordError,
    KazagurumaError,
    SessionExpired,
    StepTimeout,
    TargetSystemError,
)
from bots.i18n import tr
from bots.selectors.drift import drift_message, drifted_commit_message
from bots.selectors.model import Candidate, ErrorIndicator, SelectorMap
from bots.selectors.observation import drift_data

T = TypeVar("T")
Target = str | Candidate
Notify = Callable[[str, str, dict[str, Any]], None]


_FIRST_SLICE_MS = 1000.0


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
        self.page = page
        self.base_url = base_url
        self.selector_map = selector_map
        self._notify = notify
        self._chosen: dict[str, int] = {}
        self._drift_reported: set[str] = set()
        self.nav_status: int | None = None
        self._errors: list[tuple[ErrorIndicator, Locator]] | None = None
        self._sensitive: list[Target] = []
        page.on("response", self._on_response)

    def _on_response(self, response: Response) -> None:
        request = response.request
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.nav_status = response.status

    def _error_status(self) -> int | None:
        return self.nav_status if self.nav_status is not None and self.nav_status >= 500 else None

    def describe(self, target: Target) -> str:
        """How messages and the winner cache name the target: its element name, or the candidate's text."""
        return target if isinstance(target, str) else target.describe()

    def candidates(self, target: Target) -> list[Candidate]:
        """The selectors to try, in order; an element the map lacks is a flow error, not a timeout."""
        if isinstance(target, Candidate):
            return [target]
        if self.selector_map is None or not self.selector_map.has(target):
            raise FlowError(tr("セレクタ定義 {s} に要素 {t} がありません", "selector map {s} has no element {t}",
                               s=self.name, t=target))
        return self.selector_map.element(target)

    def element(self, target: Target, timeout_ms: float) -> Locator:
        """The locator of the first candidate that resolves (cached per session).

        Raises Playwright's TimeoutError when none is there yet; ``act`` decides what that means.
        """
        candidates = self.candidates(target)
        key = self.describe(target)
        chosen = self._chosen.get(key)
        if chosen is not None:
            return build_locator(self.page, candidates[chosen])
        if len(candidates) == 1:
            self._chosen[key] = 0
            return build_locator(self.page, candidates[0])
        locators = [build_locator(self.page, c) for c in candidates]
        union(locators).first.wait_for(state="attached", timeout=timeout_ms)
        return self._pick(key, candidates, locators)

    def _pick(self, key: str, candidates: list[Candidate], locators: list[Locator]) -> Locator:
        for index, locator in enumerate(locators):
            if locator.count() > 0:
                self._chosen[key] = index
                if index > 0 and key not in self._drift_reported:
                    self._drift_reported.add(key)
                    self._report_drift(key, candidates, index, locator)
                return locator
        raise PlaywrightTimeoutError("the element went away while it was being resolved")

    def _report_drift(self, key: str, candidates: list[Candidate], index: int, locator: Locator) -> None:
        """The ``selector_drift`` notice, with what the page shows at the element (one ``evaluate``,
        once per element and session) so ``selectors propose`` can suggest the fix. The element's own
        text is read only when the first candidate names it by its text (``text:``, role+name): a
        button's or a heading's wording, never a cell showing an applicant's data; and never for an
        element the map marks ``sensitive``."""
        selector_map = self.selector_map
        sensitive = selector_map is not None and key in selector_map.sensitive_refs()
        named_by_text = candidates[0].kind in ("text", "role")
        observed = observe(locator, with_text=named_by_text and not sensitive)
        message = drift_message(key, candidates[0].describe(), index + 1, candidates[index].describe())
        map_name = selector_map.system if selector_map is not None else None
        self._notify("selector_drift", message, drift_data(self.name, map_name, key, candidates, index, observed))

    def act(self, target: Target, what: str, timeout_ms: float, do: Callable[[Locator, float], T], *,
            commit: bool = False) -> T:
        """Resolve ``target`` and run ``do(locator, timeout_ms)`` on it, watching for error screens.

        The first try acts at once (no extra round trip when the screen is already right). If
        the element is not there within the first slice, the step only *waits* in slices,
        checking the error indicators in between, and acts once with the time that is left, so
        an input is never sent twice. Whether a timed-out try sent its input is read from
        Playwright's call log. A ``commit`` acts only on an element its first candidate found
        (or one the map lists in ``allow_fallback_commit``): see :meth:`_refuse_guess`.
        """
        try:
            return self._act(target, what, timeout_ms, do, commit)
        except _Dispatched:
            return cast(T, None)

    def _act(self, target: Target, what: str, timeout_ms: float, do: Callable[[Locator, float], T],
             commit: bool) -> T:
        key = self.describe(target)
        deadline = time.monotonic() + timeout_ms / 1000
        first = min(_FIRST_SLICE_MS, timeout_ms)
        try:
            locator = self.element(target, first)
            if commit:
                self._refuse_guess(target, key)
            return do(locator, first)
        except PlaywrightTimeoutError as exc:
            self._after_timeout(exc, what, key, last=first >= timeout_ms)
        except PlaywrightError as exc:
            self._chosen.pop(key, None)
            raise translate(exc, f"{what}: {key}", status=self._error_status()) from exc
        budget = first
        while True:
            remaining = (deadline - time.monotonic()) * 1000
            budget = min(budget * 2, max(1.0, remaining))
            try:
                locator = self.element(target, budget)
                locator.first.wait_for(state="visible", timeout=budget)
                if commit:
                    self._refuse_guess(target, key)
            except PlaywrightTimeoutError as exc:
                self._after_timeout(exc, what, key, last=budget >= remaining)
                continue
            except PlaywrightError as exc:
                raise translate(exc, f"{what}: {key}", status=self._error_status()) from exc
            try:
                return do(locator, max(1.0, (deadline - time.monotonic()) * 1000))
            except PlaywrightTimeoutError as exc:
                self._after_timeout(exc, what, key, last=True)
            except PlaywrightError as exc:
                self._chosen.pop(key, None)
                raise translate(exc, f"{what}: {key}", status=self._error_status()) from exc

    def _refuse_guess(self, target: Target, key: str) -> None:
        """A commit step whose element only a fallback candidate found does not act: the record
        fails with the drift, nothing submitted (unless the map allows it for that element)."""
        chosen = self._chosen.get(key, 0)
        if chosen == 0 or (isinstance(target, str) and self.selector_map is not None
                           and self.selector_map.fallback_commit_allowed(target)):
            return
        candidates = self.candidates(target)
        self._chosen.pop(key, None)  # a retry resolves afresh: the first candidate may be back
        raise DriftedCommit(drifted_commit_message(key, candidates[0].describe(), chosen + 1,
                                                   candidates[chosen].describe()))

    def _after_timeout(self, exc: PlaywrightTimeoutError, what: str, key: str, *, last: bool) -> None:
        """Decide what a timed-out try means; returns only if waiting may go on."""
        dispatched = _dispatch_state(exc)
        if dispatched == "done":  # the input went in; only the wait for the next page ran out
            raise _Dispatched()
        if dispatched == "uncertain":
            raise StepTimeout(tr("{w}: {k}: 操作の途中で時間切れになり、結果が不明です",
                                 "{w}: {k}: timed out while acting; the outcome is unknown", w=what, k=key)) from exc
        try:
            self.check_screen()
        except KazagurumaError as shown:
            shown.action_taken = False
            raise
        if last:
            self._chosen.pop(key, None)  # the screen may have changed: resolve afresh next time
            error = translate(exc, f"{what}: {key}", status=self._error_status())
            error.action_taken = False
            raise error from exc

    def check_screen(self) -> None:
        """Raise if the page is one of the system's error screens (or an HTTP 5xx answer)."""
        if self._errors is None:
            indicators = self.selector_map.error_indicators if self.selector_map else []
            self._errors = [(ind, union([build_locator(self.page, c) for c in ind.candidates])) for ind in indicators]
        try:
            shown = bool(self._errors) and union([loc for _, loc in self._errors]).count() > 0
        except PlaywrightError:  # the page is navigating: nothing to judge yet
            shown = False
        if shown:
            self._raise_indicator(self._errors)
        status = self._error_status()
        if status is not None:
            raise TargetSystemError(tr("対象システムがエラーを返しました (HTTP {s})", "the target system answered HTTP {s}",
                                       s=status))

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
                raise translate(exc, key, status=self._error_status()) from exc
            return
        self.act(target, tr("画面待ち", "wait"), timeout_ms,
                 lambda loc, t: loc.first.wait_for(state=state, timeout=t))  # type: ignore[arg-type]

    def read_text(self, target: Target, timeout_ms: float) -> str:
        """The first match's rendered text, waited for like any action (error indicators fail it at once)."""
        text: str = self.act(target, tr("読み取り", "read"), timeout_ms, lambda loc, t: loc.first.inner_text(timeout=t))
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

    def _raise_indicator(self, errors: list[tuple[ErrorIndicator, Locator]]) -> None:
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

    def goto(self, url: str, timeout_ms: float) -> None:
        """Open ``url`` (relative to the system's base URL); an HTTP 5xx answer fails the step as a
        TargetSystemError instead of leaving the next step to time out on an error page."""
        full = urljoin(self.base_url or "", url)
        try:
            response = self.page.goto(full, timeout=timeout_ms, wait_until="domcontentloaded")
        except PlaywrightError as exc:
            raise translate(exc, tr("画面を開く: {u}", "open {u}", u=full), element=False) from exc
        if response is not None and response.status >= 500:
            raise TargetSystemError(tr("{u}: 対象システムがエラーを返しました (HTTP {s})", "{u}: the target system answered HTTP {s}",
                                       u=full, s=response.status))

    def mark_sensitive(self, target: Target) -> None:
        """Black this element out in every later screenshot (it was given personal data)."""
        self._sensitive.append(target)

    def _masks(self) -> list[Locator]:
        masks = [self.page.locator("input[type=password]")]
        declared: list[Target] = list(self.selector_map.sensitive_refs()) if self.selector_map else []
        for target in (*declared, *self._sensitive):
            masks.extend(build_locator(self.page, c) for c in self.candidates(target))
        return masks

    def screenshot(self, path: Path) -> Path:
        """Full-page screenshot; passwords, sensitive elements and fields given personal data masked."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.page.screenshot(path=str(path), full_page=True, mask=self._masks(), timeout=10_000)
        except PlaywrightError as exc:
            raise translate(exc, tr("画面の保存", "screenshot"), element=False) from exc
        return path

"""The browser adapter: one Playwright page per target system, elements from its selector map.

An element with several candidates is acted on, the first time, through their union (one round
trip); which candidate matched is found out after the action (once per element and session) and
cached, and a fallback win is reported then as selector drift, with what the page shows at the
element. A commit step still resolves before acting: it never acts on what only a fallback found.
Elements of a screen with ``frame:`` are looked for inside its iframe; popups and JavaScript
dialogs are kept by ``bots.adapters.browser_pages``.

Every action waits in slices (250 ms, then doubling up to the step's timeout). Waiting steps
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
from typing import Any, TypeVar, cast
from urllib.parse import urljoin

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, Response
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bots.adapters.browser_pages import DialogAnswer, DialogDesk, PageSet
from bots.adapters.drift_observe import observe
from bots.adapters.locators import Root, build_locator, frame_root, union
from bots.adapters.pdf_masks import masked_for_print
from bots.adapters.playwright_errors import translate
from bots.errors import (
    DriftedCommit,
    FlowError,
    InputRecordError,
    KazagurumaError,
    SessionExpired,
    StepError,
    StepTimeout,
    TargetSystemError,
)
from bots.i18n import tr
from bots.selectors.drift import drift_message, drifted_commit_message
from bots.selectors.model import Candidate, ErrorIndicator, SelectorMap, split_ref
from bots.selectors.observation import drift_data

T = TypeVar("T")
Target = str | Candidate
Notify = Callable[[str, str, dict[str, Any]], None]


_FIRST_SLICE_MS = 1000.0


class _Dispatched(Exception):
    """A timed-out try whose input was sent: the action is done (see ``act``)."""


class _Unsettled:
    """An element acted on through the union of its candidates: which one matched is not known yet."""

    def __init__(self, candidates: list[Candidate], locators: list[Locator], navigations: int) -> None:
        self.candidates = candidates
        self.locators = locators
        self.navigations = navigations  # the main frame's navigations before the action


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


def _shown_now(locator: Locator) -> bool:
    """Whether the locator's first match is shown at this moment (no waiting); a page in the
    middle of navigating shows nothing yet."""
    try:
        return locator.first.is_visible()
    except PlaywrightError:
        return False


class BrowserSession:
    """A logged-in (or about to be) page on one target system."""

    def __init__(self, name: str, page: Page, base_url: str | None, selector_map: SelectorMap | None,
                 notify: Notify) -> None:
        self.name = name
        self.dialogs = DialogDesk()
        self.pages = PageSet(page, self._adopt)
        self.base_url = base_url
        self.selector_map = selector_map
        self._notify = notify
        self._chosen: dict[str, int] = {}
        self._drift_reported: set[str] = set()
        #: Elements acted on through their candidates' union, until ``_learn`` knows the winner.
        self._unsettled: dict[str, _Unsettled] = {}
        #: Elements whose winner the last action could not tell (the page moved on): resolved first.
        self._resolve_first: set[str] = set()
        self._committing = False
        self._navigations = 0
        self.nav_status: int | None = None
        self._errors: list[tuple[ErrorIndicator, Locator]] | None = None
        self._sensitive: list[Target] = []
        #: The ``画面.要素[値]`` steps used, by element: what a sensitive parametrised element masks.
        self._valued: dict[str, set[str]] = {}
        self._adopt(page)

    @property
    def page(self) -> Page:
        """The page steps act on now: the main page, or a popup a step opened (``browser_pages``)."""
        return self.pages.current

    def _adopt(self, page: Page) -> None:
        """Listen to a page of this session (the main one, each popup): answers, navigations, dialogs."""
        page.on("response", self._on_response)
        page.on("framenavigated", self._on_navigated)
        self.dialogs.watch(page)

    def _on_navigated(self, frame: Any) -> None:
        if frame.parent_frame is None:
            self._navigations += 1

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
        """The selectors to try, in order; an element the map lacks is a flow error, not a timeout.
        ``画面.要素[値]`` gives a parametrised element's candidates with the value put in."""
        if isinstance(target, Candidate):
            return [target]
        if self.selector_map is None or not self.selector_map.has(target):
            raise FlowError(tr("セレクタ定義 {s} に要素 {t} がありません", "selector map {s} has no element {t}",
                               s=self.name, t=target))
        base, value = split_ref(target)
        if value is not None and not value.strip() and self.selector_map.parametrised(base):
            raise InputRecordError(tr("{r} に渡す値が空です", "no value for {r}: it is empty", r=base))
        try:
            found = self.selector_map.candidates_for(target)
        except ValueError as exc:
            raise FlowError(str(exc)) from None
        if value is not None:
            self._valued.setdefault(base, set()).add(target)
        return found

    def _root(self, target: Target) -> Root:
        """Where the target's elements are: the page, or its screen's iframe (``frame:``)."""
        if isinstance(target, Candidate) or self.selector_map is None:
            return self.page
        return frame_root(self.page, self.selector_map.frame_of(target))

    def locators(self, target: Target) -> list[Locator]:
        """One locator per candidate, in the target's frame (for masks and hidden-waits)."""
        root = self._root(target)
        return [build_locator(root, c) for c in self.candidates(target)]

    def element(self, target: Target, timeout_ms: float) -> Locator:
        """The locator to act on: the cached winner, the only candidate, or — the first time —
        the union of the candidates (``_learn`` finds out after the action which one matched).

        A commit, and an element whose winner an earlier action could not tell, is resolved
        first: waited for, then the first candidate that finds it wins (``_pick``). Raises
        Playwright's TimeoutError when none is there yet; ``act`` decides what that means.
        """
        candidates = self.candidates(target)
        key = self.describe(target)
        root = self._root(target)
        chosen = self._chosen.get(key)
        if chosen is not None:
            return build_locator(root, candidates[chosen])
        if len(candidates) == 1:
            self._chosen[key] = 0
            return build_locator(root, candidates[0])
        locators = [build_locator(root, c) for c in candidates]
        if self._committing or key in self._resolve_first:
            union(locators).first.wait_for(state="attached", timeout=timeout_ms)
            return self._pick(key, candidates, locators)
        self._unsettled[key] = _Unsettled(candidates, locators, self._navigations)
        return union(locators).first

    def _pick(self, key: str, candidates: list[Candidate], locators: list[Locator]) -> Locator:
        for index, locator in enumerate(locators):
            if locator.count() > 0:
                self._chosen[key] = index
                self._resolve_first.discard(key)
                if index > 0:
                    self._drift_once(key, candidates, index, locator)
                return locator
        raise PlaywrightTimeoutError("the element went away while it was being resolved")

    def _learn(self, key: str) -> None:
        """After an action on the union of ``key``'s candidates: which one matched? The first
        candidate still there means no drift; else the first fallback there is the winner, reported
        as drift now. Only while the page has not navigated since: after a navigation (or when
        nothing matches any more) it cannot be told, so the next use resolves before acting."""
        pending = self._unsettled.pop(key, None)
        if pending is None or key in self._chosen:
            return
        try:
            if self._navigations == pending.navigations:
                for index, locator in enumerate(pending.locators):
                    if locator.count() > 0:
                        self._chosen[key] = index
                        if index > 0:
                            self._drift_once(key, pending.candidates, index, locator)
                        return
        except PlaywrightError:  # the page is navigating: nothing to judge
            pass
        self._resolve_first.add(key)

    def _drift_once(self, key: str, candidates: list[Candidate], index: int, locator: Locator) -> None:
        """Report drift once per element and session (a parametrised element once, whatever its value)."""
        element = split_ref(key)[0]
        if element not in self._drift_reported:
            self._drift_reported.add(element)
            self._report_drift(element, candidates, index, locator)

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
        (or one the map lists in ``allow_fallback_commit``): see :meth:`_refuse_guess`. A
        JavaScript dialog nobody declared fails the step (:meth:`_raise_dialog`).
        """
        self._raise_dialog(action_taken=False)  # one shown since the last step (on page load)
        key = self.describe(target)
        self._committing = commit
        try:
            result = self._act(target, what, timeout_ms, do, commit)
        except _Dispatched:
            result = cast(T, None)
        except Exception as exc:
            self._unsettled.pop(key, None)
            self._raise_dialog(cause=exc)  # the dialog is why the step failed
            raise
        finally:
            self._committing = False
        self._learn(key)
        self._raise_dialog()
        return result

    def _raise_dialog(self, *, action_taken: bool | None = None, cause: Exception | None = None) -> None:
        """A dialog dismissed because no ``browser.dialog`` declared it fails the record as its input
        problem, with the dialog's message (対象システムのダイアログ: …)."""
        message = self.dialogs.take_refused()
        if message is None:
            return
        error = InputRecordError(message)
        error.action_taken = action_taken
        raise error from cause

    def arm_dialog(self, *, accept: bool, text: str | None = None, prompt: str | None = None) -> None:
        """Answer the next JavaScript dialog of this system like this (``browser.dialog``)."""
        self.dialogs.arm(DialogAnswer(accept=accept, text=text, prompt=prompt))

    @contextmanager
    def opening_popup(self, timeout_ms: float) -> Iterator[None]:
        """Around an action that opens a new tab or window: wait for it, then act on it from now on."""
        try:
            with self.page.expect_popup(timeout=timeout_ms) as info:
                yield
            popup = info.value
            popup.wait_for_load_state("domcontentloaded", timeout=timeout_ms)
        except PlaywrightTimeoutError as exc:
            raise StepTimeout(tr("ポップアップ（新しいタブ・ウィンドウ）が開きませんでした",
                                 "no popup (new tab or window) opened")) from exc
        except PlaywrightError as exc:
            raise translate(exc, tr("ポップアップ", "popup"), element=False) from exc
        self.pages.add_popup(popup)
        self._errors = None  # error indicators are looked for on the page steps act on

    def switch_page(self, which: str) -> None:
        """Act on the ``main`` page or the ``popup`` from now on."""
        try:
            self.pages.switch(which)
        except LookupError as exc:
            raise StepError(str(exc)) from None
        self._errors = None

    def close_page(self) -> None:
        """Close the popup and act on the main page again."""
        self.pages.close_popup()
        self._errors = None

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
                self._watch(locator, budget)
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
                           and self.selector_map.fallback_commit_allowed(split_ref(target)[0])):
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
        """Raise if the page shows one of the system's error screens (or answered HTTP 5xx). An
        indicator counts only when shown: a single-page app keeps its alert box in the page, hidden."""
        errors = self._error_union()
        try:
            shown = errors is not None and errors.count() > 0
        except PlaywrightError:  # the page is navigating: nothing to judge yet
            shown = False
        if shown:
            self._raise_indicator(self._errors or [])
        status = self._error_status()
        if status is not None:
            raise TargetSystemError(tr("対象システムがエラーを返しました (HTTP {s})", "the target system answered HTTP {s}",
                                       s=status))

    def _error_union(self) -> Locator | None:
        """The system's error indicators as one locator of shown elements; None if it declares none."""
        if self._errors is None:
            indicators = self.selector_map.error_indicators if self.selector_map else []
            self._errors = [(ind, union([build_locator(self.page, c) for c in ind.candidates]).filter(visible=True))
                            for ind in indicators]
        return union([loc for _, loc in self._errors]) if self._errors else None

    def _raise_shown(self) -> None:
        """Raise the error indicator the page shows, if any, as nothing sent (only waiting happened)."""
        try:
            self.check_screen()
        except KazagurumaError as shown:
            shown.action_taken = False
            raise

    def _watch(self, locator: Locator, timeout_ms: float, *, raise_shown: bool = True) -> bool:
        """Wait until ``locator`` shows or one of the system's error indicators does, in one wait
        (``or_``): an error alert right after a submit ends the wait at once, not after a slice.

        True when the element shows (it counts first: a step reading the error message itself is
        not failed by it). An indicator shown instead is raised (``raise_shown``), or gives False.
        Neither in time: Playwright's TimeoutError. Already shown costs one round trip."""
        target = locator.first
        errors = self._error_union()
        if errors is None:
            target.wait_for(state="visible", timeout=timeout_ms)
            return True
        if _shown_now(target):
            return True
        deadline = time.monotonic() + timeout_ms / 1000
        try:
            either = locator.or_(errors)
        except PlaywrightError:  # an element in a frame: the indicators are looked at between slices
            target.wait_for(state="visible", timeout=timeout_ms)
            return True
        either.filter(visible=True).first.wait_for(state="visible", timeout=timeout_ms)
        if _shown_now(target):
            return True
        if raise_shown:
            self._raise_shown()
        elif _shown_now(errors):
            return False
        # Something showed and went: the element may still come, in the time that is left.
        target.wait_for(state="visible", timeout=max(1.0, (deadline - time.monotonic()) * 1000))
        return True

    def watched(self, do: Callable[[Locator, float], T]) -> Callable[[Locator, float], T]:
        """``do`` after :meth:`_watch`: for steps that wait for what a submit brings (a text to
        read, a receipt to capture), so an error alert fails them from the first poll."""
        def run(locator: Locator, budget: float) -> T:
            started = time.monotonic()
            self._watch(locator, budget)
            return do(locator, max(1.0, budget - (time.monotonic() - started) * 1000))
        return run

    def shows(self, target: Target, timeout_ms: float, *, raise_shown: bool = False) -> bool:
        """Whether ``target`` is shown, or shows within ``timeout_ms``: a short look, for
        ``visible()`` in a condition and an ``optional`` step's element. An error indicator shown
        instead ends the look at once: raised with ``raise_shown`` (the step would fail on it),
        else the answer is False."""
        deadline = time.monotonic() + timeout_ms / 1000
        try:
            locator = self.element(target, timeout_ms)
            return self._watch(locator, max(1.0, (deadline - time.monotonic()) * 1000), raise_shown=raise_shown)
        except PlaywrightTimeoutError:
            return False
        except PlaywrightError as exc:
            raise translate(exc, f"{tr('表示の確認', 'visibility check')}: {self.describe(target)}",
                            status=self._error_status()) from exc

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

    def pdf(self, path: Path) -> Path:
        """The whole page as a PDF receipt (headless Chromium prints it), with the elements
        screenshots mask blanked out, their text left out of the file (see :mod:`bots.adapters.pdf_masks`)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with masked_for_print(self.page, self._masks()):
                self.page.pdf(path=str(path), print_background=True)
        except PlaywrightError as exc:
            if "headless" in str(exc).lower():
                raise FlowError(tr("browser.pdf はヘッドレスの Chromium でだけ保存できます（画面を表示して実行中）",
                                   "browser.pdf needs headless Chromium (this run shows the browser)")) from exc
            raise translate(exc, tr("PDF の保存", "save as PDF"), element=False) from exc
        return path

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
        if state == "visible":  # the element, or an error indicator from the first poll
            self.act(target, tr("画面待ち", "wait"), timeout_ms, self._watch)
            return
        self.act(target, tr("画面待ち", "wait"), timeout_ms,
                 lambda loc, t: loc.first.wait_for(state=state, timeout=t))  # type: ignore[arg-type]

    def read_text(self, target: Target, timeout_ms: float) -> str:
        """The first match's rendered text, waited for like any action (error indicators fail it at once)."""
        text: str = self.act(target, tr("読み取り", "read"), timeout_ms,
                             self.watched(lambda loc, t: loc.first.inner_text(timeout=t)))
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
            if self.selector_map is not None and isinstance(target, str) and self.selector_map.parametrised(target) \
                    and split_ref(target)[1] is None:
                # a sensitive element that takes a value: every value steps used on this page
                masks.extend(loc for ref in self._valued.get(target, ()) for loc in self.locators(ref))
            else:
                masks.extend(self.locators(target))
        return masks

    def screenshot(self, path: Path, target: Target | None = None, timeout_ms: float = 10_000) -> Path:
        """Full-page screenshot, or of one element (``target``: waited for like any step, an error
        indicator fails it at once); passwords, sensitive elements and fields given personal data masked."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if target is not None:
            self.act(target, tr("要素の画像", "element screenshot"), timeout_ms, self.watched(
                lambda loc, t: loc.first.screenshot(path=str(path), mask=self._masks(), timeout=t)))
            return path
        try:
            self.page.screenshot(path=str(path), full_page=True, mask=self._masks(), timeout=10_000)
        except PlaywrightError as exc:
            raise translate(exc, tr("画面の保存", "screenshot"), element=False) from exc
        return path

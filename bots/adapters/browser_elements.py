"""Which of an element's selector candidates is the one on the page, and drift when a fallback is.

Kept apart from the session's waiting and acting (:mod:`bots.adapters.browser`) because it is its
own bookkeeping: an element with several candidates is acted on, the first time, through their
union (one round trip); which candidate matched is found out after the action (once per element
and session, :meth:`ElementResolver.learn`) and cached, and a fallback win is reported then as
selector drift, with what the page shows at the element. A commit step still resolves before
acting (:meth:`ElementResolver.refuse_guess`): it never acts on what only a fallback found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bots.adapters.drift_observe import observe
from bots.adapters.locators import Root, build_locator, frame_root, union
from bots.errors import DriftedCommit, FlowError, InputRecordError
from bots.i18n import tr
from bots.selectors.drift import drift_message, drifted_commit_message
from bots.selectors.model import Candidate, SelectorMap, split_ref
from bots.selectors.observation import drift_data

Target = str | Candidate
Notify = Callable[[str, str, dict[str, Any]], None]


class _Unsettled:
    """An element acted on through the union of its candidates: which one matched is not known yet."""

    def __init__(self, candidates: list[Candidate], locators: list[Locator], navigations: int) -> None:
        self.candidates = candidates
        self.locators = locators
        self.navigations = navigations  # the main frame's navigations before the action


class ElementResolver:
    """The candidates of a session's elements, the winner of each, and the drift reports."""

    def __init__(self, name: str, selector_map: SelectorMap | None, notify: Notify,
                 page: Callable[[], Page]) -> None:
        self.name = name
        self.selector_map = selector_map
        self._notify = notify
        self._page = page  # the page steps act on now (main or popup)
        #: The winning candidate's index, by element (``describe``): cached for the session.
        self.chosen: dict[str, int] = {}
        self._drift_reported: set[str] = set()
        #: Elements acted on through their candidates' union, until ``learn`` knows the winner.
        self._unsettled: dict[str, _Unsettled] = {}
        #: Elements whose winner the last action could not tell (the page moved on): resolved first.
        self._resolve_first: set[str] = set()
        #: The main frame's navigations so far: an action followed by one cannot tell its winner.
        self.navigations = 0
        #: The ``画面.要素[値]`` steps used, by element: what a sensitive parametrised element masks.
        self.valued: dict[str, set[str]] = {}

    def on_navigated(self, frame: Any) -> None:
        """Count the main frame's navigations (listener of every page of the session)."""
        if frame.parent_frame is None:
            self.navigations += 1

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
            self.valued.setdefault(base, set()).add(target)
        return found

    def root(self, target: Target) -> Root:
        """Where the target's elements are: the page, or its screen's iframe (``frame:``)."""
        if isinstance(target, Candidate) or self.selector_map is None:
            return self._page()
        return frame_root(self._page(), self.selector_map.frame_of(target))

    def locators(self, target: Target) -> list[Locator]:
        """One locator per candidate, in the target's frame (for masks and hidden-waits)."""
        root = self.root(target)
        return [build_locator(root, c) for c in self.candidates(target)]

    def element(self, target: Target, timeout_ms: float, *, committing: bool) -> Locator:
        """The locator to act on: the cached winner, the only candidate, or — the first time —
        the union of the candidates (:meth:`learn` finds out after the action which one matched).

        A commit, and an element whose winner an earlier action could not tell, is resolved
        first: waited for, then the first candidate that finds it wins (``_pick``). Raises
        Playwright's TimeoutError when none is there yet; the session decides what that means.
        """
        candidates = self.candidates(target)
        key = self.describe(target)
        root = self.root(target)
        chosen = self.chosen.get(key)
        if chosen is not None:
            return build_locator(root, candidates[chosen])
        if len(candidates) == 1:
            self.chosen[key] = 0
            return build_locator(root, candidates[0])
        locators = [build_locator(root, c) for c in candidates]
        if committing or key in self._resolve_first:
            union(locators).first.wait_for(state="attached", timeout=timeout_ms)
            return self._pick(key, candidates, locators)
        self._unsettled[key] = _Unsettled(candidates, locators, self.navigations)
        return union(locators).first

    def _pick(self, key: str, candidates: list[Candidate], locators: list[Locator]) -> Locator:
        for index, locator in enumerate(locators):
            if locator.count() > 0:
                self.chosen[key] = index
                self._resolve_first.discard(key)
                if index > 0:
                    self._drift_once(key, candidates, index, locator)
                return locator
        raise PlaywrightTimeoutError("the element went away while it was being resolved")

    def forget_unsettled(self, key: str) -> None:
        """The action on ``key`` failed: there is no winner to learn from it."""
        self._unsettled.pop(key, None)

    def learn(self, key: str) -> None:
        """After an action on the union of ``key``'s candidates: which one matched? The first
        candidate still there means no drift; else the first fallback there is the winner, reported
        as drift now. Only while the page has not navigated since: after a navigation (or when
        nothing matches any more) it cannot be told, so the next use resolves before acting."""
        pending = self._unsettled.pop(key, None)
        if pending is None or key in self.chosen:
            return
        try:
            if self.navigations == pending.navigations:
                for index, locator in enumerate(pending.locators):
                    if locator.count() > 0:
                        self.chosen[key] = index
                        if index > 0:
                            self._drift_once(key, pending.candidates, index, locator)
                        return
        except PlaywrightError:  # the page is navigating: nothing to judge
            pass
        self._resolve_first.add(key)

    def refuse_guess(self, target: Target, key: str) -> None:
        """A commit step whose element only a fallback candidate found does not act: the record
        fails with the drift, nothing submitted (unless the map allows it for that element)."""
        chosen = self.chosen.get(key, 0)
        if chosen == 0 or (isinstance(target, str) and self.selector_map is not None
                           and self.selector_map.fallback_commit_allowed(split_ref(target)[0])):
            return
        candidates = self.candidates(target)
        self.chosen.pop(key, None)  # a retry resolves afresh: the first candidate may be back
        raise DriftedCommit(drifted_commit_message(key, candidates[0].describe(), chosen + 1,
                                                   candidates[chosen].describe()))

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

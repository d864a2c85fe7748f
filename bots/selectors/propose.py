"""Selector drift → a proposed fix of the selector map, for a person to review and approve.

Pure: recorded drifts (:class:`~bots.selectors.observation.Observation`) and the map's text in,
the new text and one explanation per drifted element out. No network, no guessing service:
only what the runs saw.

Per element seen drifting:

* its first candidate finds by wording (label, text, role + name, placeholder, alt, title) and
  the page showed a new wording at the element the fallback found → the first candidate gets
  the new wording, the other candidates stay (the screen was reworded; the fix keeps the
  accessible, wording-based candidate first);
* otherwise the candidate that worked is moved to the front (the rest keep their order);
* runs that saw two different wordings, or found it by different candidates → nothing is
  proposed for it, and the explanation says so: a person has to look at the screen.

Drifts recorded before the map last changed (its first candidate is no longer the one that
failed, or the winner is gone) are not proposed again. The file is edited with ruamel.yaml's
round trip, so comments, order and quoting survive; the indentation is taken from the file.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import ScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from bots.i18n import tr
from bots.selectors.model import Candidate, SelectorMap
from bots.selectors.observation import Observation, candidate_data

#: The kinds of candidate that find by wording, and the part of what the page showed that is
#: their new wording (``role`` only with a ``name``, and only while the element kept its role).
TEXT_FIELDS: Mapping[str, str] = {"label": "label", "text": "text", "role": "accessible_name",
                                  "placeholder": "placeholder", "alt": "alt", "title": "title"}

Action = Literal["retext", "promote", "none"]


@dataclass(frozen=True)
class Explanation:
    """What is proposed for one element (or why nothing is), in words for the reviewer."""

    element: str
    action: Action
    message: str


@dataclass(frozen=True)
class Proposal:
    """The new text of the map (the old one when nothing is proposed) and the explanations."""

    text: str
    explanations: tuple[Explanation, ...]

    @property
    def changed(self) -> bool:
        """Whether anything is proposed (an explanation may also say why nothing is)."""
        return any(e.action != "none" for e in self.explanations)


class _RoundTrip:
    """ruamel.yaml's round trip with the file's own indentation, so an edit changes only its lines."""

    def __init__(self, text: str) -> None:
        _, sequence, offset = load_yaml_guess_indent(text)
        guess = (2, sequence or 2, offset or 0)
        layouts = [guess, *((m, o + 2, o) for m in (2, 4, 3) for o in (2, 0, 4, 1, 3)),
                   *((m, m, 0) for m in (4, 3))]
        #: False: no layout reproduces the file exactly, so its untouched lines may change too.
        self.faithful = False
        self.yaml = self._yaml(*guess)
        for layout in dict.fromkeys(layouts):  # the guess first, then the usual ones
            yaml = self._yaml(*layout)
            if self._dump(yaml, yaml.load(text)) == text:
                self.yaml, self.faithful = yaml, True
                break
        self.data = self.yaml.load(text)

    @staticmethod
    def _yaml(mapping: int, sequence: int, offset: int) -> YAML:
        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True
        yaml.width = 4096  # never fold a long css or xpath onto two lines
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        return yaml

    @staticmethod
    def _dump(yaml: YAML, data: Any) -> str:
        out = io.StringIO()
        yaml.dump(data, out)
        return out.getvalue()

    def text(self) -> str:
        """The (edited) document as text."""
        return self._dump(self.yaml, self.data)


def _seen(observations: list[Observation]) -> str:
    """How often and when last, for the explanation."""
    times = [o.seen_at for o in observations if o.seen_at is not None]
    if not times:
        return tr("{k} 回記録", "seen {k} times", k=len(observations))
    return tr("{k} 回記録、最後は {w}", "seen {k} times, last {w}", k=len(observations),
              w=max(times).strftime("%Y-%m-%d %H:%M"))


def _quoted(texts: Iterable[str]) -> str:
    return tr("、", ", ").join(tr("「{t}」", "“{t}”", t=t) for t in sorted(texts))


def _same_candidate(recorded: Mapping[str, Any], current: Candidate) -> bool:
    now = candidate_data(current)
    return all(recorded.get(key) == now.get(key) for key in ("kind", "value", "name"))


def _winner(observation: Observation, current: list[Candidate]) -> int | None:
    """The winner's position in the map as it is now; None when it is no longer there."""
    if observation.matched is not None:
        return next((i for i, c in enumerate(current) if c.describe() == observation.matched), None)
    return observation.matched_index if observation.matched_index < len(current) else None


def _new_wording(first: Candidate, observations: list[Observation]) -> set[str]:
    """The wordings the page showed where the first candidate's wording used to be."""
    field = TEXT_FIELDS.get(first.kind)
    if field is None or (first.kind == "role" and first.name is None):
        return set()
    found = set()
    for o in observations:
        if first.kind == "role" and o.observed.get("role") != first.role:
            continue  # a link that became a button: a new name alone would not find it
        value = o.observed.get(field, "").strip()
        if value:
            found.add(value)
    return found


class _Proposer:
    """Edits one map's round-trip data, element by element, and explains each decision."""

    def __init__(self, text: str, kind: str, changed_at: dt.datetime | None) -> None:
        self.doc = _RoundTrip(text)
        self.kind = kind
        self.changed_at = changed_at
        self.explanations: list[Explanation] = []

    def note(self, element: str, action: Action, message: str) -> None:
        self.explanations.append(Explanation(element, action, message))

    def candidates_of(self, element: str) -> tuple[Any, list[Candidate]] | str:
        """The element's candidate list (round-trip) and as models, or why there is none."""
        screen, _, name = element.partition(".")
        screens = self.doc.data.get("screens") if isinstance(self.doc.data, Mapping) else None
        screen_data = screens.get(screen) if isinstance(screens, Mapping) else None
        elements = screen_data.get("elements") if isinstance(screen_data, Mapping) else None
        items = elements.get(name) if isinstance(elements, Mapping) else None
        if items is None:
            return tr("{e}: セレクタ定義にこの要素がありません。提案しません", "{e}: the selector map has no such element; "
                      "nothing proposed", e=element)
        if not isinstance(items, list) or len(items) < 2:
            return tr("{e}: 候補が一つしかないため提案しません", "{e}: it has a single candidate; nothing proposed",
                      e=element)
        try:
            models = [Candidate.model_validate(dict(item), context={"kind": self.kind}) for item in items]
        except (ValidationError, TypeError, ValueError):
            return tr("{e}: 候補を読み取れないため提案しません", "{e}: its candidates cannot be read; nothing proposed",
                      e=element)
        return items, models

    def current(self, observation: Observation, first: Candidate) -> bool:
        """Whether the drift was seen on the map as it is now: its first candidate is still the one
        that failed. An entry that does not say which failed (older runs, the desktop adapter)
        counts only if it was seen after the map last changed."""
        if observation.first is not None:
            return _same_candidate(observation.first, first)
        return self.changed_at is None or observation.seen_at is None or observation.seen_at >= self.changed_at

    def element(self, element: str, observations: list[Observation]) -> None:
        """Decide and apply the change for one element from every drift recorded for it."""
        found = self.candidates_of(element)
        if isinstance(found, str):
            self.note(element, "none", found)
            return
        items, current = found
        first = current[0]
        valid = [o for o in observations if self.current(o, first) and _winner(o, current) not in (None, 0)]
        if not valid:
            self.note(element, "none", tr(
                "{e}: 記録の後にセレクタ定義が変わっています（第1候補は今 {p}）。提案しません",
                "{e}: the selector map changed after these runs (its first candidate is now {p}); nothing proposed",
                e=element, p=first.describe()))
            return
        wordings = _new_wording(first, valid)
        if len(wordings) > 1:
            self.note(element, "none", tr(
                "{e}: 画面の表示が記録によって違います（{t}）。どれが正しいか決められないため提案しません。画面を確かめてセレクタ定義を"
                "直してください", "{e}: the runs saw different wordings ({t}); nothing proposed. Look at the screen and fix "
                "the selector map", e=element, t=_quoted(wordings)))
            return
        winners = {w for w in (_winner(o, current) for o in valid) if w is not None}
        old = getattr(first, "name" if first.kind == "role" else first.kind)
        if wordings and (new := next(iter(wordings))) != old:
            self.retext(element, items, first, new, current[min(winners)], min(winners), valid)
            return
        if len(winners) > 1:
            shown = tr("、", ", ").join(f"{tr('第{n}候補', 'candidate {n}', n=w + 1)} {current[w].describe()}"
                                       for w in sorted(winners))
            self.note(element, "none", tr(
                "{e}: 記録によって見つかった候補が違います（{c}）。提案しません。画面を確かめてセレクタ定義を直してください",
                "{e}: the runs found it by different candidates ({c}); nothing proposed. Look at the screen and fix "
                "the selector map", e=element, c=shown))
            return
        (winner,) = winners
        items.insert(0, items.pop(winner))
        self.note(element, "promote", tr(
            "{e}: 第1候補 {p} では見つからず、第{n}候補 {c} で見つかりました（{s}）。第{n}候補を第1候補に上げます（ほかの候補は順に後ろへ）",
            "{e}: not found by its first candidate {p} but by candidate {n} {c} ({s}). Candidate {n} becomes the "
            "first (the others keep their order)", e=element, p=first.describe(), n=winner + 1,
            c=current[winner].describe(), s=_seen(valid)))

    def retext(self, element: str, items: Any, first: Candidate, new: str, winner: Candidate, index: int,
               observations: list[Observation]) -> None:
        """Give the first candidate the wording the page shows now (its quoting style kept)."""
        key = "name" if first.kind == "role" else first.kind
        old = items[0][key]
        items[0][key] = type(old)(new) if isinstance(old, ScalarString) else new
        proposed = Candidate.model_validate(dict(items[0]), context={"kind": self.kind}).describe()
        self.note(element, "retext", tr(
            "{e}: 第1候補 {p} では見つからず、第{n}候補 {c} で見つかりました（{s}）。画面のその場所の表示は「{t}」でした。"
            "第1候補を {q} に変えます（ほかの候補はそのまま）",
            "{e}: not found by its first candidate {p} but by candidate {n} {c} ({s}). The page showed “{t}” there. "
            "The first candidate becomes {q} (the other candidates stay)", e=element, p=first.describe(), n=index + 1,
            c=winner.describe(), s=_seen(observations), t=new, q=proposed))


def propose(observations: Iterable[Observation], text: str, *, kind: str = "web",
            changed_at: dt.datetime | None = None) -> Proposal:
    """The map's new text and one explanation per drifted element (in the order first seen).

    ``text`` must be a valid selector map (load it with ``load_selector_map`` first); ``kind``
    is its ``kind:`` (``web`` / ``desktop``), which decides the candidate kinds it may hold.
    ``changed_at``: when the map file last changed; entries that do not name the failed first
    candidate and are older than that are not proposed again (promoting twice would undo it).
    Raises ValueError if the edited map would not validate (never expected; nothing is written).
    """
    by_element: dict[str, list[Observation]] = {}
    for observation in observations:
        by_element.setdefault(observation.element, []).append(observation)
    if not by_element:
        return Proposal(text, ())
    proposer = _Proposer(text, kind, changed_at)
    for element, seen in by_element.items():
        proposer.element(element, seen)
    explanations = tuple(proposer.explanations)
    if not any(e.action != "none" for e in explanations):
        return Proposal(text, explanations)
    new_text = proposer.doc.text()
    _check(new_text, kind)
    if not proposer.doc.faithful:
        explanations += (Explanation("", "none", tr(
            "注意: このファイルの書式（字下げ）を保てないため、変更のない行の書式も変わることがあります",
            "note: this file's layout (indentation) cannot be kept exactly; untouched lines may be reformatted")),)
    return Proposal(new_text, explanations)


def _check(text: str, kind: str) -> None:
    """The proposal is still a valid map (a bug here must never write a broken one)."""
    try:
        SelectorMap.model_validate(YAML(typ="safe").load(text), context={"kind": kind})
    except ValidationError as exc:
        raise ValueError(tr("提案したセレクタ定義が検査に通りません（提案を取りやめます）: {e}",
                            "the proposed selector map does not validate (proposal withdrawn): {e}", e=exc)) from exc

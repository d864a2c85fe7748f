"""A selector drift as data: what the notice (and so the audit ledger) records, and reads back.

When a run finds an element by a fallback candidate, the adapter's ``selector_drift`` notice
carries, besides its message::

    system    the flow's system name            map       the selector map's ``system:``
    screen    the screen                        element   ``screen.element``
    candidate the number (1-based) of the candidate that found it (kept for older readers)
    first     the first candidate: {kind, value[, name]}
    matched   the winning candidate: {index (0-based), description, kind, value[, name]}
    observed  what the page showed at the element (web only; see bots.adapters.drift_observe):
              tag, role, accessible_name, label, placeholder, id, name_attr, alt, title, text

``selectors propose`` reads these back from the ledger (:meth:`Observation.from_data`); entries
written before ``first``/``matched``/``observed`` existed still give the winning candidate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bots.selectors.model import Candidate


def candidate_data(candidate: Candidate) -> dict[str, Any]:
    """A candidate as plain data: its kind, its value and, for a role, the accessible name."""
    value = getattr(candidate, candidate.kind)
    data: dict[str, Any] = {"kind": candidate.kind, "value": list(value) if isinstance(value, tuple) else value}
    if candidate.kind == "role" and candidate.name is not None:
        data["name"] = candidate.name
    return data


def drift_data(system: str, map_name: str | None, ref: str, candidates: list[Candidate], index: int,
               observed: Mapping[str, str] | None) -> dict[str, Any]:
    """The structured part of a ``selector_drift`` notice (``index``: the winner, 0-based)."""
    data: dict[str, Any] = {
        "system": system, "map": map_name or system, "screen": ref.partition(".")[0], "element": ref,
        "candidate": index + 1, "first": candidate_data(candidates[0]),
        "matched": {"index": index, "description": candidates[index].describe(), **candidate_data(candidates[index])},
    }
    if observed:
        data["observed"] = dict(observed)
    return data


def _str_map(value: Any) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class Observation:
    """One drift as recorded: which element, which candidate won, what the page showed."""

    element: str
    #: The winner's position in the element's candidates, 0-based (≥ 1: a fallback).
    matched_index: int
    #: The first candidate when the run saw it ({kind, value[, name]}); None in older entries.
    first: Mapping[str, Any] | None = None
    #: The winner's description (``css='#shimei'``); None in older entries.
    matched: str | None = None
    observed: Mapping[str, str] = field(default_factory=dict)
    system: str | None = None
    map: str | None = None
    seen_at: dt.datetime | None = None
    run_id: str | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, seen_at: dt.datetime | None = None,
                  run_id: str | None = None) -> Observation | None:
        """The observation in a ledger entry's data; None when it names no fallback win."""
        element = data.get("element")
        matched = _str_map(data.get("matched"))
        index = matched.get("index")
        if not isinstance(index, int) or isinstance(index, bool):
            number = data.get("candidate")
            index = number - 1 if isinstance(number, int) and not isinstance(number, bool) else None
        if not isinstance(element, str) or "." not in element or index is None or index < 1:
            return None
        first = _str_map(data.get("first")) or None
        description = matched.get("description")
        observed = {k: v for k, v in _str_map(data.get("observed")).items() if isinstance(v, str)}
        system, map_name = data.get("system"), data.get("map")
        return cls(element, index, first, description if isinstance(description, str) else None, observed,
                   system if isinstance(system, str) else None, map_name if isinstance(map_name, str) else None,
                   seen_at, run_id)

    def concerns(self, system: str, map_name: str) -> bool:
        """Whether the drift happened on ``selectors/<system>.yaml`` (whose ``system:`` is ``map_name``)."""
        recorded = self.map or self.system
        return recorded in {system, map_name}

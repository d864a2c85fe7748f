"""What changed in a selector map: screens, elements, candidates and error indicators, each named,
so the approval gate can say exactly which element's candidates changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bots.governance.change import Change, model_text, plain, shown
from bots.governance.phrase_values import candidate_text
from bots.i18n import tr

if TYPE_CHECKING:
    from bots.selectors.model import Candidate, ErrorIndicator, Screen, SelectorMap


def selector_changes(old_map: SelectorMap, new_map: SelectorMap) -> list[Change]:
    """Screens, elements and candidates added, removed or changed between two versions of a map."""
    system = new_map.system
    found: list[Change] = []
    for key, label in (("title", tr("名前", "title")), ("zone", tr("ネットワーク", "zone")), ("kind", tr("種類", "kind")),
                       ("recorded", tr("画像を記録した画面", "recording screen"))):
        a, b = getattr(old_map, key), getattr(new_map, key)
        if a != b:
            found.append(Change("changed", system, tr("セレクタ定義 {s} の{l}を変更: {a} → {b}", "selector map {s}: {l} changed: "
                                                      "{a} → {b}", s=system, l=label, a=model_text(a),
                                                      b=model_text(b)), "selectors"))
    found.extend(_indicator_changes(system, old_map.error_indicators, new_map.error_indicators))
    for screen in list(old_map.screens) + [s for s in new_map.screens if s not in old_map.screens]:
        if screen not in new_map.screens:
            found.append(Change("removed", f"{system} {screen}", tr("画面 {s} を削除（{x}）: 要素 {e}", "screen {s} removed "
                                                                    "({x}): elements {e}", s=screen, x=system,
                                                                    e=", ".join(old_map.screens[screen].elements)),
                                "selectors"))
        elif screen not in old_map.screens:
            found.append(Change("added", f"{system} {screen}", tr("画面 {s} を追加（{x}）: 要素 {e}", "screen {s} added ({x}): "
                                                                  "elements {e}", s=screen, x=system,
                                                                  e=", ".join(new_map.screens[screen].elements)),
                                "selectors"))
        else:
            found.extend(_screen_changes(system, screen, old_map.screens[screen], new_map.screens[screen]))
    return found


def _screen_changes(system: str, name: str, old: Screen, new: Screen) -> list[Change]:
    found: list[Change] = []
    where = f"{system} {name}"
    for key in ("url", "title", "window", "optional", "sensitive", "allow_fallback_commit"):
        a, b = getattr(old, key), getattr(new, key)
        if a != b:
            found.append(Change("changed", where, tr("画面 {s} の {k} を変更: {a} → {b}", "screen {s}: {k} changed: {a} → {b}",
                                                     s=name, k=key, a=shown(plain(a)), b=shown(plain(b))),
                                "selectors"))
    for element in list(old.elements) + [e for e in new.elements if e not in old.elements]:
        ref = f"{name}.{element}"
        if element not in new.elements:
            found.append(Change("removed", f"{system} {ref}", tr("セレクタ {r} を削除: {c}", "selector {r} removed: {c}",
                                                                 r=ref, c=_candidates(old.elements[element])),
                                "selectors"))
        elif element not in old.elements:
            found.append(Change("added", f"{system} {ref}", tr("セレクタ {r} を追加: {c}", "selector {r} added: {c}", r=ref,
                                                               c=_candidates(new.elements[element])), "selectors"))
        elif old.elements[element] != new.elements[element]:
            found.append(Change("changed", f"{system} {ref}", tr(
                "セレクタ {r} の候補を変更: {d}", "selector {r}: candidates changed: {d}", r=ref,
                d=candidate_diff(old.elements[element], new.elements[element])), "selectors"))
    return found


def candidate_diff(old: list[Candidate], new: list[Candidate]) -> str:
    """Per position, the old and the new candidate where they differ: ``1. label 氏名 → label お名前``."""
    parts = []
    for index in range(max(len(old), len(new))):
        a = old[index] if index < len(old) else None
        b = new[index] if index < len(new) else None
        if a != b:
            parts.append(f"{index + 1}. {_candidate(a)} → {_candidate(b)}")
    return tr("、", "; ").join(parts)


def _candidate(candidate: Candidate | None) -> str:
    return tr("（なし）", "(none)") if candidate is None else candidate_text(candidate)


def _candidates(candidates: list[Candidate]) -> str:
    return tr("、", "; ").join(f"{i}. {candidate_text(c)}" for i, c in enumerate(candidates, start=1))


def _indicator_changes(system: str, old: list[ErrorIndicator], new: list[ErrorIndicator]) -> list[Change]:
    before = {i.name: i for i in old}
    after = {i.name: i for i in new}
    found: list[Change] = []
    for name in list(before) + [n for n in after if n not in before]:
        where = tr("{s} エラー表示 {n}", "{s} error indicator {n}", s=system, n=name)
        if name not in after:
            found.append(Change("removed", where, tr("エラー表示 {n} を削除（{s}）", "error indicator {n} removed ({s})",
                                                     n=name, s=system), "selectors"))
        elif name not in before:
            found.append(Change("added", where, tr("エラー表示 {n} を追加（{s}）: {c}", "error indicator {n} added ({s}): {c}",
                                                   n=name, s=system, c=_candidates(after[name].candidates)),
                                "selectors"))
        elif before[name] != after[name]:
            a, b = before[name], after[name]
            detail = candidate_diff(a.candidates, b.candidates) if a.candidates != b.candidates else model_text(
                b.model_dump(exclude={"candidates", "name"}))
            found.append(Change("changed", where, tr("エラー表示 {n} を変更（{s}）: {d}", "error indicator {n} changed ({s}): {d}",
                                                     n=name, s=system, d=detail), "selectors"))
    return found

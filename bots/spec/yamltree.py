"""Build plain data and positions from a YAML event stream, with limits checked before anything grows.

Every YAML file Kazaguruma reads is untrusted text (a flow from another section, a selector map
from a vendor). Parsers expand aliases while constructing objects, so a 548-byte alias bomb
becomes billions of nodes; and composers and constructors recurse, so 10,000 nested ``[`` end in
``RecursionError``. Here the parser's events are consumed one at a time, without recursion, and:

- anchors and aliases are refused (not budgeted): a flow is a reviewed, approved document, and
  an alias makes one edit change several places the reviewer does not see; no sample uses them;
- tags (``!!python/object/apply:…``, ``!foo``, even ``!!str``) are refused: quoting does the same;
- nesting depth and the number of nodes are capped, so every later recursion (pydantic, checks)
  stays shallow and every later pass stays bounded;
- a scalar that cannot be constructed (``2027-02-30``, an integer of 5,000 digits) is an error at
  its position.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceEndEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import BaseResolver

from bots.i18n import tr
from bots.spec.diagnostics import Pos

PathKey = tuple[str | int, ...]

_DATE_TAG = "tag:yaml.org,2002:timestamp"
_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


@dataclass(frozen=True)
class YamlLimits:
    """Caps on one YAML file. A real flow is a few KB with a few hundred nodes and depth ~15."""

    max_bytes: int = 1024 * 1024
    max_depth: int = 50
    max_nodes: int = 200_000


DEFAULT_LIMITS = YamlLimits()


class TreeError(Exception):
    """A problem found while building, at a position; the message is already translated."""

    def __init__(self, pos: Pos, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message


@dataclass
class Tree:
    """Plain data (dict, list, str, int, float, bool, None, date) and where each key and value stood."""

    data: Any = None
    key_pos: dict[PathKey, Pos] = field(default_factory=dict)
    value_pos: dict[PathKey, Pos] = field(default_factory=dict)


def _pos(mark: Any) -> Pos:
    return Pos(mark.line + 1, mark.column + 1)


@dataclass
class _Frame:
    """An open mapping or sequence; a mapping remembers the key whose value comes next."""

    data: dict[Any, Any] | list[Any]
    path: PathKey
    key: Any = None
    key_event: ScalarEvent | None = None
    seen: dict[Any, int] = field(default_factory=dict)


class Scalars:
    """Resolve and construct scalars as ruamel's safe loader would (YAML 1.2), one node at a time,
    so no constructed-object cache grows with the file."""

    def __init__(self, resolver: BaseResolver, constructor: SafeConstructor) -> None:
        self.resolver = resolver
        self.constructor = constructor

    def value(self, event: ScalarEvent) -> Any:
        """The Python value of one scalar (str, int, float, bool, None, date, datetime)."""
        tag = str(self.resolver.resolve(ScalarNode, event.value, event.implicit))
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
        construct = self.constructor.yaml_constructors.get(tag)
        if construct is None:
            return str(event.value)
        try:
            return construct(self.constructor, node)
        except Exception as exc:  # noqa: BLE001 - a third-party constructor on untrusted text: any failure is the file's
            raise TreeError(_pos(event.start_mark), _unreadable(tag, event.value, exc)) from exc


def _unreadable(tag: str, value: str, exc: Exception) -> str:
    shown = value if len(value) <= 40 else value[:40] + "…"
    if tag == _DATE_TAG:
        return tr("存在しない日付です: {v}（年-月-日 で書いてください）", "no such date: {v} (write year-month-day)", v=shown)
    if tag in _NUMBER_TAGS:
        return tr("数値として読めません（大きすぎるか書式が違います）: {v}", "cannot read this number (too large or malformed): {v}",
                  v=shown)
    return tr("値を読めません: {v}（{e}）", "cannot read this value: {v} ({e})", v=shown, e=exc)


def _refuse_markup(event: NodeEvent) -> None:
    """Anchors, aliases and tags: see the module docstring for why they are refused."""
    at = _pos(event.start_mark)
    if isinstance(event, AliasEvent) or event.anchor is not None:
        raise TreeError(at, tr("アンカー（&名前）とエイリアス（*名前）は使えません。同じ内容はそのまま書いてください"
                               "（フローの手順ならサブフロー call: にできます）",
                               "anchors (&name) and aliases (*name) are not allowed; repeat the content (steps "
                               "can go into a sub-flow, call:)"))
    tag = getattr(event, "tag", None)  # scalars and collections carry one; aliases were refused above
    if tag is not None:
        raise TreeError(at, tr("タグ（{t}）は使えません。文字列にするなら引用符で囲んでください",
                               "tags ({t}) are not allowed; quote the value to make it a string",
                               t=str(tag).replace("tag:yaml.org,2002:", "!!")))


def _empty_value_pos(event: ScalarEvent, key_event: ScalarEvent | None) -> Pos | None:
    """``key:`` with nothing after it: the parser marks the empty value at the next token (the
    next line); point just after the key's colon instead."""
    if event.value != "" or event.style is not None or key_event is None:
        return None
    end = key_event.end_mark
    return Pos(end.line + 1, end.column + 2)


def build_tree(events: Iterable[Event], scalars: Scalars, limits: YamlLimits = DEFAULT_LIMITS) -> Tree:
    """Consume ``events`` into a :class:`Tree`; raise :class:`TreeError` at the first limit crossed.

    ruamel's own ``MarkedYAMLError`` (syntax) passes through for the caller to report.
    """
    tree = Tree()
    stack: list[_Frame] = []
    nodes = documents = 0
    for event in events:
        if isinstance(event, DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise TreeError(_pos(event.start_mark), tr("一つのファイルに書ける文書（---）は一つだけです",
                                                           "a file may hold only one document (---)"))
            continue
        if isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            stack.pop()
            continue
        if not isinstance(event, NodeEvent):
            continue  # stream and document ends
        _refuse_markup(event)
        nodes += 1
        if nodes > limits.max_nodes:
            raise TreeError(_pos(event.start_mark), tr(
                "要素が多すぎます（上限 {n:,} 個）。ファイルを分けてください（フローならサブフロー call:）",
                "too many nodes (limit {n:,}); split the file (a flow into sub-flows, call:)", n=limits.max_nodes))
        frame = stack[-1] if stack else None
        if frame is not None and isinstance(frame.data, dict) and frame.key_event is None:
            _take_key(frame, event, scalars)
            continue
        value: Any
        if isinstance(event, CollectionStartEvent):
            if len(stack) >= limits.max_depth:
                raise TreeError(_pos(event.start_mark), tr(
                    "入れ子が深すぎます（上限 {n} 段）", "nested too deeply (limit {n} levels)", n=limits.max_depth))
            value = {} if isinstance(event, MappingStartEvent) else []
        elif isinstance(event, ScalarEvent):
            value = scalars.value(event)
        else:
            continue  # an alias: already refused by _refuse_markup
        path = _place(frame, value, event, tree)
        if isinstance(event, CollectionStartEvent):
            stack.append(_Frame(value, path))
    return tree


def _take_key(frame: _Frame, event: NodeEvent, scalars: Scalars) -> None:
    """A mapping's key: a scalar, once per mapping (duplicates are refused with both lines)."""
    if not isinstance(event, ScalarEvent):
        raise TreeError(_pos(event.start_mark), tr("キーには文字列を書いてください", "a key must be a plain string"))
    key = scalars.value(event)
    key = key if isinstance(key, (str, int)) else str(key)
    if key in frame.seen:
        raise TreeError(_pos(event.start_mark), tr(
            "キー \"{k}\" が重複しています（{l} 行目と同じ）", "duplicate key \"{k}\" (also on line {l})",
            k=key, l=frame.seen[key]))
    frame.seen[key] = event.start_mark.line + 1
    frame.key, frame.key_event = key, event


def _place(frame: _Frame | None, value: Any, event: NodeEvent, tree: Tree) -> PathKey:
    """Put ``value`` into its parent (or at the root) and record where it stood; its data path."""
    at = _pos(event.start_mark)
    if frame is None:
        tree.data = value
        return ()
    if isinstance(frame.data, dict):
        key_event = frame.key_event
        path = (*frame.path, frame.key)
        frame.data[frame.key] = value
        tree.key_pos[path] = _pos(key_event.start_mark) if key_event else at
        empty = _empty_value_pos(event, key_event) if isinstance(event, ScalarEvent) else None
        tree.value_pos[path] = empty or at
        frame.key, frame.key_event = None, None
        return path
    path = (*frame.path, len(frame.data))
    frame.data.append(value)
    tree.value_pos[path] = at
    return path

"""Load YAML into plain Python data plus a map of where every key and value stood.

The one YAML loader of flows, selector maps, form templates and schedules. ruamel.yaml's parser
events carry line/column; :mod:`bots.spec.yamltree` turns them into a flat index keyed by the data
path (``("steps", 0, "browser.fill", "target")``) so pydantic's ``loc`` can be mapped back to the
user's file without carrying ruamel types into the models. The limits (size, depth, node count,
no aliases or tags) are checked here, before anything is expanded: a file is untrusted text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from bots.i18n import tr
from bots.spec.diagnostics import Diagnostic, Diagnostics, Pos
from bots.spec.yaml_messages import syntax_message
from bots.spec.yamltree import DEFAULT_LIMITS, PathKey, Scalars, TreeError, YamlLimits, build_tree

__all__ = ["DEFAULT_LIMITS", "LoadedYaml", "PathKey", "YamlLimits", "load_yaml"]


@dataclass
class LoadedYaml:
    """A YAML document as plain data, with positions of keys and values."""

    path: Path
    source: str
    data: Any
    key_pos: dict[PathKey, Pos] = field(default_factory=dict)
    value_pos: dict[PathKey, Pos] = field(default_factory=dict)

    def data_path(self, loc: tuple[Any, ...]) -> PathKey:
        """A pydantic ``loc`` reduced to the keys that exist in the data.

        Union tags are not keys; a step's tag is also its action key, so a part is taken as a
        tag (skipped) when the next part is a key of the same mapping and not of the child.
        """
        node: Any = self.data
        path: list[str | int] = []
        for index, part in enumerate(loc):
            following = loc[index + 1] if index + 1 < len(loc) else None
            if isinstance(node, dict) and part in node:
                child = node[part]
                if following is not None and following in node and not (isinstance(child, dict) and following in child):
                    continue
                node = child
                path.append(part)
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
                path.append(part)
        return tuple(path)

    def pos_of(self, loc: tuple[Any, ...]) -> Pos | None:
        """Best position (of the value) for a pydantic ``loc``."""
        path = self.data_path(loc)
        return self.value_pos.get(path) or self.key_pos.get(path) or self._nearest(path)

    def key_pos_of(self, path: PathKey) -> Pos | None:
        """Best position of the key at ``path`` (for unknown or misplaced keys), else its value's."""
        return self.key_pos.get(path) or self.value_pos.get(path) or self._nearest(path)

    def _nearest(self, path: PathKey) -> Pos | None:
        while path:
            path = path[:-1]
            found = self.key_pos.get(path) or self.value_pos.get(path)
            if found:
                return found
        return Pos(1, 1)


def _tab_diagnostics(path: Path, source: str) -> Diagnostics:
    found = Diagnostics()
    for number, line in enumerate(source.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            found.append(
                Diagnostic(
                    path,
                    Pos(number, indent.index("\t") + 1),
                    tr(
                        "インデントにタブ文字が使われています。スペースで字下げしてください",
                        "a tab is used for indentation; indent with spaces",
                    ),
                )
            )
    return found


def _read(path: Path, limits: YamlLimits) -> tuple[str | None, Diagnostics]:
    """The file's text, read no further than the size limit (a 5 GB file is never read whole)."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(limits.max_bytes + 1)
    except FileNotFoundError:
        return None, Diagnostics([Diagnostic(path, None, tr("ファイルが見つかりません", "file not found"))])
    except OSError as exc:
        return None, Diagnostics([Diagnostic(path, None, tr("読み込めません: {r}", "cannot read: {r}", r=exc.strerror))])
    if len(raw) > limits.max_bytes:
        return None, Diagnostics([Diagnostic(path, _byte_pos(raw, limits.max_bytes), _too_big(limits))])
    try:
        return raw.decode("utf-8-sig"), Diagnostics()
    except UnicodeDecodeError as exc:
        # Point at the first bad byte (a file saved as Shift_JIS usually fails on line 1 or 2).
        return None, Diagnostics([Diagnostic(path, _byte_pos(raw, exc.start), tr(
            "UTF-8 として読めません（Shift_JIS で保存されていませんか）: {r}", "not UTF-8 (saved as Shift_JIS?): {r}",
            r=exc.reason))])


def _byte_pos(raw: bytes, offset: int) -> Pos:
    before = raw[:offset]
    line_start = before.rfind(b"\n") + 1
    return Pos(before.count(b"\n") + 1, len(before[line_start:].decode("utf-8", "replace")) + 1)


def _too_big(limits: YamlLimits) -> str:
    size = f"{limits.max_bytes / 1024 / 1024:g} MB" if limits.max_bytes >= 1024 * 1024 else f"{limits.max_bytes:,} bytes"
    return tr("ファイルが大きすぎます（上限 {s}）。ファイルを分けてください（フローならサブフロー call:）",
              "the file is too large (limit {s}); split it (a flow into sub-flows, call:)", s=size)


#: What YAML itself refuses (its printable set), found here first so the error has a line and column.
_NOT_PRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def _control_diagnostics(path: Path, source: str) -> Diagnostics:
    match = _NOT_PRINTABLE.search(source)
    if match is None:
        return Diagnostics()
    before = source[: match.start()]
    pos = Pos(before.count("\n") + 1, match.start() - (before.rfind("\n") + 1) + 1)
    return Diagnostics([Diagnostic(path, pos, tr(
        "使えない制御文字があります（U+{c:04X}）。削除してください", "a control character (U+{c:04X}) is not allowed; "
        "delete it", c=ord(match.group())))])


def load_yaml(path: Path, source: str | None = None, *, limits: YamlLimits = DEFAULT_LIMITS) -> tuple[
    LoadedYaml | None, Diagnostics
]:
    """Parse one YAML file within ``limits``; on failure return ``None`` and diagnostics, never raise."""
    if source is None:
        source, found = _read(path, limits)
        if source is None:
            return None, found
    elif len(source.encode("utf-8")) > limits.max_bytes:
        return None, Diagnostics([Diagnostic(path, _byte_pos(source.encode("utf-8"), limits.max_bytes),
                                             _too_big(limits))])
    early = _control_diagnostics(path, source) or _tab_diagnostics(path, source)
    if early:
        return None, early
    yaml = YAML(typ="safe", pure=True)
    try:
        tree = build_tree(yaml.parse(source), Scalars(yaml.resolver, yaml.constructor), limits)
    except TreeError as exc:
        return None, Diagnostics([Diagnostic(path, exc.pos, exc.message)])
    except MarkedYAMLError as exc:
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        # An unclosed quote is found at the end of the file; where it opened is what to fix.
        ends = "end of stream" in problem and exc.context_mark is not None
        mark = exc.context_mark if ends else exc.problem_mark or exc.context_mark
        pos = Pos(mark.line + 1, mark.column + 1) if mark else None
        return None, Diagnostics([Diagnostic(path, pos, syntax_message(problem))])
    except YAMLError as exc:
        return None, Diagnostics([Diagnostic(path, Pos(1, 1), syntax_message(str(exc)))])
    if not isinstance(tree.data, dict):
        return None, Diagnostics(
            [Diagnostic(path, Pos(1, 1), tr("ファイルの最上位はマッピング（キー: 値）である必要があります", "the top level must be a mapping (key: value)"))]
        )
    return LoadedYaml(path=path, source=source, data=tree.data, key_pos=tree.key_pos, value_pos=tree.value_pos), Diagnostics()

"""Load YAML into plain Python data plus a map of where every key and value stood.

ruamel.yaml keeps line/column on its round-trip nodes; we copy them into a flat index keyed
by the data path (``("steps", 0, "browser.fill", "target")``) so pydantic's ``loc`` can be
mapped back to the user's file without carrying ruamel types into the models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from bots.i18n import tr
from bots.spec.diagnostics import Diagnostic, Diagnostics, Pos

PathKey = tuple[str | int, ...]


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


def _plain(node: Any, path: PathKey, out: LoadedYaml) -> Any:
    if isinstance(node, CommentedMap):
        result: dict[Any, Any] = {}
        for key, value in node.items():
            child = (*path, key)
            k_line, k_col, v_line, v_col = node.lc.data[key]
            out.key_pos[child] = Pos(k_line + 1, k_col + 1)
            out.value_pos[child] = Pos(v_line + 1, v_col + 1)
            result[str(key) if not isinstance(key, (str, int)) else key] = _plain(value, child, out)
        return result
    if isinstance(node, CommentedSeq):
        items: list[Any] = []
        for index, value in enumerate(node):
            child = (*path, index)
            line, col = node.lc.data[index]
            out.value_pos[child] = Pos(line + 1, col + 1)
            items.append(_plain(value, child, out))
        return items
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


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


def load_yaml(path: Path, source: str | None = None) -> tuple[LoadedYaml | None, Diagnostics]:
    """Parse one YAML file; on failure return ``None`` and diagnostics, never raise."""
    if source is None:
        try:
            source = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            return None, Diagnostics([Diagnostic(path, None, tr("ファイルが見つかりません", "file not found"))])
        except UnicodeDecodeError as exc:
            # Point at the first bad byte (a file saved as Shift_JIS usually fails on line 1 or 2).
            before = exc.object[: exc.start]
            line_start = before.rfind(b"\n") + 1
            bad_at = Pos(before.count(b"\n") + 1, len(before[line_start:].decode("utf-8", "replace")) + 1)
            return None, Diagnostics(
                [Diagnostic(path, bad_at, tr("UTF-8 として読めません（Shift_JIS で保存されていませんか）: {r}",
                                             "not UTF-8 (saved as Shift_JIS?): {r}", r=exc.reason))]
            )
        except OSError as exc:
            return None, Diagnostics([Diagnostic(path, None, tr("読み込めません: {r}", "cannot read: {r}", r=exc.strerror))])
    tabs = _tab_diagnostics(path, source)
    if tabs:
        return None, tabs
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        node = yaml.load(source)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = Pos(mark.line + 1, mark.column + 1) if mark else None
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        return None, Diagnostics([Diagnostic(path, pos, tr("YAML の構文エラー: {p}", "YAML syntax error: {p}", p=problem))])
    except YAMLError as exc:
        return None, Diagnostics([Diagnostic(path, None, tr("YAML の構文エラー: {p}", "YAML syntax error: {p}", p=exc))])
    loaded = LoadedYaml(path=path, source=source, data=None)
    loaded.data = _plain(node, (), loaded)
    if not isinstance(loaded.data, dict):
        return None, Diagnostics(
            [Diagnostic(path, Pos(1, 1), tr("ファイルの最上位はマッピング（キー: 値）である必要があります", "the top level must be a mapping (key: value)"))]
        )
    return loaded, Diagnostics()

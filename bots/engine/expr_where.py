"""Where a failing expression is written: ``flows/x.yaml:12:20`` for a run-time expression error.

``validate`` reports problems at ``file:line:col`` from the YAML positions; an expression that
fails only with real data (too large, too slow, undefined for this record) is found again in the
step's part of the file, so the run log points at the same place an editor would open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bots.flow.checks import Loc, all_steps
from bots.flow.expressions import ExpressionError, bare
from bots.project import Project

if TYPE_CHECKING:
    from bots.flow.loader import LoadedFlow
    from bots.flow.steps import StepBase


def _find(node: Any, path: tuple[str | int, ...], expr: str) -> tuple[str | int, ...] | None:
    """The data path of the string ``expr`` (as written, or the same once braces are removed)."""
    if isinstance(node, str):
        return path if node == expr or bare(node) == bare(expr) else None
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        found = _find(child, (*path, key), expr)
        if found is not None:
            return found
    return None


class ExpressionLocator:
    """Adds ``file:line:col`` to expression errors of one run (step positions indexed once per flow)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._steps: dict[int, dict[int, Loc]] = {}

    def _loc(self, step: StepBase, loaded: LoadedFlow) -> Loc | None:
        index = self._steps.get(id(loaded))
        if index is None:
            index = self._steps[id(loaded)] = {id(s): loc for s, loc in all_steps(loaded.flow)}
        return index.get(id(step))

    def locate(self, exc: ExpressionError, step: StepBase, loaded: LoadedFlow) -> ExpressionError:
        """``exc`` prefixed with where its expression is written (unchanged when already placed)."""
        if exc.located:
            return exc
        loc = self._loc(step, loaded)
        if loc is None:
            return exc
        source = loaded.source
        node: Any = source.data
        data_path = source.data_path(loc)
        for part in data_path:
            if isinstance(node, dict):
                node = node.get(part)
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                node = None
        path = _find(node, data_path, exc.expr) if exc.expr else None
        pos = source.pos_of(path or loc)
        shown = self.project.relative(loaded.path)
        return exc.at(f"{shown}:{pos.line}:{pos.col}" if pos else str(shown))

"""Load a flow file: YAML → typed model → semantic checks, every problem as file:line:col.

Never raises for bad content; returns the flow (or ``None``) with all diagnostics at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from bots.flow.checks import check_flow
from bots.flow.diagnostics import Diagnostic, Diagnostics
from bots.flow.errors_map import diagnostics_from_validation
from bots.flow.model import Flow, rebuild_models
from bots.flow.yamlpos import LoadedYaml, load_yaml
from bots.i18n import tr
from bots.project import Project
from bots.selectors.model import SelectorMap

_models_ready = False


@dataclass
class LoadedFlow:
    """A validated flow with what it depends on: selector maps, sub-flows and content hashes."""

    path: Path
    flow: Flow
    source: LoadedYaml
    selector_maps: dict[str, SelectorMap] = field(default_factory=dict)
    subflows: dict[str, LoadedFlow] = field(default_factory=dict)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)

    @property
    def content_hash(self) -> str:
        """What an approval and every run record refer to: the SHA-256 of the flow file's bytes
        as loaded — and, when it calls sub-flows, of those bytes followed by each sub-flow's own
        content hash (sorted by reference), so a changed sub-flow changes the hash of every flow
        that calls it."""
        own = hashlib.sha256(self.source.source.encode("utf-8"))
        if not self.subflows:
            return own.hexdigest()
        for ref in sorted(self.subflows):
            own.update(f"\0{ref}\0{self.subflows[ref].content_hash}".encode())
        return own.hexdigest()


def _ensure_models() -> None:
    global _models_ready
    if not _models_ready:
        rebuild_models()
        _models_ready = True


def load_flow(path: Path, project: Project | None = None, *, _stack: tuple[Path, ...] = ()) -> tuple[
    LoadedFlow | None, Diagnostics
]:
    """Load and check one flow file (and, recursively, the sub-flows it calls)."""
    _ensure_models()
    project = project or Project.discover(path.parent)
    loaded, found = load_yaml(path)
    if loaded is None:
        return None, found
    try:
        flow = Flow.model_validate(loaded.data)
    except ValidationError as exc:
        found.extend(diagnostics_from_validation(exc, loaded))
        return None, Diagnostics(found.sorted())
    result = LoadedFlow(path=path, flow=flow, source=loaded)
    found.extend(check_flow(result, project, _stack=(*_stack, path.resolve())))
    result.diagnostics = Diagnostics(found.sorted())
    if result.diagnostics.errors:
        return None, result.diagnostics
    return result, result.diagnostics


def load_subflow(ref: str, caller: Path, project: Project, stack: tuple[Path, ...]) -> tuple[
    LoadedFlow | None, Diagnostics, Path
]:
    """Resolve ``control.call``'s ``flow:`` (relative to the caller, then to ``flows/``)."""
    candidates = [caller.parent / ref, project.flows / ref, project.root / ref]
    path = next((p for p in candidates if p.is_file()), candidates[0])
    if path.resolve() in stack:
        chain = " → ".join(p.name for p in (*stack, path.resolve()))
        return None, Diagnostics([Diagnostic(caller, None, tr("呼び出しが循環しています: {c}",
                                                              "sub-flow calls form a cycle: {c}", c=chain))]), path
    sub, found = load_flow(path, project, _stack=stack)
    return sub, found, path

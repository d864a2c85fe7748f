"""Load a flow file: YAML → typed model → linked files → semantic checks, every problem as file:line:col.

Loading links what a flow refers to — its selector maps, its form template and the sub-flows it
calls (recursively) — so the checker only checks and the engine never opens a file of the flow
again. Never raises for bad content; returns the flow (or ``None``) with all diagnostics at once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydantic import ValidationError

from bots.flow.checks import all_steps, check_flow
from bots.flow.commit_effects import check_commit_effects
from bots.flow.errors_map import flow_diagnostics
from bots.flow.model import Flow, FormRecords, rebuild_models
from bots.flow.paths import check_paths, selector_map_problem, subflow_problem
from bots.i18n import tr
from bots.project import Project
from bots.results.listener import FlowIdentity
from bots.selectors.form_template import FormTemplate, form_path, load_form_template
from bots.selectors.loader import load_selector_map, selectors_path
from bots.selectors.model import SelectorMap
from bots.spec.diagnostics import Diagnostic, Diagnostics
from bots.spec.yamlpos import LoadedYaml, load_yaml

Loc = tuple[str | int, ...]
#: How deep sub-flows may call sub-flows (a real flow uses two or three levels).
MAX_CALL_DEPTH = 20


@dataclass
class LoadedFlow:
    """A validated flow with what it depends on: selector maps, form template, sub-flows, hashes."""

    path: Path
    flow: Flow
    source: LoadedYaml
    selector_maps: dict[str, SelectorMap] = field(default_factory=dict)
    subflows: dict[str, LoadedFlow] = field(default_factory=dict)
    form_template: FormTemplate | None = None
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    #: Where each selector map and the form template were read from (what an approval covers).
    selector_paths: dict[str, Path] = field(default_factory=dict)
    form_template_path: Path | None = None

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

    @property
    def selectors_hash(self) -> str | None:
        """SHA-256 over the selector maps the flow and its sub-flows use, in system-name order;
        None when it uses none. Hashes the validated maps (keys sorted, defaults left out), so
        reformatting or re-commenting a file does not change it, while any changed candidate does."""
        maps: set[tuple[str, str]] = set()
        pending = [self]
        while pending:
            loaded = pending.pop()
            for name, selector_map in loaded.selector_maps.items():
                dumped = selector_map.model_dump(mode="json", exclude_defaults=True)
                maps.add((name, json.dumps(dumped, sort_keys=True, ensure_ascii=False, separators=(",", ":"))))
            pending.extend(loaded.subflows.values())
        if not maps:
            return None
        digest = hashlib.sha256()
        for name, text in sorted(maps):
            digest.update(f"{name}\0{text}\n".encode())
        return digest.hexdigest()

    def identity(self) -> FlowIdentity:
        """The flow as listeners record it (plain data: listeners do not import this layer)."""
        flow = self.flow
        return FlowIdentity(id=flow.id, title=flow.title, version=flow.version, owner=flow.owner,
                            content_hash=self.content_hash, selectors_hash=self.selectors_hash,
                            outputs=tuple(flow.outputs), has_records=flow.records is not None, path=self.path)

    def uses_desktop(self) -> bool:
        """Whether it (or a sub-flow) has desktop steps: those hold mouse and keyboard."""
        return (any(spec.kind == "desktop" for spec in self.flow.systems.values())
                or any(step.action.startswith("desktop.") for step, _ in all_steps(self.flow))
                or any(sub.uses_desktop() for sub in self.subflows.values()))


def load_flow(path: Path, project: Project | None = None, *, _stack: tuple[Path, ...] = ()) -> tuple[
    LoadedFlow | None, Diagnostics
]:
    """Load, link and check one flow file (and, recursively, the sub-flows it calls)."""
    rebuild_models()
    project = project or Project.discover(path.parent)
    loaded, found = load_yaml(path)
    if loaded is None:
        return None, found
    try:
        flow = Flow.model_validate(loaded.data)
    except ValidationError as exc:
        found.extend(flow_diagnostics(exc, loaded))
        return None, Diagnostics(found.sorted())
    result = LoadedFlow(path=path, flow=flow, source=loaded)
    found.extend(_link(result, project, (*_stack, path.resolve())))
    found.extend(check_flow(result))
    found.extend(check_paths(result, project))
    found.extend(check_commit_effects(result))
    result.diagnostics = Diagnostics(found.sorted())
    if result.diagnostics.errors:
        return None, result.diagnostics
    return result, result.diagnostics


def _link(loaded: LoadedFlow, project: Project, stack: tuple[Path, ...]) -> Diagnostics:
    """Load what the flow refers to into ``loaded``; problems as diagnostics at the reference."""
    found = Diagnostics()

    def add(loc: Loc, message: str) -> None:
        found.append(Diagnostic(loaded.path, loaded.source.pos_of(loc), message))

    for name, system in loaded.flow.systems.items():
        path = selectors_path(project.selectors, system.selectors or name)
        if problem := selector_map_problem(path, project):  # refused before anything outside is read
            add(("systems", name, "selectors"), problem)
            continue
        selector_map, map_found = load_selector_map(path)
        found.extend(map_found)
        if selector_map is None and not map_found:
            add(("systems", name), tr("セレクタ定義を読めません: {p}", "cannot load selectors {p}", p=path))
        if selector_map is not None:
            loaded.selector_maps[name] = selector_map
            loaded.selector_paths[name] = path
    records = loaded.flow.records
    if isinstance(records, FormRecords):
        path = form_path(project.selectors, records.form)
        template, template_found = load_form_template(path)
        if template is None and not path.is_file():
            add(("records", "form"), tr("帳票定義が見つかりません: {p}", "form template not found: {p}", p=path))
        elif template is None:
            found.extend(template_found)
        loaded.form_template = template
        loaded.form_template_path = path if template is not None else None
    for step, loc in all_steps(loaded.flow):
        if step.action == "control.call":
            where = (*loc, type(step).model_fields["p"].alias or step.action, "flow")
            found.extend(_link_subflow(loaded, str(step.params.flow), where, project, stack))  # type: ignore[attr-defined]
    return found


def _link_subflow(loaded: LoadedFlow, ref: str, where: Loc, project: Project,
                  stack: tuple[Path, ...]) -> Diagnostics:
    """Resolve ``control.call``'s ``flow:`` (relative to the caller, then to ``flows/``) and load it."""
    candidates = [loaded.path.parent / ref, project.flows / ref, project.root / ref]
    path = next((p for p in candidates if p.is_file()), candidates[0])
    here = loaded.source.pos_of(where)
    if path.is_file() and (problem := subflow_problem(path, project, stack[0])):  # refused before it is read
        return Diagnostics([Diagnostic(loaded.path, here, problem)])
    if not path.is_file():
        return Diagnostics([Diagnostic(loaded.path, here, tr("サブフローが見つかりません: {r}", "sub-flow not found: {r}",
                                                             r=ref))])
    if path.resolve() in stack:
        chain = " → ".join(p.name for p in (*stack, path.resolve()))
        return Diagnostics([Diagnostic(loaded.path, here, tr("呼び出しが循環しています: {c}",
                                                             "sub-flow calls form a cycle: {c}", c=chain))])
    if len(stack) >= MAX_CALL_DEPTH:  # a chain of distinct files: bounded like YAML nesting, no RecursionError
        return Diagnostics([Diagnostic(loaded.path, here, tr("サブフローの呼び出しが深すぎます（上限 {n} 段）",
                                                             "sub-flow calls nest too deeply (limit {n})",
                                                             n=MAX_CALL_DEPTH))])
    sub, found = load_flow(path, project, _stack=stack)
    if sub is not None:
        loaded.subflows[ref] = sub
    # A problem reported against the calling file without a position: point at this call.
    return Diagnostics([replace(d, pos=here) if d.path == loaded.path and d.pos is None else d for d in found])

"""What changed between the approved version of a flow and the one on disk.

The run store keeps each approved version's files (:mod:`bots.governance.approve`). To compare
flows and selector maps *as models* — steps, elements, candidates — the approved files are laid
out in a scratch project folder and loaded exactly like the current ones.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bots.flow.loader import LoadedFlow, load_flow
from bots.governance.changes import flow_changes
from bots.governance.versions import ApprovalState, Version
from bots.i18n import tr
from bots.project import Project
from bots.store.rows import ApprovedFile
from bots.store.store import RunStore

_ROLE_NAMES = {"flow": ("フロー", "flow"), "subflow": ("サブフロー", "sub-flow"),
               "selectors": ("セレクタ定義", "selector map"), "form": ("帳票定義", "form template")}


def role_name(role: str) -> str:
    """A manifest role as people read it."""
    ja, en = _ROLE_NAMES.get(role, (role, role))
    return tr(ja, en)


def file_changes(current: Version, approved: list[ApprovedFile]) -> list[str]:
    """One line per file added, removed or changed since the approved version."""
    before = {f.path: f for f in approved}
    now = {f.path: f for f in current.files}
    lines = []
    for path, entry in now.items():
        if path not in before:
            lines.append(tr("{r}を追加: {p}", "{r} added: {p}", r=role_name(entry.role), p=path))
        elif before[path].sha256 != entry.sha256:
            lines.append(tr("{r}を変更: {p}", "{r} changed: {p}", r=role_name(entry.role), p=path))
    lines.extend(tr("{r}を削除: {p}", "{r} removed: {p}", r=role_name(f.role), p=path)
                 for path, f in before.items() if path not in now)
    return lines


@contextmanager
def approved_flow(project: Project, store: RunStore, version: Version, fingerprint: str) -> Iterator[
        LoadedFlow | None]:
    """The approved version ``fingerprint`` of the flow, loaded from a scratch copy of the project
    (None when the store has none of its files or it no longer loads)."""
    files = store.approved_files(fingerprint)
    if not files:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="kz-approved-") as scratch:
        root = Path(scratch)
        _lay_out(project, root, files)
        top = next((f.path for f in files if f.role == "flow"), version.files[0].path)
        loaded, _ = load_flow(root / top, Project(root))
        yield loaded


def _lay_out(project: Project, root: Path, files: list[ApprovedFile]) -> None:
    """The scratch project: the current selectors folder (images an approved map names), then
    every approved text file at its place."""
    (root / "flows").mkdir()
    if project.selectors.is_dir():
        shutil.copytree(project.selectors, root / "selectors",
                        ignore=lambda folder, names: [n for n in names if n.endswith((".yaml", ".yml"))])
    else:
        (root / "selectors").mkdir()
    for approved in files:
        if approved.content is None or Path(approved.path).is_absolute() or ".." in Path(approved.path).parts:
            continue
        target = root / approved.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(approved.content, encoding="utf-8")


def changed_since_approval(project: Project, store: RunStore, version: Version, state: ApprovalState) -> list[str]:
    """What differs from the latest approved version, for the gate's refusal and ``flows diff``:
    each file, then each step, selector element or setting that changed, in plain words."""
    if state.approved_fingerprint is None or state.approved_fingerprint == version.fingerprint:
        return []
    lines = file_changes(version, store.approved_files(state.approved_fingerprint))
    with approved_flow(project, store, version, state.approved_fingerprint) as old:
        if old is None:
            lines.append(tr("（承認された版を読み込めないため、ファイル単位の変更だけを示します）",
                            "(the approved version cannot be loaded: changes are shown by file only)"))
        else:
            lines.extend(change.text for change in flow_changes(old, version.loaded))
    return lines

"""What an approval covers: every file a run of the flow reads its behaviour from.

The flow file, each sub-flow it calls (recursively), the selector maps of every system they use,
the form template and the blank form's image it registers scans by: change any byte of any of them and the fingerprint changes, so what runs
is exactly what was approved. The manifest (role, path, SHA-256 per file) is kept with each
approval, so ``flows diff`` can say *which* file changed and what in it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bots.selectors.form_template import ReferenceImage

if TYPE_CHECKING:
    from bots.flow.loader import LoadedFlow

Role = Literal["flow", "subflow", "selectors", "form"]


@dataclass(frozen=True)
class ManifestEntry:
    """One file of an approved version."""

    role: Role
    #: Relative to the project root, with ``/`` (the same on Windows); absolute when outside it.
    path: str
    sha256: str


def display_path(path: Path, root: Path) -> str:
    """``path`` relative to the project, ``/``-separated, as the manifest and reports show it."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(loaded: LoadedFlow, root: Path) -> tuple[ManifestEntry, ...]:
    """Every file the flow's behaviour comes from, each once, sorted by role and path."""
    entries: dict[str, ManifestEntry] = {}

    def add(role: Role, path: Path) -> None:
        shown = display_path(path, root)
        if shown not in entries:  # the bytes on disk: what an approval snapshot stores and a diff compares
            entries[shown] = ManifestEntry(role, shown, _digest(path.read_bytes()))

    def walk(flow: LoadedFlow, role: Role) -> None:
        add(role, flow.path)
        for path in flow.selector_paths.values():
            add("selectors", path)
        if flow.form_template_path is not None:
            add("form", flow.form_template_path)
        template = flow.form_template
        if template is not None and isinstance(template.anchors, ReferenceImage):
            add("form", template.anchors.image)  # another image registers scans differently
        for sub in flow.subflows.values():
            walk(sub, "subflow")

    walk(loaded, "flow")
    order = {"flow": 0, "subflow": 1, "selectors": 2, "form": 3}
    return tuple(sorted(entries.values(), key=lambda e: (order[e.role], e.path)))


def fingerprint(entries: tuple[ManifestEntry, ...]) -> str:
    """The SHA-256 an approval names: over each file's role, path and content hash."""
    digest = hashlib.sha256()
    for entry in entries:
        digest.update(f"{entry.role}\0{entry.path}\0{entry.sha256}\n".encode())
    return digest.hexdigest()

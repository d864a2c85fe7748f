"""Validating flow files without running them (``runner.py validate``, the scheduler's watch)."""

from __future__ import annotations

from pathlib import Path

import bots.actions  # noqa: F401 - fills the step registry the flow models are built from
from bots.flow.loader import LoadedFlow, load_flow
from bots.project import Project
from bots.spec.diagnostics import Diagnostics


def flow_files(paths: list[Path], project: Project) -> list[Path]:
    """The flow files under ``paths`` (default ``flows/``), data folders left out."""
    if not paths:
        paths = [project.flows]
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.yaml") if "data" not in p.relative_to(path).parts))
        else:
            found.append(path)
    return found


def validate(path: Path, project: Project | None = None) -> tuple[LoadedFlow | None, Diagnostics]:
    """Load and check one flow file: the flow (None when it has errors) and every diagnostic."""
    return load_flow(path, project)

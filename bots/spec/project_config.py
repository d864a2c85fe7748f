"""``kazaguruma.yaml``: the installation's settings, read once per change of the file.

::

    paths:
      roots: ['\\\\fileserver\\受付']   # shared folders flows may use (bots.flow.paths)
    governance:
      mode: production                # unapproved flows are refused (development: run and warn)
      approvers_required: 1           # people besides the author who must approve a change
      review_interval_days: 365       # an approval older than this is flagged by `flows health`
      staff: config/staff.yaml        # the staff directory (YAML, CSV or LDIF export)

A file with errors is reported (``file:line:col``) and its settings are not used: the defaults
apply, which for ``mode`` means *production* — a broken configuration must never switch the
approval check off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from bots.project import Project
from bots.spec.diagnostics import Diagnostics
from bots.spec.types import FrozenModel
from bots.spec.validation import diagnostics_from_validation
from bots.spec.yamlpos import load_yaml


class PathSettings(FrozenModel):
    """``paths:`` of ``kazaguruma.yaml``."""

    #: Folders outside the project that flows may read from and write to (shared drives).
    roots: tuple[str, ...] = ()


class GovernanceSettings(FrozenModel):
    """``governance:`` of ``kazaguruma.yaml``: approval, review and the staff directory."""

    #: production: ``run``, the scheduler and the tray refuse a flow whose content is not approved.
    #: development: it runs, with a warning on the console and in the ledger.
    mode: Literal["development", "production"] = "development"
    #: How many people other than the author of a change must approve it.
    approvers_required: int = Field(1, ge=1, le=5)
    #: An approval older than this is flagged for review (``flows health``, 管理台帳).
    review_interval_days: int = Field(365, ge=1, le=3650)
    #: The staff directory: ``.yaml``, ``.csv`` or ``.ldif`` (relative to the project).
    staff: str = "config/staff.yaml"
    #: ``flows health`` flags a flow with no successful run in this many days.
    stale_after_days: int = Field(30, ge=1, le=3650)
    #: ``flows health`` flags a flow whose last runs all failed, this many in a row.
    failure_streak: int = Field(3, ge=1, le=100)
    #: How far back ``flows health`` and ``selectors propose`` look for selector drift.
    drift_window_days: int = Field(30, ge=1, le=3650)


class ProjectConfig(FrozenModel):
    """``kazaguruma.yaml``: the installation's settings."""

    paths: PathSettings = PathSettings()
    governance: GovernanceSettings = GovernanceSettings()


#: A configuration that could not be read: governance falls back to production (never weaker).
BROKEN_CONFIG = ProjectConfig(governance=GovernanceSettings(mode="production"))

_CACHE: dict[tuple[Path, float | None], tuple[ProjectConfig, Diagnostics]] = {}


def load_project_config(project: Project) -> tuple[ProjectConfig, Diagnostics]:
    """The settings and the problems of ``kazaguruma.yaml``; defaults when there is no file,
    :data:`BROKEN_CONFIG` when it has errors. Cached until the file changes."""
    config = project.config_file
    try:
        mtime: float | None = config.stat().st_mtime
    except OSError:
        mtime = None
    key = (config, mtime)
    if key not in _CACHE:
        _CACHE[key] = _load(config) if mtime is not None else (ProjectConfig(), Diagnostics())
    return _CACHE[key]


def _only_comments(path: Path) -> bool:
    """An empty (or comments-only) file states no settings: the defaults, not an error."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return False
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def _load(path: Path) -> tuple[ProjectConfig, Diagnostics]:
    if _only_comments(path):
        return ProjectConfig(), Diagnostics()
    loaded, found = load_yaml(path)
    if loaded is None:
        return BROKEN_CONFIG, found
    try:
        return ProjectConfig.model_validate(loaded.data if loaded.data is not None else {}), found
    except ValidationError as exc:
        found.extend(diagnostics_from_validation(exc, loaded))
        return BROKEN_CONFIG, found

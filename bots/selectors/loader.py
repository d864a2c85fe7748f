"""Load ``selectors/<system>.yaml`` with file:line:col diagnostics, cached per path and mtime."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from bots.i18n import tr
from bots.selectors.model import Candidate, ErrorIndicator, Screen, SelectorMap
from bots.spec.diagnostics import Diagnostic, Diagnostics
from bots.spec.validation import diagnostics_from_validation, fields_of
from bots.spec.yamlpos import load_yaml

_CACHE: dict[tuple[Path, float], tuple[SelectorMap | None, Diagnostics]] = {}


def _selector_keys(loc: tuple[object, ...]) -> list[str]:
    """The keys a selector map may use anywhere (for "did you mean")."""
    return [key for model in (SelectorMap, Screen, Candidate, ErrorIndicator) for key in fields_of(model)]


def selectors_path(root: Path, system: str) -> Path:
    """The map of ``system`` (``selectors/<system>.yaml``); a flow may name another file."""
    return root / f"{system}.yaml"


def load_selector_map(path: Path) -> tuple[SelectorMap | None, Diagnostics]:
    """Parse and validate one selector map; never raises for bad content."""
    try:
        key = (path.resolve(), path.stat().st_mtime)
    except OSError:
        return None, Diagnostics([Diagnostic(path, None, tr("セレクタ定義が見つかりません", "selector map not found"))])
    if key in _CACHE:
        return _CACHE[key]
    loaded, found = load_yaml(path)
    result: SelectorMap | None = None
    if loaded is not None:
        try:
            kind = loaded.data.get("kind") if isinstance(loaded.data, dict) else None
            # The context tells candidates which kinds the map allows and where its images live.
            result = SelectorMap.model_validate(loaded.data, context={"kind": kind, "folder": path.parent})
        except ValidationError as exc:
            found.extend(diagnostics_from_validation(exc, loaded, key_pool=_selector_keys))
    _CACHE[key] = (result, found)
    return result, found

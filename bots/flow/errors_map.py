"""Flow-specific help for validation errors: unknown steps and unknown keys inside a step.

The generic mapping of pydantic errors to ``file:line:col`` lives in :mod:`bots.spec.validation`;
this module adds what only the flow layer knows: the registered step names (for "did you mean
browser.fill") and each step's parameters.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bots import registry
from bots.flow.model import ExcelRecords, Flow, FormRecords, InputSpec, Settings, SystemSpec, VerifySpec
from bots.flow.steps import COMMON_KEYS
from bots.i18n import tr
from bots.records.model import ColumnSpec
from bots.selectors.model import Candidate, ErrorIndicator, Screen, SelectorMap
from bots.spec.diagnostics import Diagnostics
from bots.spec.validation import diagnostics_from_validation, fields_of, suggest
from bots.spec.yamlpos import LoadedYaml

_FLOW_MODELS = (Flow, Settings, SystemSpec, InputSpec, ExcelRecords, FormRecords, VerifySpec, ColumnSpec, SelectorMap,
                Screen, Candidate, ErrorIndicator)


def key_pool(loc: tuple[Any, ...]) -> list[str]:
    """Keys allowed where an unknown key was found: that step's params if we know the step."""
    actions = [part for part in loc if isinstance(part, str) and registry.is_registered(part)]
    if actions:
        spec = registry.get(actions[-1])
        # ``(… "browser.fill", "browser.fill", key)``: tag then alias means inside the params.
        tail = loc[-3:-1]
        inside_params = len(tail) == 2 and tail[0] == tail[1] == actions[-1]
        return fields_of(spec.params) if inside_params else [*COMMON_KEYS, actions[-1]]
    return [name for model in _FLOW_MODELS for name in fields_of(model)]


def unknown_step(error: ErrorDetails) -> tuple[str, tuple[Any, ...]]:
    """The message for a step mapping whose action the registry does not know."""
    loc = tuple(error["loc"])
    value = error.get("input")
    if not isinstance(value, dict):
        return tr("ステップはマッピングで書いてください（例: - browser.click: 画面.要素）",
                  "a step must be a mapping (e.g. - browser.click: screen.element)"), loc
    unknown = [k for k in value if k not in COMMON_KEYS]
    if not unknown:
        return tr("ステップに動作（browser.fill など）がありません", "the step names no action (browser.fill, …)"), loc
    name = str(unknown[0])
    return (tr("不明なステップ '{n}'。", "unknown step '{n}'.", n=name)
            + suggest(name, registry.names())), (*loc, name)


def flow_diagnostics(exc: ValidationError, loaded: LoadedYaml) -> Diagnostics:
    """A flow file's validation errors, with step-aware suggestions."""
    return diagnostics_from_validation(exc, loaded, key_pool=key_pool, unknown_step=unknown_step)

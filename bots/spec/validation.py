"""Turn pydantic's ``ValidationError`` into file:line:col diagnostics an author can act on.

Shared by every YAML file Kazaguruma reads (flows, selector maps, form templates, schedules).
pydantic reports ``loc`` paths, not lines; :class:`LoadedYaml` maps them back. Union tags in
``loc`` are skipped. Unknown keys get "did you mean …" suggestions (difflib) from a pool the
caller knows (the flow layer adds step names and step parameters; see ``bots.flow.errors_map``).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bots.i18n import language, tr
from bots.spec.diagnostics import Diagnostic, Diagnostics
from bots.spec.pydantic_messages import message_for
from bots.spec.yamlpos import LoadedYaml


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` もしかして: browser.fill`` when a close name exists, else ''."""
    close = difflib.get_close_matches(word, list(choices), n=2, cutoff=0.6)
    if not close:
        return ""
    return tr(" もしかして: {c}", " did you mean: {c}", c=" / ".join(close))


#: The keys allowed where an unknown key was found at ``loc`` (for "did you mean").
KeyPool = Callable[[tuple[Any, ...]], list[str]]
#: The message (and the loc to point at) for a step the registry does not know.
UnknownStep = Callable[[ErrorDetails], tuple[str, tuple[Any, ...]]]


def fields_of(model: type[BaseModel]) -> list[str]:
    """The keys a model accepts, as written in YAML (aliases where set)."""
    return [info.alias or name for name, info in model.model_fields.items()]


def _message(error: ErrorDetails, key_pool: KeyPool, unknown_step: UnknownStep | None) -> tuple[str, tuple[Any, ...]]:
    """Japanese/English message for one pydantic error, and the loc to point at."""
    kind = error["type"]
    loc = tuple(error["loc"])
    if kind == "unknown_step" and unknown_step is not None:
        return unknown_step(error)
    if kind == "extra_forbidden":
        key = str(loc[-1])
        return tr("不明なキー '{k}'。", "unknown key '{k}'.", k=key) + suggest(key, key_pool(loc)), loc
    if kind == "missing":
        return tr("必須のキー '{k}' がありません", "required key '{k}' is missing", k=loc[-1]), loc[:-1]
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        return tr("使えない値です。使える値: {e}", "value not allowed; expected {e}",
                  e=expected.replace(" or ", ", ") if language() == "ja" else expected), loc
    if kind in {"value_error", "assertion_error"}:
        # Raised by our own validators, whose messages are already in the user's language.
        return str(error.get("ctx", {}).get("error", error["msg"])), loc
    return message_for(error), loc


def diagnostics_from_validation(exc: ValidationError, loaded: LoadedYaml, *, key_pool: KeyPool | None = None,
                                unknown_step: UnknownStep | None = None) -> Diagnostics:
    """Every error of ``exc`` as a diagnostic at its line and column, duplicates dropped."""
    pool: KeyPool = key_pool or (lambda loc: [])
    found = Diagnostics()
    seen: set[tuple[int, int, str]] = set()
    errors = exc.errors(include_url=False)
    unknown: dict[tuple[Any, ...], list[str]] = {}
    for error in errors:
        if error["type"] == "extra_forbidden":
            unknown.setdefault(tuple(error["loc"][:-1]), []).append(str(error["loc"][-1]))
    for error in errors:
        # ``valeu:`` for ``value:`` is one mistake: its "did you mean" already names the missing key.
        if error["type"] == "missing" and difflib.get_close_matches(
            str(error["loc"][-1]), unknown.get(tuple(error["loc"][:-1]), []), n=1, cutoff=0.6
        ):
            continue
        message, loc = _message(error, pool, unknown_step)
        pos = loaded.key_pos_of(loaded.data_path(loc)) if error["type"] in {"extra_forbidden", "unknown_step"} \
            else loaded.pos_of(loc)
        mark = (pos.line if pos else 0, pos.col if pos else 0, message)
        if mark not in seen:
            seen.add(mark)
            found.append(Diagnostic(loaded.path, pos, message))
    return found

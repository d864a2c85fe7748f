"""The explicit step registry: ``family.verb`` → params model + function.

Modules in ``bots.actions`` register their steps with :func:`action` when imported; the
registry is filled by importing them explicitly (no entry points: they break when frozen).
A duplicate name is a programming error and raises at import time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, model_validator

from bots.errors import FrameworkError

if TYPE_CHECKING:
    from bots.engine.context import StepContext

_NAME = re.compile(r"^[a-z]+\.[a-z_]+$")


class Params(BaseModel):
    """Base of every step's parameters.

    ``shorthand`` names the field that a scalar stands for, so ``browser.click: 入力.確認へ``
    means ``browser.click: {target: 入力.確認へ}``. ``raw_fields`` are not rendered as
    templates before the step runs (nested steps, bare expressions).

    Every field carries ``Field(description=...)``, in Japanese for the people who write flows:
    it is the field's line in the step reference (``runner.py steps NAME``, ``docs/steps.md``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    shorthand: ClassVar[str | None] = None
    raw_fields: ClassVar[frozenset[str]] = frozenset()
    #: Fields naming a selector-map element (``screen.element``), checked at load time.
    target_fields: ClassVar[tuple[str, ...]] = ()
    #: Fields that may be given a secret, whole (``"{{ secrets.NAME }}"``): a password typed into
    #: a field. A secret anywhere else is refused (it could reach a log in a form masking misses).
    secret_fields: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _expand_shorthand(cls, data: Any) -> Any:
        if cls.shorthand and not isinstance(data, dict):
            return {cls.shorthand: data}
        if data is None:
            return {}
        return data


class NoParams(Params):
    """For steps that take nothing (``browser.close: {}``)."""


P = TypeVar("P", bound=Params)
StepFunc = Callable[["StepContext", Any], Any]


@dataclass(frozen=True)
class ActionSpec:
    """One registered step: what the flow loader, the engine and the step reference read."""

    name: str
    params: type[Params]
    func: StepFunc
    summary: str
    aliases: tuple[str, ...] = ()
    #: A commit step writes to the target system: skipped by ``--dry-run`` (set per step too).
    commits: bool = False


_REGISTRY: dict[str, ActionSpec] = {}
_ALIASES: dict[str, str] = {}


def action(
    name: str, params: type[P], *, aliases: Iterable[str] = (), commits: bool = False
) -> Callable[[Callable[[StepContext, P], Any]], Callable[[StepContext, P], Any]]:
    """Register a step function under ``family.verb``; its docstring is its manual page."""
    if not _NAME.match(name):
        raise FrameworkError(f"step name must be family.verb: {name!r}")

    def register(func: Callable[[StepContext, P], Any]) -> Callable[[StepContext, P], Any]:
        all_names = [name, *aliases]
        for each in all_names:
            if each in _REGISTRY or each in _ALIASES:
                raise FrameworkError(f"duplicate step name: {each}")
        summary = (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else name
        _REGISTRY[name] = ActionSpec(name, params, func, summary, tuple(aliases), commits)
        for alias in aliases:
            _ALIASES[alias] = name
        return func

    return register


def get(name: str) -> ActionSpec:
    """The spec for a registered name or alias."""
    return _REGISTRY[_ALIASES.get(name, name)]


def names(*, with_aliases: bool = True) -> list[str]:
    """Every name a flow may write, sorted (for the step union and "did you mean")."""
    found = list(_REGISTRY)
    if with_aliases:
        found.extend(_ALIASES)
    return sorted(found)


def specs() -> list[ActionSpec]:
    """One spec per step (aliases not repeated), sorted by name."""
    return [_REGISTRY[n] for n in sorted(_REGISTRY)]


def is_registered(name: str) -> bool:
    """Whether a mapping key names a step (the discriminator asks this of every key)."""
    return name in _REGISTRY or name in _ALIASES

"""The step model: one YAML mapping with one action key plus common keys.

::

    - name: 確認画面へ
      browser.click: 申請入力.確認へ
      timeout: 5s
      retry: {attempts: 3, on: [target_system]}

The list of steps is a pydantic discriminated union built from the registry, tagged by the
action key, so an unknown step or a misspelt parameter fails at load time.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeAlias, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, create_model

from bots import registry
from bots.errors import FrameworkError
from bots.spec.types import Duration, RetryPolicy

#: Keys every step may carry besides its action key.
COMMON_KEYS = frozenset({"name", "timeout", "retry", "when", "commit", "id", "audit", "optional"})


class StepBase(BaseModel):
    """What every step has; subclasses add the action's params under the action key."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)

    action: ClassVar[str] = ""

    name: str | None = None
    id: str | None = None
    timeout: Duration | None = None
    retry: RetryPolicy | None = None
    when: str | None = None
    commit: bool = False
    #: The step's element may be absent (a notice shown only sometimes): when it does not show
    #: within ``settings.optional_wait`` the step is skipped with a notice instead of failing.
    optional: bool = False
    #: An audit-ledger event recorded when the step succeeds (e.g. ``audit: login``).
    audit: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]*$")

    @property
    def params(self) -> registry.Params:
        """The action's parameters, typed by the action's own model (the value under the action key)."""
        value: registry.Params = self.p  # type: ignore[attr-defined]
        return value

    @property
    def spec(self) -> registry.ActionSpec:
        """The registered action: its function and whether it commits (submits to the target system)."""
        return registry.get(self.action)

    @property
    def label(self) -> str:
        """How the step is named in logs and the console."""
        return self.name or self.action


if TYPE_CHECKING:
    AnyStep: TypeAlias = StepBase


def action_of(value: Any) -> str | None:
    """The discriminator: the one registered action key of a step mapping."""
    if isinstance(value, StepBase):
        return value.action
    if isinstance(value, dict):
        for key in value:
            if isinstance(key, str) and registry.is_registered(key):
                return key
    return None


@cache
def step_union() -> Any:
    """Build the tagged union over every registered step (and alias), once.

    The registry is filled by importing ``bots.actions`` (the engine and ``bots.api`` do); the
    flow layer never imports the actions, so it cannot build a union before they registered."""
    if not registry.names():
        raise FrameworkError("no steps are registered: import bots.actions (bots.api does) before loading flows")
    members: list[Any] = []
    for name in registry.names():
        spec = registry.get(name)
        model = create_model(
            f"Step[{name}]",
            __base__=StepBase,
            p=(spec.params, Field(alias=name)),
        )
        model.action = spec.name
        members.append(Annotated[model, Tag(name)])
    union: Any = Annotated[
        Union[tuple(members)],  # noqa: UP007
        Discriminator(
            action_of,
            custom_error_type="unknown_step",
            custom_error_message="unknown step",
        ),
    ]
    namespace = {"AnyStep": union}
    for spec in registry.specs():
        spec.params.model_rebuild(_types_namespace=namespace, force=True)
    for member in members:
        member.__origin__.model_rebuild(_types_namespace=namespace, force=True)
    return union

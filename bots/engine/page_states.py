"""Page states a step may depend on: ``visible(画面.要素)`` in a condition, and ``optional: true``.

Pages built without automation in mind show things only sometimes (a notice modal on some
loads, a consent box for some applicants). A condition asks briefly (``settings.visible_wait``)
whether an element is shown; an optional step looks for its element for
``settings.optional_wait`` and is skipped, with an ``optional_absent`` notice, when it does not
show. Both end their look at once when an error indicator of the system shows instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bots.errors import FlowError
from bots.i18n import tr

if TYPE_CHECKING:
    from pydantic import BaseModel

    from bots.engine.context import RunContext, Scope, StepContext


class VisibleProbe:
    """``visible(ref, system=None)`` as the expressions of one scope see it."""

    def __init__(self, run: RunContext, scope: Scope) -> None:
        self.run = run
        self.scope = scope

    def __call__(self, ref: Any, system: Any = None) -> bool:
        """Whether the element ``ref`` (``画面.要素``) of ``system`` (default: the flow's only web
        system) is shown now, or shows within ``settings.visible_wait``."""
        loaded = self.scope.loaded or self.run.loaded
        name = str(system) if system is not None else loaded.flow.default_system("web")
        if name is None:
            raise FlowError(tr("visible() にシステム名を渡してください（Web システムが一つに決まりません）: {r}",
                               "pass the system to visible(): the flow has no single web system: {r}", r=ref))
        session = self.run.resources.browser(name, loaded)
        return session.shows(str(ref), self.run.loaded.flow.settings.visible_wait * 1000)


def optional_target(ctx: StepContext, params: BaseModel) -> Any:
    """The element an ``optional`` step acts on (None: it names none, or is not a browser step)."""
    if not ctx.step.action.startswith("browser."):
        return None
    fields: tuple[str, ...] = getattr(type(params), "target_fields", ())
    return getattr(params, fields[0], None) if fields else None


def absent(ctx: StepContext, params: BaseModel) -> Any:
    """The element of an ``optional`` step when it does not show within ``settings.optional_wait``
    (the step is then skipped); None when the step should run. An error indicator shown instead
    fails the step as it would have failed anyway."""
    target = optional_target(ctx, params)
    if target is None:
        return None
    session = ctx.browser(getattr(params, "system", None))
    wait_ms = ctx.run.loaded.flow.settings.optional_wait * 1000
    return None if session.shows(target, wait_ms, raise_shown=True) else target

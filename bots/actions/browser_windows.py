"""Browser steps for what opens over a screen: popups (new tabs, windows) and JavaScript dialogs.

``browser.click: {target: …, opens: popup}`` waits for the new tab and acts on it from then on;
``browser.switch_page`` goes back and forth, ``browser.close_page`` closes it. ``browser.dialog``
declares the answer to the next ``alert``/``confirm``/``prompt``: one nobody declared is
dismissed and fails the record (never left open, never silently accepted).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from bots.actions.browser import as_text
from bots.actions.param_types import ScalarValue
from bots.engine.context import StepContext
from bots.registry import NoParams, Params, action

_SYSTEM_DOC = "対象の Web システム（フローの `systems:` のキー。Web システムが一つなら省略可）"


class SwitchPageParams(Params):
    """Which page later steps act on: a scalar names it."""

    shorthand: ClassVar[str | None] = "page"

    page: Literal["main", "popup"] = Field(description="`main`（最初のページ）か `popup`（`opens: popup` で開いたページ）")
    system: str | None = Field(None, description=_SYSTEM_DOC)


@action("browser.switch_page", SwitchPageParams)
def switch_page(ctx: StepContext, p: SwitchPageParams) -> None:
    """Act on the main page, or on the popup a step opened, from now on.

    No popup open fails the step.

    ``- browser.switch_page: main``
    """
    ctx.browser(p.system).switch_page(p.page)


class ClosePageParams(Params):
    """The system whose popup closes: a scalar names it."""

    shorthand: ClassVar[str | None] = "system"

    system: str | None = Field(None, description=_SYSTEM_DOC)


@action("browser.close_page", ClosePageParams)
def close_page(ctx: StepContext, p: ClosePageParams) -> None:
    """Close the popup (new tab or window) and act on the main page again.

    A popup the target system already closed is not an error.

    ``- browser.close_page: {}``
    """
    ctx.browser(p.system).close_page()


class DialogParams(Params):
    """How to answer the next JavaScript dialog."""

    accept: bool = Field(True, description="`true` で OK（承認）、`false` でキャンセル")
    text: ScalarValue = Field(None, description="ダイアログの文言に含まれているべき文字（違えばキャンセルしてレコードを失敗にします）")
    prompt: ScalarValue = Field(None, description="`prompt` ダイアログに入力する値")
    system: str | None = Field(None, description=_SYSTEM_DOC)


@action("browser.dialog", DialogParams)
def dialog(ctx: StepContext, p: DialogParams) -> None:
    """Declare the answer to the next JavaScript dialog (``alert``/``confirm``/``prompt``).

    Place it before the step that raises the dialog; it answers that one dialog only. A dialog
    no step declared is dismissed (a confirm is never accepted on a guess) and the step that
    raised it fails the record with the dialog's message; so does a declared one whose message
    lacks ``text``.

    ``- browser.dialog: {accept: true, text: 登録しますか}``
    """
    ctx.browser(p.system).arm_dialog(accept=p.accept, text=None if p.text is None else as_text(p.text),
                                     prompt=None if p.prompt is None else as_text(p.prompt))


@action("browser.close", NoParams)
def close(ctx: StepContext, p: NoParams) -> None:
    """Close the browser pages of this run.

    ``- browser.close: {}``
    """
    ctx.run.resources.close()

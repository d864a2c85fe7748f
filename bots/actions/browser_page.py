"""Browser steps on the whole page: reload it, save it as a PDF receipt.

A receipt goes into the run folder's ``receipts/`` (beside ``screenshots/`` and ``downloads/``);
``into`` puts its path into ``vars`` so the results workbook can list it per record.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from bots.engine.context import StepContext
from bots.registry import Params, action
from bots.results.folder import safe_name

_SYSTEM_DOC = "対象の Web システム（フローの `systems:` のキー。Web システムが一つなら省略可）"


class ReloadParams(Params):
    """Which system's page to load again: a scalar names the system."""

    shorthand: ClassVar[str | None] = "system"

    system: str | None = Field(None, description=_SYSTEM_DOC)


@action("browser.reload", ReloadParams)
def reload(ctx: StepContext, p: ReloadParams) -> None:
    """Load the current page again (a screen that went stale, or to start a form afresh).

    An error page (HTTP 5xx) in answer fails the step as the target system's error.

    ``- browser.reload: {}``
    """
    ctx.browser(p.system).reload(ctx.timeout_ms)


class PdfParams(Params):
    """The PDF's file name (a scalar is the name) and the variable for its path."""

    shorthand: ClassVar[str | None] = "name"

    name: str = Field("page", description="ファイル名（実行フォルダの `receipts/<name>.pdf`）")
    into: str | None = Field(None, description="保存したファイルのパスを入れる変数名（`outputs:` に書けば結果の列になります）")
    system: str | None = Field(None, description=_SYSTEM_DOC)

    def assigned_names(self) -> list[str]:
        """The variable set (if any), so ``validate`` knows ``vars.<into>`` exists."""
        return [self.into] if self.into else []


@action("browser.pdf", PdfParams)
def pdf(ctx: StepContext, p: PdfParams) -> None:
    """Save the whole page as a PDF receipt in the run folder (headless Chromium only).

    Elements the selector map marks ``sensitive``, password fields and fields given personal
    data are blanked out, their text left out of the file, as in screenshots.

    ``- browser.pdf: {name: "受付票_{{ record.番号 }}", into: 受付票}``
    """
    path = ctx.run.info.folder / "receipts" / f"{safe_name(str(p.name))}.pdf"
    ctx.browser(p.system).pdf(path)
    if p.into:
        ctx.vars[p.into] = str(path)

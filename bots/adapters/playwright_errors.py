"""Translate Playwright's exceptions into Kazaguruma's error tree, in one place.

Nothing above the browser adapter sees a Playwright exception. Playwright has three classes
(``Error``, its ``TimeoutError`` and ``TargetClosedError``) and puts the reason in the text, so
the kind is read from both: a time-out is a missing element (or a slow step), a closed browser or
a refused connection is the target system's problem, anything else fails the step.
"""

from __future__ import annotations

from playwright._impl._errors import TargetClosedError  # raised, though not exported by sync_api
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bots.errors import ElementNotFound, StepError, StepTimeout, TargetSystemError
from bots.i18n import tr

#: Every exception class Playwright raises, and what it becomes; checked in order, the most
#: specific first (both others subclass ``Error``).
MAPPED: dict[type[BaseException], type[StepError]] = {
    PlaywrightTimeoutError: StepTimeout,
    TargetClosedError: TargetSystemError,
    PlaywrightError: StepError,
}

_NETWORK = ("net::ERR_", "NS_ERROR_", "ECONNREFUSED", "Connection refused")
_CLOSED = ("Target page, context or browser has been closed", "Browser has been closed", "Target closed")


def translate(exc: BaseException, what: str, *, status: int | None = None, element: bool = True) -> StepError:
    """A StepError for ``exc`` raised while doing ``what`` (e.g. "入力: 申請入力.氏名")."""
    message = str(getattr(exc, "message", exc)).splitlines()[0] if str(exc) else type(exc).__name__
    if status is not None and status >= 500:
        return TargetSystemError(tr("{w}: 対象システムがエラーを返しました (HTTP {s})", "{w}: the target system answered HTTP {s}",
                                    w=what, s=status))
    if isinstance(exc, PlaywrightTimeoutError):
        if element:
            return ElementNotFound(tr("{w}: 画面上に要素が見つかりません（時間切れ）", "{w}: element not found in time",
                                      w=what))
        return StepTimeout(tr("{w}: 時間切れ", "{w}: timed out", w=what))
    if any(marker in message for marker in _NETWORK):
        return TargetSystemError(tr("{w}: 対象システムに接続できません: {m}", "{w}: cannot reach the target system: {m}",
                                    w=what, m=message))
    if isinstance(exc, TargetClosedError) or any(marker in message for marker in _CLOSED):
        return TargetSystemError(tr("{w}: ブラウザが閉じられました", "{w}: the browser was closed", w=what))
    target = next((t for source, t in MAPPED.items() if isinstance(exc, source)), StepError)
    return target(tr("{w}: ブラウザの操作に失敗しました: {m}", "{w}: the browser action failed: {m}",
                     w=what, m=message))

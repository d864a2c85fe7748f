"""The pages of one browser session (the main page and a popup) and its JavaScript dialogs.

Popups: a step that opens a new tab or window (``opens: popup``) waits for it and the session acts
on it from then on; ``browser.switch_page`` goes back and forth, ``browser.close_page`` closes it.

Dialogs (``alert``/``confirm``/``prompt``): Playwright leaves a page blocked until a dialog is
answered once anything listens for them, so every page of the session gets one handler that always
answers at once. A dialog a ``browser.dialog`` step declared is answered as declared; any other is
dismissed — a confirm is never silently accepted — and its message is kept for the session to fail
the step that raised it, as the record's input problem (対象システムのダイアログ: …). A declared
answer belongs to its record: when the next record starts, one no dialog used is dropped, and so
is a dismissed dialog no step was left to fail (:meth:`DialogDesk.clear`), so one record's
``browser.dialog`` never answers another record's dialog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from playwright.sync_api import Dialog, Page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bots.adapters.playwright_errors import translate
from bots.errors import InputRecordError, StepError, StepTimeout
from bots.i18n import tr


@dataclass(frozen=True)
class DialogAnswer:
    """What ``browser.dialog`` declared for the next dialog."""

    accept: bool = True
    #: The dialog's message must contain this, or it is dismissed and the record fails.
    text: str | None = None
    #: Typed into a ``prompt`` before accepting it.
    prompt: str | None = None


class DialogDesk:
    """Answers every dialog of a session's pages; remembers one nobody expected."""

    def __init__(self) -> None:
        self.armed: DialogAnswer | None = None
        self._refused: str | None = None

    def arm(self, answer: DialogAnswer) -> None:
        """Answer the next dialog like this (one dialog only)."""
        self.armed = answer

    def watch(self, page: Page) -> None:
        """Answer this page's dialogs (called for the main page and each popup)."""
        page.on("dialog", self._answer)

    def _answer(self, dialog: Dialog) -> None:
        answer, self.armed = self.armed, None
        message = " ".join(dialog.message.split())
        accept = answer is not None and answer.accept and (answer.text is None or answer.text in message)
        if answer is None:
            self._refused = tr("対象システムのダイアログ: {m}", "target system dialog: {m}", m=message or dialog.type)
        elif answer.text is not None and answer.text not in message:
            self._refused = tr("対象システムのダイアログ: {m}（期待した文言「{t}」を含みません）",
                               "target system dialog: {m} (expected it to contain {t!r})", m=message, t=answer.text)
        try:
            if accept and dialog.type == "prompt" and answer is not None and answer.prompt is not None:
                dialog.accept(answer.prompt)
            elif accept:
                dialog.accept()
            else:
                dialog.dismiss()
        except PlaywrightError:  # the page closed meanwhile: nothing is left to answer
            pass

    def take_refused(self) -> str | None:
        """The message of a dialog that was dismissed because nobody expected it (once)."""
        refused, self._refused = self._refused, None
        return refused

    def raise_refused(self, *, action_taken: bool | None = None, cause: Exception | None = None) -> None:
        """A dialog dismissed because no ``browser.dialog`` declared it fails the record as its input
        problem, with the dialog's message (対象システムのダイアログ: …)."""
        message = self.take_refused()
        if message is None:
            return
        error = InputRecordError(message)
        error.action_taken = action_taken
        raise error from cause

    def clear(self) -> tuple[DialogAnswer | None, str | None]:
        """A new record starts: drop the answer no dialog used and a refusal no step reported.
        Returns both (None when there was none) for the session to note in the run log."""
        dropped = (self.armed, self._refused)
        self.armed, self._refused = None, None
        return dropped


class PageSet:
    """The main page and at most one popup; ``current`` is where steps act."""

    def __init__(self, main: Page, adopt: Callable[[Page], None], changed: Callable[[], None]) -> None:
        self.main = main
        self.popup: Page | None = None
        self.current = main
        self._adopt = adopt  # wires a new page's listeners (responses, dialogs)
        self._changed = changed  # steps act on another page now (its error indicators differ)

    @contextmanager
    def opening_popup(self, timeout_ms: float) -> Iterator[None]:
        """Around an action that opens a new tab or window: wait for it, then act on it from now on."""
        try:
            with self.current.expect_popup(timeout=timeout_ms) as info:
                yield
            popup = info.value
            popup.wait_for_load_state("domcontentloaded", timeout=timeout_ms)
        except PlaywrightTimeoutError as exc:
            raise StepTimeout(tr("ポップアップ（新しいタブ・ウィンドウ）が開きませんでした",
                                 "no popup (new tab or window) opened")) from exc
        except PlaywrightError as exc:
            raise translate(exc, tr("ポップアップ", "popup"), element=False) from exc
        self.add_popup(popup)

    def switch_page(self, which: str) -> None:
        """Act on the ``main`` page or the ``popup`` from now on; no popup open fails the step."""
        try:
            self.switch(which)
        except LookupError as exc:
            raise StepError(str(exc)) from None

    def add_popup(self, page: Page) -> Page:
        """A popup the last step opened: steps act on it from now on (an older one is forgotten)."""
        self._adopt(page)
        self.popup = page
        self.current = page
        self._changed()
        return page

    def switch(self, which: str) -> Page:
        """Act on ``main`` or ``popup`` from now on."""
        if which == "popup":
            if self.popup is None or self.popup.is_closed():
                raise LookupError(tr("開いているポップアップがありません", "no popup is open"))
            self.current = self.popup
        else:
            self.current = self.main
        self._changed()
        return self.current

    def close_popup(self) -> Page:
        """Close the popup (if still open) and act on the main page again."""
        popup, self.popup = self.popup, None
        if popup is not None and not popup.is_closed():
            try:
                popup.close()
            except PlaywrightError:
                pass
        self.current = self.main
        self._changed()
        return self.current

"""Adapters a run owns (browsers, desktop sessions), opened lazily, closed once at run end.

Playwright is imported on the first browser step, not with the engine: a run of an Excel-only or
desktop flow never loads it, nor does ``validate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bots.errors import StepError
from bots.flow.expressions import render
from bots.i18n import tr
from bots.selectors.loader import selectors_path

if TYPE_CHECKING:
    from bots.adapters.browser import BrowserSession
    from bots.adapters.browser_pool import BrowserPool
    from bots.adapters.desktop import DesktopSession
    from bots.engine.context import RunContext
    from bots.flow.loader import LoadedFlow


class Resources:
    """The run's adapters by system name: opened on first use, so a flow starts only what it drives."""

    def __init__(self, *, headless: bool = True) -> None:
        self.headless = headless
        self._run: RunContext | None = None
        self._browsers: BrowserPool | None = None
        self._desktops: dict[str, DesktopSession] = {}

    def bind(self, run: RunContext) -> None:
        """Attach the run once it exists (the run context is itself built with these resources)."""
        self._run = run

    def _notify(self, kind: str, message: str, data: dict[str, Any]) -> None:
        if self._run is not None:
            self._run.listeners.notice(kind, message, data)

    @property
    def browsers(self) -> BrowserPool:
        """The browser pool, created on first use (a run without web steps never has one)."""
        if self._browsers is None:
            # lazy: Playwright loads with the first browser step of a run.
            from bots.adapters.browser_pool import BrowserPool

            self._browsers = BrowserPool(headless=self.headless, notify=self._notify)
        return self._browsers

    def browser(self, system: str, loaded: LoadedFlow) -> BrowserSession:
        """The open session of ``system``; opened on first use, with the selector map of the
        flow that names it (a sub-flow's own systems included)."""
        if self._browsers is not None and system in self._browsers.sessions:
            return self._browsers.sessions[system]
        if self._run is None or system not in loaded.flow.systems:
            raise StepError(tr("対象システム {s} のブラウザが開かれていません", "no browser open for system {s}", s=system))
        spec = loaded.flow.systems[system]
        base_url = render(spec.base_url, {"env": self._run.env_of(loaded), "inputs": self._run.inputs}) if spec.base_url else None
        return self.browsers.open(system, base_url, loaded.selector_maps.get(system))

    def open_sessions(self) -> list[BrowserSession]:
        """The browser sessions open now (a failed record's screenshot takes the first); opens none."""
        return list(self._browsers.sessions.values()) if self._browsers is not None else []

    def start_record(self) -> None:
        """A record starts: what the open browser sessions kept for the record before (an unused
        ``browser.dialog`` answer, an unreported dismissed dialog) is dropped; opens none."""
        for session in self.open_sessions():
            session.start_record()

    def desktop(self, system: str, loaded: LoadedFlow) -> DesktopSession:
        """The desktop session of ``system`` (its selector map, its launched applications)."""
        if system in self._desktops:
            return self._desktops[system]
        if self._run is None or system not in loaded.flow.systems:
            raise StepError(tr("対象システム {s} がフローにありません", "the flow has no system {s}", s=system))
        # lazy: OpenCV and the X11/Windows layer load only for flows with desktop steps.
        from bots.adapters.desktop import DesktopSession

        spec = loaded.flow.systems[system]
        map_file = selectors_path(self._run.project.selectors, spec.selectors or system)
        session = DesktopSession(system, loaded.selector_maps.get(system), map_file, self._notify,
                                 halt=self._run.halt)
        self._desktops[system] = session
        return session

    def close_desktop(self, system: str) -> None:
        """End one system's desktop session (``desktop.close``); its next desktop step opens a new one."""
        session = self._desktops.pop(system, None)
        if session is not None:
            session.close()

    def close(self) -> None:
        """End every adapter, at run end after teardown; calling it again does nothing."""
        for system in list(self._desktops):
            self.close_desktop(system)
        if self._browsers is not None:
            self._browsers.close()
            self._browsers = None

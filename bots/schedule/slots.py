"""Concurrency limits per target system, across schedules, within one scheduler process.

A run takes a slot on every system its flow touches, all at once or none (so two runs needing
the same two systems cannot deadlock), and waits for a free slot rather than failing. A limit
across runner PCs comes with the distributed (Celery) executor; this one is in-process.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable

_POLL_S = 0.5


class SystemSlots:
    """Counted slots per target system, shared by every run the daemon starts (see the module docstring)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._limits: dict[str, int] = {}
        self._busy: Counter[str] = Counter()

    def set_limits(self, limits: dict[str, int]) -> None:
        """The limit of each system (the smallest any schedule declares); takes effect at once."""
        with self._cond:
            self._limits = dict(limits)
            self._cond.notify_all()

    def _free(self, systems: Iterable[str]) -> bool:
        return all(self._busy[s] < self._limits.get(s, 1) for s in systems)

    def acquire(self, systems: tuple[str, ...], stop: threading.Event) -> bool:
        """Wait until every system has a free slot and take them; False if ``stop`` came first."""
        with self._cond:
            while not self._free(systems):
                if stop.is_set():
                    return False
                self._cond.wait(_POLL_S)
            if stop.is_set():
                return False
            self._busy.update(systems)
            return True

    def release(self, systems: tuple[str, ...]) -> None:
        """Give back the slots :meth:`acquire` took and wake the runs waiting for them."""
        with self._cond:
            self._busy.subtract(systems)
            self._cond.notify_all()

    def busy(self, system: str) -> int:
        """How many runs hold a slot on ``system`` now."""
        with self._cond:
            return self._busy[system]


def limits_of(schedules: Iterable[tuple[tuple[str, ...], int]]) -> dict[str, int]:
    """Per system, the smallest limit among the schedules that use it."""
    limits: dict[str, int] = {}
    for systems, limit in schedules:
        for system in systems:
            limits[system] = min(limit, limits.get(system, limit))
    return limits

"""Per-system concurrency slots shared by schedules, with real threads: a limit of 1 never lets
two runs overlap, a run needing two systems takes both or waits, a stop ends the wait."""

from __future__ import annotations

import threading
import time

from bots.schedule.slots import SystemSlots, limits_of


def test_limit_one_serialises_runs_of_different_schedules() -> None:
    slots = SystemSlots()
    slots.set_limits({"demo_web": 1})
    stop = threading.Event()
    inside: list[int] = []
    peak: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        assert slots.acquire(("demo_web",), stop)
        with lock:
            inside.append(1)
            peak.append(len(inside))
        time.sleep(0.01)  # holding the slot: the work a run does
        with lock:
            inside.pop()
        slots.release(("demo_web",))

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(peak) == 6 and max(peak) == 1 and slots.busy("demo_web") == 0


def test_two_systems_are_taken_together_or_not_at_all() -> None:
    slots = SystemSlots()
    slots.set_limits({"web": 1, "mainframe": 2})
    stop = threading.Event()
    assert slots.acquire(("web",), stop)
    waiting = threading.Thread(target=lambda: slots.acquire(("mainframe", "web"), stop))
    waiting.start()
    waiting.join(0.8)
    assert waiting.is_alive() and slots.busy("mainframe") == 0  # mainframe not held while web is busy
    slots.release(("web",))
    waiting.join(5)
    assert not waiting.is_alive() and slots.busy("mainframe") == 1 and slots.busy("web") == 1


def test_a_stop_ends_the_wait_without_taking_a_slot() -> None:
    slots = SystemSlots()
    stop = threading.Event()
    assert slots.acquire(("web",), stop)  # unknown systems default to one session
    result: list[bool] = []
    waiting = threading.Thread(target=lambda: result.append(slots.acquire(("web",), stop)))
    waiting.start()
    stop.set()
    waiting.join(5)
    assert result == [False] and slots.busy("web") == 1


def test_the_smallest_declared_limit_of_a_system_wins() -> None:
    assert limits_of([(("web", "db"), 3), (("web",), 1), ((), 5)]) == {"web": 1, "db": 3}

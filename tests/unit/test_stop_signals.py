"""Issue 16: what repeated stop requests mean, with real signals to this process.

First: finish the record in flight, then stop. Second: abort now — except while the run writes
its results (``settling``): then it only says so, and a third quits without them.
"""

from __future__ import annotations

import signal
import threading

import pytest

from bots.api.signals import graceful_stop
from bots.platform.interrupts import is_settling, settling


def test_first_stops_second_aborts() -> None:
    stop, said = threading.Event(), []
    with graceful_stop(stop, said.append):
        signal.raise_signal(signal.SIGINT)
        assert stop.is_set() and "停止の指示を受けました" in said[-1]
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    assert "強制停止します" in said[-1]


def test_while_the_results_are_written_a_second_stop_only_warns_and_a_third_quits() -> None:
    stop, said = threading.Event(), []
    with graceful_stop(stop, said.append):
        signal.raise_signal(signal.SIGTERM)
        with settling():
            assert is_settling()
            signal.raise_signal(signal.SIGINT)  # must not cut the results off
            assert "結果を保存しています" in said[-1]
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signal.SIGINT)
        assert "結果を保存せずに終了します" in said[-1]
    assert not is_settling()


def test_the_previous_handlers_are_restored() -> None:
    before = signal.getsignal(signal.SIGINT)
    with graceful_stop(threading.Event(), lambda text: None):
        assert signal.getsignal(signal.SIGINT) is not before
    assert signal.getsignal(signal.SIGINT) is before

"""The words staff read for a run's state, the same in the menu, the progress and the summary window."""

from __future__ import annotations

from bots.i18n import tr
from bots.results.model import run_status_label


def status_word(status: str | None) -> str:
    """A run status (``completed``, ``stopped`` …) as one word: 完了 / 停止 / 中断 / 失敗 …"""
    if status == "invalid":  # refused before anything was keyed: to staff it did not run
        return tr("失敗", "failed")
    return run_status_label(status) if status else "?"


def hotkey_label(combo: str) -> str:
    """``ctrl+shift+f12`` (or pynput's ``<ctrl>+<shift>+<f12>``) as staff read it: ``Ctrl+Shift+F12``."""
    parts = [p.strip().strip("<>") for p in combo.split("+") if p.strip()]
    return "+".join(p.upper() if len(p) == 1 or (p[:1].lower() == "f" and p[1:].isdigit()) else p.capitalize()
                    for p in parts)


def duration(seconds: float | None) -> str:
    """``1:05`` (minutes:seconds), ``1:02:05`` past an hour, ``-`` when unknown."""
    if seconds is None or seconds < 0:
        return "-"
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"

"""The words staff read for a run's state, the same in the menu, the progress and the summary window."""

from __future__ import annotations

from bots.i18n import tr


def status_word(status: str | None) -> str:
    """A run status (``completed``, ``stopped`` …) as one word: 完了 / 停止 / 中止 / 失敗 …"""
    words = {
        "completed": tr("完了", "completed"),
        "stopped": tr("停止", "stopped"),
        "aborted": tr("中止", "aborted"),
        "failed": tr("失敗", "failed"),
        "invalid": tr("失敗", "failed"),  # refused before anything was keyed: to staff it did not run
        "interrupted": tr("中断", "interrupted"),
        "running": tr("実行中", "running"),
    }
    return words.get(status or "", status or "?")


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

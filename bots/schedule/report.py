"""What the scheduler tells people: the audit ledger (always), the console, and mail.

Ledger event types (``actor`` = ``scheduler``): ``scheduler_started``/``scheduler_stopped``,
``schedule_loaded``, ``schedule_reloaded``, ``schedule_invalid``, ``schedule_removed``,
``schedule_fired`` (a scheduled run ended, with its run id), ``schedule_misfire`` (a fire time
that did not run when due, with why and what was decided), ``schedule_catch_up`` (a late run of
a missed fire time starts), ``schedule_skipped_closed_day``, ``schedule_retry`` and
``notify_failed``. A mail that cannot be sent is itself audited: nothing is silent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Console
from rich.markup import escape

from bots.audit.writer import LedgerWriter
from bots.errors import NotifyError
from bots.i18n import tr
from bots.schedule.calendar import weekday_ja
from bots.schedule.model import NotifyOn, NotifySpec, Schedule
from bots.schedule.notify import Mailer

ACTOR = "scheduler"


def when(at: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """``2026-12-28(月) 22:00`` (seconds only when not zero)."""
    local = at.astimezone(zone) if zone else at
    clock = "%H:%M:%S" if local.second else "%H:%M"
    return f"{local:%Y-%m-%d}({weekday_ja(local.date())}) {local.strftime(clock)}"


class Reporter:
    """The scheduler's one voice: every event goes to the ledger, the console and, where asked, mail."""

    def __init__(self, writer: LedgerWriter, mailer: Mailer, console: Console) -> None:
        self.writer, self.mailer, self.console = writer, mailer, console

    def audit(self, kind: str, data: dict[str, Any], run_id: str | None = None) -> None:
        """Append one ledger entry as ``scheduler`` (the module docstring lists the event types)."""
        self.writer.append(kind, ACTOR, run_id, data)

    def say(self, text: str, style: str = "") -> None:
        """Print a line on the console; ``text`` is escaped, so ``[...]`` in names prints as written."""
        self.console.print(f"[{style}]{escape(text)}[/]" if style else escape(text), highlight=False)

    def mail(self, notify: NotifySpec, on: NotifyOn, subject: str, body: str, schedule_id: str) -> None:
        """Mail ``notify.to`` if it asked for ``on``; a failure to send is audited and shown."""
        if on not in notify.on or not notify.to:
            return
        try:
            self.mailer.send(notify.to, f"[Kazaguruma] {subject}", body)
        except NotifyError as exc:
            self.audit("notify_failed", {"schedule": schedule_id, "about": on, "error": str(exc)})
            self.say(str(exc), "red")

    def misfire(self, schedule_id: str, schedule: Schedule, fire_time: dt.datetime, reason: str,
                decision: str) -> None:
        """One fire time that did not run when due: audited, shown and mailed."""
        local = fire_time.astimezone(schedule.trigger.zone)
        self.audit("schedule_misfire", {"schedule": schedule_id, "fire_time": local.isoformat(),
                                        "reason": reason, "decision": decision})
        text = tr("予定どおり実行されませんでした: {s}（{t}）理由: {r} → {d}",
                  "missed: {s} ({t}) because {r} → {d}", s=schedule_id, t=when(local), r=_text(_REASONS, reason),
                  d=_text(_DECISIONS, decision))
        self.say(text, "yellow")
        self.mail(schedule.notify, "misfire", tr("実行漏れ: {t}", "missed run: {t}", t=schedule.title), text, schedule_id)


#: (日本語, English) pairs, translated when used (the language may be set after import).
_REASONS = {"daemon_down": ("スケジューラが停止していた", "the scheduler was not running"),
            "late": ("猶予時間を過ぎた", "later than the grace time"),
            "stopped": ("開始前にスケジューラが停止した", "the scheduler stopped before the run began"),
            "still_running": ("前回の実行がまだ続いていた", "earlier runs were still going")}
_DECISIONS = {"catch_up": ("遅れて実行します", "running it late"),
              "coalesced": ("まとめて 1 回だけ実行します", "coalesced into one run"),
              "skipped": ("実行しません", "not run")}


def _text(pairs: dict[str, tuple[str, str]], key: str) -> str:
    return tr(*pairs[key]) if key in pairs else key

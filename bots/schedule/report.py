"""What the scheduler tells people: the audit ledger (always), the console, and mail.

Ledger event types (``actor`` = ``scheduler``): ``scheduler_started``/``scheduler_stopped``,
``schedule_loaded``, ``schedule_reloaded``, ``schedule_invalid``, ``schedule_removed``,
``schedule_fired`` (a scheduled run ended, with its run id), ``schedule_misfire`` (a fire time
that did not run when due, with why and what was decided), ``schedule_catch_up`` (a late run of
a missed fire time starts), ``schedule_skipped_closed_day``, ``schedule_retry``,
``schedule_pending_restored`` (a catch-up or retry kept across a restart), ``schedule_pending_unsaved``
(one that could not be kept) and ``notify_failed``. A mail that cannot be sent is itself
audited: nothing is silent.

Misfire mail is per outage, not per fire time: a schedule's outage opens at its first miss and
closes when one of its runs begins (or the daemon stops). The first batch of misses is mailed at
once, in one mail (a downtime's misses are one batch); misses that follow while the outage is
open are held and mailed together when it closes. So a daemon down for a day under a 5-minute
schedule sends one mail, and a run that keeps a frequent schedule "still running" for hours sends
two; the ledger keeps one ``schedule_misfire`` entry per fire time either way.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
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
        self._lock = threading.Lock()  # the scheduler's thread and the run threads report at once
        self._outages: dict[str, _Outage] = {}

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
        """One fire time that did not run when due (see :meth:`misfires`)."""
        self.misfires(schedule_id, schedule, [Miss(fire_time, reason, decision)])

    def misfires(self, schedule_id: str, schedule: Schedule, misses: list[Miss]) -> None:
        """Fire times found missed together: one ledger entry and console line each, and at most
        one mail for all of them (held while the schedule's outage is already mailed)."""
        if not misses:
            return
        zone = schedule.trigger.zone
        lines = []
        for miss in misses:
            local = miss.fire_time.astimezone(zone)
            self.audit("schedule_misfire", {"schedule": schedule_id, "fire_time": local.isoformat(),
                                            "reason": miss.reason, "decision": miss.decision})
            line = tr("予定どおり実行されませんでした: {s}（{t}）理由: {r} → {d}",
                      "missed: {s} ({t}) because {r} → {d}", s=schedule_id, t=when(local),
                      r=_text(_REASONS, miss.reason), d=_text(_DECISIONS, miss.decision))
            self.say(line, "yellow")
            lines.append(line)
        with self._lock:
            outage = self._outages.get(schedule_id)
            if outage is not None:  # bounded: an outage of days under an every-second schedule
                outage.held.extend(lines[:_MAX_LINES - len(outage.held)])
                outage.count += len(lines)
                return
            self._outages[schedule_id] = _Outage(schedule)
        self._mail_misses(schedule_id, schedule, lines, len(lines), follow_up=False)

    def outage_over(self, schedule_id: str) -> None:
        """A run of the schedule begins: its outage closes, and misses held since its mail go out in one."""
        with self._lock:
            outage = self._outages.pop(schedule_id, None)
        if outage is not None and outage.count:
            self._mail_misses(schedule_id, outage.schedule, outage.held, outage.count, follow_up=True)

    def close_outages(self) -> None:
        """The daemon stops: every open outage closes (held misses are mailed)."""
        with self._lock:
            open_ids = sorted(self._outages)
        for schedule_id in open_ids:
            self.outage_over(schedule_id)

    def _mail_misses(self, schedule_id: str, schedule: Schedule, lines: list[str], count: int,
                     follow_up: bool) -> None:
        if follow_up:
            subject = tr("実行漏れ（続き）: {t}（{n}件）", "missed runs (continued): {t} ({n})", t=schedule.title, n=count)
        elif count > 1:
            subject = tr("実行漏れ: {t}（{n}件）", "missed runs: {t} ({n})", t=schedule.title, n=count)
        else:
            subject = tr("実行漏れ: {t}", "missed run: {t}", t=schedule.title)
        # (no space before 件 in a subject: RFC 2047 decoding drops spaces between encoded words)
        shown = lines[:_MAX_LINES]
        more = [tr("ほか {n} 件（監査ログに 1 件ずつ記録しています）", "and {n} more (each is in the audit ledger)",
                   n=count - len(shown))] if count > len(shown) else []
        head = tr("{n} 件の予定時刻が予定どおり実行されませんでした。", "{n} fire time(s) did not run when due.", n=count)
        note = ([tr("この停止が続く間の実行漏れは、再開したときにまとめてお知らせします。",
                    "further misses while this lasts are mailed together when runs resume.")]
                if not follow_up else [])
        self.mail(schedule.notify, "misfire", subject, "\n".join([head, "", *shown, *more, "", *note]).rstrip(),
                  schedule_id)


@dataclass(frozen=True)
class Miss:
    """A fire time that did not run when due: why (``reason``) and what was decided."""

    fire_time: dt.datetime
    reason: str
    decision: str


@dataclass
class _Outage:
    """A schedule's open outage: its first misses were mailed; ``count`` more since, the first
    ``held`` of them listed in the next mail."""

    schedule: Schedule
    held: list[str] = field(default_factory=list)
    count: int = 0


#: At most this many fire times are listed in one mail; the rest are counted (all are in the ledger).
_MAX_LINES = 50

#: (日本語, English) pairs, translated when used (the language may be set after import).
_REASONS = {"daemon_down": ("スケジューラが停止していた", "the scheduler was not running"),
            "moved_past": ("休業日から前の営業日へ移した時刻が既に過ぎていた",
                           "moved from a closed day to an earlier open day, a time already past"),
            "late": ("猶予時間を過ぎた", "later than the grace time"),
            "stopped": ("開始前にスケジューラが停止した", "the scheduler stopped before the run began"),
            "still_running": ("前回の実行がまだ続いていた", "earlier runs were still going")}
_DECISIONS = {"catch_up": ("遅れて実行します", "running it late"),
              "coalesced": ("まとめて 1 回だけ実行します", "coalesced into one run"),
              "deferred": ("次にスケジューラを起動したときに実行します", "runs when the scheduler starts again"),
              "skipped": ("実行しません", "not run")}


def _text(pairs: dict[str, tuple[str, str]], key: str) -> str:
    return tr(*pairs[key]) if key in pairs else key

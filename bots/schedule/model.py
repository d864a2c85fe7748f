"""A schedule file (``schedules/<id>.yaml``) as a frozen model: which flow, when, on which days.

Everything is checked at load time (cron syntax, time zone, input patterns), so a typo is a
``file:line:col`` error in ``schedule validate`` rather than a silent miss at 22:00.
Mail server settings and passwords are not here: they come from the environment (``notify.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from bots.i18n import tr
from bots.schedule.cron import cron_trigger
from bots.spec.types import Duration, FrozenModel

ClosedDayPolicy = Literal["skip", "previous", "next"]
NotifyOn = Literal["failure", "success", "misfire"]
#: A fixed day to format input patterns with while validating (a 29 February, two-digit parts).
_SAMPLE_DAY = dt.datetime(2028, 2, 29, 22, 5, 9)


class TriggerSpec(FrozenModel):
    """Exactly one of ``cron`` (分 時 日 月 曜日), ``every`` (an interval) or ``at`` (once)."""

    cron: str | None = None
    every: Duration | None = None
    at: dt.datetime | None = None
    timezone: str = "Asia/Tokyo"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(tr("不明なタイムゾーンです: {v}", "unknown time zone: {v}", v=value)) from exc
        return value

    @field_validator("cron")
    @classmethod
    def _cron_syntax(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                cron_trigger(value, dt.UTC)
            except ValueError as exc:
                raise ValueError(tr("cron 式が正しくありません（分 時 日 月 曜日）: {e}",
                                    "invalid cron expression (minute hour day month weekday): {e}", e=exc)) from exc
        return value

    def describe(self) -> str:
        """The rule in one line, as ``schedule list`` and the 管理台帳 show it (``cron 0 22 * * * Asia/Tokyo``)."""
        rule = f"cron {self.cron}" if self.cron else (f"every {self.every:g}s" if self.every else f"at {self.at}")
        return f"{rule} {self.timezone}"

    @field_validator("every")
    @classmethod
    def _at_least_a_second(cls, value: float | None) -> float | None:
        if value is not None and value < 1:
            raise ValueError(tr("間隔は 1 秒以上にしてください", "the interval must be at least 1 s"))
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> TriggerSpec:
        given = [name for name in ("cron", "every", "at") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(tr("cron・every・at のどれか一つを書いてください", "give exactly one of cron, every, at"))
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The schedule's time zone (validated at load time, so this cannot fail)."""
        return ZoneInfo(self.timezone)


class Blackout(FrozenModel):
    """A period without runs, e.g. 当初課税の繁忙期 when the core system is reserved for staff."""

    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    reason: str = "実行停止期間"

    @model_validator(mode="after")
    def _ordered(self) -> Blackout:
        if self.end < self.start:
            raise ValueError(tr("to は from 以降の日付にしてください", "'to' must not be before 'from'"))
        return self


class CalendarSpec(FrozenModel):
    """Which days runs may happen on, and what becomes of a fire time on a closed day."""

    business_days_only: bool = True
    #: 12/29–1/3 closed (with business_days_only).
    year_end_closure: bool = True
    closed_days: tuple[dt.date, ...] = ()
    blackouts: tuple[Blackout, ...] = ()
    on_closed_day: ClosedDayPolicy = "skip"


class MisfireSpec(FrozenModel):
    """A fire time missed by up to ``grace`` still runs; ``coalesce`` runs several missed ones once."""

    grace: Duration = 3600.0
    coalesce: bool = True
    after_downtime: Literal["catch_up", "skip"] = "catch_up"


class ConcurrencySpec(FrozenModel):
    """At most ``limit`` runs at once per target system (a core system often allows one session per ID)."""

    systems: tuple[str, ...] | None = None  # None: the systems the flow declares
    limit: int = Field(1, ge=1, le=50)


class RetrySpec(FrozenModel):
    """Retries of a run that failed as a whole; failed records wait for people and are never retried."""

    count: int = Field(0, ge=0, le=10)
    delay: Duration = 600.0


class NotifySpec(FrozenModel):
    """Who gets mail, and about which outcomes (by default only what needs someone to act)."""

    to: tuple[str, ...] = ()
    on: tuple[NotifyOn, ...] = ("failure", "misfire")

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if "@" not in address or any(ch.isspace() for ch in address):
                raise ValueError(tr("メールアドレスではありません: {a}", "not a mail address: {a}", a=address))
        return value


class Schedule(FrozenModel):
    """One ``schedules/<id>.yaml``: which flow runs, with which inputs, when, and what happens around it."""

    title: str
    flow: str
    enabled: bool = True
    #: Values for the flow's inputs; strings may use the fire time: ``data/{date:%Y%m%d}/申請一覧.xlsx``.
    inputs: dict[str, str | int | bool] = {}
    trigger: TriggerSpec
    calendar: CalendarSpec = CalendarSpec()
    misfire: MisfireSpec = MisfireSpec()
    concurrency: ConcurrencySpec = ConcurrencySpec()
    retries: RetrySpec = RetrySpec()
    notify: NotifySpec = NotifySpec()

    @field_validator("inputs")
    @classmethod
    def _patterns(cls, value: dict[str, str | int | bool]) -> dict[str, str | int | bool]:
        for name, item in value.items():
            if isinstance(item, str):
                try:
                    item.format(date=_SAMPLE_DAY)
                except (KeyError, IndexError, ValueError) as exc:
                    raise ValueError(tr("入力 {n} の書式が正しくありません（使えるのは {{date:%Y%m%d}} など）: {e}",
                                        "input {n}: bad pattern (use e.g. {{date:%Y%m%d}}): {e}", n=name, e=exc)) from exc
        return value

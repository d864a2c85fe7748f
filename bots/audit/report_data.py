"""What an audit report holds, gathered once for both formats (HTML and xlsx): the period's runs
with their record outcomes from the run store, the selector-drift entries and event counts of
the ledgers, and the integrity of every ledger (the ``audit verify`` result)."""

from __future__ import annotations

import datetime as dt
import socket
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bots.audit.entry import EventType
from bots.audit.query import (
    Integrity,
    LedgerEvent,
    audit_root,
    check_integrity,
    events,
    ledger_folders,
    recorded_heads,
)
from bots.audit.writer import default_actor
from bots.i18n import tr
from bots.store.rows import RecordRow, RunRow
from bots.store.store import RunStore


@dataclass(frozen=True)
class ReportData:
    """Everything one audit report shows, gathered once so HTML and xlsx cannot disagree."""

    date_from: dt.date
    date_to: dt.date
    generated_at: dt.datetime
    generated_by: str
    integrity: Integrity
    runs: tuple[RunRow, ...]
    drift: tuple[LedgerEvent, ...]
    event_counts: dict[str, int]

    @property
    def records(self) -> list[RecordRow]:
        """Every record of every run in the period, in run order."""
        return [record for run in self.runs for record in run.records]

    @property
    def runs_by_id(self) -> dict[str, RunRow]:
        """The period's runs by id, to put run and flow beside each record."""
        return {run.run_id: run for run in self.runs}

    @property
    def flows_by_run(self) -> dict[str, str]:
        """Flow id by run id, to name the flow of a drift entry (the ledger keeps only run ids)."""
        return {run.run_id: run.flow_id for run in self.runs}

    @property
    def period(self) -> str:
        """The period as the report's header shows it."""
        return f"{self.date_from.isoformat()} ～ {self.date_to.isoformat()}"


def title() -> str:
    """The report's title, shared by both formats (and the workbook's properties)."""
    return tr("Kazaguruma 監査報告書", "Kazaguruma audit report")


def masking_note() -> str:
    """What an auditor must know about masked values before reading the report."""
    return tr(
        "この報告書の内容は記録時点でマスク済みのデータから作成しています。マイナンバーは下 4 桁だけを残して"
        "「********1234」のように、フローで機微と指定された項目も下 4 桁だけを残して表示します（生年月日などの日付は"
        "「****」）。パスワードなどの秘密情報は「［秘匿］」と表示し、元の値は実行記録にも監査台帳にも残していません。"
        "入力ファイルは名前と SHA-256 だけを記録しています。",
        "This report is built from data masked when it was recorded. マイナンバー (My Number) show only their "
        "last 4 digits, as in \"********1234\"; fields the flow marks as sensitive show only their last 4 characters "
        "(dates such as birth dates show \"****\"). Passwords and other secrets appear as \"［秘匿］\" and their "
        "values are kept neither in the run store nor in the audit ledger. Input files are recorded by name and "
        "SHA-256 only.")


def build_report(store: RunStore, logs: Path, date_from: dt.date, date_to: dt.date, *, key: bytes | None,
                 now: dt.datetime | None = None) -> ReportData:
    """Everything a report shows for the local dates ``[date_from, date_to]``."""
    root = audit_root(logs)
    integrity = check_integrity(root, key=key, heads=recorded_heads(store), whole=True)
    runs = []
    for listed in store.list_runs(date_from, date_to):
        run = store.get_run(listed.run_id)
        runs.append(run if run is not None else listed)
    entries = events(ledger_folders(root), date_from, date_to)
    drift = tuple(e for e in entries if e.type == EventType.SELECTOR_DRIFT)
    counts = dict(sorted(Counter(e.type for e in entries).items()))
    return ReportData(date_from, date_to, (now or dt.datetime.now()).astimezone(),
                      f"{default_actor()} @ {socket.gethostname()}", integrity, tuple(runs), drift, counts)

"""The RPA 管理台帳: one row per bot, as ``flows list`` prints it and ``--format xlsx`` files it.

Columns are what a municipality's RPA guideline asks the 情報政策係 to keep for every robot:
who owns it and who takes it over, what it touches (systems, their network zone, the personal
data), when it runs, which version is approved until when, and how it has been running.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bots.audit.report_tables import Grid
from bots.catalogue.build import ACTIVITY_DAYS, Catalogue
from bots.catalogue.entry import CatalogueEntry
from bots.catalogue.workbook import write_grid_workbook
from bots.governance.gate import status_text
from bots.governance.staff import Person
from bots.i18n import listing, tr
from bots.results.model import run_status_label
from bots.spec.governance_types import data_class_label, zone_label


def person_text(person: Person | None, reference: str | None) -> str:
    """``氏名（所属）`` when the directory knows the person, else what the flow says, marked."""
    if person is not None:
        return person.label() + ("" if person.active else tr("【異動・退職】", " [left]"))
    if not reference:
        return tr("（なし）", "(none)")
    return reference + tr("【名簿にない】", " [not in directory]")


def _headers() -> tuple[str, ...]:
    return (tr("ID", "ID"), tr("名称", "title"), tr("所管課", "department"), tr("所有者", "owner"),
            tr("副担当", "deputy"), tr("対象システム", "target systems"), tr("ネットワーク（三層）", "network zone"),
            tr("扱う個人情報", "personal data"), tr("入力", "inputs"), tr("スケジュール", "schedules"),
            tr("版", "version"), tr("承認状態", "approval"), tr("承認者", "approvers"), tr("承認日", "approved at"),
            tr("次回見直し", "review due"), tr("最終実行", "last run"), tr("最終結果", "last result"),
            tr("{n}日の実行回数", "runs ({n} days)", n=ACTIVITY_DAYS),
            tr("{n}日の処理件数", "records ({n} days)", n=ACTIVITY_DAYS), tr("ファイル", "file"))


def _row(entry: CatalogueEntry) -> tuple[str | int | dt.datetime | None, ...]:
    approval = entry.approval
    zones = listing(dict.fromkeys(zone_label(s.zone) for s in entry.systems)) or "-"
    due = approval.review_due if approval else None
    return (entry.flow_id, entry.title or tr("（読み込めません）", "(cannot be loaded)"), entry.department or "-",
            person_text(entry.owner, entry.owner_ref), person_text(entry.deputy, entry.deputy_ref),
            listing(s.title for s in entry.systems) or "-", zones,
            listing(data_class_label(d) for d in entry.data_classes) or "-", listing(entry.inputs) or "-",
            "\n".join(f"{s.id}: {s.when}" + ("" if s.enabled else tr("（無効）", " (disabled)"))
                      for s in entry.schedules) or tr("手動", "manual"),
            entry.version or "-", status_text(approval) if approval else "-",
            listing(approval.approvers) if approval and approval.approvers else "-",
            approval.approved_at if approval else None, due.isoformat() if due else "-",
            entry.runs.last_run_at, run_status_label(entry.runs.last_status), entry.runs.runs_30d,
            entry.runs.records_30d, entry.shown)


def _tone(entry: CatalogueEntry) -> str:
    if entry.loaded is None or entry.runs.last_status in ("failed", "aborted"):
        return "fail"
    if entry.approval is not None and entry.approval.status != "approved":
        return "warn"
    return ""


#: The columns ``flows list`` shows on a terminal (the workbook has them all).
COMPACT_COLUMNS = (0, 1, 2, 3, 4, 6, 11, 15, 16)


def register_grid(catalogue: Catalogue, *, compact: bool = False) -> Grid:
    """The 管理台帳 as a table, bots sorted by 所管課 then id; ``compact``: the terminal's columns."""
    headers = _headers()
    grid = Grid(tuple(headers[i] for i in COMPACT_COLUMNS) if compact else headers)
    for entry in sorted(catalogue.entries, key=lambda e: (e.department or "", e.flow_id)):
        row = _row(entry)
        grid.add(tuple(row[i] for i in COMPACT_COLUMNS) if compact else row, _tone(entry))
    return grid


def write_register(catalogue: Catalogue, path: Path) -> Path:
    """Write the 管理台帳 workbook (one sheet, a title row above the table)."""
    heading = tr("RPA 管理台帳（{t} 作成）", "RPA register (generated {t})", t=catalogue.built_at.strftime("%Y-%m-%d %H:%M"))
    return write_grid_workbook(path, tr("RPA管理台帳", "RPA register"), register_grid(catalogue), heading)

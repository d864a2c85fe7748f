"""``flows health``: the 野良ロボット report. Flags every bot a municipality could lose track of.

Each finding names the flow, what is wrong and what to do, so the 情報政策係 can act on the list
without reading code: a bot without a deputy, an owner who transferred, a bot that has not
succeeded for weeks or keeps failing, a screen that drifted, an approval overdue for review, a
file nobody approved, runs of a flow that is no longer on disk, a schedule pointing at an
unapproved flow.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from bots.audit.entry import EventType
from bots.audit.query import audit_root, events, ledger_folders
from bots.audit.report_tables import Grid
from bots.catalogue.build import Catalogue
from bots.catalogue.entry import CatalogueEntry
from bots.governance.gate import status_text
from bots.i18n import tr
from bots.store.store import RunStore

FAILED_STATUSES = frozenset({"failed", "aborted", "interrupted", "invalid"})


@dataclass(frozen=True)
class Finding:
    """One problem: which flow (or file, or flow id), its code, and a sentence saying what to do."""

    subject: str
    code: str
    message: str


def _people(entry: CatalogueEntry, staff_known: bool) -> list[Finding]:
    found = []
    if not entry.deputy_ref:
        found.append(Finding(entry.flow_id, "no_deputy", tr(
            "副担当がいません。引き継げる人を deputy に書いてください", "no deputy: name who takes it over in deputy")))
    if not staff_known:
        return found
    for role, reference, person in (("owner", entry.owner_ref, entry.owner), ("deputy", entry.deputy_ref, entry.deputy)):
        label = tr("所有者", "owner") if role == "owner" else tr("副担当", "deputy")
        if reference and person is None:
            found.append(Finding(entry.flow_id, f"{role}_unknown", tr(
                "{l}「{r}」が職員名簿にいません（異動・退職？）。現在の担当者に書き換えてください",
                "{l} '{r}' is not in the staff directory (transferred or left?); name the current one",
                l=label, r=reference)))
        elif person is not None and not person.active:
            found.append(Finding(entry.flow_id, f"{role}_inactive", tr(
                "{l} {p} は異動・退職済みです。引き継ぎ先を書いてください", "{l} {p} has left; name who took it over",
                l=label, p=person.label())))
    return found


def _runs(entry: CatalogueEntry, catalogue: Catalogue, now: dt.datetime) -> list[Finding]:
    settings = catalogue.settings
    found = []
    runs = entry.runs
    stale = now - dt.timedelta(days=settings.stale_after_days)
    approved_recently = entry.approval is not None and entry.approval.approved_at is not None \
        and entry.approval.approved_at >= stale
    if (runs.last_success_at is None or runs.last_success_at < stale) and not approved_recently:
        last = runs.last_success_at.astimezone().strftime("%Y-%m-%d") if runs.last_success_at else tr("なし", "never")
        found.append(Finding(entry.flow_id, "no_recent_success", tr(
            "{n} 日以上成功した実行がありません（最後の成功: {l}）。使われていないなら廃止を、使うなら原因の確認を",
            "no successful run for {n} days (last success: {l}); retire it if unused, else find out why",
            n=settings.stale_after_days, l=last)))
    streak = settings.failure_streak
    if len(runs.recent_statuses) >= streak and all(s in FAILED_STATUSES for s in runs.recent_statuses[:streak]):
        found.append(Finding(entry.flow_id, "repeated_failures", tr(
            "直近 {n} 回の実行がすべて失敗・中止です", "the last {n} runs all failed or were aborted", n=streak)))
    return found


def _approval(entry: CatalogueEntry, today: dt.date) -> list[Finding]:
    approval = entry.approval
    if approval is None:
        return []
    if approval.status != "approved":
        what = tr("一度も承認されていない（台帳に未登録の）フローです", "never approved (not in the register)") \
            if approval.status == "unapproved" else status_text(approval)
        return [Finding(entry.flow_id, "not_approved", tr(
            "{w}。内容を確認して flows approve で承認してください", "{w}; review it and approve with flows approve",
            w=what))]
    if approval.review_due is not None and approval.review_due < today:
        return [Finding(entry.flow_id, "review_overdue", tr(
            "承認の見直し期限（{d}）を過ぎています。内容を確認し、もう一度承認してください",
            "the approval was due for review on {d}; review the flow and approve it again",
            d=approval.review_due.isoformat()))]
    return []


def _drift(catalogue: Catalogue, store: RunStore, logs: Path, now: dt.datetime) -> dict[str, int]:
    """Selector-drift entries in the window, counted per flow id."""
    first = (now - dt.timedelta(days=catalogue.settings.drift_window_days)).date()
    found = events(ledger_folders(audit_root(logs)), first, now.date(), frozenset({EventType.SELECTOR_DRIFT}))
    if not found:
        return {}
    flow_of = {run.run_id: run.flow_id for run in store.list_runs(first, now.date())}
    counts: dict[str, int] = {}
    for event in found:
        if event.run_id and event.run_id in flow_of:
            counts[flow_of[event.run_id]] = counts.get(flow_of[event.run_id], 0) + 1
    return counts


def health(catalogue: Catalogue, store: RunStore, logs: Path, now: dt.datetime | None = None) -> list[Finding]:
    """Every finding, flows in catalogue order, then the installation-wide ones."""
    now = now or dt.datetime.now().astimezone()
    staff_known = bool(catalogue.staff.people)
    drift = _drift(catalogue, store, logs, now)
    found: list[Finding] = []
    if not staff_known:
        found.append(Finding("config", "no_staff_directory", tr(
            "職員名簿がありません（所有者・副担当が在籍しているか確認できません）: kazaguruma.yaml の governance.staff",
            "no staff directory (owners and deputies cannot be checked): governance.staff in kazaguruma.yaml")))
    for entry in catalogue.entries:
        if entry.loaded is None:
            found.append(Finding(entry.shown, "invalid_flow", tr(
                "フロー定義にエラーがあり読み込めません（runner.py validate {p}）",
                "the flow file has errors and cannot be loaded (runner.py validate {p})", p=entry.shown)))
            continue
        found.extend(_people(entry, staff_known))
        found.extend(_runs(entry, catalogue, now))
        if drift.get(entry.flow_id):
            found.append(Finding(entry.flow_id, "selector_drift", tr(
                "直近 {d} 日にセレクタのずれが {n} 件ありました。runner.py selectors propose で修正案を作れます",
                "{n} selector drift entries in the last {d} days; runner.py selectors propose drafts a fix",
                d=catalogue.settings.drift_window_days, n=drift[entry.flow_id])))
        found.extend(_approval(entry, now.date()))
    found.extend(Finding(flow_id, "runs_without_flow", tr(
        "このフローの実行記録がありますが、フローのファイルが flows/ にありません（どこで動いている？）",
        "runs of this flow are recorded, but its file is not under flows/ (where does it run?)"))
        for flow_id in catalogue.runs_without_flow)
    found.extend(Finding(flow_id, "approved_without_flow", tr(
        "承認済みのフローですが、ファイルが flows/ にありません（廃止したなら台帳からも外す手続きを）",
        "approved, but its file is not under flows/ (if retired, record that in the register)"))
        for flow_id in catalogue.approved_without_flow if flow_id not in catalogue.runs_without_flow)
    found.extend(_schedules(catalogue))
    return found


def _schedules(catalogue: Catalogue) -> list[Finding]:
    """A schedule whose flow is not approved will be refused at night in production mode."""
    found: list[Finding] = []
    for entry in catalogue.entries:
        if entry.approval is None or entry.approval.status == "approved":
            continue
        found.extend(Finding(f"schedules/{s.path.name}", "schedule_unapproved_flow", tr(
            "スケジュール {s} は承認されていないフロー {f} を実行します（本番モードでは実行されません）",
            "schedule {s} runs the unapproved flow {f} (production mode will refuse it)", s=s.id, f=entry.flow_id))
            for s in entry.schedules if s.enabled)
    return found


def health_grid(findings: list[Finding]) -> Grid:
    """The findings as a table (console, workbook, HTML)."""
    grid = Grid((tr("対象", "subject"), tr("項目", "check"), tr("内容と対処", "finding and what to do")))
    for finding in findings:
        grid.add((finding.subject, finding.code, finding.message), "warn")
    return grid

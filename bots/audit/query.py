"""The auditor's reads of the audit ledgers: which ledger folders exist under ``<logs>/audit/``,
their entries in a period, and whether every chain is intact against the run store's heads.

Each folder is its own chain with its own head in the run store (``ledger_heads``, keyed by
the folder's name). A head recorded for a folder that no longer exists is reported as a
truncated ledger: deleting a whole folder must not pass for "nothing to check".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bots.audit.entry import Flaw, Head, parse_line
from bots.audit.files import LOCK_NAME, READ_ERRORS, day_files, open_lines
from bots.audit.verify import Problem, VerifyReport, verify
from bots.i18n import tr
from bots.store.store import RunStore


def audit_root(logs: Path) -> Path:
    """The folder under which every ledger folder lives (``main`` and one per extra writer process)."""
    return logs / "audit"


def ledger_folders(target: Path) -> list[Path]:
    """``target`` itself when it holds daily files, else its sub-folders that are ledgers."""
    if not target.is_dir():
        return []
    if day_files(target):
        return [target]
    return sorted(p for p in target.iterdir() if p.is_dir() and (day_files(p) or (p / LOCK_NAME).exists()))


def recorded_heads(store: RunStore) -> dict[str, Head]:
    """Every ledger head the run store keeps, by folder id."""
    return {head.folder_id: Head(head.seq, head.hash) for head in store.list_ledger_heads()}


# --- integrity ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FolderCheck:
    """One ledger folder (or file) verified; ``report`` is None when the folder is missing."""

    folder_id: str
    path: Path
    report: VerifyReport | None
    recorded: Head | None
    problem: Problem | None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the folder verified and matched its recorded head."""
        return self.problem is None

    @property
    def message(self) -> str:
        """One line for the console: the problem where it is, or the verify summary."""
        if self.problem is not None:
            return str(self.problem)
        return self.report.message if self.report is not None else ""

    @property
    def detail(self) -> str:
        """The problem, or for an intact folder what vouches for it beyond the chain itself."""
        if self.problem is not None:
            return str(self.problem)
        lines = []
        if self.recorded is not None:
            lines.append(tr("実行記録の最終エントリ（seq {n}）と一致", "matches the run store's last entry (seq {n})",
                            n=self.recorded.seq))
        if self.report is not None and self.report.macs_unchecked:
            lines.append(tr("署名（MAC）は鍵が指定されていないため検査していません", "MACs not checked: no key given"))
        return "\n".join(lines)


@dataclass(frozen=True)
class Integrity:
    """The verify result of every ledger folder checked. ``found``: there was anything to check."""

    folders: tuple[FolderCheck, ...]
    keyed: bool

    @property
    def found(self) -> bool:
        """Whether there was any ledger to check: an empty audit root must not pass as intact."""
        return bool(self.folders)

    @property
    def ok(self) -> bool:
        """Intact only if something was checked and every folder passed."""
        return self.found and all(check.ok for check in self.folders)

    @property
    def files(self) -> int:
        """How many daily files were verified, over every folder."""
        return sum(len(c.report.files) for c in self.folders if c.report is not None)

    @property
    def entries(self) -> int:
        """How many entries were verified, over every folder."""
        return sum(c.report.entries for c in self.folders if c.report is not None)

    @property
    def first_problem(self) -> FolderCheck | None:
        """The first folder that failed, or None when all passed."""
        return next((c for c in self.folders if not c.ok), None)

    @property
    def summary(self) -> str:
        """The verdict in one phrase, as the report and the console headline show it."""
        if not self.found:
            return tr("検査する監査台帳が見つかりません", "no audit ledger found to verify")
        if self.ok:
            return tr("改ざんは検出されませんでした", "no tampering detected")
        return tr("改ざんまたは破損を検出しました", "tampering or damage detected")


def check_integrity(target: Path, *, key: bytes | None, heads: dict[str, Head] | None,
                    whole: bool = False) -> Integrity:
    """Verify a ledger file, a ledger folder, or every ledger folder under ``target``.

    ``heads`` are the run store's recorded heads (None: no store, truncation is not checked).
    ``whole``: ``target`` is the audit root, so a recorded folder that is missing is a problem.
    """
    if target.is_file():
        report = verify(target, key=key)
        return Integrity((FolderCheck(target.parent.name, target, report, None, report.problem,
                                      report.notes),), key is not None)
    checks = []
    for folder in ledger_folders(target):
        recorded = heads.get(folder.name) if heads is not None else None
        report = verify(folder, key=key, expected_head=recorded)
        notes = list(report.notes)
        if recorded is None and report.entries:
            notes.append(tr("実行記録にこの台帳の最終エントリが記録されていないため、末尾の切り詰めは検査していません",
                            "the run store has no head for this ledger, so truncation was not checked"))
        checks.append(FolderCheck(folder.name, folder, report, recorded, report.problem, tuple(notes)))
    if whole and heads:
        present = {check.folder_id for check in checks}
        for folder_id, head in sorted(heads.items()):
            if folder_id not in present:
                message = tr("台帳フォルダがありません（実行記録では seq {n} まで書かれています）",
                             "the ledger folder is missing (the run store recorded entries up to seq {n})",
                             n=head.seq)
                problem = Problem(Flaw.TRUNCATED, target / folder_id, 0, 1, message)
                checks.append(FolderCheck(folder_id, target / folder_id, None, head, problem))
    return Integrity(tuple(checks), key is not None)


# --- entries ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerEvent:
    """One ledger entry as the auditor reads it: which folder, when (local time), what and whose."""

    folder_id: str
    seq: int
    ts: dt.datetime
    type: str
    actor: str
    run_id: str | None
    data: dict[str, Any]


def iter_entries(folder: Path, first: dt.date | None = None, last: dt.date | None = None) -> Iterator[dict[str, Any]]:
    """The parsed entries of a ledger folder, in chain order, from the daily files that may hold
    ``[first, last]`` (one day of margin: the file's day is the writer's local date). Unreadable
    lines are skipped here; :func:`check_integrity` is what reports them."""
    seen: set[dt.date] = set()
    margin = dt.timedelta(days=1)
    for day_file in day_files(folder):
        if day_file.day in seen or (first and day_file.day < first - margin) or (last and day_file.day > last + margin):
            continue
        seen.add(day_file.day)
        try:
            with open_lines(day_file.path) as stream:
                for raw in stream:
                    obj = parse_line(raw)
                    if obj is not None:
                        yield obj
        except READ_ERRORS:
            continue


def events(folders: list[Path], first: dt.date, last: dt.date, types: frozenset[str] | None = None) -> list[LedgerEvent]:
    """Entries of the given types whose local date is in ``[first, last]``, oldest first."""
    found = []
    for folder in folders:
        for obj in iter_entries(folder, first, last):
            if types is not None and obj.get("type") not in types:
                continue
            try:
                ts = dt.datetime.fromisoformat(str(obj["ts"])).astimezone()
                event = LedgerEvent(folder.name, int(obj["seq"]), ts, str(obj["type"]), str(obj.get("actor", "")),
                                    obj.get("run_id"), dict(obj.get("data") or {}))
            except (KeyError, TypeError, ValueError):
                continue
            if first <= ts.date() <= last:
                found.append(event)
    return sorted(found, key=lambda e: (e.ts, e.folder_id, e.seq))

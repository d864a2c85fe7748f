"""The summary window of a finished run: how it ended, the counts, and what to open next.

``実行結果 — <flow title>`` opens when a run finishes and from the 最近の実行 menu. It shows the
run's own results (the flow's ``run_outputs``, masked) under the counts. Its buttons open
the results workbook, the 要確認 workbook and the run folder (with the desktop's own programs,
QDesktopServices), and resume a stopped run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from bots.i18n import tr
from bots.store.rows import RunRow
from bots.tray.words import status_word


@dataclass(frozen=True)
class RunOutcome:
    """What the summary shows, from the worker's ``finished`` event or from the run store."""

    title: str
    run_id: str | None
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    folder: Path | None = None
    results_workbook: Path | None = None
    review_workbooks: tuple[Path, ...] = ()
    resumable: bool = False
    error: str | None = None
    dry_run: bool = False
    #: What the run said along the way (selector drift, review workbook, resumed …).
    notices: tuple[str, ...] = ()
    #: The flow's ``run_outputs`` (a total read in teardown …), masked, by name in declared order.
    run_outputs: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def from_event(cls, title: str, event: dict[str, Any], dry_run: bool = False,
                   notices: tuple[str, ...] = ()) -> RunOutcome:
        """From the worker's ``finished`` event."""
        return cls(title=title, run_id=event.get("run_id"), status=str(event.get("status") or "failed"),
                   counts={k: int(v) for k, v in (event.get("counts") or {}).items()},
                   folder=_path(event.get("folder")), results_workbook=_path(event.get("results_workbook")),
                   review_workbooks=tuple(p for p in map(_path, event.get("review_workbooks") or ()) if p),
                   resumable=bool(event.get("resumable")), error=event.get("error"), dry_run=dry_run,
                   notices=notices, run_outputs=_pairs(event.get("run_outputs")))

    @classmethod
    def from_row(cls, title: str, row: RunRow, logs: Path, resumable: bool) -> RunOutcome:
        """From the run store (a run in the 最近の実行 menu): its folder and workbooks found on disk."""
        folder = next((p for p in sorted((logs / "runs").glob(f"*/{row.run_id}")) if p.is_dir()), None)
        results = next(iter(sorted(folder.glob("結果_*.xlsx"))), None) if folder else None
        return cls(title=title, run_id=row.run_id, status=row.status,
                   counts={"PASS": row.passed, "FAIL": row.failed, "REVIEW": row.review, "NOT RUN": row.not_run},
                   folder=folder, results_workbook=results,
                   review_workbooks=_review_workbooks(folder / "run.jsonl") if folder else (),
                   resumable=resumable, error=row.error, dry_run=row.dry_run, run_outputs=_pairs(row.run_outputs))


def _pairs(values: object) -> tuple[tuple[str, Any], ...]:
    """Run outputs as (name, value) pairs in declared order, from the store's mapping or the
    ``finished`` event's list of pairs; nothing for anything else (an older worker's event, a run
    stored before run outputs existed)."""
    if isinstance(values, dict):
        return tuple((str(name), value) for name, value in values.items())
    if isinstance(values, list | tuple):
        return tuple((str(pair[0]), pair[1]) for pair in values if isinstance(pair, list | tuple) and len(pair) == 2)
    return ()


def run_outputs_lines(outputs: tuple[tuple[str, Any], ...]) -> str:
    """The run outputs under their heading, one ``name: value`` a line; ``-`` for one never set."""
    if not outputs:
        return ""
    lines = [tr("実行結果", "Run results")]  # as the console, audit show and the results workbook name them
    lines.extend(f"  {name}: {'-' if value is None else value}" for name, value in outputs)
    return "\n".join(lines)


def _path(value: object) -> Path | None:
    return Path(str(value)) if value else None


def _review_workbooks(log: Path) -> tuple[Path, ...]:
    """The review workbooks a run's log names (they lie beside the scans, not in the run folder)."""
    found: list[Path] = []
    try:
        with log.open(encoding="utf-8") as lines:
            for line in lines:
                if '"review_workbook"' not in line:
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("event") == "review_workbook" and entry.get("path"):
                    found.append(Path(entry["path"]))
    except OSError:
        return ()
    return tuple(found)


def _existing(path: Path | None) -> bool:
    return path is not None and path.exists()


def open_path(path: Path) -> bool:
    """Open a file or a folder with the desktop's program for it (Excel, Explorer …)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


class SummaryWindow(QDialog):
    """``実行結果 — <flow title>``: status, counts and the buttons to go on from here."""

    #: 再開 was pressed: the run id to resume.
    resume_requested = Signal(str)

    def __init__(self, outcome: RunOutcome, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kzSummary")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint)
        self.outcome = outcome
        self.setWindowTitle(tr("実行結果 — {t}", "Run result — {t}", t=outcome.title))
        self.title_label = QLabel(outcome.title)
        self.title_label.setObjectName("kzTitle")
        heading = self.title_label.font()
        heading.setBold(True)
        self.title_label.setFont(heading)
        status = status_word(outcome.status)
        if outcome.dry_run:
            status += tr("（リハーサル）", " (dry run)")
        self.status_label = QLabel(status)
        self.status_label.setObjectName("kzStatus")
        font = self.status_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.status_label.setFont(font)
        counts = outcome.counts
        self.counts_label = QLabel(tr("成功 {p} 件 / 失敗 {f} 件 / 要確認 {r} 件", "succeeded {p} / failed {f} / needs review {r}",
                                      p=counts.get("PASS", 0), f=counts.get("FAIL", 0), r=counts.get("REVIEW", 0)))
        self.counts_label.setObjectName("kzCounts")
        lines = []
        if counts.get("NOT RUN"):
            lines.append(tr("未処理 {n} 件", "not processed {n}", n=counts["NOT RUN"]))
        if outcome.resumable:
            lines.append(tr("「再開」で続きから入力できます（入力済みの行は再入力しません）",
                            "Resume continues where it stopped (records already keyed are not keyed again)"))
        if outcome.error:
            lines.append(tr("エラー: {e}", "error: {e}", e=outcome.error))
        if outcome.run_id:
            lines.append(tr("実行ID: {r}", "run id: {r}", r=outcome.run_id))
        self.details_label = QLabel("\n".join(lines))
        self.details_label.setObjectName("kzDetails")
        self.details_label.setWordWrap(True)
        self.details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notices_label = QLabel("\n".join(outcome.notices))
        self.notices_label.setObjectName("kzNotices")
        self.notices_label.setWordWrap(True)
        self.notices_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        small = self.notices_label.font()
        small.setPointSizeF(small.pointSizeF() * 0.85)
        self.notices_label.setFont(small)
        self.notices_label.setVisible(bool(outcome.notices))
        # What the run itself produced (a total read after the last record): staff read it here
        # instead of opening the results workbook; already masked like every log.
        self.outputs_label = QLabel(run_outputs_lines(outcome.run_outputs))
        self.outputs_label.setObjectName("kzRunOutputs")
        self.outputs_label.setWordWrap(True)
        self.outputs_label.setTextFormat(Qt.TextFormat.PlainText)
        self.outputs_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outputs_label.setVisible(bool(outcome.run_outputs))

        self.open_results = self._button(tr("結果ファイルを開く(&O)", "&Open results"), "kzOpenResults",
                                         _existing(outcome.results_workbook), self._open_results)
        self.open_review = self._button(tr("要確認を開く(&V)", "Open re&view workbook"), "kzOpenReview",
                                        any(_existing(p) for p in outcome.review_workbooks), self._open_review)
        self.open_folder = self._button(tr("実行記録を開く(&L)", "Open run &log"), "kzOpenLog",
                                        _existing(outcome.folder), self._open_folder)
        self.resume_button = self._button(tr("再開(&R)", "&Resume"), "kzResume",
                                          outcome.resumable and outcome.run_id is not None, self._resume)
        self.close_button = self._button(tr("閉じる(&C)", "&Close"), "kzClose", True, self.close)
        self.close_button.setDefault(True)

        buttons = QHBoxLayout()
        for button in (self.open_results, self.open_review, self.open_folder, self.resume_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.counts_label)
        layout.addWidget(self.details_label)
        layout.addWidget(self.outputs_label)
        layout.addWidget(self.notices_label)
        layout.addStretch(1)
        layout.addLayout(buttons)

    def _button(self, text: str, name: str, enabled: bool, slot: Any) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAutoDefault(False)
        button.setEnabled(enabled)
        button.clicked.connect(slot)
        return button

    def _open_results(self) -> None:
        if self.outcome.results_workbook is not None:
            open_path(self.outcome.results_workbook)

    def _open_review(self) -> None:
        for path in self.outcome.review_workbooks:
            if path.exists():
                open_path(path)

    def _open_folder(self) -> None:
        if self.outcome.folder is not None:
            open_path(self.outcome.folder)

    def _resume(self) -> None:
        if self.outcome.run_id is not None:
            self.resume_button.setEnabled(False)
            self.resume_requested.emit(self.outcome.run_id)
            self.close()

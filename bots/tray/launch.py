"""Starting a bot from the tray: choose its input, then confirm what it will read.

The input dialog is filtered to the flow's input (an Excel list, or a folder of scans) and opens in
the flow's default folder. The confirmation shows the record count and the first rows exactly as
the run will read them — masked (マイナンバー, the flow's ``sensitive`` columns) by
:func:`bots.api.preview_input` — and offers the rehearsal (dry run) before anything is keyed.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bots.api import InputPreview, preview_input
from bots.errors import KazagurumaError
from bots.i18n import tr
from bots.project import Project
from bots.tray.menu import FlowItem, default_folder

#: The widest a column of the confirmation's table grows (pixels).
MAX_COLUMN_WIDTH = 150


@dataclass(frozen=True)
class Launch:
    """What staff chose: the input (None: the flow's own) and whether to rehearse."""

    primary_input: Path | None
    dry_run: bool


def input_dialog(item: FlowItem, folder: Path, parent: QWidget | None = None) -> QFileDialog:
    """The file (or folder) dialog for ``item``'s input, opening in ``folder``.

    Qt's own dialog on Linux (the same everywhere, and readable by the accessibility tree and by
    tests); the native one on Windows, which staff know."""
    dialog = QFileDialog(parent)
    dialog.setObjectName("kzInputDialog")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    if sys.platform.startswith("linux"):
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setDirectory(str(folder))
    if item.input_kind == "folder":
        dialog.setWindowTitle(tr("入力フォルダの選択 — {t}", "Choose the input folder — {t}", t=item.title))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    else:
        dialog.setWindowTitle(tr("入力ファイルの選択 — {t}", "Choose the input file — {t}", t=item.title))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters([tr("Excel ファイル (*.xlsx *.xlsm)", "Excel workbooks (*.xlsx *.xlsm)"),
                               tr("すべてのファイル (*)", "All files (*)")])
    return dialog


def choose_input(item: FlowItem, folder: Path, parent: QWidget | None = None) -> Path | None:
    """Ask for the input; None when staff cancel."""
    dialog = input_dialog(item, folder, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return None
    return Path(dialog.selectedFiles()[0])


def count_text(preview: InputPreview) -> str:
    """``件数: 60 件``, ``件数: 約 60 件`` for an estimate, or that the count is known only as it runs."""
    if preview.total is not None:
        return tr("件数: {n} 件", "Records: {n}", n=preview.total)
    if preview.estimate is not None:
        return tr("件数: 約 {n} 件", "Records: about {n}", n=preview.estimate)
    return tr("件数: 実行しながら数えます", "Records: counted as it runs")


class ConfirmDialog(QDialog):
    """``実行の確認 — <flow title>``: the input, how many records, the first rows, リハーサル, 開始."""

    def __init__(self, title: str, preview: InputPreview, shown_input: Path | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kzConfirm")
        self.setWindowTitle(tr("実行の確認 — {t}", "Confirm the run — {t}", t=title))
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint)
        self.title_label = QLabel(title)
        self.title_label.setObjectName("kzTitle")
        heading = self.title_label.font()
        heading.setBold(True)
        self.title_label.setFont(heading)
        where = shown_input or preview.file
        self.input_label = QLabel(str(where) if where else tr("（フローの既定の入力）", "(the flow's default input)"))
        self.input_label.setObjectName("kzInput")
        self.input_label.setWordWrap(True)
        self.input_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.count_label = QLabel(count_text(preview))
        self.count_label.setObjectName("kzCount")
        form = QFormLayout()
        form.addRow(tr("入力", "Input"), self.input_label)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addLayout(form)
        layout.addWidget(self.count_label)

        self.table = QTableWidget(len(preview.rows), len(preview.headers), self)
        self.table.setObjectName("kzRows")
        self.table.setHorizontalHeaderLabels(preview.headers)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for r, row in enumerate(preview.rows):
            for c, header in enumerate(preview.headers):
                value = row.get(header)
                self.table.setItem(r, c, QTableWidgetItem("" if value is None else str(value)))
        self.table.resizeColumnsToContents()
        for column in range(self.table.columnCount()):  # a long 住所 must not hide the columns after it
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), MAX_COLUMN_WIDTH))
        if preview.rows:
            layout.addWidget(QLabel(tr("先頭の {n} 行（個人番号などは伏せています）", "The first {n} rows (personal numbers masked)",
                                       n=len(preview.rows))))
            layout.addWidget(self.table)
        else:
            self.table.hide()
        if preview.errors:
            problems = QLabel(tr("入力できない行があります（失敗として記録されます）:\n{e}",
                                 "rows that will not be keyed (recorded as failed):\n{e}", e="\n".join(preview.errors)))
            problems.setObjectName("kzProblems")
            problems.setWordWrap(True)
            layout.addWidget(problems)

        self.dry_run = QCheckBox(tr("リハーサル（登録しない）(&D)", "&Dry run (register nothing)"))
        self.dry_run.setObjectName("kzDryRun")
        layout.addWidget(self.dry_run)
        buttons = QDialogButtonBox(self)
        self.start_button = QPushButton(tr("開始(&S)", "&Start"))
        self.start_button.setObjectName("kzStart")
        self.cancel_button = QPushButton(tr("キャンセル", "Cancel"))
        self.cancel_button.setObjectName("kzCancel")
        buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.start_button.setDefault(True)
        self.start_button.setFocus()
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(900, 420 if preview.rows else 220)


#: Message boxes on screen that nothing else holds (a window Python forgets is destroyed at once).
_SHOWN: set[QMessageBox] = set()


def refusal_box(title: str, message: str, parent: QWidget | None = None) -> QMessageBox:
    """``実行できません — <flow title>`` with the reason, shown without blocking the tray."""
    box = QMessageBox(QMessageBox.Icon.Warning, tr("実行できません — {t}", "Cannot run — {t}", t=title), message,
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("kzRefused")
    box.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint)
    _SHOWN.add(box)
    box.finished.connect(lambda _result: _SHOWN.discard(box))
    box.show()
    return box


def ask_launch(item: FlowItem, project: Project, parent: QWidget | None = None) -> Launch | None:
    """Input dialog, then the confirmation; None when staff cancel or the input cannot be read
    (then they are told why, as the run would have said)."""
    chosen: Path | None = None
    if item.input_kind is not None:
        chosen = choose_input(item, default_folder(item, project.root), parent)
        if chosen is None:
            return None
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        preview = preview_input(project.root / item.flow, project,
                                primary_input=str(chosen) if chosen is not None else None)
    except KazagurumaError as exc:
        refusal_box(item.title, str(exc), parent)
        return None
    finally:
        QApplication.restoreOverrideCursor()
    dialog = ConfirmDialog(item.title, preview, chosen, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return Launch(chosen, dialog.dry_run.isChecked())

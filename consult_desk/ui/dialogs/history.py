"""A record's history: who changed what and when, and going back to an earlier version."""

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.errors import DomainError
from consult_desk.domain.messages import field_label
from consult_desk.services.audit_log import ACTION_LABELS, JST
from consult_desk.services.history import HistoryEntry, HistoryService
from consult_desk.ui.messages import error_text

RESTORABLE = {"create", "update", "restore_version"}


class HistoryDialog(QDialog):
    def __init__(
        self,
        history: HistoryService,
        record_kind: str,
        record_id: int,
        title: str,
        current_version: int,
        can_edit: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("変更履歴: {0}").format(title))
        self.resize(900, 520)
        self._history = history
        self._kind = record_kind
        self._id = record_id
        self.version = current_version
        self.restored = False
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(
            [self.tr("日時"), self.tr("職員"), self.tr("操作"), self.tr("変更内容")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.restore_button = QPushButton(self.tr("この版に戻す"))
        self.restore_button.setVisible(can_edit)
        self.restore_button.clicked.connect(self._restore)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        note = QLabel(
            self.tr(
                "行を選んで「この版に戻す」を押すと、その時点の内容で保存し直します"
                "（戻したことも履歴に残ります）。"
            )
        )
        note.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(note, 1)
        row.addWidget(self.restore_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        self.entries: list[HistoryEntry] = self._history.history(self._kind, self._id)
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            changes = "\n".join(
                f"{field_label(name)}: {_short(before)} → {_short(after)}"
                for name, (before, after) in entry.changes.items()
            )
            values = [
                (entry.occurred_at + JST).strftime("%Y-%m-%d %H:%M"),
                entry.staff_name,
                ACTION_LABELS.get(entry.action, entry.action),
                changes,
            ]
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()

    def _restore(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        entry = self.entries[rows[0].row()]
        if entry.action not in RESTORABLE:
            QMessageBox.information(
                self, "consult-desk", self.tr("登録・更新の行を選んでください。")
            )
            return
        try:
            self.version = self._history.restore_version(
                self._kind, self._id, entry.id, self.version
            )
        except DomainError as error:
            QMessageBox.warning(self, "consult-desk", error_text(error))
            return
        self.restored = True
        self.refresh()


def _short(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"

"""取込の履歴: past imports, newest first, a page at a time, and 取り消す for one of them.

``ImportService.undo`` removes exactly what the batch added and refuses (``UndoRefused``) when
later records depend on it; the refusal is shown as the service words it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.errors import DomainError
from consult_desk.domain.fiscal import format_date, japan_time
from consult_desk.domain.import_values import ImportKind
from consult_desk.domain.permissions import Action, Principal
from consult_desk.services.imports import (
    PERMISSION_KINDS,
    BatchInfo,
    ImportService,
    UndoRefused,
    UndoResult,
)
from consult_desk.ui.messages import error_text, text_for
from consult_desk.ui.widgets.tables import make_table_widget

PAGE_SIZE = 50
ERROR_STYLE = "color: #b00020;"
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def when_text(batch: BatchInfo) -> str:
    moment = japan_time(batch.imported_at)
    return f"{format_date(moment.date())} {moment:%H:%M}"


def refusal_text(error: UndoRefused) -> str:
    detail = f"（{error.detail}）" if error.detail else ""
    return text_for(error.code) + detail


class ImportBatchesDialog(QDialog):
    """The imports the principal may read; ``undone`` tells the window to refresh its lists."""

    undone = Signal(object)  # UndoResult

    def __init__(
        self, imports: ImportService, principal: Principal, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._imports = imports
        self._principal = principal
        self.batches: list[BatchInfo] = []
        self.has_more = False
        self.setWindowTitle(self.tr("取込の履歴"))
        self.resize(980, 560)

        self.kind_combo = QComboBox()
        self.kind_combo.addItem(self.tr("種類: すべて"), None)
        for kind in ImportKind:
            if principal.can(PERMISSION_KINDS[kind], Action.READ):
                self.kind_combo.addItem(kind.label, kind.value)
        self.kind_combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.table = make_table_widget(
            [
                self.tr("取込番号"),
                self.tr("取り込んだ日時"),
                self.tr("種類"),
                self.tr("件数"),
                self.tr("ファイル"),
                self.tr("取り込んだ職員"),
                self.tr("状態"),
            ],
            (80, 170, 130, 80, 240, 130),
            row_height=26,
        )
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.more_button = QPushButton(self.tr("さらに表示"))
        self.more_button.clicked.connect(self.load_more)
        self.undo_button = QPushButton(self.tr("取り消す…"))
        self.undo_button.clicked.connect(self.undo_selected)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        note = QLabel(
            self.tr(
                "「取り消す」は、その取込で追加した記録（と取込で登録したマスタ）を削除します。"
                "取込の後に登録した記録がそれを使っているとき、または取り込んだ記録を"
                "変更したときは取り消せません。"
            )
        )
        note.setWordWrap(True)
        note.setObjectName("notice")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        top = QHBoxLayout()
        top.addWidget(self.kind_combo)
        top.addStretch(1)
        top.addWidget(self.undo_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.more_button)
        bottom.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.message_label)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.reload()

    def kind(self) -> ImportKind | None:
        value = self.kind_combo.currentData()
        return ImportKind(value) if value else None

    # --- the list -----------------------------------------------------------------------------

    def reload(self) -> None:
        self.batches = []
        self.table.setRowCount(0)
        self._load(None)

    def load_more(self) -> None:
        if self.batches:
            self._load(self.batches[-1].id)

    def _load(self, before_id: int | None) -> None:
        kind = self.kind()
        try:
            page = self._imports.batches(
                kind.value if kind else None, before_id=before_id, limit=PAGE_SIZE
            )
        except DomainError as error:
            self._show_message(error_text(error), error=True)
            page = []
        self.has_more = len(page) == PAGE_SIZE
        start = len(self.batches)
        self.batches.extend(page)
        self.table.setRowCount(len(self.batches))
        for row, batch in enumerate(page, start=start):
            self._fill(row, batch)
        self.more_button.setEnabled(self.has_more)
        self._update_buttons()

    def _fill(self, row: int, batch: BatchInfo) -> None:
        state = (
            self.tr("取消済み（{0}）").format(format_date(japan_time(batch.undone_at).date()))
            if batch.undone_at
            else ""
        )
        cells = (
            str(batch.id),
            when_text(batch),
            batch.kind.label,
            f"{batch.row_count:,}",
            batch.file_name,
            batch.staff_name,
            state,
        )
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column in (0, 3):
                item.setTextAlignment(RIGHT)
            if batch.undone_at:
                item.setForeground(self.palette().placeholderText())
            self.table.setItem(row, column, item)

    def selected(self) -> BatchInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.batches[rows[0].row()] if rows else None

    def select_batch(self, batch_id: int) -> None:
        for row, batch in enumerate(self.batches):
            if batch.id == batch_id:
                self.table.selectRow(row)
                return

    def may_undo(self, batch: BatchInfo) -> bool:
        return batch.undone_at is None and self._principal.can(
            PERMISSION_KINDS[batch.kind], Action.DELETE
        )

    def _update_buttons(self) -> None:
        batch = self.selected()
        self.undo_button.setEnabled(batch is not None and self.may_undo(batch))

    # --- 取り消す -------------------------------------------------------------------------------

    def undo_selected(self) -> UndoResult | None:
        batch = self.selected()
        if batch is None or not self.may_undo(batch):
            return None
        answer = QMessageBox.question(
            self,
            self.tr("取込の取り消し"),
            self.tr(
                "取込番号 {0}（{1} {2:,} 件、{3}）を取り消しますか？\n"
                "この取込で追加した記録を削除します。"
            ).format(batch.id, batch.kind.label, batch.row_count, batch.file_name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return None
        try:
            result = self._imports.undo(batch.id)
        except UndoRefused as refused:
            self._refused(refusal_text(refused))
            return None
        except DomainError as error:  # gone meanwhile, or not allowed
            self._refused(error_text(error))
            return None
        lines = [
            self.tr("取込番号 {0} を取り消しました: {1} {2:,} 件を削除しました。").format(
                result.batch_id, result.kind.label, result.removed
            )
        ]
        if result.removed_masters:
            names = "、".join(f"{m.label}「{m.name}」" for m in result.removed_masters)
            lines.append(self.tr("取込で登録したマスタも削除しました: {0}").format(names))
        if result.kept_masters:
            names = "、".join(f"{m.label}「{m.name}」" for m in result.kept_masters)
            lines.append(self.tr("ほかの記録が使っているため残したマスタ: {0}").format(names))
        if result.updated_kept:
            lines.append(
                self.tr(
                    "この取込で更新した {0:,} 件は元に戻していません"
                    "（各事業者の変更履歴から以前の版に戻せます）。"
                ).format(result.updated_kept)
            )
        text = "\n".join(lines)
        self._show_message(text)
        self.reload()
        self.select_batch(result.batch_id)
        self.undone.emit(result)
        QMessageBox.information(self, self.tr("取込の取り消し"), text)
        return result

    def _refused(self, text: str) -> None:
        self._show_message(text, error=True)
        QMessageBox.warning(self, self.tr("取込の取り消し"), text)

    def _show_message(self, text: str, *, error: bool = False) -> None:
        self.message_label.setText(text)
        self.message_label.setStyleSheet(ERROR_STYLE if error else "")

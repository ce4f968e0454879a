"""ダッシュボード (consultant part): my follow-ups due today or overdue, one click away."""

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.consultations import ConsultationQuery
from consult_desk.domain.errors import DomainError
from consult_desk.domain.fiscal import format_date, japan_today
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.services.consultations import ConsultationService
from consult_desk.ui.messages import error_text
from consult_desk.ui.models.consultation_table import ConsultationTableModel
from consult_desk.ui.widgets.tables import COUNT_CAP, count_text, make_table_view, selected_row

WIDTHS = (125, 190, 75, 120, 80, 250, 125)


class TodayPage(QWidget):
    open_requested = Signal(int)

    def __init__(
        self,
        consultations: ConsultationService,
        principal: Principal,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._consultations = consultations
        self._principal = principal
        self.panels: list[Callable[[], None]] = []
        self.model = ConsultationTableModel(consultations, self.query(mine=True), self)
        title = QLabel(self.tr("今日の対応"))
        title.setObjectName("pageTitle")
        self.date_label = QLabel()
        self.count_label = QLabel()
        self.count_label.setObjectName("count")
        self.everyone_check = QCheckBox(self.tr("全員の分を表示"))
        self.everyone_check.toggled.connect(self.refresh)
        note = QLabel(
            self.tr(
                "期限が今日まで（期限切れを含む）で、まだ対応していないフォローアップです。"
                "行をダブルクリックすると相談記録を開きます。"
            )
        )
        note.setObjectName("notice")
        note.setWordWrap(True)
        self.open_button = QPushButton(self.tr("開く（Enter）"))
        self.done_button = QPushButton(self.tr("対応済みにする…"))
        self.done_button.setVisible(principal.can(Kind.CONSULTATION, Action.EDIT))
        self.open_button.clicked.connect(self._open_selected)
        self.done_button.clicked.connect(self.mark_done)
        self.table = make_table_view(self.model, WIDTHS)
        self.empty_label = QLabel(self.tr("期限が来ている未対応のフォローアップはありません。"))
        self.empty_label.setObjectName("notice")
        self.empty_label.setVisible(False)
        self.table.doubleClicked.connect(lambda index: self._emit(index.row()))
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, self._open_selected)
        QShortcut(QKeySequence(Qt.Key.Key_Enter), self.table, self._open_selected)

        top = QHBoxLayout()
        top.addWidget(title)
        top.addWidget(self.date_label)
        top.addStretch(1)
        top.addWidget(self.count_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.done_button)
        buttons.addStretch(1)
        buttons.addWidget(self.everyone_check)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(note)
        layout.addLayout(buttons)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.table, 1)
        self.model.modelReset.connect(self._update_count)
        self.refresh()

    def query(self, *, mine: bool) -> ConsultationQuery:
        return ConsultationQuery(
            open_follow_ups=True,
            due_to=japan_today(),
            staff_id=self._principal.staff_id if mine else None,
            by_due=True,
        )

    def refresh(self) -> None:
        self.date_label.setText(format_date(japan_today()))
        self.model.reload(self.query(mine=not self.everyone_check.isChecked()))
        for read_again in self.panels:
            read_again()

    def add_panel(self, panel: QWidget, refresh: Callable[[], None]) -> None:
        """More follow-ups below the consultations' (e.g. 実績報告 due), refreshed with them."""
        self.panels.append(refresh)
        layout = self.layout()
        assert layout is not None
        layout.addWidget(panel)
        refresh()

    def _update_count(self) -> None:
        total = self._consultations.count(self.model.query, COUNT_CAP)
        self.count_label.setText(count_text(total))
        self.empty_label.setVisible(total == 0)

    def _emit(self, row: int) -> None:
        self.open_requested.emit(self.model.row_at(row).id)

    def _open_selected(self) -> None:
        row = selected_row(self.table)
        if row is not None:
            self._emit(row)

    def mark_done(self) -> None:
        row = selected_row(self.table)
        if row is None:
            QMessageBox.information(self, "consult-desk", self.tr("対応した行を選んでください。"))
            return
        consultation_id = self.model.row_at(row).id
        note, ok = QInputDialog.getMultiLineText(
            self, self.tr("対応済みにする"), self.tr("対応の内容（任意）:")
        )
        if not ok:
            return
        try:
            version = self._consultations.get(consultation_id).version
            self._consultations.mark_done(consultation_id, version, note, on=japan_today())
        except DomainError as error:
            QMessageBox.warning(self, "consult-desk", error_text(error))
            return
        self.refresh()

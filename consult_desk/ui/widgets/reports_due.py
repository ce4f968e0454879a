"""The follow-up panel's 実績報告 lines: subsidy reports due soon or overdue, and completed
expert dispatches whose report has not arrived, the earliest due first."""

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.errors import DomainError
from consult_desk.domain.fiscal import format_date, japan_today
from consult_desk.domain.subsidies import REPORT_DUE_SOON_DAYS
from consult_desk.services.dispatch import DispatchService
from consult_desk.services.subsidies import SubsidyService

OVERDUE_TEXT = QBrush(QColor("#9b0018"))
OVERDUE_BACKGROUND = QBrush(QColor("#fde8ea"))
ROW_HEIGHT = 22
MAX_VISIBLE_ROWS = 6


@dataclass(frozen=True, slots=True)
class ReportLine:
    kind: str  # "subsidy" or "dispatch"
    record_id: int
    due_on: date | None
    what: str
    who: str
    title: str
    program: str

    def days_left(self, today: date) -> int | None:
        return None if self.due_on is None else (self.due_on - today).days


class ReportsDuePanel(QGroupBox):
    """Hidden while nothing is due; a double click or Enter opens the application or the
    dispatch."""

    open_subsidy = Signal(int)
    open_dispatch = Signal(int)

    def __init__(
        self,
        subsidies: SubsidyService | None,
        dispatch: DispatchService | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("実績報告の期限（補助金・専門家派遣）"))
        self._subsidies = subsidies
        self._dispatch = dispatch
        self.lines: list[ReportLine] = []
        note = QLabel(
            self.tr(
                "期限を過ぎたもの・{0}日以内に期限が来るものです。"
                "行をダブルクリック（または選んで Enter）すると開きます。"
            ).format(REPORT_DUE_SOON_DAYS)
        )
        note.setStyleSheet("color: #555555;")
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(
            [self.tr("期限"), self.tr("種類"), self.tr("申請者"), self.tr("件名"), self.tr("制度")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((215, 84, 230, 230)):
            self.table.setColumnWidth(column, width)
        self.table.cellDoubleClicked.connect(self._open)
        # Enter opens the selected row. Not a QShortcut: the dashboard's own list already
        # binds Enter in this window, and two window shortcuts on one key fire neither.
        self.table.installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table)

    def refresh(self) -> None:
        today = japan_today()
        lines: list[ReportLine] = []
        try:
            if self._subsidies is not None:
                lines += [
                    ReportLine(
                        "subsidy",
                        row.id,
                        row.report_due_on,
                        self.tr("補助金"),
                        row.applicant_name,
                        row.title,
                        row.program_name,
                    )
                    for row in self._subsidies.reports_due()
                ]
            if self._dispatch is not None:
                lines += [
                    ReportLine(
                        "dispatch",
                        row.id,
                        row.report_due_on,
                        self.tr("専門家派遣"),
                        row.business_name,
                        row.theme,
                        row.program_name,
                    )
                    for row in self._dispatch.reports_due()
                    # Every completed dispatch waits for its report; only those due soon show.
                    if row.report_due_on is None
                    or (row.report_due_on - today).days <= REPORT_DUE_SOON_DAYS
                ]
        except DomainError:  # a role without these permissions: nothing to chase
            lines = []
        lines.sort(key=lambda line: (line.due_on or date.max, line.kind, line.record_id))
        self.lines = lines
        self._fill(today)

    def _fill(self, today: date) -> None:
        table = self.table
        table.setRowCount(len(self.lines))
        for row, line in enumerate(self.lines):
            days = line.days_left(today)
            if days is None:
                state = self.tr("期限未設定")
            elif days < 0:
                state = self.tr("{0}日超過").format(-days)
            else:
                state = self.tr("今日まで") if days == 0 else self.tr("あと{0}日").format(days)
            due = f"{format_date(line.due_on)}（{state}）" if line.due_on else state
            cells = [due, line.what, line.who, line.title, line.program]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if days is not None and days < 0:
                    item.setForeground(OVERDUE_TEXT)
                    item.setBackground(OVERDUE_BACKGROUND)
                table.setItem(row, column, item)
        visible = min(len(self.lines), MAX_VISIBLE_ROWS)
        header = table.horizontalHeader().height() or 26
        table.setFixedHeight(header + ROW_HEIGHT * max(visible, 1) + 4)
        self.setVisible(bool(self.lines))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() in (
            QEvent.Type.ShortcutOverride,
            QEvent.Type.KeyPress,
        ):
            assert isinstance(event, QKeyEvent)
            enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            if enter and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
                if event.type() == QEvent.Type.ShortcutOverride:
                    event.accept()  # the key comes to the table, not to a window shortcut
                else:
                    self.open_selected()
                return True
        return super().eventFilter(watched, event)

    def open_selected(self) -> None:
        """Open the selected row (Enter)."""
        rows = self.table.selectionModel().selectedRows()
        row = rows[0].row() if rows else self.table.currentRow()
        if 0 <= row < len(self.lines):
            self._open(row)

    def _open(self, row: int, _column: int = 0) -> None:
        line = self.lines[row]
        (self.open_subsidy if line.kind == "subsidy" else self.open_dispatch).emit(line.record_id)

    def rows(self) -> list[list[str]]:
        """The lines as shown (for tests and reading)."""
        table = self.table
        return [
            [
                (item.text() if (item := table.item(r, c)) else "")
                for c in range(table.columnCount())
            ]
            for r in range(table.rowCount())
        ]

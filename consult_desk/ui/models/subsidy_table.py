"""Subsidy applications (補助金) as a paged table model: newest application first."""

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush, QColor

from consult_desk.domain.fiscal import format_date, format_yen
from consult_desk.domain.subsidies import ApplicationQuery, ApplicationRow
from consult_desk.services.subsidies import SubsidyService
from consult_desk.ui.models.paged_table import Index, PagedTableModel

TITLES = ("申請日", "申請者", "対象", "補助金", "件名", "状態", "金額", "実績報告の期限")
TITLE_COLUMN = 4
AMOUNT_COLUMN = 6
DUE_COLUMN = 7
OVERDUE_TEXT = QBrush(QColor("#9b0018"))
OVERDUE_BACKGROUND = QBrush(QColor("#fde8ea"))
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def due_text(row: ApplicationRow) -> str:
    """「令和8年6月16日（あと5日）」 while the report is awaited, else the day alone."""
    if row.report_due_on is None:
        return ""
    day = format_date(row.report_due_on)
    days = row.days_to_report
    if days is None:
        return day
    if days < 0:
        return f"{day}（{-days}日超過）"
    return f"{day}（今日）" if days == 0 else f"{day}（あと{days}日）"


class SubsidyTableModel(PagedTableModel[ApplicationRow]):
    """Applications a page at a time; an overdue 実績報告 shows in red."""

    def __init__(self, subsidies: SubsidyService, parent: QObject | None = None) -> None:
        super().__init__(TITLES, parent)
        self._subsidies = subsidies
        self.query = ApplicationQuery()

    def reload(self, query: ApplicationQuery | None = None) -> None:
        def change() -> None:
            self.query = query or self.query

        self.reset_rows(change)

    def fetch_page(self, after: ApplicationRow | None, limit: int) -> list[ApplicationRow]:
        return self._subsidies.page(self.query, after=after, limit=limit)

    def format_row(self, row: ApplicationRow) -> tuple[str, ...]:
        return (
            format_date(row.applied_on),
            row.applicant_name,
            row.target.label,
            row.program_name,
            row.title,
            row.state.label,
            format_yen(row.amount),
            due_text(row),
        )

    def foreground(self, row: ApplicationRow) -> QBrush | None:
        return OVERDUE_TEXT if row.report_overdue else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return OVERDUE_BACKGROUND if self.row_at(index.row()).report_overdue else None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == AMOUNT_COLUMN:
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and index.column() in (1, 3, 4):
            return super().data(index) or None
        return super().data(index, role)

"""The consultation list and follow-up lists as paged table models."""

from PySide6.QtCore import QObject
from PySide6.QtGui import QBrush, QColor

from consult_desk.domain.consultations import ConsultationQuery, ConsultationRow
from consult_desk.domain.fiscal import format_date, japan_today
from consult_desk.services.consultations import ConsultationService
from consult_desk.ui.models.paged_table import PagedTableModel

TITLES = ("相談日", "相談者", "相談方法", "主な分野", "担当者", "相談内容", "対応期限", "状態")
OVERDUE = QBrush(QColor("#b00020"))


class ConsultationTableModel(PagedTableModel[ConsultationRow]):
    def __init__(
        self,
        consultations: ConsultationService,
        query: ConsultationQuery | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(TITLES, parent)
        self._consultations = consultations
        self.query = query or ConsultationQuery()

    def reload(self, query: ConsultationQuery | None = None) -> None:
        def change() -> None:
            self.query = query or self.query

        self.reset_rows(change)

    def fetch_page(self, after: ConsultationRow | None, limit: int) -> list[ConsultationRow]:
        return self._consultations.page(self.query, after=after, limit=limit)

    def format_row(self, row: ConsultationRow) -> tuple[str, ...]:
        if row.due_on is None:
            state = ""
        elif row.done:
            state = "対応済"
        else:
            state = "期限切れ" if row.due_on < japan_today() else "対応待ち"
        return (
            format_date(row.consulted_on),
            row.client,
            row.channel,
            row.primary_topic,
            row.staff,
            row.summary.replace("\n", " "),
            format_date(row.due_on),
            state,
        )

    def foreground(self, row: ConsultationRow) -> QBrush | None:
        overdue = row.due_on is not None and not row.done and row.due_on < japan_today()
        return OVERDUE if overdue else None

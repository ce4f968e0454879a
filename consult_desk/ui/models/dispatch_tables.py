"""専門家派遣 as paged table models: the dispatches (newest application first) and the expert
register (reading order). Both page over their service like every other list."""

from datetime import date

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush, QColor

from consult_desk.domain.dispatch import DispatchQuery, DispatchRow, ExpertQuery, ExpertRow
from consult_desk.domain.fiscal import format_date, format_yen, japan_today
from consult_desk.services.dispatch import DispatchService
from consult_desk.services.experts import ExpertService
from consult_desk.ui.models.paged_table import Index, PagedTableModel

DISPATCH_TITLES = ("申請日", "事業者", "テーマ", "制度", "専門家", "状態", "訪問", "報告期限")
THEME_COLUMN = 2
VISITS_COLUMN = 6
EXPERT_TITLES = ("氏名", "フリガナ", "資格", "得意分野", "登録期間", "謝金/回", "状態")
FEE_COLUMN = 5
OVERDUE_TEXT = QBrush(QColor("#9b0018"))
OVERDUE_BACKGROUND = QBrush(QColor("#fde8ea"))
GREYED = QBrush(QColor("#8a8a8a"))
NONE = "—"
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def visits_text(visits: int, approved: int | None) -> str:
    """「2/3回」 against the approved number, 「2回」 before a decision."""
    return f"{visits}/{approved}回" if approved else f"{visits}回"


def visits_in_period_text(row: DispatchRow) -> str:
    """「2回（全3/8回）」 when the list is filtered by visit date (its visits in the period,
    then all of them), else as ``visits_text``."""
    every = visits_text(row.visits, row.approved_visits)
    if row.visits_in_period is None:
        return every
    return f"{row.visits_in_period}回（全{every}）"


class DispatchTableModel(PagedTableModel[DispatchRow]):
    """Dispatches a page at a time; a 実績報告 past its due date shows in red."""

    def __init__(
        self,
        dispatch: DispatchService,
        query: DispatchQuery | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(DISPATCH_TITLES, parent)
        self._dispatch = dispatch
        self.query = query or DispatchQuery()

    def reload(self, query: DispatchQuery | None = None) -> None:
        def change() -> None:
            self.query = query or self.query

        self.reset_rows(change)

    def fetch_page(self, after: DispatchRow | None, limit: int) -> list[DispatchRow]:
        return self._dispatch.page(self.query, after=after, limit=limit)

    def format_row(self, row: DispatchRow) -> tuple[str, ...]:
        due = NONE
        if row.report_received_on is not None:
            due = self.tr("受理 {0}").format(format_date(row.report_received_on))
        elif row.report_due_on is not None:
            due = format_date(row.report_due_on)
            if row.report_overdue:
                due += self.tr("（超過）")
        return (
            format_date(row.applied_on),
            row.business_name,
            row.theme,
            row.program_name,
            row.expert_name or NONE,
            row.state.label,
            visits_in_period_text(row),
            due,
        )

    def foreground(self, row: DispatchRow) -> QBrush | None:
        return OVERDUE_TEXT if row.report_overdue else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        if role == Qt.ItemDataRole.BackgroundRole:
            return OVERDUE_BACKGROUND if row.report_overdue else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if row.report_overdue and row.report_due_on is not None:
                days = (japan_today() - row.report_due_on).days
                return self.tr("実績報告の期限を {0}日過ぎています").format(days)
            if index.column() == THEME_COLUMN:  # long themes are elided in the column
                return row.theme
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == VISITS_COLUMN:
            return _RIGHT
        return super().data(index, role)


def registration_state(expert: ExpertRow, today: date) -> str:
    """利用中 / 登録期限切れ / 登録前 / 停止中, as the register and the forms say it."""
    if not expert.active:
        return "停止中"
    if expert.registered_to is not None and today > expert.registered_to:
        return "登録期限切れ"
    if today < expert.registered_from:
        return "登録前"
    return "利用中"


def registration_period(expert: ExpertRow) -> str:
    end = format_date(expert.registered_to) if expert.registered_to else "定めなし"
    return f"{format_date(expert.registered_from)}〜{end}"


class ExpertTableModel(PagedTableModel[ExpertRow]):
    """The expert register a page at a time; those who cannot be assigned today are greyed."""

    def __init__(
        self,
        experts: ExpertService,
        query: ExpertQuery | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(EXPERT_TITLES, parent)
        self._experts = experts
        self.query = query or ExpertQuery(active=None)
        self.today = japan_today()

    def reload(self, query: ExpertQuery | None = None) -> None:
        def change() -> None:
            self.query = query or self.query
            self.today = japan_today()

        self.reset_rows(change)

    def fetch_page(self, after: ExpertRow | None, limit: int) -> list[ExpertRow]:
        return self._experts.page(self.query, after=after, limit=limit)

    def format_row(self, row: ExpertRow) -> tuple[str, ...]:
        return (
            row.name,
            row.name_kana,
            "・".join(row.qualifications),
            row.fields.replace("\n", " "),
            registration_period(row),
            format_yen(row.fee_per_visit) or NONE,
            self.tr(registration_state(row, self.today)),
        )

    def foreground(self, row: ExpertRow) -> QBrush | None:
        return None if row.assignable_on(self.today) else GREYED

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == FEE_COLUMN:
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and index.column() in (2, 3):
            return self._cells[index.row()][index.column()] or None
        return super().data(index, role)

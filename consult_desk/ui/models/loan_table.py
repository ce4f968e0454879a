"""The loan pipeline (融資あっせん) as a paged table model: oldest in its state first."""

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush, QColor

from consult_desk.domain.fiscal import format_date, format_yen
from consult_desk.domain.loans import LoanQuery, LoanRow
from consult_desk.domain.permissions import MASK
from consult_desk.services.loans import LoanService
from consult_desk.ui.models.paged_table import Index, PagedTableModel

# 日数 is the days in the state (the column beside it): a short title leaves 事業者 the room.
TITLES = ("受付日", "事業者", "資金種別", "状態", "日数", "金融機関", "金額", "担当")
TITLE_TIPS = {4: "いまの状態になってからの日数"}
BUSINESS_COLUMN = 1
DAYS_COLUMN = 4
AMOUNT_COLUMN = 6
OVERDUE_TEXT = QBrush(QColor("#9b0018"))
OVERDUE_BACKGROUND = QBrush(QColor("#fde8ea"))
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class LoanTableModel(PagedTableModel[LoanRow]):
    """Cases a page at a time; ``thresholds`` (state → days) decide which rows are overdue."""

    def __init__(
        self,
        loans: LoanService,
        thresholds: dict[str, int],
        amounts_visible: bool,
        query: LoanQuery | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(TITLES, parent)
        self._loans = loans
        self.thresholds = dict(thresholds)
        self._amounts_visible = amounts_visible
        self.query = query or LoanQuery()

    def reload(
        self, query: LoanQuery | None = None, thresholds: dict[str, int] | None = None
    ) -> None:
        def change() -> None:
            self.query = query or self.query
            if thresholds is not None:
                self.thresholds = dict(thresholds)

        self.reset_rows(change)

    def fetch_page(self, after: LoanRow | None, limit: int) -> list[LoanRow]:
        return self._loans.page(self.query, after=after, limit=limit, thresholds=self.thresholds)

    def format_row(self, row: LoanRow) -> tuple[str, ...]:
        amount = format_yen(row.amount) if self._amounts_visible else MASK
        return (
            format_date(row.received_on),
            row.business_name,
            row.program_name,
            row.state.label,
            f"{row.days_in_state}日",
            row.bank_name,
            amount,
            row.officer_name,
        )

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return self.tr(TITLE_TIPS[section]) if section in TITLE_TIPS else None
        return super().headerData(section, orientation, role)

    def foreground(self, row: LoanRow) -> QBrush | None:
        return OVERDUE_TEXT if row.overdue else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return OVERDUE_BACKGROUND if self.row_at(index.row()).overdue else None
        if role == Qt.ItemDataRole.ToolTipRole:
            row = self.row_at(index.row())
            # 事業者 also carries the whole name, for a name longer than its column.
            lines = [row.business_name] if index.column() == BUSINESS_COLUMN else []
            return "\n".join([*lines, self.overdue_text(row)]).strip() or None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (
            DAYS_COLUMN,
            AMOUNT_COLUMN,
        ):
            return _RIGHT
        return super().data(index, role)

    def overdue_text(self, row: LoanRow) -> str:
        """Which threshold the case passed, for the tooltip ("" when it is on time)."""
        if not row.overdue:
            return ""
        return self.tr("期限超過: 「{0}」のまま {1}日（設定の期限 {2}日）").format(
            row.state.label, row.days_in_state, self.thresholds[row.state.value]
        )

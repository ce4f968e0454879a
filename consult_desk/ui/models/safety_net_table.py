"""セーフティネット保証 認定 as a paged table model: newest application first."""

from decimal import Decimal

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush, QColor

from consult_desk.domain.fiscal import format_date, format_yen
from consult_desk.domain.permissions import MASK
from consult_desk.domain.safety_net import (
    THRESHOLDS,
    SafetyNetDecision,
    SafetyNetQuery,
    SafetyNetRow,
)
from consult_desk.services.safety_net import SafetyNetService
from consult_desk.ui.models.paged_table import Index, PagedTableModel

TITLES = ("申請日", "事業者", "区分", "減少率", "判定", "認定番号", "交付日", "有効期限")
RATE_COLUMN = 3
DECISION_COLUMN = 4
VALID_COLUMN = 7
VALID_TEXT = QBrush(QColor("#1b6e20"))
BELOW_TEXT = QBrush(QColor("#b00020"))
DONE_TEXT = QBrush(QColor("#777777"))  # refused, or a 認定書 no longer valid
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def format_percent(rate: Decimal) -> str:
    """20.00 → "20%", 23.50 → "23.5%", 19.99 → "19.99%" (never rounded up to a threshold)."""
    text = format(rate.normalize(), "f")
    return f"{text}%".replace("-", "−")


def validity_text(row: SafetyNetRow) -> str:
    """「令和8年12月17日（有効）」 / 「…（期限切れ）」 as of the service's today; empty unless
    certified."""
    if row.decision != SafetyNetDecision.CERTIFIED or row.valid_until is None:
        return ""
    return f"{format_date(row.valid_until)}（{'有効' if row.valid_today else '期限切れ'}）"


class SafetyNetTableModel(PagedTableModel[SafetyNetRow]):
    """Applications a page at a time; ``today`` (the service's) decides 有効 / 期限切れ."""

    def __init__(
        self,
        service: SafetyNetService,
        amounts_visible: bool,
        query: SafetyNetQuery | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(TITLES, parent)
        self._service = service
        self._amounts_visible = amounts_visible
        self.query = query or SafetyNetQuery()

    def reload(self, query: SafetyNetQuery | None = None) -> None:
        def change() -> None:
            self.query = query or self.query

        self.reset_rows(change)

    def fetch_page(self, after: SafetyNetRow | None, limit: int) -> list[SafetyNetRow]:
        return self._service.page(self.query, after=after, limit=limit)

    def format_row(self, row: SafetyNetRow) -> tuple[str, ...]:
        return (
            format_date(row.applied_on),
            row.business_name,
            row.kind.value,
            format_percent(row.decline_rate),
            row.decision.label,
            row.certificate_number,
            format_date(row.issued_on),
            validity_text(row),
        )

    def foreground(self, row: SafetyNetRow) -> QBrush | None:
        if row.decision == SafetyNetDecision.REFUSED:
            return DONE_TEXT
        if row.decision == SafetyNetDecision.CERTIFIED and not row.valid_today:
            return DONE_TEXT
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        column = index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole and column == RATE_COLUMN:
            return _RIGHT
        if role == Qt.ItemDataRole.ForegroundRole:
            row = self.row_at(index.row())
            if column == VALID_COLUMN and row.valid_today:
                return VALID_TEXT
            pending = row.decision == SafetyNetDecision.PENDING
            if column == RATE_COLUMN and pending and not row.qualifies:
                return BELOW_TEXT  # undecided and below the line: will be a 不認定
        if role == Qt.ItemDataRole.ToolTipRole and column == RATE_COLUMN:
            return self.rate_text(self.row_at(index.row()))
        return super().data(index, role)

    def rate_text(self, row: SafetyNetRow) -> str:
        """The figures behind the rate, for the tooltip."""
        threshold = format_percent(THRESHOLDS[row.kind])
        if not self._amounts_visible:
            return self.tr("{0}の基準 {1} 以上").format(row.kind.value, threshold)
        return self.tr("最近 {0} ／ 前年同期 {1}（{2}の基準 {3} 以上）").format(
            format_yen(row.sales_current) or MASK,
            format_yen(row.sales_previous) or MASK,
            row.kind.value,
            threshold,
        )

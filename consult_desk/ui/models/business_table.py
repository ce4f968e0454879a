"""The business list as a paged table model, sorted and filtered in SQL."""

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush, QColor

from consult_desk.domain.businesses import BusinessKind, BusinessQuery, BusinessRow, BusinessSort
from consult_desk.domain.fiscal import format_date, japan_time
from consult_desk.services.businesses import BusinessService
from consult_desk.ui.models.paged_table import PagedTableModel

ARCHIVED_COLOUR = QBrush(QColor("#8a8a8a"))


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    sort: BusinessSort | None  # None: the column cannot be sorted
    sample: str  # the widest typical value: the view sizes the column to fit it


COLUMNS = (
    Column("事業者名", BusinessSort.NAME, "株式会社秋葉原ソフトウェア"),
    Column("フリガナ", BusinessSort.NAME, "アキハバラソフトウェ"),
    Column("区分", BusinessSort.KIND, "個人事業主"),
    Column("法人番号", None, "0000000000000"),
    Column("地域", BusinessSort.AREA, "麹町地域"),
    Column("町名", None, "神田佐久間河岸"),
    Column("電話番号", None, "03-0000-0000"),
    Column("中小企業区分", None, "中小企業者以外"),
    Column("更新日", BusinessSort.UPDATED, "令和10年12月28日"),
)


class BusinessTableModel(PagedTableModel[BusinessRow]):
    """The business list; ``sort`` and ``reload`` change the query, never sort in Python."""

    def __init__(self, businesses: BusinessService, parent: QObject | None = None) -> None:
        super().__init__([c.title for c in COLUMNS], parent)
        self._businesses = businesses
        self._query = BusinessQuery()
        self._sort_column = 0

    @property
    def query(self) -> BusinessQuery:
        return self._query

    def sort_column(self) -> int:
        """The column the user sorted by (事業者名 and フリガナ share one order)."""
        if COLUMNS[self._sort_column].sort is self._query.sort:
            return self._sort_column
        return next(i for i, c in enumerate(COLUMNS) if c.sort is self._query.sort)

    def reload(self, query: BusinessQuery | None = None) -> None:
        def change() -> None:
            self._query = query or self._query

        self.reset_rows(change)

    def fetch_page(self, after: BusinessRow | None, limit: int) -> list[BusinessRow]:
        return self._businesses.page(self._query, after=after, limit=limit)

    def format_row(self, row: BusinessRow) -> tuple[str, ...]:
        return (
            row.name + ("（アーカイブ）" if row.archived else ""),
            row.name_kana,
            BusinessKind(row.kind).label,
            row.corporate_number,
            row.area,
            row.town_name,
            row.phone,
            row.sme_status,
            format_date(japan_time(row.updated_at).date()),
        )

    def foreground(self, row: BusinessRow) -> QBrush | None:
        return ARCHIVED_COLOUR if row.archived else None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column].sort if 0 <= column < len(COLUMNS) else None
        descending = order == Qt.SortOrder.DescendingOrder
        if key is None:  # not sortable: keep the current order
            return
        self._sort_column = column
        if key is self._query.sort and descending == self._query.descending:
            return
        self.reload(self._query.sorted_by(key, descending=descending))

"""The business list as a paged table model: keyset pages fetched as the view scrolls."""

from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from consult_desk.domain.businesses import BusinessKind, BusinessQuery, BusinessRow, BusinessSort
from consult_desk.domain.fiscal import format_date
from consult_desk.services.businesses import BusinessService

PAGE_SIZE = 200
ARCHIVED_COLOUR = QBrush(QColor("#8a8a8a"))
Index = QModelIndex | QPersistentModelIndex


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


def _cells(row: BusinessRow) -> tuple[str, ...]:
    # Formatted once when the page arrives, so data() only looks values up.
    return (
        row.name + ("（アーカイブ）" if row.archived else ""),
        row.name_kana,
        BusinessKind(row.kind).label,
        row.corporate_number,
        row.area,
        row.town_name,
        row.phone,
        row.sme_status,
        format_date(row.updated_at.astimezone().date()),
    )


class BusinessTableModel(QAbstractTableModel):
    """Rows of the business list, a page at a time.

    - ``reload(query)`` empties the model; the view then asks ``fetchMore`` for the first page.
    - ``fetchMore`` appends the rows after the last loaded one (keyset: no OFFSET).
    - ``sort`` changes the query's order and reloads: sorting happens in SQL, never here.
    """

    def __init__(self, businesses: BusinessService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._businesses = businesses
        self._query = BusinessQuery()
        self._rows: list[BusinessRow] = []
        self._cells: list[tuple[str, ...]] = []
        self._exhausted = False
        self._fetching = False

    @property
    def query(self) -> BusinessQuery:
        return self._query

    def sort_column(self) -> int:
        return next(i for i, c in enumerate(COLUMNS) if c.sort is self._query.sort)

    def row_at(self, row: int) -> BusinessRow:
        return self._rows[row]

    def reload(self, query: BusinessQuery | None = None) -> None:
        self.beginResetModel()
        self._query = query or self._query
        self._rows, self._cells, self._exhausted = [], [], False
        self.endResetModel()

    # --- Qt model interface ---------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[index.row()][index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and self._rows[index.row()].archived:
            return ARCHIVED_COLOUR
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        return None

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if parent.isValid() or self._fetching:  # row signals can re-enter fetchMore
            return
        self._fetching = True
        try:
            after = self._rows[-1] if self._rows else None
            page = self._businesses.page(self._query, after=after, limit=PAGE_SIZE)
            self._exhausted = len(page) < PAGE_SIZE
            if page:
                first = len(self._rows)
                self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
                self._rows.extend(page)
                self._cells.extend(_cells(row) for row in page)
                self.endInsertRows()
        finally:
            self._fetching = False

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column].sort if 0 <= column < len(COLUMNS) else None
        descending = order == Qt.SortOrder.DescendingOrder
        if key is None:  # not sortable: keep the current order
            return
        if key is self._query.sort and descending == self._query.descending:
            return
        self.reload(self._query.sorted_by(key, descending=descending))

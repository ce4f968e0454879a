"""A table model that pages over a service: keyset pages fetched as the view scrolls."""

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QAbstractItemView, QTableView

PAGE_SIZE = 200
RowT = TypeVar("RowT")
Index = QModelIndex | QPersistentModelIndex


class PagedTableModel(QAbstractTableModel, Generic[RowT]):
    """Rows a page at a time.

    - ``reset_rows`` empties the model; the view then asks ``fetchMore`` for the first page.
    - ``fetchMore`` appends the rows after the last loaded one (keyset: no OFFSET).
    - Cells are formatted once when a page arrives, so ``data`` only looks values up.
    - Subclasses give the titles, how to fetch a page and how to format a row.
    """

    page_size = PAGE_SIZE

    def __init__(self, titles: Sequence[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._titles = tuple(titles)
        self._rows: list[RowT] = []
        self._cells: list[tuple[str, ...]] = []
        self._exhausted = False
        self._fetching = False

    # --- for subclasses -------------------------------------------------------------------

    def fetch_page(self, after: RowT | None, limit: int) -> list[RowT]:
        raise NotImplementedError

    def format_row(self, row: RowT) -> tuple[str, ...]:
        raise NotImplementedError

    def foreground(self, row: RowT) -> QBrush | None:
        return None

    # --- for views and pages --------------------------------------------------------------

    def row_at(self, row: int) -> RowT:
        return self._rows[row]

    def reset_rows(self, change: Callable[[], None] | None = None) -> None:
        self.beginResetModel()
        if change is not None:
            change()
        self._rows, self._cells, self._exhausted = [], [], False
        self.endResetModel()

    def fetch_all(self) -> None:
        while self.canFetchMore(QModelIndex()):
            self.fetchMore(QModelIndex())

    # --- Qt model interface ---------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._titles)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[index.row()][index.column()]
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(self._rows[index.row()])
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._titles[section]
        return None

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if parent.isValid() or self._fetching:  # row signals can re-enter fetchMore
            return
        self._fetching = True
        try:
            page = self.fetch_page(self._rows[-1] if self._rows else None, self.page_size)
            self._exhausted = len(page) < self.page_size
            if page:
                first = len(self._rows)
                self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
                self._rows.extend(page)
                self._cells.extend(self.format_row(row) for row in page)
                self.endInsertRows()
        finally:
            self._fetching = False


def _row_id(row: Any) -> object:
    return row.id


def reload_in_place(
    view: QTableView,
    model: PagedTableModel[Any],
    reload: Callable[[], None],
    key: Callable[[Any], object] = _row_id,
) -> None:
    """Read a list again (others may have saved meanwhile) without losing the user's place:
    as many rows as were loaded are loaded again, the same records stay selected and current,
    and the record at the top of the view stays there (or the same row number, if it went).
    """
    selection = view.selectionModel()
    selected = (
        {key(model.row_at(i.row())) for i in selection.selectedRows()} if selection else set()
    )
    current = view.currentIndex()
    current_key = key(model.row_at(current.row())) if current.isValid() else None
    top_row = view.rowAt(0)
    top_key = key(model.row_at(top_row)) if top_row >= 0 else None
    loaded = model.rowCount()
    reload()
    while model.rowCount() < loaded and model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    rows = {key(model.row_at(row)): row for row in range(model.rowCount())}
    selection = view.selectionModel()
    if selection is not None:
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for record in selected:
            if record in rows:
                selection.select(model.index(rows[record], 0), flags)
        if current_key in rows:
            selection.setCurrentIndex(
                model.index(rows[current_key], max(current.column(), 0)),
                QItemSelectionModel.SelectionFlag.NoUpdate,
            )
    if top_row >= 0 and model.rowCount():
        row = rows.get(top_key, min(top_row, model.rowCount() - 1))
        view.scrollTo(model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop)

"""事業者: the business list with one search box, filters, a total and a paged table."""

from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.businesses import Area, BusinessKind, BusinessQuery, BusinessRow
from consult_desk.domain.errors import DomainError
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.sme import SmeStatus
from consult_desk.services.businesses import BusinessService
from consult_desk.services.exports import ExportService
from consult_desk.services.history import HistoryService
from consult_desk.services.reference import ReferenceService
from consult_desk.ui.dialogs.history import HistoryDialog
from consult_desk.ui.messages import error_text
from consult_desk.ui.models.business_table import COLUMNS, BusinessTableModel
from consult_desk.ui.models.paged_table import reload_in_place
from consult_desk.ui.widgets.list_export import ListExport
from consult_desk.ui.widgets.tables import count_text

SEARCH_DELAY_MS = 250  # wait for a pause in typing before querying
CELL_PADDING = 18


def _combo(items: list[tuple[str, object]]) -> QComboBox:
    combo = QComboBox()
    # Long choices (JSIC names) must not widen the filter bar; the popup shows them whole.
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(7)
    combo.view().setMinimumWidth(260)
    for text, value in items:
        combo.addItem(text, value)
    return combo


class BusinessListPage(QWidget):
    open_requested = Signal(int)  # the business record (カルテ)
    new_requested = Signal()

    def __init__(
        self,
        businesses: BusinessService,
        reference: ReferenceService,
        history: HistoryService,
        principal: Principal,
        parent: QWidget | None = None,
        *,
        exports: ExportService | None = None,
    ) -> None:
        super().__init__(parent)
        self._businesses = businesses
        self._history = history
        self._principal = principal
        self.model = BusinessTableModel(businesses, self)

        title = QLabel(self.tr("事業者"))
        title.setObjectName("pageTitle")
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(
            self.tr("名称・フリガナ・法人番号・電話番号・住所で検索（Ctrl+F）")
        )
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(260)
        self.area_combo = _combo(
            [(self.tr("地域: すべて"), None)] + [(a.value, a.value) for a in Area]
        )
        self.kind_combo = _combo(
            [(self.tr("区分: すべて"), None)] + [(k.label, k.value) for k in BusinessKind]
        )
        self.jsic_combo = _combo(
            [(self.tr("業種: すべて"), None)]
            + [(f"{j.id} {j.name}", j.id) for j in reference.jsic_majors()]
        )
        self.sme_combo = _combo(
            [
                (self.tr("規模: すべて"), ()),
                (self.tr("中小企業者（小規模を含む）"), (SmeStatus.SME, SmeStatus.SMALL)),
                (self.tr("小規模企業者"), (SmeStatus.SMALL,)),
                (SmeStatus.LARGE.value, (SmeStatus.LARGE,)),
                (SmeStatus.UNKNOWN.value, (SmeStatus.UNKNOWN,)),
            ]
        )
        self.town_combo = _combo(
            [(self.tr("町名: すべて"), None)] + [(t.name, t.id) for t in reference.towns()]
        )
        self.follow_up_check = QCheckBox(self.tr("未対応フォローあり"))
        self.archived_check = QCheckBox(self.tr("アーカイブ済みも表示"))
        self.count_label = QLabel()
        self.count_label.setObjectName("count")

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        # Fixed row height and widths: no ResizeToContents, which reads every row.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        metrics = self.table.fontMetrics()
        for column, spec in enumerate(COLUMNS):
            text = max(spec.sample, spec.title, key=metrics.horizontalAdvance)
            self.table.setColumnWidth(column, metrics.horizontalAdvance(text) + CELL_PADDING)
        self.table.setSortingEnabled(True)
        header.setSortIndicator(self.model.sort_column(), Qt.SortOrder.AscendingOrder)
        header.sortIndicatorChanged.connect(self._keep_indicator_on_sortable)

        filters = QHBoxLayout()
        filters.addWidget(self.search_edit, 1)
        filters.addWidget(self.follow_up_check)
        filters.addWidget(self.archived_check)
        choices = QHBoxLayout()
        for widget in (
            self.area_combo,
            self.town_combo,
            self.kind_combo,
            self.jsic_combo,
            self.sme_combo,
        ):
            choices.addWidget(widget)
        choices.addStretch(1)
        self.new_button = QPushButton(self.tr("新しい事業者（Ctrl+N）"))
        self.new_button.setVisible(principal.can(Kind.BUSINESS, Action.CREATE))
        self.new_button.clicked.connect(self.new_requested)
        self.table.doubleClicked.connect(lambda index: self._open(index.row()))
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, self._open_selected)
        QShortcut(QKeySequence(Qt.Key.Key_Enter), self.table, self._open_selected)
        self.history_button = QPushButton(self.tr("変更履歴…"))
        self.history_button.setEnabled(False)
        self.history_button.clicked.connect(self.show_history)
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: self.history_button.setEnabled(self.selected_row() is not None)
        )
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.count_label)
        self.export: ListExport | None = None
        if exports is not None:  # 書き出し…（Ctrl+E）: the list as filtered now
            self.export = ListExport(exports, "businesses", self.shown_query, self, principal)
            top.addWidget(self.export.button)
        top.addWidget(self.history_button)
        top.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addLayout(choices)
        layout.addWidget(self.table, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search_edit.textChanged.connect(self._search_timer.start)
        self.search_edit.returnPressed.connect(self.apply_filters)
        for combo in (
            self.area_combo,
            self.town_combo,
            self.kind_combo,
            self.jsic_combo,
            self.sme_combo,
        ):
            combo.currentIndexChanged.connect(self.apply_filters)
        self.follow_up_check.toggled.connect(self.apply_filters)
        self.archived_check.toggled.connect(self.apply_filters)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)
        # Others save too (PostgreSQL, several PCs): F5 reads the list again in place.
        QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.refresh)

        self.model.modelReset.connect(self._update_count)
        self._update_count()

    def selected_row(self) -> BusinessRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _open_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.open_requested.emit(row.id)

    def _open(self, row: int) -> None:
        self.open_requested.emit(self.model.row_at(row).id)

    def show_history(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.show_history_for(row.id)

    def show_history_for(self, business_id: int) -> None:
        try:
            business = self._businesses.get(business_id)
        except DomainError as error:
            QMessageBox.warning(self, "consult-desk", error_text(error))
            return
        dialog = HistoryDialog(
            self._history,
            "business",
            business_id,
            business.input.name,
            business.version,
            can_edit=self._principal.can(Kind.BUSINESS, Action.EDIT),
            parent=self,
        )
        dialog.exec()
        if dialog.restored:
            self.refresh()

    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def current_query(self) -> BusinessQuery:
        return replace(
            self.model.query,
            text=self.search_edit.text(),
            area=self.area_combo.currentData(),
            town_id=self.town_combo.currentData(),
            has_open_follow_ups=self.follow_up_check.isChecked(),
            kind=self.kind_combo.currentData(),
            jsic_major=self.jsic_combo.currentData(),
            sme_statuses=tuple(self.sme_combo.currentData()),
            archived=None if self.archived_check.isChecked() else False,
        )

    def shown_query(self) -> BusinessQuery:
        """The filter of the rows shown, a search still being typed included."""
        self.apply_filters()
        return self.model.query

    def apply_filters(self) -> None:
        self._search_timer.stop()
        query = self.current_query()
        if query != self.model.query:
            self.model.reload(query)

    def refresh(self) -> None:
        """Read the list again, keeping the selected record and the scroll position."""
        reload_in_place(self.table, self.model, self.model.reload)

    def _update_count(self) -> None:
        # Businesses are counted exactly (62 ms at 100,000): the register's size matters.
        self.count_label.setText(count_text(self._businesses.count(self.model.query), cap=10**9))

    def _keep_indicator_on_sortable(self, column: int, order: Qt.SortOrder) -> None:
        # Columns without a database order keep the indicator where the rows really are.
        if column != self.model.sort_column():
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            direction = (
                Qt.SortOrder.DescendingOrder
                if self.model.query.descending
                else Qt.SortOrder.AscendingOrder
            )
            header.setSortIndicator(self.model.sort_column(), direction)
            header.blockSignals(False)

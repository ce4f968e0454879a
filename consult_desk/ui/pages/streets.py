"""商店街支援: the associations, every support record, and every subsidy application with the
spending per 年度. Each list pages over its service like every other list."""

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.businesses import Area
from consult_desk.domain.errors import DomainError
from consult_desk.domain.fiscal import (
    fiscal_year,
    format_yen,
    japan_today,
    wareki_fiscal_year,
)
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.streets import AssociationQuery, LegalForm, SupportQuery
from consult_desk.domain.subsidies import (
    TERMINAL,
    ApplicationQuery,
    ReportDue,
    SpendingLine,
    SubsidyState,
    SubsidyTarget,
)
from consult_desk.services.exports import ExportService
from consult_desk.services.reference import ReferenceService
from consult_desk.services.streets import StreetService
from consult_desk.services.subsidies import SubsidyService
from consult_desk.ui.messages import error_text, text_for
from consult_desk.ui.models.street_tables import AssociationTableModel, SupportTableModel
from consult_desk.ui.models.subsidy_table import DUE_COLUMN, TITLE_COLUMN, SubsidyTableModel
from consult_desk.ui.widgets.list_export import ListExport
from consult_desk.ui.widgets.period import period_edit, read_period
from consult_desk.ui.widgets.tables import COUNT_CAP, count_text, make_table_view, selected_row

SEARCH_DELAY_MS = 250
SPENDING_ROW_HEIGHT = 22
SPENDING_ROWS = 8  # the summary shows this many programs (and the total) without scrolling
ERROR_STYLE = "color: #b00020;"
ASSOCIATION_WIDTHS = (230, 104, 72, 190, 56, 176)
SUPPORT_WIDTHS = (130, 250, 150, 330, 56)
SUBSIDY_WIDTHS = (128, 165, 46, 175, 200, 64, 96)  # 件名 (4) stretches
DUE_WIDTH = 195  # 「令和9年3月20日（あと109日）」
# 進行中 (the default), すべて, then each state in the order an application moves.
OPEN_STATES = frozenset(SubsidyState) - TERMINAL
STATE_CHOICES: tuple[tuple[str, frozenset[SubsidyState]], ...] = (
    ("状態: 進行中", OPEN_STATES),
    ("状態: すべて", frozenset()),
    *((f"状態: {s.label}", frozenset({s})) for s in SubsidyState),
)
EVERY_STATE = [states for _, states in STATE_CHOICES].index(frozenset())  # 状態: すべて
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
SUPPORTS_TAB, SUBSIDIES_TAB = 1, 2


def _combo(items: list[tuple[str, object]], width: int = 8) -> QComboBox:
    combo = QComboBox()
    # Long choices (association names) must not widen the filter bar; the popup shows them.
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(width)
    combo.view().setMinimumWidth(240)
    for text, value in items:
        combo.addItem(text, value)
    return combo


def _bold(label: QLabel) -> QLabel:
    font = QFont(label.font())
    font.setBold(True)
    label.setFont(font)
    return label


class StreetsPage(QWidget):
    """Three lists in tabs: 商店街, 支援記録, 補助金.

    - Each list is filtered in SQL and loads a page at a time; the total beside it is a count.
    - Ctrl+N makes a new record of the tab shown; Enter or a double click opens the row.
    - Roles that may only read get the lists without the 新規 buttons.
    """

    open_association = Signal(int)
    new_association = Signal()
    open_support = Signal(int)
    new_support = Signal()
    open_subsidy = Signal(int)
    new_subsidy = Signal()

    def __init__(
        self,
        streets: StreetService,
        subsidies: SubsidyService,
        reference: ReferenceService,
        principal: Principal,
        parent: QWidget | None = None,
        *,
        exports: ExportService | None = None,
    ) -> None:
        super().__init__(parent)
        self._streets = streets
        self._exports = exports
        # 書き出し…（Ctrl+E） of the 支援記録 and 補助金 lists: Ctrl+E on each tab, the button of
        # the tab shown beside the page's title (the tabs' own rows have no room left).
        self.support_export: ListExport | None = None
        self.subsidy_export: ListExport | None = None
        self._subsidies = subsidies
        self._reference = reference
        self._principal = principal
        self._shown = False
        title = QLabel(self.tr("商店街支援"))
        title.setObjectName("pageTitle")
        self.tabs = QTabWidget()
        self.tabs.addTab(self._associations_tab(), self.tr("商店街"))
        self.tabs.addTab(self._supports_tab(), self.tr("支援記録"))
        self.subsidies_visible = principal.can(Kind.SUBSIDY, Action.READ)
        if self.subsidies_visible:
            self.tabs.addTab(self._subsidies_tab(), self.tr("補助金"))
        title_row = QHBoxLayout()
        title_row.addWidget(title)
        title_row.addStretch(1)
        for export in self.list_exports():
            title_row.addWidget(export.button)
        self.tabs.currentChanged.connect(self._show_export_button)
        self._show_export_button()
        layout = QVBoxLayout(self)
        layout.addLayout(title_row)
        layout.addWidget(self.tabs, 1)
        self.refresh()

    # --- 商店街 ---------------------------------------------------------------------------

    def _associations_tab(self) -> QWidget:
        self.association_model = AssociationTableModel(self._streets, self)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("商店街名・フリガナ・法人番号で検索"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(240)
        self.area_combo = _combo(
            [(self.tr("地域: すべて"), None)]
            + [(a.value, a.value) for a in (Area.KOJIMACHI, Area.KANDA, Area.UNSET)]
        )
        self.town_combo = _combo(
            [(self.tr("町名: すべて"), None)] + [(t.name, t.id) for t in self._reference.towns()]
        )
        self.legal_combo = _combo(
            [(self.tr("法人格: すべて"), None)] + [(f.value, f.value) for f in LegalForm], 10
        )
        self.federation_combo = _combo(
            [
                (self.tr("連合会: すべて"), None),
                (self.tr("加盟"), True),
                (self.tr("未加盟"), False),
            ]
        )
        self.archived_check = QCheckBox(self.tr("アーカイブ済みも表示"))
        self.association_count = QLabel()
        self.association_count.setObjectName("count")
        self.new_association_button = QPushButton(self.tr("新しい商店街（Ctrl+N）"))
        self.new_association_button.setVisible(self._principal.can(Kind.STREET, Action.CREATE))
        self.new_association_button.clicked.connect(self.new_association)
        self.open_association_button = QPushButton(self.tr("開く（Enter）"))
        self.association_table = make_table_view(self.association_model, ASSOCIATION_WIDTHS)
        self.association_table.setSortingEnabled(True)
        self.association_table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self._connect_open(
            self.association_table,
            self.open_association_button,
            lambda row: self.open_association.emit(self.association_model.row_at(row).id),
        )
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_association_filters)
        self.search_edit.textChanged.connect(self._search_timer.start)
        self.search_edit.returnPressed.connect(self.apply_association_filters)
        for combo in (self.area_combo, self.town_combo, self.legal_combo, self.federation_combo):
            combo.currentIndexChanged.connect(self.apply_association_filters)
        self.archived_check.toggled.connect(self.apply_association_filters)
        self.association_model.modelReset.connect(self._count_associations)

        top = QHBoxLayout()
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.archived_check)
        top.addWidget(self.association_count)
        top.addWidget(self.open_association_button)
        top.addWidget(self.new_association_button)
        filters = QHBoxLayout()
        for combo in (self.area_combo, self.town_combo, self.legal_combo, self.federation_combo):
            filters.addWidget(combo)
        filters.addStretch(1)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.association_table, 1)
        return tab

    def association_query(self) -> AssociationQuery:
        return replace(
            self.association_model.query,
            text=self.search_edit.text(),
            area=self.area_combo.currentData(),
            town_id=self.town_combo.currentData(),
            legal_form=self.legal_combo.currentData(),
            federation_member=self.federation_combo.currentData(),
            archived=None if self.archived_check.isChecked() else False,
        )

    def apply_association_filters(self, *_: object) -> None:
        self._search_timer.stop()
        query = self.association_query()
        if query != self.association_model.query:
            self.association_model.reload(query)

    def _count_associations(self) -> None:
        count = self._streets.count(self.association_model.query, COUNT_CAP)
        self.association_count.setText(count_text(count))

    # --- 支援記録 -------------------------------------------------------------------------

    def _supports_tab(self) -> QWidget:
        self.support_model = SupportTableModel(self._streets, self)
        self.kind_combo = _combo(
            [(self.tr("種類: すべて"), None)]
            + [(k.name, k.id) for k in self._streets.support_kinds(include_inactive=True)],
            10,
        )
        self.support_association_combo = _combo(
            [(self.tr("商店街: すべて"), None)]
            + [(c.name, c.id) for c in self._reference.street_associations()],
            14,
        )
        self.staff_combo = _combo(
            [(self.tr("担当: すべて"), None)] + [(m.name, m.id) for m in self._reference.staff()]
        )
        self.from_edit = period_edit(self.tr("例: 2026-04-01"), clear_button=True)
        self.to_edit = period_edit(self.tr("例: R9.3.31"), clear_button=True)
        self.period_error = QLabel()
        self.period_error.setStyleSheet(ERROR_STYLE)
        self.period_error.hide()
        self.support_count = QLabel()
        self.support_count.setObjectName("count")
        self.new_support_button = QPushButton(self.tr("支援を記録（Ctrl+N）"))
        self.new_support_button.setVisible(self._principal.can(Kind.STREET, Action.CREATE))
        self.new_support_button.clicked.connect(self.new_support)
        self.open_support_button = QPushButton(self.tr("開く（Enter）"))
        self.support_table = make_table_view(self.support_model, SUPPORT_WIDTHS)
        self._connect_open(
            self.support_table,
            self.open_support_button,
            lambda row: self.open_support.emit(self.support_model.row_at(row).id),
        )
        for combo in (self.kind_combo, self.support_association_combo, self.staff_combo):
            combo.currentIndexChanged.connect(self.apply_support_filters)
        for edit in (self.from_edit, self.to_edit):
            edit.editingFinished.connect(self.apply_support_filters)
            edit.textChanged.connect(self._support_period_cleared)
        self.support_model.modelReset.connect(self._count_supports)

        top = QHBoxLayout()
        for combo in (self.kind_combo, self.support_association_combo, self.staff_combo):
            top.addWidget(combo)
        top.addWidget(QLabel(self.tr("支援日")))
        top.addWidget(self.from_edit)
        top.addWidget(QLabel("〜"))
        top.addWidget(self.to_edit)
        top.addWidget(self.period_error)
        top.addStretch(1)
        top.addWidget(self.support_count)
        tab = QWidget()
        if self._exports is not None:
            self.support_export = ListExport(
                self._exports, "street-support", self.shown_support_query, tab, self._principal
            )
        top.addWidget(self.open_support_button)
        top.addWidget(self.new_support_button)
        layout = QVBoxLayout(tab)
        layout.addLayout(top)
        layout.addWidget(self.support_table, 1)
        return tab

    def show_supports(self, first: date, last: date) -> None:
        """The 支援記録 tab: every support record dated from ``first`` to ``last``, of every
        kind, street and member of staff (a report's 商店街支援 件数)."""
        self.tabs.setCurrentIndex(SUPPORTS_TAB)
        combos = (self.kind_combo, self.support_association_combo, self.staff_combo)
        # Not the date fields: their ✕ shows on their own textChanged (which acts only on a
        # cleared field), and setText finishes no edit.
        for combo in combos:
            combo.blockSignals(True)
        try:
            for combo in combos:
                combo.setCurrentIndex(0)
            self.from_edit.setText(first.isoformat())
            self.to_edit.setText(last.isoformat())
        finally:
            for combo in combos:
                combo.blockSignals(False)
        # From the plain list query: a filter set elsewhere (an initiative) must not stay on.
        self.support_model.query = SupportQuery()
        self.support_model.reload(self.support_query())

    def _period(self) -> tuple[date | None, date | None, str]:
        return read_period((self.from_edit, self.to_edit))

    def support_query(self) -> SupportQuery:
        date_from, date_to, error = self._period()
        query = replace(
            self.support_model.query,
            kind_id=self.kind_combo.currentData(),
            association_id=self.support_association_combo.currentData(),
            staff_id=self.staff_combo.currentData(),
            date_from=date_from,
            date_to=date_to,
        )
        if not error and (problems := query.errors()):
            error = text_for(problems[0].code)
        self.period_error.setText(error)
        self.period_error.setVisible(bool(error))
        return query

    def list_exports(self) -> list[ListExport]:
        """The 書き出し of the 支援記録 and 補助金 lists (as given and allowed to see)."""
        return [e for e in (self.support_export, self.subsidy_export) if e is not None]

    def _show_export_button(self, *_: object) -> None:
        shown = self.tabs.currentWidget()
        for export in self.list_exports():
            export.button.setVisible(export.allowed and export.scope is shown)

    def shown_support_query(self) -> SupportQuery:
        self.apply_support_filters()
        return self.support_model.query

    def apply_support_filters(self, *_: object) -> None:
        query = self.support_query()
        if query != self.support_model.query:
            self.support_model.reload(query)

    def _support_period_cleared(self, text: str) -> None:
        if not text:  # the edit's ✕, or the text deleted: that end of the period is open
            self.apply_support_filters()

    def _count_supports(self) -> None:
        query = self.support_model.query
        count = 0 if query.errors() else self._streets.count_supports(query, COUNT_CAP)
        self.support_count.setText(count_text(count))

    # --- 補助金 ---------------------------------------------------------------------------

    def _subsidies_tab(self) -> QWidget:
        self.subsidy_model = SubsidyTableModel(self._subsidies, self)
        this_year = fiscal_year(japan_today())
        years = range(this_year + 1, this_year - 5, -1)
        self.state_combo = _combo([(self.tr(text), states) for text, states in STATE_CHOICES])
        self.program_combo = _combo(
            [(self.tr("補助金: すべて"), None)]
            + [(p.name, p.id) for p in self._subsidies.programs(include_inactive=True)],
            14,
        )
        self.target_combo = _combo(
            [(self.tr("対象: すべて"), None)] + [(t.label, t) for t in SubsidyTarget], 6
        )
        self.year_combo = _combo(
            [(self.tr("年度: すべて"), None)]
            + [(f"{wareki_fiscal_year(y)}（{y}）", y) for y in years],
            9,
        )
        self.report_combo = _combo(
            [
                (self.tr("実績報告: すべて"), None),
                (self.tr("実績報告: 期限間近・超過"), ReportDue.DUE),
                (self.tr("実績報告: 期限超過"), ReportDue.OVERDUE),
            ],
            12,
        )
        # 交付決定日: applications granted in the period (a report's 交付決定件数 / 額, whose
        # sum the label beside the period gives).
        self.granted_from_edit = period_edit(self.tr("例: 2026-04-01"), clear_button=True)
        self.granted_to_edit = period_edit(self.tr("例: R9.3.31"), clear_button=True)
        for edit in (self.granted_from_edit, self.granted_to_edit):
            edit.editingFinished.connect(self.apply_subsidy_filters)
            edit.textChanged.connect(self._grant_period_cleared)
        self.granted_error = QLabel()
        self.granted_error.setStyleSheet(ERROR_STYLE)
        self.granted_error.hide()
        self.granted_total = _bold(QLabel())
        self.granted_total.setToolTip(
            self.tr("一覧の金額は最新の額（支払額・確定額・交付決定額の順）です。")
        )
        self.granted_total.hide()
        self.subsidy_count = QLabel()
        self.subsidy_count.setObjectName("count")
        self.new_subsidy_button = QPushButton(self.tr("新しい申請（Ctrl+N）"))
        self.new_subsidy_button.setVisible(self._principal.can(Kind.SUBSIDY, Action.CREATE))
        self.new_subsidy_button.clicked.connect(self.new_subsidy)
        self.open_subsidy_button = QPushButton(self.tr("開く（Enter）"))
        self.subsidy_table = make_table_view(self.subsidy_model, SUBSIDY_WIDTHS)
        # 件名 takes the room left; 実績報告の期限 keeps the width its longest text needs.
        subsidy_header = self.subsidy_table.horizontalHeader()
        subsidy_header.setStretchLastSection(False)
        subsidy_header.setSectionResizeMode(TITLE_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.subsidy_table.setColumnWidth(DUE_COLUMN, DUE_WIDTH)
        self._connect_open(
            self.subsidy_table,
            self.open_subsidy_button,
            lambda row: self.open_subsidy.emit(self.subsidy_model.row_at(row).id),
        )
        for combo in (
            self.state_combo,
            self.program_combo,
            self.target_combo,
            self.year_combo,
            self.report_combo,
        ):
            combo.currentIndexChanged.connect(self.apply_subsidy_filters)
        self.subsidy_model.modelReset.connect(self._count_subsidies)

        self.spending_year = QComboBox()
        for year in years:
            self.spending_year.addItem(f"{wareki_fiscal_year(year)}（{year}年度）", year)
        self.spending_year.setCurrentIndex(self.spending_year.findData(this_year))
        self.spending_year.currentIndexChanged.connect(self.refresh_spending)
        self.spending_total = _bold(QLabel())
        self.spending_table = QTableWidget(0, 5)
        self.spending_table.setHorizontalHeaderLabels(
            [
                self.tr("補助金"),
                self.tr("件数"),
                self.tr("交付決定額"),
                self.tr("確定額"),
                self.tr("支払額"),
            ]
        )
        self.spending_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.spending_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.spending_table.verticalHeader().hide()
        self.spending_table.verticalHeader().setDefaultSectionSize(SPENDING_ROW_HEIGHT)
        header = self.spending_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the program's name
        for column, width in enumerate((0, 70, 140, 140, 140)):
            if column:
                self.spending_table.setColumnWidth(column, width)

        top = QHBoxLayout()
        for combo in (
            self.state_combo,
            self.program_combo,
            self.target_combo,
            self.year_combo,
            self.report_combo,
        ):
            top.addWidget(combo)
        top.addStretch(1)
        top.addWidget(self.subsidy_count)
        tab = QWidget()
        if self._exports is not None:
            self.subsidy_export = ListExport(
                self._exports, "subsidies", self.shown_subsidy_query, tab, self._principal
            )
        top.addWidget(self.open_subsidy_button)
        top.addWidget(self.new_subsidy_button)
        period = QHBoxLayout()
        period.addWidget(QLabel(self.tr("交付決定日")))
        period.addWidget(self.granted_from_edit)
        period.addWidget(QLabel("〜"))
        period.addWidget(self.granted_to_edit)
        period.addWidget(self.granted_error)
        period.addStretch(1)
        period.addWidget(self.granted_total)
        spending = QGroupBox(self.tr("年度別の支出（交付決定以降の申請、申請日の年度）"))
        spending_layout = QVBoxLayout(spending)
        year_row = QHBoxLayout()
        year_row.addWidget(self.spending_year)
        year_row.addStretch(1)
        year_row.addWidget(self.spending_total)
        spending_layout.addLayout(year_row)
        spending_layout.addWidget(self.spending_table)
        layout = QVBoxLayout(tab)
        layout.addLayout(top)
        layout.addLayout(period)
        layout.addWidget(self.subsidy_table, 1)
        layout.addWidget(spending)
        return tab

    def show_granted(self, first: date, last: date) -> None:
        """The 補助金 tab: every application granted from ``first`` to ``last`` (交付決定日 in
        the period, with a 交付決定額), whatever its state now, its program or its 年度 (a
        report's 交付決定件数; the sum beside the period is its 交付決定額)."""
        if not self.subsidies_visible:
            return
        self.tabs.setCurrentIndex(SUBSIDIES_TAB)
        combos = (
            self.state_combo,
            self.program_combo,
            self.target_combo,
            self.year_combo,
            self.report_combo,
        )
        # Not the date fields: their ✕ shows on their own textChanged (which acts only on a
        # cleared field), and setText finishes no edit.
        for combo in combos:
            combo.blockSignals(True)
        try:
            for combo in combos:
                combo.setCurrentIndex(0)
            self.state_combo.setCurrentIndex(EVERY_STATE)
            self.granted_from_edit.setText(first.isoformat())
            self.granted_to_edit.setText(last.isoformat())
        finally:
            for combo in combos:
                combo.blockSignals(False)
        self.subsidy_model.query = ApplicationQuery()
        self.subsidy_model.reload(self.subsidy_query())

    def subsidy_query(self) -> ApplicationQuery:
        granted_from, granted_to, error = read_period(
            (self.granted_from_edit, self.granted_to_edit)
        )
        query = replace(
            self.subsidy_model.query,
            states=self.state_combo.currentData(),
            program_id=self.program_combo.currentData(),
            target=self.target_combo.currentData(),
            fiscal_year=self.year_combo.currentData(),
            report=self.report_combo.currentData(),
            granted_from=granted_from,
            granted_to=granted_to,
        )
        if not error and (problems := query.errors()):
            error = text_for(problems[0].code)
        self.granted_error.setText(error)
        self.granted_error.setVisible(bool(error))
        return query

    def shown_subsidy_query(self) -> ApplicationQuery:
        self.apply_subsidy_filters()
        return self.subsidy_model.query

    def apply_subsidy_filters(self, *_: object) -> None:
        query = self.subsidy_query()
        if self.granted_error.text():  # being corrected: the list keeps the last good filter
            return
        if query != self.subsidy_model.query:
            self.subsidy_model.reload(query)

    def _grant_period_cleared(self, text: str) -> None:
        if not text:  # the edit's ✕, or the text deleted: that end of the period is open
            self.apply_subsidy_filters()

    def _count_subsidies(self) -> None:
        query = self.subsidy_model.query
        self.subsidy_count.setText(count_text(self._subsidies.count(query, COUNT_CAP)))
        shown = query.grant_period
        if shown:
            total = self._subsidies.granted_total(query)
            self.granted_total.setText(
                self.tr("交付決定額の合計 {0}").format(format_yen(total) or "0円")
            )
        self.granted_total.setVisible(shown)

    def refresh_spending(self, *_: object) -> None:
        try:
            lines = self._subsidies.spending_by_fiscal_year(self.spending_year.currentData())
        except DomainError as error:
            self.spending_total.setText(error_text(error))
            return
        self._fill_spending(lines)

    def _fill_spending(self, lines: list[SpendingLine]) -> None:
        table = self.spending_table
        table.setRowCount(len(lines) + (1 if lines else 0))
        rows = [
            (line.program_name, (line.applications, line.granted, line.confirmed, line.paid))
            for line in lines
        ]
        sums = tuple(sum(r[1][i] for r in rows) for i in range(4))
        for row, (name, figures) in enumerate([*rows, (self.tr("合計"), sums)] if rows else []):
            items = [QTableWidgetItem(name), QTableWidgetItem(f"{figures[0]:,}件")]
            items += [QTableWidgetItem(format_yen(amount)) for amount in figures[1:]]
            for column, item in enumerate(items):
                if column:
                    item.setTextAlignment(_RIGHT)
                if row == len(rows):  # the total
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                table.setItem(row, column, item)
        shown = min(max(table.rowCount(), 1), SPENDING_ROWS)
        header = table.horizontalHeader().sizeHint().height()
        table.setFixedHeight(header + shown * SPENDING_ROW_HEIGHT + 4)
        self.spending_total.setText(
            self.tr("支払済 {0}／交付決定 {1}").format(format_yen(sums[3]), format_yen(sums[1]))
            if rows
            else self.tr("この年度に交付決定した申請はありません。")
        )

    # --- shared ---------------------------------------------------------------------------

    def _connect_open(
        self, table: QTableView, button: QPushButton, emit: Callable[[int], None]
    ) -> None:
        def open_selected() -> None:
            row = selected_row(table)
            if row is not None:
                emit(row)

        table.doubleClicked.connect(lambda index: emit(index.row()))
        button.clicked.connect(open_selected)
        QShortcut(QKeySequence(Qt.Key.Key_Return), table, open_selected)
        QShortcut(QKeySequence(Qt.Key.Key_Enter), table, open_selected)

    def new_for_tab(self) -> None:
        """Ctrl+N: a new record of the list shown (if the role may make one)."""
        index = self.tabs.currentIndex()
        buttons = [self.new_association_button, self.new_support_button]
        if self.subsidies_visible:
            buttons.append(self.new_subsidy_button)
        button = buttons[index]
        if not button.isHidden():
            button.click()

    def refresh(self) -> None:
        """Read every list again (after a record changed, or when the page is shown)."""
        self.association_model.reload(self.association_query())
        self.support_model.reload(self.support_query())
        if self.subsidies_visible:
            query = self.subsidy_query()
            self.subsidy_model.reload(
                self.subsidy_model.query if self.granted_error.text() else query
            )
            self.refresh_spending()

    def showEvent(self, event: QShowEvent) -> None:
        # Coming back to the page: others may have added records, and report days have come.
        if self._shown:
            self.refresh()
        self._shown = True
        super().showEvent(event)

"""融資あっせん: every case by state and age, the lead times per bank and fund, and the interest
subsidy the ward will pay in a 年度. The list pages over the service like every other list."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.errors import DomainError
from consult_desk.domain.fiscal import (
    fiscal_year,
    fiscal_year_range,
    format_date,
    format_yen,
    japan_today,
    wareki_fiscal_year,
)
from consult_desk.domain.loans import BEFORE_EXECUTION, PIPELINE_ORDER, LoanQuery, LoanState
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.services.exports import ExportService
from consult_desk.services.loan_master import LoanMasterService
from consult_desk.services.loans import LeadTimes, LoanService
from consult_desk.services.reference import ReferenceService
from consult_desk.services.safety_net import SafetyNetService
from consult_desk.services.settings import SettingsService
from consult_desk.ui.models.loan_table import BUSINESS_COLUMN, LoanTableModel
from consult_desk.ui.pages.safety_net import SafetyNetPanel
from consult_desk.ui.widgets.list_export import ListExport
from consult_desk.ui.widgets.period import period_edit, read_period
from consult_desk.ui.widgets.tables import COUNT_CAP, count_text, make_table_view, selected_row

# Starting widths; _fit_columns then sizes each column but 事業者 to the longest text it can
# hold (the funds, banks, states and staff are known up front) and 事業者 takes the rest.
WIDTHS = (124, 168, 100, 98, 76, 108, 110, 60)
CELL_PADDING = 10  # a cell's text margins (3 + 3) and the grid line, with a little air
# The longest texts of the columns whose values are not listed anywhere.
SAMPLES = {0: format_date(date(japan_today().year, 12, 31)), 4: "999日", 6: "99,999,999円"}
STATE_ROW_HEIGHT = 21
ERROR_STYLE = "color: #b00020;"
OVERDUE = QBrush(QColor("#b00020"))
EMPTY = QBrush(QColor("#999999"))
NONE = "—"
# The cases the desk is still chasing (not yet paid out, not closed): the default view.
OPEN_STATES = frozenset(BEFORE_EXECUTION)
# The state list: 手続き中 (the default), すべて, then each state in pipeline order.
STATE_ROWS: tuple[frozenset[LoanState], ...] = (
    OPEN_STATES,
    frozenset(),
    *(frozenset({s}) for s in PIPELINE_ORDER),
)
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _small_table(headers: list[str], widths: tuple[int, ...] = ()) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(STATE_ROW_HEIGHT)
    table.horizontalHeader().setStretchLastSection(True)
    for column, width in enumerate(widths):
        table.setColumnWidth(column, width)
    return table


def _item(text: str, right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if right:
        item.setTextAlignment(_RIGHT)
    return item


def _combo(first: str, items: Sequence[tuple[str, object]]) -> QComboBox:
    combo = QComboBox()
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(9)
    combo.addItem(first, None)
    for text, value in items:
        combo.addItem(text, value)
    return combo


def _days(value: float | None) -> str:
    return NONE if value is None else f"{value:g}日"


class LoanPipelinePage(QWidget):
    """The loan desk's page.

    - The state list shows every state with its cases and how many are overdue (for the
      filters other than the state); clicking a state narrows the list to it.
    - Overdue means longer in the state than the days set in 設定 › 案件の期限.
    - Roles that may not see amounts get the list with ＊＊＊ and no subsidy figures.
    - With ``safety_net`` the page has two tabs: the cases, and セーフティネット認定
      (``safety_net_panel``, whose signals the main window answers).
    """

    open_requested = Signal(int)  # a case to open
    new_requested = Signal()

    def __init__(
        self,
        loans: LoanService,
        loan_master: LoanMasterService,
        settings: SettingsService,
        reference: ReferenceService,
        principal: Principal,
        safety_net: SafetyNetService | None = None,
        parent: QWidget | None = None,
        *,
        exports: ExportService | None = None,
    ) -> None:
        super().__init__(parent)
        self._loans = loans
        self._exports = exports
        self.safety_net_panel = SafetyNetPanel(safety_net, principal) if safety_net else None
        self._settings = settings
        self._principal = principal
        self._amounts_visible = principal.sees_loan_amounts
        self._shown = False
        self.model = LoanTableModel(loans, self._thresholds(), self._amounts_visible, parent=self)

        title = QLabel(self.tr("融資あっせん"))
        title.setObjectName("pageTitle")
        self.count_label = QLabel()
        self.count_label.setObjectName("count")
        self.new_button = QPushButton(self.tr("新規案件（Ctrl+N）"))
        self.new_button.setVisible(principal.can(Kind.LOAN, Action.CREATE))
        self.new_button.clicked.connect(self.new_requested)
        self.open_button = QPushButton(self.tr("開く（Enter）"))
        self.open_button.clicked.connect(self.open_selected)

        programs = [(p.name, p.id) for p in loan_master.programs(include_inactive=True)]
        banks = [(b.name, b.id) for b in loan_master.banks(include_inactive=True)]
        officers = [(m.name, m.id) for m in reference.staff()]
        self.program_combo = _combo(self.tr("資金: すべて"), programs)
        self.bank_combo = _combo(self.tr("金融機関: すべて"), banks)
        self.officer_combo = _combo(self.tr("担当: すべて"), officers)
        self.from_edit = period_edit(self.tr("例: 2026-04-01"))
        self.to_edit = period_edit(self.tr("例: R9.3.31"))
        for edit in (self.from_edit, self.to_edit):
            edit.editingFinished.connect(self.apply_filters)
        self.period_error = QLabel()
        self.period_error.setStyleSheet(ERROR_STYLE)
        self.period_error.hide()
        self.overdue_check = QCheckBox(self.tr("期限超過のみ"))
        # Which date the period applies to: 受付日 (received_on), あっせん日, 実行日.
        self.date_field_combo = QComboBox()
        for text, field in (
            (self.tr("受付日"), "received"),
            (self.tr("あっせん日"), "referred"),
            (self.tr("実行日"), "executed"),
        ):
            self.date_field_combo.addItem(text, field)
        self.date_field_combo.currentIndexChanged.connect(lambda _index: self.apply_filters())

        self.state_table = _small_table([self.tr("状態"), self.tr("件数"), self.tr("超過")])
        self.state_table.horizontalHeader().setStretchLastSection(False)
        for column, width in enumerate((108, 38, 38)):
            self.state_table.setColumnWidth(column, width)
        self.state_table.setFixedWidth(190)
        self.state_table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.state_table.setRowCount(len(STATE_ROWS))
        self.state_table.itemSelectionChanged.connect(self.apply_filters)
        self.table = make_table_view(self.model, WIDTHS)
        self._fit_columns(
            {
                2: [name for name, _ in programs],
                3: [state.label for state in LoanState],
                5: [name for name, _ in banks],
                7: [name for name, _ in officers],
            }
        )
        self.table.doubleClicked.connect(lambda index: self._open(index.row()))

        self.lead_period = QComboBox()
        for text, period in self._lead_periods(japan_today()):
            self.lead_period.addItem(text, period)
        self.lead_period.currentIndexChanged.connect(self.refresh_lead_times)
        lead_headers = [
            self.tr("名称"),
            self.tr("件数"),
            self.tr("受付→あっせん"),
            self.tr("あっせん→実行"),
        ]
        self.bank_times = _small_table(lead_headers, (150, 48, 100))
        self.program_times = _small_table(lead_headers, (150, 48, 100))
        self.lead_tabs = QTabWidget()
        self.lead_tabs.addTab(self.bank_times, self.tr("金融機関別"))
        self.lead_tabs.addTab(self.program_times, self.tr("資金種別別"))

        this_year = fiscal_year(japan_today())
        self.year_combo = QComboBox()
        for year in range(this_year - 2, this_year + 6):
            self.year_combo.addItem(f"{wareki_fiscal_year(year)}（{year}年度）", year)
        self.year_combo.setCurrentIndex(self.year_combo.findData(this_year))
        self.year_combo.currentIndexChanged.connect(self.refresh_forecast)
        self.forecast_total = QLabel()
        total_font = QFont(self.forecast_total.font())
        total_font.setBold(True)
        total_font.setPointSize(total_font.pointSize() + 2)
        self.forecast_total.setFont(total_font)
        self.forecast_table = _small_table(
            [self.tr("資金種別"), self.tr("対象の融資"), self.tr("利子補給の見込み")], (150, 80)
        )

        self._build_layout(title)
        self.overdue_check.toggled.connect(self.apply_filters)
        for combo in (self.program_combo, self.bank_combo, self.officer_combo):
            combo.currentIndexChanged.connect(self.apply_filters)
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, self.open_selected)
        QShortcut(QKeySequence(Qt.Key.Key_Enter), self.table, self.open_selected)
        self.model.modelReset.connect(self._update_count)
        self.refresh()

    def _fit_columns(self, texts: dict[int, list[str]]) -> None:
        """Each column as wide as its longest possible text (and its title); 事業者 stretches
        over what is left, so 資金種別 and 金融機関 are not cut off while 担当 sits wide."""
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        cell = self.table.fontMetrics()
        title = header.fontMetrics()
        for column in range(self.model.columnCount()):
            if column == BUSINESS_COLUMN:
                continue
            caption = str(self.model.headerData(column, Qt.Orientation.Horizontal) or "")
            found = [*texts.get(column, []), SAMPLES.get(column, "")]
            width = max(
                title.horizontalAdvance(caption) + CELL_PADDING,
                *(cell.horizontalAdvance(text) + CELL_PADDING for text in found),
            )
            self.table.setColumnWidth(column, width)
        header.setMinimumSectionSize(48)
        header.setSectionResizeMode(BUSINESS_COLUMN, QHeaderView.ResizeMode.Stretch)

    def _build_layout(self, title: QLabel) -> None:
        loans_tab = QWidget()
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.count_label)
        self.export: ListExport | None = None
        if self._exports is not None:  # 書き出し…（Ctrl+E）, on the cases' tab
            self.export = ListExport(
                self._exports, "loans", self.shown_query, loans_tab, self._principal
            )
            top.addWidget(self.export.button)
        top.addWidget(self.open_button)
        top.addWidget(self.new_button)
        filters = QHBoxLayout()
        for combo in (self.program_combo, self.bank_combo, self.officer_combo):
            filters.addWidget(combo)
        filters.addWidget(self.date_field_combo)
        filters.addWidget(self.from_edit)
        filters.addWidget(QLabel("〜"))
        filters.addWidget(self.to_edit)
        filters.addWidget(self.period_error)
        filters.addWidget(self.overdue_check)
        filters.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(self.state_table)
        middle.addWidget(self.table, 1)

        lead_box = QGroupBox(self.tr("所要日数（中央値）"))
        lead_layout = QVBoxLayout(lead_box)
        self.lead_period.setToolTip(self.tr("あっせん書の交付日で絞り込みます"))
        self.lead_tabs.setCornerWidget(self.lead_period)
        lead_layout.addWidget(self.lead_tabs)
        self.forecast_box = QGroupBox(self.tr("利子補給の見込み"))
        forecast_layout = QVBoxLayout(self.forecast_box)
        year_row = QHBoxLayout()
        year_row.addWidget(self.year_combo)
        year_row.addStretch(1)
        year_row.addWidget(self.forecast_total)
        forecast_layout.addLayout(year_row)
        forecast_layout.addWidget(self.forecast_table)
        self.forecast_box.setVisible(self._amounts_visible)  # nothing to show without amounts
        bottom = QHBoxLayout()
        bottom.addWidget(lead_box, 1)
        bottom.addWidget(self.forecast_box, 1)
        bottom_widget = QWidget()
        bottom_widget.setLayout(bottom)
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom_widget.setFixedHeight(195)

        layout = QVBoxLayout(loans_tab)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addLayout(middle, 1)
        layout.addWidget(bottom_widget)
        page = QVBoxLayout(self)
        page.setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(loans_tab, self.tr("融資あっせん"))
        if self.safety_net_panel is not None:
            self.tabs.addTab(self.safety_net_panel, self.tr("セーフティネット認定"))
        self.tabs.tabBar().setVisible(self.tabs.count() > 1)
        page.addWidget(self.tabs)

    def safety_net_shown(self) -> bool:
        """The セーフティネット認定 tab is the one in front (Ctrl+N starts an application)."""
        panel = self.safety_net_panel
        return panel is not None and self.tabs.currentWidget() is panel

    @staticmethod
    def _lead_periods(today: date) -> list[tuple[str, tuple[date | None, date | None]]]:
        fy = fiscal_year(today)
        return [
            ("今年度", fiscal_year_range(fy)),
            ("前年度", fiscal_year_range(fy - 1)),
            ("すべての期間", (None, None)),
        ]

    def _thresholds(self) -> dict[str, int]:
        try:
            return self._settings.loan_overdue_days()
        except DomainError:  # a role without master data: nothing is flagged
            return {}

    # --- filters --------------------------------------------------------------------------

    def selected_states(self) -> frozenset[LoanState]:
        """The states the list shows (empty: every state)."""
        rows = self.state_table.selectionModel().selectedRows()
        return STATE_ROWS[rows[0].row()] if rows else OPEN_STATES

    def select_states(self, states: frozenset[LoanState]) -> None:
        """Click a line of the state list: OPEN_STATES, frozenset() for all, or one state."""
        self.state_table.selectRow(STATE_ROWS.index(states))

    def show_received(self, first: date, last: date) -> None:
        """Every case received in a period, whatever its state (a report's 受付件数)."""
        self._show(frozenset(), first, last, overdue=False)

    def show_referred(self, first: date, last: date) -> None:
        """Every case referred to a bank in a period (a report's あっせん件数)."""
        self._show(frozenset(), first, last, overdue=False, field="referred")

    def show_executed(self, first: date, last: date) -> None:
        """Every case executed in a period (a report's 実行件数 / 実行金額)."""
        self._show(frozenset(), first, last, overdue=False, field="executed")

    def show_overdue(self) -> None:
        """The open cases longer in their state than 設定 › 案件の期限 allows."""
        self._show(OPEN_STATES, None, None, overdue=True)

    def _show(
        self,
        states: frozenset[LoanState],
        first: date | None,
        last: date | None,
        *,
        overdue: bool,
        field: str = "received",
    ) -> None:
        self.tabs.setCurrentIndex(0)
        widgets = (
            self.program_combo,
            self.bank_combo,
            self.officer_combo,
            self.overdue_check,
            self.date_field_combo,
        )
        for widget in widgets:
            widget.blockSignals(True)
        try:
            for combo in (self.program_combo, self.bank_combo, self.officer_combo):
                combo.setCurrentIndex(0)
            self.date_field_combo.setCurrentIndex(self.date_field_combo.findData(field))
            self.from_edit.setText(first.isoformat() if first else "")
            self.to_edit.setText(last.isoformat() if last else "")
            self.overdue_check.setChecked(overdue)
            self.state_table.blockSignals(True)
            self.select_states(states)
            self.state_table.blockSignals(False)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self.apply_filters(force=True)

    def _period(self) -> tuple[date | None, date | None, str]:
        start, end, error = read_period((self.from_edit, self.to_edit))
        if not error and start is not None and end is not None and start > end:
            error = self.tr("期間の開始が終了より後です。")
        return start, end, error

    def period_ok(self) -> bool:
        """Show what is wrong with the 受付日 period, if anything; False when it is wrong
        (the list is then not read: it would only say 0 件)."""
        error = self._period()[2]
        self.period_error.setText(error)
        self.period_error.setVisible(bool(error))
        return not error

    def current_query(self) -> LoanQuery:
        first, last, _error = self._period()
        field = self.date_field_combo.currentData()
        return replace(
            self.model.query,
            states=self.selected_states(),
            program_id=self.program_combo.currentData(),
            bank_id=self.bank_combo.currentData(),
            officer_id=self.officer_combo.currentData(),
            received_from=first if field == "received" else None,
            received_to=last if field == "received" else None,
            referred_from=first if field == "referred" else None,
            referred_to=last if field == "referred" else None,
            executed_from=first if field == "executed" else None,
            executed_to=last if field == "executed" else None,
            overdue_only=self.overdue_check.isChecked(),
        )

    def shown_query(self) -> LoanQuery:
        """The filter of the cases shown (a period being corrected is not applied yet)."""
        self.apply_filters()
        return self.model.query

    def apply_filters(self, *_: object, force: bool = False) -> None:
        if not self.period_ok():
            return
        query = self.current_query()
        if force or query != self.model.query:
            self.model.reload(query, self._thresholds())
            self._update_states()

    def refresh(self) -> None:
        """Read everything again (after a case changed, or when the page is shown)."""
        query = self.current_query() if self.period_ok() else self.model.query
        self.model.reload(query, self._thresholds())
        self._update_states()
        self.refresh_lead_times()
        self.refresh_forecast()

    def showEvent(self, event: QShowEvent) -> None:
        # Coming back to the page: others may have moved cases, and the days have grown.
        if self._shown:
            self.refresh()
        self._shown = True
        super().showEvent(event)

    def _update_count(self) -> None:
        count = self._loans.count(self.model.query, COUNT_CAP, thresholds=self.model.thresholds)
        self.count_label.setText(count_text(count))

    def _update_states(self) -> None:
        counts = self._loans.counts_by_state(self.model.query, thresholds=self.model.thresholds)
        table = self.state_table
        table.blockSignals(True)  # filling must not count as clicking a state
        labels = [self.tr("手続き中"), self.tr("すべての状態")]
        rows = []
        for index, states in enumerate(STATE_ROWS):
            chosen = [v for s, v in counts.items() if not states or s in states]
            label = labels[index] if index < len(labels) else next(iter(states)).label
            rows.append((label, sum(n for n, _ in chosen), sum(late for _, late in chosen)))
        for row, (label, number, late) in enumerate(rows):
            cells = [
                _item(label),
                _item(f"{number:,}", right=True),
                _item(f"{late:,}" if late else "", right=True),
            ]
            for column, item in enumerate(cells):
                if number == 0:
                    item.setForeground(EMPTY)
                elif late and column == 2:
                    item.setForeground(OVERDUE)
                if row < 2:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                table.setItem(row, column, item)
        first = table.item(0, 0)
        if first is not None:
            first.setToolTip(self.tr("融資実行前で、終了していない案件"))
        if not table.selectionModel().selectedRows():
            table.selectRow(0)
        table.blockSignals(False)

    # --- lead times and subsidy -----------------------------------------------------------

    def refresh_lead_times(self, *_: object) -> None:
        date_from, date_to = self.lead_period.currentData()
        times = self._loans.lead_times(date_from, date_to)
        for table, rows in (
            (self.bank_times, times["bank"]),
            (self.program_times, times["program"]),
        ):
            self._fill_lead_times(table, rows)

    def _fill_lead_times(self, table: QTableWidget, rows: list[LeadTimes]) -> None:
        table.setRowCount(len(rows))
        for row, times in enumerate(rows):
            cells = [
                _item(times.label),
                _item(f"{times.cases:,}", right=True),
                _item(_days(times.to_referral), right=True),
                _item(_days(times.to_execution), right=True),
            ]
            for column, item in enumerate(cells):
                table.setItem(row, column, item)

    def refresh_forecast(self, *_: object) -> None:
        if not self._amounts_visible:
            return
        try:
            forecast = self._loans.forecast(int(self.year_combo.currentData()))
        except DomainError:  # a role that may read cases but not the budget figures
            self.forecast_box.hide()
            return
        self.forecast_total.setText(self.tr("合計 {0}").format(format_yen(forecast.total)))
        loans_by_program: dict[str, int] = {}
        for line in forecast.lines:
            if line.subsidy:
                loans_by_program[line.program_name] = loans_by_program.get(line.program_name, 0) + 1
        rows = sorted(forecast.by_program.items(), key=lambda item: -item[1])
        self.forecast_table.setRowCount(len(rows))
        for row, (program, amount) in enumerate(rows):
            self.forecast_table.setItem(row, 0, _item(program))
            self.forecast_table.setItem(
                row, 1, _item(f"{loans_by_program.get(program, 0):,}件", right=True)
            )
            self.forecast_table.setItem(row, 2, _item(format_yen(amount), right=True))

    # --- opening --------------------------------------------------------------------------

    def open_selected(self) -> None:
        row = selected_row(self.table)
        if row is not None:
            self._open(row)

    def _open(self, row: int) -> None:
        self.open_requested.emit(self.model.row_at(row).id)

"""専門家派遣: the dispatches (paged, filterable), the expert register and the fees (謝金) per
年度 and per expert. The lists page over their services like every other list."""

from dataclasses import replace
from datetime import date

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
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

from consult_desk.domain.dispatch import (
    QUALIFICATIONS,
    TERMINAL,
    DispatchQuery,
    DispatchState,
    ExpertQuery,
)
from consult_desk.domain.errors import DomainError
from consult_desk.domain.fiscal import (
    fiscal_year,
    format_yen,
    japan_today,
    wareki_fiscal_year,
)
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.services.dispatch import DispatchService
from consult_desk.services.experts import ExpertService
from consult_desk.services.exports import ExportService
from consult_desk.services.reference import ReferenceService
from consult_desk.ui.dialogs.expert_dialog import ExpertDialog
from consult_desk.ui.messages import text_for
from consult_desk.ui.models.dispatch_tables import (
    THEME_COLUMN,
    VISITS_COLUMN,
    DispatchTableModel,
    ExpertTableModel,
)
from consult_desk.ui.widgets.list_export import ListExport
from consult_desk.ui.widgets.period import period_edit, read_period
from consult_desk.ui.widgets.tables import COUNT_CAP, count_text, make_table_view, selected_row

DISPATCH_WIDTHS = (132, 180, 200, 170, 110, 80, 64)
VISITS_IN_PERIOD_WIDTH = 112  # 「12回（全12/12回）」 while a visit period is applied
ERROR_STYLE = "color: #b00020;"
EXPERT_WIDTHS = (110, 134, 210, 220, 230, 80)
SEARCH_DELAY_MS = 250
# The dispatches the desk is still working on (not paid, not cancelled): the default view.
OPEN_STATES = frozenset(set(DispatchState) - TERMINAL)
STATE_CHOICES: tuple[frozenset[DispatchState], ...] = (
    OPEN_STATES,
    frozenset(),
    *(frozenset({s}) for s in DispatchState),
)
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _combo(first: str, items: list[tuple[str, object]], width: int = 9) -> QComboBox:
    combo = QComboBox()
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(width)
    combo.addItem(first, None)
    for text, value in items:
        combo.addItem(text, value)
    return combo


def _small_table(headers: list[str], widths: tuple[int, ...]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(24)
    table.horizontalHeader().setStretchLastSection(True)
    for column, width in enumerate(widths):
        table.setColumnWidth(column, width)
    return table


def _compact_table(headers: list[str], widths: tuple[int, ...]) -> QTableWidget:
    """A table exactly as wide as its columns (figures next to their names)."""
    table = _small_table(headers, widths)
    table.horizontalHeader().setStretchLastSection(False)
    table.setFixedWidth(sum(widths) + 4)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return table


def _item(text: str, right: bool = False, bold: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if right:
        item.setTextAlignment(_RIGHT)
    if bold:
        font = item.font()
        font.setBold(True)
        item.setFont(font)
    return item


class DispatchListTab(QWidget):
    """The dispatches, newest application first, narrowed by the filters above the list."""

    open_requested = Signal(int)
    new_requested = Signal()

    def __init__(
        self,
        dispatch: DispatchService,
        experts: ExpertService,
        reference: ReferenceService,
        principal: Principal,
        parent: QWidget | None = None,
        *,
        exports: ExportService | None = None,
    ) -> None:
        super().__init__(parent)
        self._dispatch = dispatch
        self.model = DispatchTableModel(dispatch, parent=self)
        title = QLabel(self.tr("専門家派遣"))
        title.setObjectName("pageTitle")
        self.count_label = QLabel()
        self.count_label.setObjectName("count")
        self.new_button = QPushButton(self.tr("新規申請（Ctrl+N）"))
        self.new_button.setVisible(principal.can(Kind.DISPATCH, Action.CREATE))
        self.new_button.clicked.connect(self.new_requested)
        self.open_button = QPushButton(self.tr("開く（Enter）"))
        self.open_button.clicked.connect(self.open_selected)

        labels = [self.tr("手続き中"), self.tr("すべての状態")]
        self.state_combo = QComboBox()
        for index, states in enumerate(STATE_CHOICES):
            text = labels[index] if index < len(labels) else next(iter(states)).label
            self.state_combo.addItem(text, index)
        self.state_combo.setToolTip(self.tr("手続き中: 支払済・中止を除くすべて"))
        self.program_combo = _combo(
            self.tr("制度: すべて"),
            [(p.name, p.id) for p in dispatch.programs(include_inactive=True)],
            12,
        )
        expert_rows = experts.page(ExpertQuery(active=None), limit=1000)
        self.expert_combo = _combo(self.tr("専門家: すべて"), [(e.name, e.id) for e in expert_rows])
        self.staff_combo = _combo(
            self.tr("担当: すべて"), [(m.name, m.id) for m in reference.staff()]
        )
        this_year = fiscal_year(japan_today())
        self.year_combo = _combo(
            self.tr("年度: すべて"),
            [(wareki_fiscal_year(y), y) for y in range(this_year + 1, this_year - 5, -1)],
        )
        self.overdue_check = QCheckBox(self.tr("実績報告の期限超過のみ"))
        # 訪問日: the dispatches with a visit in the period (a report's 訪問回数 counts those
        # visits; the label beside the count says how many there are).
        self.visited_from_edit = period_edit(self.tr("例: 2026-04-01"), clear_button=True)
        self.visited_to_edit = period_edit(self.tr("例: R9.3.31"), clear_button=True)
        for edit in (self.visited_from_edit, self.visited_to_edit):
            edit.editingFinished.connect(self.apply_filters)
            edit.textChanged.connect(self._period_cleared)
        self.period_error = QLabel()
        self.period_error.setStyleSheet(ERROR_STYLE)
        self.period_error.hide()
        self.visits_label = QLabel()
        self.visits_label.setObjectName("count")
        self.visits_label.hide()
        self.table = make_table_view(self.model, DISPATCH_WIDTHS)
        self.table.doubleClicked.connect(lambda index: self._open(index.row()))
        self.empty_label = QLabel(self.tr("条件に合う派遣はありません。"))
        self.empty_label.setObjectName("notice")
        self.empty_label.hide()

        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.visits_label)
        top.addWidget(self.count_label)
        self.export: ListExport | None = None
        if exports is not None:  # 書き出し…（Ctrl+E）: the list as filtered now
            self.export = ListExport(exports, "dispatches", self.shown_query, self, principal)
            top.addWidget(self.export.button)
        top.addWidget(self.open_button)
        top.addWidget(self.new_button)
        filters = QHBoxLayout()
        for combo in (
            self.state_combo,
            self.program_combo,
            self.expert_combo,
            self.staff_combo,
            self.year_combo,
        ):
            filters.addWidget(combo)
            combo.currentIndexChanged.connect(self.apply_filters)
        filters.addStretch(1)
        dates = QHBoxLayout()
        dates.addWidget(QLabel(self.tr("訪問日")))
        dates.addWidget(self.visited_from_edit)
        dates.addWidget(QLabel("〜"))
        dates.addWidget(self.visited_to_edit)
        dates.addWidget(self.period_error)
        dates.addSpacing(16)
        dates.addWidget(self.overdue_check)
        dates.addStretch(1)
        self.overdue_check.toggled.connect(self.apply_filters)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addLayout(dates)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.table, 1)
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, self.open_selected)
        QShortcut(QKeySequence(Qt.Key.Key_Enter), self.table, self.open_selected)
        self.model.modelReset.connect(self._update_count)
        self.refresh()

    def show_visited(self, first: date, last: date) -> None:
        """The dispatches with a visit dated from ``first`` to ``last``, whatever their state
        or 年度 (a report's 訪問回数: the label beside the count gives their visits)."""
        combos = (
            self.state_combo,
            self.program_combo,
            self.expert_combo,
            self.staff_combo,
            self.year_combo,
        )
        # Not the date fields: their ✕ shows on their own textChanged (which reads only a
        # cleared field) and setText does not finish an edit.
        widgets = (*combos, self.overdue_check)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.state_combo.setCurrentIndex(STATE_CHOICES.index(frozenset()))  # すべての状態
            for combo in combos[1:]:
                combo.setCurrentIndex(0)
            self.overdue_check.setChecked(False)
            self.visited_from_edit.setText(first.isoformat())
            self.visited_to_edit.setText(last.isoformat())
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self.apply_filters(force=True)

    def _period(self) -> tuple[date | None, date | None, str]:
        return read_period((self.visited_from_edit, self.visited_to_edit))

    def current_query(self) -> DispatchQuery:
        visited_from, visited_to, _error = self._period()
        return replace(
            self.model.query,
            states=STATE_CHOICES[int(self.state_combo.currentData() or 0)],
            program_id=self.program_combo.currentData(),
            expert_id=self.expert_combo.currentData(),
            staff_id=self.staff_combo.currentData(),
            fiscal_year=self.year_combo.currentData(),
            report_overdue=self.overdue_check.isChecked(),
            visited_from=visited_from,
            visited_to=visited_to,
        )

    def period_ok(self) -> bool:
        """Show what is wrong with the 訪問日 period, if anything; False when it is wrong (the
        list is then not read again: it keeps the dispatches of the last good filter)."""
        error = self._period()[2]
        if not error and (problems := self.current_query().errors()):
            error = text_for(problems[0].code)
        self.period_error.setText(error)
        self.period_error.setVisible(bool(error))
        return not error

    def shown_query(self) -> DispatchQuery:
        self.apply_filters()
        return self.model.query

    def apply_filters(self, *_: object, force: bool = False) -> None:
        if not self.period_ok():
            return
        query = self.current_query()
        if force or query != self.model.query:
            self.model.reload(query)

    def _period_cleared(self, text: str) -> None:
        if not text:  # the edit's clear button, or the text deleted: show every date again
            self.apply_filters()

    def refresh(self) -> None:
        self.model.reload(self.current_query() if self.period_ok() else self.model.query)

    def _update_count(self) -> None:
        query = self.model.query
        count = self._dispatch.count(query, COUNT_CAP)
        self.count_label.setText(count_text(count))
        self.empty_label.setVisible(count == 0)
        period = query.visit_period
        if period:
            visits = self._dispatch.count_visits(query)
            self.visits_label.setText(
                self.tr("期間内の訪問 {0}回（派遣 {1}）").format(
                    f"{visits:,}", count_text(count).replace(" ", "")
                )
            )
        self.visits_label.setVisible(period)
        self.count_label.setVisible(not period)
        # The wider 訪問 column takes its room from テーマ (elided, its tooltip shows it all), so
        # 報告期限 keeps its width.
        visits_width = VISITS_IN_PERIOD_WIDTH if period else DISPATCH_WIDTHS[VISITS_COLUMN]
        self.table.setColumnWidth(VISITS_COLUMN, visits_width)
        self.table.setColumnWidth(
            THEME_COLUMN,
            DISPATCH_WIDTHS[THEME_COLUMN] - (visits_width - DISPATCH_WIDTHS[VISITS_COLUMN]),
        )

    def open_selected(self) -> None:
        row = selected_row(self.table)
        if row is not None:
            self._open(row)

    def _open(self, row: int) -> None:
        self.open_requested.emit(self.model.row_at(row).id)


class ExpertsTab(QWidget):
    """The expert register: search, qualification filter; those who cannot be assigned today
    (registration ended, stopped) are greyed. Administrators register and edit."""

    changed = Signal()

    def __init__(
        self, experts: ExpertService, principal: Principal, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._experts = experts
        self._principal = principal
        self.dialog: ExpertDialog | None = None  # the form opened last (window-modal)
        self.model = ExpertTableModel(experts, ExpertQuery(active=True), self)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("氏名・フリガナ・資格・得意分野で検索"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(260)
        self.qualification_combo = _combo(
            self.tr("資格: すべて"), [(q, q) for q in QUALIFICATIONS], 11
        )
        self.inactive_check = QCheckBox(self.tr("利用停止中も表示"))
        self.count_label = QLabel()
        self.count_label.setObjectName("count")
        self.new_button = QPushButton(self.tr("専門家を登録…"))
        self.new_button.setVisible(principal.can(Kind.MASTER, Action.CREATE))
        self.new_button.clicked.connect(self.new_expert)
        self.open_button = QPushButton(self.tr("開く（Enter）"))
        self.open_button.clicked.connect(self.open_selected)
        self.table = make_table_view(self.model, EXPERT_WIDTHS)
        self.table.doubleClicked.connect(lambda index: self.open_expert(index.row()))
        note = QLabel(
            self.tr(
                "灰色の行は本日派遣に選べない専門家です（登録期限切れ・利用停止）。"
                "専門家の登録・変更は管理者が行います。"
            )
        )
        note.setObjectName("notice")
        note.setWordWrap(True)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.apply_filters)
        self.search_edit.textChanged.connect(lambda _text: self._timer.start())
        self.search_edit.returnPressed.connect(self.apply_filters)
        self.qualification_combo.currentIndexChanged.connect(self.apply_filters)
        self.inactive_check.toggled.connect(self.apply_filters)
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, self.open_selected)
        QShortcut(QKeySequence(Qt.Key.Key_Enter), self.table, self.open_selected)
        self.model.modelReset.connect(self._update_count)

        top = QHBoxLayout()
        top.addWidget(self.search_edit)
        top.addWidget(self.qualification_combo)
        top.addWidget(self.inactive_check)
        top.addStretch(1)
        top.addWidget(self.count_label)
        top.addWidget(self.open_button)
        top.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        self.refresh()

    def current_query(self) -> ExpertQuery:
        return ExpertQuery(
            text=self.search_edit.text(),
            qualification=self.qualification_combo.currentData(),
            active=None if self.inactive_check.isChecked() else True,
        )

    def apply_filters(self, *_: object) -> None:
        self._timer.stop()
        query = self.current_query()
        if query != self.model.query:
            self.model.reload(query)

    def refresh(self) -> None:
        self.model.reload(self.current_query())

    def _update_count(self) -> None:
        self.count_label.setText(count_text(self._experts.count(self.model.query, COUNT_CAP)))

    def open_selected(self) -> None:
        row = selected_row(self.table)
        if row is not None:
            self.open_expert(row)

    def open_expert(self, row: int) -> ExpertDialog | None:
        return self._run(self.model.row_at(row).id)

    def new_expert(self) -> ExpertDialog | None:
        if not self._principal.can(Kind.MASTER, Action.CREATE):
            return None
        return self._run(None)

    def _run(self, expert_id: int | None) -> ExpertDialog | None:
        try:
            dialog = ExpertDialog(self._experts, self._principal, expert_id, parent=self)
        except DomainError:
            self.refresh()  # gone meanwhile
            return None
        dialog.saved.connect(self._saved)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _saved(self, _expert_id: int) -> None:
        self.refresh()
        self.changed.emit()


class FeesTab(QWidget):
    """謝金: visits and fees per 年度 (by visit date), and per expert in the chosen 年度."""

    def __init__(
        self,
        dispatch: DispatchService,
        experts: ExpertService,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._dispatch = dispatch
        self._experts = experts
        self.years_table = _compact_table(
            [self.tr("年度"), self.tr("訪問回数"), self.tr("謝金の合計")], (120, 90, 130)
        )
        self.years_table.itemSelectionChanged.connect(self._year_picked)
        this_year = fiscal_year(japan_today())
        self.year_combo = QComboBox()
        for year in range(this_year + 1, this_year - 6, -1):
            self.year_combo.addItem(f"{wareki_fiscal_year(year)}（{year}年度）", year)
        self.year_combo.setCurrentIndex(self.year_combo.findData(this_year))
        self.year_combo.currentIndexChanged.connect(self.refresh_experts)
        self.total_label = QLabel()
        self.total_label.setStyleSheet("font-weight: bold; color: #1f3a5f;")
        self.experts_table = _compact_table(
            [self.tr("専門家"), self.tr("訪問回数"), self.tr("謝金")], (200, 90, 130)
        )
        note = QLabel(
            self.tr(
                "訪問日の年度で集計します。各訪問の謝金は、入力した額、なければ制度の"
                "その年度の謝金、なければ専門家の謝金です。"
            )
        )
        note.setObjectName("notice")
        note.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(QLabel(self.tr("年度別")))
        left.addWidget(self.years_table)
        right = QVBoxLayout()
        picker = QHBoxLayout()
        picker.addWidget(QLabel(self.tr("専門家別")))
        picker.addWidget(self.year_combo)
        picker.addStretch(1)
        picker.addWidget(self.total_label)
        right.addLayout(picker)
        right.addWidget(self.experts_table)
        columns = QHBoxLayout()
        columns.addLayout(left)
        columns.addSpacing(24)
        columns.addLayout(right)
        columns.addStretch(1)  # figures stay next to their names, however wide the window
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(columns, 1)
        self.refresh()

    def refresh(self) -> None:
        years = self._dispatch.fees_by_fiscal_year()
        self.years_table.blockSignals(True)
        self.years_table.setRowCount(len(years))
        for row, fees in enumerate(reversed(years)):  # newest first
            cells = [
                _item(wareki_fiscal_year(fees.fiscal_year)),
                _item(f"{fees.visits:,}回", right=True),
                _item(format_yen(fees.total) or "0円", right=True),
            ]
            for column, item in enumerate(cells):
                item.setData(Qt.ItemDataRole.UserRole, fees.fiscal_year)
                self.years_table.setItem(row, column, item)
        self.years_table.blockSignals(False)
        self.refresh_experts()

    def _year_picked(self) -> None:
        rows = self.years_table.selectionModel().selectedRows()
        item = self.years_table.item(rows[0].row(), 0) if rows else None
        if item is not None:
            year = int(item.data(Qt.ItemDataRole.UserRole))
            index = self.year_combo.findData(year)
            if index < 0:
                self.year_combo.addItem(f"{wareki_fiscal_year(year)}（{year}年度）", year)
                index = self.year_combo.count() - 1
            self.year_combo.setCurrentIndex(index)

    def refresh_experts(self, *_: object) -> None:
        fees = self._experts.fees(int(self.year_combo.currentData()))
        self.experts_table.setRowCount(len(fees) + (1 if fees else 0))
        for row, fee in enumerate(fees):
            self.experts_table.setItem(row, 0, _item(fee.expert_name))
            self.experts_table.setItem(row, 1, _item(f"{fee.visits:,}回", right=True))
            self.experts_table.setItem(row, 2, _item(format_yen(fee.total) or "0円", right=True))
        total = sum(f.total for f in fees)
        if fees:
            last = len(fees)
            self.experts_table.setItem(last, 0, _item(self.tr("合計"), bold=True))
            visits = sum(f.visits for f in fees)
            self.experts_table.setItem(last, 1, _item(f"{visits:,}回", right=True, bold=True))
            self.experts_table.setItem(
                last, 2, _item(format_yen(total) or "0円", right=True, bold=True)
            )
        self.total_label.setText(self.tr("合計 {0}").format(format_yen(total) or "0円"))


class DispatchPage(QWidget):
    """The 専門家派遣 page: 派遣 / 専門家 / 謝金 tabs. ``open_requested`` and
    ``new_requested`` ask the main window for the dispatch window (it wires the カルテ and the
    follow-up panel the same way)."""

    open_requested = Signal(int)
    new_requested = Signal()

    def __init__(
        self,
        dispatch: DispatchService,
        experts: ExpertService,
        reference: ReferenceService,
        principal: Principal,
        parent: QWidget | None = None,
        *,
        exports: ExportService | None = None,
    ) -> None:
        super().__init__(parent)
        self._principal = principal
        self._shown = False
        self.list_tab = DispatchListTab(dispatch, experts, reference, principal, exports=exports)
        self.list_tab.open_requested.connect(self.open_requested)
        self.list_tab.new_requested.connect(self.new_requested)
        self.experts_tab = ExpertsTab(experts, principal)
        self.fees_tab = FeesTab(dispatch, experts)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.list_tab, self.tr("派遣"))
        self.tabs.addTab(self.experts_tab, self.tr("専門家"))
        self.tabs.addTab(self.fees_tab, self.tr("謝金"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    @property
    def model(self) -> DispatchTableModel:
        return self.list_tab.model

    @property
    def table(self) -> QTableView:
        return self.list_tab.table

    def show_visited(self, first: date, last: date) -> None:
        """The 派遣 tab: the dispatches with a visit in the period (a report's 訪問回数)."""
        self.tabs.setCurrentWidget(self.list_tab)
        self.list_tab.show_visited(first, last)

    def new_for_tab(self) -> None:
        """Ctrl+N: a new expert on the 専門家 tab, else a new application."""
        if self.tabs.currentWidget() is self.experts_tab:
            self.experts_tab.new_expert()
        elif self._principal.can(Kind.DISPATCH, Action.CREATE):
            self.new_requested.emit()

    def refresh(self) -> None:
        """Read everything again (after a dispatch changed, or when the page is shown)."""
        self.list_tab.refresh()
        self.fees_tab.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        # Coming back to the page: others may have moved dispatches, and days have passed.
        if self._shown:
            self.refresh()
            self.experts_tab.refresh()
        self._shown = True
        super().showEvent(event)

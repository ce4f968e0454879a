"""概況 (the manager's dashboard): this month and the 年度 to date beside last year, two small
charts, and what is waiting (follow-ups due, loan cases past their deadline).

- Every figure comes from ``ReportingService.monthly`` (the 月次報告's own numbers), read off
  the GUI thread; the consultations per month come from the consultation list's own count.
- Every figure of the table is a link to the list of exactly its records (consultations by
  相談日; loan cases by 受付日, あっせん日 or 実行日; dispatches with a visit in the period, the
  list adding up their visits there; support records by 支援日; applications granted in the
  period, the list adding up their 交付決定額), and so are the follow-ups and overdue cases:
  clicking it, or Enter on it, emits ``drill_requested`` with a ``Drill`` the main window turns
  into that list with the matching filter. A figure is plain for a role that may not read its
  list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.consultations import ConsultationQuery
from consult_desk.domain.errors import DomainError
from consult_desk.domain.fiscal import (
    fiscal_year,
    fiscal_year_range,
    format_date,
    japan_today,
    wareki_fiscal_year,
    wareki_month,
)
from consult_desk.domain.loans import BEFORE_EXECUTION, LoanQuery
from consult_desk.domain.permissions import MASK, Action, Kind, Principal
from consult_desk.domain.report_figures import PeriodFigures, PeriodReport
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.loans import LoanService
from consult_desk.services.reference import ReferenceService
from consult_desk.services.reporting import ReportingService, month_range
from consult_desk.services.settings import SettingsService
from consult_desk.ui.messages import error_text, text_for
from consult_desk.ui.widgets.background import BackgroundRunner
from consult_desk.ui.widgets.charts import BarChart, ChartSeries

LINK = QBrush(QColor("#1a56a8"))
UP = QBrush(QColor("#1d6b2f"))
DOWN = QBrush(QColor("#b00020"))
DRILL_ROLE = Qt.ItemDataRole.UserRole
ROW_HEIGHT = 26
LINK_STYLE = (
    "QPushButton { color: #1a56a8; text-decoration: underline; border: none;"
    " text-align: left; padding: 2px; font-size: 12pt; }"
    "QPushButton:focus { background: #e8eef6; }"
)
NONE = "—"
MONTHS_OFFERED = 24  # the month choice: this month and the 23 before it
log = logging.getLogger(__name__)


class DrillTarget(StrEnum):
    CONSULTATIONS = "consultations"  # the consultation list for a period (and a channel)
    LOANS_RECEIVED = "loans_received"  # the loan pipeline, every state, received in a period
    LOANS_REFERRED = "loans_referred"  # the loan pipeline, every state, referred in a period
    LOANS_EXECUTED = "loans_executed"  # the loan pipeline, every state, executed in a period
    LOANS_OVERDUE = "loans_overdue"  # the loan pipeline, open cases past their deadline
    DISPATCH_VISITS = "dispatch_visits"  # dispatches with a visit in a period (and the visits)
    STREET_SUPPORTS = "street_supports"  # support records of a period, every kind
    SUBSIDIES_GRANTED = "subsidies_granted"  # applications granted in a period (and their sum)
    FOLLOW_UPS_DUE = "follow_ups_due"  # today's follow-ups, everyone's
    FOLLOW_UPS_OPEN = "follow_ups_open"  # every open follow-up, whatever its due date


@dataclass(frozen=True, slots=True)
class Drill:
    """The list behind a figure: which list, and the filter that gives exactly its rows."""

    target: DrillTarget
    first: date | None = None
    last: date | None = None
    label: str = ""  # the period as the list's period choice shows it
    channel_id: int | None = None


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    figures: PeriodFigures
    label: str  # the period's name in the list it opens


@dataclass(frozen=True, slots=True)
class DashboardData:
    today: date
    year: int  # the month shown (this month unless another was chosen)
    month_number: int
    month: PeriodReport  # the month (whole), the same month last year, the 年度 to its end
    last_year: PeriodReport  # last year's month: its fiscal_year_to_date is last 年度's span
    months: tuple[str, ...]  # 4月 … the current month
    consultations_now: tuple[int, ...]  # consultations per month of this 年度, to this month
    consultations_before: tuple[int, ...]  # the same months of last 年度
    follow_ups_due: int | None  # None: the role may not read consultations
    follow_ups_open: int | None
    loans_overdue: int | None  # None: the role may not read loan cases


@dataclass(frozen=True, slots=True)
class Figure:
    label: str
    value: Callable[[PeriodFigures], int | None]
    unit: str
    drill: DrillTarget | None = None


FIGURES: tuple[Figure, ...] = (
    Figure("相談件数", lambda f: f.consultations.total, "件", DrillTarget.CONSULTATIONS),
    Figure("融資 受付件数", lambda f: f.loans.received, "件", DrillTarget.LOANS_RECEIVED),
    Figure("融資 あっせん件数", lambda f: f.loans.referred, "件", DrillTarget.LOANS_REFERRED),
    Figure("融資 実行件数", lambda f: f.loans.executed.count, "件", DrillTarget.LOANS_EXECUTED),
    Figure("融資 実行金額", lambda f: f.loans.executed.amount, "円", DrillTarget.LOANS_EXECUTED),
    Figure("専門家派遣 訪問回数", lambda f: f.dispatch.visits, "回", DrillTarget.DISPATCH_VISITS),
    Figure("商店街支援 件数", lambda f: f.streets.supports, "件", DrillTarget.STREET_SUPPORTS),
    Figure(
        "補助金 交付決定件数",
        lambda f: f.subsidies.granted.count,
        "件",
        DrillTarget.SUBSIDIES_GRANTED,
    ),
    Figure(
        "補助金 交付決定額",
        lambda f: f.subsidies.granted.amount,
        "円",
        DrillTarget.SUBSIDIES_GRANTED,
    ),
)


def _amount(value: int | None, unit: str) -> str:
    if value is None:
        return MASK
    if unit == "円" and abs(value) >= 10_000:
        return f"{value / 10_000:,.0f}万円"  # the dashboard's 万円; the reports keep yen
    return f"{value:,}{unit}"


def _ratio(now: int | None, before: int | None) -> tuple[str, QBrush | None]:
    if now is None or before is None:
        return NONE, None
    if before == 0:
        return (NONE, None) if now == 0 else ("新規", UP)
    percent = now * 100 / before
    return f"{percent:.0f}%", UP if now > before else DOWN if now < before else None


def gather(
    reporting: ReportingService,
    consultations: ConsultationService | None,
    loans: LoanService | None,
    settings: SettingsService | None,
    today: date,
    shown: tuple[int, int] | None = None,
) -> DashboardData:
    """Everything the page shows for the month ``shown`` (default: this month); runs on the
    worker thread (each service call opens its own session)."""
    year, month_number = shown or (today.year, today.month)
    month = reporting.monthly(year, month_number)
    last_year = reporting.monthly(year - 1, month_number)
    fy = fiscal_year(date(year, month_number, 1))
    spans = []
    labels = []
    y, m = fy, 4
    while (y, m) <= (year, month_number):
        spans.append((y, m))
        labels.append(f"{m}月")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    now: tuple[int, ...] = ()
    before: tuple[int, ...] = ()
    due = open_ = overdue = None
    if consultations is not None:

        def count(year: int, month_: int) -> int:
            first, last = month_range(year, month_)
            query = ConsultationQuery(date_from=first, date_to=last, archived=None)
            return consultations.count(query)

        now = tuple(count(y, m) for y, m in spans)
        before = tuple(count(y - 1, m) for y, m in spans)
        due = consultations.count(ConsultationQuery(open_follow_ups=True, due_to=today))
        open_ = consultations.count(ConsultationQuery(open_follow_ups=True))
    if loans is not None:
        thresholds = {}
        if settings is not None:
            try:
                thresholds = settings.loan_overdue_days()
            except DomainError:
                thresholds = {}
        overdue = loans.count(
            LoanQuery(states=frozenset(BEFORE_EXECUTION), overdue_only=True),
            thresholds=thresholds,
            today=today,
        )
    return DashboardData(
        today, year, month_number, month, last_year, tuple(labels), now, before, due, open_, overdue
    )


class DashboardPage(QWidget):
    drill_requested = Signal(object)  # a Drill

    def __init__(
        self,
        reporting: ReportingService,
        principal: Principal,
        *,
        consultations: ConsultationService | None = None,
        loans: LoanService | None = None,
        settings: SettingsService | None = None,
        reference: ReferenceService | None = None,
        lists: frozenset[DrillTarget] = frozenset(),
        parent: QWidget | None = None,
    ) -> None:
        """``lists``: the period lists besides consultations and loans that the window can
        open (dispatches, support records, subsidies); each is a link only for a role that may
        read it."""
        super().__init__(parent)
        self._reporting = reporting
        self._consultations = (
            consultations if principal.can(Kind.CONSULTATION, Action.READ) else None
        )
        self._loans = loans if principal.can(Kind.LOAN, Action.READ) else None
        readable = {
            DrillTarget.DISPATCH_VISITS: principal.can(Kind.DISPATCH, Action.READ),
            DrillTarget.STREET_SUPPORTS: principal.can(Kind.STREET, Action.READ),
            DrillTarget.SUBSIDIES_GRANTED: principal.can(Kind.SUBSIDY, Action.READ),
        }
        self._lists = frozenset(t for t in lists if readable.get(t, False))
        self._settings = settings
        self._channels = {c.name: int(c.id) for c in reference.channels()} if reference else {}
        self._shown = False
        self.data: DashboardData | None = None
        self._columns: list[Column] = []
        self.runner = BackgroundRunner(self)
        self.runner.finished.connect(self._show)
        self.runner.failed.connect(self._failed)
        self.runner.busy_changed.connect(self._busy)

        title = QLabel(self.tr("概況"))
        title.setObjectName("pageTitle")
        self.as_of = QLabel()
        self.month_combo = QComboBox()
        this_year, this_month = japan_today().year, japan_today().month
        y, m = this_year, this_month
        for _ in range(MONTHS_OFFERED):
            self.month_combo.addItem(wareki_month(y, m), (y, m))
            y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        self.month_combo.setItemText(
            0, self.tr("今月（{0}）").format(wareki_month(this_year, this_month))
        )
        self.month_combo.currentIndexChanged.connect(self.refresh)
        month_label = QLabel(self.tr("対象月(&M)"))
        month_label.setBuddy(self.month_combo)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # busy: no percentage to show
        self.busy_bar.setMaximumWidth(140)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.hide()
        self.refresh_button = QPushButton(self.tr("最新の状態に更新（F5）"))
        self.refresh_button.clicked.connect(self.refresh)
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        note = QLabel(
            self.tr(
                "月の数字は月の初日から末日まで、累計は4月1日から月末までの記録です。"
                "下線の付いた数字をクリック（または選んで Enter）すると、その一覧を開きます。"
            )
        )
        note.setObjectName("notice")
        note.setWordWrap(True)

        self.table = QTableWidget(len(FIGURES), 7)
        self.table.setHorizontalHeaderLabels([self.tr("項目"), "", "", "", "", "", ""])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, 7):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            self.table.setColumnWidth(column, 118 if column % 3 else 64)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setFixedHeight(ROW_HEIGHT * len(FIGURES) + header.sizeHint().height() + 4)
        self.table.cellClicked.connect(self._cell_clicked)
        self.table.cellActivated.connect(self._cell_clicked)  # Enter on a selected figure

        self.trend_chart = BarChart(self.tr("相談件数（月別）"), self.tr("件"))
        self.channel_chart = BarChart(self.tr("相談方法別（年度累計）"), self.tr("件"))
        self.channel_chart.bar_clicked.connect(self._channel_clicked)
        self.channel_chart.clickable = self._consultations is not None

        self.follow_ups_due = self._link_button(DrillTarget.FOLLOW_UPS_DUE)
        self.follow_ups_open = self._link_button(DrillTarget.FOLLOW_UPS_OPEN)
        self.loans_overdue = self._link_button(DrillTarget.LOANS_OVERDUE)
        waiting = QGroupBox(self.tr("要対応"))
        grid = QGridLayout(waiting)
        rows = [
            (self.tr("期限が来ている未対応のフォローアップ（全員）"), self.follow_ups_due),
            (self.tr("未対応のフォローアップ（期限を問わず）"), self.follow_ups_open),
            (self.tr("期限を超えて止まっている融資案件"), self.loans_overdue),
        ]
        for row, (caption, button) in enumerate(rows):
            label = QLabel(caption)
            label.setBuddy(button)
            grid.addWidget(label, row, 0)
            grid.addWidget(button, row, 1)
        grid.setColumnStretch(0, 1)
        self.follow_ups_due.setVisible(self._consultations is not None)
        self.follow_ups_open.setVisible(self._consultations is not None)
        self.loans_overdue.setVisible(self._loans is not None)

        top = QHBoxLayout()
        top.addWidget(title)
        top.addWidget(self.as_of)
        top.addStretch(1)
        top.addWidget(month_label)
        top.addWidget(self.month_combo)
        top.addWidget(self.busy_bar)
        top.addWidget(self.refresh_button)
        charts = QHBoxLayout()
        charts.addWidget(self.trend_chart, 3)
        charts.addWidget(self.channel_chart, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(note)
        layout.addWidget(self.error_label)
        layout.addWidget(self.table)
        layout.addLayout(charts, 1)
        layout.addWidget(waiting)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self, self.refresh)

    def select_month(self, year: int, month: int) -> bool:
        """Show another month (one of the choices); False when it is not offered."""
        for index in range(self.month_combo.count()):
            if self.month_combo.itemData(index) == (year, month):
                self.month_combo.setCurrentIndex(index)
                return True
        return False

    def _link_button(self, target: DrillTarget) -> QPushButton:
        button = QPushButton(NONE)
        button.setStyleSheet(LINK_STYLE)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.setToolTip(self.tr("クリックで一覧を表示"))
        button.clicked.connect(lambda: self.drill_requested.emit(Drill(target)))
        return button

    # --- reading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the figures again, off the GUI thread (a read under way is abandoned)."""
        reporting, consultations, loans = self._reporting, self._consultations, self._loans
        settings, today = self._settings, japan_today()
        shown = self.month_combo.currentData()
        self.runner.start(lambda: gather(reporting, consultations, loans, settings, today, shown))

    def showEvent(self, event: QShowEvent) -> None:
        # The first showing reads the figures; coming back reads them again (others work on).
        if not self.runner.busy():
            self.refresh()
        self._shown = True
        super().showEvent(event)

    def _busy(self, busy: bool) -> None:
        self.busy_bar.setVisible(busy)

    def _failed(self, error: object) -> None:
        known = isinstance(error, DomainError)
        text = error_text(error) if known else text_for("report.failed")  # type: ignore[arg-type]
        if not known:
            log.error("dashboard figures not read", exc_info=error)  # type: ignore[arg-type]
        self.error_label.setText(text)
        self.error_label.show()

    def _show(self, data: object) -> None:
        assert isinstance(data, DashboardData)
        self.data = data
        self.error_label.hide()
        today, year, number = data.today, data.year, data.month_number
        self.as_of.setText(self.tr("{0} 現在").format(format_date(today)))
        fy = fiscal_year(date(year, number, 1))
        fy_first = fiscal_year_range(fy)[0]
        month_first, month_last = month_range(year, number)
        before_first, before_last = month_range(year - 1, number)
        last_fy_first = fiscal_year_range(fy - 1)[0]
        # A month still running is compared with a whole month: say so, and colour no ratio.
        complete = month_last < today
        running = "" if complete else self.tr("（{0}日まで）").format(today.day)
        self._columns = [
            Column(
                f"{number}月{running}",
                data.month,
                wareki_month(year, number),
            ),
            Column(
                self.tr("前年同月"),
                data.month.same_month_last_year,
                wareki_month(year - 1, number),
            ),
            Column(
                self.tr("{0} 累計").format(wareki_fiscal_year(fy)),
                data.month.fiscal_year_to_date,
                self.tr("{0}（{1}月まで）").format(wareki_fiscal_year(fy), number),
            ),
            Column(
                self.tr("前年度同期"),
                data.last_year.fiscal_year_to_date,
                self.tr("{0}（{1}月まで）").format(wareki_fiscal_year(fy - 1), number),
            ),
        ]
        periods = [
            (month_first, month_last),
            (before_first, before_last),
            (fy_first, month_last),
            (last_fy_first, before_last),
        ]
        titles = [
            self.tr("項目"),
            self._columns[0].title,
            self._columns[1].title,
            self.tr("前年比"),
            self._columns[2].title,
            self._columns[3].title,
            self.tr("前年比"),
        ]
        self.table.setHorizontalHeaderLabels(titles)
        for row, figure in enumerate(FIGURES):
            self.table.setItem(row, 0, QTableWidgetItem(self.tr(figure.label)))
            values = [figure.value(column.figures) for column in self._columns]
            cells = {1: 0, 2: 1, 4: 2, 5: 3}
            for cell, index in cells.items():
                item = self._figure_item(values[index], figure.unit)
                drill = self._drill(figure.drill, periods[index], self._columns[index].label)
                if drill is not None:
                    item.setData(DRILL_ROLE, drill)
                    item.setForeground(LINK)
                    font = QFont(item.font())
                    font.setUnderline(True)
                    item.setFont(font)
                    # Under the exact amount a 万円 figure shows, if it has one.
                    exact = item.toolTip()
                    link = self.tr("クリックで一覧を表示")
                    item.setToolTip(f"{exact}\n{link}" if exact else link)
                self.table.setItem(row, cell, item)
            for cell, (now, before) in ((3, (values[0], values[1])), (6, (values[2], values[3]))):
                text, brush = _ratio(now, before)
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if brush is not None and complete:
                    item.setForeground(brush)
                if not complete:
                    item.setToolTip(self.tr("月の途中の数字と、前年の月全体の数字の比です。"))
                self.table.setItem(row, cell, item)

        now_label = wareki_fiscal_year(fy)
        before_label = wareki_fiscal_year(fy - 1)
        self.trend_chart.set_data(
            data.months,
            [
                ChartSeries(now_label, data.consultations_now),
                ChartSeries(before_label, data.consultations_before),
            ],
        )
        channels_now = data.month.fiscal_year_to_date.consultations.by_channel
        channels_before = dict(data.last_year.fiscal_year_to_date.consultations.by_channel)
        self.channel_chart.set_data(
            [name for name, _ in channels_now],
            [
                ChartSeries(now_label, tuple(n for _, n in channels_now)),
                ChartSeries(
                    before_label, tuple(channels_before.get(name, 0) for name, _ in channels_now)
                ),
            ],
        )
        self._channel_periods = [
            (periods[2], self._columns[2].label),
            (periods[3], self._columns[3].label),
        ]
        for button, value in (
            (self.follow_ups_due, data.follow_ups_due),
            (self.follow_ups_open, data.follow_ups_open),
            (self.loans_overdue, data.loans_overdue),
        ):
            button.setText(NONE if value is None else f"{value:,} 件")

    def _figure_item(self, value: int | None, unit: str) -> QTableWidgetItem:
        item = QTableWidgetItem(_amount(value, unit))
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if unit == "円" and value is not None:
            item.setToolTip(f"{value:,}円")
        return item

    def _drill(
        self, target: DrillTarget | None, period: tuple[date, date], label: str
    ) -> Drill | None:
        if target is DrillTarget.CONSULTATIONS and self._consultations is not None:
            return Drill(target, *period, label=label)
        loan_targets = (
            DrillTarget.LOANS_RECEIVED,
            DrillTarget.LOANS_REFERRED,
            DrillTarget.LOANS_EXECUTED,
        )
        if target in loan_targets and self._loans is not None:
            return Drill(target, *period, label=label)
        if target is not None and target in self._lists:
            return Drill(target, *period, label=label)
        return None

    # --- clicking --------------------------------------------------------------------------

    def drill_at(self, row: int, column: int) -> Drill | None:
        item = self.table.item(row, column)
        drill = item.data(DRILL_ROLE) if item is not None else None
        return drill if isinstance(drill, Drill) else None

    def _cell_clicked(self, row: int, column: int) -> None:
        drill = self.drill_at(row, column)
        if drill is not None:
            self.drill_requested.emit(drill)

    def _channel_clicked(self, category: int, series: int) -> None:
        if self.data is None or self._consultations is None:
            return
        name = self.channel_chart.categories[category]
        (first, last), label = self._channel_periods[series]
        self.drill_requested.emit(
            Drill(
                DrillTarget.CONSULTATIONS,
                first,
                last,
                label=label,
                channel_id=self._channels.get(name),
            )
        )

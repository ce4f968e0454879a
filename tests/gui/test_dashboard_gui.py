"""概況: the figures are the 月次報告's, and every underlined figure opens the list of exactly
the records behind it (same count, matching filter)."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from PySide6.QtCore import QPoint, Qt

from consult_desk import app as app_module
from consult_desk.db.engine import Database
from consult_desk.domain.consultations import ConsultationQuery
from consult_desk.domain.fiscal import fiscal_year, fiscal_year_range, japan_today
from consult_desk.domain.loans import BEFORE_EXECUTION, LoanQuery
from consult_desk.domain.permissions import Principal
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.loans import LoanService
from consult_desk.services.reporting import ReportingService, month_range
from consult_desk.services.settings import SettingsService
from consult_desk.ui.drafts import DraftStore
from consult_desk.ui.main_window import MainWindow
from consult_desk.ui.pages.dashboard import FIGURES, DashboardPage, Drill, DrillTarget
from consult_desk.ui.widgets.tables import count_text
from tests.report_setup import demo_database, demo_principal

pytestmark = pytest.mark.gui
WAIT_MS = 30_000
MONTH, LAST_YEAR_MONTH, MONTH_RATIO, TO_DATE, LAST_TO_DATE = 1, 2, 3, 4, 5


@pytest.fixture
def demo(migrated_template: Path, tmp_path: Path) -> Iterator[Database]:
    database = demo_database(migrated_template, tmp_path)
    yield database
    database.dispose()


def _window(qtbot, db: Database, principal: Principal, tmp_path: Path) -> MainWindow:
    window = app_module.build_window(db, principal, DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window, before_close_func=lambda w: w.wait_for_background_work())
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def manager(qtbot, demo: Database, tmp_path: Path) -> MainWindow:
    return _window(qtbot, demo, demo_principal(demo, "demo-manager"), tmp_path)


def _read(qtbot, page: DashboardPage) -> None:
    qtbot.waitUntil(lambda: page.data is not None and not page.runner.busy(), timeout=WAIT_MS)


def _row(label: str) -> int:
    return next(n for n, figure in enumerate(FIGURES) if figure.label == label)


def _cell(page: DashboardPage, label: str, column: int) -> str:
    item = page.table.item(_row(label), column)
    assert item is not None
    return item.text()


def _click_cell(qtbot, page: DashboardPage, row: int, column: int) -> None:
    rect = page.table.visualRect(page.table.model().index(row, column))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_a_manager_starts_on_the_figures_which_are_the_monthly_reports(
    qtbot, manager: MainWindow, demo: Database
) -> None:
    page = manager.dashboard_page
    assert manager.pages.currentWidget() is manager.dashboard_tabs
    assert manager.dashboard_tabs.currentWidget() is page
    _read(qtbot, page)

    today = japan_today()
    principal = manager._services.principal
    report = ReportingService(demo, principal).monthly(today.year, today.month)
    last_year = ReportingService(demo, principal).monthly(today.year - 1, today.month)
    assert _cell(page, "相談件数", MONTH) == f"{report.consultations.total:,}件"
    assert _cell(page, "相談件数", LAST_YEAR_MONTH) == (
        f"{report.same_month_last_year.consultations.total:,}件"
    )
    assert (
        _cell(page, "相談件数", TO_DATE) == f"{report.fiscal_year_to_date.consultations.total:,}件"
    )
    assert _cell(page, "相談件数", LAST_TO_DATE) == (
        f"{last_year.fiscal_year_to_date.consultations.total:,}件"
    )
    assert (
        _cell(page, "融資 受付件数", TO_DATE) == f"{report.fiscal_year_to_date.loans.received:,}件"
    )
    visits = report.fiscal_year_to_date.dispatch.visits
    assert _cell(page, "専門家派遣 訪問回数", TO_DATE) == f"{visits:,}回"
    granted = report.fiscal_year_to_date.subsidies.granted.amount
    item = page.table.item(_row("補助金 交付決定額"), TO_DATE)
    assert item is not None and item.toolTip() == f"{granted:,}円"
    # The month chart adds up to the 年度 to date, month by month.
    assert sum(page.trend_chart.series[0].values) == report.fiscal_year_to_date.consultations.total
    assert len(page.trend_chart.categories) == len(page.trend_chart.series[0].values)
    # What is waiting, as the lists count it.
    consultations = ConsultationService(demo, principal)
    due = consultations.count(ConsultationQuery(open_follow_ups=True, due_to=today))
    assert page.follow_ups_due.text() == f"{due:,} 件"


def test_clicking_the_consultations_figure_opens_exactly_those_consultations(
    qtbot, manager: MainWindow, demo: Database
) -> None:
    page = manager.dashboard_page
    _read(qtbot, page)
    today = japan_today()
    first, _ = fiscal_year_range(fiscal_year(today))
    _, last = month_range(today.year, today.month)
    total = page.data.month.fiscal_year_to_date.consultations.total

    _click_cell(qtbot, page, _row("相談件数"), TO_DATE)

    listing = manager.consultation_list
    assert manager.pages.currentWidget() is listing
    query = listing.model.query
    assert (query.date_from, query.date_to) == (first, last)
    assert query.channel_id is None and query.initiative_id is None and not query.text
    assert listing.period_combo.currentText().startswith("令和")
    assert listing.count_label.text() == count_text(total)


def test_a_plain_figure_opens_nothing_and_enter_opens_a_link(qtbot, manager: MainWindow) -> None:
    page = manager.dashboard_page
    _read(qtbot, page)
    asked: list[Drill] = []
    page.drill_requested.connect(asked.append)

    _click_cell(qtbot, page, _row("専門家派遣 訪問回数"), TO_DATE)  # no list shows exactly these
    assert asked == [] and manager.pages.currentWidget() is manager.dashboard_tabs

    page.table.setCurrentCell(_row("融資 受付件数"), LAST_TO_DATE)
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert [d.target for d in asked] == [DrillTarget.LOANS_RECEIVED]
    loans = manager.loan_page
    assert manager.pages.currentWidget() is loans
    drill = asked[0]
    query = loans.model.query
    assert query.states == frozenset() and not query.overdue_only
    assert (query.received_from, query.received_to) == (drill.first, drill.last)
    assert loans.count_label.text() == count_text(
        page.data.last_year.fiscal_year_to_date.loans.received
    )


@pytest.mark.parametrize(
    ("label", "target", "fields", "value"),
    [
        (
            "融資 あっせん件数",
            DrillTarget.LOANS_REFERRED,
            ("referred_from", "referred_to"),
            lambda f: f.loans.referred,
        ),
        (
            "融資 実行件数",
            DrillTarget.LOANS_EXECUTED,
            ("executed_from", "executed_to"),
            lambda f: f.loans.executed.count,
        ),
        (
            "融資 実行金額",
            DrillTarget.LOANS_EXECUTED,
            ("executed_from", "executed_to"),
            lambda f: f.loans.executed.count,
        ),
    ],
)
def test_the_loan_figures_open_exactly_the_cases_they_count(
    qtbot, manager: MainWindow, label: str, target: DrillTarget, fields: tuple[str, str], value
) -> None:
    page = manager.dashboard_page
    _read(qtbot, page)
    asked: list[Drill] = []
    page.drill_requested.connect(asked.append)
    _click_cell(qtbot, page, _row(label), LAST_TO_DATE)
    assert [d.target for d in asked] == [target]
    loans = manager.loan_page
    assert manager.pages.currentWidget() is loans
    query = loans.model.query
    drill = asked[0]
    assert (getattr(query, fields[0]), getattr(query, fields[1])) == (drill.first, drill.last)
    assert query.received_from is None and query.received_to is None
    assert query.states == frozenset() and not query.overdue_only
    expected = value(page.data.last_year.fiscal_year_to_date)
    assert expected > 0  # the demo data has such cases, so the test can fail
    assert loans.count_label.text() == count_text(expected)


def test_the_waiting_figures_open_their_lists(qtbot, manager: MainWindow, demo: Database) -> None:
    page = manager.dashboard_page
    _read(qtbot, page)
    principal = manager._services.principal

    qtbot.mouseClick(page.loans_overdue, Qt.MouseButton.LeftButton)
    loans = manager.loan_page
    assert manager.pages.currentWidget() is loans
    assert loans.model.query.overdue_only and loans.model.query.states == BEFORE_EXECUTION
    overdue = LoanService(demo, principal).count(
        LoanQuery(states=frozenset(BEFORE_EXECUTION), overdue_only=True),
        thresholds=SettingsService(demo, principal).loan_overdue_days(),
    )
    assert page.loans_overdue.text() == f"{overdue:,} 件"
    assert loans.count_label.text() == count_text(overdue)

    manager.show_page_named("ダッシュボード")
    _read(qtbot, page)
    qtbot.mouseClick(page.follow_ups_open, Qt.MouseButton.LeftButton)
    listing = manager.consultation_list
    assert manager.pages.currentWidget() is listing and listing.open_check.isChecked()
    assert (listing.model.query.date_from, listing.model.query.date_to) == (None, None)
    assert listing.count_label.text() == count_text(page.data.follow_ups_open)

    manager.show_page_named("ダッシュボード")
    _read(qtbot, page)
    qtbot.mouseClick(page.follow_ups_due, Qt.MouseButton.LeftButton)
    assert manager.dashboard_tabs.currentWidget() is manager.today_page
    assert manager.today_page.everyone_check.isChecked()
    assert manager.today_page.count_label.text() == count_text(page.data.follow_ups_due)


def test_clicking_a_channel_bar_opens_that_channels_consultations(
    qtbot, manager: MainWindow
) -> None:
    page = manager.dashboard_page
    _read(qtbot, page)
    chart = page.channel_chart
    rect, category, series = next(
        (r, c, s) for r, c, s in chart.bar_rects() if s == 0 and r.height() > 2
    )
    channel = chart.categories[category]
    count = chart.series[series].values[category]

    qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())

    listing = manager.consultation_list
    assert manager.pages.currentWidget() is listing
    assert listing.channel_combo.currentText() == channel
    assert listing.count_label.text() == count_text(count)
    qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=QPoint(2, 2))  # no bar: nothing


def test_an_earlier_month_compares_whole_months(qtbot, manager: MainWindow, demo: Database) -> None:
    page = manager.dashboard_page
    _read(qtbot, page)
    page.month_combo.setCurrentIndex(2)
    year, month = page.month_combo.currentData()
    qtbot.waitUntil(
        lambda: page.data is not None and page.data.month_number == month, timeout=WAIT_MS
    )

    report = ReportingService(demo, manager._services.principal).monthly(year, month)
    assert _cell(page, "相談件数", MONTH) == f"{report.consultations.total:,}件"
    header = page.table.horizontalHeaderItem(MONTH)
    assert header is not None and header.text() == f"{month}月"  # a whole month: no 「…日まで」
    assert date(year, month, 1) < japan_today()


def test_a_consultant_starts_on_todays_follow_ups(qtbot, demo: Database, tmp_path: Path) -> None:
    window = _window(qtbot, demo, demo_principal(demo, "demo-consultant1"), tmp_path)

    assert window.dashboard_tabs.currentWidget() is window.today_page
    assert window.dashboard_page.data is None  # the figures are read when first shown

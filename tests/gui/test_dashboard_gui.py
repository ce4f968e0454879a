"""概況: the figures are the 月次報告's, and every underlined figure opens the list of exactly
the records behind it (same count, matching filter)."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLineEdit, QToolButton

from consult_desk import app as app_module
from consult_desk.db.engine import Database
from consult_desk.db.models import DispatchVisit, StreetSupport, SubsidyApplication
from consult_desk.domain.consultations import ConsultationQuery
from consult_desk.domain.fiscal import fiscal_year, fiscal_year_range, japan_today
from consult_desk.domain.loans import BEFORE_EXECUTION, LoanQuery
from consult_desk.domain.permissions import Principal, Role
from consult_desk.domain.report_figures import PeriodFigures
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.dispatch import DispatchService
from consult_desk.services.loans import LoanService
from consult_desk.services.reporting import ReportingService, month_range
from consult_desk.services.settings import SettingsService
from consult_desk.ui.drafts import DraftStore
from consult_desk.ui.main_window import MainWindow
from consult_desk.ui.pages.dashboard import FIGURES, DashboardPage, Drill, DrillTarget
from consult_desk.ui.pages.dispatch import DispatchPage
from consult_desk.ui.pages.streets import StreetsPage
from consult_desk.ui.widgets.tables import count_text
from tests.report_setup import demo_database, demo_principal

pytestmark = pytest.mark.gui
WAIT_MS = 30_000
MONTH, LAST_YEAR_MONTH, MONTH_RATIO, TO_DATE, LAST_TO_DATE = 1, 2, 3, 4, 5
PERIODS = (MONTH, LAST_YEAR_MONTH, TO_DATE, LAST_TO_DATE)


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
    # The exact amount (the cell shows 万円), above the note that it is a link.
    assert item is not None and item.toolTip().splitlines() == [
        f"{granted:,}円",
        "クリックで一覧を表示",
    ]
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

    _click_cell(qtbot, page, _row("専門家派遣 訪問回数"), MONTH_RATIO)  # a ratio: no records
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


# --- 訪問回数, 商店街支援 件数, 交付決定件数 / 額: their lists, for every period ---------------


def _figures(page: DashboardPage, column: int) -> PeriodFigures:
    """The figures a column of the table shows."""
    assert page.data is not None
    return {
        MONTH: page.data.month,
        LAST_YEAR_MONTH: page.data.month.same_month_last_year,
        TO_DATE: page.data.month.fiscal_year_to_date,
        LAST_TO_DATE: page.data.last_year.fiscal_year_to_date,
    }[column]


def _show_a_month_with(qtbot, manager: MainWindow, demo: Database, value) -> None:
    """Choose the latest month offered whose own figure is not 0 (today may be the 1st: this
    month then has nothing yet), so that the month column's list can be wrong."""
    page = manager.dashboard_page
    reporting = ReportingService(demo, manager._services.principal)
    for index in range(page.month_combo.count()):
        year, month = page.month_combo.itemData(index)
        if value(reporting.monthly(year, month)) > 0:
            break
    else:
        pytest.fail("the demo data has no month with such records")
    page.select_month(year, month)
    qtbot.waitUntil(
        lambda: (
            page.data is not None
            and (page.data.year, page.data.month_number) == (year, month)
            and not page.runner.busy()
        ),
        timeout=WAIT_MS,
    )


def _drill(qtbot, manager: MainWindow, label: str, column: int, *, enter: bool = False) -> Drill:
    """Back on 概況, click (or Enter on) a figure; the Drill it asked for."""
    page = manager.dashboard_page
    manager.show_page_named("ダッシュボード")
    manager.dashboard_tabs.setCurrentWidget(page)
    _read(qtbot, page)
    asked: list[Drill] = []
    page.drill_requested.connect(asked.append)
    try:
        if enter:
            page.table.setFocus()
            page.table.setCurrentCell(_row(label), column)
            qtbot.keyClick(page.table, Qt.Key.Key_Return)
        else:
            _click_cell(qtbot, page, _row(label), column)
    finally:
        page.drill_requested.disconnect(asked.append)
    assert len(asked) == 1
    return asked[0]


def _save(widget, folder: Path, name: str) -> None:
    """A screenshot of the list opened, to look at (pytest --basetemp=… keeps it)."""
    assert widget.grab().save(str(folder / f"{name}.png"))


def _clear(qtbot, edit: QLineEdit) -> None:
    """The ✕ in the date field, as the user clears it."""
    edit.setFocus()
    button = edit.findChild(QToolButton)
    assert button is not None
    qtbot.waitUntil(button.isVisible, timeout=WAIT_MS)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert edit.text() == ""


def test_the_visits_figure_opens_the_dispatches_visited_and_adds_up_their_visits(
    qtbot, manager: MainWindow, demo: Database, tmp_path: Path
) -> None:
    page = manager.dashboard_page
    _read(qtbot, page)
    _show_a_month_with(qtbot, manager, demo, lambda f: f.dispatch.visits)
    for column in PERIODS:
        drill = _drill(qtbot, manager, "専門家派遣 訪問回数", column, enter=column == TO_DATE)
        assert drill.target is DrillTarget.DISPATCH_VISITS
        dispatch = manager.dispatch_page
        assert isinstance(dispatch, DispatchPage)
        listing = dispatch.list_tab
        assert manager.pages.currentWidget() is dispatch
        assert dispatch.tabs.currentWidget() is listing
        query = listing.model.query
        assert (query.visited_from, query.visited_to) == (drill.first, drill.last)
        assert query.states == frozenset() and query.fiscal_year is None
        assert query.program_id is query.expert_id is query.staff_id is None
        assert not query.report_overdue
        # The filter says so: 訪問日 from … to …, every state.
        assert drill.first is not None and drill.last is not None
        assert listing.visited_from_edit.text() == drill.first.isoformat()
        assert listing.visited_to_edit.text() == drill.last.isoformat()
        assert listing.state_combo.currentText() == "すべての状態"

        visits = _figures(page, column).dispatch.visits
        if column in (MONTH, TO_DATE):
            assert visits > 0  # so that a wrong list shows
        with demo.read() as session:
            expected = set(
                session.scalars(
                    select(DispatchVisit.dispatch_id).where(
                        DispatchVisit.visited_on >= drill.first,
                        DispatchVisit.visited_on <= drill.last,
                    )
                )
            )
        listing.model.fetch_all()
        rows = [listing.model.row_at(n) for n in range(listing.model.rowCount())]
        assert {r.id for r in rows} == expected and len(rows) == len(expected)
        assert sum(r.visits_in_period or 0 for r in rows) == visits
        assert listing.visits_label.isVisible() and not listing.count_label.isVisible()
        assert listing.visits_label.text() == f"期間内の訪問 {visits:,}回（派遣 {len(rows):,}件）"
        if column == TO_DATE:
            _save(manager, tmp_path, "dispatch_visits_to_date")

    # Clearing the period: every dispatch again, and no visit total.
    _clear(qtbot, listing.visited_from_edit)
    _clear(qtbot, listing.visited_to_edit)
    query = listing.model.query
    assert (query.visited_from, query.visited_to) == (None, None)
    assert not listing.visits_label.isVisible() and listing.count_label.isVisible()
    assert listing.count_label.text() == count_text(
        DispatchService(demo, manager._services.principal).count(query)
    )


def test_the_support_figure_opens_that_periods_support_records(
    qtbot, manager: MainWindow, demo: Database, tmp_path: Path
) -> None:
    page = manager.dashboard_page
    _read(qtbot, page)
    _show_a_month_with(qtbot, manager, demo, lambda f: f.streets.supports)
    for column in PERIODS:
        drill = _drill(qtbot, manager, "商店街支援 件数", column)
        assert drill.target is DrillTarget.STREET_SUPPORTS
        streets = manager.streets_page
        assert isinstance(streets, StreetsPage)
        assert manager.pages.currentWidget() is streets
        assert streets.tabs.currentIndex() == 1  # 支援記録
        query = streets.support_model.query
        assert (query.date_from, query.date_to) == (drill.first, drill.last)
        assert query.kind_id is query.association_id is query.staff_id is None
        assert query.initiative_id is None
        assert drill.first is not None and drill.last is not None
        assert streets.from_edit.text() == drill.first.isoformat()
        assert streets.to_edit.text() == drill.last.isoformat()

        supports = _figures(page, column).streets.supports
        if column in (MONTH, TO_DATE):
            assert supports > 0
        with demo.read() as session:
            expected = set(
                session.scalars(
                    select(StreetSupport.id).where(
                        StreetSupport.supported_on >= drill.first,
                        StreetSupport.supported_on <= drill.last,
                    )
                )
            )
        streets.support_model.fetch_all()
        model = streets.support_model
        assert {model.row_at(n).id for n in range(model.rowCount())} == expected
        assert model.rowCount() == supports == len(expected)
        assert streets.support_count.text() == count_text(supports)
        if column == TO_DATE:
            _save(manager, tmp_path, "street_supports_to_date")

    _clear(qtbot, streets.from_edit)
    _clear(qtbot, streets.to_edit)
    assert streets.support_model.query.date_from is streets.support_model.query.date_to is None


@pytest.mark.parametrize("label", ["補助金 交付決定件数", "補助金 交付決定額"])
def test_the_grant_figures_open_the_applications_granted_and_add_up_the_grants(
    qtbot, manager: MainWindow, demo: Database, tmp_path: Path, label: str
) -> None:
    page = manager.dashboard_page
    _read(qtbot, page)
    _show_a_month_with(qtbot, manager, demo, lambda f: f.subsidies.granted.count)
    for column in PERIODS:
        drill = _drill(qtbot, manager, label, column)
        assert drill.target is DrillTarget.SUBSIDIES_GRANTED
        streets = manager.streets_page
        assert manager.pages.currentWidget() is streets
        assert streets.tabs.currentIndex() == 2  # 補助金
        query = streets.subsidy_model.query
        assert (query.granted_from, query.granted_to) == (drill.first, drill.last)
        assert query.states == frozenset() and query.fiscal_year is None
        assert query.program_id is None and query.target is None and query.report is None
        assert streets.state_combo.currentText() == "状態: すべて"
        assert drill.first is not None and drill.last is not None
        assert streets.granted_from_edit.text() == drill.first.isoformat()
        assert streets.granted_to_edit.text() == drill.last.isoformat()

        granted = _figures(page, column).subsidies.granted
        if column in (MONTH, TO_DATE):
            assert granted.count > 0 and granted.amount > 0
        a = SubsidyApplication
        with demo.read() as session:
            expected = {
                row.id: row.granted_amount
                for row in session.execute(
                    select(a.id, a.granted_amount).where(
                        a.decided_on >= drill.first,
                        a.decided_on <= drill.last,
                        a.granted_amount.is_not(None),
                    )
                )
            }
        model = streets.subsidy_model
        model.fetch_all()
        assert {model.row_at(n).id for n in range(model.rowCount())} == set(expected)
        assert model.rowCount() == granted.count
        assert sum(expected.values()) == granted.amount
        assert streets.subsidy_count.text() == count_text(granted.count)
        assert streets.granted_total.isVisible()
        assert streets.granted_total.text() == f"交付決定額の合計 {granted.amount:,}円"
        if column == TO_DATE:
            _save(manager, tmp_path, "subsidies_granted_to_date")

    _clear(qtbot, streets.granted_from_edit)
    _clear(qtbot, streets.granted_to_edit)
    query = streets.subsidy_model.query
    assert (query.granted_from, query.granted_to) == (None, None)
    assert not streets.granted_total.isVisible()


def _stop_reading(page: DashboardPage) -> None:
    page.runner.cancel()
    page.runner.wait()


def test_a_role_that_may_not_read_a_list_gets_its_figure_plain(
    qtbot, manager: MainWindow, demo: Database
) -> None:
    reporting = ReportingService(demo, manager._services.principal)
    every = frozenset(
        {DrillTarget.DISPATCH_VISITS, DrillTarget.STREET_SUPPORTS, DrillTarget.SUBSIDIES_GRANTED}
    )
    labels = ("専門家派遣 訪問回数", "商店街支援 件数", "補助金 交付決定件数", "補助金 交付決定額")
    nobody = Principal(None, "nobody", "閲覧なし", frozenset())
    auditor = Principal(None, "audit", "監査", frozenset({Role.AUDITOR}))
    for principal, lists, linked in (
        (nobody, every, False),  # the window offers the lists, the role may not read them
        (auditor, frozenset(), False),  # the role may, but the window has no such list
        (auditor, every, True),
    ):
        page = DashboardPage(reporting, principal, lists=lists)
        qtbot.addWidget(page, before_close_func=_stop_reading)
        page.show()
        _read(qtbot, page)
        for label in labels:
            for column in PERIODS:
                assert (page.drill_at(_row(label), column) is not None) is linked, label


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

"""施策: each 主な取組み's figures for a chosen period, its records, and its PDF."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from consult_desk import app as app_module
from consult_desk.db.engine import Database
from consult_desk.domain.fiscal import fiscal_year, fiscal_year_range, japan_today
from consult_desk.services.reporting import ReportingService
from consult_desk.ui.dialogs.consultation_dialog import ConsultationDialog
from consult_desk.ui.drafts import DraftStore
from consult_desk.ui.main_window import MainWindow
from consult_desk.ui.messages import text_for
from consult_desk.ui.pages.plan import CONSULTATIONS, PlanPage, RecordsDialog
from consult_desk.ui.pages.reports import ReportKind
from consult_desk.ui.widgets.tables import count_text
from tests.report_setup import demo_database, demo_principal

pytestmark = pytest.mark.gui
WAIT_MS = 60_000


@pytest.fixture
def demo(migrated_template: Path, tmp_path: Path) -> Iterator[Database]:
    database = demo_database(migrated_template, tmp_path)
    yield database
    database.dispose()


@pytest.fixture
def window(qtbot, demo: Database, tmp_path: Path) -> MainWindow:
    principal = demo_principal(demo, "demo-manager")
    window = app_module.build_window(demo, principal, DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window, before_close_func=lambda w: w.wait_for_background_work())
    window.show()
    window.show_page_named("施策")
    qtbot.waitExposed(window)
    return window


def _read(qtbot, page: PlanPage) -> None:
    qtbot.waitUntil(lambda: page.overview is not None and not page.runner.busy(), timeout=WAIT_MS)


def _item(page: PlanPage, code: str):
    page.select_initiative(code)
    item = page.tree.currentItem()
    assert item is not None
    return item


def test_the_tree_shows_each_initiatives_figures_for_the_year_to_date(
    qtbot, window: MainWindow, demo: Database
) -> None:
    page = window.plan_page
    _read(qtbot, page)
    today = japan_today()
    first = fiscal_year_range(fiscal_year(today))[0]
    assert page.period() == (first, today)  # the 年度 to date by default

    expected = ReportingService(demo, window._services.principal).initiative_overview(first, today)
    busiest = max(expected.rows, key=lambda row: row.figures.consultations)
    assert busiest.figures.consultations > 0
    item = _item(page, busiest.code)
    assert item.text(CONSULTATIONS) == f"{busiest.figures.consultations:,}"
    assert page.figures.fact("相談件数") == f"{busiest.figures.consultations:,} 件"
    assert page.figures.fact("支援した事業者") == f"{busiest.figures.businesses:,} 者"
    assert page.records_button.isEnabled() and page.pdf_button.isEnabled()
    basic = page.tree.topLevelItem(0)
    page.tree.setCurrentItem(basic)
    assert basic.text(CONSULTATIONS) == "" and not page.records_button.isEnabled()
    assert page.figures_hint.isVisibleTo(page)


def test_another_period_reads_its_own_figures(qtbot, window: MainWindow, demo: Database) -> None:
    page = window.plan_page
    _read(qtbot, page)
    page.period_combo.setCurrentIndex(1)  # 前年度
    last_year = fiscal_year_range(fiscal_year(japan_today()) - 1)
    qtbot.waitUntil(
        lambda: (
            page.overview is not None
            and (page.overview.period_from, page.overview.period_to) == last_year
        ),
        timeout=WAIT_MS,
    )
    expected = ReportingService(demo, window._services.principal).initiative_overview(*last_year)
    for row in expected.rows:
        assert _item(page, row.code).text(CONSULTATIONS) == f"{row.figures.consultations:,}"

    page.period_combo.setCurrentIndex(page.period_combo.count() - 1)  # 期間を指定
    page.from_edit.setText("R8.4.1")
    page.to_edit.setText("R8.3.31")
    qtbot.keyClick(page.to_edit, Qt.Key.Key_Return)
    assert page.period_error.text() == text_for("period.reversed")
    assert not page.runner.busy()


def test_records_are_listed_and_open_in_the_consultation_list(
    qtbot, window: MainWindow, demo: Database
) -> None:
    page = window.plan_page
    _read(qtbot, page)
    busiest = max(page.overview.rows, key=lambda row: row.figures.consultations)
    page.select_initiative(busiest.code)

    dialog = page.show_records()

    assert isinstance(dialog, RecordsDialog)
    report = dialog.report
    assert dialog.table.rowCount() == len(report.records) > 0
    kinds = {report.records[r].kind_label for r in range(len(report.records))}
    assert "経営相談" in kinds
    first_row = [dialog.table.item(0, c).text() for c in range(2)]
    assert first_row[1] == report.records[0].kind_label
    opened: list[tuple[str, int]] = []
    page.open_record.disconnect()  # the window would open the record's own (modal) dialog
    page.open_record.connect(lambda kind, rid: opened.append((kind, rid)))
    dialog.table.selectRow(0)
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    assert opened == [(report.records[0].kind, report.records[0].record_id)]

    qtbot.mouseClick(dialog.list_button, Qt.MouseButton.LeftButton)

    listing = window.consultation_list
    assert window.pages.currentWidget() is listing
    query = listing.model.query
    assert query.initiative_id == report.initiative.id
    assert (query.date_from, query.date_to) == page.period()
    assert listing.count_label.text() == count_text(busiest.figures.consultations)


def test_pdf_button_makes_the_initiative_report_on_the_reports_page(
    qtbot, window: MainWindow
) -> None:
    page = window.plan_page
    _read(qtbot, page)
    page.select_initiative("1-2-2")
    today = japan_today()
    page.set_period(today - timedelta(days=90), today)
    _read(qtbot, page)

    qtbot.mouseClick(page.pdf_button, Qt.MouseButton.LeftButton)

    reports = window.reports_page
    assert window.pages.currentWidget() is reports
    assert reports.kind() is ReportKind.INITIATIVE
    qtbot.waitUntil(lambda: reports.result is not None, timeout=WAIT_MS)
    request = reports.result.request
    assert request.initiative_code == "1-2-2"
    assert (request.first, request.last) == (today - timedelta(days=90), today)
    assert reports.preview.page_count() > 0
    QApplication.processEvents()


def test_a_listed_record_opens_in_its_own_window(qtbot, window: MainWindow, monkeypatch) -> None:
    page = window.plan_page
    _read(qtbot, page)
    busiest = max(page.overview.rows, key=lambda row: row.figures.consultations)
    page.select_initiative(busiest.code)
    dialog = page.show_records()
    assert dialog is not None
    records = dialog.report.records
    row = next(n for n, r in enumerate(records) if r.kind == "consultation")
    record = records[row]
    shown: list[ConsultationDialog] = []
    monkeypatch.setattr(ConsultationDialog, "exec", lambda self: shown.append(self) or 0)

    dialog.table.selectRow(row)
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)

    assert len(shown) == 1
    assert shown[0].consultation_id == record.record_id
    assert dialog.isVisible()  # Enter opened the row, it did not close the list

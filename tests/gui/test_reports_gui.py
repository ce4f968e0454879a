"""帳票 in the window: make a report off the GUI thread, look at its pages, save it in each
format, print it, cancel it, and get a Japanese message (not a crash) when anything fails."""

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pypdfium2 as pdfium
import pytest
from sqlalchemy import func, select

from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from consult_desk import app as app_module
from consult_desk.db.engine import Database
from consult_desk.db.models import AuditLog, Business
from consult_desk.domain.fiscal import fiscal_year, fiscal_year_range, japan_today, wareki_month
from consult_desk.domain.permissions import Action, Kind, PermissionDenied, Principal
from consult_desk.services.report_files import ReportFormat
from consult_desk.services.reporting import ReportingService
from consult_desk.services.settings import SettingsService
from consult_desk.ui.drafts import DraftStore
from consult_desk.ui.main_window import MainWindow
from consult_desk.ui.messages import text_for
from consult_desk.ui.pages import reports as reports_module
from consult_desk.ui.pages.reports import ReportKind, ReportRequest, ReportsPage
from consult_desk.ui.widgets.pdf_view import page_count, render_pages
from tests.report_setup import demo_database, demo_principal

pytestmark = pytest.mark.gui
WAIT_MS = 60_000  # a whole PDF is laid out and drawn on the worker thread


@pytest.fixture
def demo(migrated_template: Path, tmp_path: Path) -> Iterator[Database]:
    database = demo_database(migrated_template, tmp_path)
    yield database
    database.dispose()


def _window(qtbot, db: Database, principal: Principal, tmp_path: Path) -> MainWindow:
    window = app_module.build_window(db, principal, DraftStore(tmp_path / "drafts"))
    # Closed before the database goes: no worker outlives it.
    qtbot.addWidget(window, before_close_func=lambda w: w.wait_for_background_work())
    window.show()
    window.show_page_named("帳票")
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def window(qtbot, demo: Database, tmp_path: Path) -> Iterator[MainWindow]:
    window = _window(qtbot, demo, demo_principal(demo, "demo-admin"), tmp_path)
    yield window


def _made(qtbot, page: ReportsPage) -> None:
    qtbot.waitUntil(lambda: page.result is not None and not page.runner.busy(), timeout=WAIT_MS)


def _pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        texts = []
        for page in document:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(texts)
    finally:
        document.close()


def _prints(db: Database) -> int:
    with db.read() as session:
        stmt = select(func.count()).select_from(AuditLog).where(AuditLog.action == "print")
        return session.execute(stmt).scalar_one()


def _last_month(today: date) -> tuple[int, int]:
    first = today.replace(day=1) - timedelta(days=1)
    return first.year, first.month


def test_monthly_report_is_made_off_the_gui_thread_and_previewed(
    qtbot, window: MainWindow, demo: Database
) -> None:
    page = window.reports_page
    assert page.kind() is ReportKind.MONTHLY
    year, month = _last_month(japan_today())
    assert page.month_combo.currentData() == (year, month)  # the month reported on

    qtbot.mouseClick(page.generate_button, Qt.MouseButton.LeftButton)
    assert page.runner.busy() and page.progress.isVisibleTo(page)
    assert not page.generate_button.isEnabled() and page.cancel_button.isEnabled()
    _made(qtbot, page)

    result = page.result
    assert result is not None and result.request == ReportRequest(
        ReportKind.MONTHLY, year=year, month=month
    )
    assert result.pdf.startswith(b"%PDF")
    assert page.preview.page_count() == page_count(result.pdf) == len(page.preview.pages) > 0
    assert all(not label.pixmap().isNull() for label in page.preview.pages)
    assert page.page_label.text() == f"{page_count(result.pdf)} ページ"
    assert not page.progress.isVisibleTo(page) and page.generate_button.isEnabled()
    # The figures the PDF shows are the service's.
    figures = ReportingService(demo, window._services.principal).monthly(year, month)
    text = _pdf_text(result.pdf)
    assert "月次報告" in text
    assert f"{figures.fiscal_year_to_date.consultations.total:,}" in text
    assert _prints(demo) == 0  # a preview is no print


def test_enter_makes_the_report_and_escape_abandons_it(qtbot, window: MainWindow) -> None:
    page = window.reports_page
    page.kind_combo.setFocus()
    qtbot.keyClick(page.kind_combo, Qt.Key.Key_Return)
    assert page.runner.busy()

    qtbot.keyClick(page.kind_combo, Qt.Key.Key_Escape)

    assert not page.runner.busy() and page.cancel_button.isEnabled() is False
    assert page.status_label.text() == "作成を中止しました。"
    page.runner.wait()
    qtbot.wait(50)  # the abandoned result arrives …
    assert page.result is None  # … and is thrown away
    assert not page.save_button.isEnabled()


def test_save_as_writes_each_format_and_audits_it(
    qtbot, window: MainWindow, demo: Database, tmp_path: Path, monkeypatch
) -> None:
    page = window.reports_page
    page.generate()
    _made(qtbot, page)
    asked: list[str] = []

    def answer(path: Path, chosen_filter: str):
        def ask(_parent, _caption, suggested, _filters):
            asked.append(suggested)
            return str(path), chosen_filter

        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(ask))

    year, month = _last_month(japan_today())
    answer(tmp_path / "out" / "report.pdf", "PDF (*.pdf)")
    (tmp_path / "out").mkdir()
    assert page.save_as() == tmp_path / "out" / "report.pdf"
    assert (tmp_path / "out" / "report.pdf").read_bytes().startswith(b"%PDF")
    assert Path(asked[0]).name == f"月次報告_{wareki_month(year, month)}.pdf"

    answer(tmp_path / "out" / "report", "Excel (*.xlsx)")  # the filter names the format
    assert page.save_as() == tmp_path / "out" / "report.xlsx"
    workbook = openpyxl.load_workbook(tmp_path / "out" / "report.xlsx")
    assert workbook.sheetnames

    answer(tmp_path / "out" / "report.json", "JSON (*.json)")
    saved = page.save_as()
    assert saved is not None and '"report": "monthly"' in saved.read_text(encoding="utf-8")
    assert Path(asked[-1]).parent == tmp_path / "out"  # the next save starts where this one was
    assert _prints(demo) == 3
    assert "保存しました" in page.status_label.text()


def test_an_unwritable_target_is_told_in_japanese_and_the_page_stays_usable(
    qtbot, window: MainWindow, demo: Database, tmp_path: Path, monkeypatch
) -> None:
    page = window.reports_page
    page.generate()
    _made(qtbot, page)
    warnings: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "warning", staticmethod(lambda _p, _t, text, *a: warnings.append(text))
    )
    missing = tmp_path / "no-such-folder" / "report.pdf"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a: (str(missing), "PDF (*.pdf)"))
    )

    assert page.save_as() is None

    assert warnings == [text_for("export.target_unwritable")]
    assert page.status_label.text() == text_for("export.target_unwritable")
    assert not missing.parent.exists() and _prints(demo) == 0
    assert page.save_button.isEnabled() and page.generate_button.isEnabled()
    good = tmp_path / "report.pdf"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a: (str(good), "PDF (*.pdf)"))
    )
    assert page.save_as() == good and good.exists()


def test_a_failing_report_is_told_in_japanese(qtbot, window: MainWindow, monkeypatch) -> None:
    page = window.reports_page
    warnings: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "warning", staticmethod(lambda _p, _t, text, *a: warnings.append(text))
    )

    def refuse(*_args: object) -> None:
        raise PermissionDenied(Kind.REPORT, Action.READ)

    monkeypatch.setattr(page._reporting, "monthly", refuse)
    page.generate()
    qtbot.waitUntil(lambda: bool(warnings), timeout=WAIT_MS)

    assert warnings == [text_for("permission.denied")]
    assert page.result is None and page.generate_button.isEnabled()
    monkeypatch.undo()
    page.generate()
    _made(qtbot, page)


def test_bad_periods_are_refused_before_anything_runs(qtbot, window: MainWindow) -> None:
    page = window.reports_page
    page.kind_combo.setCurrentIndex(page.kind_combo.findData(ReportKind.OVERVIEW))
    assert page.from_edit.isVisibleTo(page) and not page.month_combo.isVisibleTo(page)
    today = japan_today()
    assert page.from_edit.date_value() == fiscal_year_range(fiscal_year(today))[0]
    assert page.to_edit.date_value() == today  # the 年度 to date

    page.from_edit.setText("R8.13.1")
    page.generate()
    assert page.input_error.text() == text_for("date.format") and not page.runner.busy()

    page.from_edit.set_date(today)
    page.to_edit.set_date(today - timedelta(days=1))
    page.generate()
    assert page.input_error.text() == text_for("period.reversed") and not page.runner.busy()

    page.kind_combo.setCurrentIndex(page.kind_combo.findData(ReportKind.BUSINESS))
    page.generate()
    assert "事業者" in page.input_error.text() and not page.runner.busy()


def test_the_karte_names_characters_the_font_lacks(
    qtbot, window: MainWindow, demo: Database
) -> None:
    with demo.write() as session:
        business = session.execute(select(Business).limit(1)).scalar_one()
        business.name = "𠮷野家具店"
        business_id = business.id
    page = window.reports_page

    page.prefill(ReportKind.BUSINESS, business_id=business_id, generate=True)
    _made(qtbot, page)

    assert page.result is not None and page.result.request.business_id == business_id
    assert "𠮷" in page.result.missing
    assert page.warning_label.isVisibleTo(page) and "𠮷" in page.warning_label.text()
    assert page.result.request.file_name(ReportFormat.PDF) == "事業者カルテ_𠮷野家具店.pdf"


def test_print_sends_every_page_to_the_printer(
    qtbot, window: MainWindow, demo: Database, tmp_path: Path, monkeypatch
) -> None:
    page = window.reports_page
    page.kind_combo.setCurrentIndex(page.kind_combo.findData(ReportKind.FISCAL_YEAR))
    page.generate()
    _made(qtbot, page)
    out = tmp_path / "printed.pdf"

    def accept(dialog: QPrintDialog) -> int:
        dialog.printer().setOutputFileName(str(out))  # a PDF "printer": no device needed
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(QPrintDialog, "exec", accept)
    before = _prints(demo)
    printed = page.print_report()

    assert printed == page_count(page.result.pdf) > 0
    assert _prints(demo) == before + 1  # printing is audited like saving
    assert page_count(out.read_bytes()) == printed
    assert "印刷" in page.status_label.text()


def test_western_dates_setting_is_for_administrators(qtbot, demo: Database, tmp_path: Path) -> None:
    admin = _window(qtbot, demo, demo_principal(demo, "demo-admin"), tmp_path)
    tab = admin.settings_page.report_settings_tab
    assert "帳票" in admin.settings_page.tab_titles()
    assert tab.wareki_radio.isChecked()

    tab.western_radio.setChecked(True)

    assert SettingsService(demo, admin._services.principal).western_dates() is True
    assert admin.reports_page.options().western_dates is True
    manager = _window(qtbot, demo, demo_principal(demo, "demo-manager"), tmp_path / "m")
    assert "帳票" not in manager.settings_page.tab_titles()
    assert manager.reports_page.options().western_dates is True  # for every PC and person


def test_an_auditor_may_look_but_not_save_or_print(qtbot, demo: Database, tmp_path: Path) -> None:
    window = _window(qtbot, demo, demo_principal(demo, "demo-auditor"), tmp_path)
    page = window.reports_page
    page.generate()
    _made(qtbot, page)

    assert page.preview.page_count() > 0
    assert not page.save_button.isVisibleTo(page) and not page.print_button.isVisibleTo(page)
    assert page.print_report() == 0


def test_another_month_and_the_fiscal_year_report(qtbot, window: MainWindow) -> None:
    page = window.reports_page
    assert not page.select_month(1999, 4)  # not offered
    first_of_month = japan_today().replace(day=1)
    earlier = (first_of_month - timedelta(days=40)).replace(day=1)
    assert page.select_month(earlier.year, earlier.month)
    page.generate()
    _made(qtbot, page)
    assert (page.result.request.year, page.result.request.month) == (earlier.year, earlier.month)

    page.kind_combo.setCurrentIndex(page.kind_combo.findData(ReportKind.FISCAL_YEAR))
    assert page.year_spin.isVisibleTo(page) and not page.month_combo.isVisibleTo(page)
    page.year_spin.setValue(fiscal_year(japan_today()) - 1)
    assert page.year_hint.text().endswith("年度")
    page.generate()
    qtbot.waitUntil(
        lambda: page.result.request.kind is ReportKind.FISCAL_YEAR and not page.runner.busy(),
        timeout=WAIT_MS,
    )
    assert page.result.request.file_name(ReportFormat.PDF) == (
        f"年度報告_{page.year_hint.text()}.pdf"
    )


def test_a_long_report_previews_only_its_first_pages(
    qtbot, window: MainWindow, monkeypatch
) -> None:
    page = window.reports_page
    monkeypatch.setattr(reports_module, "render_pages", lambda data: render_pages(data, limit=1))
    page.generate()
    _made(qtbot, page)

    result = page.result
    assert result is not None and result.page_count == page_count(result.pdf) > 1
    assert page.preview.page_count() == 1
    assert page.page_label.text() == f"{result.page_count} ページ（画面には最初の 1 ページ）"

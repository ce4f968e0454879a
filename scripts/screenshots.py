"""Save a PNG of every page of the main window, on a fresh demo database, to docs/screenshots/.

Run: .venv/bin/python scripts/screenshots.py   (offscreen; needs no display)
"""

import csv
import io
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import date

from argon2 import PasswordHasher

from PySide6.QtWidgets import QApplication, QWidget

from consult_desk.app import build_window, make_application, open_database
from consult_desk.domain.businesses import BusinessQuery
from consult_desk.domain.corporate_number import make_corporate_number
from consult_desk.domain.dispatch import DispatchQuery, DispatchState
from consult_desk.domain.fiscal import fiscal_year, fiscal_year_range
from consult_desk.domain.loans import LoanQuery, LoanState
from consult_desk.domain.permissions import SETUP, Principal
from consult_desk.domain.streets import AssociationQuery
from consult_desk.domain.subsidies import ApplicationQuery, SubsidyState
from consult_desk.services.demo import DemoService
from consult_desk.services.staff import StaffService
from consult_desk.ui.dialogs.association_record import AssociationRecordDialog
from consult_desk.ui.dialogs.business_dialog import BusinessDialog
from consult_desk.ui.dialogs.business_record import BusinessRecordDialog
from consult_desk.ui.dialogs.consultation_dialog import ConsultationDialog
from consult_desk.ui.dialogs.dispatch_dialog import DispatchDialog
from consult_desk.ui.dialogs.import_batches import ImportBatchesDialog
from consult_desk.ui.dialogs.import_wizard import ImportWizard
from consult_desk.ui.dialogs.loan_case_dialog import LoanCaseDialog
from consult_desk.ui.dialogs.sign_in import SignInDialog
from consult_desk.ui.dialogs.subsidy_dialog import SubsidyDialog
from consult_desk.ui.drafts import DraftStore
from consult_desk.ui.idle_lock import LockDialog
from consult_desk.ui.main_window import MainWindow, Services
from consult_desk.ui.pages.dashboard import FIGURES

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
# 設定 tab title → picture name (tabs a role does not get are simply absent).
SETTINGS_TABS = {
    "パスワード変更": "password",
    "帳票": "report-settings",
    "職員": "staff",
    "資金種別・融資条件": "loan-programs",
    "金融機関": "banks",
    "案件の期限": "loan-deadlines",
    "派遣制度": "dispatch-programs",
    "補助金制度": "subsidy-programs",
    "バックアップ・自動ロック": "backups",
    "監査ログ": "audit-log",
    "ごみ箱": "trash",
}
FILE_NAMES = {
    "ダッシュボード": "dashboard",
    "事業者": "business-list",
    "相談記録": "consultations",
    "融資あっせん": "loans",
    "専門家派遣": "dispatch",
    "商店街支援": "streets",
    "施策": "plan",
    "帳票": "reports",
    "設定": "settings",
}
# A fixed date and place keep the pictures the same from run to run.
DEMO_ANCHOR = date(2026, 11, 27)
WORK = Path("/tmp/consult-desk-screenshots")
PASSWORD = "screenshot-only-password"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def main() -> int:
    app = make_application([])
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(WORK, ignore_errors=True)
    db = open_database(f"sqlite:///{WORK / 'demo.sqlite'}")
    DemoService(db, SETUP, FAST).fill(seed=1, businesses=300, anchor=DEMO_ANCHOR, password=PASSWORD)
    principal = StaffService(db, FAST).sign_in("demo-admin", PASSWORD)
    window = build_window(db, principal, DraftStore(WORK / "drafts"))
    window.show()
    window.today_page.everyone_check.setChecked(True)  # the administrator has none of their own
    for index, name in enumerate(window.page_names):
        window.show_page(index)
        for _ in range(3):
            app.processEvents()
        path = OUT / f"{FILE_NAMES[name]}.png"
        window.grab().save(str(path))
        print(path)
    report_pages(app, window)
    streets_tabs(app, window)
    dispatch_tabs(app, window)
    settings = window.settings_page
    window.show_page(window.page_names.index("設定"))  # the tabs above left another page up
    for index in range(settings.tabs.count()):
        slug = SETTINGS_TABS.get(settings.tabs.tabText(index).replace("&", ""))
        if slug is None:
            print(f"note: no file name for the 設定 tab {settings.tabs.tabText(index)!r}")
            continue
        settings.tabs.setCurrentIndex(index)
        for _ in range(3):
            app.processEvents()
        path = OUT / f"settings-{slug}.png"
        window.grab().save(str(path))
        print(path)
    window.close()
    services = window._services
    business_id = services.businesses.page(BusinessQuery(), limit=1)[0].id
    record = BusinessRecordDialog(services.businesses, services.timeline, principal, business_id)
    consultation = ConsultationDialog(
        services.consultations,
        services.businesses,
        services.reference,
        principal,
        DraftStore(WORK / "drafts"),
        business_id=business_id,
    )
    consultation.summary_edit.setPlainText("仕入価格の上昇で運転資金が不足。融資制度について相談。")
    business = BusinessDialog(services.businesses, services.reference, principal, business_id)
    for name, dialog in (
        ("sign-in", SignInDialog(StaffService(db, FAST))),
        ("lock", LockDialog(principal, lambda _password: False)),
        ("business-record", record),
        ("consultation-dialog", consultation),
        ("business-dialog", business),
    ):
        dialog.show()
        app.processEvents()
        dialog.grab().save(str(OUT / f"{name}.png"))
        dialog.done(0)
    loan_case(services, principal)
    street_records(services, principal)
    dispatch_case(services, principal)
    import_wizard(app, services, principal)
    db.dispose()
    return 0


def wait_until(app: QApplication, done: Callable[[], bool], seconds: float = 120) -> bool:
    """Let the window work (reports and figures are read on a worker thread) until done."""
    end = time.monotonic() + seconds
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    for _ in range(3):
        app.processEvents()
    return done()


def save(window: MainWindow, slug: str) -> None:
    path = OUT / f"{slug}.png"
    window.grab().save(str(path))
    print(path)


def report_pages(app: QApplication, window: MainWindow) -> None:
    """概況 (the month of the demo's anchor), 施策 with its figures and a record list, and 帳票
    with the anchor month's 月次報告 made and previewed."""
    anchor_month = (DEMO_ANCHOR.year, DEMO_ANCHOR.month)
    dashboard = getattr(window, "dashboard_page", None)
    if dashboard is not None:
        window.show_page(window.page_names.index("ダッシュボード"))
        window.dashboard_tabs.setCurrentWidget(dashboard)
        dashboard.select_month(*anchor_month)
        wait_until(app, lambda: dashboard.data is not None and not dashboard.runner.busy())
        save(window, "dashboard-overview")
        # A figure opens its records: the 年度's visits, as the dispatch list shows them.
        row = next(n for n, f in enumerate(FIGURES) if f.label == "専門家派遣 訪問回数")
        drill = dashboard.drill_at(row, 4)
        if drill is not None:
            window.drill_down(drill)
            listing = window.dispatch_page.list_tab
            wait_until(app, lambda: listing.model.rowCount() > 0, seconds=10)
            save(window, "dashboard-drill-visits")
            window.show_page(window.page_names.index("ダッシュボード"))
        window.dashboard_tabs.setCurrentWidget(window.today_page)
    plan = window.plan_page
    window.show_page(window.page_names.index("施策"))
    first, _ = fiscal_year_range(fiscal_year(DEMO_ANCHOR))
    plan.set_period(first, DEMO_ANCHOR)
    wait_until(app, lambda: plan.overview is not None and not plan.runner.busy())
    plan.select_initiative("1-2-2")
    save(window, "plan")
    records = plan.show_records()
    if records is not None:
        app.processEvents()
        path = OUT / "plan-records.png"
        records.grab().save(str(path))
        print(path)
        records.close()
    reports = getattr(window, "reports_page", None)
    if reports is None:
        return
    window.show_page(window.page_names.index("帳票"))
    reports.select_month(*anchor_month)
    reports.generate()
    if wait_until(app, lambda: reports.result is not None and not reports.runner.busy()):
        save(window, "reports")


def loan_case(services: Services, principal: Principal) -> None:
    """A loan case being repaid (its steps, history and schedule), if the demo has one."""
    loans = services.loans
    rows = loans.page(LoanQuery(states=frozenset({LoanState.REPAYING})), limit=1)
    rows = rows or loans.page(LoanQuery(), limit=1)
    if not rows:
        print("no loan case in the demo data: the loan-case screenshots are skipped")
        return
    case = LoanCaseDialog(
        loans,
        services.settings.loan_master,
        services.businesses,
        services.reference,
        principal,
        case_id=rows[0].id,
        consultations=services.consultations,
    )
    case.show()
    for index, slug in enumerate(("loan-case", "loan-case-history", "loan-case-schedule")):
        case.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        path = OUT / f"{slug}.png"
        case.grab().save(str(path))
        print(path)
    case.done(0)


def streets_tabs(app: QApplication, window: MainWindow) -> None:
    """The 支援記録 and 補助金 tabs of 商店街支援 (the page itself shows its first tab)."""
    page = getattr(window, "streets_page", None)
    if page is None:
        return
    window.show_page(window.page_names.index("商店街支援"))
    for index, slug in ((1, "streets-supports"), (2, "streets-subsidies")):
        if index >= page.tabs.count():
            continue
        page.tabs.setCurrentIndex(index)
        for _ in range(3):
            app.processEvents()
        path = OUT / f"{slug}.png"
        window.grab().save(str(path))
        print(path)
    page.tabs.setCurrentIndex(0)


def street_records(services: Services, principal: Principal) -> None:
    """A street's record (the one with the longest history) and a subsidy application with
    its steps and history, if the demo has them."""
    streets, subsidies = services.streets, services.subsidies
    if streets is None or subsidies is None:
        return
    rows = streets.page(AssociationQuery(), limit=50)
    if not rows:
        print("no shopping street in the demo data: the street screenshots are skipped")
        return
    busiest = max(rows, key=lambda row: len(streets.timeline(row.id)))
    record = AssociationRecordDialog(streets, principal, busiest.id)
    record.show()
    QApplication.processEvents()
    path = OUT / "association-record.png"
    record.grab().save(str(path))
    print(path)
    record.done(0)
    granted = ApplicationQuery(states=frozenset({SubsidyState.GRANTED}))
    applications = subsidies.page(granted, limit=1) or subsidies.page(ApplicationQuery(), limit=1)
    if not applications:
        print("no subsidy application in the demo data: the subsidy screenshots are skipped")
        return
    dialog = SubsidyDialog(
        subsidies,
        streets,
        services.businesses,
        services.reference,
        principal,
        application_id=applications[0].id,
    )
    dialog.show()
    for index, slug in enumerate(("subsidy-dialog", "subsidy-dialog-history")):
        dialog.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        path = OUT / f"{slug}.png"
        dialog.grab().save(str(path))
        print(path)
    dialog.done(0)


def dispatch_tabs(app: QApplication, window: MainWindow) -> None:
    """The 専門家 and 謝金 tabs of 専門家派遣 (the page itself shows its list)."""
    page = getattr(window, "dispatch_page", None)
    if page is None:
        return
    window.show_page(window.page_names.index("専門家派遣"))
    for index, slug in ((1, "dispatch-experts"), (2, "dispatch-fees")):
        page.tabs.setCurrentIndex(index)
        for _ in range(3):
            app.processEvents()
        path = OUT / f"{slug}.png"
        window.grab().save(str(path))
        print(path)
    page.tabs.setCurrentIndex(0)


def dispatch_case(services: Services, principal: Principal) -> None:
    """A dispatch with visits (its application, visits and history) and the next visit's
    form, if the demo has one."""
    dispatch = services.dispatch
    visiting = DispatchQuery(states=frozenset({DispatchState.IN_PROGRESS}))
    rows = dispatch.page(visiting, limit=20) or dispatch.page(DispatchQuery(), limit=20)
    if not rows:
        print("no dispatch in the demo data: the dispatch screenshots are skipped")
        return
    busiest = max(rows, key=lambda row: row.visits)
    case = DispatchDialog(
        dispatch,
        services.experts,
        services.businesses,
        services.reference,
        principal,
        dispatch_id=busiest.id,
        consultations=services.consultations,
    )
    case.show()
    for index, slug in enumerate(
        ("dispatch-case", "dispatch-case-visits", "dispatch-case-history")
    ):
        case.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        path = OUT / f"{slug}.png"
        case.grab().save(str(path))
        print(path)
    if case.visit_button.isVisible():
        form = case.add_visit()
        if form is not None:
            QApplication.processEvents()
            path = OUT / "dispatch-visit.png"
            form.grab().save(str(path))
            print(path)
            form.done(0)
    case.done(0)


def import_file() -> Path:
    """A CP932 list of businesses as a desk might keep it: a column the import does not know,
    a wrong 法人番号 and a 31 February."""
    rows = [
        [
            "事業者名",
            "フリガナ",
            "法人番号",
            "事業者区分",
            "業種",
            "所在地",
            "資本金",
            "設立日",
            "担当メモ",
        ],
        [
            "株式会社神田錦町デザイン",
            "カンダニシキチョウデザイン",
            make_corporate_number("010001201234"),
            "法人",
            "L",
            "千代田区神田錦町2-1",
            "500万円",
            "2019/4/1",
            "10月に来所",
        ],
        [
            "有限会社内神田製本",
            "ウチカンダセイホン",
            make_corporate_number("010002201235"),
            "法人",
            "製造業",
            "千代田区内神田1-3-5",
            "300万円",
            "平成12年6月1日",
            "",
        ],
        [
            "麹町珈琲店",
            "コウジマチコーヒーテン",
            "",
            "個人事業主",
            "M",
            "千代田区麹町4-2",
            "",
            "R2.10.1",
            "創業相談から",
        ],
        [
            "株式会社九段南商事",
            "クダンミナミショウジ",
            "2010001201236",
            "法人",
            "I",
            "千代田区九段南2-2-2",
            "1,000万円",
            "2015-07-01",
            "",
        ],
        [
            "合同会社岩本町ラボ",
            "イワモトチョウラボ",
            "",
            "法人",
            "G",
            "千代田区岩本町3-1",
            "100万円",
            "2023-02-31",
            "",
        ],
    ]
    path = WORK / "事業者一覧_2026.csv"
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    path.write_bytes(text.getvalue().encode("cp932"))
    return path


def import_wizard(app: QApplication, services: Services, principal: Principal) -> None:
    """取り込み: each page of the wizard at 1280×800 (the file, its check with errors, the
    column mapped, the confirmation, the result) and 取込の履歴 with the batch."""
    imports = services.imports
    if imports is None:
        return
    wizard = ImportWizard(imports, principal, today=DEMO_ANCHOR)
    wizard.resize(1280, 800)
    wizard.show()
    wizard.file_page.path_edit.setText(str(import_file()))
    app.processEvents()
    save_widget(wizard, "import-file")
    preview = wizard.preview_page
    wizard.next()
    wait_until(app, lambda: preview.preview is not None and not preview.busy())
    save_widget(wizard, "import-preview-errors")
    preview.choose("担当メモ", "")  # 取り込まない
    wait_until(app, lambda: preview.preview is not None and not preview.busy())
    preview.skip_check.setChecked(True)
    app.processEvents()
    save_widget(wizard, "import-preview")
    wizard.next()
    app.processEvents()
    save_widget(wizard, "import-confirm")
    wizard.next()
    if wait_until(app, lambda: wizard.currentPage() is wizard.summary_page):
        save_widget(wizard, "import-summary")
    wizard.done(0)
    history = ImportBatchesDialog(imports, principal)
    history.resize(1280, 800)
    history.show()
    history.table.selectRow(0)
    app.processEvents()
    save_widget(history, "import-history")
    history.done(0)


def save_widget(widget: QWidget, slug: str) -> None:
    path = OUT / f"{slug}.png"
    widget.grab().save(str(path))
    print(path)


if __name__ == "__main__":
    sys.exit(main())

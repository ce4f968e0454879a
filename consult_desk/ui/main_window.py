"""The main window: navigation for every area of the desk and one page per area."""

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.errors import DomainError
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.services.businesses import BusinessService
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.dispatch import DispatchService
from consult_desk.services.experts import ExpertService
from consult_desk.services.exports import ExportService
from consult_desk.services.history import HistoryService
from consult_desk.services.imports import PERMISSION_KINDS as IMPORT_PERMISSION_KINDS
from consult_desk.services.imports import ImportService
from consult_desk.services.loans import LoanService
from consult_desk.services.reference import ReferenceService
from consult_desk.services.report_files import ReportFileService
from consult_desk.services.reporting import ReportingService
from consult_desk.services.safety_net import SafetyNetService
from consult_desk.services.streets import StreetService
from consult_desk.services.subsidies import SubsidyService
from consult_desk.services.timeline import TimelineService
from consult_desk.ui.dialogs.business_dialog import BusinessDialog
from consult_desk.ui.dialogs.business_record import BusinessRecordDialog
from consult_desk.ui.dialogs.consultation_dialog import ConsultationDialog
from consult_desk.ui.dialogs.dispatch_dialog import DispatchDialog
from consult_desk.ui.dialogs.import_batches import ImportBatchesDialog
from consult_desk.ui.dialogs.import_wizard import ImportWizard, import_kinds
from consult_desk.ui.dialogs.loan_case_dialog import LoanCaseDialog
from consult_desk.ui.dialogs.safety_net_dialog import SafetyNetDialog
from consult_desk.ui.drafts import DraftStore
from consult_desk.ui.messages import error_text
from consult_desk.ui.pages.business_list import BusinessListPage
from consult_desk.ui.pages.consultation_list import ConsultationListPage
from consult_desk.ui.pages.dashboard import DashboardPage, Drill, DrillTarget
from consult_desk.ui.pages.dispatch import DispatchPage
from consult_desk.ui.pages.loan_pipeline import LoanPipelinePage
from consult_desk.ui.pages.pending import PendingPage
from consult_desk.ui.pages.plan import PlanPage
from consult_desk.ui.pages.reports import ReportKind, ReportsPage
from consult_desk.ui.pages.settings import SettingsPage, SettingsServices
from consult_desk.ui.pages.streets import StreetsPage
from consult_desk.ui.pages.today import TodayPage
from consult_desk.ui.street_desk import StreetDesk
from consult_desk.ui.widgets.background import BackgroundRunner
from consult_desk.ui.widgets.reports_due import ReportsDuePanel


@dataclass(frozen=True, slots=True)
class Services:
    """What the window needs, built by app.py (the composition root) for one principal."""

    principal: Principal
    businesses: BusinessService
    consultations: ConsultationService
    reference: ReferenceService
    history: HistoryService
    timeline: TimelineService
    loans: LoanService
    dispatch: DispatchService  # 専門家派遣 (dispatches, visits, programs)
    experts: ExpertService  # the expert register
    settings: SettingsServices
    drafts: DraftStore
    location: str  # the database, as shown in the status bar
    safety_net: SafetyNetService | None = None  # the 融資あっせん page's セーフティネット認定 tab
    streets: StreetService | None = None  # 商店街支援 (associations, support, events)
    subsidies: SubsidyService | None = None  # 補助金 (streets' and businesses')
    reporting: ReportingService | None = None  # 帳票, 概況 and the 施策 page's figures
    report_files: ReportFileService | None = None  # a report as a PDF / xlsx / JSON file
    imports: ImportService | None = None  # ファイル › 取り込み… and 取込の履歴
    exports: ExportService | None = None  # every list's 書き出し…（Ctrl+E）


# What a role must be allowed to read to see each page (None: everyone).
PAGE_NEEDS: dict[str, Kind | None] = {
    "ダッシュボード": None,
    "事業者": Kind.BUSINESS,
    "相談記録": Kind.CONSULTATION,
    "融資あっせん": Kind.LOAN,
    "専門家派遣": Kind.DISPATCH,
    "商店街支援": Kind.STREET,
    "施策": None,
    "帳票": Kind.REPORT,
    "設定": None,
}


# Shown where a page cannot be built (the services it needs were not given).
PENDING = {
    "ダッシュボード": "今日の対応（フォローアップ）は相談記録を扱う役割で表示されます。"
    "管理職向けの実績の集計は帳票の機能とともに表示されます。",
    "帳票": "事業者別・施策別・月次・年度の報告書（PDF / Excel / JSON）をここで作成します。",
}
# The buttons below the navigation: on its dark blue, quieter than the pages it lists.
SIDEBAR_STYLE = """
QWidget#sidebar { background: #1f3a5f; }
QWidget#sidebar QPushButton { background: transparent; color: #c9d6e8; border: none;
                              text-align: left; padding: 7px 14px; font-size: 10pt; }
QWidget#sidebar QPushButton:hover { background: #2c4f7c; color: #ffffff; }
QWidget#sidebar QPushButton:focus { background: #3d6aa2; color: #ffffff; }
"""
PAGE_ORDER = (
    "ダッシュボード",
    "事業者",
    "相談記録",
    "融資あっせん",
    "専門家派遣",
    "商店街支援",
    "施策",
    "帳票",
    "設定",
)


@dataclass(frozen=True, slots=True)
class _Route:
    page: str  # the MainWindow attribute holding the list's page
    show: str  # its method showing the records of a period: show(first, last)
    name: str  # the page's name in the navigation


# The dashboard's period figures and the lists that show exactly their records.
PERIOD_DRILLS = {
    DrillTarget.LOANS_RECEIVED: _Route("loan_page", "show_received", "融資あっせん"),
    DrillTarget.LOANS_REFERRED: _Route("loan_page", "show_referred", "融資あっせん"),
    DrillTarget.LOANS_EXECUTED: _Route("loan_page", "show_executed", "融資あっせん"),
    DrillTarget.DISPATCH_VISITS: _Route("dispatch_page", "show_visited", "専門家派遣"),
    DrillTarget.STREET_SUPPORTS: _Route("streets_page", "show_supports", "商店街支援"),
    DrillTarget.SUBSIDIES_GRANTED: _Route("streets_page", "show_granted", "商店街支援"),
}


class MainWindow(QMainWindow):
    """Navigation on the left, one page per area; a role only gets the pages it may read."""

    restored = Signal()  # a backup was restored: the application must close

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        principal = services.principal
        self.setWindowTitle(self.tr("consult-desk — 千代田区 中小企業支援 相談・案件管理"))
        self.resize(1280, 800)

        self.page_names = [
            name
            for name in PAGE_ORDER
            if (kind := PAGE_NEEDS[name]) is None or principal.can(kind, Action.READ)
        ]
        self._services = services
        self._records: dict[int, BusinessRecordDialog] = {}
        built: dict[str, QWidget] = {}
        if "事業者" in self.page_names:
            self.business_list = BusinessListPage(
                services.businesses,
                services.reference,
                services.history,
                principal,
                exports=services.exports,
            )
            self.business_list.open_requested.connect(self.open_business_record)
            self.business_list.new_requested.connect(self.new_business)
            built["事業者"] = self.business_list
        if "相談記録" in self.page_names:
            self.today_page = TodayPage(services.consultations, principal)
            self.today_page.open_requested.connect(self.open_consultation)
            built["ダッシュボード"] = self.today_page
            self.consultation_list = ConsultationListPage(
                services.consultations, services.reference, principal, exports=services.exports
            )
            self.consultation_list.open_requested.connect(self.open_consultation)
            self.consultation_list.new_requested.connect(self.new_consultation)
            built["相談記録"] = self.consultation_list
        if "融資あっせん" in self.page_names:
            self.loan_page = LoanPipelinePage(
                services.loans,
                services.settings.loan_master,
                services.settings.settings,
                services.reference,
                principal,
                safety_net=services.safety_net,
                exports=services.exports,
            )
            self.loan_page.open_requested.connect(self.open_loan_case)
            self.loan_page.new_requested.connect(self.new_loan_case)
            if (panel := self.loan_page.safety_net_panel) is not None:
                panel.open_requested.connect(self.open_safety_net)
                panel.new_requested.connect(self.new_safety_net)
            built["融資あっせん"] = self.loan_page
        if "専門家派遣" in self.page_names:
            self.dispatch_page = DispatchPage(
                services.dispatch,
                services.experts,
                services.reference,
                principal,
                exports=services.exports,
            )
            self.dispatch_page.open_requested.connect(self.open_dispatch)
            self.dispatch_page.new_requested.connect(self.new_dispatch)
            built["専門家派遣"] = self.dispatch_page
        self.street_desk: StreetDesk | None = None
        if services.streets is not None and services.subsidies is not None:
            self.street_desk = StreetDesk(
                services.streets,
                services.subsidies,
                services.businesses,
                services.reference,
                principal,
                self,
            )
            self.street_desk.changed.connect(self._street_changed)
        if "商店街支援" in self.page_names and self.street_desk is not None:
            assert services.streets is not None and services.subsidies is not None
            desk = self.street_desk
            self.streets_page = StreetsPage(
                services.streets,
                services.subsidies,
                services.reference,
                principal,
                exports=services.exports,
            )
            self.streets_page.open_association.connect(desk.open_association)
            self.streets_page.new_association.connect(desk.new_association)
            self.streets_page.open_support.connect(desk.open_support)
            self.streets_page.new_support.connect(desk.new_support)
            self.streets_page.open_subsidy.connect(desk.open_subsidy)
            self.streets_page.new_subsidy.connect(desk.new_subsidy)
            built["商店街支援"] = self.streets_page
        if hasattr(self, "today_page"):  # 実績報告 due: subsidies and dispatches
            can = principal.can
            self.reports_panel = ReportsDuePanel(
                services.subsidies if can(Kind.SUBSIDY, Action.READ) else None,
                services.dispatch if can(Kind.DISPATCH, Action.READ) else None,
            )
            if self.street_desk is not None:
                self.reports_panel.open_subsidy.connect(self.street_desk.open_subsidy)
            self.reports_panel.open_dispatch.connect(self.open_dispatch)
            self.today_page.add_panel(self.reports_panel, self.reports_panel.refresh)
        self._build_dashboard(built)
        reporting = services.reporting if principal.can(Kind.REPORT, Action.READ) else None
        self.plan_page = PlanPage(services.reference, reporting)
        self.plan_page.pdf_requested.connect(self._initiative_pdf)
        self.plan_page.consultations_requested.connect(self._initiative_consultations)
        self.plan_page.open_record.connect(self.open_linked_record)
        built["施策"] = self.plan_page
        if reporting is not None and services.report_files is not None:
            self.reports_page = ReportsPage(
                reporting,
                services.report_files,
                services.businesses if principal.can(Kind.BUSINESS, Action.READ) else None,
                services.settings.settings,
                services.reference.initiatives(),
                principal,
            )
            built["帳票"] = self.reports_page
        self.settings_page = SettingsPage(services.settings)
        self.settings_page.restored.connect(self.restored)
        built["設定"] = self.settings_page

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setFixedWidth(170)
        self.navigation.setIconSize(QSize(0, 0))
        self.pages = QStackedWidget()
        for number, name in enumerate(self.page_names, start=1):
            self.navigation.addItem(name)
            self.pages.addWidget(built.get(name) or PendingPage(name, PENDING[name]))
            QShortcut(QKeySequence(f"Ctrl+{number}"), self, lambda n=number: self.show_page(n - 1))
        self.navigation.currentRowChanged.connect(self.pages.setCurrentIndex)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._sidebar())
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.statusBar().addPermanentWidget(
            QLabel(
                self.tr("{0} さん（{1}）　データベース: {2}").format(
                    principal.name,
                    "・".join(r.label for r in sorted(principal.roles)),
                    services.location,
                )
            )
        )
        QShortcut(QKeySequence.StandardKey.New, self, self._new_for_page)
        # Start on the dashboard (today's follow-ups, or the figures), else on the businesses.
        start = "ダッシュボード" if "ダッシュボード" in built else "事業者"
        self.show_page(self.page_names.index(start) if start in self.page_names else 0)

    def _build_dashboard(self, built: dict[str, QWidget]) -> None:
        """ダッシュボード: 今日の対応 (follow-ups) and 概況 (the figures), as tabs when the role
        gets both; a role that logs no consultations of its own starts on 概況."""
        services = self._services
        principal = services.principal
        today = getattr(self, "today_page", None)
        if services.reporting is not None and principal.can(Kind.REPORT, Action.READ):
            # The lists a figure can open here (the dashboard also checks the role).
            lists = set()
            if hasattr(self, "dispatch_page"):
                lists.add(DrillTarget.DISPATCH_VISITS)
            if hasattr(self, "streets_page"):
                lists.add(DrillTarget.STREET_SUPPORTS)
                if self.streets_page.subsidies_visible:
                    lists.add(DrillTarget.SUBSIDIES_GRANTED)
            self.dashboard_page = DashboardPage(
                services.reporting,
                principal,
                consultations=services.consultations,
                loans=services.loans,
                settings=services.settings.settings,
                reference=services.reference,
                lists=frozenset(lists),
            )
            self.dashboard_page.drill_requested.connect(self.drill_down)
        overview = getattr(self, "dashboard_page", None)
        if today is not None and overview is not None:
            self.dashboard_tabs = QTabWidget()
            self.dashboard_tabs.setDocumentMode(True)
            self.dashboard_tabs.addTab(today, self.tr("今日の対応"))
            self.dashboard_tabs.addTab(overview, self.tr("概況（実績）"))
            keeps_own = principal.can(Kind.CONSULTATION, Action.CREATE)
            self.dashboard_tabs.setCurrentWidget(today if keeps_own else overview)
            built["ダッシュボード"] = self.dashboard_tabs
        elif today is not None:
            built["ダッシュボード"] = today
        elif overview is not None:
            built["ダッシュボード"] = overview

    def _sidebar(self) -> QWidget:
        """The navigation, and below it 取り込み… / 取込の履歴… for roles that may import or read
        imports (every list has its own 書き出し…, Ctrl+E)."""
        services = self._services
        principal = services.principal
        sidebar = QWidget()
        sidebar.setObjectName("sidebar")
        sidebar.setFixedWidth(self.navigation.width())
        sidebar.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        sidebar.setStyleSheet(SIDEBAR_STYLE)
        column = QVBoxLayout(sidebar)
        column.setContentsMargins(0, 0, 0, 8)
        column.setSpacing(0)
        column.addWidget(self.navigation, 1)
        self.import_button: QPushButton | None = None
        self.import_history_button: QPushButton | None = None
        if services.imports is None:
            return sidebar
        if import_kinds(principal):
            self.import_button = QPushButton(self.tr("取り込み…（Ctrl+I）"))
            self.import_button.clicked.connect(lambda: self.open_import())
            QShortcut(QKeySequence("Ctrl+I"), self, lambda: self.open_import())
            column.addWidget(self.import_button)
        if any(principal.can(k, Action.READ) for k in IMPORT_PERMISSION_KINDS.values()):
            self.import_history_button = QPushButton(self.tr("取込の履歴…"))
            self.import_history_button.clicked.connect(lambda: self.open_import_history())
            column.addWidget(self.import_history_button)
        return sidebar

    def open_import(self) -> ImportWizard | None:
        """ファイル › 取り込み…: the wizard; the lists refresh after an import."""
        services = self._services
        if services.imports is None or not import_kinds(services.principal):
            return None
        wizard = ImportWizard(services.imports, services.principal, parent=self)
        wizard.imported.connect(lambda _result: self._records_imported())
        wizard.exec()
        return wizard

    def open_import_history(self) -> ImportBatchesDialog | None:
        """ファイル › 取込の履歴…: past imports, and 取り消す."""
        services = self._services
        if services.imports is None:
            return None
        dialog = ImportBatchesDialog(services.imports, services.principal, parent=self)
        dialog.undone.connect(lambda _result: self._records_imported())
        dialog.exec()
        return dialog

    def _records_imported(self) -> None:
        """An import added (or an undo removed) records: every list that shows them."""
        for page in ("business_list", "consultation_list", "loan_page", "today_page"):
            if hasattr(self, page):
                getattr(self, page).refresh()
        for record in self._records.values():
            record.refresh()

    def show_page(self, index: int) -> None:
        self.navigation.setCurrentRow(index)

    def wait_for_background_work(self, msecs: int = 10_000) -> None:
        """Let reports and figures being read finish (their results are dropped), so none
        outlives the window or the database."""
        for runner in self.findChildren(BackgroundRunner):
            runner.cancel()
            runner.wait(msecs)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.wait_for_background_work()
        super().closeEvent(event)

    def show_page_named(self, name: str) -> None:
        self.show_page(self.page_names.index(name))

    # --- from a figure to the records behind it ---------------------------------------------

    def drill_down(self, drill: Drill) -> None:
        """A dashboard figure was clicked: its list, filtered to exactly its records."""
        target = drill.target
        if target is DrillTarget.CONSULTATIONS and hasattr(self, "consultation_list"):
            self.consultation_list.show_filtered(
                drill.first, drill.last, drill.label, channel_id=drill.channel_id
            )
            self.show_page_named("相談記録")
        elif target is DrillTarget.FOLLOW_UPS_OPEN and hasattr(self, "consultation_list"):
            self.consultation_list.show_filtered(
                None, None, self.tr("すべての期間"), open_follow_ups=True
            )
            self.show_page_named("相談記録")
        elif target is DrillTarget.FOLLOW_UPS_DUE and hasattr(self, "today_page"):
            self.today_page.everyone_check.setChecked(True)
            if hasattr(self, "dashboard_tabs"):
                self.dashboard_tabs.setCurrentWidget(self.today_page)
            self.show_page_named("ダッシュボード")
        elif target is DrillTarget.LOANS_OVERDUE and hasattr(self, "loan_page"):
            self.loan_page.show_overdue()
            self.show_page_named("融資あっせん")
        elif (route := PERIOD_DRILLS.get(target)) and hasattr(self, route.page):
            assert drill.first is not None and drill.last is not None
            getattr(getattr(self, route.page), route.show)(drill.first, drill.last)
            self.show_page_named(route.name)

    def _initiative_pdf(self, code: str, first: date, last: date) -> None:
        if hasattr(self, "reports_page"):
            self.show_page_named("帳票")
            self.reports_page.prefill(
                ReportKind.INITIATIVE, initiative_code=code, first=first, last=last, generate=True
            )

    def _initiative_consultations(
        self, initiative_id: int, first: date, last: date, label: str
    ) -> None:
        if hasattr(self, "consultation_list"):
            self.consultation_list.show_filtered(first, last, label, initiative_id=initiative_id)
            self.show_page_named("相談記録")

    def open_linked_record(self, kind: str, record_id: int) -> None:
        """A record an initiative counted (施策 › 記録を見る), in its own window."""
        desk = self.street_desk
        if kind == "consultation":
            self.open_consultation(record_id)
        elif kind in ("loan_referral", "loan_execution"):
            self.open_loan_case(record_id)
        elif kind == "dispatch_visit":
            self.open_dispatch(record_id)
        elif kind == "subsidy_grant" and desk is not None:
            desk.open_subsidy(record_id)
        elif kind == "street_support" and desk is not None:
            desk.open_support(record_id)
        elif kind == "street_event" and desk is not None:
            desk.open_event(record_id)

    # --- opening records: one place, so every list and window refreshes the same way -----

    def _new_for_page(self) -> None:
        """Ctrl+N: a new business on the business list, a new case on the loan page, a new
        application (or expert) on the dispatch page, else a new consultation."""
        if self.pages.currentWidget() is getattr(self, "business_list", None):
            self.new_business()
        elif self.pages.currentWidget() is getattr(self, "loan_page", None):
            if self._services.principal.can(Kind.LOAN, Action.CREATE):
                if self.loan_page.safety_net_shown():
                    self.new_safety_net()
                else:
                    self.new_loan_case()
        elif self.pages.currentWidget() is getattr(self, "dispatch_page", None):
            self.dispatch_page.new_for_tab()
        elif self.pages.currentWidget() is getattr(self, "streets_page", None):
            self.streets_page.new_for_tab()
        elif "相談記録" in self.page_names:
            self.new_consultation()

    def new_consultation(self, business_id: int | None = None) -> None:
        self._consultation_dialog(None, business_id)

    def open_consultation(self, consultation_id: int) -> None:
        self._consultation_dialog(consultation_id, None)

    def _consultation_dialog(self, consultation_id: int | None, business_id: int | None) -> None:
        services = self._services
        try:
            dialog = ConsultationDialog(
                services.consultations,
                services.businesses,
                services.reference,
                services.principal,
                services.drafts,
                consultation_id=consultation_id,
                business_id=business_id,
                parent=self,
                history=services.history,
                loans=services.loans if "融資あっせん" in self.page_names else None,
                dispatch=services.dispatch if "専門家派遣" in self.page_names else None,
            )
        except DomainError as error:
            QMessageBox.warning(self, "consult-desk", error_text(error))
            return
        dialog.saved.connect(self._consultation_saved)
        dialog.new_loan_case.connect(self.new_loan_case)
        dialog.open_loan_case.connect(self.open_loan_case)
        dialog.new_dispatch.connect(self.new_dispatch)
        dialog.open_dispatch.connect(self.open_dispatch)
        dialog.exec()

    def _consultation_saved(self, _consultation_id: int) -> None:
        for page in ("consultation_list", "today_page"):
            if hasattr(self, page):
                getattr(self, page).refresh()
        for record in self._records.values():
            record.refresh()

    def new_loan_case(
        self, business_id: int | None = None, consultation_id: int | None = None
    ) -> None:
        self._loan_dialog(None, business_id, consultation_id)

    def open_loan_case(self, case_id: int) -> None:
        self._loan_dialog(case_id, None, None)

    def _loan_dialog(
        self, case_id: int | None, business_id: int | None, consultation_id: int | None
    ) -> None:
        services = self._services
        page = getattr(self, "loan_page", None)
        try:
            dialog = LoanCaseDialog(
                services.loans,
                services.settings.loan_master,
                services.businesses,
                services.reference,
                services.principal,
                case_id=case_id,
                business_id=business_id,
                consultation_id=consultation_id,
                thresholds=page.model.thresholds if page is not None else None,
                consultations=services.consultations,
                # Above whichever window asked (a consultation is modal itself).
                parent=QApplication.activeModalWidget() or self,
            )
        except DomainError as error:
            QMessageBox.warning(self, "consult-desk", error_text(error))
            return
        dialog.changed.connect(self._loan_changed)
        dialog.open_consultation.connect(self.open_consultation)
        dialog.exec()

    def _loan_changed(self, _case_id: int) -> None:
        if hasattr(self, "loan_page"):
            self.loan_page.refresh()
        for record in self._records.values():
            record.refresh()

    def new_dispatch(
        self, business_id: int | None = None, consultation_id: int | None = None
    ) -> None:
        self._dispatch_dialog(None, business_id, consultation_id)

    def open_dispatch(self, dispatch_id: int) -> None:
        self._dispatch_dialog(dispatch_id, None, None)

    def _dispatch_dialog(
        self, dispatch_id: int | None, business_id: int | None, consultation_id: int | None
    ) -> None:
        services = self._services
        try:
            dialog = DispatchDialog(
                services.dispatch,
                services.experts,
                services.businesses,
                services.reference,
                services.principal,
                dispatch_id=dispatch_id,
                business_id=business_id,
                consultation_id=consultation_id,
                consultations=services.consultations,
                # Above whichever window asked (a consultation is modal itself).
                parent=QApplication.activeModalWidget() or self,
            )
        except DomainError as error:
            QMessageBox.warning(self, "consult-desk", error_text(error))
            return
        dialog.changed.connect(self._dispatch_changed)
        dialog.open_consultation.connect(self.open_consultation)
        dialog.exec()

    def _dispatch_changed(self, _dispatch_id: int) -> None:
        """A dispatch was saved: its list, the 実績報告 follow-ups and カルテ refresh."""
        for page in ("dispatch_page", "today_page"):
            if hasattr(self, page):
                getattr(self, page).refresh()
        for record in self._records.values():
            record.refresh()

    def new_safety_net(self, business_id: int | None = None) -> None:
        self._safety_net_dialog(None, business_id)

    def open_safety_net(self, cert_id: int) -> None:
        self._safety_net_dialog(cert_id, None)

    def _safety_net_dialog(self, cert_id: int | None, business_id: int | None) -> None:
        services = self._services
        if services.safety_net is None:
            return
        try:
            dialog = SafetyNetDialog(
                services.safety_net,
                services.businesses,
                services.principal,
                cert_id=cert_id,
                business_id=business_id,
                parent=QApplication.activeModalWidget() or self,
            )
        except DomainError as error:
            QMessageBox.warning(self, "consult-desk", error_text(error))
            return
        dialog.changed.connect(self._safety_net_changed)
        dialog.exec()

    def _safety_net_changed(self, _cert_id: int) -> None:
        page = getattr(self, "loan_page", None)
        if page is not None and page.safety_net_panel is not None:
            page.safety_net_panel.refresh()
        for record in self._records.values():
            record.refresh()

    def open_business_record(self, business_id: int) -> None:
        record = self._records.get(business_id)
        if record is None:
            services = self._services
            try:
                record = BusinessRecordDialog(
                    services.businesses,
                    services.timeline,
                    services.principal,
                    business_id,
                    parent=self,
                )
            except DomainError as error:
                QMessageBox.warning(self, "consult-desk", error_text(error))
                return
            record.new_consultation.connect(self.new_consultation)
            record.new_loan_case.connect(self.new_loan_case)
            record.open_loan_case.connect(self.open_loan_case)
            record.new_dispatch.connect(self.new_dispatch)
            record.open_dispatch.connect(self.open_dispatch)
            record.open_safety_net.connect(self.open_safety_net)
            if self.street_desk is not None:
                record.open_subsidy.connect(self.street_desk.open_subsidy)
            record.open_consultation.connect(self.open_consultation)
            record.edit_requested.connect(self.edit_business)
            record.history_requested.connect(self._business_history)
            record.finished.connect(lambda _result, b=business_id: self._records.pop(b, None))
            self._records[business_id] = record
        record.show()
        record.raise_()
        record.activateWindow()

    def _business_history(self, business_id: int) -> None:
        self.business_list.show_history_for(business_id)
        if business_id in self._records:
            self._records[business_id].refresh()

    def new_business(self) -> None:
        self._business_dialog(None)

    def edit_business(self, business_id: int) -> None:
        self._business_dialog(business_id)

    def _business_dialog(self, business_id: int | None) -> None:
        services = self._services
        try:
            dialog = BusinessDialog(
                services.businesses,
                services.reference,
                services.principal,
                business_id=business_id,
                parent=self,
            )
        except DomainError as error:  # deleted meanwhile, or not allowed
            QMessageBox.warning(self, "consult-desk", error_text(error))
            return
        dialog.saved.connect(self._business_saved)
        dialog.open_requested.connect(self.open_business_record)
        dialog.exec()

    def _business_saved(self, business_id: int) -> None:
        if hasattr(self, "business_list"):
            self.business_list.refresh()
        if business_id in self._records:
            self._records[business_id].refresh()

    def _street_changed(self) -> None:
        """A street record or a subsidy was saved: its lists, follow-ups and カルテ refresh."""
        for page in ("streets_page", "today_page"):
            if hasattr(self, page):
                getattr(self, page).refresh()
        for record in self._records.values():
            record.refresh()

    def page_named(self, name: str) -> QWidget:
        page = self.pages.widget(self.page_names.index(name))
        assert page is not None
        return page

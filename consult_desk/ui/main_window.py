"""The main window: navigation for every area of the desk and one page per area."""

from dataclasses import dataclass

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.services.businesses import BusinessService
from consult_desk.services.history import HistoryService
from consult_desk.services.reference import ReferenceService
from consult_desk.ui.pages.business_list import BusinessListPage
from consult_desk.ui.pages.pending import PendingPage
from consult_desk.ui.pages.plan import PlanPage
from consult_desk.ui.pages.settings import SettingsPage, SettingsServices


@dataclass(frozen=True, slots=True)
class Services:
    """What the window needs, built by app.py (the composition root) for one principal."""

    principal: Principal
    businesses: BusinessService
    reference: ReferenceService
    history: HistoryService
    settings: SettingsServices
    location: str  # the database, as shown in the status bar


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


PENDING = {
    "ダッシュボード": "今日が期限・期限切れのフォローアップ、今月と年度累計の実績"
    "（前年同期比）、滞留している融資案件をここに表示します。"
    "相談記録と帳票の機能とともに追加されます。",
    "相談記録": "経営相談（窓口・訪問・オンライン・電話・メール）の記録と検索、"
    "フォローアップの管理をここで行います。",
    "融資あっせん": "商工融資あっせんの案件（受付 → 区審査 → あっせん書交付 → "
    "金融機関・保証協会 → 実行）と利子補給、セーフティネット保証の認定をここで管理します。",
    "専門家派遣": "専門家の登録と、派遣（申請・決定・訪問記録・実績報告・支払）を"
    "ここで管理します。",
    "商店街支援": "商店街（振興組合・商店会）の記録、イベント支援、補助金の申請から支払まで"
    "をここで管理します。",
    "帳票": "事業者別・施策別・月次・年度の報告書（PDF / Excel / JSON）をここで作成します。",
}
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
        built: dict[str, QWidget] = {}
        if "事業者" in self.page_names:
            self.business_list = BusinessListPage(
                services.businesses, services.reference, services.history, principal
            )
            built["事業者"] = self.business_list
        self.plan_page = PlanPage(services.reference)
        built["施策"] = self.plan_page
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
        layout.addWidget(self.navigation)
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
        self.show_page(self.page_names.index("事業者") if "事業者" in self.page_names else 0)

    def show_page(self, index: int) -> None:
        self.navigation.setCurrentRow(index)

    def page_named(self, name: str) -> QWidget:
        page = self.pages.widget(self.page_names.index(name))
        assert page is not None
        return page

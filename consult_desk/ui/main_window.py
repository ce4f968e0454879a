"""The main window: navigation for every area of the desk and one page per area."""

from dataclasses import dataclass

from PySide6.QtCore import QSize
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from consult_desk.services.businesses import BusinessService
from consult_desk.services.reference import ReferenceService
from consult_desk.ui.pages.business_list import BusinessListPage
from consult_desk.ui.pages.pending import PendingPage
from consult_desk.ui.pages.plan import PlanPage


@dataclass(frozen=True, slots=True)
class Services:
    """What the window needs, built by app.py (the composition root)."""

    businesses: BusinessService
    reference: ReferenceService
    location: str  # the database, as shown in the status bar


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
    "設定": "職員アカウントと権限、マスタデータ（融資制度・金融機関など）、バックアップと復元を"
    "ここで管理します。",
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
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("consult-desk — 千代田区 中小企業支援 相談・案件管理"))
        self.resize(1280, 800)

        self.business_list = BusinessListPage(services.businesses, services.reference)
        self.plan_page = PlanPage(services.reference)
        built: dict[str, QWidget] = {"事業者": self.business_list, "施策": self.plan_page}

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setFixedWidth(170)
        self.navigation.setIconSize(QSize(0, 0))
        self.pages = QStackedWidget()
        for number, name in enumerate(PAGE_ORDER, start=1):
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
        self.statusBar().addPermanentWidget(QLabel(self.tr("データベース: ") + services.location))
        self.show_page(PAGE_ORDER.index("事業者"))

    def show_page(self, index: int) -> None:
        self.navigation.setCurrentRow(index)

    def page_named(self, name: str) -> QWidget:
        page = self.pages.widget(PAGE_ORDER.index(name))
        assert page is not None
        return page

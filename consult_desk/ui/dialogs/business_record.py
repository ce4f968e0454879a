"""事業者カルテ: the profile, the running summary for hand-over, and one timeline of
everything recorded for the business, with quick actions."""

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.businesses import BusinessKind, Residence
from consult_desk.domain.errors import Conflict, DomainError
from consult_desk.domain.fiscal import format_date, format_yen, full_years, japan_today
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.services.businesses import BusinessService
from consult_desk.services.timeline import TimelineEntry, TimelineService
from consult_desk.ui.messages import error_text, text_for

KIND_LABELS = {"consultation": "相談"}


class BusinessRecordDialog(QDialog):
    """Signals ask the main window to open the other dialogs, so this window stays simple."""

    new_consultation = Signal(int)  # business id
    open_consultation = Signal(int)
    new_loan_case = Signal(int)  # business id
    open_loan_case = Signal(int)
    new_dispatch = Signal(int)  # business id: a 専門家派遣 application
    open_dispatch = Signal(int)
    open_safety_net = Signal(int)  # a セーフティネット認定 application
    open_subsidy = Signal(int)  # a subsidy application (補助金)
    edit_requested = Signal(int)
    history_requested = Signal(int)

    def __init__(
        self,
        businesses: BusinessService,
        timeline: TimelineService,
        principal: Principal,
        business_id: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._businesses = businesses
        self._timeline = timeline
        self.business_id = business_id
        self._version = 0
        self._entries: list[TimelineEntry] = []
        self.resize(1000, 720)

        self.profile = QGridLayout()
        profile_box = QGroupBox(self.tr("基本情報"))
        profile_box.setLayout(self.profile)
        self.summary_edit = QPlainTextEdit()
        self.summary_edit.setPlaceholderText(
            self.tr("経緯・課題・支援の状況など、担当が替わっても分かるように書き留めます。")
        )
        self.summary_edit.setTabChangesFocus(True)
        self.summary_edit.setFixedHeight(110)
        self.summary_button = QPushButton(self.tr("経過メモを保存"))
        self.summary_button.clicked.connect(self.save_summary)
        can_edit = principal.can(Kind.BUSINESS, Action.EDIT)
        self.summary_edit.setReadOnly(not can_edit)
        self.summary_button.setVisible(can_edit)
        summary_box = QGroupBox(self.tr("経過メモ（引継ぎ用）"))
        summary_layout = QVBoxLayout(summary_box)
        summary_layout.addWidget(self.summary_edit)
        summary_layout.addWidget(self.summary_button, 0, Qt.AlignmentFlag.AlignRight)

        self.timeline_table = QTableWidget(0, 5)
        self.timeline_table.setHorizontalHeaderLabels(
            [self.tr("日付"), self.tr("種類"), self.tr("内容"), self.tr("担当"), self.tr("対応")]
        )
        self.timeline_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.timeline_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.timeline_table.verticalHeader().hide()
        self.timeline_table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((130, 220, 360, 90)):
            self.timeline_table.setColumnWidth(column, width)
        self.timeline_table.cellDoubleClicked.connect(self._open_entry)

        self.new_button = QPushButton(self.tr("新しい相談（Ctrl+N）"))
        self.new_button.setVisible(principal.can(Kind.CONSULTATION, Action.CREATE))
        self.new_button.clicked.connect(lambda: self.new_consultation.emit(self.business_id))
        self.loan_button = QPushButton(self.tr("融資案件を作成"))
        self.loan_button.setVisible(principal.can(Kind.LOAN, Action.CREATE))
        self.loan_button.clicked.connect(lambda: self.new_loan_case.emit(self.business_id))
        self.dispatch_button = QPushButton(self.tr("専門家派遣を申請"))
        self.dispatch_button.setVisible(principal.can(Kind.DISPATCH, Action.CREATE))
        self.dispatch_button.clicked.connect(lambda: self.new_dispatch.emit(self.business_id))
        self.edit_button = QPushButton(self.tr("事業者情報を編集"))
        self.edit_button.clicked.connect(lambda: self.edit_requested.emit(self.business_id))
        self.history_button = QPushButton(self.tr("変更履歴"))
        self.history_button.clicked.connect(lambda: self.history_requested.emit(self.business_id))
        QShortcut(QKeySequence.StandardKey.New, self, self.new_button.click)

        actions = QHBoxLayout()
        for button in (
            self.new_button,
            self.loan_button,
            self.dispatch_button,
            self.edit_button,
            self.history_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        timeline_box = QGroupBox(self.tr("これまでの記録"))
        timeline_layout = QVBoxLayout(timeline_box)
        timeline_layout.addWidget(self.timeline_table)
        layout = QVBoxLayout(self)
        layout.addLayout(actions)
        layout.addWidget(profile_box)
        layout.addWidget(summary_box)
        layout.addWidget(timeline_box, 1)
        self.refresh()

    def refresh(self) -> None:
        business = self._businesses.get(self.business_id)
        value = business.input
        self._version = business.version
        self.setWindowTitle(self.tr("事業者カルテ: {0}").format(value.name))
        today = japan_today()
        years = (
            self.tr("{0}年").format(full_years(value.in_ward_since, today))
            if value.in_ward_since
            else "—"
        )
        residence = (
            Residence(value.representative_residence).label
            if (value.representative_residence)
            else "—"
        )
        rows = [
            (
                self.tr("事業者名"),
                value.name + (self.tr("（アーカイブ）") if business.archived else ""),
                self.tr("フリガナ"),
                value.name_kana,
            ),
            (
                self.tr("区分"),
                BusinessKind(value.kind).label,
                self.tr("法人番号"),
                value.corporate_number or "—",
            ),
            (
                self.tr("所在地"),
                f"〒{value.postal_code} " if value.postal_code else "",
                self.tr("地域・町名"),
                f"{business.area} {business.town_name}",
            ),
            (self.tr("住所"), value.address, self.tr("電話"), value.phone),
            (self.tr("代表者"), value.representative_name, self.tr("代表者区分"), residence),
            (
                self.tr("資本金"),
                format_yen(value.capital) or "—",
                self.tr("従業員数"),
                "—" if value.employees is None else f"{value.employees}人",
            ),
            (
                self.tr("中小企業区分"),
                business.sme_status.value,
                self.tr("業種区分"),
                business.sme_category or "—",
            ),
            (
                self.tr("設立"),
                format_date(value.founded_on) or "—",
                self.tr("区内での営業年数"),
                years,
            ),
            (
                self.tr("町会"),
                value.chokai_name or "—",
                self.tr("商店街"),
                business.street_association_name or "—",
            ),
        ]
        while self.profile.count():
            item = self.profile.takeAt(0)
            widget = item.widget() if item else None
            if widget is not None:
                widget.deleteLater()
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                label = QLabel(text)
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                if column % 2 == 0:
                    label.setStyleSheet("color: #555555;")
                self.profile.addWidget(label, row, column)
        self.profile.setColumnStretch(1, 1)
        self.profile.setColumnStretch(3, 1)
        self.summary_edit.setPlainText(value.summary)
        self._entries = self._timeline.for_business(self.business_id)
        self.timeline_table.setRowCount(len(self._entries))
        for row, entry in enumerate(self._entries):
            if entry.due_on is None:
                state = ""
            elif entry.open_follow_up:
                state = self.tr("期限 {0}").format(format_date(entry.due_on))
            else:
                state = self.tr("対応済")
            texts = [
                format_date(entry.on),
                entry.title,
                entry.detail.replace("\n", " "),
                entry.staff,
                state,
            ]
            for column, text in enumerate(texts):
                self.timeline_table.setItem(row, column, QTableWidgetItem(text))

    def save_summary(self) -> None:
        try:
            self._version = self._businesses.update_summary(
                self.business_id, self._version, self.summary_edit.toPlainText()
            )
        except Conflict:
            # Keep what was typed; the user decides after reading the other version.
            QMessageBox.warning(self, self.windowTitle(), text_for("conflict"))
            return
        except DomainError as error:
            QMessageBox.warning(self, self.windowTitle(), error_text(error))
            return
        QMessageBox.information(self, self.windowTitle(), self.tr("経過メモを保存しました。"))

    def _open_entry(self, row: int, _column: int) -> None:
        entry = self._entries[row]
        if entry.record_kind == "consultation":
            self.open_consultation.emit(entry.record_id)
        elif entry.record_kind == "loan":
            self.open_loan_case.emit(entry.record_id)
        elif entry.record_kind == "dispatch":
            self.open_dispatch.emit(entry.record_id)
        elif entry.record_kind == "safety_net":
            self.open_safety_net.emit(entry.record_id)
        elif entry.record_kind == "subsidy":
            self.open_subsidy.emit(entry.record_id)

"""商店街カルテ: an association's profile, its member counts per 年度 and one timeline of its
support records, events and subsidy applications, with the actions that add to it."""

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.fiscal import format_date, wareki_fiscal_year
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.streets import Association, Membership, StreetTimelineEntry
from consult_desk.services.streets import EVENT_KIND, SUPPORT_KIND, StreetService
from consult_desk.ui.widgets.inline_fields import BANNER_STYLE, HINT_STYLE, NONE

KIND_LABELS = {SUPPORT_KIND: "支援", EVENT_KIND: "イベント", "subsidy_application": "補助金"}
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _without_kind(title: str, kind: str) -> str:
    """「イベント: すずらんまつり」 where the 種類 column already says イベント: the name alone."""
    for prefix in (f"{kind}: ", f"{kind} "):
        if title.startswith(prefix):
            return title.removeprefix(prefix)
    return title


def _table(headers: list[str], widths: tuple[int, ...]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(24)
    table.horizontalHeader().setStretchLastSection(True)
    for column, width in enumerate(widths):
        table.setColumnWidth(column, width)
    return table


class AssociationRecordDialog(QDialog):
    """Signals ask the main window to open the other dialogs, so this window stays simple.

    The buttons a role may not use are hidden (the services would refuse anyway); an archived
    street keeps its record readable but takes no new records.
    """

    edit_requested = Signal(int)  # association id
    new_support = Signal(int)  # association id
    new_event = Signal(int)  # association id
    new_subsidy = Signal(int)  # association id
    open_support = Signal(int)
    open_event = Signal(int)
    open_subsidy = Signal(int)

    def __init__(
        self,
        streets: StreetService,
        principal: Principal,
        association_id: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._streets = streets
        self._principal = principal
        self.association_id = association_id
        self.association: Association | None = None
        self.entries: list[StreetTimelineEntry] = []
        self.resize(1040, 760)

        self.title_label = QLabel()
        self.title_label.setObjectName("pageTitle")
        self.archived_banner = QLabel(
            self.tr("この商店街はアーカイブ済みです。新しい記録は登録できません。")
        )
        self.archived_banner.setStyleSheet(BANNER_STYLE)
        self.support_button = QPushButton(self.tr("支援を記録…"))
        self.support_button.clicked.connect(lambda: self.new_support.emit(self.association_id))
        self.event_button = QPushButton(self.tr("イベントを登録…"))
        self.event_button.clicked.connect(lambda: self.new_event.emit(self.association_id))
        self.subsidy_button = QPushButton(self.tr("補助金を申請…"))
        self.subsidy_button.clicked.connect(lambda: self.new_subsidy.emit(self.association_id))
        self.edit_button = QPushButton(self.tr("商店街の情報を編集…"))
        self.edit_button.clicked.connect(lambda: self.edit_requested.emit(self.association_id))
        self.support_button.setVisible(principal.can(Kind.STREET, Action.CREATE))
        self.event_button.setVisible(principal.can(Kind.STREET, Action.CREATE))
        self.subsidy_button.setVisible(principal.can(Kind.SUBSIDY, Action.CREATE))
        self.edit_button.setVisible(principal.can(Kind.STREET, Action.EDIT))

        self.profile = QGridLayout()
        self.members_table = _table(
            [self.tr("年度"), self.tr("正会員"), self.tr("賛助会員"), self.tr("合計")],
            (96, 64, 72),
        )
        self.timeline_table = _table(
            [self.tr("日付"), self.tr("種類"), self.tr("内容"), self.tr("詳細"), self.tr("担当")],
            (124, 72, 320, 340),
        )
        self.timeline_table.cellDoubleClicked.connect(self._open_entry)
        self.timeline_note = QLabel(self.tr("行をダブルクリックすると記録を開きます。"))
        self.timeline_note.setStyleSheet(HINT_STYLE)

        actions = QHBoxLayout()
        actions.addWidget(self.title_label)
        actions.addStretch(1)
        for button in (self.support_button, self.event_button, self.subsidy_button):
            actions.addWidget(button)
        actions.addWidget(self.edit_button)
        profile_box = QGroupBox(self.tr("基本情報"))
        profile_box.setLayout(self.profile)
        members_box = QGroupBox(self.tr("会員数"))
        QVBoxLayout(members_box).addWidget(self.members_table)
        members_box.setFixedWidth(360)
        self.members_table.horizontalHeader().setMinimumSectionSize(48)
        top = QHBoxLayout()
        top.addWidget(profile_box, 1)
        top.addWidget(members_box)
        top_widget = QWidget()
        top_widget.setLayout(top)
        top.setContentsMargins(0, 0, 0, 0)
        top_widget.setMaximumHeight(270)
        timeline_box = QGroupBox(self.tr("これまでの記録（支援・イベント・補助金）"))
        timeline_layout = QVBoxLayout(timeline_box)
        timeline_layout.addWidget(self.timeline_table)
        timeline_layout.addWidget(self.timeline_note)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(actions)
        layout.addWidget(self.archived_banner)
        layout.addWidget(top_widget)
        layout.addWidget(timeline_box, 1)
        layout.addWidget(close)
        self.refresh()

    def refresh(self) -> None:
        association = self._streets.get(self.association_id)
        self.association = association
        value = association.input
        self.setWindowTitle(self.tr("商店街カルテ: {0}").format(value.name))
        self.title_label.setText(value.name)
        self.archived_banner.setVisible(association.archived)
        for button in (self.support_button, self.event_button, self.subsidy_button):
            button.setEnabled(not association.archived)
        self._fill_profile(association)
        self._fill_members(self._streets.memberships(self.association_id))
        self.entries = self._streets.timeline(self.association_id)
        self._fill_timeline()

    def _fill_profile(self, association: Association) -> None:
        value = association.input
        towns = "、".join(association.town_names) or NONE
        rows = [
            (self.tr("フリガナ"), value.name_kana or NONE, self.tr("法人格"), value.legal_form),
            (
                self.tr("法人番号"),
                value.corporate_number or NONE,
                self.tr("法人設立日"),
                format_date(value.incorporated_on) or NONE,
            ),
            (self.tr("地域"), association.area, self.tr("区域（町名）"), towns),
            (
                self.tr("代表者"),
                value.representative_name or NONE,
                self.tr("連絡担当者"),
                value.contact_name or NONE,
            ),
            (self.tr("電話番号"), value.phone or NONE, self.tr("メール"), value.email or NONE),
            (
                self.tr("事務所"),
                value.address or NONE,
                self.tr("商店街連合会"),
                self.tr("加盟") if value.federation_member else self.tr("未加盟"),
            ),
            (self.tr("備考"), value.notes.replace("\n", " ") or NONE, "", ""),
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
                    label.setStyleSheet(HINT_STYLE)
                    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
                else:
                    label.setWordWrap(True)
                self.profile.addWidget(label, row, column)
        self.profile.setColumnStretch(1, 1)
        self.profile.setColumnStretch(3, 1)

    def _fill_members(self, memberships: list[Membership]) -> None:
        table = self.members_table
        table.setRowCount(len(memberships))
        for row, membership in enumerate(memberships):
            cells = [
                wareki_fiscal_year(membership.fiscal_year),
                f"{membership.full_members:,}",
                f"{membership.supporting_members:,}",
                f"{membership.total:,}",
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(_RIGHT)
                table.setItem(row, column, item)

    def _fill_timeline(self) -> None:
        table = self.timeline_table
        table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            kind = KIND_LABELS.get(entry.record_kind, entry.record_kind)
            cells = [
                format_date(entry.on),
                kind,
                _without_kind(entry.title, kind),
                entry.detail.replace("\n", " "),
                entry.staff,
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column in (2, 3) and text:
                    item.setToolTip(text)
                table.setItem(row, column, item)

    def timeline_rows(self) -> list[list[str]]:
        """The timeline as shown, newest first (for tests and reading)."""
        table = self.timeline_table
        return [
            [
                (item.text() if (item := table.item(r, c)) else "")
                for c in range(table.columnCount())
            ]
            for r in range(table.rowCount())
        ]

    def _open_entry(self, row: int, _column: int = 0) -> None:
        entry = self.entries[row]
        if entry.record_kind == SUPPORT_KIND:
            self.open_support.emit(entry.record_id)
        elif entry.record_kind == EVENT_KIND:
            self.open_event.emit(entry.record_id)
        elif entry.record_kind == "subsidy_application":
            self.open_subsidy.emit(entry.record_id)

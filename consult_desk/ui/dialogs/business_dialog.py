"""事業者の登録・編集: inline validation, duplicate warning, optimistic locking, archive."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import Enum
from itertools import pairwise

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.businesses import (
    Area,
    Business,
    BusinessInput,
    BusinessKind,
    Duplicate,
    Residence,
    postal_code_error,
)
from consult_desk.domain.errors import Conflict, DomainError, ValidationError
from consult_desk.domain.fiscal import format_date, format_yen, parse_date
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.reference import TownChoice
from consult_desk.domain.sme import SmeCategory, SmeStatus, default_sme_category, sme_status
from consult_desk.domain.text import digits_only, normalize, parse_int
from consult_desk.services.businesses import BusinessService
from consult_desk.services.reference import ReferenceService
from consult_desk.ui.messages import error_text, label_for, text_for

ERROR_STYLE = "color: #b00020; font-size: 9pt;"
HINT_STYLE = "color: #555555;"
BANNER_STYLE = "background: #fff4d6; border: 1px solid #e0c06a; padding: 6px;"
CONFLICT_STYLE = "background: #fde7e9; border: 1px solid #d9828b; padding: 6px;"

# Fields in visual (and tab) order; the first bad one gets the focus.
FIELD_ORDER = (
    "kind",
    "name",
    "name_kana",
    "corporate_number",
    "postal_code",
    "town_id",
    "area",
    "address",
    "phone",
    "email",
    "representative_name",
    "representative_residence",
    "representative_address",
    "representative_phone",
    "jsic_major",
    "sme_category",
    "capital",
    "employees",
    "founded_on",
    "in_ward_since",
    "chokai_name",
    "street_association_id",
    "summary",
)
# A change to these can make the record look like another one: check duplicates again.
DUPLICATE_KEYS = ("name", "corporate_number", "town_id")


def _tr(text: str) -> str:
    return QCoreApplication.translate("BusinessDialog", text)


def _postal_display(code: str) -> str:
    digits = digits_only(code)
    if len(digits) == 7 and digits.isascii() and digits.isdigit():
        return f"{digits[:3]}-{digits[3:]}"
    return code


def _set_combo_data(combo: QComboBox, value: object) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(max(index, 0))


@dataclass(frozen=True, slots=True)
class _Collected:
    """The form read into a BusinessInput, with what could not be read."""

    value: BusinessInput
    parse_errors: dict[str, str]  # field -> code for text that is not a number/date/town
    raw: tuple[str, ...]  # the unreadable texts, so editing them counts as a change


class DuplicateChoice(Enum):
    OPEN = "open"
    CONTINUE = "continue"
    BACK = "back"


class DuplicateDialog(QDialog):
    """Businesses the one being saved may duplicate: open one, save anyway, or go back."""

    def __init__(
        self, duplicates: list[Duplicate], *, new: bool = True, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("重複の可能性がある事業者"))
        self.choice = DuplicateChoice.BACK
        self.selected_id: int | None = duplicates[0].id if duplicates else None
        self._duplicates = duplicates
        intro = QLabel(
            self.tr("次の事業者がすでに登録されています。同じ事業者ではないか確認してください。")
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(len(duplicates), 3)
        self.table.setHorizontalHeaderLabels(
            [label_for("name"), label_for("town_id"), self.tr("理由")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        for row, duplicate in enumerate(duplicates):
            reason = (
                self.tr("法人番号が同じ")
                if duplicate.reason == "corporate_number"
                else self.tr("同じ町名に同じ名前")
            )
            town = duplicate.town_name or self.tr("（町名なし）")
            for column, text in enumerate((duplicate.name, town, reason)):
                self.table.setItem(row, column, QTableWidgetItem(text))
        if duplicates:
            self.table.selectRow(0)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self._choose(DuplicateChoice.OPEN))

        self.open_button = QPushButton(self.tr("既存の事業者を開く"))
        self.continue_button = QPushButton(
            self.tr("このまま登録") if new else self.tr("このまま保存")
        )
        self.back_button = QPushButton(self.tr("戻る"))
        self.open_button.clicked.connect(lambda: self._choose(DuplicateChoice.OPEN))
        self.continue_button.clicked.connect(lambda: self._choose(DuplicateChoice.CONTINUE))
        self.back_button.clicked.connect(lambda: self._choose(DuplicateChoice.BACK))
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet(ERROR_STYLE)
        # The database refuses a second record with the same 法人番号, so offering to go on
        # would only lead to an error.
        if any(d.reason == "corporate_number" for d in duplicates):
            self.continue_button.setEnabled(False)
            self.note.setText(self.tr("同じ法人番号の事業者は重ねて登録できません。"))
        else:
            self.note.hide()

        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.continue_button)
        buttons.addWidget(self.back_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        self.open_button.setDefault(True)
        self.resize(560, 280)

    def _selection_changed(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.selected_id = self._duplicates[rows[0].row()].id

    def _choose(self, choice: DuplicateChoice) -> None:
        self.choice = choice
        if choice is DuplicateChoice.BACK:
            self.reject()
        else:
            self.accept()


class BusinessDialog(QDialog):
    """Registers a new business or edits one.

    - ``saved(id)`` after a successful save (also after archiving or restoring);
    - ``open_requested(id)`` when the user opens an existing duplicate instead; the dialog
      then closes without saving;
    - the dialog keeps the version it loaded: someone else's save in between makes the save
      fail with a conflict, and the user's input stays in the fields;
    - raises ``DomainError`` from the constructor when the business cannot be read.
    """

    saved = Signal(int)
    open_requested = Signal(int)

    def __init__(
        self,
        businesses: BusinessService,
        reference: ReferenceService,
        principal: Principal,
        business_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._businesses = businesses
        self._principal = principal
        self._towns: list[TownChoice] = reference.towns()
        self._towns_by_name = {town.name: town for town in self._towns}
        self._business: Business | None = None
        self._version: int | None = None
        self._loading = False
        self._show_all = False
        self._touched: set[str] = set()
        self._server_errors: dict[str, str] = {}
        self._client_errors: dict[str, str] = {}
        self._initial: object = None
        business = businesses.get(business_id) if business_id is not None else None
        action = Action.EDIT if business is not None else Action.CREATE
        self.read_only = not principal.can(Kind.BUSINESS, action)

        self._build_widgets(reference)
        self._build_layout()
        self._connect()
        self._load(business)
        if self.read_only:
            self._make_read_only()
        self.name_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- construction ---------------------------------------------------------------------

    def _build_widgets(self, reference: ReferenceService) -> None:
        self.kind_combo = QComboBox()
        for kind in BusinessKind:
            self.kind_combo.addItem(self.tr(kind.label), kind.value)
        self.name_edit = QLineEdit()
        self.kana_edit = QLineEdit()
        self.kana_edit.setPlaceholderText(self.tr("カタカナ（例: カンダセイカ）"))
        self.corporate_number_edit = QLineEdit()
        self.corporate_number_edit.setPlaceholderText(self.tr("13桁"))
        self.corporate_number_edit.setMaximumWidth(220)

        self.postal_code_edit = QLineEdit()
        self.postal_code_edit.setPlaceholderText(self.tr("101-0054"))
        self.postal_code_edit.setMaximumWidth(140)
        self.town_combo = QComboBox()
        self.town_combo.setEditable(True)
        self.town_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.town_combo.addItem("", None)
        for town in self._towns:
            self.town_combo.addItem(town.name, town.id)
        town_edit = self.town_combo.lineEdit()
        assert town_edit is not None  # an editable combo always has one
        self.town_edit: QLineEdit = town_edit
        self.town_edit.setPlaceholderText(self.tr("空欄: 区外・未設定"))
        completer = QCompleter([town.name for town in self._towns], self.town_combo)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.town_combo.setCompleter(completer)
        self.area_combo = QComboBox()
        for area in (Area.UNSET, Area.OUTSIDE, Area.KOJIMACHI, Area.KANDA):
            self.area_combo.addItem(self.tr(area.value), area.value)
        self.area_label = QLabel()
        self.address_edit = QLineEdit()
        self.address_edit.setPlaceholderText(self.tr("番地・建物名"))
        self.phone_edit = QLineEdit()
        self.phone_edit.setMaximumWidth(220)
        self.email_edit = QLineEdit()

        self.representative_name_edit = QLineEdit()
        self.residence_combo = QComboBox()
        self.residence_combo.addItem(self.tr("未設定"), None)
        for residence in Residence:
            self.residence_combo.addItem(self.tr(residence.label), residence.value)
        self.representative_address_edit = QLineEdit()
        self.representative_phone_edit = QLineEdit()
        self.representative_phone_edit.setMaximumWidth(220)
        if not self._principal.sees_personal_data:
            hidden = self.tr("権限がないため表示・入力できません")
            self.representative_address_edit.setPlaceholderText(hidden)
            self.representative_phone_edit.setPlaceholderText(self.tr("閲覧権限なし"))
            for edit in (self.representative_address_edit, self.representative_phone_edit):
                edit.setReadOnly(True)
                edit.setToolTip(hidden)

        self.jsic_combo = QComboBox()
        self.jsic_combo.addItem("", None)
        for major in reference.jsic_majors():
            self.jsic_combo.addItem(f"{major.id} {major.name}", major.id)
        # Long JSIC names must not stretch the dialog; the popup shows them whole.
        self.jsic_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.jsic_combo.setMinimumContentsLength(14)
        self.jsic_combo.view().setMinimumWidth(320)
        self.sme_category_combo = QComboBox()
        self.sme_category_combo.addItem(self.tr("業種から自動"), None)
        for category in SmeCategory:
            self.sme_category_combo.addItem(self.tr(category.value), category.value)
        self.capital_edit = QLineEdit()
        self.capital_edit.setPlaceholderText(self.tr("例: 1,000万"))
        self.capital_edit.setMaximumWidth(220)
        self.employees_edit = QLineEdit()
        self.employees_edit.setPlaceholderText(self.tr("常時使用する従業員"))
        self.employees_edit.setMaximumWidth(220)
        date_example = self.tr("例: 2020-04-01 / R2.4.1")
        self.founded_on_edit = QLineEdit()
        self.in_ward_since_edit = QLineEdit()
        self.founded_on_hint = QLabel()
        self.in_ward_since_hint = QLabel()
        for edit, hint in (
            (self.founded_on_edit, self.founded_on_hint),
            (self.in_ward_since_edit, self.in_ward_since_hint),
        ):
            edit.setPlaceholderText(date_example)
            edit.setMaximumWidth(220)
            hint.setStyleSheet(HINT_STYLE)
        self.sme_status_label = QLabel()
        self.sme_status_label.setObjectName("smeStatus")
        self.sme_status_label.setStyleSheet("font-weight: bold; color: #1f3a5f;")
        self.sme_status_label.setWordWrap(True)
        self.sme_status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.chokai_edit = QLineEdit()
        self.street_combo = QComboBox()
        self.street_combo.addItem(self.tr("（なし）"), None)
        for street in reference.street_associations():
            self.street_combo.addItem(street.name, street.id)
        self.street_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.street_combo.setMinimumContentsLength(14)
        self.summary_edit = QPlainTextEdit()
        self.summary_edit.setTabChangesFocus(True)  # Tab moves on, as in every other field
        self.summary_edit.setPlaceholderText(self.tr("担当交代時の引き継ぎなど"))
        self.summary_edit.setMinimumHeight(90)

        self.archived_banner = QLabel(text_for("business.archived"))
        self.archived_banner.setStyleSheet(BANNER_STYLE)
        self.conflict_bar = QFrame()
        self.conflict_bar.setStyleSheet(CONFLICT_STYLE)
        self.conflict_label = QLabel(
            self.tr(
                "他の人がこの事業者を更新しました。最新の内容を読み込むまで保存できません"
                "（読み込むと、この画面で入力した内容は破棄されます）。"
            )
        )
        self.conflict_label.setWordWrap(True)
        self.conflict_label.setStyleSheet("border: none; padding: 0;")
        self.reload_button = QPushButton(self.tr("最新の内容を読み込む"))
        bar = QHBoxLayout(self.conflict_bar)
        bar.setContentsMargins(6, 4, 6, 4)
        bar.addWidget(self.conflict_label, 1)
        bar.addWidget(self.reload_button)
        self.conflict_bar.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        # Apart from 保存 / キャンセル: archiving is a separate act that takes effect at once.
        self.archive_button = QPushButton(self.tr("アーカイブ"))
        for button in (*self.buttons.buttons(), self.archive_button, self.reload_button):
            # Enter in a field must not press a button (keyPressEvent moves on instead).
            if isinstance(button, QPushButton):
                button.setAutoDefault(False)
                button.setDefault(False)

        self.error_labels: dict[str, QLabel] = {}
        for name in FIELD_ORDER:
            label = QLabel()
            label.setStyleSheet(ERROR_STYLE)
            label.setWordWrap(True)
            label.hide()
            self.error_labels[name] = label
        self._field_widgets: dict[str, QWidget] = {
            "kind": self.kind_combo,
            "name": self.name_edit,
            "name_kana": self.kana_edit,
            "corporate_number": self.corporate_number_edit,
            "postal_code": self.postal_code_edit,
            "town_id": self.town_combo,
            "area": self.area_combo,
            "address": self.address_edit,
            "phone": self.phone_edit,
            "email": self.email_edit,
            "representative_name": self.representative_name_edit,
            "representative_residence": self.residence_combo,
            "representative_address": self.representative_address_edit,
            "representative_phone": self.representative_phone_edit,
            "jsic_major": self.jsic_combo,
            "sme_category": self.sme_category_combo,
            "capital": self.capital_edit,
            "employees": self.employees_edit,
            "founded_on": self.founded_on_edit,
            "in_ward_since": self.in_ward_since_edit,
            "chokai_name": self.chokai_edit,
            "street_association_id": self.street_combo,
            "summary": self.summary_edit,
        }

    def _row(self, form: QFormLayout, name: str, *widgets: QWidget, label: str = "") -> None:
        """One form row: the field (and any hint beside it) with its error label beneath."""
        cell = QWidget()
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        line = QHBoxLayout()
        line.setSpacing(8)
        for widget in widgets:
            line.addWidget(widget)
        if all(w.maximumWidth() < 1000 for w in widgets if not isinstance(w, QLabel)):
            line.addStretch(1)
        column.addLayout(line)
        column.addWidget(self.error_labels[name])
        cell.setFocusProxy(widgets[0])
        form.addRow(label or label_for(name), cell)

    @staticmethod
    def _form(group: QGroupBox) -> QFormLayout:
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setVerticalSpacing(6)
        return form

    def _build_layout(self) -> None:
        basic = QGroupBox(self.tr("基本情報"))
        form = self._form(basic)
        self._row(form, "kind", self.kind_combo)
        self._row(form, "name", self.name_edit, label=self.tr("事業者名（必須）"))
        self._row(form, "name_kana", self.kana_edit)
        self._row(form, "corporate_number", self.corporate_number_edit)

        place = QGroupBox(self.tr("所在地・連絡先"))
        form = self._form(place)
        self._row(form, "postal_code", self.postal_code_edit)
        self._row(form, "town_id", self.town_combo)
        self._row(form, "area", self.area_combo, self.area_label)
        self._row(form, "address", self.address_edit)
        self._row(form, "phone", self.phone_edit)
        self._row(form, "email", self.email_edit)

        representative = QGroupBox(self.tr("代表者"))
        form = self._form(representative)
        self._row(form, "representative_name", self.representative_name_edit)
        self._row(form, "representative_residence", self.residence_combo)
        self._row(form, "representative_address", self.representative_address_edit)
        self._row(form, "representative_phone", self.representative_phone_edit)

        size = QGroupBox(self.tr("規模・業種"))
        form = self._form(size)
        self._row(form, "jsic_major", self.jsic_combo)
        self._row(form, "sme_category", self.sme_category_combo)
        self._row(form, "capital", self.capital_edit)
        self._row(form, "employees", self.employees_edit)
        self._row(form, "founded_on", self.founded_on_edit, self.founded_on_hint)
        self._row(form, "in_ward_since", self.in_ward_since_edit, self.in_ward_since_hint)
        form.addRow(self.tr("中小企業区分"), self.sme_status_label)

        local = QGroupBox(self.tr("町会・経過メモ"))
        form = self._form(local)
        self._row(form, "chokai_name", self.chokai_edit)
        self._row(form, "street_association_id", self.street_combo)
        self._row(form, "summary", self.summary_edit)

        # One label width per column, so the fields of stacked groups line up.
        for groups in ((basic, place, representative), (size, local)):
            labels: list[QWidget] = []
            for group in groups:
                group_layout = group.layout()
                assert isinstance(group_layout, QFormLayout)
                for row in range(group_layout.rowCount()):
                    item = group_layout.itemAt(row, QFormLayout.ItemRole.LabelRole)
                    if item is not None and (label := item.widget()) is not None:
                        labels.append(label)
            width = max(label.sizeHint().width() for label in labels)
            for label in labels:
                label.setMinimumWidth(width)
                if isinstance(label, QLabel):
                    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        left = QVBoxLayout()
        for group in (basic, place, representative):
            left.addWidget(group)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(size)
        right.addWidget(local, 1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.archived_banner)
        layout.addWidget(self.conflict_bar)
        layout.addLayout(columns, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.archive_button)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)
        self.resize(1000, 680)

        # Top to bottom in the left column, then the right one, then the buttons.
        chain: list[QWidget] = [self._field_widgets[name] for name in FIELD_ORDER if name != "area"]
        chain.insert(chain.index(self.town_combo) + 1, self.area_combo)
        chain += [self.reload_button, self.archive_button, *self.buttons.buttons()]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _connect(self) -> None:
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        self.archive_button.clicked.connect(self._toggle_archived)
        self.reload_button.clicked.connect(self._reload)
        self.save_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self)
        self.save_shortcut.activated.connect(self._save)

        line_edits = {
            "name": self.name_edit,
            "name_kana": self.kana_edit,
            "corporate_number": self.corporate_number_edit,
            "postal_code": self.postal_code_edit,
            "address": self.address_edit,
            "phone": self.phone_edit,
            "email": self.email_edit,
            "representative_name": self.representative_name_edit,
            "representative_address": self.representative_address_edit,
            "representative_phone": self.representative_phone_edit,
            "capital": self.capital_edit,
            "employees": self.employees_edit,
            "founded_on": self.founded_on_edit,
            "in_ward_since": self.in_ward_since_edit,
            "chokai_name": self.chokai_edit,
            "town_id": self.town_edit,
        }
        for name, edit in line_edits.items():
            edit.textChanged.connect(lambda _text, n=name: self._changed(n))
            edit.editingFinished.connect(lambda n=name: self._finished(n))
        self.summary_edit.textChanged.connect(lambda: self._changed("summary"))
        combos = {
            "kind": self.kind_combo,
            "area": self.area_combo,
            "representative_residence": self.residence_combo,
            "jsic_major": self.jsic_combo,
            "sme_category": self.sme_category_combo,
            "street_association_id": self.street_combo,
        }
        for name, combo in combos.items():
            combo.currentIndexChanged.connect(lambda _i, n=name: self._finished(n))
        self.town_combo.currentTextChanged.connect(self._town_changed)
        # 個人事業主 have no 法人番号: a number already there becomes wrong with the kind.
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)

    # --- loading --------------------------------------------------------------------------

    def _load(self, business: Business | None) -> None:
        self._business = business
        self._version = business.version if business else None
        value = business.input if business else BusinessInput(name="")
        self._loading = True
        try:
            _set_combo_data(self.kind_combo, value.kind)
            self.name_edit.setText(value.name)
            self.kana_edit.setText(value.name_kana)
            self.corporate_number_edit.setText(value.corporate_number)
            self.postal_code_edit.setText(_postal_display(value.postal_code))
            town = next((t for t in self._towns if t.id == value.town_id), None)
            self.town_combo.setCurrentIndex(self.town_combo.findData(town.id) if town else 0)
            self.town_combo.setEditText(town.name if town else "")
            _set_combo_data(self.area_combo, value.area or Area.UNSET.value)
            self.address_edit.setText(value.address)
            self.phone_edit.setText(value.phone)
            self.email_edit.setText(value.email)
            self.representative_name_edit.setText(value.representative_name)
            _set_combo_data(self.residence_combo, value.representative_residence)
            self.representative_address_edit.setText(value.representative_address)
            self.representative_phone_edit.setText(value.representative_phone)
            _set_combo_data(self.jsic_combo, value.jsic_major)
            # The service stores the derived category too; one equal to the 大分類's default
            # is shown as 「業種から自動」 so a later change of 業種 still carries it along.
            category = value.sme_category
            if category is not None and category == default_sme_category(value.jsic_major):
                category = None
            _set_combo_data(self.sme_category_combo, category)
            self.capital_edit.setText(format_yen(value.capital))
            self.employees_edit.setText("" if value.employees is None else f"{value.employees:,}")
            self.founded_on_edit.setText(format_date(value.founded_on))
            self.in_ward_since_edit.setText(format_date(value.in_ward_since))
            self.chokai_edit.setText(value.chokai_name)
            street_id = value.street_association_id
            index = self.street_combo.findData(street_id) if street_id is not None else 0
            if index < 0 and business is not None:  # an archived street is no longer offered
                self.street_combo.addItem(business.street_association_name, street_id)
                index = self.street_combo.count() - 1
            self.street_combo.setCurrentIndex(max(index, 0))
            self.summary_edit.setPlainText(value.summary)
        finally:
            self._loading = False
        self._touched.clear()
        self._server_errors.clear()
        self._show_all = False
        self.conflict_bar.hide()
        self._update_title()
        self._update_archive_state()
        self._update_area()
        self._revalidate()
        self._initial = self._state()

    def _reload(self) -> None:
        if self._business is None:
            return
        try:
            business = self._businesses.get(self._business.id)
        except DomainError as error:
            self._show_error(error)
            return
        self._load(business)
        if self.read_only:
            self._make_read_only()

    def _update_title(self) -> None:
        if self._business is None:
            self.setWindowTitle(self.tr("事業者の登録"))
        elif self.read_only:
            self.setWindowTitle(self.tr("事業者の詳細（閲覧のみ）: %s") % self._business.input.name)
        else:
            self.setWindowTitle(self.tr("事業者の編集: %s") % self._business.input.name)

    def _update_archive_state(self) -> None:
        business = self._business
        self.archive_button.setVisible(business is not None)
        self.archived_banner.setVisible(business is not None and business.archived)
        if business is not None:
            self.archive_button.setText(
                self.tr("アーカイブ解除") if business.archived else self.tr("アーカイブ")
            )
        self.archive_button.setEnabled(
            business is not None and self._principal.can(Kind.BUSINESS, Action.EDIT)
        )

    def _make_read_only(self) -> None:
        masked = (self.representative_address_edit, self.representative_phone_edit)
        for widget in self._field_widgets.values():
            if isinstance(widget, (QLineEdit, QPlainTextEdit)):
                widget.setReadOnly(True)
                if widget not in masked or self._principal.sees_personal_data:
                    widget.setPlaceholderText("")  # examples of what to type would mislead
            elif isinstance(widget, QComboBox):
                widget.setEnabled(False)
        self.save_button.hide()
        self.save_button.setEnabled(False)
        self.cancel_button.setText(self.tr("閉じる"))

    # --- reading the form -----------------------------------------------------------------

    def _town(self) -> tuple[TownChoice | None, bool]:
        """The chosen town, and whether the typed text names one (or is empty)."""
        text = normalize(self.town_combo.currentText())
        if not text:
            return None, True
        town = self._towns_by_name.get(text)
        return town, town is not None

    def _collect(self) -> _Collected:
        parse_errors: dict[str, str] = {}
        raw: list[str] = []

        def number(name: str, edit: QLineEdit) -> int | None:
            text = edit.text().strip()
            if not text:
                return None
            try:
                return parse_int(text)
            except ValueError:
                parse_errors[name] = "number.format"
                raw.append(text)
                return None

        def day(name: str, edit: QLineEdit) -> date | None:
            text = edit.text().strip()
            if not text:
                return None
            try:
                return parse_date(text)
            except ValueError:
                parse_errors[name] = "date.format"
                raw.append(text)
                return None

        town, town_ok = self._town()
        if not town_ok:
            parse_errors["town_id"] = "invalid_choice"
            raw.append(self.town_combo.currentText())
        if self._principal.sees_personal_data:
            representative_address = self.representative_address_edit.text()
            representative_phone = self.representative_phone_edit.text()
        elif self._business is not None:
            # Masked on screen; the service keeps what is stored.
            representative_address = self._business.input.representative_address
            representative_phone = self._business.input.representative_phone
        else:
            representative_address = representative_phone = ""
        value = BusinessInput(
            name=self.name_edit.text(),
            kind=self.kind_combo.currentData(),
            name_kana=self.kana_edit.text(),
            corporate_number=self.corporate_number_edit.text(),
            jsic_major=self.jsic_combo.currentData(),
            sme_category=self.sme_category_combo.currentData(),
            postal_code=self.postal_code_edit.text(),
            town_id=town.id if town else None,
            area=None if town_ok and town else self.area_combo.currentData(),
            address=self.address_edit.text(),
            phone=self.phone_edit.text(),
            email=self.email_edit.text(),
            representative_name=self.representative_name_edit.text(),
            representative_residence=self.residence_combo.currentData(),
            representative_address=representative_address,
            representative_phone=representative_phone,
            capital=number("capital", self.capital_edit),
            employees=number("employees", self.employees_edit),
            founded_on=day("founded_on", self.founded_on_edit),
            in_ward_since=day("in_ward_since", self.in_ward_since_edit),
            chokai_name=self.chokai_edit.text(),
            street_association_id=self.street_combo.currentData(),
            summary=self.summary_edit.toPlainText(),
        )
        return _Collected(value.normalized(), parse_errors, tuple(raw))

    def _state(self) -> object:
        collected = self._collect()
        return collected.value, collected.raw, normalize(self.town_combo.currentText())

    def has_changes(self) -> bool:
        return not self.read_only and self._state() != self._initial

    def _rule_errors(self, collected: _Collected) -> dict[str, str]:
        """The checks that need no database: the domain rules plus unreadable input."""
        found = dict(collected.parse_errors)
        for error in collected.value.errors():
            found.setdefault(error.field, error.code)
        value = collected.value
        town, _ = self._town()
        if town is not None and "postal_code" not in found:
            others = {t.postal_code for t in self._towns if t.id != town.id} - {town.postal_code}
            if code := postal_code_error(value.postal_code, town.postal_code, others):
                found["postal_code"] = code
        return found

    # --- live feedback --------------------------------------------------------------------

    def _changed(self, name: str) -> None:
        if self._loading:
            return
        self._server_errors.pop(name, None)
        if name == "town_id":
            self._server_errors.pop("postal_code", None)
            self._server_errors.pop("area", None)
        self._revalidate()

    def _finished(self, name: str) -> None:
        if self._loading:
            return
        self._touched.add(name)
        self._server_errors.pop(name, None)
        self._reformat(name)
        self._revalidate()

    def _reformat(self, name: str) -> None:
        """Show what was understood: 1,000,000円, 令和2年4月1日, 101-0054."""
        edit = self._field_widgets.get(name)
        if not isinstance(edit, QLineEdit) or edit.isReadOnly():
            return
        text = edit.text().strip()
        if not text:
            return
        formatted = text
        try:
            if name == "capital":
                formatted = format_yen(parse_int(text))
            elif name == "employees":
                formatted = f"{parse_int(text):,}"
            elif name in ("founded_on", "in_ward_since"):
                formatted = format_date(parse_date(text))
            elif name == "postal_code":
                formatted = _postal_display(text)
            elif name == "corporate_number":
                digits = digits_only(text)
                formatted = digits if len(digits) == 13 else text
        except ValueError:
            return  # left as typed; the error label says why
        if formatted != edit.text():
            edit.setText(formatted)

    def _kind_changed(self, _index: int) -> None:
        if not self._loading and self.corporate_number_edit.text().strip():
            self._touched.add("corporate_number")
            self._revalidate()

    def _town_changed(self, _text: str) -> None:
        if self._loading:
            return
        town, _ = self._town()
        if town is not None and not self.postal_code_edit.text().strip():
            self.postal_code_edit.setText(_postal_display(town.postal_code))
        self._update_area()
        self._changed("town_id")

    def _update_area(self) -> None:
        town, town_ok = self._town()
        self.area_combo.setVisible(town_ok and town is None)
        self.area_label.setVisible(not (town_ok and town is None))
        self.area_label.setText(self.tr(town.area) if town else "—")

    def _revalidate(self) -> None:
        collected = self._collect()
        self._client_errors = self._rule_errors(collected)
        for name, label in self.error_labels.items():
            code = self._client_errors.get(name) if self._shows(name) else None
            code = code or self._server_errors.get(name)
            label.setText(text_for(code) if code else "")
            label.setVisible(code is not None)
        self._update_date_hints(collected.value)
        self._update_sme_status(collected.value)

    def _shows(self, name: str) -> bool:
        # Before the first save, a field's error appears once the user has left the field.
        return self._show_all or name in self._touched

    def _update_date_hints(self, value: BusinessInput) -> None:
        for day, hint in (
            (value.founded_on, self.founded_on_hint),
            (value.in_ward_since, self.in_ward_since_hint),
        ):
            hint.setText(self.tr("西暦 %s") % format_date(day, western=True) if day else "")

    def _update_sme_status(self, value: BusinessInput) -> None:
        category_value = value.sme_category or default_sme_category(value.jsic_major)
        category = SmeCategory(category_value) if category_value else None
        try:
            status = sme_status(category, value.capital, value.employees)
        except ValueError:
            status = SmeStatus.UNKNOWN
        if category is None:
            detail = self.tr("業種か業種区分を選んでください")
        elif status is SmeStatus.UNKNOWN:
            detail = self.tr("資本金か従業員数を入力してください")
        else:
            detail = self.tr("業種区分: %s") % self.tr(category.value)
        self.sme_status_label.setText(f"{self.tr(status.value)}（{detail}）")

    def field_error(self, name: str) -> str:
        """The error shown at a field, "" when none is shown."""
        label = self.error_labels[name]
        return label.text() if not label.isHidden() else ""

    def _focus_first_error(self) -> None:
        for name in FIELD_ORDER:
            if not self.error_labels[name].isHidden():
                widget = self._field_widgets[name]
                widget.setFocus(Qt.FocusReason.OtherFocusReason)
                if isinstance(widget, QLineEdit):
                    widget.selectAll()
                return

    # --- saving ---------------------------------------------------------------------------

    def _save(self) -> bool:
        """Validate, warn about duplicates, save; True when saved (the dialog then closes)."""
        if self.read_only:
            return False
        for name in ("capital", "employees", "founded_on", "in_ward_since", "postal_code"):
            self._reformat(name)
        self._show_all = True
        collected = self._collect()
        self._revalidate()
        if self._client_errors:
            self._focus_first_error()
            return False
        value = collected.value
        if self._needs_duplicate_check(value):
            exclude = self._business.id if self._business else None
            try:
                duplicates = self._businesses.find_duplicates(value, exclude_id=exclude)
            except DomainError as error:
                self._show_error(error)
                return False
            if duplicates:
                dialog = DuplicateDialog(duplicates, new=self._business is None, parent=self)
                dialog.exec()
                if dialog.choice is DuplicateChoice.OPEN and dialog.selected_id is not None:
                    self.open_requested.emit(dialog.selected_id)
                    QDialog.reject(self)  # the user chose the existing record: no question
                    return False
                if dialog.choice is not DuplicateChoice.CONTINUE:
                    return False
        try:
            if self._business is None:
                business_id = self._businesses.add(value)
            else:
                assert self._version is not None
                self._version = self._businesses.update(self._business.id, self._version, value)
                business_id = self._business.id
        except ValidationError as error:
            self._show_server_errors(error)
            return False
        except Conflict:
            self._conflict()
            return False
        except DomainError as error:
            self._show_error(error)
            return False
        self._initial = self._state()
        self.saved.emit(business_id)
        self.accept()
        return True

    def _needs_duplicate_check(self, value: BusinessInput) -> bool:
        if self._business is None:
            return True
        loaded = self._business.input.normalized()
        return any(getattr(value, key) != getattr(loaded, key) for key in DUPLICATE_KEYS)

    def _show_server_errors(self, error: ValidationError) -> None:
        self._server_errors = {}
        for field_error in error.errors:
            self._server_errors.setdefault(field_error.field, field_error.code)
        unplaced = [e for e in error.errors if e.field not in self.error_labels]
        self._revalidate()
        if unplaced:
            self._show_error(ValidationError(unplaced))
        self._focus_first_error()

    def _conflict(self) -> None:
        self.conflict_bar.show()
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.windowTitle(),
            text_for("conflict"),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setInformativeText(
            self.tr(
                "「最新の内容を読み込む」を押すと、この画面で入力した内容は破棄され、"
                "他の人が保存した内容が表示されます。\n\n"
                "「編集を続ける」を選んだ場合は、最新の内容を読み込むまで保存できません"
                "（もう一度保存しても、この確認がまた表示されます）。"
            )
        )
        reload_button = box.addButton(
            self.tr("最新の内容を読み込む"), QMessageBox.ButtonRole.DestructiveRole
        )
        keep_button = box.addButton(self.tr("編集を続ける"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep_button)
        box.setEscapeButton(keep_button)
        box.exec()
        if box.clickedButton() is reload_button:
            self._reload()

    def _show_error(self, error: DomainError) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.windowTitle(),
            error_text(error),
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.exec()

    def _toggle_archived(self) -> None:
        business = self._business
        if business is None or self._version is None:
            return
        archived = not business.archived
        try:
            self._version = self._businesses.archive(business.id, self._version, archived)
        except Conflict:
            self._conflict()
            return
        except DomainError as error:
            self._show_error(error)
            return
        # Typed changes stay as they are; only the archive state and the version move on.
        self._business = replace(business, archived=archived, version=self._version)
        self._update_archive_state()
        self.saved.emit(business.id)

    # --- closing --------------------------------------------------------------------------

    def reject(self) -> None:
        """Esc, キャンセル and the window's close button: ask first when something changed."""
        if not self.has_changes():
            super().reject()
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.windowTitle(),
            self.tr("変更を保存しますか？"),
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText(self.tr("保存しないで閉じると、入力した内容は失われます。"))
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        box.setEscapeButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        answer = box.standardButton(clicked) if clicked is not None else None
        if answer == QMessageBox.StandardButton.Save:
            self._save()
        elif answer == QMessageBox.StandardButton.Discard:
            super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # QDialog presses the default button on Enter; in a form that loses half-typed input,
        # so Enter in a field moves to the next one instead.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not isinstance(
            self.focusWidget(), QAbstractButton
        ):
            self.focusNextChild()
            event.accept()
            return
        super().keyPressEvent(event)

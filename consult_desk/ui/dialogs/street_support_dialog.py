"""商店街の支援記録: what the desk did for a street, of which kind, serving which initiative."""

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.errors import DomainError, FieldError
from consult_desk.domain.fiscal import japan_today
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.reference import InitiativeNode
from consult_desk.domain.streets import (
    Support,
    SupportInput,
    SupportKindInfo,
    SupportKindInput,
    read_numbers,
)
from consult_desk.services.reference import ReferenceService
from consult_desk.services.streets import StreetService
from consult_desk.ui.messages import error_text
from consult_desk.ui.widgets.inline_fields import (
    AmountEdit,
    DateEdit,
    InlineForm,
    hint,
    plain,
    row_widget,
    select_data,
    set_error,
)

LABELS = {
    "association_id": "商店街 ＊",
    "kind_id": "支援の種類 ＊",
    "supported_on": "支援日 ＊",
    "title": "件名 ＊",
    "initiative_id": "施策",
    "staff_id": "担当",
    "notes": "内容・経過",
    "university": "大学",
    "project": "連携プロジェクト",
    "student_count": "参加学生数",
}


class SupportDialog(InlineForm):
    """A new support record for a street (``association_id``, or chosen in the form) or an
    existing one (``support_id``).

    - The initiative follows the kind until the user picks another one; it is shown either way.
    - The 大学連携 fields appear only for that kind (other kinds save them empty).
    - Administrators may add a kind from the form (master data); everyone else picks one.
    """

    def __init__(
        self,
        streets: StreetService,
        reference: ReferenceService,
        principal: Principal,
        association_id: int | None = None,
        support_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._streets = streets
        self._principal = principal
        self._support: Support | None = None
        self._follows_kind = True
        support = streets.get_support(support_id) if support_id is not None else None
        if support is not None:
            association_id = support.association_id
        self.association_id = association_id
        self._initiatives: list[InitiativeNode] = reference.initiatives()
        self._kinds: list[SupportKindInfo] = []
        self.setMinimumWidth(640)

        self.association_combo = QComboBox()
        self.association_label = QLabel()
        if association_id is None:
            self.association_combo.addItem(self.tr("（選んでください）"), None)
            for choice in reference.street_associations():
                self.association_combo.addItem(choice.name, choice.id)
        else:
            name = support.association_name if support else streets.get(association_id).input.name
            self.association_label.setText(name)
        self.kind_combo = QComboBox()
        self.add_kind_button = QPushButton(self.tr("種類を追加…"))
        self.add_kind_button.setAutoDefault(False)
        self.add_kind_button.setVisible(principal.can(Kind.MASTER, Action.CREATE))
        self.add_kind_button.clicked.connect(self.add_kind)
        self.date_edit = DateEdit(japan_today())
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText(self.tr("例: すずらんまつりの開催相談"))
        self.initiative_combo = QComboBox()
        for node in self._initiatives:
            self.initiative_combo.addItem(f"{node.code} {node.title}", node.id)
        self.initiative_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.initiative_combo.setMinimumContentsLength(24)
        self.initiative_hint = hint()
        self.staff_combo = QComboBox()
        for member in reference.staff():
            self.staff_combo.addItem(member.name, member.id)
        self.notes_edit = plain(90)
        self.university_edit = QLineEdit()
        self.university_edit.setPlaceholderText(self.tr("例: 法政大学"))
        self.project_edit = QLineEdit()
        self.students_edit = AmountEdit(unit="人", placeholder=self.tr("例: 12"))
        self._fill_kinds()

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if association_id is None:
            self.add_row(form, "association_id", LABELS["association_id"], self.association_combo)
        else:
            form.addRow(self.tr("商店街"), self.association_label)
        self.add_row(
            form,
            "kind_id",
            LABELS["kind_id"],
            row_widget(self.kind_combo, self.add_kind_button, stretch=True),
            self.kind_combo,
        )
        self.add_row(
            form, "supported_on", LABELS["supported_on"], self.date_edit.row(), self.date_edit
        )
        self.add_row(form, "title", LABELS["title"], self.title_edit)
        initiative = QWidget()
        initiative_layout = QVBoxLayout(initiative)
        initiative_layout.setContentsMargins(0, 0, 0, 0)
        initiative_layout.setSpacing(1)
        initiative_layout.addWidget(self.initiative_combo)
        initiative_layout.addWidget(self.initiative_hint)
        initiative.setFocusProxy(self.initiative_combo)
        self.add_row(
            form, "initiative_id", LABELS["initiative_id"], initiative, self.initiative_combo
        )
        self.add_row(form, "staff_id", LABELS["staff_id"], self.staff_combo)
        self.add_row(form, "notes", LABELS["notes"], self.notes_edit)
        self.university_box = QGroupBox(self.tr("大学連携"))
        university_form = QFormLayout(self.university_box)
        university_form.setLabelAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self.add_row(university_form, "university", LABELS["university"], self.university_edit)
        self.add_row(university_form, "project", LABELS["project"], self.project_edit)
        self.add_row(
            university_form,
            "student_count",
            LABELS["student_count"],
            self.students_edit.row(),
            self.students_edit,
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.conflict_bar)
        layout.addLayout(form)
        layout.addWidget(self.university_box)
        layout.addWidget(hint(self.tr("＊は必須です。")))
        layout.addWidget(self.general_error)
        layout.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.buttons)
        layout.addLayout(buttons)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.initiative_combo.currentIndexChanged.connect(self._initiative_picked)

        self._fill(support)
        action = Action.EDIT if support is not None else Action.CREATE
        if not principal.can(Kind.STREET, action):
            self.make_read_only()
            self.add_kind_button.hide()
        self.finish_layout()
        (self.association_combo if association_id is None else self.title_edit).setFocus()

    # --- kinds and initiative -------------------------------------------------------------

    def _fill_kinds(self, keep: int | None = None) -> None:
        current = self._support.input.kind_id if self._support else None
        self._kinds = [
            k
            for k in self._streets.support_kinds(include_inactive=True)
            if k.active or k.id == current
        ]
        blocked = self.kind_combo.blockSignals(True)
        self.kind_combo.clear()
        for kind in self._kinds:
            self.kind_combo.addItem(kind.name, kind.id)
        if keep is not None:
            select_data(self.kind_combo, keep)
        self.kind_combo.blockSignals(blocked)

    def kind(self) -> SupportKindInfo | None:
        return next((k for k in self._kinds if k.id == self.kind_combo.currentData()), None)

    def _kind_changed(self, *_: object) -> None:
        kind = self.kind()
        if self._follows_kind and kind is not None and kind.initiative_id is not None:
            blocked = self.initiative_combo.blockSignals(True)
            select_data(self.initiative_combo, kind.initiative_id)
            self.initiative_combo.blockSignals(blocked)
        self._show_university()
        if not self._loading:
            self.revalidate()

    def _initiative_picked(self, *_: object) -> None:
        if self._loading:
            return
        kind = self.kind()
        self._follows_kind = (
            kind is not None and self.initiative_combo.currentData() == kind.initiative_id
        )
        self.revalidate()

    def _show_university(self) -> None:
        kind = self.kind()
        self.university_box.setVisible(kind is not None and kind.is_university)

    def add_kind(self) -> int | None:
        """A new kind (master data), serving the initiative chosen now; selected at once."""
        name, ok = QInputDialog.getText(
            self,
            self.tr("支援の種類を追加"),
            self.tr("新しい種類の名前（施策は「{0}」になります）:").format(
                self.initiative_combo.currentText()
            ),
        )
        if not ok or not name.strip():
            return None
        try:
            kind_id = self._streets.add_support_kind(
                SupportKindInput(name, self.initiative_combo.currentData())
            )
        except DomainError as error:
            set_error(self.general_error, error_text(error))
            return None
        set_error(self.general_error, "")
        self._fill_kinds(keep=kind_id)
        self._kind_changed()
        return kind_id

    # --- loading --------------------------------------------------------------------------

    def _fill(self, support: Support | None) -> None:
        self._support = support
        if support is None:
            self.setWindowTitle(self.tr("支援を記録"))
        else:
            self.setWindowTitle(self.tr("支援記録: {0}").format(support.input.title))

        def fill() -> None:
            self._fill_kinds()
            if support is None:
                select_data(self.staff_combo, self._principal.staff_id)
                self._follows_kind = True
                self._kind_changed()
                return
            value = support.input
            select_data(self.kind_combo, value.kind_id, support.kind_name)
            self.date_edit.set_date(value.supported_on)
            self.title_edit.setText(value.title)
            select_data(self.initiative_combo, value.initiative_id)
            select_data(self.staff_combo, value.staff_id, support.staff_name)
            self.notes_edit.setPlainText(value.notes)
            self.university_edit.setText(value.university)
            self.project_edit.setText(value.project)
            self.students_edit.set_amount(value.student_count)
            kind = self.kind()
            self._follows_kind = kind is not None and kind.initiative_id == value.initiative_id
            self._show_university()

        self.load(fill)

    def reload_record(self) -> None:
        if self._support is None:
            return
        try:
            self._fill(self._streets.get_support(self._support.id))
        except DomainError as error:
            set_error(self.general_error, error_text(error))

    # --- reading and saving ---------------------------------------------------------------

    def collect(self) -> tuple[object, dict[str, str]]:
        parse_errors: dict[str, str] = {}
        supported_on: date | None = None
        try:
            supported_on = self.date_edit.date_value()
        except ValueError:
            parse_errors["supported_on"] = "date.format"
        else:
            if supported_on is None:
                parse_errors["supported_on"] = "required"
        if self.association_id is None and self.association_combo.currentData() is None:
            parse_errors["association_id"] = "required"
        kind = self.kind()
        if kind is None:
            parse_errors["kind_id"] = "required"
        university = kind is not None and kind.is_university
        numbers, errors = read_numbers(
            {"student_count": self.students_edit.text() if university else ""}
        )
        parse_errors.update({e.field: e.code for e in errors})
        value = SupportInput(
            kind_id=kind.id if kind else 0,
            supported_on=supported_on or japan_today(),
            title=self.title_edit.text(),
            staff_id=self.staff_combo.currentData(),
            # None: the kind's initiative, so a later change of kind carries it along.
            initiative_id=None if self._follows_kind else self.initiative_combo.currentData(),
            notes=self.notes_edit.toPlainText(),
            university=self.university_edit.text() if university else "",
            project=self.project_edit.text() if university else "",
            student_count=numbers["student_count"],
        ).normalized()
        return value, parse_errors

    def rule_errors(self, value: object) -> list[FieldError]:
        assert isinstance(value, SupportInput)
        kind = self.kind()
        return value.errors(japan_today(), university_kind=kind is not None and kind.is_university)

    def after_revalidate(self, value: object) -> None:
        kind = self.kind()
        if kind is None:
            self.initiative_hint.setText("")
        elif self._follows_kind:
            self.initiative_hint.setText(self.tr("支援の種類「{0}」の施策です。").format(kind.name))
        else:
            self.initiative_hint.setText(
                self.tr("種類の既定（{0}）とは別の施策を選んでいます。").format(
                    kind.initiative_code
                )
            )

    def submit(self, value: object) -> int:
        assert isinstance(value, SupportInput)
        if self._support is not None:
            self._streets.update_support(self._support.id, self._support.version, value)
            return self._support.id
        association_id = self.association_id or int(self.association_combo.currentData())
        support_id = self._streets.add_support(association_id, value)
        self.association_id = association_id
        return support_id

"""専門家の登録: qualifications (the usual ones ticked, any other typed), fields, the
registration period, the fee per visit. Errors show under each field while typing; the service
has the last word. Administrators edit; everyone else reads."""

from datetime import date

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.dispatch import QUALIFICATIONS, ExpertInput, ExpertRow
from consult_desk.domain.errors import Conflict, DomainError, ValidationError
from consult_desk.domain.fiscal import format_date, japan_today
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.text import normalize
from consult_desk.services.experts import ExpertService
from consult_desk.ui.dialogs.dispatch_common import DateEdit, YenEdit, row
from consult_desk.ui.messages import error_text, text_for
from consult_desk.ui.models.dispatch_tables import registration_state
from consult_desk.ui.widgets.inline_fields import (
    OVERDUE_STYLE,
    GuardedDialog,
    error_label,
    hint,
    plain,
    set_error,
)

# The expert's own words for the fields (the shared table says 事業者名 for "name").
LABELS = {
    "name": "氏名",
    "name_kana": "フリガナ",
    "qualifications": "資格",
    "fields": "得意分野",
    "registered_from": "登録開始日",
    "registered_to": "登録終了日",
    "fee_per_visit": "1回あたりの謝金",
    "phone": "電話番号",
    "email": "メール",
    "active": "状態",
}
REQUIRED = frozenset({"name", "registered_from"})


class ExpertDialog(GuardedDialog):
    """A new expert or a registered one; ``saved`` carries the id after a save."""

    saved = Signal(int)

    def __init__(
        self,
        experts: ExpertService,
        principal: Principal,
        expert_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._experts = experts
        self.expert: ExpertRow | None = experts.get(expert_id) if expert_id else None
        self.can_save = principal.can(Kind.MASTER, Action.EDIT if self.expert else Action.CREATE)
        self.errors: dict[str, QLabel] = {}
        self._touched: set[str] = set()
        self._show_all = False
        self._server_errors: dict[str, str] = {}
        self._loading = True
        self._changed = False
        self.setWindowTitle(
            self.tr("専門家の登録") if self.expert is None else self.tr("専門家: {0}")
        )
        self.setMinimumWidth(600)

        self.state_label = QLabel()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(self.tr("例: 山田 太郎"))
        self.kana_edit = QLineEdit()
        self.kana_edit.setPlaceholderText(self.tr("例: ヤマダ タロウ"))
        self.qualification_list = QListWidget()
        # Three columns of tick boxes: the usual ten fit without scrolling.
        self.qualification_list.setFlow(QListView.Flow.LeftToRight)
        self.qualification_list.setWrapping(True)
        self.qualification_list.setResizeMode(QListView.ResizeMode.Adjust)
        self.qualification_list.setGridSize(QSize(150, 24))
        self.qualification_list.setFixedHeight(108)
        for name in QUALIFICATIONS:
            self._add_qualification(name, checked=False)
        self.other_edit = QLineEdit()
        self.other_edit.setPlaceholderText(self.tr("一覧にない資格（例: 中小企業診断士補）"))
        self.other_button = QPushButton(self.tr("追加"))
        self.other_button.clicked.connect(self.add_other)
        self.other_edit.returnPressed.connect(self.add_other)
        self.fields_edit = plain(60)
        self.fields_edit.setPlaceholderText(self.tr("例: 事業計画、資金繰り、販路開拓"))
        self.from_edit = DateEdit(japan_today())
        self.to_edit = DateEdit()
        self.to_edit.setPlaceholderText(self.tr("空欄: 定めなし"))
        self.fee_edit = YenEdit()
        self.fee_edit.setPlaceholderText(self.tr("空欄: 制度の謝金"))
        self.phone_edit = QLineEdit()
        self.email_edit = QLineEdit()
        self.active_check = QCheckBox(self.tr("利用中（外すと派遣に選べなくなります）"))
        self.active_check.setChecked(True)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._row(form, "name", self.name_edit)
        self._row(form, "name_kana", self.kana_edit)
        qualifications = QWidget()
        q_layout = QVBoxLayout(qualifications)
        q_layout.setContentsMargins(0, 0, 0, 0)
        q_layout.addWidget(self.qualification_list)
        q_layout.addWidget(row(self.other_edit, self.other_button, stretch=(1, 0)))
        self._row(form, "qualifications", qualifications)
        self._row(form, "fields", self.fields_edit)
        self._row(form, "registered_from", self.from_edit.with_hint())
        self._row(form, "registered_to", self.to_edit.with_hint())
        form.addRow("", hint(self.tr("登録期間外の日の訪問には、この専門家を選べません。")))
        self._row(form, "fee_per_visit", self.fee_edit.with_hint())
        self._row(form, "phone", self.phone_edit)
        self._row(form, "email", self.email_edit)
        self._row(form, "active", self.active_check)
        self.general_error = error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state_label)
        layout.addLayout(form)
        layout.addWidget(self.general_error)
        layout.addWidget(self.buttons)

        if self.expert is not None:
            self._load(self.expert)
        self._show_state()
        self._connect()
        if not self.can_save:
            self._read_only()
        self._loading = False
        self.name_edit.setFocus()

    # --- building -------------------------------------------------------------------------

    def _row(self, form: QFormLayout, name: str, widget: QWidget) -> None:
        box = QWidget()
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.setSpacing(1)
        box_layout.addWidget(widget)
        self.errors[name] = error_label()
        box_layout.addWidget(self.errors[name])
        label = self.tr(LABELS[name]) + (" ＊" if name in REQUIRED else "")
        form.addRow(label, box)

    def _add_qualification(self, name: str, checked: bool) -> QListWidgetItem:
        item = QListWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.qualification_list.addItem(item)
        return item

    def _connect(self) -> None:
        edits: list[tuple[str, QLineEdit]] = [
            ("name", self.name_edit),
            ("name_kana", self.kana_edit),
            ("registered_from", self.from_edit),
            ("registered_to", self.to_edit),
            ("fee_per_visit", self.fee_edit),
            ("phone", self.phone_edit),
            ("email", self.email_edit),
        ]
        for name, edit in edits:
            edit.textEdited.connect(lambda _text, n=name: self._edited(n))
        self.fields_edit.textChanged.connect(lambda: self._edited("fields"))
        self.qualification_list.itemChanged.connect(lambda _item: self._edited("qualifications"))
        self.active_check.toggled.connect(lambda _on: self._edited("active"))

    def _load(self, expert: ExpertRow) -> None:
        value = expert.as_input()
        self.setWindowTitle(self.tr("専門家: {0}").format(expert.name))
        self.name_edit.setText(value.name)
        self.kana_edit.setText(value.name_kana)
        for name in value.qualifications:
            items = self.qualification_list.findItems(name, Qt.MatchFlag.MatchExactly)
            if items:
                items[0].setCheckState(Qt.CheckState.Checked)
            else:
                self._add_qualification(name, checked=True)
        self.fields_edit.setPlainText(value.fields)
        self.from_edit.set_value(value.registered_from)
        self.to_edit.set_value(value.registered_to)
        fee = value.fee_per_visit
        self.fee_edit.setText("" if fee is None else f"{fee:,}")
        self.phone_edit.setText(value.phone)
        self.email_edit.setText(value.email)
        self.active_check.setChecked(value.active)

    def _show_state(self) -> None:
        """「登録期限切れ」 (or 停止中, 登録前) above the form of an expert who cannot be
        assigned today."""
        expert = self.expert
        today = japan_today()
        if expert is None or expert.assignable_on(today):
            self.state_label.hide()
            return
        state = registration_state(expert, today)
        if expert.registered_to is not None and today > expert.registered_to:
            state += self.tr("（{0}まで）").format(format_date(expert.registered_to))
        self.state_label.setText(state)
        self.state_label.setStyleSheet(OVERDUE_STYLE)
        self.state_label.show()

    def _read_only(self) -> None:
        for widget in (
            self.name_edit,
            self.kana_edit,
            self.other_edit,
            self.from_edit,
            self.to_edit,
            self.fee_edit,
            self.phone_edit,
            self.email_edit,
        ):
            widget.setReadOnly(True)
        self.fields_edit.setReadOnly(True)
        for other in (self.qualification_list, self.other_button, self.active_check):
            other.setEnabled(False)
        self.save_button.hide()
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("閉じる"))

    # --- reading and checking -------------------------------------------------------------

    def add_other(self) -> None:
        """A qualification not in the list: added ticked (a known one is just ticked)."""
        name = normalize(self.other_edit.text())
        if not name:
            return
        items = self.qualification_list.findItems(name, Qt.MatchFlag.MatchExactly)
        item = items[0] if items else self._add_qualification(name, checked=True)
        item.setCheckState(Qt.CheckState.Checked)
        self.qualification_list.scrollToItem(item)
        self.other_edit.clear()

    def qualifications(self) -> tuple[str, ...]:
        items = (self.qualification_list.item(i) for i in range(self.qualification_list.count()))
        return tuple(
            item.text()
            for item in items
            if item is not None and item.checkState() == Qt.CheckState.Checked
        )

    def collect(self) -> tuple[ExpertInput, dict[str, str]]:
        """The typed expert, and the fields that could not be read (with their code)."""
        unreadable: dict[str, str] = {}
        dates: dict[str, date | None] = {}
        for name, edit in (("registered_from", self.from_edit), ("registered_to", self.to_edit)):
            try:
                dates[name] = edit.value()
            except ValueError:
                dates[name] = None
                unreadable[name] = "date.format"
        fee, fee_errors = self.fee_edit.read("fee_per_visit")
        if fee_errors:
            unreadable["fee_per_visit"] = fee_errors[0].code
            fee = None
        value = ExpertInput(
            name=self.name_edit.text(),
            name_kana=self.kana_edit.text(),
            qualifications=self.qualifications(),
            fields=self.fields_edit.toPlainText(),
            registered_from=dates["registered_from"],
            registered_to=dates["registered_to"],
            fee_per_visit=fee,
            phone=self.phone_edit.text(),
            email=self.email_edit.text(),
            active=self.active_check.isChecked(),
        )
        return value, unreadable

    def _edited(self, name: str) -> None:
        if self._loading:
            return
        self._changed = True
        self._touched.add(name)
        self._server_errors = {}
        self.check()

    def check(self) -> dict[str, str]:
        value, errors = self.collect()
        for found in value.errors():
            errors.setdefault(found.field, found.code)
        for name, code in self._server_errors.items():
            errors.setdefault(name, code)
        for name, label in self.errors.items():
            code = errors.get(name, "")
            shown = self._show_all or name in self._touched or code != "required"
            set_error(label, text_for(code) if code and shown else "")
        return errors

    def error_texts(self) -> dict[str, str]:
        shown = {name: label.text() for name, label in self.errors.items() if label.text()}
        if self.general_error.text():
            shown["general"] = self.general_error.text()
        return shown

    # --- saving and closing ---------------------------------------------------------------

    def save(self) -> None:
        if not self.can_save:
            return
        self.add_other()  # a typed qualification not yet added counts
        self._show_all = True
        self._server_errors = {}
        set_error(self.general_error, "")
        if errors := self.check():
            self._focus(errors)
            return
        value, _ = self.collect()
        try:
            if self.expert is None:
                expert_id = self._experts.add(value)
            else:
                self._experts.update(self.expert.id, self.expert.version, value)
                expert_id = self.expert.id
        except ValidationError as error:
            self._server_errors = {e.field: e.code for e in error.errors}
            self._focus(self.check())
            unplaced = [e for e in error.errors if e.field not in self.errors]
            if unplaced:
                set_error(self.general_error, error_text(ValidationError(unplaced)))
            return
        except Conflict:
            # Keep what was typed; the next save goes over the version read now.
            self.expert = self._experts.get(self.expert.id) if self.expert else None
            set_error(self.general_error, text_for("conflict"))
            QMessageBox.warning(self, self.windowTitle(), text_for("conflict"))
            return
        except DomainError as error:
            set_error(self.general_error, error_text(error))
            return
        self._changed = False
        self.saved.emit(expert_id)
        self.accept()

    def _focus(self, errors: dict[str, str]) -> None:
        widgets: dict[str, QWidget] = {
            "name": self.name_edit,
            "name_kana": self.kana_edit,
            "qualifications": self.qualification_list,
            "fields": self.fields_edit,
            "registered_from": self.from_edit,
            "registered_to": self.to_edit,
            "fee_per_visit": self.fee_edit,
            "phone": self.phone_edit,
            "email": self.email_edit,
        }
        for name, widget in widgets.items():
            if name in errors:
                widget.setFocus()
                return

    def has_changes(self) -> bool:
        return self._changed

"""設定 › 派遣制度: dispatch programs, their rules per 年度 (the visit cap per business, the fee per
visit) and the days from completion to the 実績報告 deadline. Administrators edit; the other
roles only read (the controls are disabled, and the service would refuse anyway)."""

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.dispatch import (
    DEFAULT_MAX_VISITS,
    FISCAL_YEARS,
    MAX_VISITS,
    ProgramInfo,
    ProgramInput,
    TermsInfo,
    TermsInput,
)
from consult_desk.domain.errors import Conflict, DomainError, ValidationError
from consult_desk.domain.fiscal import fiscal_year, format_yen, japan_today, wareki_fiscal_year
from consult_desk.domain.permissions import Action, Kind, Principal, Role
from consult_desk.services.dispatch import REPORT_DUE_RANGE, DispatchService
from consult_desk.ui.dialogs.dispatch_common import YenEdit
from consult_desk.ui.messages import error_text, text_for
from consult_desk.ui.pages.loan_master import NameDialog
from consult_desk.ui.widgets.inline_fields import error_label, hint, set_error
from consult_desk.ui.widgets.tables import make_table_widget, selected_row

ROW_HEIGHT = 24
# The consultants who run dispatches and those who oversee them; the loan desk never picks a
# dispatch program.
DISPATCH_DESK_ROLES = frozenset({Role.CONSULTANT, Role.MANAGER, Role.ADMIN, Role.AUDITOR})


def shows_dispatch_master(principal: Principal) -> bool:
    return principal.can(Kind.MASTER, Action.READ) and bool(principal.roles & DISPATCH_DESK_ROLES)


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for row, values in enumerate(rows):
        for column, value in enumerate(values):
            table.setItem(row, column, QTableWidgetItem(value))


class TermsDialog(QDialog):
    """One 年度's rules of a program: the visit cap per business and the fee per visit."""

    saved = Signal(int)

    def __init__(
        self,
        service: DispatchService,
        program: ProgramInfo,
        terms: TermsInfo | None = None,
        year: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._program = program
        self._terms = terms
        title = self.tr("年度の条件の編集: {0}") if terms else self.tr("年度の条件の追加: {0}")
        self.setWindowTitle(title.format(program.name))
        value = terms.as_input() if terms else TermsInput(year or fiscal_year(japan_today()))
        self.year_spin = QSpinBox()
        self.year_spin.setRange(*FISCAL_YEARS)
        self.year_spin.setValue(value.fiscal_year)
        self.year_spin.setSuffix(self.tr(" 年度"))
        self.year_spin.setEnabled(terms is None)  # a row belongs to its 年度
        self.year_hint = hint()
        self.visits_spin = QSpinBox()
        self.visits_spin.setRange(1, MAX_VISITS)
        self.visits_spin.setValue(value.max_visits_per_business)
        self.visits_spin.setSuffix(self.tr(" 回"))
        self.fee_edit = YenEdit(value.fee_per_visit)
        self.fee_edit.setPlaceholderText(self.tr("空欄: 専門家ごとの謝金"))
        self.errors = {
            name: error_label() for name in ("fiscal_year", "max_visits_per_business", "fee")
        }
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for label, widget, name in (
            (self.tr("年度"), self._beside(self.year_spin, self.year_hint), "fiscal_year"),
            (self.tr("1事業者あたりの上限"), self.visits_spin, "max_visits_per_business"),
            (self.tr("1回あたりの謝金"), self.fee_edit.with_hint(), "fee"),
        ):
            box = QWidget()
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 0, 0, 0)
            box_layout.addWidget(widget)
            box_layout.addWidget(self.errors[name])
            form.addRow(label, box)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.general_error = error_label()
        layout = QVBoxLayout(self)
        layout.addWidget(
            hint(
                self.tr(
                    "上限は、この年度（4月1日〜3月31日）に1つの事業者が受けられる訪問の回数です。"
                )
            )
        )
        layout.addLayout(form)
        layout.addWidget(self.general_error)
        layout.addWidget(self.buttons)
        self.year_spin.valueChanged.connect(self._show_year)
        self.fee_edit.textEdited.connect(lambda _text: self.check())
        self._show_year()

    @staticmethod
    def _beside(widget: QWidget, label: QLabel) -> QWidget:
        box = QWidget()
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(widget)
        layout.addWidget(label, 1)
        return box

    def _show_year(self) -> None:
        self.year_hint.setText(wareki_fiscal_year(self.year_spin.value()))

    def value(self) -> tuple[TermsInput, dict[str, str]]:
        fee, errors = self.fee_edit.read("fee_per_visit")
        value = TermsInput(
            self.year_spin.value(), self.visits_spin.value(), None if errors else fee
        )
        found = {e.field: e.code for e in errors}
        for error in value.errors():
            found.setdefault(error.field, error.code)
        return value, found

    def check(self) -> dict[str, str]:
        _value, found = self.value()
        self._show(found)
        return found

    def _show(self, found: dict[str, str]) -> None:
        for name, label in self.errors.items():
            key = "fee_per_visit" if name == "fee" else name
            set_error(label, text_for(found[key]) if key in found else "")

    def save(self) -> None:
        value, found = self.value()
        self._show(found)
        if found:
            return
        try:
            if self._terms is None or self._terms.id is None or self._terms.version is None:
                terms_id = self._service.add_terms(self._program.id, value)
            else:
                self._service.update_terms(self._terms.id, self._terms.version, value)
                terms_id = self._terms.id
        except ValidationError as error:
            self._show(error.codes())
            return
        except Conflict:  # keep the input; the next save goes over the version read now
            fresh = self._service.terms(self._program.id)
            self._terms = next((t for t in fresh if self._terms and t.id == self._terms.id), None)
            set_error(self.general_error, text_for("conflict"))
            return
        except DomainError as error:
            set_error(self.general_error, error_text(error))
            return
        self.saved.emit(terms_id)
        self.accept()


class DispatchProgramsTab(QWidget):
    """派遣制度 and, for the selected one, its rules per 年度 (the newest first)."""

    def __init__(
        self, service: DispatchService, principal: Principal, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._programs: list[ProgramInfo] = []
        self._terms: list[TermsInfo] = []
        can_add = principal.can(Kind.MASTER, Action.CREATE)
        can_edit = principal.can(Kind.MASTER, Action.EDIT)
        self.programs_table = make_table_widget(
            [self.tr("派遣制度"), self.tr("状態")], (300,), ROW_HEIGHT
        )
        self.terms_table = make_table_widget(
            [self.tr("年度"), self.tr("1事業者あたりの上限"), self.tr("1回あたりの謝金")],
            (150, 170),
            ROW_HEIGHT,
        )
        self.add_program_button = QPushButton(self.tr("制度を追加…"))
        self.edit_program_button = QPushButton(self.tr("名称を変更…"))
        self.toggle_program_button = QPushButton(self.tr("利用停止 / 再開"))
        self.add_terms_button = QPushButton(self.tr("年度の条件を追加…"))
        self.edit_terms_button = QPushButton(self.tr("年度の条件を編集…"))
        for button, allowed, slot in (
            (self.add_program_button, can_add, self._add_program),
            (self.edit_program_button, can_edit, self._edit_program),
            (self.toggle_program_button, can_edit, self._toggle_program),
            (self.add_terms_button, can_add, self._add_terms),
            (self.edit_terms_button, can_edit, self._edit_terms),
        ):
            button.setEnabled(allowed)
            button.clicked.connect(slot)
        if can_edit:
            self.programs_table.doubleClicked.connect(lambda _index: self._edit_program())
            self.terms_table.doubleClicked.connect(lambda _index: self._edit_terms())
        self.programs_table.itemSelectionChanged.connect(self._program_selected)
        self.terms_title = QLabel()
        self.terms_title.setStyleSheet("font-weight: bold;")
        self.due_spin = QSpinBox()
        self.due_spin.setRange(*REPORT_DUE_RANGE)
        self.due_spin.setSuffix(self.tr(" 日"))
        self.due_spin.setMaximumWidth(110)
        self.due_spin.setEnabled(can_edit)
        self.due_button = QPushButton(self.tr("保存"))
        self.due_button.setEnabled(can_edit)
        self.due_button.clicked.connect(self._save_due_days)
        note = hint(
            self.tr(
                "年度ごとに、1事業者あたりの訪問回数の上限と1回あたりの謝金を登録します。"
                "条件のない年度は上限 {0}回、謝金は専門家ごとの額です。"
                "上限を下げても、記録済みの訪問はそのまま残ります。"
            ).format(DEFAULT_MAX_VISITS)
        )

        program_buttons = QHBoxLayout()
        for button in (
            self.add_program_button,
            self.edit_program_button,
            self.toggle_program_button,
        ):
            program_buttons.addWidget(button)
        program_buttons.addStretch(1)
        terms_buttons = QHBoxLayout()
        terms_buttons.addWidget(self.terms_title)
        terms_buttons.addStretch(1)
        terms_buttons.addWidget(self.add_terms_button)
        terms_buttons.addWidget(self.edit_terms_button)
        due_box = QGroupBox(self.tr("実績報告の期限"))
        due_layout = QHBoxLayout(due_box)
        due_layout.addWidget(QLabel(self.tr("派遣完了から")))
        due_layout.addWidget(self.due_spin)
        due_layout.addWidget(self.due_button)
        due_layout.addWidget(hint(self.tr("（これから完了にする派遣に適用されます）")), 1)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(program_buttons)
        layout.addWidget(self.programs_table, 2)
        layout.addLayout(terms_buttons)
        layout.addWidget(self.terms_table, 3)
        layout.addWidget(due_box)
        self.refresh()

    def refresh(self, select_id: int | None = None) -> None:
        current = self.selected_program()
        select_id = select_id or (current.id if current else None)
        self._programs = self._service.programs(include_inactive=True)
        _fill(
            self.programs_table,
            [
                [p.name, self.tr("利用中") if p.active else self.tr("停止中")]
                for p in self._programs
            ],
        )
        index = next((i for i, p in enumerate(self._programs) if p.id == select_id), 0)
        if self._programs:
            self.programs_table.selectRow(index)
        self._program_selected()
        self.due_spin.setValue(self._service.report_due_days())

    def selected_program(self) -> ProgramInfo | None:
        row = selected_row(self.programs_table)
        return self._programs[row] if row is not None and row < len(self._programs) else None

    def selected_terms(self) -> TermsInfo | None:
        row = selected_row(self.terms_table)
        return self._terms[row] if row is not None and row < len(self._terms) else None

    def _program_selected(self) -> None:
        program = self.selected_program()
        self._terms = self._service.terms(program.id) if program else []
        title = self.tr("年度の条件: {0}").format(program.name) if program else ""
        self.terms_title.setText(title)
        _fill(
            self.terms_table,
            [
                [
                    f"{wareki_fiscal_year(t.fiscal_year)}（{t.fiscal_year}）",
                    self.tr("{0}回").format(t.max_visits_per_business),
                    format_yen(t.fee_per_visit) or self.tr("専門家ごと"),
                ]
                for t in self._terms
            ],
        )

    def _add_program(self) -> None:
        def submit(name: str, active: bool) -> int:
            return self._service.add_program(ProgramInput(name, active=active))

        dialog = NameDialog(self.tr("派遣制度の追加"), self.tr("制度の名称"), submit, parent=self)
        dialog.saved.connect(lambda program_id: self.refresh(program_id))
        dialog.exec()

    def _edit_program(self) -> None:
        program = self.selected_program()
        if program is None:
            return

        def submit(name: str, active: bool) -> int:
            value = ProgramInput(name, program.initiative_id, active)
            self._service.update_program(program.id, program.version, value)
            return program.id

        dialog = NameDialog(
            self.tr("派遣制度の編集"),
            self.tr("制度の名称"),
            submit,
            program.name,
            program.active,
            self,
        )
        dialog.saved.connect(lambda _id: self.refresh(program.id))
        dialog.exec()

    def _toggle_program(self) -> None:
        program = self.selected_program()
        if program is None:
            return
        value = ProgramInput(program.name, program.initiative_id, not program.active)
        try:
            self._service.update_program(program.id, program.version, value)
        except DomainError as error:
            QMessageBox.warning(self, "consult-desk", error_text(error))
        self.refresh(program.id)

    def _add_terms(self) -> TermsDialog | None:
        program = self.selected_program()
        if program is None:
            return None
        taken = {t.fiscal_year for t in self._terms}
        year = fiscal_year(japan_today())
        while year in taken:  # the next 年度 without rules, most likely the coming one
            year += 1
        newest = self._terms[0] if self._terms else None
        dialog = TermsDialog(self._service, program, year=year, parent=self)
        if newest is not None:  # the usual change is a copy of last year's with a new 年度
            dialog.visits_spin.setValue(newest.max_visits_per_business)
            fee = newest.fee_per_visit
            dialog.fee_edit.setText("" if fee is None else f"{fee:,}")
        dialog.saved.connect(lambda _id: self._program_selected())
        dialog.exec()
        return dialog

    def _edit_terms(self) -> None:
        program, terms = self.selected_program(), self.selected_terms()
        if program is None or terms is None:
            return
        dialog = TermsDialog(self._service, program, terms, parent=self)
        dialog.saved.connect(lambda _id: self._program_selected())
        dialog.exec()

    def _save_due_days(self) -> None:
        try:
            self._service.set_report_due_days(self.due_spin.value())
        except DomainError as error:
            QMessageBox.warning(self, "consult-desk", error_text(error))
            self.due_spin.setValue(self._service.report_due_days())
            return
        QMessageBox.information(self, "consult-desk", self.tr("実績報告の期限を保存しました。"))

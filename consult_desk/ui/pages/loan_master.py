"""設定 › 融資制度: 資金種別 with their dated terms, 指定金融機関 with their branches, and the
days a loan case may wait in a state. Administrators edit; the other loan-desk roles only read
(the controls are disabled, and the services would refuse anyway)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.errors import DomainError
from consult_desk.domain.fiscal import (
    format_date,
    format_yen,
    japan_today,
    parse_date,
)
from consult_desk.domain.loan_programs import (
    REPAYMENT_METHODS,
    BankInfo,
    BankInput,
    BranchInfo,
    BranchInput,
    ProgramInfo,
    ProgramInput,
    TermsInfo,
    TermsInput,
    format_rate,
    parse_rate,
)
from consult_desk.domain.loans import LoanState
from consult_desk.domain.permissions import Action, Kind, Principal, Role
from consult_desk.domain.text import parse_int
from consult_desk.services.loan_master import LoanMasterService
from consult_desk.services.settings import (
    DEFAULT_LOAN_OVERDUE_DAYS,
    LOAN_OVERDUE_RANGE,
    SettingsService,
)
from consult_desk.ui.widgets.inline_fields import NONE
from consult_desk.ui.widgets.master_form import (
    FormDialog,
    TermsFormDialog,
    fill_table,
    next_terms_start,
    short_hint,
    warn,
)
from consult_desk.ui.widgets.tables import make_table_widget, selected_row

# The loan desk and those who oversee it; consultants never pick a fund or a bank.
LOAN_DESK_ROLES = frozenset({Role.LOAN_OFFICER, Role.MANAGER, Role.ADMIN, Role.AUDITOR})


def shows_loan_master(principal: Principal) -> bool:
    return principal.can(Kind.MASTER, Action.READ) and bool(principal.roles & LOAN_DESK_ROLES)


# --- form dialogs -------------------------------------------------------------------------


class ProgramDialog(FormDialog):
    """資金種別の追加・編集."""

    def __init__(
        self,
        service: LoanMasterService,
        program: ProgramInfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            self.tr("資金種別の編集") if program else self.tr("資金種別の追加"), parent
        )
        self._service = service
        self._program = program
        self.name_edit = QLineEdit()
        self.name_edit.setMinimumWidth(280)
        self.startup_check = QCheckBox(
            self.tr("起業資金として扱う（創業計画の指導・実行後の診断）")
        )
        self.active_check = QCheckBox(self.tr("利用中（外すと新しい案件で選べなくなります）"))
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setFixedHeight(80)
        self._row("name", self.name_edit, label=self.tr("資金種別（必須）"))
        self._row("is_startup", self.startup_check, label=self.tr("種類"))
        self._row("active", self.active_check, label=self.tr("状態"))
        self._row("notes", self.notes_edit)
        value = program.as_input() if program else ProgramInput("")
        self.name_edit.setText(value.name)
        self.startup_check.setChecked(value.is_startup)
        self.active_check.setChecked(value.active)
        self.notes_edit.setPlainText(value.notes)
        self.resize(520, self.sizeHint().height())

    def value(self) -> ProgramInput:
        return ProgramInput(
            name=self.name_edit.text(),
            is_startup=self.startup_check.isChecked(),
            active=self.active_check.isChecked(),
            notes=self.notes_edit.toPlainText(),
            # Chosen on the plan page; kept as it is here.
            initiative_id=self._program.initiative_id if self._program else None,
        )

    def _client_errors(self) -> dict[str, str]:
        return {e.field: e.code for e in self.value().errors()}

    def _submit(self) -> int:
        if self._program is None:
            return self._service.add_program(self.value())
        self._service.update_program(self._program.id, self._program.version, self.value())
        return self._program.id


# The terms form: field → (kind of text, required). Money in yen, rates in %, whole months.
_TERMS_TEXT_FIELDS: dict[str, tuple[str, bool]] = {
    "valid_from": ("date", True),
    "valid_to": ("date", False),
    "limit_amount": ("yen", True),
    "max_term_months": ("int", True),
    "max_grace_months": ("int", True),
    "nominal_rate": ("rate", True),
    "subsidy_rate_resident": ("rate", True),
    "subsidy_rate_general": ("rate", True),
    "chokai_bonus_rate": ("rate", False),
    "guarantee_fee_subsidy_ratio": ("rate", False),
    "guarantee_fee_subsidy_cap": ("yen", False),
    "max_concurrent_loans": ("int", True),
}
_PARSE_CODES = {"date": "date.format", "yen": "number.format", "int": "number.format"}


class TermsDialog(TermsFormDialog):
    """融資条件（適用期間ごと）の追加・編集; a new one starts as a copy of the newest."""

    OVERLAP_CODE = "loan_terms.overlap"

    def __init__(
        self,
        service: LoanMasterService,
        program: ProgramInfo,
        terms: TermsInfo | None = None,
        newest: TermsInfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        title = self.tr("融資条件の編集: {0}") if terms else self.tr("融資条件の追加: {0}")
        super().__init__(title.format(program.name), parent)
        self._service = service
        self._program = program
        self._terms = terms
        self._newest = newest
        self.edits: dict[str, QLineEdit] = {}
        for name in _TERMS_TEXT_FIELDS:
            edit = QLineEdit()
            edit.setMaximumWidth(180)
            self.edits[name] = edit
        self.repayment_combo = QComboBox()
        for method in REPAYMENT_METHODS:
            self.repayment_combo.addItem(self.tr(method), method)
        self.borrower_label = QLabel()
        self.borrower_label.setStyleSheet("font-weight: bold; color: #1f3a5f;")
        e = self.edits
        e["valid_from"].setPlaceholderText(self.tr("例: 2026-04-01"))
        e["valid_to"].setPlaceholderText(self.tr("空欄: 定めなし"))
        e["limit_amount"].setPlaceholderText(self.tr("例: 2000万"))
        e["chokai_bonus_rate"].setPlaceholderText(self.tr("空欄: なし"))
        e["guarantee_fee_subsidy_ratio"].setPlaceholderText(self.tr("空欄: 補助なし"))
        e["guarantee_fee_subsidy_cap"].setPlaceholderText(self.tr("空欄: 上限なし"))
        self._row("valid_from", e["valid_from"])
        self._row("valid_to", e["valid_to"], short_hint(self.tr("この日を含みます")))
        self._row("limit_amount", e["limit_amount"])
        self._row("max_term_months", e["max_term_months"], short_hint(self.tr("据置期間を含む")))
        self._row("max_grace_months", e["max_grace_months"])
        self._row("repayment_method", self.repayment_combo)
        self._row("nominal_rate", e["nominal_rate"], short_hint(self.tr("％（年）")))
        self._row("subsidy_rate_resident", e["subsidy_rate_resident"], short_hint(self.tr("％")))
        self._row("subsidy_rate_general", e["subsidy_rate_general"], short_hint(self.tr("％")))
        self._row(
            "chokai_bonus_rate",
            e["chokai_bonus_rate"],
            short_hint(self.tr("％（町会・商店街振興組合の加入企業に上乗せ）")),
        )
        self.form.addRow(self.tr("本人負担率"), self.borrower_label)
        self._row(
            "guarantee_fee_subsidy_ratio",
            e["guarantee_fee_subsidy_ratio"],
            short_hint(self.tr("％（全額補助は100）")),
        )
        self._row("guarantee_fee_subsidy_cap", e["guarantee_fee_subsidy_cap"])
        self._row("max_concurrent_loans", e["max_concurrent_loans"], short_hint(self.tr("口まで")))
        for edit in self.edits.values():
            edit.textChanged.connect(lambda _text: self._update_borrower_rate())
        self._load()

    def _load(self) -> None:
        source = self._terms or self._newest
        if source is None:
            self.edits["valid_from"].setText(format_date(next_terms_start(None, japan_today())))
            self.edits["max_grace_months"].setText("0")
            self.edits["max_concurrent_loans"].setText("2")
        else:
            value = source.as_input()
            for name in _TERMS_TEXT_FIELDS:
                self.edits[name].setText(self._display(name, getattr(value, name)))
            self.repayment_combo.setCurrentIndex(
                max(self.repayment_combo.findData(value.repayment_method), 0)
            )
            if self._terms is None:  # a copy of the newest terms for the next period
                start = next_terms_start(source, japan_today())
                self.edits["valid_from"].setText(format_date(start))
                self.edits["valid_to"].setText("")
        self._update_borrower_rate()

    @staticmethod
    def _display(name: str, value: object) -> str:
        if value is None:
            return ""
        kind, _ = _TERMS_TEXT_FIELDS[name]
        if kind == "date" and isinstance(value, date):
            return format_date(value)
        if kind == "yen" and isinstance(value, int):
            return format_yen(value)
        if kind == "rate" and isinstance(value, Decimal):
            return format_rate(value, 0 if name == "guarantee_fee_subsidy_ratio" else 1)
        return str(value)

    def _parse(self, name: str) -> object:
        """The typed value; None when empty; ValueError when unreadable."""
        text = self.edits[name].text().strip()
        if not text:
            return None
        kind, _ = _TERMS_TEXT_FIELDS[name]
        if kind == "date":
            return parse_date(text)
        if kind == "rate":
            return parse_rate(text)
        return parse_int(text)

    def _collect(self) -> tuple[TermsInput | None, dict[str, str]]:
        values: dict[str, object] = {}
        problems: dict[str, str] = {}
        for name, (kind, required) in _TERMS_TEXT_FIELDS.items():
            try:
                values[name] = self._parse(name)
            except ValueError:
                problems[name] = _PARSE_CODES.get(kind, "rate.format")
                continue
            if values[name] is None and required:
                problems[name] = "required"
        if problems:
            return None, problems
        value = TermsInput(
            **values,  # type: ignore[arg-type]  # types follow _TERMS_TEXT_FIELDS
            repayment_method=self.repayment_combo.currentData(),
        )
        return value, {}

    def value(self) -> TermsInput | None:
        return self._collect()[0]

    def _client_errors(self) -> dict[str, str]:
        value, problems = self._collect()
        if value is None:
            return problems
        found: dict[str, str] = {}
        for error in value.errors():
            found.setdefault(error.field, error.code)
        return found

    def _reformat(self, name: str) -> None:
        if name not in self.edits:
            return
        try:
            parsed = self._parse(name)
        except ValueError:
            return  # left as typed; the error label says why
        if parsed is not None:
            self.edits[name].setText(self._display(name, parsed))

    def _update_borrower_rate(self) -> None:
        def rate(name: str) -> Decimal | None:
            try:
                parsed = self._parse(name)
            except ValueError:
                return None
            return parsed if isinstance(parsed, Decimal) else None

        nominal = rate("nominal_rate")
        resident, general = rate("subsidy_rate_resident"), rate("subsidy_rate_general")
        if nominal is None or resident is None or general is None:
            self.borrower_label.setText(NONE)
            return
        bonus = rate("chokai_bonus_rate")
        text = self.tr("区民 {0} ／ 一般 {1}").format(
            format_rate(nominal - resident), format_rate(nominal - general)
        )
        if bonus:
            text += self.tr("（町会加入: 区民 {0} ／ 一般 {1}）").format(
                format_rate(nominal - resident - bonus), format_rate(nominal - general - bonus)
            )
        self.borrower_label.setText(text)


class NameDialog(FormDialog):
    """A bank or a branch: a name and whether it is in use."""

    def __init__(
        self,
        title: str,
        name_label: str,
        submit: Callable[[str, bool], int],
        name: str = "",
        active: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, parent)
        self._submit_name = submit
        self.name_edit = QLineEdit(name)
        self.name_edit.setMinimumWidth(280)
        self.active_check = QCheckBox(self.tr("利用中"))
        self.active_check.setChecked(active)
        self._row("name", self.name_edit, label=name_label)
        self._row("active", self.active_check, label=self.tr("状態"))

    def _client_errors(self) -> dict[str, str]:
        errors = BankInput(self.name_edit.text()).errors()
        return {e.field: e.code for e in errors}

    def _submit(self) -> int:
        return self._submit_name(self.name_edit.text(), self.active_check.isChecked())


# --- tabs ---------------------------------------------------------------------------------


def _terms_cells(terms: TermsInfo) -> list[str]:
    ratio = terms.guarantee_fee_subsidy_ratio
    if ratio is None:
        guarantee = NONE
    elif terms.guarantee_fee_subsidy_cap is not None:
        cap = format_yen(terms.guarantee_fee_subsidy_cap)
        guarantee = f"{format_rate(ratio, 0)}（上限 {cap}）"
    else:
        guarantee = format_rate(ratio, 0)
    return [
        format_date(terms.valid_from),
        format_date(terms.valid_to) or NONE,
        format_yen(terms.limit_amount),
        str(terms.max_term_months),
        str(terms.max_grace_months),
        format_rate(terms.nominal_rate),
        f"{format_rate(terms.subsidy_rate_resident)} / {format_rate(terms.subsidy_rate_general)}",
        f"{format_rate(terms.borrower_rate_resident)} / {format_rate(terms.borrower_rate_general)}",
        format_rate(terms.chokai_bonus_rate) if terms.chokai_bonus_rate else NONE,
        guarantee,
        str(terms.max_concurrent_loans),
    ]


class LoanProgramsTab(QWidget):
    """資金種別 and, for the selected one, its terms by period (the newest first)."""

    def __init__(
        self, service: LoanMasterService, principal: Principal, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._programs: list[ProgramInfo] = []
        self._terms: list[TermsInfo] = []
        can_add = principal.can(Kind.MASTER, Action.CREATE)
        can_edit = principal.can(Kind.MASTER, Action.EDIT)
        self.programs_table = make_table_widget(
            [self.tr("資金種別"), self.tr("種類"), self.tr("状態"), self.tr("備考")]
        )
        self.terms_table = make_table_widget(
            [
                self.tr("適用開始"),
                self.tr("適用終了"),
                self.tr("限度額"),
                self.tr("期間(月)"),
                self.tr("据置(月)"),
                self.tr("名目利率"),
                self.tr("利子補給率\n(区民/一般)"),
                self.tr("本人負担率\n(区民/一般)"),
                self.tr("町会加算"),
                self.tr("保証料補助"),
                self.tr("口数"),
            ]
        )
        self.add_program_button = QPushButton(self.tr("資金種別を追加…"))
        self.edit_program_button = QPushButton(self.tr("資金種別を編集…"))
        self.add_terms_button = QPushButton(self.tr("条件を追加…"))
        self.edit_terms_button = QPushButton(self.tr("条件を編集…"))
        self.add_program_button.setEnabled(can_add)
        self.edit_program_button.setEnabled(can_edit)
        self.add_terms_button.setEnabled(can_add)
        self.edit_terms_button.setEnabled(can_edit)
        self.add_program_button.clicked.connect(self._add_program)
        self.edit_program_button.clicked.connect(self._edit_program)
        self.add_terms_button.clicked.connect(self._add_terms)
        self.edit_terms_button.clicked.connect(self._edit_terms)
        if can_edit:
            self.programs_table.doubleClicked.connect(lambda _index: self._edit_program())
            self.terms_table.doubleClicked.connect(lambda _index: self._edit_terms())
        self.programs_table.itemSelectionChanged.connect(self._program_selected)
        self.terms_title = QLabel()
        self.terms_title.setStyleSheet("font-weight: bold;")
        note = short_hint(
            self.tr(
                "条件は適用期間ごとに登録します（太字は本日適用中の条件）。"
                "あっせん済みの案件には、あっせん時の条件が写し取られているため、"
                "ここで条件を変えても変わりません。"
            )
        )
        note.setWordWrap(True)

        program_buttons = QHBoxLayout()
        program_buttons.addWidget(self.add_program_button)
        program_buttons.addWidget(self.edit_program_button)
        program_buttons.addStretch(1)
        terms_buttons = QHBoxLayout()
        terms_buttons.addWidget(self.terms_title)
        terms_buttons.addStretch(1)
        terms_buttons.addWidget(self.add_terms_button)
        terms_buttons.addWidget(self.edit_terms_button)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(program_buttons)
        layout.addWidget(self.programs_table, 2)
        layout.addLayout(terms_buttons)
        layout.addWidget(self.terms_table, 3)
        self.refresh()

    def refresh(self, select_id: int | None = None) -> None:
        current = self.selected_program()
        select_id = select_id or (current.id if current else None)
        self._programs = self._service.programs(include_inactive=True)
        rows = [
            [
                p.name,
                self.tr("起業資金") if p.is_startup else "",
                self.tr("利用中") if p.active else self.tr("停止中"),
                p.notes.replace("\n", " "),
            ]
            for p in self._programs
        ]
        fill_table(self.programs_table, rows)
        for row, program in enumerate(self._programs):
            notes = self.programs_table.item(row, 3)
            if notes is not None:
                notes.setToolTip(program.notes)  # the column elides long notes
        index = next((i for i, p in enumerate(self._programs) if p.id == select_id), 0)
        if self._programs:
            self.programs_table.selectRow(index)
        self._program_selected()

    def selected_program(self) -> ProgramInfo | None:
        row = selected_row(self.programs_table)
        return self._programs[row] if row is not None and row < len(self._programs) else None

    def selected_terms(self) -> TermsInfo | None:
        row = selected_row(self.terms_table)
        return self._terms[row] if row is not None and row < len(self._terms) else None

    def _program_selected(self) -> None:
        program = self.selected_program()
        self._terms = self._service.terms(program.id) if program else []
        title = self.tr("融資条件: {0}").format(program.name) if program else self.tr("融資条件")
        self.terms_title.setText(title)
        today = japan_today()
        in_force = frozenset(i for i, t in enumerate(self._terms) if t.in_force(today))
        fill_table(self.terms_table, [_terms_cells(t) for t in self._terms], in_force)
        self.terms_table.horizontalHeader().setStretchLastSection(False)

    def _add_program(self) -> None:
        dialog = ProgramDialog(self._service, parent=self)
        dialog.saved.connect(lambda program_id: self.refresh(program_id))
        dialog.exec()

    def _edit_program(self) -> None:
        program = self.selected_program()
        if program is None:
            return
        dialog = ProgramDialog(self._service, program, parent=self)
        dialog.saved.connect(lambda program_id: self.refresh(program_id))
        dialog.exec()

    def _add_terms(self) -> None:
        program = self.selected_program()
        if program is None:
            return
        newest = self._terms[0] if self._terms else None
        dialog = TermsDialog(self._service, program, newest=newest, parent=self)
        dialog.saved.connect(lambda _id: self._program_selected())
        dialog.exec()

    def _edit_terms(self) -> None:
        program, terms = self.selected_program(), self.selected_terms()
        if program is None or terms is None:
            return
        dialog = TermsDialog(self._service, program, terms, parent=self)
        dialog.saved.connect(lambda _id: self._program_selected())
        dialog.exec()


class BanksTab(QWidget):
    """指定金融機関 and the branches of the selected one."""

    def __init__(
        self, service: LoanMasterService, principal: Principal, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._banks: list[BankInfo] = []
        can_add = principal.can(Kind.MASTER, Action.CREATE)
        can_edit = principal.can(Kind.MASTER, Action.EDIT)
        self.banks_table = make_table_widget(
            [self.tr("金融機関"), self.tr("状態"), self.tr("支店数")]
        )
        self.branches_table = make_table_widget([self.tr("支店"), self.tr("状態")])
        self.add_bank_button = QPushButton(self.tr("金融機関を追加…"))
        self.edit_bank_button = QPushButton(self.tr("名称を変更…"))
        self.toggle_bank_button = QPushButton(self.tr("利用停止 / 再開"))
        self.add_branch_button = QPushButton(self.tr("支店を追加…"))
        self.edit_branch_button = QPushButton(self.tr("名称を変更…"))
        self.toggle_branch_button = QPushButton(self.tr("利用停止 / 再開"))
        for button, allowed, slot in (
            (self.add_bank_button, can_add, self._add_bank),
            (self.edit_bank_button, can_edit, self._edit_bank),
            (self.toggle_bank_button, can_edit, self._toggle_bank),
            (self.add_branch_button, can_add, self._add_branch),
            (self.edit_branch_button, can_edit, self._edit_branch),
            (self.toggle_branch_button, can_edit, self._toggle_branch),
        ):
            button.setEnabled(allowed)
            button.clicked.connect(slot)
        if can_edit:
            self.banks_table.doubleClicked.connect(lambda _index: self._edit_bank())
            self.branches_table.doubleClicked.connect(lambda _index: self._edit_branch())
        self.banks_table.itemSelectionChanged.connect(self._bank_selected)

        left = QVBoxLayout()
        left.addWidget(QLabel(self.tr("指定金融機関")))
        left.addWidget(self.banks_table)
        bank_buttons = QHBoxLayout()
        for button in (self.add_bank_button, self.edit_bank_button, self.toggle_bank_button):
            bank_buttons.addWidget(button)
        bank_buttons.addStretch(1)
        left.addLayout(bank_buttons)
        right = QVBoxLayout()
        self.branches_title = QLabel(self.tr("支店"))
        right.addWidget(self.branches_title)
        right.addWidget(self.branches_table)
        branch_buttons = QHBoxLayout()
        for button in (self.add_branch_button, self.edit_branch_button, self.toggle_branch_button):
            branch_buttons.addWidget(button)
        branch_buttons.addStretch(1)
        right.addLayout(branch_buttons)
        note = short_hint(
            self.tr(
                "使わなくなった金融機関・支店は「利用停止」にします"
                "（過去の案件が参照しているため削除はできません）。"
            )
        )
        note.setWordWrap(True)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(columns)
        self.refresh()

    def refresh(self, select_id: int | None = None) -> None:
        current = self.selected_bank()
        select_id = select_id or (current.id if current else None)
        self._banks = self._service.banks(include_inactive=True)
        rows = [
            [b.name, self.tr("利用中") if b.active else self.tr("停止中"), str(len(b.branches))]
            for b in self._banks
        ]
        fill_table(self.banks_table, rows)
        index = next((i for i, b in enumerate(self._banks) if b.id == select_id), 0)
        if self._banks:
            self.banks_table.selectRow(index)
        self._bank_selected()

    def selected_bank(self) -> BankInfo | None:
        row = selected_row(self.banks_table)
        return self._banks[row] if row is not None and row < len(self._banks) else None

    def selected_branch(self) -> BranchInfo | None:
        bank = self.selected_bank()
        row = selected_row(self.branches_table)
        if bank is None or row is None or row >= len(bank.branches):
            return None
        return bank.branches[row]

    def _bank_selected(self) -> None:
        bank = self.selected_bank()
        branches = bank.branches if bank else ()
        self.branches_title.setText(self.tr("支店: {0}").format(bank.name) if bank else "")
        fill_table(
            self.branches_table,
            [[b.name, self.tr("利用中") if b.active else self.tr("停止中")] for b in branches],
        )

    def _run(self, dialog: NameDialog, select_bank: int | None) -> None:
        dialog.saved.connect(lambda _id: self.refresh(select_bank))
        dialog.exec()

    def _add_bank(self) -> None:
        def submit(name: str, active: bool) -> int:
            return self._service.add_bank(BankInput(name, active))

        dialog = NameDialog(self.tr("金融機関の追加"), self.tr("金融機関名"), submit, parent=self)
        dialog.saved.connect(lambda bank_id: self.refresh(bank_id))
        dialog.exec()

    def _edit_bank(self) -> None:
        bank = self.selected_bank()
        if bank is None:
            return

        def submit(name: str, active: bool) -> int:
            self._service.update_bank(bank.id, bank.version, BankInput(name, active))
            return bank.id

        title = self.tr("金融機関の編集")
        self._run(
            NameDialog(title, self.tr("金融機関名"), submit, bank.name, bank.active, self),
            bank.id,
        )

    def _toggle_bank(self) -> None:
        bank = self.selected_bank()
        if bank is None:
            return
        try:
            self._service.update_bank(bank.id, bank.version, BankInput(bank.name, not bank.active))
        except DomainError as error:
            warn(self, error)
        self.refresh(bank.id)

    def _add_branch(self) -> None:
        bank = self.selected_bank()
        if bank is None:
            return

        def submit(name: str, active: bool) -> int:
            return self._service.add_branch(bank.id, BranchInput(name, active))

        title = self.tr("支店の追加: {0}").format(bank.name)
        self._run(NameDialog(title, self.tr("支店名"), submit, parent=self), bank.id)

    def _edit_branch(self) -> None:
        bank, branch = self.selected_bank(), self.selected_branch()
        if bank is None or branch is None:
            return

        def submit(name: str, active: bool) -> int:
            self._service.update_branch(branch.id, branch.version, BranchInput(name, active))
            return branch.id

        title = self.tr("支店の編集: {0}").format(bank.name)
        self._run(
            NameDialog(title, self.tr("支店名"), submit, branch.name, branch.active, self),
            bank.id,
        )

    def _toggle_branch(self) -> None:
        bank, branch = self.selected_bank(), self.selected_branch()
        if bank is None or branch is None:
            return
        row = selected_row(self.branches_table)
        try:
            self._service.update_branch(
                branch.id, branch.version, BranchInput(branch.name, not branch.active)
            )
        except DomainError as error:
            warn(self, error)
        self.refresh(bank.id)
        if row is not None:
            self.branches_table.selectRow(row)


class LoanDeadlinesTab(QWidget):
    """案件の期限: days a case may wait in a state before the pipeline marks it overdue."""

    def __init__(
        self, settings: SettingsService, principal: Principal, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        can_edit = principal.can(Kind.MASTER, Action.ADMINISTER)
        note = short_hint(
            self.tr(
                "融資あっせん案件が次の状態のまま指定の日数を過ぎると、"
                "一覧で「期限超過」として表示されます。"
            )
        )
        note.setWordWrap(True)
        self.spins: dict[str, QSpinBox] = {}
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for code in DEFAULT_LOAN_OVERDUE_DAYS:
            spin = QSpinBox()
            spin.setRange(*LOAN_OVERDUE_RANGE)
            spin.setSuffix(self.tr(" 日"))
            spin.setMaximumWidth(120)
            spin.setEnabled(can_edit)
            self.spins[code] = spin
            form.addRow(self.tr(LoanState(code).label), spin)
        self.save_button = QPushButton(self.tr("保存"))
        self.defaults_button = QPushButton(self.tr("既定値に戻す"))
        self.save_button.setEnabled(can_edit)
        self.defaults_button.setEnabled(can_edit)
        self.save_button.clicked.connect(self._save)
        self.defaults_button.clicked.connect(self._defaults)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.defaults_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        for code, days in self._settings.loan_overdue_days().items():
            if code in self.spins:
                self.spins[code].setValue(days)

    def values(self) -> dict[str, int]:
        return {code: spin.value() for code, spin in self.spins.items()}

    def _defaults(self) -> None:
        for code, days in DEFAULT_LOAN_OVERDUE_DAYS.items():
            self.spins[code].setValue(days)

    def _save(self) -> None:
        try:
            self._settings.set_loan_overdue_days(self.values())
        except DomainError as error:
            warn(self, error)
            self.refresh()
            return
        QMessageBox.information(self, "consult-desk", self.tr("案件の期限を保存しました。"))

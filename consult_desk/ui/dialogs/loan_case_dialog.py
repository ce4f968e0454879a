"""融資あっせんの案件: the 相談カード, the case's state with one button per allowed step, its
history, and the repayment schedule with the ward's interest subsidy.

Each step opens a small form asking exactly the step's fields. What the service would say shows
while the officer types (``LoanService.preview``): errors block the step, warnings need a tick.
Forms open with ``open()`` (window-modal, not a nested event loop), so the case window can
reload under them when someone else changed the case meanwhile.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.errors import Conflict, DomainError, FieldError, ValidationError
from consult_desk.domain.fiscal import (
    format_date,
    format_yen,
    japan_today,
    parse_date,
    wareki_fiscal_year,
)
from consult_desk.domain.loan_programs import BankInfo, TermsInfo, format_rate, parse_rate
from consult_desk.domain.loan_schedule import Instalment, subsidy_by_fiscal_year
from consult_desk.domain.loans import (
    ACTIVE_LOAN,
    ELIGIBILITY_FIELDS,
    STEPS,
    LoanCaseInput,
    LoanEvent,
    LoanState,
    Step,
    StepInput,
    StepName,
    SubsidyStopReason,
    earliest_referral,
)
from consult_desk.domain.permissions import MASK, Action, Kind, Principal
from consult_desk.domain.text import parse_int
from consult_desk.services.businesses import BusinessService
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.loan_master import LoanMasterService
from consult_desk.services.loans import LoanCaseView, LoanService
from consult_desk.services.reference import ReferenceService
from consult_desk.ui.messages import error_text, label_for, text_for
from consult_desk.ui.widgets.business_picker import BusinessPicker
from consult_desk.ui.widgets.facts import FactsPanel
from consult_desk.ui.widgets.inline_fields import (
    NONE,
    OVERDUE_STYLE,
    PRIMARY_STYLE,
    STATE_STYLE,
    WARNING_STYLE,
    GuardedDialog,
    error_label,
    hint,
    plain,
    select_data,
    set_error,
)
from consult_desk.ui.widgets.layouts import clear_layout
from consult_desk.ui.widgets.step_form import CheckedForm

AMOUNT_FIELDS = frozenset(
    {"requested_amount", "referral_amount", "approved_amount", "guarantee_fee", "executed_amount"}
)
MONTH_FIELDS = frozenset({"term_months", "grace_months"})
UNDONE_BRUSH = QColor("#888888")
# The 相談カード's fields that can be corrected after the case is opened, in the card's order
# (bank before branch: choosing a bank refills the branches).
CARD_FIELDS = (
    "requested_amount",
    "purpose",
    "interviewer",
    "bank_id",
    "branch_id",
    "officer_id",
)
# The step a case most often takes next is the bold one: the first of these the state allows.
# 書類不備で保留 is never it (a detour, not the way forward).
PRIMARY_STEPS = (
    StepName.START_COACHING,  # offered for 起業資金 only, which needs the coaching first
    StepName.RECEIVE,
    StepName.START_REVIEW,
    StepName.RESUME,
    StepName.REFER,
    StepName.BANK_RECEIVED,
    StepName.TO_CGC,
    StepName.GUARANTEE,
    StepName.EXECUTE,
    StepName.START_GRACE,
    StepName.START_REPAYING,
    StepName.REPAY,
)
KIND_TITLES = {
    "undo": "取消し",
    "interview": "面談記録",
    "prepayment": "繰上償還",
    "subsidy_stop": "利子補給を停止",
    "note": "メモ",
}


def _yen(amount: int | None, visible: bool = True) -> str:
    if not visible:
        return MASK
    return format_yen(amount) or NONE


def _days(value: float | None) -> str:
    return NONE if value is None else f"{value:g}日"


class AmountEdit(QLineEdit):
    """Yen as people type them: 5000000, 5,000,000, 500万, ５００万円."""

    def __init__(self, value: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__("" if value is None else f"{value:,}", parent)
        self.setPlaceholderText(self.tr("例: 500万 / 5,000,000"))

    def amount(self) -> int | None:
        """None when empty; ValueError when it is not an amount."""
        text = self.text().strip()
        return parse_int(text) if text else None

    def reading(self) -> str:
        """What the typed text is read as, shown next to the field."""
        try:
            amount = self.amount()
        except ValueError:
            return ""
        return "" if amount is None else f"= {format_yen(amount)}"


def _amount_row(edit: AmountEdit) -> tuple[QWidget, QLabel]:
    reading = hint(edit.reading())
    edit.textChanged.connect(lambda _t: reading.setText(edit.reading()))
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    layout.addWidget(reading, 1)
    return row, reading


def _bank_combos(banks: list[BankInfo]) -> tuple[QComboBox, QComboBox]:
    bank_combo = QComboBox()
    bank_combo.addItem("（未定）", None)
    for bank in banks:
        bank_combo.addItem(bank.name, bank.id)
    branch_combo = QComboBox()

    def fill_branches() -> None:
        current = branch_combo.currentData()
        branch_combo.clear()
        branch_combo.addItem("（未定）", None)
        bank = next((b for b in banks if b.id == bank_combo.currentData()), None)
        for branch in bank.branches if bank else ():
            branch_combo.addItem(branch.name, branch.id)
        select_data(branch_combo, current)

    bank_combo.currentIndexChanged.connect(fill_branches)
    fill_branches()
    return bank_combo, branch_combo


# --- the step form ------------------------------------------------------------------------


class StepForm(CheckedForm):
    """One step of the case: exactly its fields, the date first, live checks below each.

    ``conflict``: the case changed meanwhile; the case window reloads and tells."""

    # A branch list refilled for another bank counts as the user's change.
    COMBO_CHANGE_IS_EDIT = True

    def __init__(
        self,
        loans: LoanService,
        case: LoanCaseView,
        step: Step,
        banks: list[BankInfo],
        terms: TermsInfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("記録する", parent)
        self._loans = loans
        self.case = case
        self.step = step
        self.version: int | None = None
        self.setWindowTitle(f"{step.label} — {case.business_name}")
        self.setMinimumWidth(560)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.date_edit = QLineEdit(japan_today().isoformat())
        self.date_hint = hint()
        date_row = QWidget()
        date_layout = QHBoxLayout(date_row)
        date_layout.setContentsMargins(0, 0, 0, 0)
        date_layout.addWidget(self.date_edit, 1)
        date_layout.addWidget(self.date_hint, 2)
        self._add(form, "occurred_on", self.tr("手続きの日"), date_row, self.date_edit, True)
        if step.name == StepName.REFER:
            earliest = earliest_referral(case.received_on)
            form.addRow(
                "",
                hint(
                    self.tr("交付できるのは {0} 以降です（受付日 {1} から3営業日後）。").format(
                        format_date(earliest), format_date(case.received_on)
                    )
                ),
            )
        checks: list[QCheckBox] = []
        for name in (*step.required, *step.optional):
            required = name in step.required
            if name in ELIGIBILITY_FIELDS:
                check = QCheckBox(label_for(name))
                check.setChecked(bool(case.eligibility.get(name)))
                self.inputs[name] = check
                checks.append(check)
                continue
            widget, row = self._widget(name, banks)
            self._add(form, name, label_for(name), row, widget, required)
            if text := self._hint_for(name, terms):
                form.addRow("", hint(text))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        if checks:
            box = QGroupBox(self.tr("あっせん要件の確認（満たしているものにチェック）"))
            box_layout = QVBoxLayout(box)
            for check in checks:
                box_layout.addWidget(check)
            layout.addWidget(box)
        layout.addWidget(hint(self.tr("＊は必須です。")))
        layout.addWidget(self.general_error)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.confirm_check)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.watch_fields()
        self.check()
        first = next(
            (w for n, w in self.inputs.items() if n not in ELIGIBILITY_FIELDS), self.date_edit
        )
        first.setFocus()

    # --- building -------------------------------------------------------------------------

    def _add(
        self,
        form: QFormLayout,
        name: str,
        label: str,
        row: QWidget,
        widget: QWidget,
        required: bool,
    ) -> None:
        box = QWidget()
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.setSpacing(1)
        box_layout.addWidget(row)
        self.errors[name] = error_label()
        box_layout.addWidget(self.errors[name])
        form.addRow(label + (" ＊" if required else ""), box)
        if name != "occurred_on":
            self.inputs[name] = widget

    def _widget(self, name: str, banks: list[BankInfo]) -> tuple[QWidget, QWidget]:
        """The input for a field and the row that holds it."""
        case = self.case
        if name in AMOUNT_FIELDS:
            default = {
                "requested_amount": case.requested_amount,
                "referral_amount": case.requested_amount,
                "approved_amount": case.referral_amount,
                "executed_amount": case.approved_amount or case.referral_amount,
            }.get(name)
            amount = AmountEdit(default)
            row, _hint_label = _amount_row(amount)
            return amount, row
        if name in MONTH_FIELDS:
            spin = QSpinBox()
            spin.setRange(0, 360)
            spin.setSuffix(self.tr(" か月"))
            spin.setMaximumWidth(140)
            spin.setValue((case.max_term_months or 60) if name == "term_months" else 0)
            return spin, spin
        if name == "nominal_rate":
            edit = QLineEdit(format_rate(case.nominal_rate).removesuffix("%"))
            edit.setPlaceholderText(self.tr("例: 2.1"))
            row = QWidget()
            row_layout = QHBoxLayout(row)
            row_layout.setContentsMargins(0, 0, 0, 0)
            row_layout.addWidget(edit, 1)
            row_layout.addWidget(QLabel("%"), 1)
            return edit, row
        if name == "bank_id":
            self._bank_combo, self._branch_combo = _bank_combos(banks)
            select_data(self._bank_combo, case.bank_id, case.bank_name)
            select_data(self._branch_combo, case.branch_id, case.branch_name)
            return self._bank_combo, self._bank_combo
        if name == "branch_id":
            return self._branch_combo, self._branch_combo
        if name == "due_on":
            edit = QLineEdit()
            edit.setPlaceholderText(self.tr("例: 2026-12-05 / R8.12.5"))
            return edit, edit
        if name == "reason":
            reason = plain()
            return reason, reason
        text = {"interviewer": case.interviewer, "receipt_number": case.receipt_number}
        edit = QLineEdit(text.get(name, ""))
        return edit, edit

    def _hint_for(self, name: str, terms: TermsInfo | None) -> str:
        case, visible = self.case, self.case.amounts_visible
        if name == "referral_amount" and terms is not None and visible:
            return self.tr("この資金の限度額 {0}").format(format_yen(terms.limit_amount))
        if name == "approved_amount" and case.referral_amount is not None:
            return self.tr("あっせん額 {0} まで").format(format_yen(case.referral_amount))
        if name == "executed_amount":
            ceiling = case.approved_amount or case.referral_amount
            if ceiling is not None:
                what = self.tr("承諾額") if case.approved_amount else self.tr("あっせん額")
                return self.tr("{0} {1} まで").format(what, format_yen(ceiling))
        if name == "term_months" and case.max_term_months:
            return self.tr("この資金の最長 {0}か月（据置を含む）").format(case.max_term_months)
        if name == "grace_months" and case.max_grace_months is not None:
            return self.tr("最長 {0}か月").format(case.max_grace_months)
        if name == "nominal_rate" and case.subsidy_rate is not None:
            return self.tr("区の利子補給率 {0}（名目利率はこれ以上）").format(
                format_rate(case.subsidy_rate)
            )
        return ""

    # --- reading and checking -------------------------------------------------------------

    def collect(self) -> tuple[StepInput, dict[str, str]]:
        """The typed values, and the fields that could not be read (with their code)."""
        unreadable: dict[str, str] = {}
        try:
            on = parse_date(self.date_edit.text())
            self.date_hint.setText(format_date(on))
        except ValueError:
            unreadable["occurred_on"] = "date.format"
            on = japan_today()
            self.date_hint.setText("")
        values: dict[str, Any] = {}
        for name, widget in self.inputs.items():
            try:
                values[name] = self._read(name, widget)
            except ValueError:
                codes = {"due_on": "date.format", "nominal_rate": "rate.format"}
                unreadable[name] = codes.get(name, "number.format")
                values[name] = None
        return StepInput(self.step.name, on, **values), unreadable

    @staticmethod
    def _read(name: str, widget: QWidget) -> object:
        if isinstance(widget, AmountEdit):
            return widget.amount()
        if isinstance(widget, QSpinBox):
            return widget.value()
        if isinstance(widget, QComboBox):
            return widget.currentData()
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QPlainTextEdit):
            return widget.toPlainText()
        assert isinstance(widget, QLineEdit)
        text = widget.text().strip()
        if name == "nominal_rate":
            return parse_rate(text) if text else None
        if name == "due_on":
            return parse_date(text) if text else None
        return widget.text()

    def check(self) -> tuple[StepInput, dict[str, str], list[FieldError]]:
        """Ask the service what it would say about the step as typed, and show it."""
        self._timer.stop()
        value, errors = self.collect()
        warnings: list[FieldError] = []
        try:
            findings = self._loans.preview(self.case.id, value)
        except DomainError as error:
            errors.setdefault("step", error.code)
        else:
            for found in findings.errors:
                errors.setdefault(found.field, found.code)
            warnings = findings.warnings
        self._show(errors, warnings)
        return value, errors, warnings

    def fields(self) -> dict[str, QWidget]:
        return {"occurred_on": self.date_edit, **self.inputs}

    def is_conflict(self, errors: dict[str, str]) -> bool:
        # The form was opened for a step the case allowed: someone moved it meanwhile.
        return errors.get("step") == "loan.step_not_allowed"

    def warning_line(self, warning: FieldError) -> str:
        return f"・{label_for(warning.field)}: {text_for(warning.code)}"

    def submit(self, value: StepInput) -> None:
        self.version, self.warnings = self._loans.advance(self.case.id, self.case.version, value)


# --- small forms: interview, prepayment, subsidy stop -------------------------------------


class NoteForm(QDialog):
    """A few fields and a save that calls the service; its errors show under each field."""

    conflict = Signal()

    def __init__(
        self,
        title: str,
        rows: list[tuple[str, str, QWidget]],
        submit: Callable[[], int],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(480)
        self._submit = submit
        self.version: int | None = None
        self.inputs = {name: widget for name, _label, widget in rows}
        self.errors: dict[str, QLabel] = {}
        form = QFormLayout()
        for name, label, widget in rows:
            box = QWidget()
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 0, 0, 0)
            box_layout.addWidget(widget)
            self.errors[name] = error_label()
            box_layout.addWidget(self.errors[name])
            form.addRow(label, box)
        self.general_error = error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.general_error)
        layout.addWidget(self.buttons)
        if rows:
            rows[0][2].setFocus()

    def accept(self) -> None:
        for label in (*self.errors.values(), self.general_error):
            set_error(label, "")
        try:
            self.version = self._submit()
        except ValidationError as error:
            general = []
            for found in error.errors:
                if found.field in self.errors:
                    set_error(self.errors[found.field], text_for(found.code))
                else:
                    general.append(text_for(found.code))
            set_error(self.general_error, "\n".join(general))
            return
        except Conflict:
            self.conflict.emit()
            return
        except DomainError as error:
            set_error(self.general_error, error_text(error))
            return
        super().accept()


def _primary_step(case: LoanCaseView) -> StepName | None:
    """The forward step shown bold: the usual way on (never 保留); None when there is none."""
    offered = {s.name for s in case.steps if not s.exit}
    if case.grace_months == 0:  # executed without grace: repayment starts at once
        offered.discard(StepName.START_GRACE)
    return next((name for name in PRIMARY_STEPS if name in offered), None)


def _date_value(edit: QLineEdit) -> date:
    try:
        return parse_date(edit.text())
    except ValueError:
        raise ValidationError([FieldError("occurred_on", "date.format")]) from None


# --- the case window ----------------------------------------------------------------------


class LoanCaseDialog(GuardedDialog):
    """A new case (the 相談カード) or an existing one with its steps, history and schedule.

    - ``changed`` carries the case id after anything was saved (created, step, undo, note),
      so lists and カルテ refresh; ``open_consultation`` asks the main window to open one.
    - A consultant (read only, no amounts) sees the state and history without amounts and
      without buttons; the service would refuse anyway.
    """

    changed = Signal(int)
    open_consultation = Signal(int)

    def __init__(
        self,
        loans: LoanService,
        loan_master: LoanMasterService,
        businesses: BusinessService,
        reference: ReferenceService,
        principal: Principal,
        case_id: int | None = None,
        business_id: int | None = None,
        consultation_id: int | None = None,
        thresholds: dict[str, int] | None = None,
        consultations: ConsultationService | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._loans = loans
        self._loan_master = loan_master
        self._consultations = consultations
        self._principal = principal
        self._thresholds = thresholds or {}
        self.case_id = case_id
        self.case: LoanCaseView | None = None
        self.events: list[LoanEvent] = []
        self.schedule: list[Instalment] = []
        self.consultation_id = consultation_id
        self.step_form: StepForm | None = None
        self.note_form: NoteForm | None = None
        self.step_buttons: dict[StepName, QPushButton] = {}
        self.exit_actions: dict[StepName, QAction] = {}
        self._loading = True
        self._changed = False
        self._can_save = False
        self._card_loaded: dict[str, object] = {}  # the card as last filled from the case
        self._terms_cache: dict[tuple[int, date], TermsInfo | None] = {}
        self._banks = loan_master.banks()
        self._programs = loan_master.programs(include_inactive=case_id is not None)
        self.resize(1040, 760)

        # --- header (an existing case) ---
        self.title_label = QLabel()
        self.title_label.setObjectName("pageTitle")
        self.state_label = QLabel()
        self.state_label.setStyleSheet(STATE_STYLE)
        self.days_label = QLabel()
        self.overdue_label = QLabel()
        self.overdue_label.setStyleSheet(OVERDUE_STYLE)
        self.overdue_label.hide()  # only an existing case past its state's limit shows it
        self.consultation_button = QPushButton()
        self.consultation_button.clicked.connect(self._open_consultation)
        self.actions_box = QWidget()
        self.actions_layout = QHBoxLayout(self.actions_box)
        self.actions_layout.setContentsMargins(0, 0, 0, 0)
        self.actions_box.hide()  # until a case with steps is shown
        self.exit_button = QPushButton(self.tr("終了…"))
        self.exit_menu = QMenu(self.exit_button)
        self.exit_button.setMenu(self.exit_menu)
        self.undo_button = QPushButton(self.tr("直前の操作を取り消す…"))
        self.undo_button.clicked.connect(self.undo_last)
        self.interview_button = QPushButton(self.tr("面談記録を追加…"))
        self.interview_button.clicked.connect(self.add_interview)

        # --- the 相談カード ---
        self.business_picker = BusinessPicker(businesses)
        self.business_picker.picked.connect(self._mark_changed)
        self.program_combo = QComboBox()
        for program in self._programs:
            self.program_combo.addItem(program.name, program.id)
        self.received_edit = QLineEdit(japan_today().isoformat())
        self.received_hint = hint()
        self.requested_edit = AmountEdit()
        self.limit_warning = QLabel()
        self.limit_warning.setStyleSheet(WARNING_STYLE)
        self.limit_warning.setWordWrap(True)
        self.limit_warning.hide()
        self.purpose_edit = plain(70)
        self.purpose_edit.setPlaceholderText(self.tr("例: 運転資金（仕入）、厨房設備の入替え"))
        self.interviewer_edit = QLineEdit()
        self.interviewer_edit.setPlaceholderText(self.tr("例: 山田 一郎（中小企業診断士）"))
        self.bank_combo, self.branch_combo = _bank_combos(self._banks)
        self.officer_combo = QComboBox()
        self.officer_combo.addItem(self.tr("（未定）"), None)
        for member in reference.staff():
            self.officer_combo.addItem(member.name, member.id)
        self.card_errors: dict[str, QLabel] = {}
        self.card_error = error_label()
        self.save_button = QPushButton(self.tr("相談カードを保存（Ctrl+S）"))
        self.save_button.clicked.connect(self.save)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)

        # --- what happened so far, history, schedule ---
        self.facts = FactsPanel()
        self.history_table = QTableWidget(0, 6)
        self.history_table.setHorizontalHeaderLabels(
            [
                self.tr("日付"),
                self.tr("手続き"),
                self.tr("状態"),
                self.tr("担当"),
                self.tr("理由"),
                self.tr("内容"),
            ]
        )
        self.schedule_table = QTableWidget(0, 6)
        self.schedule_table.setHorizontalHeaderLabels(
            [
                self.tr("回"),
                self.tr("期日"),
                self.tr("元金"),
                self.tr("利息"),
                self.tr("利子補給"),
                self.tr("残高"),
            ]
        )
        self.years_table = QTableWidget(0, 2)
        self.years_table.setHorizontalHeaderLabels([self.tr("年度"), self.tr("利子補給")])
        for table, widths in (
            (self.history_table, (125, 140, 200, 80, 130)),
            (self.schedule_table, (80, 130, 105, 95, 95)),
            (self.years_table, (110,)),
        ):
            table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.setWordWrap(False)
            table.verticalHeader().hide()
            table.verticalHeader().setDefaultSectionSize(24)
            table.horizontalHeader().setStretchLastSection(True)
            for column, width in enumerate(widths):
                table.setColumnWidth(column, width)
        self.schedule_summary = hint()
        self.prepay_button = QPushButton(self.tr("繰上償還を記録…"))
        self.prepay_button.clicked.connect(self.record_prepayment)
        self.stop_button = QPushButton(self.tr("利子補給を停止…"))
        self.stop_button.clicked.connect(self.stop_subsidy)

        self._build_layout()
        self._connect_changes()
        if case_id is not None:
            self.reload()
        else:
            self.setWindowTitle(self.tr("融資あっせん — 新しい案件"))
            self._select_officer(principal.staff_id)
            if business_id is not None:
                self.business_picker.set_business(business_id)
            self._show_consultation()
            self._apply_mode()
            self.business_picker.setFocus()
        self._show_received_hint()
        self._loading = False

    # --- layout ---------------------------------------------------------------------------

    def _card_row(self, form: QFormLayout, name: str, widget: QWidget, label: str = "") -> None:
        box = QWidget()
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.setSpacing(1)
        box_layout.addWidget(widget)
        self.card_errors[name] = error_label()
        box_layout.addWidget(self.card_errors[name])
        form.addRow(label or label_for(name), box)

    def _build_layout(self) -> None:
        header = QHBoxLayout()
        header.addWidget(self.title_label)
        header.addWidget(self.state_label)
        header.addWidget(self.days_label)
        header.addWidget(self.overdue_label)
        header.addStretch(1)
        header.addWidget(self.consultation_button)

        card = QGroupBox(self.tr("相談カード"))
        card_layout = QVBoxLayout(card)
        form = QFormLayout()
        card_layout.addLayout(form)
        card_layout.addStretch(1)  # the rows keep their height; the space goes below
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._card_row(form, "business_id", self.business_picker)
        self._card_row(form, "program_id", self.program_combo)
        received = QWidget()
        received_layout = QHBoxLayout(received)
        received_layout.setContentsMargins(0, 0, 0, 0)
        received_layout.addWidget(self.received_edit, 1)
        received_layout.addWidget(self.received_hint, 1)
        self._card_row(form, "received_on", received)
        requested, self.requested_hint = _amount_row(self.requested_edit)
        requested_box = QWidget()
        requested_layout = QVBoxLayout(requested_box)
        requested_layout.setContentsMargins(0, 0, 0, 0)
        requested_layout.setSpacing(1)
        requested_layout.addWidget(requested)
        requested_layout.addWidget(self.limit_warning)
        self._card_row(form, "requested_amount", requested_box)
        self._card_row(form, "purpose", self.purpose_edit)
        self._card_row(form, "interviewer", self.interviewer_edit)
        self._card_row(form, "bank_id", self.bank_combo)
        self._card_row(form, "branch_id", self.branch_combo)
        self._card_row(form, "officer_id", self.officer_combo)
        form.addRow("", self.card_error)
        form.addRow("", self.save_button)

        facts_box = QGroupBox(self.tr("あっせん・融資の内容"))
        QVBoxLayout(facts_box).addWidget(self.facts)
        self.facts_box = facts_box
        case_tab = QWidget()
        case_layout = QHBoxLayout(case_tab)
        case_layout.addWidget(card, 1)
        case_layout.addWidget(facts_box, 1)

        history_tab = QWidget()
        QVBoxLayout(history_tab).addWidget(self.history_table)

        schedule_tab = QWidget()
        schedule_layout = QVBoxLayout(schedule_tab)
        schedule_layout.addWidget(self.schedule_summary)
        tables = QHBoxLayout()
        tables.addWidget(self.schedule_table, 3)
        years = QVBoxLayout()
        years.addWidget(QLabel(self.tr("年度別の利子補給（区の負担）")))
        years.addWidget(self.years_table)
        tables.addLayout(years, 1)
        schedule_layout.addLayout(tables, 1)
        schedule_buttons = QHBoxLayout()
        schedule_buttons.addStretch(1)
        schedule_buttons.addWidget(self.prepay_button)
        schedule_buttons.addWidget(self.stop_button)
        schedule_layout.addLayout(schedule_buttons)

        self.tabs = QTabWidget()
        self.tabs.addTab(case_tab, self.tr("案件"))
        self.tabs.addTab(history_tab, self.tr("経過"))
        self.tabs.addTab(schedule_tab, self.tr("返済・利子補給"))
        self.history_tab, self.schedule_tab = history_tab, schedule_tab

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.actions_box)
        layout.addWidget(self.tabs, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)

    def _connect_changes(self) -> None:
        for edit in (self.received_edit, self.requested_edit, self.interviewer_edit):
            edit.textChanged.connect(self._mark_changed)
        self.purpose_edit.textChanged.connect(self._mark_changed)
        for combo in (self.program_combo, self.bank_combo, self.branch_combo, self.officer_combo):
            combo.currentIndexChanged.connect(self._mark_changed)
        self.requested_edit.textChanged.connect(self._check_amount)
        self.requested_edit.textChanged.connect(self._check_limit)
        self.program_combo.currentIndexChanged.connect(self._check_limit)
        self.received_edit.editingFinished.connect(self._show_received_hint)

    # --- loading --------------------------------------------------------------------------

    def reload(self, keep_card: bool = False) -> list[str]:
        """Read the case again and show it.

        With ``keep_card`` the card shows what is stored now, except the fields the user
        changed since the card was filled: those keep the user's input. Returns the fields
        the user changed that someone else changed too (to be named to the user).
        """
        assert self.case_id is not None
        mine = self._card_values() if keep_card else {}
        loaded = dict(self._card_loaded)
        case = self._loans.get(self.case_id)
        self.case = case
        self.consultation_id = case.consultation_id
        self.events = self._loans.history(case.id)
        self.schedule = self._loans.schedule(case.id) if case.executed_on else []
        self.setWindowTitle(self.tr("融資あっせん — {0}").format(case.business_name))
        self.title_label.setText(f"{case.business_name}　{case.program_name}")
        self.state_label.setText(case.state.label)
        days = (japan_today() - case.status_since).days
        self.days_label.setText(
            self.tr("{0}日目（{1}から）").format(days, format_date(case.status_since))
        )
        limit = self._thresholds.get(case.state.value)
        self.overdue_label.setText(
            self.tr("期限超過（{0}日）").format(limit) if limit and days >= limit else ""
        )
        self.overdue_label.setVisible(bool(self.overdue_label.text()))
        self._fill_card(case)
        clashes = self._restore_edits(mine, loaded) if keep_card else []
        self._show_consultation()
        self._fill_actions(case)
        self._fill_facts(case)
        self._fill_history()
        self._fill_schedule(case)
        self._apply_mode()
        self._check_limit()
        return clashes

    def _card_values(self) -> dict[str, object]:
        """The correctable fields as they stand in the card (raw, to be put back as typed)."""
        return {
            "requested_amount": self.requested_edit.text(),
            "purpose": self.purpose_edit.toPlainText(),
            "interviewer": self.interviewer_edit.text(),
            "bank_id": self.bank_combo.currentData(),
            "branch_id": self.branch_combo.currentData(),
            "officer_id": self.officer_combo.currentData(),
        }

    @staticmethod
    def _same(name: str, a: object, b: object) -> bool:
        """Whether two card values mean the same (500万 is 5,000,000)."""
        if name == "requested_amount" and isinstance(a, str) and isinstance(b, str):
            try:
                return parse_int(a.strip() or "0") == parse_int(b.strip() or "0") and (
                    bool(a.strip()) == bool(b.strip())
                )
            except ValueError:
                return a.strip() == b.strip()
        if isinstance(a, str) and isinstance(b, str):
            return a.strip() == b.strip()
        return a == b

    def _restore_edits(self, mine: dict[str, object], loaded: dict[str, object]) -> list[str]:
        """Put back the user's edits over the freshly filled card; the fields clashing."""
        stored = dict(self._card_loaded)
        edited = [n for n in CARD_FIELDS if n in loaded and not self._same(n, mine[n], loaded[n])]
        loading, self._loading = self._loading, True
        for name in edited:
            value = mine[name]
            if name == "requested_amount":
                self.requested_edit.setText(str(value))
            elif name == "purpose":
                self.purpose_edit.setPlainText(str(value))
            elif name == "interviewer":
                self.interviewer_edit.setText(str(value))
            else:
                combo = {
                    "bank_id": self.bank_combo,
                    "branch_id": self.branch_combo,
                    "officer_id": self.officer_combo,
                }[name]
                select_data(combo, value)
        self._loading = loading
        self._changed = bool(edited)
        return [
            n
            for n in edited
            if not self._same(n, stored[n], loaded[n]) and not self._same(n, stored[n], mine[n])
        ]

    def _fill_card(self, case: LoanCaseView) -> None:
        loading, self._loading = self._loading, True
        self.business_picker.show_business(case.business_id, case.business_name)
        select_data(self.program_combo, case.program_id, case.program_name)
        self.received_edit.setText(case.received_on.isoformat())
        if case.amounts_visible:
            amount = case.requested_amount
            self.requested_edit.setText("" if amount is None else f"{amount:,}")
        else:
            self.requested_edit.setText(MASK)
        self.purpose_edit.setPlainText(case.purpose)
        self.interviewer_edit.setText(case.interviewer)
        select_data(self.bank_combo, case.bank_id, case.bank_name)
        select_data(self.branch_combo, case.branch_id, case.branch_name)
        self._select_officer(case.officer_id, case.officer_name)
        self._show_received_hint()
        self._loading = loading
        self._changed = False
        self._card_loaded = self._card_values()

    def _select_officer(self, staff_id: int | None, name: str = "") -> None:
        select_data(self.officer_combo, staff_id, name)

    def _apply_mode(self) -> None:
        """What may be changed depends on new/existing, the role and the state."""
        new = self.case is None
        p = self._principal
        can_save = p.can(Kind.LOAN, Action.CREATE if new else Action.EDIT)
        if self.case is not None:
            can_save = can_save and self.case.amounts_visible  # a masked amount is never saved
        fixed: tuple[QWidget, ...] = (self.business_picker, self.program_combo, self.received_edit)
        for widget in fixed:
            widget.setEnabled(new and can_save)
        if self.consultation_id is not None:
            self.business_picker.setEnabled(False)  # the case belongs to that consultation
        editable: tuple[QWidget, ...] = (
            self.requested_edit,
            self.purpose_edit,
            self.interviewer_edit,
            self.officer_combo,
        )
        for widget in editable:
            widget.setEnabled(can_save)
        referred = self.case is not None and self.case.referred_on is not None
        self.bank_combo.setEnabled(can_save and not referred)
        self.branch_combo.setEnabled(can_save and not referred)
        self._can_save = can_save
        self.save_button.setVisible(can_save)
        self.save_button.setText(
            self.tr("案件を登録（Ctrl+S）") if new else self.tr("相談カードを保存（Ctrl+S）")
        )
        # (the step buttons show or hide themselves: they depend on the role and the state)
        header: tuple[QWidget, ...] = (self.title_label, self.state_label, self.days_label)
        for widget in header:
            widget.setVisible(not new)
        self.facts_box.setVisible(not new)
        self.tabs.setTabEnabled(self.tabs.indexOf(self.history_tab), not new)
        self.tabs.setTabEnabled(self.tabs.indexOf(self.schedule_tab), not new)

    def _show_consultation(self) -> None:
        consultation_id = self.consultation_id
        self.consultation_button.setVisible(consultation_id is not None)
        if consultation_id is None:
            return
        text = self.tr("相談記録を開く")
        if self._consultations is not None:
            try:
                record = self._consultations.get(consultation_id)
            except DomainError:
                pass
            else:
                text = self.tr("相談記録（{0}）を開く").format(
                    format_date(record.input.consulted_on)
                )
        self.consultation_button.setText(text)

    def _fill_actions(self, case: LoanCaseView) -> None:
        clear_layout(
            self.actions_layout, keep=(self.exit_button, self.undo_button, self.interview_button)
        )
        self.step_buttons.clear()
        self.exit_actions.clear()
        self.exit_menu.clear()
        p = self._principal
        can_step = p.can(Kind.LOAN, Action.TRANSITION)
        forward = [s for s in case.steps if not s.exit]
        exits = [s for s in case.steps if s.exit]
        if can_step and forward:
            self.actions_layout.addWidget(QLabel(self.tr("次の手続き:")))
        primary = _primary_step(case)
        if primary is not None:  # the way forward first, the alternatives after it
            forward.sort(key=lambda s: s.name != primary)
        for step in forward if can_step else []:
            button = QPushButton(step.label + "…")
            if step.name == primary:
                button.setStyleSheet(PRIMARY_STYLE)
            button.clicked.connect(lambda _checked=False, s=step.name: self.start_step(s))
            self.actions_layout.addWidget(button)
            self.step_buttons[step.name] = button
        self.actions_layout.addStretch(1)
        interviewing = case.state == LoanState.PLAN_COACHING and p.can(Kind.LOAN, Action.EDIT)
        self.interview_button.setVisible(interviewing)
        self.actions_layout.addWidget(self.interview_button)
        for step in exits if can_step else []:
            action = self.exit_menu.addAction(step.label + "…")
            action.triggered.connect(lambda _checked=False, s=step.name: self.start_step(s))
            self.exit_actions[step.name] = action
        self.exit_button.setVisible(bool(self.exit_actions))
        self.actions_layout.addWidget(self.exit_button)
        last = self._last_step()
        self.undo_button.setVisible(can_step)
        self.undo_button.setEnabled(last is not None)
        self.undo_button.setToolTip(
            self.tr("「{0}」を取り消して前の状態に戻します").format(last) if last else ""
        )
        self.actions_layout.addWidget(self.undo_button)
        self.actions_box.setVisible(can_step or interviewing)

    def _last_step(self) -> str | None:
        """The label of the step an undo would take back (the opening cannot be undone)."""
        undone = {e.data.get("undoes") for e in self.events if e.kind == "undo"}
        for event in reversed(self.events):
            if event.kind != "transition" or event.id in undone:
                continue
            return None if event.from_state is None else self._event_title(event)
        return None

    def _fill_facts(self, case: LoanCaseView) -> None:
        visible = case.amounts_visible
        bank = " ".join(x for x in (case.bank_name, case.branch_name) if x) or NONE
        rates = NONE
        if case.nominal_rate is not None:
            rates = self.tr("名目 {0}／利子補給 {1}／本人負担 {2}").format(
                format_rate(case.nominal_rate),
                format_rate(case.subsidy_rate) or NONE,
                format_rate(case.borrower_rate) or NONE,
            )
        term = NONE
        if case.term_months is not None:
            term = self.tr("{0}か月（据置 {1}か月）").format(
                case.term_months, case.grace_months or 0
            )
        eligibility = NONE
        if any(v is not None for v in case.eligibility.values()):
            missing = [label_for(k) for k, v in case.eligibility.items() if v is False]
            eligibility = (
                self.tr("未充足: ") + "、".join(missing) if missing else self.tr("すべて確認済み")
            )
        stopped = NONE
        if case.subsidy_stopped_on is not None:
            stopped = f"{format_date(case.subsidy_stopped_on)}（{case.subsidy_stop_reason}）"
        rows = [
            (self.tr("受付番号"), case.receipt_number or NONE),
            (self.tr("受付日"), format_date(case.received_on)),
            (self.tr("あっせん要件"), eligibility),
            (self.tr("あっせん書番号"), case.referral_number or NONE),
            (self.tr("あっせん日"), format_date(case.referred_on) or NONE),
            (self.tr("あっせん額"), _yen(case.referral_amount, visible)),
            (self.tr("金融機関"), bank),
            (self.tr("利率"), rates),
            (self.tr("融資限度額"), _yen(case.limit_amount, visible)),
            (self.tr("承諾額"), _yen(case.approved_amount, visible)),
            (self.tr("信用保証料"), _yen(case.guarantee_fee, visible)),
            (self.tr("実行日"), format_date(case.executed_on) or NONE),
            (self.tr("実行額"), _yen(case.executed_amount, visible)),
            (self.tr("融資期間"), term),
            (self.tr("終了"), format_date(case.closed_on) or NONE),
            (self.tr("終了の理由"), case.close_reason or NONE),
            (self.tr("利子補給の停止"), stopped),
        ]
        self.facts.set_rows(rows)

    def fact(self, caption: str) -> str:
        """The value shown next to a caption in あっせん・融資の内容 (for tests and reading)."""
        return self.facts.fact(caption)

    # --- history --------------------------------------------------------------------------

    def _event_title(self, event: LoanEvent) -> str:
        if event.kind == "transition":
            step = event.data.get("step")
            if step is None:
                return self.tr("案件を登録")
            return STEPS[StepName(str(step))].label
        return KIND_TITLES.get(event.kind, event.kind)

    def _event_detail(self, event: LoanEvent) -> str:
        data = event.data
        parts: list[str] = []
        if event.kind == "transition":
            values = data.get("values")
            for name, value in (values if isinstance(values, dict) else {}).items():
                if value is None or value == "" or name == "reason":
                    continue
                parts.append(self._value_text(name, value))
            parts = [p for p in parts if p]
            found = data.get("warnings")
            warnings = [str(w).split(":", 1) for w in (found if isinstance(found, list) else [])]
            if warnings:
                parts.append(
                    self.tr("注意: ") + "、".join(text_for(w[-1]).rstrip("。") for w in warnings)
                )
        elif event.kind == "interview":
            parts.append(self.tr("診断士 {0}").format(data.get("interviewer", "")))
        elif event.kind == "prepayment":
            amount = data.get("amount")
            parts.append(
                self.tr("繰上償還額 {0}").format(format_yen(int(str(amount))))
                if amount is not None
                else MASK
            )
        elif event.kind == "subsidy_stop":
            parts.append(str(data.get("reason", "")))
        elif event.kind == "undo":
            undone = next((e for e in self.events if e.id == data.get("undoes")), None)
            if undone is not None:
                parts.append(self.tr("「{0}」を取消し").format(self._event_title(undone)))
        return "・".join(parts)

    def _value_text(self, name: str, value: object) -> str:
        if name in ELIGIBILITY_FIELDS:
            return "" if value else self.tr("未充足: {0}").format(label_for(name))
        if name == "bank_id":
            bank = next((b for b in self._banks if b.id == value), None)
            return bank.name if bank else ""
        if name == "branch_id":
            for bank in self._banks:
                for branch in bank.branches:
                    if branch.id == value:
                        return branch.name
            return ""
        if name in AMOUNT_FIELDS:
            return f"{label_for(name)} {format_yen(int(str(value)))}"
        if name in MONTH_FIELDS:
            return f"{label_for(name)} {value}"
        if name == "nominal_rate":
            return f"{label_for(name)} {value}%"
        if name == "due_on":
            return f"{label_for(name)} {format_date(date.fromisoformat(str(value)))}"
        return f"{label_for(name)} {value}"

    def _fill_history(self) -> None:
        table = self.history_table
        table.setRowCount(len(self.events))
        for row, event in enumerate(reversed(self.events)):  # newest first
            title = self._event_title(event)
            if event.undone:
                title += self.tr("（取消済）")
            if event.from_state is None or event.from_state == event.to_state:
                state = event.to_state.label
            else:
                state = f"{event.from_state.label} → {event.to_state.label}"
            cells = [
                format_date(event.occurred_on),
                title,
                state,
                event.staff_name,
                event.reason.replace("\n", " "),
                self._event_detail(event),
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if event.undone:  # kept in the log, shown struck through
                    font = QFont(item.font())
                    font.setStrikeOut(True)
                    item.setFont(font)
                    item.setForeground(UNDONE_BRUSH)
                if column in (4, 5) and text:
                    item.setToolTip(text)
                table.setItem(row, column, item)

    def history_rows(self) -> list[list[str]]:
        """The history as shown, newest first (for tests and reading)."""
        table = self.history_table
        return [
            [
                (item.text() if (item := table.item(r, c)) else "")
                for c in range(table.columnCount())
            ]
            for r in range(table.rowCount())
        ]

    # --- schedule -------------------------------------------------------------------------

    def _fill_schedule(self, case: LoanCaseView) -> None:
        p = self._principal
        active = case.state in ACTIVE_LOAN
        self.prepay_button.setVisible(p.can(Kind.LOAN, Action.EDIT) and case.amounts_visible)
        self.prepay_button.setEnabled(active)
        self.stop_button.setVisible(p.can(Kind.LOAN, Action.TRANSITION))
        self.stop_button.setEnabled(active and case.subsidy_stopped_on is None)
        if not case.amounts_visible:
            self.schedule_summary.setText(
                self.tr("金額を閲覧する権限がないため、返済予定は表示されません。")
            )
        elif case.executed_on is None:
            self.schedule_summary.setText(self.tr("融資実行を記録すると返済予定が表示されます。"))
        else:
            text = self.tr(
                "{0} 実行 {1}・{2}か月（据置 {3}か月）・名目 {4}／利子補給 {5}／本人負担 {6}"
            ).format(
                format_date(case.executed_on),
                format_yen(case.executed_amount),
                case.term_months,
                case.grace_months or 0,
                format_rate(case.nominal_rate),
                format_rate(case.subsidy_rate) or NONE,
                format_rate(case.borrower_rate) or NONE,
            )
            prepaid = [
                f"{format_date(e.occurred_on)} {format_yen(int(str(e.data['amount'])))}"
                for e in self.events
                if e.kind == "prepayment" and not e.undone and "amount" in e.data
            ]
            if prepaid:  # the schedule's balance drops where these were paid
                text += self.tr("\n繰上償還: ") + "、".join(prepaid)
            if case.subsidy_stopped_on is not None:
                text += self.tr("\n利子補給は {0} 以降停止（{1}）").format(
                    format_date(case.subsidy_stopped_on), case.subsidy_stop_reason
                )
            self.schedule_summary.setText(text)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        self.schedule_table.setRowCount(len(self.schedule))
        for row, instalment in enumerate(self.schedule):
            number = str(instalment.number)
            if instalment.in_grace:
                number += self.tr("（据置）")
            cells = [
                number,
                format_date(instalment.due_on),
                f"{instalment.principal:,}",
                f"{instalment.interest:,}",
                f"{instalment.subsidy:,}",
                f"{instalment.closing_balance:,}",
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column >= 2:
                    item.setTextAlignment(right)
                self.schedule_table.setItem(row, column, item)
        years = subsidy_by_fiscal_year(self.schedule)
        self.years_table.setRowCount(len(years) + (1 if years else 0))
        rows = [(wareki_fiscal_year(fy), amount) for fy, amount in years.items()]
        if years:
            rows.append((self.tr("合計"), sum(years.values())))
        for row, (label, amount) in enumerate(rows):
            self.years_table.setItem(row, 0, QTableWidgetItem(label))
            item = QTableWidgetItem(format_yen(amount))
            item.setTextAlignment(right)
            self.years_table.setItem(row, 1, item)

    # --- the 相談カード -------------------------------------------------------------------

    def _mark_changed(self, *_: object) -> None:
        if not self._loading:
            self._changed = True

    def _check_amount(self) -> None:
        if self.requested_edit.text() == MASK:
            return
        try:
            self.requested_edit.amount()
        except ValueError:
            set_error(self.card_errors["requested_amount"], text_for("number.format"))
        else:
            set_error(self.card_errors["requested_amount"], "")

    def _show_received_hint(self) -> None:
        """The date as read beside the field; when it cannot be read, the error below it
        (one place, the same one saving uses)."""
        try:
            self.received_hint.setText(format_date(parse_date(self.received_edit.text())))
        except ValueError:
            self.received_hint.setText("")
            set_error(self.card_errors["received_on"], text_for("date.format"))
        else:
            set_error(self.card_errors["received_on"], "")
        self._check_limit()

    def _terms(self, program_id: int, on: date) -> TermsInfo | None:
        key = (program_id, on)
        if key not in self._terms_cache:
            try:
                self._terms_cache[key] = self._loan_master.terms_in_force(program_id, on)
            except DomainError:  # a role without master data: no warning
                self._terms_cache[key] = None
        return self._terms_cache[key]

    def _check_limit(self) -> None:
        """Warn (not refuse) when the amount wanted is above the fund's limit on the day of
        receipt: the referral cannot exceed it, so the officer talks it through now."""
        text = ""
        program_id = self.program_combo.currentData()
        try:
            amount = self.requested_edit.amount()
            on = parse_date(self.received_edit.text())
        except ValueError:
            amount = None
        if amount is not None and program_id is not None:
            terms = self._terms(int(program_id), on)
            if terms is not None and amount > terms.limit_amount:
                text = self.tr(
                    "注意: {0}の限度額 {1}（{2}時点の条件）を超えています。"
                    "あっせんできるのは限度額までです。"
                ).format(
                    self.program_combo.currentText(),
                    format_yen(terms.limit_amount),
                    format_date(on),
                )
        self.limit_warning.setText(text)
        self.limit_warning.setVisible(bool(text))

    def card_input(self) -> LoanCaseInput:
        """The card as typed; fields that cannot be read raise ValidationError."""
        errors = []
        received_on = japan_today()
        try:
            received_on = parse_date(self.received_edit.text())
        except ValueError:
            errors.append(FieldError("received_on", "date.format"))
        requested: int | None = None
        try:
            requested = self.requested_edit.amount()
        except ValueError:
            errors.append(FieldError("requested_amount", "number.format"))
        business_id = self.business_picker.business_id
        if business_id is None:
            has_text = bool(self.business_picker.edit.text().strip())
            errors.append(
                FieldError("business_id", "consultation.pick_business" if has_text else "required")
            )
        program_id = self.program_combo.currentData()
        if program_id is None:
            errors.append(FieldError("program_id", "required"))
        if errors:
            raise ValidationError(errors)
        assert business_id is not None
        return LoanCaseInput(
            business_id=business_id,
            program_id=int(program_id),
            received_on=received_on,
            officer_id=self.officer_combo.currentData(),
            consultation_id=self.consultation_id,
            requested_amount=requested,
            purpose=self.purpose_edit.toPlainText(),
            interviewer=self.interviewer_edit.text(),
            bank_id=self.bank_combo.currentData(),
            branch_id=self.branch_combo.currentData(),
        )

    def _show_card_errors(self, errors: list[FieldError]) -> None:
        general = []
        for label in self.card_errors.values():
            set_error(label, "")
        for found in errors:
            if found.field in self.card_errors:
                set_error(self.card_errors[found.field], text_for(found.code))
            else:
                general.append(f"{label_for(found.field)}: {text_for(found.code)}")
        set_error(self.card_error, "\n".join(general))

    def save(self) -> None:
        """Open the case, or save the corrected 相談カード."""
        if not self._can_save:
            return
        try:
            value = self.card_input()
            if self.case is None:
                self.case_id = self._loans.add(value)
            else:
                self._loans.update(self.case.id, self.case.version, value)
        except ValidationError as error:
            self._show_card_errors(error.errors)
            return
        except Conflict:
            self._conflict(keep_card=True)
            return
        except DomainError as error:
            set_error(self.card_error, error_text(error))
            return
        self._show_card_errors([])
        self._changed = False
        self._after_change()

    # --- steps and notes ------------------------------------------------------------------

    def start_step(self, name: StepName) -> StepForm | None:
        """Open the form of one step (window-modal; the form records the step itself)."""
        if self.case is None:
            return None
        if self._changed and not self._save_card_first():
            return None
        terms = None
        if name == StepName.REFER:
            terms = self._loan_master.terms_in_force(self.case.program_id, japan_today())
        form = StepForm(self._loans, self.case, STEPS[name], self._banks, terms, self)
        form.accepted.connect(lambda: self._step_done(form))
        form.conflict.connect(lambda: self._form_conflict(form))
        self.step_form = form
        form.open()
        return form

    def _save_card_first(self) -> bool:
        """A step on a card with unsaved corrections: save them first, or stop."""
        answer = QMessageBox.question(
            self,
            self.windowTitle(),
            self.tr("相談カードの変更が保存されていません。保存してから手続きを記録しますか？"),
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Save:
            return False
        self.save()
        return not self._changed

    def _step_done(self, form: StepForm) -> None:
        self.step_form = None
        self._after_change()

    def _form_conflict(self, form: StepForm) -> None:
        """Someone else changed the case: reload, tell, and keep the form if it still fits."""
        clashes = self.reload(keep_card=self._changed)
        assert self.case is not None
        if form.step in self.case.steps:
            QMessageBox.warning(self, self.windowTitle(), self._conflict_text(clashes))
            form.case = self.case
            form.check()
            return
        # One message: what happened, and why the form closes.
        text = self.tr(
            "他の人がこの案件を先に更新しました。いまの状態は「{0}」のため、"
            "「{1}」は記録できません。経過を確認してください。"
        ).format(self.case.state.label, form.step.label)
        QMessageBox.warning(self, self.windowTitle(), text)
        form._changed = False
        form.reject()

    def _after_change(self) -> None:
        assert self.case_id is not None
        self.reload(keep_card=self._changed)
        self.changed.emit(self.case_id)

    def _conflict(self, keep_card: bool) -> None:
        """Someone else saved first: show what is stored now, with the user's own edits."""
        clashes: list[str] = []
        if self.case_id is not None:
            clashes = self.reload(keep_card=keep_card)
        set_error(self.card_error, self._clash_text(clashes) if clashes else "")
        QMessageBox.warning(self, self.windowTitle(), self._conflict_text(clashes))

    def _conflict_text(self, clashes: list[str]) -> str:
        text = text_for("conflict")
        if clashes:
            text += "\n\n" + self._clash_text(clashes)
        return text

    def _clash_text(self, clashes: list[str]) -> str:
        names = "、".join(f"「{label_for(name)}」" for name in clashes)
        return self.tr(
            "{0} は他の人も変更しています。あなたの入力を残しました。保存する前に確認してください。"
        ).format(names)

    def undo_last(self) -> None:
        """Take back the last step after asking why (the undo is recorded too)."""
        if self.case is None:
            return
        last = self._last_step()
        if last is None:
            QMessageBox.information(self, self.windowTitle(), text_for("loan.nothing_to_undo"))
            return
        reason, ok = QInputDialog.getText(
            self,
            self.tr("直前の操作を取り消す"),
            self.tr("「{0}」を取り消して前の状態に戻します。理由を入力してください:").format(last),
        )
        if not ok:
            return
        try:
            self._loans.undo(self.case.id, self.case.version, reason)
        except Conflict:
            self._conflict(keep_card=self._changed)
            return
        except DomainError as error:
            QMessageBox.warning(self, self.windowTitle(), error_text(error))
            return
        self._after_change()

    def _open_note(self, form: NoteForm) -> NoteForm:
        form.accepted.connect(self._note_done)
        form.conflict.connect(lambda: self._note_conflict(form))
        self.note_form = form
        form.open()
        return form

    def _note_done(self) -> None:
        self.note_form = None
        self._after_change()

    def _note_conflict(self, form: NoteForm) -> None:
        clashes = self.reload(keep_card=self._changed)  # the form keeps its input; save again
        QMessageBox.warning(self, self.windowTitle(), self._conflict_text(clashes))

    def _version(self) -> int:
        assert self.case is not None
        return self.case.version

    def add_interview(self) -> NoteForm | None:
        if self.case is None:
            return None
        on = QLineEdit(japan_today().isoformat())
        interviewer = QLineEdit(self.case.interviewer)
        notes = plain(90)
        case_id = self.case.id

        def submit() -> int:
            return self._loans.log_interview(
                case_id, self._version(), _date_value(on), interviewer.text(), notes.toPlainText()
            )

        rows = [
            ("occurred_on", self.tr("面談日"), on),
            ("interviewer", label_for("interviewer"), interviewer),
            ("notes", self.tr("面談の内容"), notes),
        ]
        return self._open_note(NoteForm(self.tr("面談記録を追加"), rows, submit, self))

    def record_prepayment(self) -> NoteForm | None:
        if self.case is None:
            return None
        on = QLineEdit(japan_today().isoformat())
        amount = AmountEdit()
        amount_row, _hint_label = _amount_row(amount)
        case_id = self.case.id

        def submit() -> int:
            paid_on = _date_value(on)
            try:
                value = amount.amount()
            except ValueError:
                raise ValidationError([FieldError("amount", "number.format")]) from None
            if value is None:
                raise ValidationError([FieldError("amount", "required")])
            return self._loans.record_prepayment(case_id, self._version(), paid_on, value)

        rows = [
            ("occurred_on", self.tr("償還日"), on),
            ("amount", self.tr("繰上償還額"), amount_row),
        ]
        form = NoteForm(self.tr("繰上償還を記録"), rows, submit, self)
        form.inputs["amount"] = amount
        return self._open_note(form)

    def stop_subsidy(self) -> NoteForm | None:
        if self.case is None:
            return None
        reason = QComboBox()
        for value in SubsidyStopReason:
            reason.addItem(value.value, value)
        on = QLineEdit(japan_today().isoformat())
        note = plain(70)
        case_id = self.case.id

        def submit() -> int:
            return self._loans.stop_subsidy(
                case_id,
                self._version(),
                _date_value(on),
                SubsidyStopReason(reason.currentData()),
                note.toPlainText(),
            )

        rows = [
            ("reason", self.tr("停止の理由"), reason),
            ("occurred_on", self.tr("停止日"), on),
            ("note", self.tr("備考"), note),
        ]
        return self._open_note(NoteForm(self.tr("利子補給を停止"), rows, submit, self))

    def _open_consultation(self) -> None:
        if self.consultation_id is not None:
            self.open_consultation.emit(self.consultation_id)

    # --- closing --------------------------------------------------------------------------

    def has_changes(self) -> bool:
        return self._changed

    def may_close(self) -> bool:
        """True when the window may close: saved, or the user chose to discard."""
        return self.ask_save_or_discard(self.tr("相談カードの変更を保存しますか？"), self.save)

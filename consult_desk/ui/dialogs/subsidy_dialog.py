"""補助金の申請: the application (a business's or a street's), the amount the program's rule
gives while the user types, the state with one button per allowed step, and the history.

Each step opens a small form asking exactly the step's fields; what the service would say
shows while the officer types (``SubsidyService.preview_step``): errors block the step,
warnings need a tick. Forms open with ``open()`` (window-modal), as the loan desk's do.
"""

from datetime import date
from fractions import Fraction
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.errors import Conflict, DomainError, FieldError, ValidationError
from consult_desk.domain.fiscal import format_date, format_yen, japan_today, wareki_fiscal_year
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.subsidies import (
    STEPS,
    ApplicationInput,
    ApplicationView,
    ProgramInfo,
    Step,
    StepInput,
    StepName,
    SubsidyEventRow,
    SubsidyRule,
    SubsidyState,
    SubsidyTarget,
    TermsInfo,
)
from consult_desk.services.businesses import BusinessService
from consult_desk.services.reference import ReferenceService
from consult_desk.services.streets import StreetService
from consult_desk.services.subsidies import EDITABLE, SubsidyService
from consult_desk.ui.messages import error_text, text_for
from consult_desk.ui.widgets.business_picker import BusinessPicker
from consult_desk.ui.widgets.facts import FactsPanel
from consult_desk.ui.widgets.inline_fields import (
    HINT_STYLE,
    NONE,
    OVERDUE_STYLE,
    PREVIEW_DELAY_MS,
    PRIMARY_STYLE,
    STATE_STYLE,
    WARNING_STYLE,
    AmountEdit,
    DateEdit,
    ask_save,
    error_label,
    hint,
    plain,
    select_data,
    set_error,
    widget_state,
)
from consult_desk.ui.widgets.layouts import clear_layout
from consult_desk.ui.widgets.step_form import CheckedForm

COMPUTED_STYLE = "font-weight: bold; color: #1f3a5f;"
LABELS = {
    "business_id": "事業者",
    "association_id": "商店街",
    "program_id": "補助金",
    "event_id": "イベント",
    "title": "件名",
    "applied_on": "申請日",
    "activity_ends_on": "事業の終了日",
    "eligible_cost": "補助対象経費",
    "requested_amount": "申請額",
    "staff_id": "担当",
    "notes": "備考",
    "occurred_on": "手続きの日",
    "reason": "理由・メモ",
    "granted_amount": "交付決定額",
    "actual_cost": "実績の補助対象経費",
    "confirmed_amount": "確定額",
    "paid_amount": "支払額",
}
STEP_DATE_LABELS = {
    StepName.GRANT: "交付決定日",
    StepName.REPORT: "実績報告の受付日",
    StepName.CONFIRM: "額の確定日",
    StepName.PAY: "支払日",
}
AMOUNT_FIELDS = frozenset(
    {
        "granted_amount",
        "actual_cost",
        "confirmed_amount",
        "paid_amount",
        "eligible_cost",
        "requested_amount",
    }
)


def _label(name: str) -> str:
    return LABELS.get(name, name)


def _rate(rate: Fraction) -> str:
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"


def rule_summary(terms: TermsInfo) -> str:
    """One line for the program: 「補助率 2/3（経費 1,000,000円以下は 5/6）・上限 …」."""
    rule = terms.rule()
    parts = [f"補助率 {_rate(rule.rate)}"]
    if rule.band_rate is not None and rule.band_threshold is not None:
        parts[0] += f"（経費 {rule.band_threshold:,}円以下は {_rate(rule.band_rate)}）"
    if rule.rounding_unit > 1:
        parts.append(f"{rule.rounding_unit:,}円未満切捨て")
    if rule.cap is not None:
        parts.append(f"上限 {rule.cap:,}円")
    if rule.max_per_fiscal_year is not None:
        parts.append(f"同じ年度に{rule.max_per_fiscal_year}回まで")
    if rule.report_due_days is not None:
        parts.append(f"実績報告は事業終了後{rule.report_due_days}日以内")
    return "・".join(parts)


def amount_explanation(rule: SubsidyRule, cost: int) -> str:
    """How the rule turns the cost into the amount, the way the desk explains it:
    「対象経費 1,200,000円 × 2/3 = 800,000円（1,000円未満切捨て・上限 3,000,000円）」."""
    rate = rule.rate_for(cost)
    rate_text = _rate(rate)
    if rule.band_rate is not None and rule.band_threshold is not None and rate == rule.band_rate:
        rate_text += f"（{rule.band_threshold:,}円以下の率）"
    unit = max(rule.rounding_unit, 1)
    rounded = int(Fraction(cost) * rate // unit) * unit
    text = f"対象経費 {cost:,}円 × {rate_text} = {rounded:,}円"
    capped = rule.cap is not None and rounded > rule.cap
    if capped:
        text += f" → 上限 {rule.cap:,}円"
    notes = []
    if unit > 1:
        notes.append(f"{unit:,}円未満切捨て")
    if rule.cap is not None and not capped:
        notes.append(f"上限 {rule.cap:,}円")
    return text + (f"（{'・'.join(notes)}）" if notes else "")


def step_title(event: SubsidyEventRow) -> str:
    """The step that moved the application (both ends identify it), 「申請」 for the filing."""
    if event.from_state is None:
        return "申請"
    for step in STEPS.values():
        if event.from_state in step.sources and step.target == event.to_state:
            return step.label
    return event.to_state.label


def _lowest(*amounts: int | None) -> int | None:
    return min((a for a in amounts if a is not None), default=None)


# --- the step form ------------------------------------------------------------------------


class SubsidyStepForm(CheckedForm):
    """One step of the application: exactly its fields, the date first, live checks.

    ``conflict``: the application changed meanwhile; the window reloads and tells."""

    def __init__(
        self,
        subsidies: SubsidyService,
        view: ApplicationView,
        step: Step,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("記録する", parent)
        self._subsidies = subsidies
        self.view = view
        self.step = step
        self.version: int | None = None
        self.ceiling_hints: dict[str, QLabel] = {}
        self.setWindowTitle(f"{step.label} — {view.applicant_name}")
        self.setMinimumWidth(560)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.date_edit = DateEdit(japan_today())
        date_label = STEP_DATE_LABELS.get(step.name, LABELS["occurred_on"])
        self._add(form, "occurred_on", date_label, self.date_edit.row(), self.date_edit, True)
        for name in (*step.required, *step.optional):
            widget, row = self._widget(name)
            self._add(form, name, _label(name), row, widget, name in step.required)
        layout = QVBoxLayout(self)
        layout.addWidget(hint(self._intro()))
        layout.addLayout(form)
        layout.addWidget(hint(self.tr("＊は必須です。")))
        layout.addWidget(self.general_error)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.confirm_check)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.watch_fields()
        self.check()
        next(iter(self.inputs.values()), self.date_edit).setFocus()

    def _intro(self) -> str:
        view = self.view
        return self.tr("{0}「{1}」: {2} → {3}").format(
            view.program_name,
            view.title or view.applicant_name,
            view.state.label,
            self.step.target.label,
        )

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
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(row)
        if name in AMOUNT_FIELDS:
            self.ceiling_hints[name] = hint()
            column.addWidget(self.ceiling_hints[name])
        self.errors[name] = error_label()
        column.addWidget(self.errors[name])
        form.addRow(label + (" ＊" if required else ""), box)
        if name != "occurred_on":
            self.inputs[name] = widget

    def _widget(self, name: str) -> tuple[QWidget, QWidget]:
        view = self.view
        if name in AMOUNT_FIELDS:
            computed = view.computed_amount
            defaults = {
                # Never above what the rule gives: the service refuses that for a grant.
                "granted_amount": _lowest(view.requested_amount, computed),
                "actual_cost": view.eligible_cost,
                "confirmed_amount": _lowest(view.granted_amount, computed),
                "paid_amount": view.confirmed_amount,
                "eligible_cost": view.eligible_cost,
                "requested_amount": view.requested_amount,
            }
            amount = AmountEdit(defaults.get(name))
            return amount, amount.row()
        if name == "activity_ends_on":
            day = DateEdit(view.activity_ends_on)
            return day, day.row()
        reason = plain()
        return reason, reason

    # --- reading and checking -------------------------------------------------------------

    def collect(self) -> tuple[StepInput, dict[str, str]]:
        """The typed values, and the fields that could not be read (with their code)."""
        unreadable: dict[str, str] = {}
        try:
            on = self.date_edit.date_value()
        except ValueError:
            on = None
            unreadable["occurred_on"] = "date.format"
        else:
            if on is None:
                unreadable["occurred_on"] = "required"
        values: dict[str, Any] = {}
        for name, widget in self.inputs.items():
            try:
                if isinstance(widget, AmountEdit):
                    values[name] = widget.amount()
                elif isinstance(widget, DateEdit):
                    values[name] = widget.date_value()
                elif isinstance(widget, QPlainTextEdit):
                    values[name] = widget.toPlainText()
            except ValueError:
                unreadable[name] = (
                    "date.format" if isinstance(widget, DateEdit) else "number.format"
                )
                values[name] = None
        return StepInput(self.step.name, on or japan_today(), **values), unreadable

    def check(self) -> tuple[StepInput, dict[str, str], list[FieldError]]:
        """Ask the service what it would say about the step as typed, and show it."""
        self._timer.stop()
        value, errors = self.collect()
        warnings: list[FieldError] = []
        ceiling: int | None = None
        try:
            findings = self._subsidies.preview_step(self.view.id, value)
        except DomainError as error:
            errors.setdefault("step", error.code)
        else:
            for found in findings.errors:
                errors.setdefault(found.field, found.code)
            warnings = findings.warnings
            ceiling = findings.computed_amount
        self._show(errors, warnings, ceiling)
        return value, errors, warnings

    def _ceiling_text(self, ceiling: int | None) -> str:
        if ceiling is None:
            return ""
        texts = {
            StepName.GRANT: self.tr("制度で計算した補助額 {0} まで"),
            StepName.APPROVE_CHANGE: self.tr("変更後の経費で計算した補助額 {0} まで"),
            StepName.RESUBMIT: self.tr("修正後の経費で計算した補助額 {0}"),
            StepName.REPORT: self.tr("実績の経費で計算した補助額 {0}"),
            StepName.CONFIRM: self.tr("確定できる額は {0} まで"),
            StepName.PAY: self.tr("確定額 {0}"),
        }
        text = texts.get(self.step.name)
        return text.format(format_yen(ceiling)) if text else ""

    def fields(self) -> dict[str, QWidget]:
        return {"occurred_on": self.date_edit, **self.inputs}

    def general_line(self, name: str, code: str) -> str:
        return text_for(code) if name == "step" else f"{_label(name)}: {text_for(code)}"

    def warning_line(self, warning: FieldError) -> str:
        return f"・{_label(warning.field)}: {text_for(warning.code)}"

    def _show(
        self, errors: dict[str, str], warnings: list[FieldError], ceiling: int | None = None
    ) -> None:
        super()._show(errors, warnings)
        text = self._ceiling_text(ceiling)
        for label in self.ceiling_hints.values():
            label.setText(text)

    def submit(self, value: StepInput) -> None:
        self.version, self.warnings = self._subsidies.advance(
            self.view.id, self.view.version, value
        )


# --- the application window ---------------------------------------------------------------


class SubsidyDialog(QDialog):
    """A new application, or an existing one with its steps and history.

    - New: the applicant is a business (picked by name) or a street; opened from a business
      record or a street's record, the applicant is given and fixed.
    - The amount the program's rule gives shows, with the rule, while the cost is typed;
      errors block the save, warnings (yearly limit, above the computed amount) need a tick.
    - ``changed`` carries the application's id after anything was saved, so lists refresh.
    - Roles that may only read see the application and its history without any buttons.
    """

    changed = Signal(int)

    def __init__(
        self,
        subsidies: SubsidyService,
        streets: StreetService,
        businesses: BusinessService,
        reference: ReferenceService,
        principal: Principal,
        application_id: int | None = None,
        business_id: int | None = None,
        association_id: int | None = None,
        event_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._subsidies = subsidies
        self._streets = streets
        self._principal = principal
        self.application_id = application_id
        self.view: ApplicationView | None = None
        self.events: list[SubsidyEventRow] = []
        self.step_form: SubsidyStepForm | None = None
        self.step_buttons: dict[StepName, QPushButton] = {}
        self.exit_actions: dict[StepName, QAction] = {}
        self.errors: dict[str, QLabel] = {}
        self.rows: dict[str, QWidget] = {}  # each field's box (with its error label)
        self._terms: dict[tuple[int, date], TermsInfo | None] = {}
        self._programs: list[ProgramInfo] = []
        self._touched: set[str] = set()
        self._show_all = False
        self._loading = True
        self._initial: object = None
        self._fixed_applicant = business_id is not None or association_id is not None
        self._can_save = False
        self.resize(1040, 740)

        # --- header (an existing application) ---
        self.title_label = QLabel()
        self.title_label.setObjectName("pageTitle")
        self.state_label = QLabel()
        self.state_label.setStyleSheet(STATE_STYLE)
        self.due_label = QLabel()
        self.actions_box = QWidget()
        self.actions_layout = QHBoxLayout(self.actions_box)
        self.actions_layout.setContentsMargins(0, 0, 0, 0)
        self.actions_box.hide()
        self.exit_button = QPushButton(self.tr("終了…"))
        self.exit_menu = QMenu(self.exit_button)
        self.exit_button.setMenu(self.exit_menu)

        # --- the application ---
        self.business_radio = QRadioButton(SubsidyTarget.BUSINESS.label)
        self.street_radio = QRadioButton(SubsidyTarget.STREET.label)
        self.target_group = QButtonGroup(self)
        self.target_group.addButton(self.business_radio)
        self.target_group.addButton(self.street_radio)
        self.business_picker = BusinessPicker(businesses)
        self.association_combo = QComboBox()
        self.association_combo.addItem(self.tr("（選んでください）"), None)
        for choice in reference.street_associations():
            self.association_combo.addItem(choice.name, choice.id)
        self.program_combo = QComboBox()
        self.program_hint = hint()
        self.event_combo = QComboBox()
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText(self.tr("例: すずらんまつり 2026"))
        self.applied_edit = DateEdit(japan_today())
        self.ends_edit = DateEdit(placeholder=self.tr("例: 2026-05-17"))
        self.cost_edit = AmountEdit()
        self.computed_label = QLabel()
        self.computed_label.setStyleSheet(COMPUTED_STYLE)
        self.computed_label.setWordWrap(True)
        self.computed_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.requested_edit = AmountEdit(placeholder=self.tr("空欄: 計算した補助額"))
        self.staff_combo = QComboBox()
        for member in reference.staff():
            self.staff_combo.addItem(member.name, member.id)
        self.notes_edit = plain(60)
        self.general_error = error_label()
        self.warning_label = QLabel()
        self.warning_label.setStyleSheet(WARNING_STYLE)
        self.warning_label.setWordWrap(True)
        self.warning_label.hide()
        self.confirm_check = QCheckBox(self.tr("注意事項を確認したうえで保存します"))
        self.confirm_check.hide()
        self.save_button = QPushButton(self.tr("申請を登録（Ctrl+S）"))
        self.save_button.setStyleSheet(PRIMARY_STYLE)
        self.save_button.clicked.connect(self.save)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)

        self.facts = FactsPanel()
        self.history_table = QTableWidget(0, 5)
        self.history_table.setHorizontalHeaderLabels(
            [self.tr("日付"), self.tr("手続き"), self.tr("状態"), self.tr("担当"), self.tr("理由")]
        )
        self.history_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history_table.setWordWrap(False)
        self.history_table.verticalHeader().hide()
        self.history_table.verticalHeader().setDefaultSectionSize(24)
        self.history_table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((150, 130, 190, 100)):
            self.history_table.setColumnWidth(column, width)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.check)
        self._build_layout()
        self._connect()
        if application_id is not None:
            self.reload()
        else:
            self.setWindowTitle(self.tr("補助金 — 新しい申請"))
            street = association_id is not None
            (self.street_radio if street else self.business_radio).setChecked(True)
            self._target_changed()
            if business_id is not None:
                self.business_picker.set_business(business_id)
            if association_id is not None:
                select_data(
                    self.association_combo, association_id, streets.get(association_id).input.name
                )
                self._fill_events(event_id)
            select_data(self.staff_combo, principal.staff_id)
            self._apply_mode()
            self._first_field().setFocus()  # not the tab bar
        self._loading = False
        self.check()
        self._initial = self._form_state()

    # --- layout ---------------------------------------------------------------------------

    def _row(self, form: QFormLayout, name: str, widget: QWidget, label: str = "") -> None:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(widget)
        self.errors[name] = error_label()
        column.addWidget(self.errors[name])
        box.setFocusProxy(widget)
        form.addRow(label or _label(name), box)
        self.rows[name] = box

    def _build_layout(self) -> None:
        header = QHBoxLayout()
        header.addWidget(self.title_label)
        header.addWidget(self.state_label)
        header.addWidget(self.due_label)
        header.addStretch(1)

        card = QGroupBox(self.tr("申請の内容"))
        card_layout = QVBoxLayout(card)
        self.form = form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        card_layout.addLayout(form)
        card_layout.addStretch(1)
        target = QWidget()
        target_layout = QHBoxLayout(target)
        target_layout.setContentsMargins(0, 0, 0, 0)
        target_layout.addWidget(self.business_radio)
        target_layout.addWidget(self.street_radio)
        target_layout.addStretch(1)
        form.addRow(self.tr("申請者の種類"), target)
        self._row(form, "business_id", self.business_picker, self.tr("事業者 ＊"))
        self._row(form, "association_id", self.association_combo, self.tr("商店街 ＊"))
        program = QWidget()
        program_layout = QVBoxLayout(program)
        program_layout.setContentsMargins(0, 0, 0, 0)
        program_layout.setSpacing(1)
        program_layout.addWidget(self.program_combo)
        program_layout.addWidget(self.program_hint)
        program.setFocusProxy(self.program_combo)
        self._row(form, "program_id", program, self.tr("補助金 ＊"))
        self._row(form, "event_id", self.event_combo)
        self._row(form, "title", self.title_edit)
        self._row(form, "applied_on", self.applied_edit.row(), self.tr("申請日 ＊"))
        self._row(form, "activity_ends_on", self.ends_edit.row())
        cost = QWidget()
        cost_layout = QVBoxLayout(cost)
        cost_layout.setContentsMargins(0, 0, 0, 0)
        cost_layout.setSpacing(2)
        cost_layout.addWidget(self.cost_edit.row())
        cost_layout.addWidget(self.computed_label)
        cost.setFocusProxy(self.cost_edit)
        self._row(form, "eligible_cost", cost, self.tr("補助対象経費 ＊"))
        self._row(form, "requested_amount", self.requested_edit.row())
        self._row(form, "staff_id", self.staff_combo)
        self._row(form, "notes", self.notes_edit)
        card_layout.addWidget(self.general_error)
        card_layout.addWidget(self.warning_label)
        card_layout.addWidget(self.confirm_check)
        card_layout.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignRight)

        self.facts_box = QGroupBox(self.tr("交付・実績・支払"))
        QVBoxLayout(self.facts_box).addWidget(self.facts)
        application_tab = QWidget()
        application_layout = QHBoxLayout(application_tab)
        application_layout.addWidget(card, 3)
        application_layout.addWidget(self.facts_box, 2)
        self.history_tab = QWidget()
        QVBoxLayout(self.history_tab).addWidget(self.history_table)
        self.tabs = QTabWidget()
        self.tabs.addTab(application_tab, self.tr("申請"))
        self.tabs.addTab(self.history_tab, self.tr("経過"))

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.actions_box)
        layout.addWidget(self.tabs, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)

    def _connect(self) -> None:
        self.business_radio.toggled.connect(self._target_changed)
        self.business_picker.picked.connect(lambda _id: self._edited("business_id"))
        self.business_picker.edit.textEdited.connect(lambda _t: self._edited("business_id"))
        self.association_combo.currentIndexChanged.connect(self._association_changed)
        self.program_combo.currentIndexChanged.connect(lambda _i: self._edited("program_id"))
        self.event_combo.currentIndexChanged.connect(self._event_changed)
        edits: dict[str, QLineEdit] = {
            "title": self.title_edit,
            "applied_on": self.applied_edit,
            "activity_ends_on": self.ends_edit,
            "eligible_cost": self.cost_edit,
            "requested_amount": self.requested_edit,
        }
        for name, edit in edits.items():
            edit.textChanged.connect(lambda _t, n=name: self._typed(n))
            edit.editingFinished.connect(lambda n=name: self._edited(n))
        self.staff_combo.currentIndexChanged.connect(lambda _i: self._edited("staff_id"))
        self.notes_edit.textChanged.connect(lambda: self._typed("notes"))

    # --- loading --------------------------------------------------------------------------

    def target(self) -> SubsidyTarget:
        return SubsidyTarget.STREET if self.street_radio.isChecked() else SubsidyTarget.BUSINESS

    def _target_changed(self, *_: object) -> None:
        street = self.target() is SubsidyTarget.STREET
        self.form.setRowVisible(self.rows["business_id"], not street)
        self.form.setRowVisible(self.rows["association_id"], street)
        self.form.setRowVisible(self.rows["event_id"], street)
        self.title_edit.setPlaceholderText(
            self.tr("例: すずらんまつり 2026")
            if street
            else self.tr("例: 展示会出展（ギフトショー）")
        )
        if self.view is None:
            self._fill_programs(self.target(), include_inactive=False)
        if not self._loading:
            self._edited("program_id")

    def _first_field(self) -> QWidget:
        """The first field of a new application the user can change."""
        business = self.target() is SubsidyTarget.BUSINESS
        candidates: tuple[QWidget, ...] = (
            self.business_picker if business else self.association_combo,
            self.program_combo,
            self.title_edit,
        )
        return next((w for w in candidates if w.isEnabled()), self.title_edit)

    def _fill_programs(self, target: SubsidyTarget, include_inactive: bool) -> None:
        current = self.program_combo.currentData()
        self._programs = self._subsidies.programs(include_inactive, target=target)
        blocked = self.program_combo.blockSignals(True)
        self.program_combo.clear()
        for program in self._programs:
            self.program_combo.addItem(program.name, program.id)
        if current is not None:
            select_data(self.program_combo, current)
        self.program_combo.blockSignals(blocked)

    def _fill_events(self, keep: int | None = None) -> None:
        blocked = self.event_combo.blockSignals(True)
        self.event_combo.clear()
        self.event_combo.addItem(self.tr("（なし）"), None)
        association_id = self.association_combo.currentData()
        if association_id is not None:
            for row in self._streets.events(association_id):
                period = format_date(row.starts_on)
                if row.ends_on != row.starts_on:
                    period += f"〜{format_date(row.ends_on)}"
                self.event_combo.addItem(f"{row.name}（{period}）", row.id)
                self.event_combo.setItemData(
                    self.event_combo.count() - 1,
                    (row.name, row.ends_on),
                    Qt.ItemDataRole.UserRole + 1,
                )
        select_data(self.event_combo, keep)
        self.event_combo.blockSignals(blocked)
        self._show_event_end()

    def _association_changed(self, *_: object) -> None:
        if self._loading:
            return
        self._fill_events()
        self._edited("association_id")

    def _event_changed(self, *_: object) -> None:
        if self._loading:
            return
        facts = self.event_combo.currentData(Qt.ItemDataRole.UserRole + 1)
        if facts and not self.title_edit.text().strip():
            self.title_edit.setText(facts[0])  # most applications are named after the event
        self._show_event_end()
        self._edited("event_id")

    def _show_event_end(self) -> None:
        facts = self.event_combo.currentData(Qt.ItemDataRole.UserRole + 1)
        self.ends_edit.set_empty_hint(
            self.tr("空欄のときはイベントの最終日（{0}）").format(format_date(facts[1]))
            if facts
            else ""
        )

    def reload(self, keep_form: bool = False) -> None:
        """Read the application again; with ``keep_form`` what was typed stays."""
        assert self.application_id is not None
        view = self._subsidies.get(self.application_id)
        self.view = view
        self.events = self._subsidies.history(view.id)
        self.setWindowTitle(self.tr("補助金 — {0}").format(view.applicant_name))
        self.title_label.setText(f"{view.applicant_name}　{view.program_name}")
        self.state_label.setText(view.state.label)
        self._show_due(view)
        if not keep_form:
            self._fill_form(view)
        self._fill_actions(view)
        self._fill_facts(view)
        self._fill_history()
        self._apply_mode()

    def _show_due(self, view: ApplicationView) -> None:
        due = view.report_due_on
        awaiting = view.state in (SubsidyState.GRANTED, SubsidyState.CHANGE_REQUESTED)
        if due is None or not awaiting:
            self.due_label.setText("")
            self.due_label.hide()
            return
        days = (due - japan_today()).days
        if days < 0:
            self.due_label.setText(
                self.tr("実績報告 {0}日超過（期限 {1}）").format(-days, format_date(due))
            )
            self.due_label.setStyleSheet(OVERDUE_STYLE)
        else:
            self.due_label.setText(
                self.tr("実績報告の期限 {0}（あと{1}日）").format(format_date(due), days)
            )
            self.due_label.setStyleSheet(HINT_STYLE)
        self.due_label.show()

    def _fill_form(self, view: ApplicationView) -> None:
        loading, self._loading = self._loading, True
        street = view.target is SubsidyTarget.STREET
        (self.street_radio if street else self.business_radio).setChecked(True)
        self._fill_programs(view.target, include_inactive=True)
        self._target_changed()
        select_data(self.program_combo, view.program_id, view.program_name)
        if view.business_id is not None:
            self.business_picker.show_business(view.business_id, view.applicant_name)
        if view.association_id is not None:
            select_data(self.association_combo, view.association_id, view.applicant_name)
            self._fill_events(view.event_id)
            select_data(self.event_combo, view.event_id, view.event_name)
        self.title_edit.setText(view.title)
        self.applied_edit.set_date(view.applied_on)
        self.ends_edit.set_date(view.activity_ends_on)
        self.cost_edit.set_amount(view.eligible_cost)
        self.requested_edit.set_amount(view.requested_amount)
        select_data(self.staff_combo, view.staff_id, view.staff_name)
        self.notes_edit.setPlainText(view.notes)
        self._loading = loading
        self._touched.clear()
        self._show_all = False
        self._initial = self._form_state()

    def _apply_mode(self) -> None:
        """What may be changed depends on new/existing, the role and the state."""
        view = self.view
        new = view is None
        can_save = self._principal.can(Kind.SUBSIDY, Action.CREATE if new else Action.EDIT)
        open_fields = new or (view is not None and view.state in EDITABLE)
        for radio in (self.business_radio, self.street_radio):
            radio.setEnabled(new and can_save and not self._fixed_applicant)
        self.business_picker.setEnabled(new and can_save and not self._fixed_applicant)
        self.association_combo.setEnabled(new and can_save and not self._fixed_applicant)
        self.program_combo.setEnabled(new and can_save)
        open_widgets: tuple[QWidget, ...] = (
            self.event_combo,
            self.applied_edit,
            self.ends_edit,
            self.cost_edit,
            self.requested_edit,
        )
        for widget in open_widgets:
            widget.setEnabled(can_save and open_fields)
        free_widgets: tuple[QWidget, ...] = (self.title_edit, self.staff_combo, self.notes_edit)
        for widget in free_widgets:
            widget.setEnabled(can_save)
        self._can_save = can_save
        self.save_button.setVisible(can_save)
        self.save_button.setText(
            self.tr("申請を登録（Ctrl+S）") if new else self.tr("申請内容を保存（Ctrl+S）")
        )
        self.title_label.setVisible(not new)
        self.state_label.setVisible(not new)
        self.facts_box.setVisible(not new)
        self.tabs.setTabEnabled(self.tabs.indexOf(self.history_tab), not new)
        if view is not None and not open_fields and can_save:
            self.cost_edit.setToolTip(text_for("subsidy.fixed_after_grant"))

    def _fill_actions(self, view: ApplicationView) -> None:
        clear_layout(self.actions_layout, keep=(self.exit_button,))
        self.step_buttons.clear()
        self.exit_actions.clear()
        self.exit_menu.clear()
        can_step = self._principal.can(Kind.SUBSIDY, Action.TRANSITION)
        forward = [s for s in view.steps if not s.exit] if can_step else []
        exits = [s for s in view.steps if s.exit] if can_step else []
        if forward:
            self.actions_layout.addWidget(QLabel(self.tr("次の手続き:")))
        for index, step in enumerate(forward):
            button = QPushButton(step.label + "…")
            if index == 0:
                button.setStyleSheet(PRIMARY_STYLE)
            button.clicked.connect(lambda _checked=False, s=step.name: self.start_step(s))
            self.actions_layout.addWidget(button)
            self.step_buttons[step.name] = button
        self.actions_layout.addStretch(1)
        for step in exits:
            action = self.exit_menu.addAction(step.label + "…")
            action.triggered.connect(lambda _checked=False, s=step.name: self.start_step(s))
            self.exit_actions[step.name] = action
        self.exit_button.setVisible(bool(self.exit_actions))
        self.actions_layout.addWidget(self.exit_button)
        self.actions_box.setVisible(bool(forward or exits))

    def _fill_facts(self, view: ApplicationView) -> None:

        def on(day: date | None) -> str:
            return format_date(day) or NONE

        def yen(amount: int | None) -> str:
            return format_yen(amount) or NONE

        def both(day: date | None, amount: int | None) -> str:
            return "　".join(p for p in (format_date(day), format_yen(amount)) if p) or NONE

        rows = [
            (self.tr("年度"), wareki_fiscal_year(view.fiscal_year)),
            (self.tr("申請日"), on(view.applied_on)),
            (self.tr("計算した補助額"), yen(view.computed_amount)),
            (self.tr("申請額"), yen(view.requested_amount)),
            (self.tr("交付決定"), both(view.decided_on, view.granted_amount)),
            (self.tr("事業の終了日"), on(view.activity_ends_on)),
            (self.tr("実績報告の期限"), on(view.report_due_on)),
            (self.tr("実績報告の受付"), on(view.reported_on)),
            (self.tr("額の確定"), both(view.confirmed_on, view.confirmed_amount)),
            (self.tr("支払"), both(view.paid_on, view.paid_amount)),
            (self.tr("終了"), on(view.closed_on)),
            (self.tr("直近の理由"), view.reason or NONE),
        ]
        self.facts.set_rows(rows)

    def fact(self, caption: str) -> str:
        """The value shown next to a caption in 交付・実績・支払 (for tests and reading)."""
        return self.facts.fact(caption)

    def _fill_history(self) -> None:
        table = self.history_table
        table.setRowCount(len(self.events))
        for row, event in enumerate(reversed(self.events)):  # newest first
            if event.from_state is None:
                state = event.to_state.label
            else:
                state = f"{event.from_state.label} → {event.to_state.label}"
            cells = [
                format_date(event.occurred_on),
                step_title(event),
                state,
                event.staff_name,
                event.reason.replace("\n", " "),
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 4 and text:
                    item.setToolTip(event.reason)
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

    # --- reading and checking -------------------------------------------------------------

    def _typed(self, name: str) -> None:
        if self._loading:
            return
        self._timer.start()

    def _edited(self, name: str) -> None:
        if self._loading:
            return
        self._touched.add(name)
        self._timer.start()

    def collect(self) -> tuple[ApplicationInput, dict[str, str]]:
        """The form as typed, and the fields that could not be read (with their code)."""
        unreadable: dict[str, str] = {}
        street = self.target() is SubsidyTarget.STREET
        business_id = None if street else self.business_picker.business_id
        association_id = self.association_combo.currentData() if street else None
        if street and association_id is None:
            unreadable["association_id"] = "required"
        if not street and business_id is None:
            typed = bool(self.business_picker.edit.text().strip())
            unreadable["business_id"] = "invalid_choice" if typed else "required"
        program_id = self.program_combo.currentData()
        if program_id is None:
            unreadable["program_id"] = "required"

        def day(name: str, edit: DateEdit) -> date | None:
            try:
                return edit.date_value()
            except ValueError:
                unreadable[name] = "date.format"
                return None

        def amount(name: str, edit: AmountEdit) -> int | None:
            try:
                return edit.amount()
            except ValueError:
                unreadable[name] = "number.format"
                return None

        applied_on = day("applied_on", self.applied_edit)
        if applied_on is None:
            unreadable.setdefault("applied_on", "required")
        value = ApplicationInput(
            program_id=program_id or 0,
            applied_on=applied_on or japan_today(),
            business_id=business_id,
            association_id=association_id,
            event_id=self.event_combo.currentData() if street else None,
            title=self.title_edit.text(),
            activity_ends_on=day("activity_ends_on", self.ends_edit),
            eligible_cost=amount("eligible_cost", self.cost_edit),
            requested_amount=amount("requested_amount", self.requested_edit),
            staff_id=self.staff_combo.currentData(),
            notes=self.notes_edit.toPlainText(),
        )
        return value, unreadable

    def _rule(self, program_id: int, on: date) -> TermsInfo | None:
        key = (program_id, on)
        if key not in self._terms:
            try:
                self._terms[key] = self._subsidies.terms_in_force(program_id, on)
            except DomainError:
                self._terms[key] = None
        return self._terms[key]

    def _open_fields(self) -> bool:
        return self.view is None or self.view.state in EDITABLE

    def check(self) -> tuple[ApplicationInput, dict[str, str], list[FieldError]]:
        """Ask the service what it would say about the application as typed, and show it."""
        self._timer.stop()
        value, errors = self.collect()
        warnings: list[FieldError] = []
        if self._open_fields() and "program_id" not in errors:
            try:
                findings = self._subsidies.preview(
                    value, application_id=self.view.id if self.view else None
                )
            except DomainError as error:
                errors.setdefault("form", error.code)
            else:
                for found in findings.errors:
                    errors.setdefault(found.field, found.code)
                warnings = findings.warnings
        self._show(errors, warnings)
        self._show_computed(value, errors)
        return value, errors, warnings

    def _show(self, errors: dict[str, str], warnings: list[FieldError]) -> None:
        general = []
        for name, code in errors.items():
            shown = self._show_all or name in self._touched or code != "required"
            if name in self.errors:
                set_error(self.errors[name], text_for(code) if shown else "")
            elif shown:
                general.append(
                    text_for(code) if name == "form" else f"{_label(name)}: {text_for(code)}"
                )
        for name, label in self.errors.items():
            if name not in errors:
                set_error(label, "")
        set_error(self.general_error, "\n".join(general))
        lines = [f"・{_label(w.field)}: {text_for(w.code)}" for w in warnings]
        self.warning_label.setText(self.tr("注意:\n") + "\n".join(lines) if lines else "")
        self.warning_label.setVisible(bool(lines))
        self.confirm_check.setVisible(bool(lines))
        if not lines:
            self.confirm_check.setChecked(False)

    def _show_computed(self, value: ApplicationInput, errors: dict[str, str]) -> None:
        terms = None
        if value.program_id:
            terms = self._rule(value.program_id, value.applied_on)
        self.program_hint.setText(rule_summary(terms) if terms else "")
        cost = value.eligible_cost
        if terms is None or cost is None or "eligible_cost" in errors:
            self.computed_label.setText("")
            self.computed_label.hide()
            return
        # The explanation uses the same rule as the service (the terms in force on the day).
        text = amount_explanation(terms.rule(), cost)
        self.computed_label.setText(self.tr("計算した補助額: {0}").format(text))
        self.computed_label.show()

    def error_texts(self) -> dict[str, str]:
        shown = {name: label.text() for name, label in self.errors.items() if label.text()}
        if self.general_error.text():
            shown["form"] = self.general_error.text()
        return shown

    # --- saving ---------------------------------------------------------------------------

    def _form_state(self) -> object:
        widgets: list[QWidget] = [
            self.business_radio,
            self.association_combo,
            self.program_combo,
            self.event_combo,
            self.title_edit,
            self.applied_edit,
            self.ends_edit,
            self.cost_edit,
            self.requested_edit,
            self.staff_combo,
            self.notes_edit,
        ]
        picked = self.business_picker.business_id, self.business_picker.edit.text()
        return picked, tuple(widget_state(w) for w in widgets)

    def has_changes(self) -> bool:
        return self._can_save and self._form_state() != self._initial

    def save(self) -> bool:
        """File the application, or save the corrected one; True when saved."""
        if not self._can_save:
            return False
        self._show_all = True
        value, errors, warnings = self.check()
        if errors:
            self._focus_error(errors)
            return False
        if warnings and not self.confirm_check.isChecked():
            set_error(
                self.general_error,
                self.tr(
                    "注意事項を確認し、「確認したうえで保存します」にチェックを入れてください。"
                ),
            )
            self.confirm_check.setFocus()
            return False
        try:
            if self.view is None:
                self.application_id, _warnings = self._subsidies.add(value)
            else:
                self._subsidies.update(self.view.id, self.view.version, value)
        except ValidationError as error:
            self._show({e.field: e.code for e in error.errors}, warnings)
            self._focus_error({e.field: e.code for e in error.errors})
            return False
        except Conflict:
            QMessageBox.warning(self, self.windowTitle(), text_for("conflict"))
            self.reload(keep_form=True)
            return False
        except DomainError as error:
            set_error(self.general_error, error_text(error))
            return False
        self.confirm_check.setChecked(False)
        self._after_change()
        return True

    def _focus_error(self, errors: dict[str, str]) -> None:
        order = (
            "business_id",
            "association_id",
            "program_id",
            "event_id",
            "title",
            "applied_on",
            "activity_ends_on",
            "eligible_cost",
            "requested_amount",
            "staff_id",
            "notes",
        )
        for name in order:
            if name in errors:
                self.rows[name].setFocus()
                return

    def _after_change(self) -> None:
        assert self.application_id is not None
        self.reload()
        self.check()
        self.changed.emit(self.application_id)

    # --- steps ----------------------------------------------------------------------------

    def start_step(self, name: StepName) -> SubsidyStepForm | None:
        """Open the form of one step (window-modal; the form records the step itself)."""
        if self.view is None:
            return None
        if self.has_changes() and not self._save_first():
            return None
        assert self.view is not None
        form = SubsidyStepForm(self._subsidies, self.view, STEPS[name], self)
        form.accepted.connect(self._step_done)
        form.conflict.connect(lambda: self._form_conflict(form))
        self.step_form = form
        form.open()
        return form

    def _save_first(self) -> bool:
        answer = QMessageBox.question(
            self,
            self.windowTitle(),
            self.tr("申請内容の変更が保存されていません。保存してから手続きを記録しますか？"),
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Save and self.save()

    def _step_done(self) -> None:
        self.step_form = None
        self._after_change()

    def _form_conflict(self, form: SubsidyStepForm) -> None:
        """Someone else changed the application: tell, reload, keep the form if it fits."""
        QMessageBox.warning(self, self.windowTitle(), text_for("conflict"))
        self.reload(keep_form=self.has_changes())
        assert self.view is not None
        if form.step in self.view.steps:
            form.view = self.view
            form.check()
        else:
            QMessageBox.warning(self, self.windowTitle(), text_for("subsidy.step_not_allowed"))
            form._changed = False
            form.reject()

    # --- closing --------------------------------------------------------------------------

    def reject(self) -> None:
        if self.has_changes():
            answer = ask_save(self)
            if answer == QMessageBox.StandardButton.Save:
                if not self.save():
                    return
            elif answer != QMessageBox.StandardButton.Discard:
                return
        super().reject()

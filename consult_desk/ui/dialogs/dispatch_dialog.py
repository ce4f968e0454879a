"""専門家派遣の案件: the application, the dispatch's state with one button per allowed step, its
visits (訪問記録) and its history.

Each step opens a small form asking exactly the step's fields (the decision: approved visits
and an expert registered on the decision day). What the service would say shows while the
officer types (``DispatchService.preview``): errors block the step, warnings need a tick. Step
and visit forms open with ``open()`` (window-modal, not a nested event loop), so the dispatch
window can reload under them when someone else changed the dispatch meanwhile.
"""

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
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
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.dispatch import (
    BEFORE_DECISION,
    MAX_VISITS,
    STEPS,
    VISITS_EDITABLE,
    VISITS_OPEN,
    DispatchEvent,
    DispatchInput,
    DispatchState,
    DispatchView,
    ExpertRow,
    Step,
    StepInput,
    StepName,
    VisitRow,
)
from consult_desk.domain.errors import Conflict, DomainError, FieldError, ValidationError
from consult_desk.domain.fiscal import (
    format_date,
    format_yen,
    japan_today,
    wareki_fiscal_year,
)
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.services.businesses import BusinessService
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.dispatch import DispatchService
from consult_desk.services.experts import ExpertService
from consult_desk.services.reference import ReferenceService
from consult_desk.ui.dialogs.dispatch_common import (
    USAGE_FULL_STYLE,
    USAGE_STYLE,
    DateEdit,
    YenEdit,
    fill_experts,
)
from consult_desk.ui.dialogs.visit_dialog import VisitDialog
from consult_desk.ui.messages import error_text, label_for, text_for
from consult_desk.ui.models.dispatch_tables import visits_text
from consult_desk.ui.widgets.business_picker import BusinessPicker
from consult_desk.ui.widgets.facts import FactsPanel
from consult_desk.ui.widgets.inline_fields import (
    HINT_STYLE,
    NONE,
    OVERDUE_STYLE,
    PRIMARY_STYLE,
    STATE_STYLE,
    GuardedDialog,
    error_label,
    hint,
    plain,
    select_data,
    set_error,
)
from consult_desk.ui.widgets.layouts import clear_layout
from consult_desk.ui.widgets.step_form import CheckedForm
from consult_desk.ui.widgets.tables import make_table_widget

# The label of each step's date box, by the dispatch column the date goes to.
DATE_LABELS: dict[str | None, str] = {
    None: "手続きの日",
    "decided_on": "派遣決定日",
    "completed_on": "完了日",
    "report_received_on": "実績報告の受理日",
    "paid_on": "支払日",
    "cancelled_on": "中止日",
}
# Step fields whose shared label (金額) says too little here.
FIELD_LABELS = {"amount": "支払額", "reason": "中止の理由"}
# 派遣開始 has no button: recording the first visit starts the dispatch.
HIDDEN_STEPS = frozenset({StepName.START})
VISIT_COLUMNS = ("回", "訪問日", "時間", "場所", "専門家", "相談内容・課題", "謝金", "報告書")


# --- the step form ------------------------------------------------------------------------


class DispatchStepForm(CheckedForm):
    """One step of the dispatch: exactly its fields, the date first, live checks below each.

    ``conflict``: the dispatch changed meanwhile; the window reloads and tells."""

    def __init__(
        self,
        dispatch: DispatchService,
        experts: ExpertService,
        view: DispatchView,
        step: Step,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("記録する", parent)
        self._dispatch = dispatch
        self._experts = experts
        self.view = view
        self.step = step
        self.version: int | None = None
        self._experts_on: date | None = None
        self._known: dict[int, ExpertRow] = {}
        self.setWindowTitle(f"{step.label} — {view.business_name}")
        self.setMinimumWidth(560)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.date_edit = DateEdit(japan_today())
        label = self.tr(DATE_LABELS.get(step.date_field, DATE_LABELS[None]))
        self._add(form, "occurred_on", label, self.date_edit.with_hint(), True)
        for name in (*step.required, *step.optional):
            widget, shown = self._widget(name)
            self.inputs[name] = widget
            label = self.tr(FIELD_LABELS[name]) if name in FIELD_LABELS else label_for(name)
            self._add(form, name, label, shown, name in step.required)
            if text := self._hint_for(name):
                form.addRow("", hint(text))
        layout = QVBoxLayout(self)
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

    # --- building -------------------------------------------------------------------------

    def _add(self, form: QFormLayout, name: str, label: str, row: QWidget, required: bool) -> None:
        box = QWidget()
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.setSpacing(1)
        box_layout.addWidget(row)
        self.errors[name] = error_label()
        box_layout.addWidget(self.errors[name])
        form.addRow(label + (" ＊" if required else ""), box)

    def _widget(self, name: str) -> tuple[QWidget, QWidget]:
        """The input for a field and the row that holds it."""
        view = self.view
        if name == "approved_visits":
            spin = QSpinBox()
            spin.setRange(0, MAX_VISITS)
            spin.setSuffix(self.tr(" 回"))
            spin.setMaximumWidth(110)
            remaining = self._remaining()
            spin.setValue(max(remaining, 1) if remaining is not None else 1)
            return spin, spin
        if name == "expert_id":
            combo = QComboBox()
            combo.setMinimumContentsLength(24)
            return combo, combo
        if name == "report_due_on":
            edit = DateEdit()
            return edit, edit.with_hint()
        if name == "amount":
            amount = YenEdit(view.fee_total)
            return amount, amount.with_hint()
        reason = plain(70)
        return reason, reason

    def _remaining(self) -> int | None:
        try:
            return self._dispatch.year_usage(self.view.id, japan_today()).remaining
        except DomainError:
            return None

    def _hint_for(self, name: str) -> str:
        view = self.view
        if name == "approved_visits":
            try:
                usage = self._dispatch.year_usage(view.id, japan_today())
            except DomainError:
                return ""
            return self.tr("この事業者の{0}の利用 {1}/{2}回（残り {3}回）").format(
                wareki_fiscal_year(usage.fiscal_year), usage.used, usage.cap, usage.remaining
            )
        if name == "expert_id":
            return self.tr("決定日に登録期間内の専門家だけを選べます。")
        if name == "report_due_on":
            try:
                days = self._dispatch.report_due_days()
            except DomainError:
                return ""
            return self.tr("空欄のときは完了日の{0}日後です（設定 › 派遣制度）。").format(days)
        if name == "amount":
            return self.tr("訪問 {0}回の謝金の合計 {1}").format(
                view.visits, format_yen(view.fee_total) or "0円"
            )
        return ""

    # --- reading and checking -------------------------------------------------------------

    def collect(self) -> tuple[StepInput, dict[str, str]]:
        """The typed values, and the fields that could not be read (with their code)."""
        unreadable: dict[str, str] = {}
        on = japan_today()
        try:
            typed = self.date_edit.value()
        except ValueError:
            unreadable["occurred_on"] = "date.format"
        else:
            if typed is None:
                unreadable["occurred_on"] = "required"
            else:
                on = typed
        values: dict[str, object] = {}
        for name, widget in self.inputs.items():
            if isinstance(widget, QSpinBox):
                values[name] = widget.value() or None
            elif isinstance(widget, QComboBox):
                values[name] = widget.currentData()
            elif isinstance(widget, YenEdit):
                amount, errors = widget.read(name)
                values[name] = None if errors else amount
                if errors:
                    unreadable[name] = errors[0].code
            elif isinstance(widget, DateEdit):
                try:
                    values[name] = widget.value()
                except ValueError:
                    values[name] = None
                    unreadable[name] = "date.format"
            elif isinstance(widget, QPlainTextEdit):
                values[name] = widget.toPlainText()
        return StepInput(self.step.name, on, **values), unreadable  # type: ignore[arg-type]

    def check(self) -> tuple[StepInput, dict[str, str], list[FieldError]]:
        """Ask the service what it would say about the step as typed, and show it."""
        self._timer.stop()
        value, errors = self.collect()
        if "occurred_on" not in errors:
            self._refresh_experts(value.occurred_on)
        warnings: list[FieldError] = []
        try:
            findings = self._dispatch.preview(self.view.id, value)
        except DomainError as error:
            errors.setdefault("step", error.code)
        else:
            for found in findings.errors:
                errors.setdefault(found.field, found.code)
            warnings = findings.warnings
        self._show(errors, warnings)
        return value, errors, warnings

    def _refresh_experts(self, on: date) -> None:
        """The decision's expert: those registered on the decision day (once per date)."""
        combo = self.inputs.get("expert_id")
        if not isinstance(combo, QComboBox) or on == self._experts_on:
            return
        current_id = combo.currentData() if self._experts_on else self.view.expert_id
        choices = self._experts.assignable(on)
        self._known.update({e.id: e for e in choices})
        current = self._known.get(current_id) if current_id is not None else None
        if current_id is not None and current is None:
            try:
                current = self._experts.get(current_id)
            except DomainError:
                current = None
        fill_experts(combo, choices, current, on, self.tr("（未定）"))
        self._experts_on = on

    def fields(self) -> dict[str, QWidget]:
        return {"occurred_on": self.date_edit, **self.inputs}

    def submit(self, value: StepInput) -> None:
        self.version, self.warnings = self._dispatch.advance(self.view.id, self.view.version, value)


# --- the dispatch window ------------------------------------------------------------------


class DispatchDialog(GuardedDialog):
    """A new dispatch (申請) or an existing one with its steps, visits and history.

    - ``changed`` carries the dispatch id after anything was saved (application, step, visit),
      so lists, the カルテ and the follow-up panel refresh; ``open_consultation`` asks the main
      window to open the consultation the dispatch was started from.
    - Roles without the dispatch workflow (the loan desk, managers, auditors) see everything
      without buttons; the service would refuse anyway.
    """

    changed = Signal(int)
    open_consultation = Signal(int)

    def __init__(
        self,
        dispatch: DispatchService,
        experts: ExpertService,
        businesses: BusinessService,
        reference: ReferenceService,
        principal: Principal,
        dispatch_id: int | None = None,
        business_id: int | None = None,
        consultation_id: int | None = None,
        consultations: ConsultationService | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._dispatch = dispatch
        self._experts = experts
        self._consultations = consultations
        self._principal = principal
        self.dispatch_id = dispatch_id
        self.view: DispatchView | None = None
        self.visits: list[VisitRow] = []
        self.events: list[DispatchEvent] = []
        self.consultation_id = consultation_id
        self.step_form: DispatchStepForm | None = None
        self.visit_form: VisitDialog | None = None
        self.step_buttons: dict[StepName, QPushButton] = {}
        self.exit_actions: dict[StepName, QAction] = {}
        self._loading = True
        self._changed = False
        self._can_save = False
        self._card_touched: set[str] = set()
        self._card_show_all = False
        self._experts_on: date | None = None
        self._programs = dispatch.programs(include_inactive=dispatch_id is not None)
        self.resize(1060, 720)

        # --- header (an existing dispatch) ---
        self.title_label = QLabel()
        self.title_label.setObjectName("pageTitle")
        self.state_label = QLabel()
        self.state_label.setStyleSheet(STATE_STYLE)
        self.usage_label = QLabel()
        self.usage_label.setStyleSheet(USAGE_STYLE)
        self.report_label = QLabel()
        self.consultation_button = QPushButton()
        self.consultation_button.clicked.connect(self._open_consultation)
        self.actions_box = QWidget()
        self.actions_layout = QHBoxLayout(self.actions_box)
        self.actions_layout.setContentsMargins(0, 0, 0, 0)
        self.actions_box.hide()  # until a dispatch with steps is shown
        self.visit_button = QPushButton(self.tr("訪問を記録…"))
        self.visit_button.clicked.connect(self.add_visit)
        self.exit_button = QPushButton(self.tr("終了…"))
        self.exit_menu = QMenu(self.exit_button)
        self.exit_button.setMenu(self.exit_menu)

        # --- the application ---
        self.business_picker = BusinessPicker(businesses)
        self.business_picker.picked.connect(self._card_edited("business_id"))
        self.program_combo = QComboBox()
        for program in self._programs:
            self.program_combo.addItem(program.name, program.id)
        self.theme_edit = QLineEdit()
        self.theme_edit.setPlaceholderText(self.tr("例: 販路拡大の計画づくり、原価管理の見直し"))
        self.applied_edit = DateEdit(japan_today())
        self.staff_combo = QComboBox()
        self.staff_combo.addItem(self.tr("（未定）"), None)
        for member in reference.staff():
            self.staff_combo.addItem(member.name, member.id)
        self.expert_combo = QComboBox()
        self.expert_combo.setMinimumContentsLength(22)
        self.notes_edit = plain(70)
        self.card_errors: dict[str, QLabel] = {}
        self.card_error = error_label()
        self.save_button = QPushButton(self.tr("申請を登録（Ctrl+S）"))
        self.save_button.setStyleSheet(PRIMARY_STYLE)
        self.save_button.clicked.connect(self.save)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)

        # --- facts, visits, history ---
        self.facts = FactsPanel()
        self.visit_summary = hint()
        self.visits_table = self._table(VISIT_COLUMNS, (48, 124, 112, 140, 110, 250, 84))
        self.visits_table.cellDoubleClicked.connect(lambda row, _c: self.edit_visit(row))
        self.add_visit_button = QPushButton(self.tr("訪問を記録…"))
        self.add_visit_button.clicked.connect(self.add_visit)
        self.edit_visit_button = QPushButton(self.tr("編集…"))
        self.edit_visit_button.clicked.connect(lambda: self.edit_visit())
        self.delete_visit_button = QPushButton(self.tr("最後の訪問を削除…"))
        self.delete_visit_button.clicked.connect(self.delete_last_visit)
        self.history_table = self._table(
            ("日付", "手続き", "状態", "担当", "理由"), (130, 170, 200, 100)
        )

        self._build_layout()
        self._connect_changes()
        if dispatch_id is not None:
            self.reload()
        else:
            self.setWindowTitle(self.tr("専門家派遣 — 新しい申請"))
            select_data(self.staff_combo, principal.staff_id)
            if business_id is not None:
                self.business_picker.set_business(business_id)
            self._refresh_card_experts(japan_today(), None)
            self._show_consultation()
            self._apply_mode()
            (self.theme_edit if business_id else self.business_picker).setFocus()
        self._loading = False

    # --- layout ---------------------------------------------------------------------------

    def _table(self, titles: tuple[str, ...], widths: tuple[int, ...]) -> QTableWidget:
        return make_table_widget([self.tr(t) for t in titles], widths, row_height=24)

    def _card_row(
        self, form: QFormLayout, name: str, widget: QWidget, required: bool, label: str = ""
    ) -> None:
        box = QWidget()
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.setSpacing(1)
        box_layout.addWidget(widget)
        self.card_errors[name] = error_label()
        box_layout.addWidget(self.card_errors[name])
        form.addRow((label or label_for(name)) + (" ＊" if required else ""), box)

    def _build_layout(self) -> None:
        header = QHBoxLayout()
        header.addWidget(self.title_label)
        header.addWidget(self.state_label)
        header.addWidget(self.usage_label)
        header.addWidget(self.report_label)
        header.addStretch(1)
        header.addWidget(self.consultation_button)

        card = QGroupBox(self.tr("申請内容"))
        card_layout = QVBoxLayout(card)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        card_layout.addLayout(form)
        card_layout.addStretch(1)
        self._card_row(form, "business_id", self.business_picker, True)
        self._card_row(form, "program_id", self.program_combo, True, self.tr("制度"))
        self._card_row(form, "theme", self.theme_edit, True)
        self._card_row(form, "applied_on", self.applied_edit.with_hint(), True)
        self._card_row(form, "staff_id", self.staff_combo, False)
        self._card_row(form, "expert_id", self.expert_combo, False)
        self._card_row(form, "notes", self.notes_edit, False)
        form.addRow("", self.card_error)
        form.addRow("", self.save_button)

        self.facts_box = QGroupBox(self.tr("派遣の内容"))
        QVBoxLayout(self.facts_box).addWidget(self.facts)
        case_tab = QWidget()
        case_layout = QHBoxLayout(case_tab)
        case_layout.addWidget(card, 1)
        case_layout.addWidget(self.facts_box, 1)

        visits_tab = QWidget()
        visits_layout = QVBoxLayout(visits_tab)
        visits_layout.addWidget(self.visit_summary)
        visits_layout.addWidget(self.visits_table, 1)
        visit_buttons = QHBoxLayout()
        visit_buttons.addWidget(self.add_visit_button)
        visit_buttons.addWidget(self.edit_visit_button)
        visit_buttons.addStretch(1)
        visit_buttons.addWidget(self.delete_visit_button)
        visits_layout.addLayout(visit_buttons)

        history_tab = QWidget()
        QVBoxLayout(history_tab).addWidget(self.history_table)

        self.tabs = QTabWidget()
        self.tabs.addTab(case_tab, self.tr("申請"))
        self.tabs.addTab(visits_tab, self.tr("訪問記録"))
        self.tabs.addTab(history_tab, self.tr("経過"))
        self.visits_tab, self.history_tab = visits_tab, history_tab

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.actions_box)
        layout.addWidget(self.tabs, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)

    def _connect_changes(self) -> None:
        for name, edit in (("theme", self.theme_edit), ("applied_on", self.applied_edit)):
            edit.textChanged.connect(self._card_edited(name))
        self.notes_edit.textChanged.connect(self._card_edited("notes"))
        for name, combo in (
            ("program_id", self.program_combo),
            ("staff_id", self.staff_combo),
            ("expert_id", self.expert_combo),
        ):
            combo.currentIndexChanged.connect(self._card_edited(name))
        self.applied_edit.editingFinished.connect(self._applied_changed)

    # --- loading --------------------------------------------------------------------------

    def reload(self, keep_card: bool = False) -> None:
        """Read the dispatch again; with ``keep_card`` what was typed in the card stays."""
        assert self.dispatch_id is not None
        view = self._dispatch.get(self.dispatch_id)
        self.view = view
        self.consultation_id = view.consultation_id
        self.visits = self._dispatch.visits(view.id)
        self.events = self._dispatch.history(view.id)
        self.setWindowTitle(self.tr("専門家派遣 — {0}").format(view.business_name))
        self.title_label.setText(f"{view.business_name}　{view.theme}")
        self.state_label.setText(view.state.label)
        self._show_usage(view)
        self._show_report(view)
        if not keep_card:
            self._fill_card(view)
        self._show_consultation()
        self._fill_actions(view)
        self._fill_facts(view)
        self._fill_visits(view)
        self._fill_history()
        self._apply_mode()

    def _usage_day(self, view: DispatchView) -> date:
        """The day whose 年度 the header counts: today while visits may come, else the last
        visit's (a finished dispatch keeps showing its own 年度)."""
        if view.state in VISITS_OPEN or view.state in BEFORE_DECISION:
            return japan_today()
        return self.visits[-1].visited_on if self.visits else view.applied_on

    def _show_usage(self, view: DispatchView) -> None:
        try:
            usage = self._dispatch.year_usage(view.id, self._usage_day(view))
        except DomainError:
            self.usage_label.setText("")
            return
        self.usage_label.setText(
            self.tr("{0}の利用 {1}/{2}回").format(
                wareki_fiscal_year(usage.fiscal_year), usage.used, usage.cap
            )
        )
        full = usage.used >= usage.cap and view.state in VISITS_OPEN
        self.usage_label.setStyleSheet(USAGE_FULL_STYLE if full else USAGE_STYLE)
        self.usage_label.setToolTip(
            self.tr("この事業者がこの制度で受けた年度内の訪問（すべての派遣の合計）と上限")
        )

    def _show_report(self, view: DispatchView) -> None:
        text, style = "", HINT_STYLE
        if view.state == DispatchState.COMPLETED and view.report_due_on is not None:
            days = (view.report_due_on - japan_today()).days
            if days < 0:
                text = self.tr("実績報告 {0}日超過（期限 {1}）").format(
                    -days, format_date(view.report_due_on)
                )
                style = OVERDUE_STYLE
            else:
                text = self.tr("実績報告の期限 {0}").format(format_date(view.report_due_on))
        self.report_label.setText(text)
        self.report_label.setStyleSheet(style)
        self.report_label.setVisible(bool(text))

    def _fill_card(self, view: DispatchView) -> None:
        loading, self._loading = self._loading, True
        self.business_picker.show_business(view.business_id, view.business_name)
        if not select_data(self.program_combo, view.program_id):
            self.program_combo.addItem(view.program_name, view.program_id)
            select_data(self.program_combo, view.program_id)
        self.theme_edit.setText(view.theme)
        self.applied_edit.set_value(view.applied_on)
        if not select_data(self.staff_combo, view.staff_id) and view.staff_id is not None:
            self.staff_combo.addItem(view.staff_name, view.staff_id)
            select_data(self.staff_combo, view.staff_id)
        self._experts_on = None
        self._refresh_card_experts(view.decided_on or view.applied_on, view.expert_id)
        self.notes_edit.setPlainText(view.notes)
        self._loading = loading
        self._changed = False
        self._card_touched.clear()
        self._card_show_all = False
        self._show_card_errors([])

    def _refresh_card_experts(self, on: date, current_id: int | None) -> None:
        if on == self._experts_on:
            return
        choices = self._experts.assignable(on)
        current = next((e for e in choices if e.id == current_id), None)
        if current_id is not None and current is None:
            try:
                current = self._experts.get(current_id)
            except DomainError:
                current = None
        fill_experts(self.expert_combo, choices, current, on, self.tr("（未定）"))
        self._experts_on = on

    def _applied_changed(self) -> None:
        """A new application offers the experts registered on the application day."""
        if self.view is not None:
            return
        try:
            on = self.applied_edit.value()
        except ValueError:
            return
        if on is not None:
            self._refresh_card_experts(on, self.expert_combo.currentData())

    def _apply_mode(self) -> None:
        """What may be changed depends on new/existing, the role and the state."""
        view = self.view
        new = view is None
        p = self._principal
        can_save = p.can(Kind.DISPATCH, Action.CREATE if new else Action.EDIT)
        self.business_picker.setEnabled(new and can_save and self.consultation_id is None)
        early = new or (view is not None and view.state in BEFORE_DECISION)
        self.program_combo.setEnabled(can_save and early)
        self.applied_edit.setEnabled(can_save and early)
        for widget in (self.theme_edit, self.staff_combo, self.expert_combo, self.notes_edit):
            widget.setEnabled(can_save)
        self._can_save = can_save
        self.save_button.setVisible(can_save)
        self.save_button.setText(
            self.tr("申請を登録（Ctrl+S）") if new else self.tr("申請内容を保存（Ctrl+S）")
        )
        header: tuple[QWidget, ...] = (self.title_label, self.state_label, self.usage_label)
        for label in header:
            label.setVisible(not new)
        if new:
            self.report_label.hide()
        self.facts_box.setVisible(not new)
        self.tabs.setTabEnabled(self.tabs.indexOf(self.visits_tab), not new)
        self.tabs.setTabEnabled(self.tabs.indexOf(self.history_tab), not new)

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

    def _fill_actions(self, view: DispatchView) -> None:
        clear_layout(self.actions_layout, keep=(self.exit_button, self.visit_button))
        self.step_buttons.clear()
        self.exit_actions.clear()
        self.exit_menu.clear()
        p = self._principal
        can_step = p.can(Kind.DISPATCH, Action.TRANSITION)
        can_visit = p.can(Kind.DISPATCH, Action.CREATE) and view.state in VISITS_OPEN
        forward = [s for s in view.steps if not s.exit and s.name not in HIDDEN_STEPS]
        exits = [s for s in view.steps if s.exit]
        if (can_step and forward) or can_visit:
            self.actions_layout.addWidget(QLabel(self.tr("次の手続き:")))
        if can_visit:
            # Visits are what a decided dispatch waits for; the first one starts it.
            self.visit_button.setStyleSheet(PRIMARY_STYLE)
            self.actions_layout.addWidget(self.visit_button)
        self.visit_button.setVisible(can_visit)
        for index, step in enumerate(forward if can_step else []):
            button = QPushButton(step.label + "…")
            if index == 0 and not can_visit:
                button.setStyleSheet(PRIMARY_STYLE)
            button.clicked.connect(lambda _checked=False, s=step.name: self.start_step(s))
            self.actions_layout.addWidget(button)
            self.step_buttons[step.name] = button
        self.actions_layout.addStretch(1)
        for step in exits if can_step else []:
            action = self.exit_menu.addAction(step.label + "…")
            action.triggered.connect(lambda _checked=False, s=step.name: self.start_step(s))
            self.exit_actions[step.name] = action
        self.exit_button.setVisible(bool(self.exit_actions))
        self.actions_layout.addWidget(self.exit_button)
        self.actions_box.setVisible(bool(self.step_buttons or self.exit_actions or can_visit))

    def _fill_facts(self, view: DispatchView) -> None:
        cancelled = NONE
        if view.cancelled_on is not None:
            cancelled = format_date(view.cancelled_on)
            if view.cancel_reason:
                cancelled += f"（{view.cancel_reason}）"
        due = format_date(view.report_due_on) or NONE
        rows = [
            (self.tr("制度"), view.program_name),
            (self.tr("年度"), wareki_fiscal_year(view.fiscal_year)),
            (self.tr("申請日"), format_date(view.applied_on)),
            (self.tr("派遣決定日"), format_date(view.decided_on) or NONE),
            (self.tr("決定回数"), f"{view.approved_visits}回" if view.approved_visits else NONE),
            (self.tr("専門家"), view.expert_name or NONE),
            (self.tr("訪問"), visits_text(view.visits, view.approved_visits)),
            (self.tr("謝金の合計"), format_yen(view.fee_total) or "0円"),
            (self.tr("完了日"), format_date(view.completed_on) or NONE),
            (self.tr("実績報告の期限"), due),
            (self.tr("実績報告の受理日"), format_date(view.report_received_on) or NONE),
            (self.tr("支払日"), format_date(view.paid_on) or NONE),
            (self.tr("中止"), cancelled),
            (self.tr("担当"), view.staff_name or NONE),
        ]
        self.facts.set_rows(rows)

    def fact(self, caption: str) -> str:
        """The value shown next to a caption in 派遣の内容 (for tests and reading)."""
        return self.facts.fact(caption)

    def _fill_visits(self, view: DispatchView) -> None:
        p = self._principal
        can_add = p.can(Kind.DISPATCH, Action.CREATE) and view.state in VISITS_OPEN
        can_edit = p.can(Kind.DISPATCH, Action.EDIT)
        self.add_visit_button.setVisible(p.can(Kind.DISPATCH, Action.CREATE))
        self.add_visit_button.setEnabled(can_add)
        editable = can_edit and view.state in VISITS_EDITABLE
        self.edit_visit_button.setText(self.tr("編集…") if editable else self.tr("表示…"))
        self.edit_visit_button.setEnabled(bool(self.visits))
        self.delete_visit_button.setVisible(can_edit)
        self.delete_visit_button.setEnabled(bool(self.visits) and view.state in VISITS_OPEN)
        total = sum(v.effective_fee for v in self.visits)
        summary = self.tr("訪問 {0}・謝金の合計 {1}").format(
            visits_text(view.visits, view.approved_visits), format_yen(total) or "0円"
        )
        if view.state in BEFORE_DECISION:
            summary += self.tr("　（派遣決定の後に記録できます）")
        self.visit_summary.setText(summary)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        table = self.visits_table
        table.setRowCount(len(self.visits))
        for row, visit in enumerate(self.visits):
            times = ""
            if visit.start_time or visit.end_time:
                start = visit.start_time.strftime("%H:%M") if visit.start_time else ""
                end = visit.end_time.strftime("%H:%M") if visit.end_time else ""
                times = f"{start}〜{end}"
            place = visit.place
            if visit.online:
                place = self.tr("オンライン") + (f"（{place}）" if place else "")
            cells = [
                self.tr("第{0}回").format(visit.number),
                format_date(visit.visited_on),
                times,
                place,
                visit.expert_name,
                visit.issues.replace("\n", " "),
                format_yen(visit.effective_fee) or "0円",
                format_date(visit.report_received_on) or self.tr("未受理"),
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 6:
                    item.setTextAlignment(right)
                if column == 5 and text:
                    item.setToolTip(visit.issues)
                table.setItem(row, column, item)

    def visit_rows(self) -> list[list[str]]:
        """The visits as shown (for tests and reading)."""
        return _rows(self.visits_table)

    def _event_title(self, event: DispatchEvent) -> str:
        if event.from_state is None:
            return self.tr("申請を登録")
        for step in STEPS.values():
            if event.from_state in step.sources and step.target == event.to_state:
                if step.name == StepName.START:
                    return self.tr("派遣開始（第1回の訪問）")
                return step.label
        return event.to_state.label

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
                self._event_title(event),
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
        return _rows(self.history_table)

    # --- the application ------------------------------------------------------------------

    def _card_edited(self, name: str) -> Callable[..., None]:
        def edited(*_: object) -> None:
            if self._loading:
                return
            self._changed = True
            self._card_touched.add(name)
            self._check_card()

        return edited

    def card_input(self) -> tuple[DispatchInput | None, list[FieldError]]:
        """The application as typed, and what is wrong with it (empty: it may be saved)."""
        errors: list[FieldError] = []
        applied_on = japan_today()
        try:
            typed = self.applied_edit.value()
        except ValueError:
            errors.append(FieldError("applied_on", "date.format"))
        else:
            if typed is None:
                errors.append(FieldError("applied_on", "required"))
            else:
                applied_on = typed
        business_id = self.business_picker.business_id
        if business_id is None:
            has_text = bool(self.business_picker.edit.text().strip())
            errors.append(FieldError("business_id", "invalid_choice" if has_text else "required"))
        program_id = self.program_combo.currentData()
        if program_id is None:
            errors.append(FieldError("program_id", "required"))
        value = DispatchInput(
            business_id=business_id or 0,
            program_id=int(program_id or 0),
            theme=self.theme_edit.text(),
            applied_on=applied_on,
            consultation_id=self.consultation_id,
            staff_id=self.staff_combo.currentData(),
            expert_id=self.expert_combo.currentData(),
            notes=self.notes_edit.toPlainText(),
        )
        known = {e.field for e in errors}
        errors += [e for e in value.errors(japan_today()) if e.field not in known]
        return (None if errors else value), errors

    def _check_card(self) -> None:
        _value, errors = self.card_input()
        shown = [
            e
            for e in errors
            if self._card_show_all or e.field in self._card_touched or e.code != "required"
        ]
        # The business is only judged once it was typed into or a save was tried.
        if not self._card_show_all and "business_id" not in self._card_touched:
            shown = [e for e in shown if e.field != "business_id"]
        self._show_card_errors(shown)

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

    def card_error_texts(self) -> dict[str, str]:
        shown = {n: label.text() for n, label in self.card_errors.items() if label.text()}
        if self.card_error.text():
            shown["general"] = self.card_error.text()
        return shown

    def save(self) -> None:
        """Record the application, or save the corrected one."""
        if not self._can_save:
            return
        self._card_show_all = True
        value, errors = self.card_input()
        if value is None:
            self._show_card_errors(errors)
            return
        try:
            if self.view is None:
                self.dispatch_id = self._dispatch.add(value)
            else:
                self._dispatch.update(self.view.id, self.view.version, value)
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

    # --- steps ----------------------------------------------------------------------------

    def start_step(self, name: StepName) -> DispatchStepForm | None:
        """Open the form of one step (window-modal; the form records the step itself)."""
        if self.view is None:
            return None
        if self._changed and not self._save_card_first():
            return None
        form = DispatchStepForm(self._dispatch, self._experts, self.view, STEPS[name], self)
        form.accepted.connect(self._step_done)
        form.conflict.connect(lambda: self._step_conflict(form))
        self.step_form = form
        form.open()
        return form

    def _save_card_first(self) -> bool:
        """A step or a visit on an application with unsaved corrections: save them first."""
        answer = QMessageBox.question(
            self,
            self.windowTitle(),
            self.tr("申請内容の変更が保存されていません。保存してから続けますか？"),
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Save:
            return False
        self.save()
        return not self._changed

    def _step_done(self) -> None:
        self.step_form = None
        self._after_change()

    def _step_conflict(self, form: DispatchStepForm) -> None:
        """Someone else changed the dispatch: tell, reload, and keep the form if it fits."""
        QMessageBox.warning(self, self.windowTitle(), text_for("conflict"))
        self.reload(keep_card=self._changed)
        assert self.view is not None
        if form.step in self.view.steps:
            form.view = self.view
            form.check()
        else:
            QMessageBox.warning(self, self.windowTitle(), text_for("dispatch.step_not_allowed"))
            form._changed = False
            form.reject()

    def _after_change(self) -> None:
        assert self.dispatch_id is not None
        self.reload(keep_card=self._changed)
        self.changed.emit(self.dispatch_id)

    def _conflict(self, keep_card: bool) -> None:
        QMessageBox.warning(self, self.windowTitle(), text_for("conflict"))
        if self.dispatch_id is not None:
            self.reload(keep_card=keep_card)
        if keep_card:
            self._changed = True

    # --- visits ---------------------------------------------------------------------------

    def add_visit(self) -> VisitDialog | None:
        """The next visit's form (window-modal; it records the visit itself)."""
        if self.view is None:
            return None
        if self._changed and not self._save_card_first():
            return None
        previous = self.visits[-1] if self.visits else None
        form = VisitDialog(self._dispatch, self._experts, self.view, previous=previous, parent=self)
        return self._open_visit(form)

    def edit_visit(self, row: int | None = None) -> VisitDialog | None:
        """A recorded visit: corrected while the dispatch is not paid or cancelled, else shown."""
        if self.view is None:
            return None
        if row is None:
            rows = self.visits_table.selectionModel().selectedRows()
            row = rows[0].row() if rows else len(self.visits) - 1
        if not 0 <= row < len(self.visits):
            return None
        editable = (
            self._principal.can(Kind.DISPATCH, Action.EDIT) and self.view.state in VISITS_EDITABLE
        )
        form = VisitDialog(
            self._dispatch,
            self._experts,
            self.view,
            visit=self.visits[row],
            read_only=not editable,
            parent=self,
        )
        return self._open_visit(form)

    def _open_visit(self, form: VisitDialog) -> VisitDialog:
        form.accepted.connect(self._visit_done)
        form.conflict.connect(lambda: self._visit_conflict(form))
        self.visit_form = form
        self.tabs.setCurrentWidget(self.visits_tab)
        form.open()
        return form

    def _visit_done(self) -> None:
        self.visit_form = None
        self._after_change()

    def _visit_conflict(self, form: VisitDialog) -> None:
        """Someone saved the visit (or another one) meanwhile: tell, reload, and hand the form
        the fresh dispatch and visit; what was typed stays, and saving again is possible."""
        QMessageBox.warning(self, self.windowTitle(), text_for("conflict"))
        self.reload(keep_card=self._changed)
        assert self.view is not None
        fresh = form.visit
        if form.visit is not None:
            fresh = next((v for v in self.visits if v.id == form.visit.id), None)
            if fresh is None:  # deleted meanwhile: the form stays, saving says so
                QMessageBox.warning(self, self.windowTitle(), text_for("not_found"))
                fresh = form.visit
        form.rebase(self.view, fresh)

    def delete_last_visit(self) -> None:
        """Remove the last visit entered by mistake (numbers stay without gaps)."""
        if self.view is None or not self.visits:
            return
        last = self.visits[-1]
        answer = QMessageBox.question(
            self,
            self.windowTitle(),
            self.tr("第{0}回（{1}）の訪問記録を削除します。よろしいですか？").format(
                last.number, format_date(last.visited_on)
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self._dispatch.delete_visit(last.id, last.version)
        except Conflict:
            self._conflict(keep_card=self._changed)
            return
        except DomainError as error:
            QMessageBox.warning(self, self.windowTitle(), error_text(error))
            return
        self._after_change()

    def _open_consultation(self) -> None:
        if self.consultation_id is not None:
            self.open_consultation.emit(self.consultation_id)

    # --- closing --------------------------------------------------------------------------

    def has_changes(self) -> bool:
        return self._changed

    def may_close(self) -> bool:
        """True when the window may close: saved, or the user chose to discard."""
        return self.ask_save_or_discard(self.tr("申請内容の変更を保存しますか？"), self.save)


def _rows(table: QTableWidget) -> list[list[str]]:
    return [
        [(item.text() if (item := table.item(r, c)) else "") for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]

"""セーフティネット保証 認定: a new application (the sales of the period the kind looks at,
against a year earlier) and the ward's decision on it, 認定 or 不認定.

The decline and whether it reaches the kind's threshold show while the figures are typed
(the domain's own ``decline_rate``, so the form and the service never disagree); the service
still decides and refuses a 認定 below the threshold.
"""

from datetime import date
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.errors import Conflict, DomainError, FieldError, ValidationError
from consult_desk.domain.fiscal import format_date, japan_today, parse_date
from consult_desk.domain.permissions import MASK, Action, Kind, Principal
from consult_desk.domain.safety_net import (
    MAX_SALES,
    THRESHOLDS,
    VALID_DAYS,
    SafetyNetDecision,
    SafetyNetInput,
    SafetyNetKind,
    SafetyNetRow,
    decline_rate,
    valid_until,
)
from consult_desk.domain.text import normalize
from consult_desk.services.businesses import BusinessService
from consult_desk.services.safety_net import MAX_CERTIFICATE_NUMBER, SafetyNetService
from consult_desk.ui.dialogs.loan_case_dialog import AmountEdit
from consult_desk.ui.messages import error_text, label_for, text_for
from consult_desk.ui.models.safety_net_table import format_percent, validity_text
from consult_desk.ui.widgets.business_picker import BusinessPicker
from consult_desk.ui.widgets.inline_fields import (
    HINT_STYLE,
    NONE,
    PRIMARY_STYLE,
    STATE_STYLE,
    error_label,
    hint,
    set_error,
)

PASS_STYLE = "color: #1b6e20; font-weight: bold;"
FAIL_STYLE = "color: #b00020; font-weight: bold;"

# Which sales to enter for each kind: the period compared and its label on the form.
PERIODS: dict[SafetyNetKind, tuple[str, str, str]] = {
    SafetyNetKind.NO4: (
        "最近1か月の売上高",
        "前年同月の売上高",
        "最近1か月の売上高を前年同月と比べます（見込みを含む3か月は申請書で確認）。",
    ),
    SafetyNetKind.NO5: (
        "最近3か月の売上高",
        "前年同期の売上高",
        "最近3か月の売上高の合計を、前年同期3か月の合計と比べます。",
    ),
    SafetyNetKind.CRISIS: (
        "最近1か月の売上高",
        "前年同月の売上高",
        "最近1か月の売上高を前年同月と比べます（見込みを含む3か月は申請書で確認）。",
    ),
}
SALES_FIELDS = ("sales_current", "sales_previous")


def _beside(edit: QWidget, hint: QLabel) -> QWidget:
    edit.setFixedWidth(200)  # the hint (the date in 和暦, the amount in yen) gets the rest
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit)
    layout.addWidget(hint, 1)
    return row


def decline_text(rate: Decimal) -> str:
    """「減少率 23.5%」, or for a rise 「売上は 20% 増加（減少していません）」."""
    if rate < 0:
        return f"売上は {format_percent(-rate)} 増加（減少していません）"
    return f"減少率 {format_percent(rate)}"


def result_text(kind: SafetyNetKind, rate: Decimal) -> str:
    """「減少率 23.5%（基準 20% 以上）」 for a kind and a decline_rate(); a rise is said as such:
    「売上は 20% 増加（減少していません）（基準 20% 以上の減少）」."""
    threshold = format_percent(THRESHOLDS[kind])
    if rate < 0:
        return f"{decline_text(rate)}（基準 {threshold} 以上の減少）"
    return f"{decline_text(rate)}（基準 {threshold} 以上）"


class SafetyNetDialog(QDialog):
    """A new application, or an existing one with its decision.

    - ``changed`` carries the application's id after it was saved or decided, so the list
      and カルテ refresh; after saving a new application the window stays open on it, ready
      for the decision.
    - 認定 is offered only when the decline reaches the kind's threshold; 不認定 always.
      A decision is final (the service refuses a second one), so both ask first.
    - A role that may only read sees the application and its decision, no buttons; without
      the right to see loan amounts the sales show as ＊＊＊ (the decline rate stays).
    """

    changed = Signal(int)

    def __init__(
        self,
        service: SafetyNetService,
        businesses: BusinessService,
        principal: Principal,
        cert_id: int | None = None,
        business_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._principal = principal
        self.cert_id = cert_id
        self.row: SafetyNetRow | None = None
        self._loading = True
        self._changed = False
        self._show_all = False  # "required" waits for the first save attempt
        self.setMinimumWidth(720)

        # --- header (an existing application) ---
        self.title_label = QLabel()
        self.title_label.setObjectName("pageTitle")
        self.state_label = QLabel()
        self.state_label.setStyleSheet(STATE_STYLE)

        # --- the application ---
        self.business_picker = BusinessPicker(businesses)
        self.kind_combo = QComboBox()
        for kind in SafetyNetKind:
            self.kind_combo.addItem(
                self.tr("{0}（基準 {1} 以上の減少）").format(
                    kind.value, format_percent(THRESHOLDS[kind])
                ),
                kind,
            )
        self.kind_hint = hint()
        self.applied_edit = QLineEdit(japan_today().isoformat())
        self.applied_edit.setPlaceholderText(self.tr("例: 2026-11-16 / R8.11.16"))
        self.applied_hint = hint()
        self.current_edit = AmountEdit()
        self.previous_edit = AmountEdit()
        self.current_hint = hint()
        self.previous_hint = hint()
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setFixedHeight(56)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.errors: dict[str, QLabel] = {}
        self.boxes: dict[str, QWidget] = {}  # each field with its error line, by field name
        self.general_error = error_label()
        self.save_button = QPushButton(self.tr("申請を登録（Ctrl+S）"))
        self.save_button.setStyleSheet(PRIMARY_STYLE)
        self.save_button.clicked.connect(self.save)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)

        # --- the decision ---
        self.number_edit = QLineEdit()
        self.number_edit.setPlaceholderText(self.tr("例: 千代田区産SN第2026-001号"))
        self.issued_edit = QLineEdit(japan_today().isoformat())
        self.issued_hint = hint()
        self.below_label = error_label()
        self.certify_button = QPushButton(self.tr("認定する…"))
        self.certify_button.setStyleSheet(PRIMARY_STYLE)
        self.certify_button.clicked.connect(self.certify)
        self.refuse_button = QPushButton(self.tr("不認定とする…"))
        self.refuse_button.clicked.connect(self.refuse)
        self.decision_error = error_label()
        self.decision_facts = QWidget()
        self.facts_form = QFormLayout(self.decision_facts)
        self.facts_form.setContentsMargins(0, 0, 0, 0)
        self.readonly_note = hint(self.tr("審査中です（認定・不認定は融資担当が記録します）。"))

        self._build_layout()
        self._connect()
        if cert_id is not None:
            self.reload()
        else:
            self.setWindowTitle(self.tr("セーフティネット認定 — 新しい申請"))
            if business_id is not None:
                self.business_picker.set_business(business_id)
            self._apply_mode()
            (self.kind_combo if business_id is not None else self.business_picker).setFocus()
        self._kind_changed()
        self._show_applied()
        self._show_issued()
        self._loading = False

    # --- layout ---------------------------------------------------------------------------

    def _row(self, form: QFormLayout, name: str, widget: QWidget, label: str) -> None:
        box = QWidget()
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.setSpacing(1)
        box_layout.addWidget(widget)
        self.errors[name] = error_label()
        box_layout.addWidget(self.errors[name])
        self.boxes[name] = box
        form.addRow(label, box)

    def _build_layout(self) -> None:
        header = QHBoxLayout()
        header.addWidget(self.title_label)
        header.addWidget(self.state_label)
        header.addStretch(1)

        self.application_box = QGroupBox(self.tr("申請"))
        form = QFormLayout(self.application_box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.application_form = form
        self._row(form, "business_id", self.business_picker, self.tr("事業者 ＊"))
        kind_box = QWidget()
        kind_layout = QVBoxLayout(kind_box)
        kind_layout.setContentsMargins(0, 0, 0, 0)
        kind_layout.setSpacing(2)
        kind_layout.addWidget(self.kind_combo)
        kind_layout.addWidget(self.kind_hint)
        self._row(form, "kind", kind_box, self.tr("区分 ＊"))
        self._row(form, "applied_on", _beside(self.applied_edit, self.applied_hint), "申請日 ＊")
        # (the sales' labels follow the kind: 最近1か月 / 最近3か月, see _kind_changed)
        current = _beside(self.current_edit, self.current_hint)
        self._row(form, "sales_current", current, label_for("sales_current"))
        previous = _beside(self.previous_edit, self.previous_hint)
        self._row(form, "sales_previous", previous, label_for("sales_previous"))
        self._row(form, "notes", self.notes_edit, self.tr("備考"))
        form.addRow("", self.result_label)
        form.addRow("", self.general_error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        form.addRow("", buttons)

        self.decision_box = QGroupBox(self.tr("認定・不認定"))
        decision = QVBoxLayout(self.decision_box)
        self.decision_form_box = QWidget()
        decision_form = QFormLayout(self.decision_form_box)
        decision_form.setContentsMargins(0, 0, 0, 0)
        decision_form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._row(decision_form, "certificate_number", self.number_edit, self.tr("認定番号"))
        self._row(
            decision_form,
            "issued_on",
            _beside(self.issued_edit, self.issued_hint),
            self.tr("交付日（決定日）"),
        )
        decision_form.addRow("", self.below_label)
        decision_buttons = QHBoxLayout()
        decision_buttons.addStretch(1)
        decision_buttons.addWidget(self.refuse_button)
        decision_buttons.addWidget(self.certify_button)
        decision_form.addRow("", decision_buttons)
        decision_form.addRow("", self.decision_error)
        decision.addWidget(self.decision_form_box)
        decision.addWidget(self.decision_facts)
        decision.addWidget(self.readonly_note)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.application_box)
        layout.addWidget(self.decision_box)
        layout.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)

    def _connect(self) -> None:
        for edit in (self.applied_edit, self.current_edit, self.previous_edit, self.number_edit):
            edit.textChanged.connect(self._mark_changed)
        self.notes_edit.textChanged.connect(self._mark_changed)
        self.business_picker.edit.textChanged.connect(self._mark_changed)
        self.kind_combo.currentIndexChanged.connect(self._mark_changed)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        for edit in (self.current_edit, self.previous_edit):
            edit.textChanged.connect(self.check)
        self.applied_edit.textChanged.connect(self._show_applied)
        self.issued_edit.textChanged.connect(self._show_issued)
        self.issued_edit.textChanged.connect(self._mark_changed)

    # --- loading and modes ----------------------------------------------------------------

    def reload(self) -> None:
        assert self.cert_id is not None
        row = self._service.get(self.cert_id)
        self.row = row
        loading, self._loading = self._loading, True
        self.setWindowTitle(self.tr("セーフティネット認定 — {0}").format(row.business_name))
        self.title_label.setText(
            self.tr("{0}　{1} 申請（{2}）").format(
                row.business_name, row.kind.value, format_date(row.applied_on)
            )
        )
        self.state_label.setText(row.decision.label)
        self.business_picker.show_business(row.business_id, row.business_name)
        self.kind_combo.setCurrentIndex(self.kind_combo.findData(row.kind))
        self.applied_edit.setText(row.applied_on.isoformat())
        # The service leaves the figures out for roles that may not see them.
        for edit, amount in (
            (self.current_edit, row.sales_current),
            (self.previous_edit, row.sales_previous),
        ):
            edit.setText(MASK if amount is None else f"{amount:,}")
        self.notes_edit.setPlainText(row.notes)
        self._fill_decision(row)
        self._loading = loading
        self._changed = False
        self._apply_mode()
        self.check()

    def _fill_decision(self, row: SafetyNetRow) -> None:
        while self.facts_form.rowCount():
            self.facts_form.removeRow(0)
        if row.decision == SafetyNetDecision.PENDING:
            self.number_edit.clear()
            self.issued_edit.setText(max(japan_today(), row.applied_on).isoformat())
            threshold = format_percent(THRESHOLDS[row.kind])
            set_error(
                self.below_label,
                ""
                if row.qualifies
                else self.tr(
                    "{0} は {1} の基準（{2} 以上の減少）に達していないため認定できません。"
                    "不認定として記録してください。"
                ).format(decline_text(row.decline_rate), row.kind.value, threshold),
            )
            return
        if row.decision == SafetyNetDecision.CERTIFIED:
            rows = [
                (self.tr("判定"), row.decision.label, ""),
                (self.tr("認定番号"), row.certificate_number or NONE, ""),
                (self.tr("交付日"), format_date(row.issued_on) or NONE, ""),
                (
                    self.tr("有効期限"),
                    validity_text(row) or NONE,
                    PASS_STYLE if row.valid_today else HINT_STYLE,
                ),
            ]
        else:
            rows = [
                (self.tr("判定"), row.decision.label, FAIL_STYLE),
                (self.tr("決定日"), format_date(row.issued_on) or NONE, ""),
            ]
        for caption, value, style in rows:
            text = QLabel(value)
            text.setStyleSheet(style)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts_form.addRow(caption, text)

    def fact(self, caption: str) -> str:
        """The value shown next to a caption of the decision (for tests and reading)."""
        for row in range(self.facts_form.rowCount()):
            label = self.facts_form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = self.facts_form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label is None or field is None:
                continue
            name, value = label.widget(), field.widget()
            if isinstance(name, QLabel) and isinstance(value, QLabel) and name.text() == caption:
                return value.text()
        return ""

    def _apply_mode(self) -> None:
        """New: the application is editable. Existing: it is fixed; the decision may be taken
        while it is pending, by a role allowed to."""
        new = self.row is None
        can_create = self._principal.can(Kind.LOAN, Action.CREATE)
        editable: tuple[QWidget, ...] = (
            self.business_picker,
            self.kind_combo,
            self.applied_edit,
            self.current_edit,
            self.previous_edit,
            self.notes_edit,
        )
        for widget in editable:
            widget.setEnabled(new and can_create)
        self.save_button.setVisible(new and can_create)
        self.title_label.setVisible(not new)
        self.state_label.setVisible(not new)
        self.decision_box.setVisible(not new)
        pending = self.row is not None and self.row.decision == SafetyNetDecision.PENDING
        deciding = pending and self._principal.can(Kind.LOAN, Action.TRANSITION)
        self.decision_form_box.setVisible(deciding)
        self.readonly_note.setVisible(pending and not deciding)
        self.decision_facts.setVisible(not pending)
        qualifies = self.row is not None and self.row.qualifies
        self.certify_button.setEnabled(deciding and qualifies)
        self.certify_button.setToolTip("" if qualifies else text_for("safety_net.below_threshold"))
        self.number_edit.setEnabled(deciding and qualifies)
        if deciding:
            (self.number_edit if qualifies else self.refuse_button).setFocus()

    # --- live checks ----------------------------------------------------------------------

    def _mark_changed(self, *_: object) -> None:
        if not self._loading:
            self._changed = True

    def kind(self) -> SafetyNetKind:
        return SafetyNetKind(self.kind_combo.currentData())

    def _kind_changed(self, *_: object) -> None:
        kind = self.kind()
        current, previous, explanation = PERIODS[kind]
        self.kind_hint.setText(self.tr(explanation))
        for name, text in (("sales_current", current), ("sales_previous", previous)):
            label = self.application_form.labelForField(self.boxes[name])
            if isinstance(label, QLabel):
                label.setText(self.tr(text) + " ＊")
        self.check()

    def _show_applied(self, *_: object) -> None:
        code = ""
        try:
            applied_on = parse_date(self.applied_edit.text())
        except ValueError:
            self.applied_hint.setText("")
            code = "date.format" if self.applied_edit.text().strip() or self._show_all else ""
        else:
            self.applied_hint.setText(format_date(applied_on))
            code = "date.future" if applied_on > japan_today() else ""
        set_error(self.errors["applied_on"], text_for(code) if code else "")

    def _show_issued(self, *_: object) -> None:
        """The validity the 交付日 gives, and (while deciding) what is wrong with the day."""
        try:
            issued = parse_date(self.issued_edit.text())
        except ValueError:
            self.issued_hint.setText("")
            shown = bool(self.issued_edit.text().strip()) and self.row is not None
            set_error(self.errors["issued_on"], text_for("date.format") if shown else "")
            return
        self.issued_hint.setText(
            self.tr("有効期限 {0} まで（交付日を含む{1}日間）").format(
                format_date(valid_until(issued)), VALID_DAYS
            )
        )
        code = self._issued_problem(issued)
        set_error(self.errors["issued_on"], text_for(code) if code else "")

    def _issued_problem(self, issued_on: date) -> str:
        """The code of what the service would refuse in a 交付日 (empty: none)."""
        if issued_on > japan_today():
            return "date.future"
        if self.row is not None and issued_on < self.row.applied_on:
            return "safety_net.issued_before_applied"
        return ""

    def _sales(self) -> tuple[dict[str, int], dict[str, str]]:
        """The sales as typed, and the problems of each (with its code)."""
        found: dict[str, int] = {}
        errors: dict[str, str] = {}
        for name, edit in (
            ("sales_current", self.current_edit),
            ("sales_previous", self.previous_edit),
        ):
            try:
                amount = edit.amount()
            except ValueError:
                errors[name] = "number.format"
                continue
            if amount is None:
                errors[name] = "required"
            elif amount < 0:
                errors[name] = "negative"
            elif amount > MAX_SALES:
                errors[name] = "too_large"
            else:
                found[name] = amount
        if found.get("sales_previous") == 0:
            errors["sales_previous"] = "safety_net.no_previous_sales"
        return found, errors

    def check(self, *_: object) -> None:
        """Show each field's problem and the decline as it stands."""
        if self.row is not None:  # an existing application: its stored rate
            self._show_result(self.row.kind, self.row.decline_rate, self.row.qualifies)
            for name in SALES_FIELDS:
                set_error(self.errors[name], "")
            return
        sales, errors = self._sales()
        for name, edit in (
            ("sales_current", self.current_edit),
            ("sales_previous", self.previous_edit),
        ):
            code = errors.get(name, "")
            shown = code and (code != "required" or self._show_all)
            set_error(self.errors[name], text_for(code) if shown else "")
            hint = self.current_hint if edit is self.current_edit else self.previous_hint
            hint.setText(edit.reading() if name in sales else "")
        if errors:
            self.result_label.setStyleSheet(HINT_STYLE)
            self.result_label.setText(
                self.tr("2つの売上高を入力すると、減少率と認定基準を満たすかを表示します。")
            )
            return
        kind = self.kind()
        rate = decline_rate(sales["sales_current"], sales["sales_previous"])
        self._show_result(kind, rate, rate >= THRESHOLDS[kind])

    def _show_result(self, kind: SafetyNetKind, rate: Decimal, qualifies: bool) -> None:
        text = result_text(kind, rate)
        # 「認定できます」 only to whoever may still certify; otherwise the plain fact.
        decided = self.row is not None and self.row.decision != SafetyNetDecision.PENDING
        may_decide = self._principal.can(Kind.LOAN, Action.TRANSITION)
        if qualifies:
            self.result_label.setStyleSheet(PASS_STYLE)
            can = may_decide and not decided
            verdict = self.tr("認定できます") if can else self.tr("基準を満たしています")
        else:
            self.result_label.setStyleSheet(FAIL_STYLE)
            verdict = self.tr("基準に達していません（不認定）")
        self.result_label.setText(f"{text} → {verdict}")

    def error_texts(self) -> dict[str, str]:
        """The errors shown now, by field (for tests and for reading the form)."""
        shown = {name: label.text() for name, label in self.errors.items() if label.text()}
        for name, label in (("general", self.general_error), ("decision", self.decision_error)):
            if label.text():
                shown[name] = label.text()
        return shown

    # --- saving the application -----------------------------------------------------------

    def application(self) -> SafetyNetInput:
        """The application as typed; what cannot be read raises ValidationError."""
        errors: list[FieldError] = []
        applied_on = japan_today()
        try:
            applied_on = parse_date(self.applied_edit.text())
        except ValueError:
            errors.append(FieldError("applied_on", "date.format"))
        sales, sales_errors = self._sales()
        errors += [FieldError(name, code) for name, code in sales_errors.items()]
        business_id = self.business_picker.business_id
        if business_id is None:
            has_text = bool(self.business_picker.edit.text().strip())
            errors.append(FieldError("business_id", "pick_business" if has_text else "required"))
        value = SafetyNetInput(
            business_id=business_id or 0,
            kind=self.kind(),
            applied_on=applied_on,
            sales_current=sales.get("sales_current", 0),
            sales_previous=sales.get("sales_previous", 1),
            notes=self.notes_edit.toPlainText(),
        )
        known = {e.field for e in errors}
        errors += [e for e in value.errors(japan_today()) if e.field not in known]
        if errors:
            raise ValidationError(errors)
        return value

    def _show_errors(self, errors: list[FieldError], general: QLabel) -> None:
        others = []
        for label in self.errors.values():
            set_error(label, "")
        for found in errors:
            if found.field in self.errors:
                set_error(self.errors[found.field], self._message(found.code))
            else:
                message = text_for(found.code)
                others.append(
                    message if found.field == "decision" else f"{label_for(found.field)}: {message}"
                )
        set_error(general, "\n".join(others))
        first = next((e.field for e in errors if e.field in self.errors), None)
        focus = {
            "business_id": self.business_picker,
            "kind": self.kind_combo,
            "applied_on": self.applied_edit,
            "sales_current": self.current_edit,
            "sales_previous": self.previous_edit,
            "notes": self.notes_edit,
            "certificate_number": self.number_edit,
            "issued_on": self.issued_edit,
        }
        if first is not None:
            focus[first].setFocus()

    def _message(self, code: str) -> str:
        if code == "pick_business":  # typed a name but chose no suggestion
            return self.tr("事業者は候補の一覧から選んでください。")
        return text_for(code)

    def save(self) -> None:
        """Record the application (the window then shows it, ready for the decision)."""
        if self.row is not None or not self.save_button.isVisible():
            return
        self._show_all = True
        try:
            value = self.application()
            self.cert_id = self._service.add(value)
        except ValidationError as error:
            self.check()
            self._show_errors(error.errors, self.general_error)
            return
        except DomainError as error:
            set_error(self.general_error, error_text(error))
            return
        self._show_errors([], self.general_error)
        self._changed = False
        self.reload()
        self.changed.emit(self.cert_id)

    # --- the decision ---------------------------------------------------------------------

    def decision_errors(self, certified: bool) -> tuple[date | None, str, list[FieldError]]:
        """The 交付日 and 認定番号 as typed, and what the service would refuse in them."""
        errors: list[FieldError] = []
        issued_on: date | None = None
        try:
            issued_on = parse_date(self.issued_edit.text())
        except ValueError:
            errors.append(FieldError("issued_on", "date.format"))
        else:
            if code := self._issued_problem(issued_on):
                errors.append(FieldError("issued_on", code))
        number = normalize(self.number_edit.text()) if certified else ""
        if certified:
            if self.row is not None and not self.row.qualifies:
                errors.append(FieldError("decision", "safety_net.below_threshold"))
            if not number:
                errors.append(FieldError("certificate_number", "required"))
            elif len(number) > MAX_CERTIFICATE_NUMBER:
                errors.append(FieldError("certificate_number", "too_long"))
        return issued_on, number, errors

    def certify(self) -> None:
        self._decide(True)

    def refuse(self) -> None:
        self._decide(False)

    def _decide(self, certified: bool) -> None:
        row = self.row
        if row is None or row.decision != SafetyNetDecision.PENDING:
            return
        for name in ("certificate_number", "issued_on"):
            set_error(self.errors[name], "")
        set_error(self.decision_error, "")
        # Everything the service would refuse is told first: the question (the decision is
        # final) is asked only of a decision that can be recorded.
        issued_on, number, errors = self.decision_errors(certified)
        if errors or issued_on is None:
            self._show_errors(errors, self.decision_error)
            return
        if certified:
            question = self.tr(
                "認定します。\n認定番号: {0}\n交付日: {1}\n有効期限: {2}\n\n"
                "記録した認定は取り消せません。よろしいですか？"
            ).format(number, format_date(issued_on), format_date(valid_until(issued_on)))
        else:
            question = self.tr(
                "不認定として記録します（決定日 {0}）。\n\n"
                "記録した決定は取り消せません。よろしいですか？"
            ).format(format_date(issued_on))
        answer = QMessageBox.question(
            self,
            self.windowTitle(),
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self._service.decide(row.id, row.version, certified, issued_on, number)
        except ValidationError as error:
            self._show_errors(error.errors, self.decision_error)
            return
        except Conflict:
            QMessageBox.warning(self, self.windowTitle(), text_for("conflict"))
            self._changed = False
            self.reload()
            return
        except DomainError as error:
            set_error(self.decision_error, error_text(error))
            return
        self._changed = False
        self.reload()
        self.changed.emit(row.id)

    # --- closing --------------------------------------------------------------------------

    def has_changes(self) -> bool:
        return self._changed

    def reject(self) -> None:
        if self._changed and not self._discard_ok():
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._changed and not self._discard_ok():
            event.ignore()
            return
        super().closeEvent(event)

    def _discard_ok(self) -> bool:
        answer = QMessageBox.question(
            self,
            self.windowTitle(),
            self.tr("入力した内容は記録されていません。破棄して閉じますか？"),
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Discard:
            self._changed = False
            return True
        return False

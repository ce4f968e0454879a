"""訪問記録: one visit of an expert dispatch (第n回), checked while it is typed.

The form's own rules (``VisitInput.errors()``: end after start, next date after the visit, fee
not negative) and the service's (``DispatchService.preview_visit``: not before the decision, not
beyond the approved number, the business's cap in the 年度 of the visit date, the expert's
registration that day) show under the fields a moment after each keystroke. Errors block saving;
warnings (the last approved visit, the last one of the 年度's cap …) need a tick. The form opens
window-modal with ``open()``, so the dispatch window can reload under it after a conflict; what
was typed stays until it is saved or discarded.
"""

from dataclasses import replace
from datetime import date, time

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.dispatch import (
    DispatchView,
    ExpertRow,
    TermsInfo,
    VisitInput,
    VisitRow,
    VisitSaved,
)
from consult_desk.domain.errors import DomainError, FieldError
from consult_desk.domain.fiscal import (
    fiscal_year,
    format_yen,
    japan_today,
    parse_time,
    wareki_fiscal_year,
)
from consult_desk.services.dispatch import DispatchService
from consult_desk.services.experts import ExpertService
from consult_desk.ui.dialogs.dispatch_common import (
    USAGE_FULL_STYLE,
    USAGE_STYLE,
    DateEdit,
    YenEdit,
    fill_experts,
    row,
)
from consult_desk.ui.messages import label_for, text_for
from consult_desk.ui.widgets.inline_fields import (
    error_label,
    hint,
    plain,
)
from consult_desk.ui.widgets.step_form import CheckedForm

# Codes that say "this visit cannot be recorded at all"; shown above the fields.
GENERAL_FIELDS = ("status", "number")


def _time_text(value: time | None) -> str:
    return value.strftime("%H:%M") if value else ""


class VisitDialog(CheckedForm):
    """A new visit (the next number) or a recorded one; ``saved`` holds the service's answer.

    ``conflict`` asks the dispatch window to reload; it then hands the form the fresh dispatch
    (``view``) and visit, and the user saves again with their input intact.
    """

    GENERAL_KEY = "general"

    def __init__(
        self,
        dispatch: DispatchService,
        experts: ExpertService,
        view: DispatchView,
        visit: VisitRow | None = None,
        previous: VisitRow | None = None,
        read_only: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("記録する（Ctrl+S）", parent)
        self._dispatch = dispatch
        self._experts = experts
        self.view = view
        self.visit = visit
        self.read_only = read_only
        self.saved: VisitSaved | None = None
        self._loading = True
        self._known: dict[int, ExpertRow] = {}
        self._experts_on: date | None = None
        self._terms: dict[int, TermsInfo] = {}
        number = visit.number if visit is not None else view.visits + 1
        self.number = number
        self.setWindowTitle(self.tr("訪問記録 第{0}回 — {1}").format(number, view.business_name))
        self.setMinimumWidth(640)

        today = japan_today()
        start = visit.as_input() if visit is not None else self._defaults(previous, today)
        self.number_label = QLabel()
        self.number_label.setStyleSheet("font-weight: bold;")
        self._show_number()
        self.usage_label = QLabel()
        self.usage_label.setStyleSheet(USAGE_STYLE)
        self.date_edit = DateEdit(start.visited_on)
        # Plain fields, not QTimeEdit: Tab must leave the field, not step to its minutes.
        self.start_edit = QLineEdit(_time_text(start.start_time))
        self.end_edit = QLineEdit(_time_text(start.end_time))
        for edit, example in ((self.start_edit, "10:00"), (self.end_edit, "12:00")):
            edit.setPlaceholderText(self.tr("例: {0}").format(example))
            edit.setMaximumWidth(90)
        self.place_edit = QLineEdit(start.place)
        self.place_edit.setPlaceholderText(self.tr("例: 事業所（神田錦町）"))
        self.online_check = QCheckBox(self.tr("オンライン"))
        self.online_check.setChecked(start.online)
        self.expert_combo = QComboBox()
        self.expert_combo.setMinimumContentsLength(24)
        self.expert_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self._expert_id = start.expert_id or view.expert_id
        self.attendees_edit = QLineEdit(start.attendees)
        self.attendees_edit.setPlaceholderText(self.tr("例: 代表取締役 神田一郎、経理担当"))
        self.issues_edit = plain(64)
        self.issues_edit.setPlainText(start.issues)
        self.advice_edit = plain(64)
        self.advice_edit.setPlainText(start.advice)
        self.homework_edit = plain(48)
        self.homework_edit.setPlainText(start.homework)
        self.next_edit = DateEdit(start.next_on)
        self.report_edit = DateEdit(start.report_received_on)
        self.fee_edit = YenEdit(start.fee)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.addRow(self.tr("回"), row(self.number_label, self.usage_label, stretch=(0, 1)))
        self._add(form, ("visited_on",), self.date_edit.with_hint(), required=True)
        times = row(self.start_edit, QLabel("〜"), self.end_edit, QLabel(""), stretch=(0, 0, 0, 1))
        self._add(form, ("start_time", "end_time"), times, label=self.tr("時間"))
        place = row(self.place_edit, self.online_check, stretch=(1, 0))
        self._add(form, ("place",), place, label=self.tr("場所"))
        self._add(form, ("expert_id",), self.expert_combo, required=True)
        self._add(form, ("attendees",), self.attendees_edit)
        self._add(form, ("issues",), self.issues_edit)
        self._add(form, ("advice",), self.advice_edit)
        self._add(form, ("homework",), self.homework_edit)
        self._add(form, ("next_on",), self.next_edit.with_hint())
        self._add(form, ("report_received_on",), self.report_edit.with_hint())
        self._add(form, ("fee",), self.fee_edit.with_hint())
        self.inputs = {
            "visited_on": self.date_edit,
            "start_time": self.start_edit,
            "end_time": self.end_edit,
            "place": self.place_edit,
            "online": self.online_check,
            "expert_id": self.expert_combo,
            "attendees": self.attendees_edit,
            "issues": self.issues_edit,
            "advice": self.advice_edit,
            "homework": self.homework_edit,
            "next_on": self.next_edit,
            "report_received_on": self.report_edit,
            "fee": self.fee_edit,
        }

        QShortcut(QKeySequence.StandardKey.Save, self, self.accept)

        layout = QVBoxLayout(self)
        layout.addWidget(self.general_error)
        layout.addLayout(form)
        layout.addWidget(hint(self.tr("＊は必須です。")))
        layout.addWidget(self.warning_label)
        layout.addWidget(self.confirm_check)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.watch_fields()
        self._refresh_experts(start.visited_on)
        if read_only:
            self._make_read_only()
        else:
            self.check()
        self._loading = False
        self.date_edit.setFocus()
        self.date_edit.selectAll()

    def rebase(self, view: DispatchView, visit: VisitRow | None) -> None:
        """After a conflict: the dispatch (and visit) as saved now; the typed input stays."""
        self.view = view
        self.visit = visit
        self._show_number()
        self.check()

    # --- building -------------------------------------------------------------------------

    def _show_number(self) -> None:
        view, visit = self.view, self.visit
        self.number = visit.number if visit is not None else view.visits + 1
        self.setWindowTitle(
            self.tr("訪問記録 第{0}回 — {1}").format(self.number, view.business_name)
        )
        approved = view.approved_visits
        self.number_label.setText(
            self.tr("第{0}回（決定 {1}回）").format(self.number, approved)
            if approved
            else self.tr("第{0}回").format(self.number)
        )

    def _defaults(self, previous: VisitRow | None, today: date) -> VisitInput:
        """A new visit: on the date the last one set for the next (else today), at the same
        place with the same expert and fee."""
        if previous is None:
            return VisitInput(visited_on=today)
        return VisitInput(
            visited_on=previous.next_on or today,
            start_time=previous.start_time,
            end_time=previous.end_time,
            place=previous.place,
            online=previous.online,
            expert_id=previous.expert_id,
            attendees=previous.attendees,
            fee=previous.fee,
        )

    def _add(
        self,
        form: QFormLayout,
        names: tuple[str, ...],
        widget: QWidget,
        label: str = "",
        required: bool = False,
    ) -> None:
        box = QWidget()
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.setSpacing(1)
        box_layout.addWidget(widget)
        for name in names:
            self.errors[name] = error_label()
            box_layout.addWidget(self.errors[name])
        text = label or label_for(names[0])
        form.addRow(text + (" ＊" if required else ""), box)

    def _make_read_only(self) -> None:
        for widget in self.inputs.values():
            if isinstance(widget, QLineEdit | QPlainTextEdit):
                widget.setReadOnly(True)
            else:
                widget.setEnabled(False)
        self.ok_button.hide()
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText(self.tr("閉じる"))

    # --- reading and checking -------------------------------------------------------------

    def collect(self) -> tuple[VisitInput, dict[str, str]]:
        """The typed visit, and the fields that could not be read (with their code)."""
        unreadable: dict[str, str] = {}
        visited_on = japan_today()
        try:
            typed = self.date_edit.value()
        except ValueError:
            unreadable["visited_on"] = "date.format"
        else:
            if typed is None:
                unreadable["visited_on"] = "required"
            else:
                visited_on = typed
        times: dict[str, time | None] = {}
        for name, edit in (("start_time", self.start_edit), ("end_time", self.end_edit)):
            times[name] = None
            if edit.text().strip():
                try:
                    times[name] = parse_time(edit.text())
                except ValueError:
                    unreadable[name] = "time.format"
        dates: dict[str, date | None] = {}
        for name, date_edit in (
            ("next_on", self.next_edit),
            ("report_received_on", self.report_edit),
        ):
            try:
                dates[name] = date_edit.value()
            except ValueError:
                dates[name] = None
                unreadable[name] = "date.format"
        fee, fee_errors = self.fee_edit.read("fee")
        if fee_errors:
            unreadable["fee"] = fee_errors[0].code
            fee = None
        value = VisitInput(
            visited_on=visited_on,
            start_time=times["start_time"],
            end_time=times["end_time"],
            place=self.place_edit.text(),
            online=self.online_check.isChecked(),
            expert_id=self.expert_combo.currentData(),
            attendees=self.attendees_edit.text(),
            issues=self.issues_edit.toPlainText(),
            advice=self.advice_edit.toPlainText(),
            homework=self.homework_edit.toPlainText(),
            next_on=dates["next_on"],
            report_received_on=dates["report_received_on"],
            fee=fee,
        )
        return value, unreadable

    def check(self) -> tuple[VisitInput, dict[str, str], list[FieldError]]:
        """The form's own rules at once, then what the service would say; shown by field."""
        self._timer.stop()
        value, errors = self.collect()
        for found in value.errors():
            errors.setdefault(found.field, found.code)
        warnings: list[FieldError] = []
        if "visited_on" not in errors:
            self._refresh_experts(value.visited_on)
            value = replace(value, expert_id=self.expert_combo.currentData())
            try:
                findings = self._dispatch.preview_visit(
                    self.view.id, value, self.visit.id if self.visit else None
                )
            except DomainError as error:
                errors.setdefault("status", error.code)
            else:
                for found in findings.errors:
                    errors.setdefault(found.field, found.code)
                warnings = findings.warnings
            self._show_usage(value.visited_on, "visited_on" in errors)
            self._show_fee_default(value.visited_on)
        else:
            self.usage_label.setText("")
        self._show(errors, warnings)
        return value, errors, warnings

    def _refresh_experts(self, on: date) -> None:
        """Offer the experts registered on the visit date (once per date typed)."""
        if on == self._experts_on:
            return
        current_id = self.expert_combo.currentData() if self._experts_on else self._expert_id
        choices = self._experts.assignable(on)
        self._known.update({e.id: e for e in choices})
        current = None
        if current_id is not None:
            current = self._known.get(current_id)
            if current is None:
                try:
                    current = self._experts.get(current_id)
                except DomainError:
                    current = None
                else:
                    self._known[current.id] = current
        fill_experts(self.expert_combo, choices, current, on, self.tr("（選んでください）"))
        self._experts_on = on

    def _show_usage(self, on: date, date_refused: bool) -> None:
        """「今年度の利用 5/8 回（この訪問で 6 回目）」, red when the cap is reached."""
        try:
            usage = self._dispatch.year_usage(self.view.id, on)
        except DomainError:
            self.usage_label.setText("")
            return
        year = usage.fiscal_year
        word = self.tr("今年度") if year == fiscal_year(japan_today()) else wareki_fiscal_year(year)
        others = usage.used
        if self.visit is not None and fiscal_year(self.visit.visited_on) == year:
            others -= 1  # the visit being corrected is already counted
        if others >= usage.cap:
            text = self.tr("{0}の利用 {1}/{2} 回：これ以上は登録できません").format(
                word, others, usage.cap
            )
            style = USAGE_FULL_STYLE
        else:
            text = self.tr("{0}の利用 {1}/{2} 回（この訪問で {3} 回目）").format(
                word, others, usage.cap, others + 1
            )
            style = USAGE_FULL_STYLE if date_refused else USAGE_STYLE
        self.usage_label.setText(text)
        self.usage_label.setStyleSheet(style)

    def _show_fee_default(self, on: date) -> None:
        """What a blank fee costs: the program's fee for the 年度, else the expert's."""
        year = fiscal_year(on)
        terms = self._terms.get(year)
        if terms is None:
            try:
                terms = self._dispatch.terms_for(self.view.program_id, year)
            except DomainError:
                terms = None
            if terms is not None:
                self._terms[year] = terms
        expert = self._known.get(self.expert_combo.currentData() or -1)
        if terms is not None and terms.fee_per_visit is not None:
            amount = format_yen(terms.fee_per_visit)
            text = self.tr("空欄: {0}（制度の謝金）").format(amount)
        elif expert is not None and expert.fee_per_visit is not None:
            amount = format_yen(expert.fee_per_visit)
            text = self.tr("空欄: {0}（専門家の謝金）").format(amount)
        else:
            amount, text = self.tr("なし"), self.tr("空欄: 謝金なし")
        self.fee_edit.setPlaceholderText(self.tr("空欄: {0}").format(amount))
        if not self.fee_edit.text().strip():
            self.fee_edit.hint.setText(text)

    def general_line(self, name: str, code: str) -> str:
        return text_for(code)

    def _show(self, errors: dict[str, str], warnings: list[FieldError]) -> None:
        self.warnings = warnings
        super()._show(errors, warnings)

    # --- saving and closing ---------------------------------------------------------------

    def submit(self, value: VisitInput) -> None:
        if self.visit is None:
            self.saved = self._dispatch.add_visit(self.view.id, value)
        else:
            self.saved = self._dispatch.update_visit(self.visit.id, self.visit.version, value)

    def has_changes(self) -> bool:
        return self._changed

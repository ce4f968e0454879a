"""経営相談の記録: a form built for speed — keyboard only, sensible defaults, nothing lost.

Defaults: today, the signed-in member of staff, the channel they used last. Initiatives follow
the primary topic until the user picks them by hand. Every change is kept as a draft on disk
until the record is saved, so closing the dialog by accident loses nothing.
"""

import itertools
from datetime import date, time
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.businesses import BusinessQuery
from consult_desk.domain.consultations import ConsultationInput
from consult_desk.domain.errors import Conflict, DomainError, FieldError, ValidationError
from consult_desk.domain.fiscal import format_date, japan_today, parse_date, parse_time
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.services.businesses import BusinessService
from consult_desk.services.consultations import FALLBACK_INITIATIVE, ConsultationService
from consult_desk.services.dispatch import DispatchService
from consult_desk.services.history import HistoryService
from consult_desk.services.loans import LoanService
from consult_desk.services.reference import ReferenceService
from consult_desk.ui.dialogs.history import HistoryDialog
from consult_desk.ui.drafts import DraftStore
from consult_desk.ui.messages import error_text, label_for, text_for

SEARCH_DELAY_MS = 200
MAX_SUGGESTIONS = 15
ERROR_STYLE = "color: #b00020;"


def _plain(edit: QPlainTextEdit, height: int = 64) -> QPlainTextEdit:
    edit.setTabChangesFocus(True)  # Tab moves on, as in every other field
    edit.setFixedHeight(height)
    return edit


class ConsultationDialog(QDialog):
    saved = Signal(int)
    new_loan_case = Signal(int, int)  # business id, consultation id
    open_loan_case = Signal(int)
    new_dispatch = Signal(int, int)  # business id, consultation id
    open_dispatch = Signal(int)

    def __init__(
        self,
        consultations: ConsultationService,
        businesses: BusinessService,
        reference: ReferenceService,
        principal: Principal,
        drafts: DraftStore,
        consultation_id: int | None = None,
        business_id: int | None = None,
        parent: QWidget | None = None,
        history: HistoryService | None = None,
        loans: LoanService | None = None,
        dispatch: DispatchService | None = None,
    ) -> None:
        super().__init__(parent)
        self._history = history
        self._loans = loans
        self._dispatch = dispatch
        self._consultations = consultations
        self._businesses = businesses
        self._principal = principal
        self._drafts = drafts
        self.consultation_id = consultation_id
        self._version = 0
        self._business_id: int | None = None
        self._suggestions: dict[str, int] = {}
        self._initiatives_touched = False
        self._loading = True
        self._changed = False
        self._draft_key = f"{principal.login}-consultation-{consultation_id or 'new'}"
        self.setWindowTitle(
            self.tr("経営相談の記録") if consultation_id is None else self.tr("経営相談の編集")
        )
        self.resize(860, 760)

        self._topics = reference.topics()
        self._initiatives = reference.initiatives()
        self._fallback = next(i.id for i in self._initiatives if i.code == FALLBACK_INITIATIVE)

        # --- when, how, who ---
        self.date_edit = QLineEdit(japan_today().isoformat())
        self.date_hint = QLabel()
        # A plain field, not QTimeEdit: Tab must leave the field, not step to its minutes.
        self.time_edit = QLineEdit()
        self.time_edit.setPlaceholderText(self.tr("例: 10:30"))
        self.time_edit.setMaximumWidth(110)
        self.minutes_spin = QSpinBox()
        self.minutes_spin.setRange(0, 1440)
        self.minutes_spin.setSingleStep(15)
        self.minutes_spin.setSuffix(self.tr(" 分"))
        self.minutes_spin.setSpecialValueText(self.tr("未入力"))
        self.channel_combo = QComboBox()
        for channel in reference.channels():
            self.channel_combo.addItem(channel.name, channel.id)
        self.staff_combo = QComboBox()
        for member in reference.staff():
            self.staff_combo.addItem(member.name, member.id)
        self._select(self.staff_combo, principal.staff_id)
        if principal.staff_id is not None and consultation_id is None:
            self._select(self.channel_combo, consultations.last_channel(principal.staff_id))

        # --- who came ---
        self.business_edit = QLineEdit()
        self.business_edit.setPlaceholderText(self.tr("事業者名・フリガナ・法人番号で検索"))
        self._completer_model = QStringListModel(self)
        completer = QCompleter(self._completer_model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        completer.activated.connect(self._pick_business)
        self.business_edit.setCompleter(completer)
        self.business_label = QLabel()
        self.prospect_check = QCheckBox(self.tr("創業予定者（事業者として未登録）"))
        self.prospect_name_edit = QLineEdit()
        self.prospect_contact_edit = QLineEdit()
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._suggest)
        self.business_edit.textEdited.connect(self._business_typed)

        # --- what about ---
        self.topic_list = QListWidget()
        for topic in self._topics:
            item = QListWidgetItem(topic.name)
            item.setData(Qt.ItemDataRole.UserRole, topic.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.topic_list.addItem(item)
        self.topic_list.setFixedHeight(150)
        self.primary_combo = QComboBox()
        self.initiative_list = QListWidget()
        for initiative in self._initiatives:
            item = QListWidgetItem(f"{initiative.code} {initiative.title}")
            item.setData(Qt.ItemDataRole.UserRole, initiative.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.initiative_list.addItem(item)
        self.initiative_list.setFixedHeight(150)

        self.summary_edit = _plain(QPlainTextEdit(), 80)
        self.advice_edit = _plain(QPlainTextEdit(), 80)
        self.referrals_edit = QLineEdit()
        self.referrals_edit.setPlaceholderText(
            self.tr("例: 融資あっせん、専門家派遣、よろず支援拠点")
        )
        self.next_action_edit = QLineEdit()
        self.due_edit = QLineEdit()
        self.due_edit.setPlaceholderText(self.tr("例: 2026-12-05 / R8.12.5"))
        self.error_label = QLabel()
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.history_button = QPushButton(self.tr("変更履歴…"))
        self.history_button.setVisible(consultation_id is not None and history is not None)
        self.history_button.clicked.connect(self.show_history)
        self.buttons.addButton(self.history_button, QDialogButtonBox.ButtonRole.ResetRole)
        # Loan cases started from this consultation, both ways: create one, open one.
        self.loan_button = QPushButton(self.tr("融資案件を作成…"))
        self.loan_button.setVisible(loans is not None and principal.can(Kind.LOAN, Action.CREATE))
        self.loan_button.clicked.connect(self.start_loan_case)
        self.buttons.addButton(self.loan_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.loan_list = QListWidget()
        self.loan_list.setFixedHeight(52)
        self.loan_list.itemActivated.connect(self._open_loan_case)
        self.loan_row = QWidget()
        loan_layout = QHBoxLayout(self.loan_row)
        loan_layout.setContentsMargins(0, 0, 0, 0)
        loan_layout.addWidget(QLabel(self.tr("この相談からの融資案件:")))
        loan_layout.addWidget(self.loan_list, 1)
        # Expert dispatches started from this consultation, the same way.
        self.dispatch_button = QPushButton(self.tr("専門家派遣を申請…"))
        self.dispatch_button.setVisible(
            dispatch is not None and principal.can(Kind.DISPATCH, Action.CREATE)
        )
        self.dispatch_button.clicked.connect(self.start_dispatch)
        self.buttons.addButton(self.dispatch_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.dispatch_list = QListWidget()
        self.dispatch_list.setFixedHeight(52)
        self.dispatch_list.itemActivated.connect(self._open_dispatch)
        self.dispatch_row = QWidget()
        dispatch_layout = QHBoxLayout(self.dispatch_row)
        dispatch_layout.setContentsMargins(0, 0, 0, 0)
        dispatch_layout.addWidget(QLabel(self.tr("この相談からの専門家派遣:")))
        dispatch_layout.addWidget(self.dispatch_list, 1)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)

        self._build_layout()
        self._connect_changes()
        self.topic_list.itemChanged.connect(self._topics_changed)
        self.primary_combo.currentIndexChanged.connect(self._default_initiatives)
        self.initiative_list.itemChanged.connect(self._initiative_touched)
        self.prospect_check.toggled.connect(self._prospect_toggled)
        self.date_edit.editingFinished.connect(self._show_date_hint)

        if consultation_id is not None:
            self._load(consultation_id)
        elif business_id is not None:
            self._set_business(business_id)
        self._prospect_toggled(self.prospect_check.isChecked())
        self._show_date_hint()
        self._default_initiatives()
        self._loading = False
        if consultation_id is None:
            self._offer_draft()
        self.date_edit.setFocus()
        if not principal.can(Kind.CONSULTATION, Action.EDIT if consultation_id else Action.CREATE):
            self._read_only()
        self.refresh_loans()
        self.refresh_dispatches()

    # --- layout ---------------------------------------------------------------------------

    def _build_layout(self) -> None:
        when = QGroupBox(self.tr("いつ・どのように"))
        grid = QGridLayout(when)
        grid.addWidget(QLabel(label_for("consulted_on")), 0, 0)
        grid.addWidget(self.date_edit, 0, 1)
        grid.addWidget(self.date_hint, 0, 2)
        grid.addWidget(QLabel(self.tr("開始時刻")), 0, 3)
        grid.addWidget(self.time_edit, 0, 4)
        grid.addWidget(QLabel(label_for("minutes")), 1, 0)
        grid.addWidget(self.minutes_spin, 1, 1)
        grid.addWidget(QLabel(label_for("channel_id")), 1, 3)
        grid.addWidget(self.channel_combo, 1, 4)
        grid.addWidget(QLabel(label_for("staff_id")), 2, 0)
        grid.addWidget(self.staff_combo, 2, 1)

        who = QGroupBox(self.tr("相談者"))
        who_form = QFormLayout(who)
        who_form.addRow(label_for("business_id"), self.business_edit)
        who_form.addRow("", self.business_label)
        who_form.addRow("", self.prospect_check)
        who_form.addRow(label_for("prospect_name"), self.prospect_name_edit)
        who_form.addRow(label_for("prospect_contact"), self.prospect_contact_edit)

        what = QGroupBox(self.tr("相談分野と施策"))
        what_grid = QGridLayout(what)
        what_grid.addWidget(QLabel(label_for("topic_ids")), 0, 0)
        what_grid.addWidget(QLabel(label_for("initiative_ids")), 0, 1)
        what_grid.addWidget(self.topic_list, 1, 0)
        what_grid.addWidget(self.initiative_list, 1, 1)
        primary_row = QHBoxLayout()
        primary_row.addWidget(QLabel(label_for("primary_topic_id")))
        primary_row.addWidget(self.primary_combo, 1)
        what_grid.addLayout(primary_row, 2, 0)
        what_grid.addWidget(
            QLabel(self.tr("施策は主な相談分野から自動で選ばれます（変更可）。")), 2, 1
        )

        notes = QGroupBox(self.tr("内容"))
        notes_form = QFormLayout(notes)
        notes_form.addRow(self.tr("相談内容"), self.summary_edit)
        notes_form.addRow(self.tr("助言内容"), self.advice_edit)
        notes_form.addRow(self.tr("紹介先"), self.referrals_edit)
        notes_form.addRow(label_for("next_action"), self.next_action_edit)
        notes_form.addRow(label_for("due_on"), self.due_edit)

        layout = QVBoxLayout(self)
        for box in (when, who, what, notes):
            layout.addWidget(box)
        layout.addWidget(self.loan_row)
        layout.addWidget(self.dispatch_row)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        # Keyboard order follows the page: when → who → what → notes → buttons.
        order = [
            self.date_edit,
            self.time_edit,
            self.minutes_spin,
            self.channel_combo,
            self.staff_combo,
            self.business_edit,
            self.prospect_check,
            self.prospect_name_edit,
            self.prospect_contact_edit,
            self.topic_list,
            self.primary_combo,
            self.initiative_list,
            self.summary_edit,
            self.advice_edit,
            self.referrals_edit,
            self.next_action_edit,
            self.due_edit,
            self.buttons,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

    def _connect_changes(self) -> None:
        for edit in (
            self.date_edit,
            self.business_edit,
            self.prospect_name_edit,
            self.prospect_contact_edit,
            self.referrals_edit,
            self.next_action_edit,
            self.due_edit,
        ):
            edit.textChanged.connect(self._mark_changed)
        for plain in (self.summary_edit, self.advice_edit):
            plain.textChanged.connect(self._mark_changed)
        for combo in (self.channel_combo, self.staff_combo, self.primary_combo):
            combo.currentIndexChanged.connect(self._mark_changed)
        self.time_edit.textChanged.connect(self._mark_changed)
        self.minutes_spin.valueChanged.connect(self._mark_changed)
        self.prospect_check.toggled.connect(self._mark_changed)
        self.topic_list.itemChanged.connect(self._mark_changed)
        self.initiative_list.itemChanged.connect(self._mark_changed)

    # --- reading and writing the form -----------------------------------------------------

    @staticmethod
    def _select(combo: QComboBox, value: object) -> None:
        index = combo.findData(value)
        if index >= 0:
            combo.setCurrentIndex(index)

    @staticmethod
    def _checked(widget: QListWidget) -> list[int]:
        return [
            int(widget.item(row).data(Qt.ItemDataRole.UserRole))
            for row in range(widget.count())
            if widget.item(row).checkState() == Qt.CheckState.Checked
        ]

    @staticmethod
    def _check(widget: QListWidget, ids: set[int]) -> None:
        for row in range(widget.count()):
            item = widget.item(row)
            assert item is not None
            state = (
                Qt.CheckState.Checked
                if item.data(Qt.ItemDataRole.UserRole) in ids
                else (Qt.CheckState.Unchecked)
            )
            item.setCheckState(state)

    def values(self) -> dict[str, Any]:
        """The form as plain values (also what a draft holds)."""
        return {
            "consulted_on": self.date_edit.text(),
            "start_time": self.time_edit.text(),
            "minutes": self.minutes_spin.value(),
            "channel_id": self.channel_combo.currentData(),
            "staff_id": self.staff_combo.currentData(),
            "business_id": self._business_id,
            "business_text": self.business_edit.text(),
            "prospect": self.prospect_check.isChecked(),
            "prospect_name": self.prospect_name_edit.text(),
            "prospect_contact": self.prospect_contact_edit.text(),
            "topic_ids": self._checked(self.topic_list),
            "primary_topic_id": self.primary_combo.currentData(),
            "initiative_ids": self._checked(self.initiative_list),
            "initiatives_touched": self._initiatives_touched,
            "summary": self.summary_edit.toPlainText(),
            "advice": self.advice_edit.toPlainText(),
            "referrals": self.referrals_edit.text(),
            "next_action": self.next_action_edit.text(),
            "due_on": self.due_edit.text(),
        }

    def _apply(self, values: dict[str, Any]) -> None:
        self._loading = True
        self.date_edit.setText(values.get("consulted_on", ""))
        self.time_edit.setText(values.get("start_time", ""))
        self.minutes_spin.setValue(int(values.get("minutes") or 0))
        self._select(self.channel_combo, values.get("channel_id"))
        self._select(self.staff_combo, values.get("staff_id"))
        self._business_id = values.get("business_id")
        self.business_edit.setText(values.get("business_text", ""))
        self.business_label.setText(values.get("business_text", "") if self._business_id else "")
        self.prospect_check.setChecked(bool(values.get("prospect")))
        self.prospect_name_edit.setText(values.get("prospect_name", ""))
        self.prospect_contact_edit.setText(values.get("prospect_contact", ""))
        self._check(self.topic_list, set(values.get("topic_ids", [])))
        self._topics_changed()
        self._select(self.primary_combo, values.get("primary_topic_id"))
        self._check(self.initiative_list, set(values.get("initiative_ids", [])))
        self._initiatives_touched = bool(values.get("initiatives_touched"))
        self.summary_edit.setPlainText(values.get("summary", ""))
        self.advice_edit.setPlainText(values.get("advice", ""))
        self.referrals_edit.setText(values.get("referrals", ""))
        self.next_action_edit.setText(values.get("next_action", ""))
        self.due_edit.setText(values.get("due_on", ""))
        self._prospect_toggled(self.prospect_check.isChecked())
        self._show_date_hint()
        self._loading = False

    def _load(self, consultation_id: int) -> None:
        record = self._consultations.get(consultation_id)
        value = record.input
        self._version = record.version
        start = value.start_time
        self._apply(
            {
                "consulted_on": value.consulted_on.isoformat(),
                "start_time": start.strftime("%H:%M") if start else "",
                "minutes": value.minutes or 0,
                "channel_id": value.channel_id,
                "staff_id": value.staff_id,
                "business_id": value.business_id,
                "business_text": record.business_name,
                "prospect": value.business_id is None,
                "prospect_name": value.prospect_name,
                "prospect_contact": value.prospect_contact,
                "topic_ids": list(value.topic_ids),
                "primary_topic_id": value.primary_topic_id,
                "initiative_ids": list(value.initiative_ids),
                "initiatives_touched": True,  # what was saved stays as it was
                "summary": value.summary,
                "advice": value.advice,
                "referrals": value.referrals,
                "next_action": value.next_action,
                "due_on": value.due_on.isoformat() if value.due_on else "",
            }
        )
        self._changed = False

    def _set_business(self, business_id: int) -> None:
        business = self._businesses.get(business_id)
        self._business_id = business_id
        self.business_edit.setText(business.input.name)
        self.business_label.setText(self._business_caption(business.input.name, business.town_name))

    @staticmethod
    def _business_caption(name: str, town: str) -> str:
        return f"✓ {name}" + (f"（{town}）" if town else "")

    def _input(self) -> ConsultationInput:
        """The typed values as a ConsultationInput; dates that cannot be read are errors."""
        errors = []
        consulted_on: date = japan_today()
        try:
            consulted_on = parse_date(self.date_edit.text())
        except ValueError:
            errors.append(FieldError("consulted_on", "date.format"))
        due_on: date | None = None
        if self.due_edit.text().strip():
            try:
                due_on = parse_date(self.due_edit.text())
            except ValueError:
                errors.append(FieldError("due_on", "date.format"))
        start: time | None = None
        if self.time_edit.text().strip():
            try:
                start = parse_time(self.time_edit.text())
            except ValueError:
                errors.append(FieldError("start_time", "time.format"))
        prospect = self.prospect_check.isChecked()
        if not prospect and self._business_id is None and self.business_edit.text().strip():
            errors.append(FieldError("business_id", "consultation.pick_business"))
        if errors:
            raise ValidationError(errors)
        minutes = self.minutes_spin.value()
        return ConsultationInput(
            consulted_on=consulted_on,
            channel_id=int(self.channel_combo.currentData()),
            staff_id=int(self.staff_combo.currentData()),
            business_id=None if prospect else self._business_id,
            prospect_name=self.prospect_name_edit.text() if prospect else "",
            prospect_contact=self.prospect_contact_edit.text() if prospect else "",
            start_time=start,
            minutes=minutes or None,
            topic_ids=tuple(self._checked(self.topic_list)),
            primary_topic_id=self.primary_combo.currentData(),
            summary=self.summary_edit.toPlainText(),
            advice=self.advice_edit.toPlainText(),
            referrals=self.referrals_edit.text(),
            next_action=self.next_action_edit.text(),
            due_on=due_on,
            initiative_ids=tuple(self._checked(self.initiative_list)),
        )

    # --- behaviour ------------------------------------------------------------------------

    def _mark_changed(self, *_: object) -> None:
        if self._loading:
            return
        self._changed = True
        self._drafts.save(self._draft_key, self.values())

    def _offer_draft(self) -> None:
        draft = self._drafts.load(self._draft_key)
        if not draft:
            return
        answer = QMessageBox.question(
            self,
            self.windowTitle(),
            self.tr("保存されていない入力が残っています（前回の入力途中）。復元しますか？"),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._apply(draft)
            self._changed = True
        else:
            self._drafts.discard(self._draft_key)

    def _business_typed(self, text: str) -> None:
        self._business_id = None  # typing again means the pick is no longer certain
        self.business_label.setText(self.tr("一覧から選んでください") if text.strip() else "")
        self._search_timer.start()

    def _suggest(self) -> None:
        text = self.business_edit.text().strip()
        if not text:
            self._completer_model.setStringList([])
            return
        rows = self._businesses.page(BusinessQuery(text=text), limit=MAX_SUGGESTIONS)
        self._suggestions = {}
        for r in rows:
            where = r.town_name or r.area
            number = f"・{r.corporate_number}" if r.corporate_number else ""
            self._suggestions[f"{r.name}（{where}{number}）"] = r.id
        self._completer_model.setStringList(list(self._suggestions))
        completer = self.business_edit.completer()
        if completer is not None and rows:
            completer.complete()

    def _pick_business(self, text: str) -> None:
        business_id = self._suggestions.get(text)
        if business_id is None:
            return
        self._set_business(business_id)
        self._mark_changed()

    def _prospect_toggled(self, prospect: bool) -> None:
        self.business_edit.setEnabled(not prospect)
        self.prospect_name_edit.setEnabled(prospect)
        self.prospect_contact_edit.setEnabled(prospect)

    def _show_date_hint(self) -> None:
        try:
            self.date_hint.setText(format_date(parse_date(self.date_edit.text())))
            self.date_hint.setStyleSheet("")
        except ValueError:
            self.date_hint.setText(text_for("date.format"))
            self.date_hint.setStyleSheet(ERROR_STYLE)

    def _topics_changed(self, *_: object) -> None:
        chosen = self._checked(self.topic_list)
        current = self.primary_combo.currentData()
        self.primary_combo.blockSignals(True)
        self.primary_combo.clear()
        for topic in self._topics:
            if topic.id in chosen:
                self.primary_combo.addItem(topic.name, topic.id)
        self._select(self.primary_combo, current)
        self.primary_combo.blockSignals(False)
        self._default_initiatives()

    def _initiative_touched(self, *_: object) -> None:
        if not self._loading:
            self._initiatives_touched = True

    def _default_initiatives(self, *_: object) -> None:
        """資金繰り → 資金繰りの支援, 創業 → 創業支援 …, else 経営相談 (until chosen by hand)."""
        if self._initiatives_touched:
            return
        primary = self.primary_combo.currentData()
        code = next((t.detail for t in self._topics if t.id == primary), "")
        initiative = next((i.id for i in self._initiatives if i.code == code), self._fallback)
        self.initiative_list.blockSignals(True)
        self._check(self.initiative_list, {initiative})
        self.initiative_list.blockSignals(False)

    def save(self) -> None:
        try:
            value = self._input()
            if self.consultation_id is None:
                self.consultation_id = self._consultations.add(value)
            else:
                self._version = self._consultations.update(
                    self.consultation_id, self._version, value
                )
        except ValidationError as error:
            self.error_label.setText(error_text(error))
            return
        except Conflict:
            self.error_label.setText(text_for("conflict"))
            QMessageBox.warning(self, self.windowTitle(), text_for("conflict"))
            return
        except DomainError as error:
            self.error_label.setText(error_text(error))
            return
        self._drafts.discard(self._draft_key)
        self._changed = False
        self.saved.emit(self.consultation_id)
        self.accept()

    def refresh_loans(self) -> None:
        """The loan cases opened from this consultation (hidden when there are none)."""
        self.loan_list.clear()
        rows = []
        readable = self._principal.can(Kind.LOAN, Action.READ)
        if self._loans is not None and self.consultation_id is not None and readable:
            rows = self._loans.for_consultation(self.consultation_id)
        for row in rows:
            item = QListWidgetItem(
                f"{row.program_name}（{row.state.label}）"
                + self.tr("　受付 {0}").format(format_date(row.received_on))
            )
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            self.loan_list.addItem(item)
        self.loan_list.setEnabled(True)  # opening a case is reading, even on a read-only form
        self.loan_row.setVisible(bool(rows))

    def start_loan_case(self) -> None:
        """A loan case for this consultation's business; an unsaved consultation is saved
        first (the case keeps a link to it)."""
        if self.prospect_check.isChecked() or self._business_id is None:
            self.error_label.setText(
                self.tr("融資案件は登録済みの事業者について作成します。事業者を選んでください。")
            )
            return
        if self.consultation_id is None or self._changed:
            self.save()  # closes the dialog when it succeeds
            if self.consultation_id is None or self._changed:
                return
        self.new_loan_case.emit(self._business_id, self.consultation_id)
        self.refresh_loans()

    def _open_loan_case(self, item: QListWidgetItem) -> None:
        self.open_loan_case.emit(int(item.data(Qt.ItemDataRole.UserRole)))
        self.refresh_loans()

    def refresh_dispatches(self) -> None:
        """The expert dispatches started from this consultation (hidden when there are none)."""
        self.dispatch_list.clear()
        rows = []
        readable = self._principal.can(Kind.DISPATCH, Action.READ)
        if self._dispatch is not None and self.consultation_id is not None and readable:
            rows = self._dispatch.for_consultation(self.consultation_id)
        for row in rows:
            item = QListWidgetItem(
                f"{row.theme}（{row.state.label}）"
                + self.tr("　申請 {0}").format(format_date(row.applied_on))
            )
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            self.dispatch_list.addItem(item)
        self.dispatch_list.setEnabled(True)  # opening one is reading, even on a read-only form
        self.dispatch_row.setVisible(bool(rows))

    def start_dispatch(self) -> None:
        """An expert dispatch for this consultation's business; an unsaved consultation is
        saved first (the dispatch keeps a link to it)."""
        if self.prospect_check.isChecked() or self._business_id is None:
            self.error_label.setText(
                self.tr("専門家派遣は登録済みの事業者について申請します。事業者を選んでください。")
            )
            return
        if self.consultation_id is None or self._changed:
            self.save()  # closes the dialog when it succeeds
            if self.consultation_id is None or self._changed:
                return
        self.new_dispatch.emit(self._business_id, self.consultation_id)
        self.refresh_dispatches()

    def _open_dispatch(self, item: QListWidgetItem) -> None:
        self.open_dispatch.emit(int(item.data(Qt.ItemDataRole.UserRole)))
        self.refresh_dispatches()

    def show_history(self) -> None:
        """Every version of this consultation; an earlier one can be put back."""
        if self._history is None or self.consultation_id is None:
            return
        if (
            self._changed
            and QMessageBox.question(
                self,
                self.windowTitle(),
                self.tr("入力中の変更は破棄して履歴を開きます。よろしいですか？"),
            )
            != QMessageBox.StandardButton.Yes
        ):
            return
        dialog = HistoryDialog(
            self._history,
            "consultation",
            self.consultation_id,
            self.windowTitle(),
            self._version,
            can_edit=self._principal.can(Kind.CONSULTATION, Action.EDIT),
            parent=self,
        )
        dialog.exec()
        self._load(self.consultation_id)  # the record as it is now

    def _read_only(self) -> None:
        for widget in self.findChildren(QWidget):
            if isinstance(
                widget,
                QLineEdit | QPlainTextEdit | QComboBox | QSpinBox | QListWidget | QCheckBox,
            ):
                widget.setEnabled(False)
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        if save is not None:
            save.setVisible(False)

    def has_changes(self) -> bool:
        return self._changed

    def reject(self) -> None:
        if self._changed and not self._confirm_discard():
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._changed and not self._confirm_discard():
            event.ignore()
            return
        super().closeEvent(event)

    def _confirm_discard(self) -> bool:
        """True when the dialog may close: saved, or the user chose to discard."""
        answer = QMessageBox.question(
            self,
            self.windowTitle(),
            self.tr("変更を保存しますか？"),
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            self.save()
            return False  # save() closes the dialog itself when it succeeds
        if answer == QMessageBox.StandardButton.Discard:
            self._drafts.discard(self._draft_key)
            self._changed = False
            return True
        return False

"""商店街のイベント: name, type, the days it runs, place, partners, budget and visitors."""

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.errors import DomainError, FieldError
from consult_desk.domain.fiscal import format_date, japan_today
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.streets import (
    EVENT_TYPES,
    PARTNER_SUGGESTIONS,
    Event,
    EventInput,
    read_numbers,
)
from consult_desk.services.streets import StreetService
from consult_desk.ui.messages import error_text
from consult_desk.ui.widgets.inline_fields import (
    AmountEdit,
    DateEdit,
    InlineForm,
    hint,
    plain,
    select_data,
    set_error,
)

LABELS = {
    "name": "イベント名 ＊",
    "event_type": "種類",
    "starts_on": "開始日 ＊",
    "ends_on": "終了日",
    "place": "会場",
    "partners": "連携先",
    "budget": "予算",
    "visitors": "来場者数",
    "support_id": "支援記録",
    "notes": "備考・効果",
}
_SEPARATORS = str.maketrans({"、": "\n", ",": "\n", "，": "\n", "・": "\n"})


class EventDialog(InlineForm):
    """A new event of a street (``association_id``) or an existing one (``event_id``).

    The end date left empty means a one-day event; an end before the start is refused next to
    the field and nothing typed is lost. 予算 and 来場者数 read 50万 and full-width digits.
    """

    def __init__(
        self,
        streets: StreetService,
        principal: Principal,
        association_id: int | None = None,
        event_id: int | None = None,
        support_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._streets = streets
        self._event: Event | None = None
        event = streets.get_event(event_id) if event_id is not None else None
        if event is not None:
            association_id = event.association_id
        if association_id is None:
            raise ValueError("an event belongs to a street")
        self.association_id = association_id
        self.setMinimumWidth(640)

        association_name = event.association_name if event else ""
        association_name = association_name or streets.get(association_id).input.name
        self.association_label = QLabel(association_name)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(self.tr("例: すずらんまつり"))
        self.type_combo = QComboBox()
        self.type_combo.setEditable(True)  # the suggestions are not a closed list
        self.type_combo.addItem("")
        self.type_combo.addItems(list(EVENT_TYPES))
        self.type_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.starts_edit = DateEdit()
        self.ends_edit = DateEdit(placeholder=self.tr("空欄: 開始日と同じ（1日のみ）"))
        self.place_edit = QLineEdit()
        self.place_edit.setPlaceholderText(self.tr("例: すずらん通り・神保町交差点周辺"))
        self.partner_checks = [QCheckBox(name) for name in PARTNER_SUGGESTIONS]
        self.partners_edit = QLineEdit()
        self.partners_edit.setPlaceholderText(self.tr("その他（「、」で区切る）"))
        self.budget_edit = AmountEdit()
        self.visitors_edit = AmountEdit(unit="人", placeholder=self.tr("例: 3万 / 30,000"))
        self.support_combo = QComboBox()
        self.support_combo.addItem(self.tr("（なし）"), None)
        event_kinds = {k.id for k in streets.support_kinds(include_inactive=True) if k.is_event}
        for row in streets.supports(association_id):
            if row.kind_id in event_kinds:
                self.support_combo.addItem(f"{format_date(row.supported_on)} {row.title}", row.id)
        self.notes_edit = plain(70)
        self.notes_edit.setPlaceholderText(self.tr("売上への効果、写真・報告書の保管場所など"))
        self.initiative_hint = hint()

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.addRow(self.tr("商店街"), self.association_label)
        self.add_row(form, "name", LABELS["name"], self.name_edit)
        self.add_row(form, "event_type", LABELS["event_type"], self.type_combo)
        self.add_row(
            form, "starts_on", LABELS["starts_on"], self.starts_edit.row(), self.starts_edit
        )
        self.add_row(form, "ends_on", LABELS["ends_on"], self.ends_edit.row(), self.ends_edit)
        self.add_row(form, "place", LABELS["place"], self.place_edit)
        partners = QWidget()
        partners_layout = QVBoxLayout(partners)
        partners_layout.setContentsMargins(0, 0, 0, 0)
        checks = QHBoxLayout()
        for check in self.partner_checks:
            checks.addWidget(check)
            check.toggled.connect(lambda _c: self._finished("partners"))
        checks.addStretch(1)
        partners_layout.addLayout(checks)
        partners_layout.addWidget(self.partners_edit)
        partners.setFocusProxy(self.partner_checks[0])
        self.add_row(form, "partners", LABELS["partners"], partners, self.partners_edit)
        self.add_row(form, "budget", LABELS["budget"], self.budget_edit.row(), self.budget_edit)
        self.add_row(
            form, "visitors", LABELS["visitors"], self.visitors_edit.row(), self.visitors_edit
        )
        support = QWidget()
        support_layout = QVBoxLayout(support)
        support_layout.setContentsMargins(0, 0, 0, 0)
        support_layout.setSpacing(1)
        support_layout.addWidget(self.support_combo)
        support_layout.addWidget(self.initiative_hint)
        support.setFocusProxy(self.support_combo)
        self.add_row(form, "support_id", LABELS["support_id"], support, self.support_combo)
        self.add_row(form, "notes", LABELS["notes"], self.notes_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.conflict_bar)
        layout.addLayout(form)
        layout.addWidget(hint(self.tr("＊は必須です。")))
        layout.addWidget(self.general_error)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self._fill(event, support_id)
        action = Action.EDIT if event is not None else Action.CREATE
        if not principal.can(Kind.STREET, action):
            self.make_read_only()
            for check in self.partner_checks:
                check.setEnabled(False)
        self.finish_layout()
        self.name_edit.setFocus()

    # --- loading --------------------------------------------------------------------------

    def _fill(self, event: Event | None, support_id: int | None = None) -> None:
        self._event = event
        if event is None:
            self.setWindowTitle(self.tr("イベントを登録"))
        else:
            self.setWindowTitle(self.tr("イベント: {0}").format(event.input.name))
        value = event.input if event else None

        def fill() -> None:
            if value is None:
                select_data(self.support_combo, support_id)
                return
            self.name_edit.setText(value.name)
            self.type_combo.setEditText(value.event_type)
            self.starts_edit.set_date(value.starts_on)
            self.ends_edit.set_date(value.ends_on)
            self.place_edit.setText(value.place)
            chosen = [p for p in value.partners.split("\n") if p]
            for check in self.partner_checks:
                check.setChecked(check.text() in chosen)
            others = [p for p in chosen if p not in PARTNER_SUGGESTIONS]
            self.partners_edit.setText("、".join(others))
            self.budget_edit.set_amount(value.budget)
            self.visitors_edit.set_amount(value.visitors)
            select_data(self.support_combo, value.support_id, event.support_title if event else "")
            self.notes_edit.setPlainText(value.notes)

        self.load(fill)

    def reload_record(self) -> None:
        if self._event is None:
            return
        try:
            self._fill(self._streets.get_event(self._event.id))
        except DomainError as error:
            set_error(self.general_error, error_text(error))

    # --- reading and saving ---------------------------------------------------------------

    def partners(self) -> str:
        chosen = [c.text() for c in self.partner_checks if c.isChecked()]
        typed = self.partners_edit.text().translate(_SEPARATORS).split("\n")
        chosen += [p.strip() for p in typed if p.strip() and p.strip() not in chosen]
        return "\n".join(chosen)

    def _day(self, name: str, edit: DateEdit, parse_errors: dict[str, str]) -> date | None:
        try:
            return edit.date_value()
        except ValueError:
            parse_errors[name] = "date.format"
            return None

    def collect(self) -> tuple[object, dict[str, str]]:
        parse_errors: dict[str, str] = {}
        starts = self._day("starts_on", self.starts_edit, parse_errors)
        ends = self._day("ends_on", self.ends_edit, parse_errors)
        if starts is None and "starts_on" not in parse_errors:
            parse_errors["starts_on"] = "required"
        if starts is None or (ends is None and "ends_on" in parse_errors):
            # Without both days the period rule cannot be checked yet: no error from it.
            starts = ends = starts or ends or japan_today()
        numbers, errors = read_numbers(
            {"budget": self.budget_edit.text(), "visitors": self.visitors_edit.text()}
        )
        parse_errors.update({e.field: e.code for e in errors})
        support_id = self.support_combo.currentData()
        initiative_id = None
        if self._event is not None and self._event.input.support_id == support_id:
            initiative_id = self._event.input.initiative_id  # kept unless the link changes
        value = EventInput(
            name=self.name_edit.text(),
            starts_on=starts,
            ends_on=ends or starts,
            event_type=self.type_combo.currentText(),
            place=self.place_edit.text(),
            partners=self.partners(),
            budget=numbers["budget"],
            visitors=numbers["visitors"],
            notes=self.notes_edit.toPlainText(),
            support_id=support_id,
            initiative_id=initiative_id,
        ).normalized()
        return value, parse_errors

    def rule_errors(self, value: object) -> list[FieldError]:
        assert isinstance(value, EventInput)
        return value.errors()

    def state(self) -> object:
        return super().state(), tuple(c.isChecked() for c in self.partner_checks)

    def after_revalidate(self, value: object) -> None:
        if self.support_combo.currentData() is not None:
            self.initiative_hint.setText(self.tr("施策は支援記録のものを引き継ぎます。"))
        elif self._event is not None:
            self.initiative_hint.setText(self.tr("施策: {0}").format(self._event.initiative_code))
        else:
            self.initiative_hint.setText(self.tr("施策: 2-2-1 イベント開催支援"))

    def submit(self, value: object) -> int:
        assert isinstance(value, EventInput)
        if self._event is not None:
            self._streets.update_event(self._event.id, self._event.version, value)
            return self._event.id
        return self._streets.add_event(self.association_id, value)

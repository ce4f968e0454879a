"""Form pieces of the 専門家派遣 windows: typed dates with their 和暦 reading, yen typed as
people type them (「1万1,550」, full-width), the expert choice. The general ones (error labels,
hints, styles) live in ``ui.widgets.inline_fields``."""

from datetime import date

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QWidget

from consult_desk.domain.dispatch import ExpertRow, read_yen
from consult_desk.domain.errors import FieldError
from consult_desk.domain.fiscal import format_date, format_yen, parse_date
from consult_desk.ui.models.dispatch_tables import registration_state
from consult_desk.ui.widgets.inline_fields import hint, select_data

USAGE_STYLE = "color: #1f3a5f; font-weight: bold;"
USAGE_FULL_STYLE = "color: #b00020; font-weight: bold;"


def row(*widgets: QWidget, stretch: tuple[int, ...] = ()) -> QWidget:
    """Widgets side by side in one form row."""
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for index, widget in enumerate(widgets):
        layout.addWidget(widget, stretch[index] if index < len(stretch) else 0)
    return box


class DateEdit(QLineEdit):
    """A date typed as 2026-05-11, R8.5.11 or 令和8年5月11日; ``reading`` says what was read."""

    def __init__(self, value: date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(value.isoformat() if value else "", parent)
        self.setPlaceholderText(self.tr("例: 2026-05-11"))
        self.setToolTip(self.tr("2026-05-11 / R8.5.11 / 令和8年5月11日 のように入力できます"))
        self.setMaximumWidth(150)
        self.hint = hint()
        self.textChanged.connect(self._show_reading)
        self._show_reading()

    def value(self) -> date | None:
        """None when empty; ValueError when it is not a date."""
        text = self.text().strip()
        return parse_date(text) if text else None

    def set_value(self, value: date | None) -> None:
        self.setText(value.isoformat() if value else "")

    def with_hint(self) -> QWidget:
        return row(self, self.hint, stretch=(0, 1))

    def _show_reading(self) -> None:
        try:
            value = self.value()
        except ValueError:
            self.hint.setText("")
            return
        self.hint.setText(format_date(value) if value else "")


class YenEdit(QLineEdit):
    """Yen as people type them: 11550, 11,550, 1万1,550円, full-width １１，５５０."""

    def __init__(self, value: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__("" if value is None else f"{value:,}", parent)
        self.setMaximumWidth(150)
        self.hint = hint()
        self.textChanged.connect(self._show_reading)
        self._show_reading()

    def read(self, field_name: str) -> tuple[int | None, list[FieldError]]:
        """(yen or None when empty, errors: number.format / negative)."""
        return read_yen(self.text(), field_name)

    def with_hint(self) -> QWidget:
        return row(self, self.hint, stretch=(0, 1))

    def _show_reading(self) -> None:
        value, errors = self.read("amount")
        self.hint.setText(f"= {format_yen(value)}" if value is not None and not errors else "")


def expert_text(expert: ExpertRow, on: date) -> str:
    """The expert as a choice: 「山田 太郎（中小企業診断士）」, with 「登録期限切れ」 when the
    registration does not cover ``on``."""
    text = expert.name
    if expert.qualifications:
        text += f"（{'・'.join(expert.qualifications[:2])}）"
    if not expert.assignable_on(on):
        text += f"【{registration_state(expert, on)}】"
    return text


def fill_experts(
    combo: QComboBox,
    choices: list[ExpertRow],
    current: ExpertRow | None,
    on: date,
    empty: str = "",
) -> None:
    """The experts assignable on ``on``; the one already chosen stays (marked) even when its
    registration does not cover the day, so the form shows it and the check refuses it."""
    combo.blockSignals(True)  # refilling is not the user's choice
    combo.clear()
    if empty:
        combo.addItem(empty, None)
    for expert in choices:
        combo.addItem(expert_text(expert, on), expert.id)
    if current is not None and combo.findData(current.id) < 0:
        combo.addItem(expert_text(current, on), current.id)
    select_data(combo, current.id if current else None)
    combo.blockSignals(False)

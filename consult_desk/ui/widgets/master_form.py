"""What the master-data tabs (融資・補助金の制度) share: filling their tables, ``FormDialog``
(a form whose errors show under each field once it was left or saved) and ``TermsFormDialog``
(a program's terms for a period)."""

from datetime import date, timedelta
from typing import Any, Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.errors import DomainError, ValidationError
from consult_desk.domain.fiscal import fiscal_year, fiscal_year_range, format_date
from consult_desk.ui.messages import error_text, label_for, text_for
from consult_desk.ui.widgets.inline_fields import HINT_STYLE

# Smaller than the record forms' errors: the master forms are dense.
ERROR_STYLE = "color: #b00020; font-size: 9pt;"


def fill_table(
    table: QTableWidget, rows: list[list[str]], bold_rows: frozenset[int] = frozenset()
) -> None:
    """The rows as text (``bold_rows``: those in force), columns sized to what they hold."""
    table.setRowCount(len(rows))
    for row, values in enumerate(rows):
        for column, value in enumerate(values):
            item = QTableWidgetItem(value)
            if row in bold_rows:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            table.setItem(row, column, item)
    table.resizeColumnsToContents()


def warn(parent: QWidget, error: DomainError) -> None:
    QMessageBox.warning(parent, "consult-desk", error_text(error))


def short_hint(text: str) -> QLabel:
    """A grey note beside a field, on one line."""
    label = QLabel(text)
    label.setStyleSheet(HINT_STYLE)
    return label


class FormDialog(QDialog):
    """A form whose errors appear under each field; the service has the last word."""

    saved = Signal(int)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.error_labels: dict[str, QLabel] = {}
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self._touched: set[str] = set()
        self._show_all = False
        # What the service refused in the last save; shown until the user changes something.
        self._server_errors: dict[str, str] = {}
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.buttons)

    def _row(self, name: str, *widgets: QWidget, label: str = "") -> None:
        """One form row: the field (and anything beside it) with its error label beneath."""
        error = QLabel()
        error.setStyleSheet(ERROR_STYLE)
        error.setWordWrap(True)
        error.hide()
        self.error_labels[name] = error
        cell = QWidget()
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        line = QHBoxLayout()
        for widget in widgets:
            line.addWidget(widget)
        line.addStretch(1)
        column.addLayout(line)
        column.addWidget(error)
        cell.setFocusProxy(widgets[0])
        self.form.addRow(label or label_for(name), cell)
        if isinstance(widgets[0], QLineEdit):
            edit = widgets[0]
            edit.editingFinished.connect(lambda: self._finished(name))
            edit.textEdited.connect(lambda _text: self._edited())

    def field_error(self, name: str) -> str:
        """The error shown at a field, "" when none is shown."""
        label = self.error_labels[name]
        return label.text() if not label.isHidden() else ""

    def _edited(self) -> None:
        self._server_errors = {}
        self._revalidate()

    def _finished(self, name: str) -> None:
        self._touched.add(name)
        self._reformat(name)
        self._revalidate()

    def _reformat(self, name: str) -> None:
        """Show what was understood (5,000,000円, 1.6%, 令和8年4月1日)."""

    def _client_errors(self) -> dict[str, str]:
        raise NotImplementedError

    def _revalidate(self) -> dict[str, str]:
        found = self._client_errors()
        for name, server_code in self._server_errors.items():
            found.setdefault(name, server_code)
        for name, label in self.error_labels.items():
            shown = self._show_all or name in self._touched or name in self._server_errors
            code = found.get(name) if shown else None
            label.setText(text_for(code) if code else "")
            label.setVisible(code is not None)
        return found

    def _focus_first_error(self) -> None:
        for label in self.error_labels.values():
            cell = label.parentWidget()
            if not label.isHidden() and cell is not None:
                cell.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    def save(self) -> None:
        for name in self.error_labels:
            self._reformat(name)
        self._show_all = True
        self._server_errors = {}
        if self._revalidate():
            self._focus_first_error()
            return
        try:
            record_id = self._submit()
        except ValidationError as error:
            self._server_errors = {}
            for field_error in error.errors:
                self._server_errors.setdefault(field_error.field, field_error.code)
            self._revalidate()
            unplaced = [e for e in error.errors if e.field not in self.error_labels]
            if unplaced:
                warn(self, ValidationError(unplaced))
            self._focus_first_error()
            return
        except DomainError as error:  # Conflict among them: the input stays for another try
            warn(self, error)
            return
        self.saved.emit(record_id)
        self.accept()

    def _submit(self) -> int:
        raise NotImplementedError


class Period(Protocol):
    """Terms that hold from one day, open-ended or up to another."""

    @property
    def valid_from(self) -> date: ...

    @property
    def valid_to(self) -> date | None: ...


def next_terms_start(newest: Period | None, today: date) -> date:
    """Where a new period most likely begins: after the newest one, else this 年度's 4月1日."""
    if newest is None:
        return fiscal_year_range(fiscal_year(today))[0]
    if newest.valid_to is not None:
        return newest.valid_to + timedelta(days=1)
    return fiscal_year_range(fiscal_year(newest.valid_from) + 1)[0]


class TermsFormDialog(FormDialog):
    """A program's terms for a period (``_terms``: the ones edited, None for new ones). Adding
    terms after open-ended ones (``_newest``) offers to end those the day before."""

    # The service's code for a period overlapping another.
    OVERLAP_CODE = ""
    _service: Any
    _program: Any
    _terms: Any
    _newest: Any

    def value(self) -> Any:
        """The typed terms; None while a field cannot be read."""
        raise NotImplementedError

    def _submit(self) -> int:
        value = self.value()
        assert value is not None  # save() checked the client errors first
        if self._terms is not None:
            self._service.update_terms(self._terms.id, self._terms.version, value)
            return int(self._terms.id)
        try:
            return int(self._service.add_terms(self._program.id, value))
        except ValidationError as error:
            if not self._may_close_newest(error, value.valid_from):
                raise
            return int(self._service.add_terms(self._program.id, value, close_open_period=True))

    def _may_close_newest(self, error: ValidationError, valid_from: date) -> bool:
        """The usual yearly change: offer to end last year's open-ended terms the day before."""
        newest: Period | None = self._newest
        if (
            error.codes().get("valid_from") != self.OVERLAP_CODE
            or newest is None
            or newest.valid_to is not None
            or newest.valid_from >= valid_from
        ):
            return False
        answer = QMessageBox.question(
            self,
            self.windowTitle(),
            self.tr(
                "現在の条件（{0}〜）には適用終了日がありません。\n"
                "適用終了日を {1} にして、この条件を追加しますか？"
            ).format(
                format_date(newest.valid_from),
                format_date(valid_from - timedelta(days=1)),
            ),
        )
        return answer == QMessageBox.StandardButton.Yes

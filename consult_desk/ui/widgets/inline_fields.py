"""Form pieces shared by the record and step forms: the styles, typed dates and amounts, an
error label under every field, and ``InlineForm`` (inline validation, unsaved-changes guard,
conflicts)."""

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.errors import Conflict, DomainError, FieldError, ValidationError
from consult_desk.domain.fiscal import format_date, format_yen, parse_date
from consult_desk.domain.text import parse_int
from consult_desk.ui.messages import error_text, label_for, text_for

ERROR_STYLE = "color: #b00020;"
HINT_STYLE = "color: #555555;"
WARNING_STYLE = "color: #8a5300; background: #fff4dc; padding: 4px;"
CONFLICT_STYLE = "background: #fde7e9; border: 1px solid #d9828b; padding: 6px;"
BANNER_STYLE = "background: #fff4d6; border: 1px solid #e0c06a; padding: 6px;"
STATE_STYLE = "color: #ffffff; background: #1f3a5f; padding: 2px 8px; font-weight: bold;"
OVERDUE_STYLE = "color: #ffffff; background: #b00020; padding: 2px 6px; font-weight: bold;"
PRIMARY_STYLE = "QPushButton { font-weight: bold; }"
PREVIEW_DELAY_MS = 250  # how long typing pauses before the service is asked
NONE = "—"


def error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.hide()
    return label


def set_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def hint(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setStyleSheet(HINT_STYLE)
    label.setWordWrap(True)
    return label


def plain(height: int = 60) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setTabChangesFocus(True)  # Tab moves on, as in every other field
    edit.setFixedHeight(height)
    return edit


def select_data(combo: QComboBox, value: object, fallback_text: str = "") -> bool:
    """Select the item holding ``value`` (None: the empty choice); one no longer offered (an
    inactive kind) is added when ``fallback_text`` names it, so the form still shows what the
    record holds. False when nothing was selected."""
    if value is None:  # findData cannot look for an empty value
        index = next((i for i in range(combo.count()) if combo.itemData(i) is None), -1)
    else:
        index = combo.findData(value)
    if index < 0 and value is not None and fallback_text:
        combo.addItem(fallback_text, value)
        index = combo.count() - 1
    if index >= 0:
        combo.setCurrentIndex(index)
    return index >= 0


def discard_ok(parent: QWidget) -> bool:
    """Closing a step form with something typed: 破棄 / キャンセル."""
    answer = QMessageBox.question(
        parent,
        parent.windowTitle(),
        parent.tr("入力した内容は記録されていません。破棄して閉じますか？"),
        QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Discard


class GuardedDialog(QDialog):
    """A window that asks before closing over input not yet recorded (``_changed``): Esc,
    キャンセル and the close button all go through ``may_close``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._changed = False

    def may_close(self) -> bool:
        """Asked only when something changed: True when the window may close."""
        return discard_ok(self)

    def ask_save_or_discard(self, question: str, save: Callable[[], object]) -> bool:
        """保存 / 破棄 / キャンセル for a window with a save of its own: True when it may close
        (saved, or the user chose to discard)."""
        answer = QMessageBox.question(
            self,
            self.windowTitle(),
            question,
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            save()
            return not self._changed
        if answer == QMessageBox.StandardButton.Discard:
            self._changed = False
            return True
        return False

    def _close_allowed(self) -> bool:
        if not self._changed:
            return True
        if self.may_close():
            # Asked once: QDialog's closeEvent calls reject(), which must not ask again.
            self._changed = False
            return True
        return False

    def reject(self) -> None:
        if self._close_allowed():
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._close_allowed():
            event.ignore()
            return
        super().closeEvent(event)


def row_widget(*widgets: QWidget, stretch: bool = False) -> QWidget:
    """Widgets side by side without margins (a field and the hint that reads it back)."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget, 0 if stretch else 1)
    if stretch:
        layout.addStretch(1)
    row.setFocusProxy(widgets[0])
    return row


class DateEdit(QLineEdit):
    """A date as people type it (2026-05-16, R8.5.16, 令和8年5月16日); ``hint`` reads it back."""

    def __init__(self, value: date | None = None, placeholder: str = "") -> None:
        super().__init__("" if value is None else value.isoformat())
        self.setPlaceholderText(placeholder or self.tr("例: 2026-05-16 / R8.5.16"))
        self.setMaximumWidth(190)
        self.hint = hint()
        self.hint.setWordWrap(False)  # one line beside the field, never squeezed into two
        self.empty_hint = ""  # what an empty field means, shown beside it
        self.textChanged.connect(self._read_back)
        self._read_back()

    def date_value(self) -> date | None:
        """None when empty; ValueError when it is not a date."""
        text = self.text().strip()
        return parse_date(text) if text else None

    def set_date(self, value: date | None) -> None:
        self.setText("" if value is None else value.isoformat())

    def row(self) -> QWidget:
        return row_widget(self, self.hint, stretch=True)

    def set_empty_hint(self, text: str) -> None:
        self.empty_hint = text
        self._read_back()

    def _read_back(self) -> None:
        try:
            value = self.date_value()
        except ValueError:
            self.hint.setText("")
            return
        self.hint.setText(format_date(value) if value else self.empty_hint)


class AmountEdit(QLineEdit):
    """Yen (or a count) as people type them: 500000, 500,000, 50万, ５０万円."""

    def __init__(self, value: int | None = None, unit: str = "円", placeholder: str = "") -> None:
        super().__init__("" if value is None else f"{value:,}")
        self._unit = unit
        self.setPlaceholderText(placeholder or self.tr("例: 50万 / 500,000"))
        self.setMaximumWidth(200)
        self.hint = hint()
        self.hint.setWordWrap(False)
        self.textChanged.connect(lambda _t: self.hint.setText(self.reading()))
        self.hint.setText(self.reading())

    def amount(self) -> int | None:
        """None when empty; ValueError when it is not a whole number."""
        text = self.text().strip()
        return parse_int(text) if text else None

    def set_amount(self, value: int | None) -> None:
        self.setText("" if value is None else f"{value:,}")

    def reading(self) -> str:
        """What the typed text is read as, shown next to the field."""
        try:
            amount = self.amount()
        except ValueError:
            return ""
        if amount is None:
            return ""
        return f"= {format_yen(amount)}" if self._unit == "円" else f"= {amount:,}{self._unit}"

    def row(self) -> QWidget:
        return row_widget(self, self.hint, stretch=True)


def widget_state(widget: QWidget) -> object:
    """What a field holds, for telling whether the form changed."""
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QComboBox):  # an editable combo's typed text counts too
        return widget.currentData(), widget.currentText() if widget.isEditable() else ""
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QListWidget):
        return tuple(
            widget.item(i).checkState() == Qt.CheckState.Checked for i in range(widget.count())
        )
    return None


def ask_save(parent: QWidget) -> QMessageBox.StandardButton:
    """The unsaved-changes question: 保存 / 破棄 / キャンセル."""
    return QMessageBox.question(
        parent,
        parent.windowTitle(),
        parent.tr(
            "変更が保存されていません。保存しますか？\n保存しないで閉じると、入力した内容は失われます。"
        ),
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel,
    )


class InlineForm(QDialog):
    """A record form whose problems show under each field while the user types.

    - Subclasses register fields with ``add_row`` / ``watch`` and implement ``collect``
      (the typed value and the text that could not be read), ``rule_errors`` (the domain's
      field rules), ``submit`` (the service call) and ``reload_record``.
    - "required" waits until the field was left or a save was tried; real rule violations
      (an end before the start, a negative amount) show at once.
    - A refused save keeps everything typed; a conflict shows a bar with 「最新の内容を読み込む」
      and keeps the input until the user chooses to reload.
    - Closing with unsaved changes asks 保存 / 破棄 / キャンセル.
    """

    saved = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.error_labels: dict[str, QLabel] = {}
        self.field_widgets: dict[str, QWidget] = {}
        self.read_only = False
        self.record_id: int | None = None
        self._touched: set[str] = set()
        self._show_all = False
        self._loading = False
        self._server_errors: dict[str, str] = {}
        self._client_errors: dict[str, str] = {}
        self._initial: object = None
        self._labels: dict[str, str] = {}

        self.general_error = error_label()
        self.conflict_bar = QFrame()
        self.conflict_bar.setStyleSheet(CONFLICT_STYLE)
        conflict_text = QLabel(
            self.tr(
                "他の人がこの記録を更新しました。入力した内容は残っています。"
                "最新の内容を読み込むと、この画面の入力は破棄されます。"
            )
        )
        conflict_text.setWordWrap(True)
        conflict_text.setStyleSheet("border: none; padding: 0;")
        self.reload_button = QPushButton(self.tr("最新の内容を読み込む"))
        self.reload_button.clicked.connect(self._reload_clicked)
        bar = QHBoxLayout(self.conflict_bar)
        bar.setContentsMargins(6, 4, 6, 4)
        bar.addWidget(conflict_text, 1)
        bar.addWidget(self.reload_button)
        self.conflict_bar.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        for button in self.buttons.buttons():
            if isinstance(button, QPushButton):  # Enter in a field moves on instead
                button.setAutoDefault(False)
                button.setDefault(False)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)

    # --- building -------------------------------------------------------------------------

    def add_row(
        self,
        form: QFormLayout,
        name: str,
        label: str,
        widget: QWidget,
        field: QWidget | None = None,
    ) -> None:
        """A row: ``widget`` (the field or a row holding it) with its error label beneath."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(widget)
        self.error_labels[name] = error_label()
        column.addWidget(self.error_labels[name])
        box.setFocusProxy(widget)
        form.addRow(label, box)
        self._labels[name] = label.rstrip(" ＊")
        self.watch(name, field or widget)

    def watch(self, name: str, widget: QWidget) -> None:
        self.field_widgets[name] = widget
        if isinstance(widget, QLineEdit):
            widget.textChanged.connect(lambda _t: self._changed(name))
            widget.editingFinished.connect(lambda: self._finished(name))
        elif isinstance(widget, QPlainTextEdit):
            widget.textChanged.connect(lambda: self._changed(name))
        elif isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(lambda _i: self._finished(name))
            if widget.isEditable():
                widget.currentTextChanged.connect(lambda _t: self._changed(name))
        elif isinstance(widget, QCheckBox):
            widget.toggled.connect(lambda _c: self._finished(name))
        elif isinstance(widget, QListWidget):
            widget.itemChanged.connect(lambda _i: self._finished(name))

    def finish_layout(self) -> None:
        """Call at the end of the subclass's constructor, after loading."""
        self.revalidate()
        self._initial = self.state()

    # --- for subclasses -------------------------------------------------------------------

    def collect(self) -> tuple[object, dict[str, str]]:
        raise NotImplementedError

    def rule_errors(self, value: object) -> list[FieldError]:
        return []

    def submit(self, value: object) -> int:
        raise NotImplementedError

    def reload_record(self) -> None:
        raise NotImplementedError

    def state(self) -> object:
        return tuple(widget_state(w) for w in self.field_widgets.values())

    def after_revalidate(self, value: object) -> None:
        """Refresh derived displays (hints, visibility) after every change."""

    # --- feedback -------------------------------------------------------------------------

    def _changed(self, name: str) -> None:
        if self._loading:
            return
        self._server_errors.pop(name, None)
        self.revalidate()

    def _finished(self, name: str) -> None:
        if self._loading:
            return
        self._touched.add(name)
        self._server_errors.pop(name, None)
        self.revalidate()

    def revalidate(self) -> dict[str, str]:
        value, found = self.collect()
        found = dict(found)
        if value is not None:
            for error in self.rule_errors(value):
                found.setdefault(error.field, error.code)
        self._client_errors = found
        for name, label in self.error_labels.items():
            code = found.get(name)
            if code == "required" and not (self._show_all or name in self._touched):
                code = None
            code = code or self._server_errors.get(name)
            set_error(label, text_for(code) if code else "")
        self.after_revalidate(value)
        return found

    def field_error(self, name: str) -> str:
        """The error shown at a field, "" when none is shown."""
        label = self.error_labels[name]
        return label.text() if not label.isHidden() else ""

    def error_texts(self) -> dict[str, str]:
        shown = {n: label.text() for n, label in self.error_labels.items() if not label.isHidden()}
        if not self.general_error.isHidden():
            shown["form"] = self.general_error.text()
        return shown

    def focus_first_error(self) -> None:
        for name, label in self.error_labels.items():
            if not label.isHidden():
                widget = self.field_widgets.get(name)
                if widget is not None and widget.isEnabled():
                    widget.setFocus(Qt.FocusReason.OtherFocusReason)
                    if isinstance(widget, QLineEdit):
                        widget.selectAll()
                return

    def show_server_errors(self, errors: list[FieldError]) -> None:
        self._server_errors = {}
        for found in errors:
            self._server_errors.setdefault(found.field, found.code)
        unplaced = [e for e in errors if e.field not in self.error_labels]
        self.revalidate()
        set_error(
            self.general_error,
            "\n".join(f"{self._label(e.field)}: {text_for(e.code)}" for e in unplaced),
        )
        self.focus_first_error()

    def _label(self, name: str) -> str:
        return self._labels.get(name) or label_for(name)

    # --- saving ---------------------------------------------------------------------------

    def save(self) -> bool:
        """Check, then save; True when saved (the form then closes)."""
        if self.read_only:
            return False
        self._show_all = True
        set_error(self.general_error, "")
        found = self.revalidate()
        value, _ = self.collect()
        if found or value is None:
            self.focus_first_error()
            return False
        try:
            record_id = self.submit(value)
        except ValidationError as error:
            self.show_server_errors(error.errors)
            return False
        except Conflict:
            self.show_conflict()
            return False
        except DomainError as error:
            set_error(self.general_error, error_text(error))
            return False
        self.record_id = record_id
        self._server_errors = {}
        self._initial = self.state()
        self.saved.emit(record_id)
        self.accept()
        return True

    def show_conflict(self) -> None:
        self.conflict_bar.show()
        QMessageBox.warning(self, self.windowTitle(), text_for("conflict"))

    def _reload_clicked(self) -> None:
        self.reload_record()
        self.conflict_bar.hide()
        self._server_errors = {}
        self._touched.clear()
        self._show_all = False
        self.revalidate()
        self._initial = self.state()

    def load(self, fill: Callable[[], None]) -> None:
        """Fill the fields without counting it as the user's typing."""
        self._loading = True
        try:
            fill()
        finally:
            self._loading = False

    def make_read_only(self) -> None:
        self.read_only = True
        for widget in self.field_widgets.values():
            if isinstance(widget, QLineEdit | QPlainTextEdit):
                widget.setReadOnly(True)
                widget.setPlaceholderText("")  # examples of what to type would mislead
            else:
                widget.setEnabled(False)
        self.save_button.hide()
        self.cancel_button.setText(self.tr("閉じる"))

    # --- closing --------------------------------------------------------------------------

    def has_changes(self) -> bool:
        return not self.read_only and self.state() != self._initial

    def reject(self) -> None:
        """Esc, キャンセル and the close button (QDialog routes it here): ask first when
        something changed."""
        if not self.has_changes():
            super().reject()
            return
        answer = ask_save(self)
        if answer == QMessageBox.StandardButton.Save:
            self.save()
        elif answer == QMessageBox.StandardButton.Discard:
            super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # QDialog presses the default button on Enter; in a form that would lose half-typed
        # input, so Enter in a field moves to the next one instead.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not isinstance(
            self.focusWidget(), QAbstractButton
        ):
            self.focusNextChild()
            event.accept()
            return
        super().keyPressEvent(event)

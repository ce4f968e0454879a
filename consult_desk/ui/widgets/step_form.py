"""``CheckedForm``: a small form whose input the service checks while it is typed.

What the step and visit forms share: the errors under each field ("required" waits until the
field was touched or a save was tried; real rule violations show at once), the errors that
belong to no field above or below the fields, the warnings box with its confirmation tick,
and the save: focus the first error, require the tick when there are warnings, keep the input
when the service refuses, and ask before closing with something typed. Subclasses build the
fields and implement ``check`` (read, ask the service, ``_show`` the result) and ``submit``.
"""

from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from consult_desk.domain.errors import Conflict, DomainError, FieldError, ValidationError
from consult_desk.ui.messages import error_text, label_for, text_for
from consult_desk.ui.widgets.inline_fields import (
    PREVIEW_DELAY_MS,
    WARNING_STYLE,
    GuardedDialog,
    error_label,
    set_error,
)


class CheckedForm(GuardedDialog):
    """The skeleton of a form checked by the service as it is typed.

    - ``inputs`` holds the fields by name, ``errors`` the error label under each; the subclass
      lays out ``general_error``, ``warning_label``, ``confirm_check`` and ``buttons``.
    - ``check()`` runs a moment after each edit (``watch_fields`` connects them).
    - ``conflict`` asks the window behind to reload when the record moved meanwhile.
    """

    conflict = Signal()
    # The key ``error_texts`` gives the errors that belong to no field.
    GENERAL_KEY = "step"
    # True: any change of a combo's choice counts as the user's, also one made by the form
    # (a branch list refilled for another bank); False: only a choice the user made.
    COMBO_CHANGE_IS_EDIT = False

    def __init__(self, ok_text: str = "記録する", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inputs: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.warnings: list[FieldError] = []
        self.read_only = False
        self._touched: set[str] = set()
        self._show_all = False
        self._loading = False

        self.general_error = error_label()
        self.warning_label = QLabel()
        self.warning_label.setStyleSheet(WARNING_STYLE)
        self.warning_label.setWordWrap(True)
        self.warning_label.hide()
        self.confirm_check = QCheckBox(self.tr("注意事項を確認したうえで記録します"))
        self.confirm_check.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr(ok_text))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.check)

    # --- for subclasses -------------------------------------------------------------------

    def check(self) -> tuple[Any, dict[str, str], list[FieldError]]:
        """Read the form, ask the service, ``_show`` the result; (value, errors, warnings)."""
        raise NotImplementedError

    def submit(self, value: Any) -> None:
        """Record ``value`` through the service (raises its errors)."""
        raise NotImplementedError

    def fields(self) -> dict[str, QWidget]:
        """Every field by name in the form's order (the first with an error gets the focus)."""
        return self.inputs

    def is_conflict(self, errors: dict[str, str]) -> bool:
        """Whether these errors say the record moved on meanwhile (the window then reloads)."""
        return False

    def general_line(self, name: str, code: str) -> str:
        """An error with no field of its own, as shown above or below the fields."""
        return text_for(code) if name == "step" else f"{label_for(name)}: {text_for(code)}"

    def warning_line(self, warning: FieldError) -> str:
        return f"・{text_for(warning.code)}"

    # --- watching and showing -------------------------------------------------------------

    def watch_fields(self) -> None:
        for name, widget in self.fields().items():
            self._watch(widget, name)

    def _watch(self, widget: QWidget, name: str) -> None:
        def edited(*_: object) -> None:
            if self._loading:
                return
            self._touched.add(name)
            self._changed = True
            self._timer.start()

        if isinstance(widget, QLineEdit):
            widget.textEdited.connect(edited)
            widget.textChanged.connect(lambda *_: self._timer.start())
        elif isinstance(widget, QPlainTextEdit):
            widget.textChanged.connect(edited)
        elif isinstance(widget, QSpinBox):
            widget.valueChanged.connect(edited)
        elif isinstance(widget, QComboBox):
            if self.COMBO_CHANGE_IS_EDIT:
                widget.currentIndexChanged.connect(edited)
            else:
                widget.activated.connect(edited)
                widget.currentIndexChanged.connect(lambda *_: self._timer.start())
        elif isinstance(widget, QCheckBox):
            widget.toggled.connect(edited)

    def _show(self, errors: dict[str, str], warnings: list[FieldError]) -> None:
        general: list[str] = []
        for name, code in errors.items():
            # Until the first attempt, "required" waits for the field to be touched; real
            # rule violations (a date too early, an amount over the limit) show at once.
            shown = self._show_all or name in self._touched or code != "required"
            if name in self.errors:
                set_error(self.errors[name], text_for(code) if shown else "")
            elif shown:
                general.append(self.general_line(name, code))
        for name, label in self.errors.items():
            if name not in errors:
                set_error(label, "")
        set_error(self.general_error, "\n".join(dict.fromkeys(general)))
        lines = [self.warning_line(w) for w in warnings]
        self.warning_label.setText(self.tr("注意:\n") + "\n".join(lines) if lines else "")
        self.warning_label.setVisible(bool(lines))
        self.confirm_check.setVisible(bool(lines) and not self.read_only)

    def error_texts(self) -> dict[str, str]:
        """The errors shown now, by field (for tests and for reading the form)."""
        shown = {name: label.text() for name, label in self.errors.items() if label.text()}
        if self.general_error.text():
            shown[self.GENERAL_KEY] = self.general_error.text()
        return shown

    # --- saving and closing ---------------------------------------------------------------

    def accept(self) -> None:
        if self.read_only:
            return
        self._show_all = True
        value, errors, warnings = self.check()
        if self.is_conflict(errors):
            # The form was opened for what the record allowed: someone moved it meanwhile.
            self.conflict.emit()
            return
        if errors:
            self._focus_error(errors)
            return
        if warnings and not self.confirm_check.isChecked():
            set_error(
                self.general_error,
                self.tr(
                    "注意事項を確認し、「確認したうえで記録します」にチェックを入れてください。"
                ),
            )
            self.confirm_check.setFocus()
            return
        try:
            self.submit(value)
        except ValidationError as error:
            found = {e.field: e.code for e in error.errors}
            if self.is_conflict(found):  # moved since the check above
                self.conflict.emit()
                return
            self._show(found, warnings)
            self._focus_error(found)
            return
        except Conflict:
            self.conflict.emit()
            return
        except DomainError as error:
            set_error(self.general_error, error_text(error))
            return
        self._changed = False
        super().accept()

    def _focus_error(self, errors: dict[str, str]) -> None:
        for name, widget in self.fields().items():
            if name in errors:
                widget.setFocus()
                return

"""Error codes and field names to Japanese text, through Qt's translator."""

from PySide6.QtCore import QCoreApplication

from consult_desk.domain.errors import DomainError, ValidationError
from consult_desk.domain.messages import field_label, message_for


def text_for(code: str) -> str:
    return QCoreApplication.translate("messages", message_for(code))


def label_for(field: str) -> str:
    return QCoreApplication.translate("fields", field_label(field))


def error_text(error: DomainError) -> str:
    """One message for a dialog: each field's problem on its own line."""
    if isinstance(error, ValidationError):
        lines = [f"{label_for(e.field)}: {text_for(e.code)}" for e in error.errors]
        return "\n".join([text_for("validation"), *lines])
    return text_for(error.code)

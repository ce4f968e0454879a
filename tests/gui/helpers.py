"""Helpers that drive widgets the way a user's keyboard and input method do."""

from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QWidget


def commit_text(widget: QWidget, text: str) -> None:
    """Type text the way an input method delivers it; qtbot.keyClicks handles ASCII only."""
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)

"""The read-only "facts" panel of the case windows: captions on the left, selectable
word-wrapped values on the right, filled from (caption, value) rows."""

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from consult_desk.ui.widgets.inline_fields import HINT_STYLE
from consult_desk.ui.widgets.layouts import clear_layout


class FactsPanel(QWidget):
    """A grid of caption / value labels; `set_rows` replaces what is shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)

    def set_rows(self, rows: Sequence[tuple[str, str]]) -> None:
        grid = self.grid
        clear_layout(grid)
        for row, (name, value) in enumerate(rows):
            caption = QLabel(name)
            caption.setStyleSheet(HINT_STYLE)
            text = QLabel(value)
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(caption, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(text, row, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(len(rows), 1)

    def fact(self, caption: str) -> str:
        """The value shown next to a caption, or "" when there is no such row."""
        grid = self.grid
        for row in range(grid.rowCount()):
            left = grid.itemAtPosition(row, 0)
            right = grid.itemAtPosition(row, 1)
            if left and right:
                name, value = left.widget(), right.widget()
                if (
                    isinstance(name, QLabel)
                    and isinstance(value, QLabel)
                    and name.text() == caption
                ):
                    return value.text()
        return ""

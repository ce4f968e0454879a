"""The two date fields of a list's period filter (from 〜 to), made and read alike everywhere.

They take what people type (2026-04-01, 2026/4/1, R8.4.1, 令和8年4月1日, full-width digits:
``domain.fiscal.parse_date``); an empty field leaves that end open.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QLineEdit

from consult_desk.domain.fiscal import parse_date
from consult_desk.ui.messages import text_for


def period_edit(placeholder: str, *, clear_button: bool = False) -> QLineEdit:
    """One end of a period; ``clear_button``: a ✕ that clears it (the page must then reload
    on an emptied field, as the ✕ does not finish an edit)."""
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    edit.setMaximumWidth(130)
    edit.setClearButtonEnabled(clear_button)
    return edit


def read_period(edits: tuple[QLineEdit, QLineEdit]) -> tuple[date | None, date | None, str]:
    """The two ends typed (None when empty or unreadable) and what is wrong with them."""
    found: list[date | None] = []
    error = ""
    for edit in edits:
        text = edit.text().strip()
        try:
            found.append(parse_date(text) if text else None)
        except ValueError:
            found.append(None)  # the typed text stays; the filter ignores it
            error = text_for("date.format")
    return found[0], found[1], error

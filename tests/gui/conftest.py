"""GUI fixtures: the application set up as app.py sets it up (font, translations, style)."""

import pytest

from PySide6.QtWidgets import QApplication

from consult_desk.app import make_application


@pytest.fixture(scope="session")
def qapp() -> QApplication:
    # pytest-qt's qapp fixture, replaced so every GUI test sees the real font and translations.
    return make_application([])

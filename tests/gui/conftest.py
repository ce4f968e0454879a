"""GUI fixtures: the application set up as app.py sets it up (font, translations, style)."""

import pytest

from PySide6.QtWidgets import QApplication

from consult_desk.app import make_application


@pytest.fixture(scope="session")
def qapp() -> QApplication:
    # pytest-qt's qapp fixture, replaced so every GUI test sees the real font and translations.
    return make_application([])


@pytest.fixture(autouse=True)
def _message_boxes_never_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that does not answer a question itself gets 'discard': a modal box in an offscreen
    run would otherwise wait forever (also when teardown closes a form with changes)."""
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(
        QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard)
    )
    for name in ("warning", "information", "critical"):
        monkeypatch.setattr(
            QMessageBox, name, staticmethod(lambda *a, **k: QMessageBox.StandardButton.Ok)
        )

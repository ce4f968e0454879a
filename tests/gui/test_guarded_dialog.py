"""Closing a window over unsaved input asks once, whichever way it is closed."""

import pytest
from pytestqt.qtbot import QtBot

from consult_desk.ui.widgets import inline_fields
from consult_desk.ui.widgets.inline_fields import GuardedDialog


@pytest.mark.parametrize("how", ["close", "reject"])
def test_closing_over_unsaved_input_asks_once(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    asked: list[bool] = []

    def discard_ok(_parent: object) -> bool:
        asked.append(True)
        return True

    monkeypatch.setattr(inline_fields, "discard_ok", discard_ok)
    dialog = GuardedDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog._changed = True
    getattr(dialog, how)()
    assert asked == [True]
    assert not dialog.isVisible()


def test_a_refused_close_keeps_the_window_and_asks_again_next_time(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = [False, True]
    monkeypatch.setattr(inline_fields, "discard_ok", lambda _parent: answers.pop(0))
    dialog = GuardedDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog._changed = True
    dialog.close()
    assert dialog.isVisible()
    dialog.close()
    assert not dialog.isVisible() and answers == []

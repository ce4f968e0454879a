"""The consultant's day in the GUI: log a consultation by keyboard only, find it in the list,
the business record and today's follow-ups, mark it done; drafts survive an accidental close."""

from datetime import timedelta
from pathlib import Path

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox

from consult_desk import app as app_module
from consult_desk.db.engine import Database
from consult_desk.domain.businesses import BusinessInput
from consult_desk.domain.consultations import ConsultationQuery
from consult_desk.domain.fiscal import japan_today
from consult_desk.domain.permissions import Principal
from consult_desk.services.businesses import BusinessService
from consult_desk.services.consultations import ConsultationService
from consult_desk.ui.dialogs.business_record import BusinessRecordDialog
from consult_desk.ui.dialogs.consultation_dialog import ConsultationDialog
from consult_desk.ui.drafts import DraftStore
from consult_desk.ui.main_window import MainWindow
from consult_desk.ui.models.consultation_table import ConsultationTableModel
from tests.gui.helpers import commit_text

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, db: Database, admin: Principal, tmp_path: Path) -> MainWindow:
    BusinessService(db, admin).add(BusinessInput(name="神田青果", name_kana="カンダセイカ"))
    window = app_module.build_window(db, admin, DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window)
    window.show()
    return window


def _dialog(window: MainWindow, **kwargs: object) -> ConsultationDialog:
    s = window._services
    return ConsultationDialog(
        s.consultations,
        s.businesses,
        s.reference,
        s.principal,
        s.drafts,
        **kwargs,  # type: ignore[arg-type]
    )


def _type(qtbot, widget, text: str) -> None:
    """ASCII through key events, Japanese as an input method commits it."""
    if text.isascii():
        qtbot.keyClicks(widget, text)
    else:
        commit_text(widget, text)


def test_log_a_consultation_by_keyboard_only(
    qtbot, window: MainWindow, db: Database, admin: Principal
) -> None:
    dialog = _dialog(window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()  # shortcuts such as Ctrl+S act in the active window
    qtbot.waitActive(dialog)
    today = japan_today()

    # 相談日: today is already there; Tab through time, minutes, channel, staff to the business.
    assert dialog.focusWidget() is dialog.date_edit
    for _ in range(5):
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.business_edit
    _type(qtbot, dialog.business_edit, "かんだ")
    qtbot.waitUntil(lambda: dialog.business_edit.completer().popup().isVisible())
    popup = dialog.business_edit.completer().popup()
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert "神田青果" in dialog.business_label.text()

    # 相談分野: move to the list and tick 資金繰り (the first topic) with the space bar.
    dialog.topic_list.setFocus()
    qtbot.keyClick(dialog.topic_list, Qt.Key.Key_Home)
    qtbot.keyClick(dialog.topic_list, Qt.Key.Key_Space)
    assert dialog.primary_combo.currentText() == "資金繰り・融資"
    checked = [
        dialog.initiative_list.item(r).text()
        for r in range(dialog.initiative_list.count())
        if dialog.initiative_list.item(r).checkState() == Qt.CheckState.Checked
    ]
    assert checked == ["1-2-1 資金繰りの支援"]  # defaulted from the topic

    _type(qtbot, dialog.summary_edit, "仕入価格の上昇で運転資金が不足")
    _type(qtbot, dialog.next_action_edit, "見積書を確認")
    _type(qtbot, dialog.due_edit, today.isoformat())
    with qtbot.waitSignal(dialog.saved, timeout=2000, raising=False) as saved:
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert saved.signal_triggered, dialog.error_label.text()

    consultation_id = saved.args[0]
    service = ConsultationService(db, admin)
    record = service.get(consultation_id)
    assert record.business_name == "神田青果"
    assert record.initiative_codes == ("1-2-1",)
    assert record.input.due_on == today

    # It shows in the consultation list ...
    window.consultation_list.refresh()
    window.consultation_list.model.fetch_all()
    assert window.consultation_list.model.row_at(0).id == consultation_id
    # ... in the business record's timeline ...
    record_window = BusinessRecordDialog(
        window._services.businesses,
        window._services.timeline,
        admin,
        record.input.business_id or 0,
    )
    qtbot.addWidget(record_window)
    assert record_window.timeline_table.rowCount() == 1
    assert "運転資金" in record_window.timeline_table.item(0, 2).text()
    # ... and among today's follow-ups, where it can be marked done with a note.
    today_page = window.today_page
    today_page.refresh()
    today_page.model.fetch_all()
    assert [today_page.model.row_at(r).id for r in range(today_page.model.rowCount())] == [
        consultation_id
    ]
    today_page.table.selectRow(0)
    QInputDialog.getMultiLineText = staticmethod(lambda *a, **k: ("見積書を受領", True))  # type: ignore[method-assign]
    today_page.mark_done()
    assert service.get(consultation_id).done_note == "見積書を受領"
    assert today_page.model.rowCount() == 0


def test_a_prospective_founder_without_a_business(
    qtbot, window: MainWindow, db: Database, admin: Principal
) -> None:
    dialog = _dialog(window)
    qtbot.addWidget(dialog)
    dialog.prospect_check.setChecked(True)
    _type(qtbot, dialog.prospect_name_edit, "山田 太郎")
    _type(qtbot, dialog.prospect_contact_edit, "090-1234-5678")

    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save()

    got = ConsultationService(db, admin).get(saved.args[0])
    assert got.input.business_id is None and got.input.prospect_name == "山田 太郎"
    assert got.initiative_codes == ("1-2-2",)  # no topic: 経営相談


def test_bad_input_is_explained_and_nothing_is_saved(
    qtbot, window: MainWindow, db: Database, admin: Principal
) -> None:
    dialog = _dialog(window)
    qtbot.addWidget(dialog)
    dialog.date_edit.setText("2026-02-31")
    _type(qtbot, dialog.business_edit, "存在しない会社")

    dialog.save()

    assert "日付" in dialog.error_label.text()
    assert "候補の一覧から" in dialog.error_label.text()
    assert ConsultationService(db, admin).count(ConsultationQuery(archived=None)) == 0


def test_an_accidental_close_keeps_a_draft_that_can_be_restored(
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _dialog(window)
    qtbot.addWidget(first)
    _type(qtbot, first.summary_edit, "途中まで書いた相談内容")
    answers = iter([QMessageBox.StandardButton.Cancel])
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: next(answers))
    first.reject()  # Esc: the guard asks; Cancel keeps the dialog open
    assert first.has_changes()
    first.deleteLater()  # the window is gone (a crash, a forced close) …

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    second = _dialog(window)  # … and the next new consultation offers the draft
    qtbot.addWidget(second)

    assert second.summary_edit.toPlainText() == "途中まで書いた相談内容"


def test_discarding_forgets_the_draft(
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = _dialog(window)
    qtbot.addWidget(dialog)
    _type(qtbot, dialog.summary_edit, "捨てる入力")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    dialog.reject()
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda *a, **k: asked.append("asked") or QMessageBox.StandardButton.Yes,
    )

    again = _dialog(window)
    qtbot.addWidget(again)

    assert asked == []
    assert again.summary_edit.toPlainText() == ""


def test_consultation_model_passes_the_model_tester(
    window: MainWindow,
    db: Database,
    admin: Principal,
    qtmodeltester,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from consult_desk.domain.consultations import ConsultationInput
    from consult_desk.services.reference import ReferenceService
    from consult_desk.ui.models import paged_table

    channel = int(ReferenceService(db).channels()[0].id)
    service = ConsultationService(db, admin)
    for day in range(1, 8):
        service.add(
            ConsultationInput(
                consulted_on=japan_today() - timedelta(days=day),
                channel_id=channel,
                staff_id=admin.staff_id or 0,
                prospect_name=f"相談者{day}",
            )
        )
    monkeypatch.setattr(paged_table.PagedTableModel, "page_size", 3)
    model = ConsultationTableModel(service)
    model.reload(ConsultationQuery(text="相談"))

    qtmodeltester.check(model)

    model.fetch_all()
    assert model.rowCount() == 0  # "相談" is in no summary: the names are not searched
    # One model per scenario: a reset under an attached tester reports false failures.
    everything = ConsultationTableModel(service, ConsultationQuery())
    qtmodeltester.check(everything)
    everything.fetch_all()
    assert everything.rowCount() == 7

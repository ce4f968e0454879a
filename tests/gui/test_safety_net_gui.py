"""セーフティネット認定 driven like the loan desk uses it: an application typed in full-width
figures with the decline shown live, 認定 with a number and its 30-day validity in the list,
19.99 % refused, unreadable and negative figures kept with their errors, and a consultant who
may only read."""

from datetime import timedelta
from pathlib import Path

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox, QWidget

from consult_desk import app as app_module
from consult_desk.db.engine import Database
from consult_desk.db.models import Business, Staff, StaffRole
from consult_desk.domain.fiscal import format_date, japan_today
from consult_desk.domain.permissions import MASK, Principal, Role
from consult_desk.domain.safety_net import (
    SafetyNetDecision,
    SafetyNetInput,
    SafetyNetKind,
    SafetyNetQuery,
    valid_until,
)
from consult_desk.services.safety_net import SafetyNetService
from consult_desk.ui.dialogs.business_record import BusinessRecordDialog
from consult_desk.ui.dialogs.safety_net_dialog import SafetyNetDialog
from consult_desk.ui.drafts import DraftStore
from consult_desk.ui.main_window import MainWindow
from consult_desk.ui.models.safety_net_table import TITLES
from consult_desk.ui.pages.loan_pipeline import LoanPipelinePage
from consult_desk.ui.pages.safety_net import SafetyNetPanel
from tests.gui.helpers import commit_text

pytestmark = pytest.mark.gui


@pytest.fixture
def business_id(db: Database) -> int:
    with db.write() as session:
        business = Business(
            kind="corporation",
            name="神田青果株式会社",
            sort_key="かんだせいか",
            sme_status="小規模企業者",
        )
        session.add(business)
        session.flush()
        return business.id


@pytest.fixture
def window(qtbot, db: Database, admin: Principal, business_id: int, tmp_path: Path) -> MainWindow:
    window = app_module.build_window(db, admin, DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window)
    return window


@pytest.fixture
def consultant(db: Database) -> Principal:
    with db.write() as session:
        staff = Staff(login="kato", name="加藤 一", name_kana="カトウ ハジメ")
        staff.roles.append(StaffRole(role="consultant"))
        session.add(staff)
        session.flush()
        return Principal(staff.id, "kato", "加藤 一", frozenset({Role.CONSULTANT}))


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every question is answered 「はい」; the questions asked are kept."""
    asked: list[str] = []

    def question(_parent: QWidget, _title: str, text: str, *_a: object) -> object:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def _dialog(qtbot, window: MainWindow, **kwargs: object) -> SafetyNetDialog:
    s = window._services
    assert s.safety_net is not None
    dialog = SafetyNetDialog(s.safety_net, s.businesses, s.principal, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _type(qtbot, edit: QLineEdit, text: str) -> None:
    """Replace a field's text: ASCII by key presses, full-width as an input method commits."""
    edit.clear()
    if text.isascii():
        qtbot.keyClicks(edit, text)
    else:
        commit_text(edit, text)


def _apply(service: SafetyNetService, business_id: int, current: int, previous: int) -> int:
    return service.add(
        SafetyNetInput(business_id, SafetyNetKind.NO4, japan_today(), current, previous)
    )


def _panel(window: MainWindow) -> SafetyNetPanel:
    window.show_page(window.page_names.index("融資あっせん"))
    page = window.page_named("融資あっせん")
    assert isinstance(page, LoanPipelinePage) and page.safety_net_panel is not None
    page.tabs.setCurrentWidget(page.safety_net_panel)
    return page.safety_net_panel


def _cells(panel: SafetyNetPanel, row: int = 0) -> dict[str, str]:
    return {title: panel.model.index(row, c).data() for c, title in enumerate(TITLES)}


def test_a_4go_application_is_typed_certified_and_listed_as_valid(
    qtbot, window: MainWindow, business_id: int, answers: list[str]
) -> None:
    dialog = _dialog(qtbot, window, business_id=business_id)
    with qtbot.waitActive(dialog):
        dialog.activateWindow()  # shortcuts act in the active window only
    assert dialog.business_picker.business_id == business_id
    assert dialog.kind() == SafetyNetKind.NO4
    assert "前年同月" in dialog.kind_hint.text()

    _type(qtbot, dialog.current_edit, "７６５万")  # full-width, with 万
    assert "売上高を入力すると" in dialog.result_label.text()  # one figure is not enough
    _type(qtbot, dialog.previous_edit, "１，０００万")
    assert dialog.result_label.text() == "減少率 23.5%（基準 20% 以上） → 認定できます"
    assert dialog.current_hint.text() == "= 7,650,000円"
    # 5号 looks at 3 months and needs only 5 %: the labels and the verdict follow the kind.
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(SafetyNetKind.NO5))
    assert "基準 5% 以上" in dialog.result_label.text()
    label = dialog.application_form.labelForField(dialog.boxes["sales_current"])
    assert label is not None and "最近3か月" in label.text()  # type: ignore[attr-defined]
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(SafetyNetKind.NO4))

    with qtbot.waitSignal(dialog.changed, timeout=3000) as saved:
        qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    cert_id = saved.args[0]
    assert dialog.row is not None and dialog.row.id == cert_id
    assert dialog.state_label.text() == "審査中" and not dialog.save_button.isVisible()
    assert not dialog.current_edit.isEnabled()  # the application itself is fixed now
    assert dialog.certify_button.isEnabled() and dialog.below_label.isHidden()

    today = japan_today()
    assert dialog.issued_edit.text() == today.isoformat()
    assert format_date(valid_until(today)) in dialog.issued_hint.text()
    commit_text(dialog.number_edit, "千代田区産SN第２０２６－００８号")
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(dialog.certify_button, Qt.MouseButton.LeftButton)
    assert "取り消せません" in answers[-1]
    assert dialog.state_label.text() == "認定"
    assert dialog.fact("認定番号") == "千代田区産SN第2026-008号"  # normalised by the service
    assert dialog.fact("有効期限") == f"{format_date(valid_until(today))}（有効）"
    assert not dialog.has_changes()

    panel = _panel(window)  # main window refreshes the list after a change; read it now
    panel.refresh()
    panel.model.fetch_all()
    assert panel.count_label.text() == "1 件"
    assert _cells(panel) == {
        "申請日": format_date(today),
        "事業者": "神田青果株式会社",
        "区分": "4号",
        "減少率": "23.5%",
        "判定": "認定",
        "認定番号": "千代田区産SN第2026-008号",
        "交付日": format_date(today),
        "有効期限": f"{format_date(valid_until(today))}（有効）",
    }


def test_19_99_percent_cannot_be_certified_and_is_refused(
    qtbot, window: MainWindow, business_id: int, answers: list[str]
) -> None:
    service = window._services.safety_net
    assert service is not None
    cert_id = _apply(service, business_id, 800_100, 1_000_000)
    dialog = _dialog(qtbot, window, cert_id=cert_id)

    assert dialog.result_label.text().startswith("減少率 19.99%（基準 20% 以上） → 基準に達して")
    assert not dialog.certify_button.isEnabled() and not dialog.number_edit.isEnabled()
    assert "19.99%" in dialog.below_label.text() and dialog.below_label.isVisible()
    # Should the button ever be pressed (a threshold changed meanwhile), the service's refusal
    # is shown where the decision is taken.
    dialog.number_edit.setText("SN-1")
    dialog.certify()
    assert dialog.error_texts()["decision"] == (
        "売上高の減少率が認定基準に達していないため認定できません。不認定として記録してください。"
    )
    assert service.get(cert_id).decision == SafetyNetDecision.PENDING

    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(dialog.refuse_button, Qt.MouseButton.LeftButton)
    assert "不認定" in answers[-1]
    assert dialog.fact("判定") == "不認定"
    assert dialog.fact("決定日") == format_date(japan_today())
    assert dialog.decision_form_box.isHidden()

    panel = _panel(window)
    panel.refresh()
    panel.model.fetch_all()
    assert [_cells(panel)[t] for t in ("減少率", "判定", "有効期限")] == ["19.99%", "不認定", ""]


def test_unreadable_and_negative_figures_show_inline_and_are_kept(
    qtbot, window: MainWindow, business_id: int
) -> None:
    dialog = _dialog(qtbot, window, business_id=business_id)
    with qtbot.waitActive(dialog):
        dialog.activateWindow()
    _type(qtbot, dialog.current_edit, "-300000")
    _type(qtbot, dialog.previous_edit, "百万")
    assert dialog.error_texts() == {
        "sales_current": "0以上の数を入力してください。",
        "sales_previous": "数字で入力してください（例: 1,000,000 / 500万）。",
    }
    assert "売上高を入力すると" in dialog.result_label.text()
    _type(qtbot, dialog.previous_edit, "0")
    assert "0円のため" in dialog.error_texts()["sales_previous"]

    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.row is None and dialog.isVisible()
    assert dialog.current_edit.text() == "-300000" and dialog.previous_edit.text() == "0"
    assert dialog.focusWidget() is dialog.current_edit  # the first field to correct
    service = window._services.safety_net
    assert service is not None and service.count(SafetyNetQuery()) == 0

    # A name typed but no suggestion chosen, and a date in the future, are told as well.
    dialog.business_picker.edit.clear()
    commit_text(dialog.business_picker.edit, "神田")
    _type(qtbot, dialog.applied_edit, "2999-01-01")
    _type(qtbot, dialog.current_edit, "700000")
    _type(qtbot, dialog.previous_edit, "1000000")
    dialog.save()
    assert dialog.error_texts() == {
        "business_id": "事業者は候補の一覧から選んでください。",
        "applied_on": "未来の日付は入力できません。",
    }


def test_closing_with_typed_figures_asks_first(
    qtbot, window: MainWindow, business_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def cancel(_parent: QWidget, _title: str, text: str, *_a: object) -> object:
        asked.append(text)
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", staticmethod(cancel))
    dialog = _dialog(qtbot, window, business_id=business_id)
    assert not dialog.has_changes()
    _type(qtbot, dialog.current_edit, "500万")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert asked and "破棄" in asked[0]
    assert dialog.isVisible() and dialog.current_edit.text() == "500万"


def test_the_list_filters_and_opens_from_the_main_window(
    qtbot, window: MainWindow, business_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = window._services.safety_net
    assert service is not None
    refused = _apply(service, business_id, 900_000, 1_000_000)  # 10 %
    service.decide(refused, 1, False, japan_today())
    pending = _apply(service, business_id, 600_000, 1_000_000)
    opened: list[SafetyNetDialog] = []

    def exec_(dialog: SafetyNetDialog) -> int:
        opened.append(dialog)  # instead of a modal loop
        return 0

    monkeypatch.setattr(SafetyNetDialog, "exec", exec_)
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    panel = _panel(window)
    panel.refresh()
    panel.model.fetch_all()
    assert panel.count_label.text() == "2 件"
    assert panel.model.index(1, 3).data(Qt.ItemDataRole.ToolTipRole) == (
        "最近 900,000円 ／ 前年同期 1,000,000円（4号の基準 20% 以上）"
    )

    panel.decision_combo.setCurrentIndex(panel.decision_combo.findText("審査中"))
    panel.model.fetch_all()
    assert [panel.model.row_at(r).id for r in range(panel.model.rowCount())] == [pending]
    panel.decision_combo.setCurrentIndex(0)
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findText("5号"))
    panel.model.fetch_all()
    assert panel.model.rowCount() == 0 and panel.count_label.text() == "0 件"
    panel.kind_combo.setCurrentIndex(0)
    _type(qtbot, panel.from_edit, "きのう")
    panel.apply_filters()
    assert panel.period_error.isVisible() and panel.from_edit.text() == "きのう"
    _type(qtbot, panel.from_edit, "2000-01-01")
    panel.apply_filters()
    panel.model.fetch_all()
    assert panel.period_error.isHidden() and panel.model.rowCount() == 2

    # Ctrl+N on this tab starts an application; Enter opens the selected one.
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert opened[-1].row is None and opened[-1].windowTitle().endswith("新しい申請")
    panel.table.selectRow(1)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert opened[-1].cert_id == refused
    panel.table.doubleClicked.emit(panel.model.index(0, 1))
    assert opened[-1].cert_id == pending


def test_a_consultant_reads_the_list_and_applications_without_buttons(
    qtbot, db: Database, window: MainWindow, business_id: int, consultant: Principal
) -> None:
    service = window._services.safety_net
    assert service is not None
    cert_id = _apply(service, business_id, 700_000, 1_000_000)
    own = SafetyNetService(db, consultant)
    s = window._services

    page = LoanPipelinePage(
        s.loans, s.settings.loan_master, s.settings.settings, s.reference, consultant, own
    )
    qtbot.addWidget(page)
    panel = page.safety_net_panel
    assert panel is not None and panel.new_button.isHidden()
    panel.model.fetch_all()
    assert _cells(panel)["減少率"] == "30%"
    assert "円" not in panel.model.index(0, 3).data(Qt.ItemDataRole.ToolTipRole)

    dialog = SafetyNetDialog(own, s.businesses, consultant, cert_id=cert_id)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.save_button.isHidden() and dialog.decision_form_box.isHidden()
    assert dialog.readonly_note.isVisible() and dialog.state_label.text() == "審査中"
    assert dialog.current_edit.text() == MASK and not dialog.current_edit.isEnabled()
    assert dialog.result_label.text().endswith("30%（基準 20% 以上） → 基準を満たしています")

    consultant_window = app_module.build_window(db, consultant)
    qtbot.addWidget(consultant_window)
    assert consultant_window.loan_page.safety_net_panel is not None


def test_the_business_record_lists_the_certification_and_opens_it(
    qtbot, window: MainWindow, business_id: int
) -> None:
    s = window._services
    assert s.safety_net is not None
    cert_id = _apply(s.safety_net, business_id, 765_000, 1_000_000)
    s.safety_net.decide(cert_id, 1, True, japan_today(), "SN-12")
    record = BusinessRecordDialog(s.businesses, s.timeline, s.principal, business_id)
    qtbot.addWidget(record)
    record.show()

    assert record.timeline_table.item(0, 1).text() == "セーフティネット認定 4号（認定）"
    assert record.timeline_table.item(0, 2).text() == (
        f"減少率 23.5%・SN-12・有効期限 {format_date(valid_until(japan_today()))}"
    )
    with qtbot.waitSignal(record.open_safety_net) as opened:
        record.timeline_table.cellDoubleClicked.emit(0, 1)
    assert opened.args == [cert_id]


def test_the_decision_is_checked_before_it_is_confirmed(
    qtbot, window: MainWindow, business_id: int, answers: list[str]
) -> None:
    service = window._services.safety_net
    assert service is not None
    applied_on = japan_today() - timedelta(days=5)
    cert_id = service.add(
        SafetyNetInput(business_id, SafetyNetKind.NO4, applied_on, 700_000, 1_000_000)
    )
    dialog = _dialog(qtbot, window, cert_id=cert_id)
    with qtbot.waitActive(dialog):
        dialog.activateWindow()
    commit_text(dialog.number_edit, "千代田区産SN第2026-011号")

    # A 交付日 before the application is told as it is typed, and no question is asked.
    _type(qtbot, dialog.issued_edit, (applied_on - timedelta(days=1)).isoformat())
    assert dialog.error_texts() == {"issued_on": "認定日（決定日）が申請日より前です。"}
    qtbot.mouseClick(dialog.certify_button, Qt.MouseButton.LeftButton)
    assert answers == []
    assert dialog.error_texts() == {"issued_on": "認定日（決定日）が申請日より前です。"}
    assert dialog.focusWidget() is dialog.issued_edit
    # A day in the future, or one that cannot be read, neither.
    _type(qtbot, dialog.issued_edit, (japan_today() + timedelta(days=1)).isoformat())
    qtbot.mouseClick(dialog.certify_button, Qt.MouseButton.LeftButton)
    assert dialog.error_texts() == {"issued_on": "未来の日付は入力できません。"}
    _type(qtbot, dialog.issued_edit, "2026-13-45")
    qtbot.mouseClick(dialog.refuse_button, Qt.MouseButton.LeftButton)
    assert dialog.error_texts()["issued_on"].startswith("日付として読み取れません")
    assert answers == []
    # Nor a 認定 without its number, or with one longer than the column holds.
    _type(qtbot, dialog.issued_edit, applied_on.isoformat())
    assert dialog.error_texts() == {}
    dialog.number_edit.clear()
    qtbot.mouseClick(dialog.certify_button, Qt.MouseButton.LeftButton)
    assert dialog.error_texts() == {"certificate_number": "入力してください。"}
    assert dialog.focusWidget() is dialog.number_edit
    dialog.number_edit.setText("SN" * 16)
    qtbot.mouseClick(dialog.certify_button, Qt.MouseButton.LeftButton)
    assert dialog.error_texts() == {"certificate_number": "長すぎます。"}
    assert answers == [] and service.get(cert_id).decision == SafetyNetDecision.PENDING

    # Valid: only now is the (final) decision confirmed, and recorded.
    dialog.number_edit.setText("千代田区産SN第2026-011号")
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(dialog.certify_button, Qt.MouseButton.LeftButton)
    assert len(answers) == 1 and "取り消せません" in answers[0]
    assert service.get(cert_id).issued_on == applied_on


def test_a_rise_in_sales_is_said_as_a_rise_not_a_negative_decline(
    qtbot, window: MainWindow, business_id: int
) -> None:
    dialog = _dialog(qtbot, window, business_id=business_id)
    _type(qtbot, dialog.current_edit, "1200000")
    _type(qtbot, dialog.previous_edit, "1000000")
    text = dialog.result_label.text()
    assert text.startswith("売上は 20% 増加（減少していません）") and "−" not in text
    assert text.endswith("→ 基準に達していません（不認定）")

    service = window._services.safety_net
    assert service is not None
    cert_id = _apply(service, business_id, 1_200_000, 1_000_000)
    saved = _dialog(qtbot, window, cert_id=cert_id)
    assert "売上は 20% 増加" in saved.below_label.text() and "−" not in saved.below_label.text()
    assert "見込みを含む3か月は申請書で確認" in saved.kind_hint.text()  # no field promised

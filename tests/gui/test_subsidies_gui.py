"""補助金 driven like the desk uses it: a street registers an event and applies for its subsidy,
which is walked to payment with the step buttons; bad amounts are refused next to the field and
nothing typed is lost; warnings need a tick; the follow-up panel lists overdue reports; a
business record opens its applications; a read-only role sees no buttons."""

from datetime import date
from pathlib import Path

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox, QPlainTextEdit, QWidget

from consult_desk import app as app_module
from consult_desk.db.engine import Database
from consult_desk.db.models import Staff, StaffRole
from consult_desk.domain.permissions import Principal, Role
from consult_desk.domain.subsidies import (
    ApplicationInput,
    ApplicationQuery,
    StepInput,
    StepName,
    SubsidyState,
)
from consult_desk.services.businesses import BusinessService
from consult_desk.services.subsidies import SubsidyService
from consult_desk.services.timeline import TimelineService
from consult_desk.ui.dialogs.business_record import BusinessRecordDialog
from consult_desk.ui.dialogs.street_event_dialog import EventDialog
from consult_desk.ui.dialogs.subsidy_dialog import SubsidyDialog, SubsidyStepForm
from consult_desk.ui.drafts import DraftStore
from consult_desk.ui.main_window import MainWindow
from tests.gui.helpers import commit_text
from tests.subsidy_setup import SubsidyWorld, make_subsidy_world

pytestmark = pytest.mark.gui


def _staff(db: Database, login: str, name: str, role: Role) -> Principal:
    with db.write() as session:
        staff = Staff(login=login, name=name, name_kana="テスト")
        staff.roles.append(StaffRole(role=role.value))
        session.add(staff)
        session.flush()
        return Principal(staff.id, login, name, frozenset({role}))


@pytest.fixture
def consultant(db: Database) -> Principal:
    return _staff(db, "kato", "加藤 一", Role.CONSULTANT)


@pytest.fixture
def world(db: Database) -> SubsidyWorld:
    return make_subsidy_world(db)


@pytest.fixture
def window(qtbot, db: Database, consultant: Principal, world: SubsidyWorld, tmp_path: Path):
    window = app_module.build_window(db, consultant, DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _type(qtbot, widget: QWidget, text: str) -> None:
    """Replace what a field holds: ASCII by key presses, Japanese as an input method commits."""
    if isinstance(widget, QLineEdit | QPlainTextEdit):
        widget.clear()
    if text.isascii():
        qtbot.keyClicks(widget, text)
    else:
        commit_text(widget, text)


def _open_step(qtbot, dialog: SubsidyDialog, name: StepName) -> SubsidyStepForm:
    if name in dialog.step_buttons:
        qtbot.mouseClick(dialog.step_buttons[name], Qt.MouseButton.LeftButton)
    else:
        dialog.exit_actions[name].trigger()  # the 「終了…」 menu
    form = dialog.step_form
    assert form is not None and form.isVisible()
    return form


def _step(qtbot, dialog: SubsidyDialog, name: StepName, on: str, **values: str) -> SubsidyStepForm:
    """Click the step's button, type into its form, record it; fail with the form's errors."""
    form = _open_step(qtbot, dialog, name)
    _type(qtbot, form.date_edit, on)
    for field, value in values.items():
        _type(qtbot, form.inputs[field], value)
    with qtbot.waitSignal(dialog.changed, timeout=3000, raising=False) as recorded:
        qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    assert recorded.signal_triggered, form.error_texts()
    assert not form.isVisible()
    return form


def _dialog(qtbot, window: MainWindow, **kwargs: object) -> SubsidyDialog:
    s = window._services
    assert s.subsidies is not None and s.streets is not None
    dialog = SubsidyDialog(
        s.subsidies,
        s.streets,
        s.businesses,
        s.reference,
        s.principal,
        **kwargs,  # type: ignore[arg-type]
    )
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_a_street_event_and_its_subsidy_are_walked_to_payment(
    qtbot, window: MainWindow, world: SubsidyWorld
) -> None:
    desk = window.street_desk
    assert desk is not None
    subsidies = window._services.subsidies
    assert subsidies is not None
    desk.open_association(world.association_id)
    record = desk.records[world.association_id]

    # The event, from the street's record.
    qtbot.mouseClick(record.event_button, Qt.MouseButton.LeftButton)
    event_form = desk.last_dialog
    assert isinstance(event_form, EventDialog) and event_form.isVisible()
    _type(qtbot, event_form.name_edit, "神田古本まつり前夜祭")
    _type(qtbot, event_form.starts_edit, "2026-06-20")
    _type(qtbot, event_form.ends_edit, "2026-06-21")
    _type(qtbot, event_form.budget_edit, "１２０万")
    with qtbot.waitSignal(event_form.saved):
        qtbot.mouseClick(event_form.save_button, Qt.MouseButton.LeftButton)
    assert ["イベント", "神田古本まつり前夜祭"] in [r[1:3] for r in record.timeline_rows()]

    # Its subsidy, from the same record: the street is given, the program the street's one.
    qtbot.mouseClick(record.subsidy_button, Qt.MouseButton.LeftButton)
    dialog = desk.last_dialog
    assert isinstance(dialog, SubsidyDialog) and dialog.isVisible()
    assert not dialog.association_combo.isEnabled()
    assert dialog.program_combo.currentText() == "商店街イベント事業補助"
    assert "経費 1,000,000円以下は 5/6" in dialog.program_hint.text()
    dialog.event_combo.setCurrentIndex(
        dialog.event_combo.findText("神田古本まつり前夜祭", Qt.MatchFlag.MatchStartsWith)
    )
    assert dialog.title_edit.text() == "神田古本まつり前夜祭"  # named after the event
    assert "令和8年6月21日" in dialog.ends_edit.hint.text()  # an empty end: the event's
    _type(qtbot, dialog.applied_edit, "2026-06-15")  # before the event: no warning
    _type(qtbot, dialog.cost_edit, "1,200,000")
    qtbot.waitUntil(
        lambda: (
            dialog.computed_label.text() == "計算した補助額: 対象経費 1,200,000円 × 2/3 = 800,000円"
            "（1,000円未満切捨て・上限 3,000,000円）"
        )
    )
    _type(qtbot, dialog.cost_edit, "90万")  # the band: ⅚ up to 1,000,000
    qtbot.waitUntil(
        lambda: "× 5/6（1,000,000円以下の率） = 750,000円" in dialog.computed_label.text()
    )
    _type(qtbot, dialog.cost_edit, "1,200,000")
    with qtbot.waitSignal(dialog.changed, timeout=3000) as created:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    application_id = created.args[0]
    view = subsidies.get(application_id)
    assert (view.state, view.computed_amount, view.activity_ends_on) == (
        SubsidyState.APPLIED,
        800_000,
        date(2026, 6, 21),
    )
    assert dialog.state_label.text() == "申請"
    assert list(dialog.step_buttons) == [StepName.RETURN, StepName.GRANT]
    assert list(dialog.exit_actions) == [StepName.WITHDRAW, StepName.REJECT]

    # 交付決定: the amount defaults to what the rule gives; a yen more is refused while typing.
    form = _open_step(qtbot, dialog, StepName.GRANT)
    assert form.inputs["granted_amount"].text() == "800,000"
    _type(qtbot, form.date_edit, "2026-07-01")
    _type(qtbot, form.inputs["granted_amount"], "800001")
    qtbot.waitUntil(
        lambda: "計算した補助額を超えて" in form.error_texts().get("granted_amount", "")
    )
    qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    assert subsidies.get(application_id).state == SubsidyState.APPLIED
    _type(qtbot, form.inputs["granted_amount"], "80万")
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.fact("実績報告の期限") == "令和8年7月21日"  # 30 days after the event

    # 実績報告 with a lower actual cost: the confirmed amount will drop, which needs a tick.
    form = _open_step(qtbot, dialog, StepName.REPORT)
    assert form.inputs["actual_cost"].text() == "1,200,000"
    _type(qtbot, form.date_edit, "2026-07-10")
    _type(qtbot, form.inputs["actual_cost"], "1,150,000")
    qtbot.waitUntil(lambda: "交付決定額を下回ります" in form.warning_label.text())
    assert form.ceiling_hints["actual_cost"].text() == "実績の経費で計算した補助額 766,000円"
    qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    assert "チェックを入れてください" in form.error_texts()["step"]
    form.confirm_check.click()
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.fact("計算した補助額") == "766,000円"  # recomputed on the actual cost
    form = _open_step(qtbot, dialog, StepName.CONFIRM)
    assert form.inputs["confirmed_amount"].text() == "766,000"  # the lower of grant and actual
    form.reject()
    _step(qtbot, dialog, StepName.CONFIRM, "2026-07-20")
    form = _open_step(qtbot, dialog, StepName.PAY)
    assert form.inputs["paid_amount"].text() == "766,000"
    _type(qtbot, form.date_edit, "2026-07-31")
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)

    view = subsidies.get(application_id)
    assert (view.state, view.paid_amount, view.paid_on) == (
        SubsidyState.PAID,
        766_000,
        date(2026, 7, 31),
    )
    assert dialog.state_label.text() == "支払済"
    assert dialog.step_buttons == {} and dialog.exit_button.isHidden()
    assert [row[1] for row in dialog.history_rows()] == [
        "支払",
        "額の確定",
        "実績報告",
        "交付決定",
        "申請",
    ]
    assert dialog.history_rows()[3][2] == "申請 → 交付決定"
    # The street's record shows the application with its latest amount.
    assert ["補助金", "商店街イベント事業補助（支払済）"] in [
        r[1:3] for r in record.timeline_rows()
    ]
    page = window.streets_page
    page.year_combo.setCurrentIndex(page.year_combo.findData(2026))
    page.refresh_spending()
    assert page.spending_total.text() == "支払済 766,000円／交付決定 800,000円"


def test_bad_amounts_are_refused_next_to_the_field_and_nothing_typed_is_lost(
    qtbot, window: MainWindow, world: SubsidyWorld
) -> None:
    subsidies = window._services.subsidies
    assert subsidies is not None
    dialog = _dialog(qtbot, window, business_id=world.business_id)
    assert dialog.business_picker.business_id == world.business_id
    dialog.program_combo.setCurrentIndex(
        dialog.program_combo.findText("中小企業販路拡大事業支援補助")
    )
    _type(qtbot, dialog.title_edit, "ギフトショー出展")
    _type(qtbot, dialog.applied_edit, "2026-07-01")
    _type(qtbot, dialog.ends_edit, "2026-09-05")  # the show's last day: the report is due after
    _type(qtbot, dialog.cost_edit, "-150000")
    qtbot.waitUntil(
        lambda: dialog.error_texts().get("eligible_cost") == "0以上の数を入力してください。"
    )
    assert dialog.computed_label.isHidden()
    _type(qtbot, dialog.requested_edit, "十万円くらい")
    qtbot.waitUntil(
        lambda: "数字で入力してください" in dialog.error_texts().get("requested_amount", "")
    )
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert dialog.view is None and subsidies.count(ApplicationQuery()) == 0  # nothing saved
    assert (dialog.cost_edit.text(), dialog.requested_edit.text()) == ("-150000", "十万円くらい")

    _type(qtbot, dialog.cost_edit, "１５万")  # full-width, with 万
    _type(qtbot, dialog.requested_edit, "")
    qtbot.waitUntil(
        lambda: (
            dialog.computed_label.text() == "計算した補助額: 対象経費 150,000円 × 2/3 = 100,000円"
            "（1,000円未満切捨て・上限 100,000円）"
        )
    )
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert subsidies.get(dialog.application_id).eligible_cost == 150_000


def test_warnings_are_shown_and_need_a_tick(qtbot, window: MainWindow, world: SubsidyWorld) -> None:
    subsidies = window._services.subsidies
    assert subsidies is not None
    for event_id in world.event_ids[:2]:  # two applications already: the yearly limit
        subsidies.add(
            ApplicationInput(
                world.street_events_id,
                date(2026, 5, 1),
                association_id=world.association_id,
                event_id=event_id,
                eligible_cost=500_000,
            )
        )
    dialog = _dialog(qtbot, window, association_id=world.association_id)
    dialog.event_combo.setCurrentIndex(3)
    _type(qtbot, dialog.applied_edit, "2026-09-01")
    _type(qtbot, dialog.cost_edit, "600000")
    _type(qtbot, dialog.requested_edit, "600000")  # more than ⅚ of the cost
    qtbot.waitUntil(lambda: "計算した補助額を超えています" in dialog.warning_label.text())
    assert "申請回数の上限" in dialog.warning_label.text()
    assert "未入力" not in dialog.warning_label.text()  # the event's last day is used
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "チェックを入れてください" in dialog.error_texts()["form"]
    assert subsidies.count(ApplicationQuery()) == 2

    dialog.confirm_check.click()
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert subsidies.count(ApplicationQuery()) == 3


def test_an_application_is_withdrawn_from_the_exit_menu_with_a_reason(
    qtbot, window: MainWindow, world: SubsidyWorld
) -> None:
    subsidies = window._services.subsidies
    assert subsidies is not None
    application_id, _ = subsidies.add(
        ApplicationInput(
            world.trade_show_id,
            date(2026, 7, 1),
            business_id=world.business_id,
            eligible_cost=150_000,
        )
    )
    dialog = _dialog(qtbot, window, application_id=application_id)
    form = _open_step(qtbot, dialog, StepName.WITHDRAW)
    _type(qtbot, form.date_edit, "2026-07-05")
    qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    assert form.error_texts()["reason"] == "入力してください。"
    _type(qtbot, form.inputs["reason"], "出展を取りやめた")
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)

    assert subsidies.get(application_id).state == SubsidyState.WITHDRAWN
    assert dialog.history_rows()[0][1:5] == [
        "取下げ",
        "申請 → 取下げ",
        "加藤 一",
        "出展を取りやめた",
    ]


def test_overdue_reports_are_on_the_follow_up_panel_and_open_the_application(
    qtbot, window: MainWindow, world: SubsidyWorld
) -> None:
    subsidies = window._services.subsidies
    assert subsidies is not None
    application_id, _ = subsidies.add(
        ApplicationInput(
            world.street_events_id,
            date(2026, 5, 1),
            association_id=world.association_id,
            event_id=world.event_ids[0],
            eligible_cost=1_200_000,
        )
    )
    version = subsidies.get(application_id).version
    subsidies.advance(
        application_id,
        version,
        StepInput(StepName.GRANT, date(2026, 5, 10), granted_amount=800_000),
    )
    window._street_changed()  # what any save in the desk does

    panel = window.reports_panel
    assert not panel.isHidden()
    row = panel.rows()[0]
    assert row[0].startswith("令和8年6月16日（") and "日超過" in row[0]  # 5/17 + 30 days
    assert row[1:4] == ["補助金", "神田すずらん通り商店街振興組合", ""]
    panel.table.cellDoubleClicked.emit(0, 0)
    dialog = window.street_desk.last_dialog
    assert isinstance(dialog, SubsidyDialog) and dialog.application_id == application_id
    assert "日超過" in dialog.due_label.text()
    dialog.reject()

    # Enter opens the selected row too, like every other list (the dashboard's own list,
    # which also answers Enter, stays where it was).
    window.show_page(window.page_names.index("ダッシュボード"))
    panel.table.selectRow(0)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    again = window.street_desk.last_dialog
    assert again is not dialog and isinstance(again, SubsidyDialog)
    assert again.application_id == application_id
    again.reject()

    page = window.streets_page
    page.tabs.setCurrentIndex(2)
    page.report_combo.setCurrentIndex(2)  # 期限超過
    qtbot.waitUntil(lambda: page.subsidy_model.rowCount() == 1)
    assert page.subsidy_count.text() == "1 件"


def test_the_business_record_opens_its_subsidy(
    qtbot, db: Database, consultant: Principal, window: MainWindow, world: SubsidyWorld
) -> None:
    subsidies = window._services.subsidies
    assert subsidies is not None
    application_id, _ = subsidies.add(
        ApplicationInput(
            world.trade_show_id,
            date(2026, 7, 1),
            business_id=world.business_id,
            eligible_cost=150_000,
        )
    )
    record = BusinessRecordDialog(
        BusinessService(db, consultant),
        TimelineService(db, consultant),
        consultant,
        world.business_id,
    )
    qtbot.addWidget(record)
    row = next(
        r
        for r in range(record.timeline_table.rowCount())
        if record.timeline_table.item(r, 1).text().startswith("補助金")
    )
    with qtbot.waitSignal(record.open_subsidy) as opened:
        record.timeline_table.cellDoubleClicked.emit(row, 1)
    assert opened.args == [application_id]


def test_a_read_only_role_sees_the_application_without_buttons(
    qtbot, db: Database, admin: Principal, world: SubsidyWorld, tmp_path: Path
) -> None:
    application_id, _ = SubsidyService(db, admin).add(
        ApplicationInput(
            world.trade_show_id,
            date(2026, 7, 1),
            business_id=world.business_id,
            eligible_cost=150_000,
        )
    )
    officer = _staff(db, "ito", "伊藤 融資", Role.LOAN_OFFICER)
    window = app_module.build_window(db, officer, DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window)
    assert window.street_desk is not None

    window.street_desk.open_subsidy(application_id)
    dialog = window.street_desk.last_dialog
    assert isinstance(dialog, SubsidyDialog)
    assert dialog.state_label.text() == "申請"
    assert dialog.actions_box.isHidden() and dialog.step_buttons == {}
    assert dialog.save_button.isHidden()
    assert not dialog.cost_edit.isEnabled() and not dialog.title_edit.isEnabled()
    assert dialog.history_rows()[0][1] == "申請"


def test_closing_an_application_with_unsaved_changes_asks_first(
    qtbot, window: MainWindow, world: SubsidyWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = _dialog(qtbot, window, association_id=world.association_id)
    _type(qtbot, dialog.title_edit, "夏の夜市 2026")
    asked: list[str] = []

    def cancel(*args: object, **kwargs: object) -> QMessageBox.StandardButton:
        asked.append(str(args[2]))
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", staticmethod(cancel))
    dialog.reject()

    assert asked and dialog.isVisible() and dialog.title_edit.text() == "夏の夜市 2026"


def test_a_new_application_starts_in_its_first_field_with_a_fitting_example(
    qtbot, window: MainWindow, world: SubsidyWorld
) -> None:
    dialog = _dialog(qtbot, window)
    with qtbot.waitActive(dialog):
        dialog.activateWindow()
    assert dialog.focusWidget() is dialog.business_picker.edit  # not the tab bar
    assert dialog.title_edit.placeholderText() == "例: 展示会出展（ギフトショー）"
    dialog.street_radio.click()
    assert dialog.title_edit.placeholderText() == "例: すずらんまつり 2026"
    dialog.business_radio.click()
    assert "展示会" in dialog.title_edit.placeholderText()

    given = _dialog(qtbot, window, business_id=world.business_id)  # the applicant is fixed
    with qtbot.waitActive(given):
        given.activateWindow()
    assert given.focusWidget() is given.program_combo


def test_filing_after_the_activity_with_the_report_overdue_is_warned(
    qtbot, window: MainWindow, world: SubsidyWorld
) -> None:
    subsidies = window._services.subsidies
    assert subsidies is not None
    dialog = _dialog(qtbot, window, business_id=world.business_id)
    dialog.program_combo.setCurrentIndex(
        dialog.program_combo.findText("中小企業販路拡大事業支援補助")
    )
    _type(qtbot, dialog.title_edit, "岩本町ハロウィン出店")
    _type(qtbot, dialog.ends_edit, "2026-10-30")
    _type(qtbot, dialog.applied_edit, "2026-11-30")  # the report was due 11/29
    _type(qtbot, dialog.cost_edit, "150000")
    qtbot.waitUntil(lambda: "をすでに過ぎています" in dialog.warning_label.text())
    assert "申請日: 申請日が事業の終了日より後です。" in dialog.warning_label.text()
    assert dialog.confirm_check.isVisible()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "チェックを入れてください" in dialog.error_texts()["form"]
    assert subsidies.count(ApplicationQuery()) == 0

    dialog.confirm_check.click()
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert subsidies.count(ApplicationQuery()) == 1

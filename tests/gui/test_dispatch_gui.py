"""専門家派遣 driven like the desk uses it: an application walked by the step buttons to its
実績報告 with three visits; a ninth visit in one 年度 refused by default; a visit before the
decision, an expired expert, an end before the start and negative or full-width fees, each with
a clear message and nothing saved lost; a dispatch started from a consultation keeps the link;
the page, the expert register, the fees, the カルテ, the follow-up panel and the 設定 tab."""

from datetime import date, time
from pathlib import Path

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from consult_desk import app as app_module
from consult_desk.db.engine import Database
from consult_desk.db.models import Staff, StaffRole
from consult_desk.domain.dispatch import DispatchQuery, DispatchState, StepName
from consult_desk.domain.fiscal import fiscal_year, japan_today
from consult_desk.domain.permissions import Principal, Role
from consult_desk.services.dispatch import DispatchService
from consult_desk.ui.dialogs.consultation_dialog import ConsultationDialog
from consult_desk.ui.dialogs.dispatch_dialog import DispatchDialog, DispatchStepForm
from consult_desk.ui.dialogs.expert_dialog import ExpertDialog
from consult_desk.ui.dialogs.visit_dialog import VisitDialog
from consult_desk.ui.drafts import DraftStore
from consult_desk.ui.main_window import MainWindow
from consult_desk.ui.models.dispatch_tables import OVERDUE_TEXT
from consult_desk.ui.pages.dispatch import DispatchPage
from consult_desk.ui.pages.dispatch_master import TermsDialog
from tests.dispatch_setup import (
    APPLIED,
    DECIDED,
    FEE_2026,
    DispatchWorld,
    decide,
    make_dispatch_world,
    open_dispatch,
    step,
    visit,
)
from tests.gui.helpers import commit_text

pytestmark = pytest.mark.gui

# Every date is typed and lies in 年度 2026 before the day these tests were written, so the
# tests hold on any later day (the service's "today" is the real one in the GUI).
LATER = date(2027, 3, 31)  # "today" for records made through the service


@pytest.fixture
def world(db: Database) -> DispatchWorld:
    return make_dispatch_world(db)


@pytest.fixture
def window(
    qtbot, db: Database, admin: Principal, world: DispatchWorld, tmp_path: Path
) -> MainWindow:
    window = app_module.build_window(db, admin, DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window)
    return window


@pytest.fixture
def service(window: MainWindow) -> DispatchService:
    return window._services.dispatch


@pytest.fixture
def consultant(world: DispatchWorld) -> Principal:
    return Principal(world.staff_id, "haken", "派遣 担当", frozenset({Role.CONSULTANT}))


@pytest.fixture
def loan_officer(db: Database) -> Principal:
    with db.write() as session:
        staff = Staff(login="yusi", name="融資 次郎", name_kana="ユウシ ジロウ")
        staff.roles.append(StaffRole(role="loan_officer"))
        session.add(staff)
        session.flush()
        return Principal(staff.id, "yusi", "融資 次郎", frozenset({Role.LOAN_OFFICER}))


def _dialog(qtbot, window: MainWindow, **kwargs: object) -> DispatchDialog:
    s = window._services
    dialog = DispatchDialog(
        s.dispatch,
        s.experts,
        s.businesses,
        s.reference,
        s.principal,
        consultations=s.consultations,
        **kwargs,  # type: ignore[arg-type]
    )
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _type(qtbot, widget: QWidget, text: str) -> None:
    """Replace what a field holds: ASCII by key presses, Japanese as an input method commits."""
    if isinstance(widget, QLineEdit | QPlainTextEdit):
        widget.clear()
    if text.isascii():
        qtbot.keyClicks(widget, text)
    else:
        commit_text(widget, text)


def _step(qtbot, dialog: DispatchDialog, name: StepName, on: str, **values: object) -> None:
    """Click the step's button (or the 「終了…」 menu), type into its form, record it."""
    if name in dialog.step_buttons:
        qtbot.mouseClick(dialog.step_buttons[name], Qt.MouseButton.LeftButton)
    else:
        dialog.exit_actions[name].trigger()
    form = dialog.step_form
    assert form is not None and form.isVisible()
    _type(qtbot, form.date_edit, on)
    for field, value in values.items():
        widget = form.inputs[field]
        if isinstance(widget, QComboBox):
            form.check()  # the experts offered follow the typed date
            widget.setCurrentIndex(widget.findData(value))
        elif isinstance(widget, QSpinBox):
            widget.setFocus()
            widget.selectAll()
            qtbot.keyClicks(widget, str(value))
        else:
            _type(qtbot, widget, str(value))
    form.check()
    if form.confirm_check.isVisible():
        form.confirm_check.setChecked(True)
    with qtbot.waitSignal(dialog.changed, timeout=3000, raising=False) as recorded:
        qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    assert recorded.signal_triggered, form.error_texts()
    assert not form.isVisible()


def _open_visit(qtbot, dialog: DispatchDialog) -> VisitDialog:
    qtbot.mouseClick(dialog.visit_button, Qt.MouseButton.LeftButton)
    form = dialog.visit_form
    assert form is not None and form.isVisible()
    return form


def _fill_visit(qtbot, form: VisitDialog, on: str, **values: str | bool | int) -> None:
    _type(qtbot, form.date_edit, on)
    widgets: dict[str, QWidget] = {
        "start": form.start_edit,
        "end": form.end_edit,
        "place": form.place_edit,
        "attendees": form.attendees_edit,
        "issues": form.issues_edit,
        "advice": form.advice_edit,
        "homework": form.homework_edit,
        "next_on": form.next_edit,
        "report": form.report_edit,
        "fee": form.fee_edit,
    }
    for name, value in values.items():
        if name == "online":
            if form.online_check.isChecked() != value:
                form.online_check.click()
        elif name == "expert":
            form.check()  # the experts offered follow the typed date
            form.expert_combo.setCurrentIndex(form.expert_combo.findData(value))
        else:
            _type(qtbot, widgets[name], str(value))


def _save_visit(qtbot, dialog: DispatchDialog, form: VisitDialog) -> None:
    form.check()
    if form.confirm_check.isVisible():
        form.confirm_check.setChecked(True)
    with qtbot.waitSignal(dialog.changed, timeout=3000, raising=False) as recorded:
        qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    assert recorded.signal_triggered, form.error_texts()
    assert not form.isVisible()


def _refused(qtbot, form: VisitDialog) -> dict[str, str]:
    """Click 記録する on a form that must refuse: it stays open and says why."""
    qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    assert form.isVisible()
    return form.error_texts()


def _decided(service: DispatchService, world: DispatchWorld, **kwargs: object) -> int:
    return decide(service, world, today=LATER, **kwargs)  # type: ignore[arg-type]


def test_an_application_is_walked_to_its_report_with_three_visits(
    qtbot, window: MainWindow, world: DispatchWorld, service: DispatchService
) -> None:
    dialog = _dialog(qtbot, window, business_id=world.business_id)
    assert dialog.business_picker.business_id == world.business_id
    assert not dialog.tabs.isTabEnabled(1)  # no visits before the application exists
    commit_text(dialog.theme_edit, "販路拡大の計画づくり")
    _type(qtbot, dialog.applied_edit, APPLIED.isoformat())
    with qtbot.waitSignal(dialog.changed, timeout=3000) as created:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    dispatch_id = created.args[0]
    assert dialog.state_label.text() == "申請"
    assert list(dialog.step_buttons) == [StepName.START_REVIEW]
    assert list(dialog.exit_actions) == [StepName.CANCEL]

    _step(qtbot, dialog, StepName.START_REVIEW, "2026-04-15")
    _step(
        qtbot,
        dialog,
        StepName.APPROVE,
        "R8.4.20",
        approved_visits=3,
        expert_id=world.expert_id,
    )
    assert dialog.state_label.text() == "派遣決定"
    assert dialog.visit_button.isVisible() and not dialog.step_buttons  # a visit comes next

    form = _open_visit(qtbot, dialog)
    assert form.number_label.text() == "第1回（決定 3回）"
    _fill_visit(
        qtbot, form, "2026-05-11", start="10:00", end="12:00", place="事業所", issues="売上計画"
    )
    _save_visit(qtbot, dialog, form)
    assert dialog.state_label.text() == "派遣中"  # the first visit starts the dispatch
    form = _open_visit(qtbot, dialog)
    _fill_visit(qtbot, form, "2026-06-08", online=True, place="", next_on="2026-07-06")
    _save_visit(qtbot, dialog, form)
    form = _open_visit(qtbot, dialog)
    assert form.date_edit.text() == "2026-07-06"  # the date the last visit set for the next
    form.check()
    assert "決定回数の最後の訪問です。" in form.warning_label.text()  # needs a tick
    qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    assert form.isVisible() and "チェック" in form.error_texts()["general"]
    _fill_visit(qtbot, form, "2026-07-06", place="事業所", report="2026-07-10")
    _save_visit(qtbot, dialog, form)

    assert [r[:2] for r in dialog.visit_rows()] == [
        ["第1回", "令和8年5月11日"],
        ["第2回", "令和8年6月8日"],
        ["第3回", "令和8年7月6日"],
    ]
    assert dialog.visit_rows()[1][3] == "オンライン"
    assert dialog.visit_rows()[2][7] == "令和8年7月10日"
    form = _open_visit(qtbot, dialog)  # the approved visits are used up
    assert "決定回数を超えるため" in form.error_texts()["general"]
    form.reject()
    _step(qtbot, dialog, StepName.COMPLETE, "2026-07-20")
    assert dialog.fact("実績報告の期限") == "令和8年8月19日"  # 30 days by default
    _step(qtbot, dialog, StepName.REPORT, "2026-08-03")

    view = service.get(dispatch_id)
    assert view.state == DispatchState.REPORTED
    assert (view.visits, view.fee_total) == (3, 3 * FEE_2026)
    assert view.report_received_on == date(2026, 8, 3)
    assert dialog.state_label.text() == "実績報告済"
    assert dialog.usage_label.text() == "令和8年度の利用 3/8回"
    assert dialog.fact("謝金の合計") == "34,650円"
    history = dialog.history_rows()
    assert [row[1] for row in history] == [
        "実績報告を受理",
        "派遣完了",
        "派遣開始（第1回の訪問）",
        "派遣決定",
        "審査を開始",
        "申請を登録",
    ]
    assert history[0][2] == "完了 → 実績報告済"
    assert list(dialog.step_buttons) == [StepName.PAY]


def test_a_ninth_visit_in_one_year_is_refused_by_default(
    qtbot, window: MainWindow, world: DispatchWorld, service: DispatchService
) -> None:
    # The IT・DX program has no terms for the 年度: the default cap of 8 applies.
    dispatch_id = _decided(service, world, visits=10, program_id=world.other_program_id)
    for month, day in [(5, 7), (5, 21), (6, 4), (6, 18), (7, 2), (7, 16), (7, 30), (8, 13)]:
        service.add_visit(dispatch_id, visit(date(2026, month, day)), today=LATER)
    dialog = _dialog(qtbot, window, dispatch_id=dispatch_id)
    assert dialog.usage_label.text().endswith("の利用 8/8回")

    form = _open_visit(qtbot, dialog)
    _fill_visit(qtbot, form, "2026-09-10", place="事業所", issues="資金繰り表の確認")
    word = "今年度" if fiscal_year(japan_today()) == 2026 else "令和8年度"
    qtbot.waitUntil(
        lambda: form.usage_label.text() == f"{word}の利用 8/8 回：これ以上は登録できません"
    )
    assert "上限に達しています" in form.error_texts()["visited_on"]
    assert "上限に達しています" in _refused(qtbot, form)["visited_on"]
    assert len(service.visits(dispatch_id)) == 8
    assert form.issues_edit.toPlainText() == "資金繰り表の確認"  # nothing typed is lost

    # The next 年度 has its own cap: the same visit in April is fine.
    _fill_visit(qtbot, form, "2027-04-08")
    qtbot.waitUntil(lambda: "visited_on" not in form.error_texts())
    assert "0/8 回（この訪問で 1 回目）" in form.usage_label.text()


def test_a_visit_before_the_decision_is_refused_and_nothing_saved_is_lost(
    qtbot, window: MainWindow, world: DispatchWorld, service: DispatchService
) -> None:
    dispatch_id = _decided(service, world, visits=3)
    service.add_visit(dispatch_id, visit(date(2026, 5, 11)), today=LATER)
    saved = service.visits(dispatch_id)
    dialog = _dialog(qtbot, window, dispatch_id=dispatch_id)

    form = _open_visit(qtbot, dialog)
    _fill_visit(qtbot, form, "2026-04-15", place="事業所", advice="在庫回転日数を月次で追う")
    qtbot.waitUntil(lambda: "visited_on" in form.error_texts())
    assert form.error_texts()["visited_on"] == "訪問日が派遣決定日より前です。"
    assert _refused(qtbot, form)["visited_on"] == "訪問日が派遣決定日より前です。"
    assert service.visits(dispatch_id) == saved
    assert form.advice_edit.toPlainText() == "在庫回転日数を月次で追う"

    _fill_visit(qtbot, form, DECIDED.isoformat())  # the decision day itself is fine
    _save_visit(qtbot, dialog, form)
    assert [v.visited_on for v in service.visits(dispatch_id)] == [
        date(2026, 5, 11),
        DECIDED,
    ]


def test_an_expired_expert_is_marked_and_refused(
    qtbot, window: MainWindow, world: DispatchWorld, service: DispatchService
) -> None:
    dispatch_id = open_dispatch(service, world, today=LATER)
    step(service, dispatch_id, StepName.START_REVIEW, DECIDED, LATER)
    step(
        service,
        dispatch_id,
        StepName.APPROVE,
        DECIDED,
        LATER,
        approved_visits=3,
        expert_id=world.expiring_expert_id,  # 鈴木: registered until 2026-09-30
    )
    dialog = _dialog(qtbot, window, dispatch_id=dispatch_id)

    form = _open_visit(qtbot, dialog)
    _fill_visit(qtbot, form, "2026-10-05", place="事業所")
    form.check()
    combo = form.expert_combo
    assert combo.currentData() == world.expiring_expert_id  # the dispatch's expert …
    assert "【登録期限切れ】" in combo.currentText()  # … shown as expired that day
    assert form.error_texts()["expert_id"].startswith("この日は専門家の登録期間が終わっています")
    assert "expert_id" in _refused(qtbot, form)
    assert service.visits(dispatch_id) == []

    _fill_visit(qtbot, form, "2026-09-28")  # within her registration: offered normally
    form.check()
    assert "【登録期限切れ】" not in combo.currentText()
    assert "expert_id" not in form.error_texts()
    _fill_visit(qtbot, form, "2026-10-05", expert=world.expert_id)
    _save_visit(qtbot, dialog, form)
    assert [v.expert_id for v in service.visits(dispatch_id)] == [world.expert_id]


def test_the_decision_offers_only_experts_registered_that_day(
    qtbot, window: MainWindow, world: DispatchWorld, service: DispatchService
) -> None:
    dispatch_id = open_dispatch(service, world, today=LATER)
    step(service, dispatch_id, StepName.START_REVIEW, date(2026, 9, 1), LATER)
    dialog = _dialog(qtbot, window, dispatch_id=dispatch_id)
    qtbot.mouseClick(dialog.step_buttons[StepName.APPROVE], Qt.MouseButton.LeftButton)
    form = dialog.step_form
    assert isinstance(form, DispatchStepForm)
    combo = form.inputs["expert_id"]
    assert isinstance(combo, QComboBox)

    _type(qtbot, form.date_edit, "2026-09-15")
    form.check()
    offered = {combo.itemData(i) for i in range(combo.count())}
    assert {world.expert_id, world.expiring_expert_id} <= offered
    _type(qtbot, form.date_edit, "2026-10-01")
    form.check()
    offered = {combo.itemData(i) for i in range(combo.count())}
    assert world.expiring_expert_id not in offered and world.expert_id in offered


def test_an_end_before_the_start_is_refused_while_typing(
    qtbot, window: MainWindow, world: DispatchWorld, service: DispatchService
) -> None:
    dispatch_id = _decided(service, world, visits=3)
    dialog = _dialog(qtbot, window, dispatch_id=dispatch_id)
    form = _open_visit(qtbot, dialog)

    _fill_visit(qtbot, form, "2026-05-11", start="14:00", end="1300", place="事業所")
    qtbot.waitUntil(lambda: "end_time" in form.error_texts())
    assert form.error_texts()["end_time"] == "終了時刻が開始時刻より前（または同じ）です。"
    _type(qtbot, form.start_edit, "25:00")
    qtbot.waitUntil(lambda: "start_time" in form.error_texts())
    assert form.error_texts()["start_time"].startswith("時刻として読み取れません")
    assert "start_time" in _refused(qtbot, form)
    assert service.visits(dispatch_id) == []

    _fill_visit(qtbot, form, "2026-05-11", start="１３時", end="15:30")  # full-width works
    _save_visit(qtbot, dialog, form)
    saved = service.visits(dispatch_id)[0]
    assert (saved.start_time, saved.end_time) == (time(13, 0), time(15, 30))


def test_negative_and_full_width_fees(
    qtbot, window: MainWindow, world: DispatchWorld, service: DispatchService
) -> None:
    dispatch_id = _decided(service, world, visits=3)
    service.add_visit(dispatch_id, visit(date(2026, 5, 11)), today=LATER)
    dialog = _dialog(qtbot, window, dispatch_id=dispatch_id)
    form = _open_visit(qtbot, dialog)
    _fill_visit(qtbot, form, "2026-06-08", place="事業所")
    form.check()
    assert form.fee_edit.hint.text() == "空欄: 11,550円（制度の謝金）"

    _type(qtbot, form.fee_edit, "−5,000")
    qtbot.waitUntil(lambda: "fee" in form.error_texts())
    assert form.error_texts()["fee"] == "0以上の数を入力してください。"
    assert _refused(qtbot, form)["fee"] == "0以上の数を入力してください。"
    _type(qtbot, form.fee_edit, "abc")
    qtbot.waitUntil(lambda: form.error_texts().get("fee", "").startswith("数字で入力"))
    assert len(service.visits(dispatch_id)) == 1  # the saved visit is untouched

    _type(qtbot, form.fee_edit, "１万２，０００円")
    qtbot.waitUntil(lambda: "fee" not in form.error_texts())
    assert form.fee_edit.hint.text() == "= 12,000円"
    _save_visit(qtbot, dialog, form)
    assert [v.effective_fee for v in service.visits(dispatch_id)] == [FEE_2026, 12_000]
    assert dialog.visit_rows()[1][6] == "12,000円"


def test_a_visit_someone_else_changed_keeps_the_typed_input(
    qtbot, window: MainWindow, world: DispatchWorld, service: DispatchService
) -> None:
    dispatch_id = _decided(service, world, visits=3)
    service.add_visit(dispatch_id, visit(date(2026, 5, 11)), today=LATER)
    dialog = _dialog(qtbot, window, dispatch_id=dispatch_id)
    dialog.visits_table.selectRow(0)
    qtbot.mouseClick(dialog.edit_visit_button, Qt.MouseButton.LeftButton)
    form = dialog.visit_form
    assert form is not None and form.visit is not None
    _type(qtbot, form.homework_edit, "試算表を3期分そろえる")
    first = service.visits(dispatch_id)[0]
    service.update_visit(first.id, first.version, visit(date(2026, 5, 12)), today=LATER)

    qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)  # a conflict
    assert form.isVisible()
    assert form.homework_edit.toPlainText() == "試算表を3期分そろえる"
    assert form.visit.version == service.visits(dispatch_id)[0].version  # now the fresh one
    _save_visit(qtbot, dialog, form)
    assert service.visits(dispatch_id)[0].homework == "試算表を3期分そろえる"


def test_the_last_visit_can_be_deleted_after_asking(
    qtbot,
    window: MainWindow,
    world: DispatchWorld,
    service: DispatchService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dispatch_id = _decided(service, world, visits=3)
    for day in (date(2026, 5, 11), date(2026, 6, 8)):
        service.add_visit(dispatch_id, visit(day), today=LATER)
    dialog = _dialog(qtbot, window, dispatch_id=dispatch_id)
    asked: list[str] = []

    def question(_parent: QWidget, _title: str, text: str, *_a: object) -> object:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(dialog.delete_visit_button, Qt.MouseButton.LeftButton)
    assert asked == ["第2回（令和8年6月8日）の訪問記録を削除します。よろしいですか？"]
    assert [v.number for v in service.visits(dispatch_id)] == [1]


def test_a_dispatch_started_from_a_consultation_keeps_the_link(
    qtbot, window: MainWindow, world: DispatchWorld, service: DispatchService
) -> None:
    s = window._services
    consultation = ConsultationDialog(
        s.consultations,
        s.businesses,
        s.reference,
        s.principal,
        s.drafts,
        consultation_id=world.consultation_id,
        dispatch=s.dispatch,
    )
    qtbot.addWidget(consultation)
    consultation.show()
    assert consultation.dispatch_row.isHidden()  # none yet
    with qtbot.waitSignal(consultation.new_dispatch) as started:
        qtbot.mouseClick(consultation.dispatch_button, Qt.MouseButton.LeftButton)
    assert started.args == [world.business_id, world.consultation_id]

    # The main window answers with an application that keeps the link.
    dialog = _dialog(
        qtbot, window, business_id=world.business_id, consultation_id=world.consultation_id
    )
    assert not dialog.business_picker.isEnabled()
    commit_text(dialog.theme_edit, "ネット販売の立ち上げ")
    _type(qtbot, dialog.applied_edit, APPLIED.isoformat())
    with qtbot.waitSignal(dialog.changed, timeout=3000) as created:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    dispatch_id = created.args[0]
    assert service.get(dispatch_id).consultation_id == world.consultation_id
    assert dialog.consultation_button.text() == "相談記録（令和8年4月3日）を開く"
    with qtbot.waitSignal(dialog.open_consultation) as asked:
        qtbot.mouseClick(dialog.consultation_button, Qt.MouseButton.LeftButton)
    assert asked.args == [world.consultation_id]

    consultation.refresh_dispatches()
    assert not consultation.dispatch_row.isHidden()
    assert consultation.dispatch_list.item(0).text().startswith("ネット販売の立ち上げ（申請）")
    with qtbot.waitSignal(consultation.open_dispatch) as opened:
        consultation.dispatch_list.itemActivated.emit(consultation.dispatch_list.item(0))
    assert opened.args == [dispatch_id]


def test_an_application_needs_a_theme_and_keeps_unsaved_changes(
    qtbot, window: MainWindow, world: DispatchWorld, service: DispatchService
) -> None:
    dialog = _dialog(qtbot, window, business_id=world.business_id)
    _type(qtbot, dialog.applied_edit, "2026-13-01")
    assert dialog.card_error_texts()["applied_on"].startswith("日付として読み取れません")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.card_error_texts()["theme"] == "入力してください。"
    assert service.count(DispatchQuery()) == 0

    _type(qtbot, dialog.applied_edit, APPLIED.isoformat())
    commit_text(dialog.theme_edit, "事業承継の準備")
    assert dialog.has_changes()
    dialog.reject()  # the test's answer to "save?" is 「破棄」 (conftest)
    assert service.count(DispatchQuery()) == 0


def test_the_page_lists_filters_and_flags_overdue_reports(
    qtbot, window: MainWindow, world: DispatchWorld, service: DispatchService
) -> None:
    late = _decided(service, world, visits=1, theme="原価管理の見直し")
    service.add_visit(late, visit(date(2026, 5, 11)), today=LATER)
    step(service, late, StepName.COMPLETE, date(2026, 5, 20), LATER)  # report due 6/19
    open_dispatch(service, world, business_id=world.other_business_id, today=LATER)
    window.show_page(window.page_names.index("専門家派遣"))
    page = window.page_named("専門家派遣")
    assert isinstance(page, DispatchPage)
    page.refresh()
    page.model.fetch_all()

    assert page.list_tab.count_label.text() == "2 件"
    row = next(r for r in range(page.model.rowCount()) if page.model.row_at(r).id == late)
    cells = [page.model.index(row, c).data() for c in range(page.model.columnCount())]
    assert cells[1:] == [
        "神田青果株式会社",
        "原価管理の見直し",
        "専門家派遣（経営改善）",
        "山田 太郎",
        "完了",
        "1/1回",
        "令和8年6月19日（超過）",
    ]
    assert page.model.index(row, 0).data(Qt.ItemDataRole.ForegroundRole) == OVERDUE_TEXT

    page.list_tab.overdue_check.setChecked(True)
    page.model.fetch_all()
    assert [page.model.row_at(r).id for r in range(page.model.rowCount())] == [late]
    page.list_tab.overdue_check.setChecked(False)
    combo = page.list_tab.state_combo
    combo.setCurrentIndex(combo.findText("申請"))
    page.model.fetch_all()
    assert [page.model.row_at(r).business_name for r in range(page.model.rowCount())] == [
        "神保町書店"
    ]


def test_main_window_opens_dispatches_from_the_page_ctrl_n_karte_and_follow_ups(
    qtbot,
    window: MainWindow,
    world: DispatchWorld,
    service: DispatchService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dispatch_id = _decided(service, world, visits=1)
    service.add_visit(dispatch_id, visit(date(2026, 5, 11)), today=LATER)
    step(service, dispatch_id, StepName.COMPLETE, date(2026, 5, 20), LATER)
    opened: list[DispatchDialog] = []
    monkeypatch.setattr(DispatchDialog, "exec", lambda self: opened.append(self) or 0)
    window.show()
    with qtbot.waitActive(window):  # shortcuts act in the active window only
        window.activateWindow()
    window.show_page(window.page_names.index("専門家派遣"))
    page = window.dispatch_page

    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert opened[-1].view is None  # a new application
    page.refresh()
    page.model.fetch_all()
    page.list_tab.table.selectRow(0)
    page.list_tab.table.setFocus()
    qtbot.keyClick(page.list_tab.table, Qt.Key.Key_Return)
    assert opened[-1].dispatch_id == dispatch_id

    # The follow-up panel lists the overdue 実績報告 and opens the dispatch.
    window.today_page.refresh()
    panel = window.reports_panel
    assert [r[1:4] for r in panel.rows()] == [
        ["専門家派遣", "神田青果株式会社", "販路拡大の計画づくり"]
    ]
    assert "超過" in panel.rows()[0][0]
    panel.table.cellDoubleClicked.emit(0, 0)
    assert opened[-1].dispatch_id == dispatch_id

    # The カルテ lists the dispatch, opens it, and starts a new one.
    window.open_business_record(world.business_id)
    record = window._records[world.business_id]
    row = next(
        r
        for r in range(record.timeline_table.rowCount())
        if record.timeline_table.item(r, 1).text().startswith("専門家派遣")
    )
    assert record.timeline_table.item(row, 1).text() == "専門家派遣 販路拡大の計画づくり（完了）"
    record.timeline_table.cellDoubleClicked.emit(row, 1)
    assert opened[-1].dispatch_id == dispatch_id
    qtbot.mouseClick(record.dispatch_button, Qt.MouseButton.LeftButton)
    assert opened[-1].view is None
    assert opened[-1].business_picker.business_id == world.business_id


def test_a_loan_officer_reads_without_buttons_and_a_consultant_works(
    qtbot,
    db: Database,
    world: DispatchWorld,
    service: DispatchService,
    consultant: Principal,
    loan_officer: Principal,
    tmp_path: Path,
) -> None:
    dispatch_id = _decided(service, world, visits=3)
    service.add_visit(dispatch_id, visit(date(2026, 5, 11)), today=LATER)
    for principal, works in ((loan_officer, False), (consultant, True)):
        window = app_module.build_window(db, principal, DraftStore(tmp_path / principal.login))
        qtbot.addWidget(window)
        page = window.page_named("専門家派遣")
        assert isinstance(page, DispatchPage)
        assert page.list_tab.new_button.isHidden() is not works
        assert page.experts_tab.new_button.isHidden()  # the register is the administrators'
        dialog = _dialog(qtbot, window, dispatch_id=dispatch_id)
        assert (StepName.COMPLETE in dialog.step_buttons) is works
        assert dialog.visit_button.isHidden() is not works
        assert dialog.save_button.isHidden() is not works
        assert dialog.theme_edit.isEnabled() is works
        dialog.visits_table.selectRow(0)
        qtbot.mouseClick(dialog.edit_visit_button, Qt.MouseButton.LeftButton)
        form = dialog.visit_form
        assert form is not None
        assert form.read_only is not works
        assert form.ok_button.isHidden() is not works
        form.done(0)


def test_the_expert_register_greys_expired_experts_and_registers_one(
    qtbot, window: MainWindow, world: DispatchWorld
) -> None:
    experts = window._services.experts
    page = window.dispatch_page
    tab = page.experts_tab
    tab.refresh()
    tab.model.fetch_all()
    rows = {tab.model.row_at(r).name: r for r in range(tab.model.rowCount())}
    expired = rows["鈴木 花子"]
    assert tab.model.index(expired, 6).data() == "登録期限切れ"
    assert tab.model.index(expired, 0).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert tab.model.index(rows["山田 太郎"], 6).data() == "利用中"
    assert tab.model.index(expired, 5).data() == "20,000円"

    dialog = tab.new_expert()
    assert isinstance(dialog, ExpertDialog)
    qtbot.addWidget(dialog)
    commit_text(dialog.name_edit, "佐々木 恵")
    items = dialog.qualification_list.findItems("社会保険労務士", Qt.MatchFlag.MatchExactly)
    items[0].setCheckState(Qt.CheckState.Checked)
    commit_text(dialog.other_edit, "キャリアコンサルタント")
    qtbot.mouseClick(dialog.other_button, Qt.MouseButton.LeftButton)
    _type(qtbot, dialog.from_edit, "2026-04-01")
    _type(qtbot, dialog.to_edit, "2026-03-31")
    assert dialog.error_texts()["registered_to"] == "登録終了日が登録開始日より前です。"
    _type(qtbot, dialog.fee_edit, "-1")
    assert dialog.error_texts()["fee_per_visit"] == "0以上の数を入力してください。"
    dialog.save()
    assert dialog.isVisible() and experts.count(tab.model.query) == 2

    _type(qtbot, dialog.to_edit, "2029-03-31")
    _type(qtbot, dialog.fee_edit, "１万１，５５０")
    with qtbot.waitSignal(dialog.saved, timeout=3000) as saved:
        dialog.save()
    expert = experts.get(saved.args[0])
    assert expert.qualifications == ("社会保険労務士", "キャリアコンサルタント")
    assert (expert.fee_per_visit, expert.registered_to) == (11_550, date(2029, 3, 31))
    tab.model.fetch_all()
    assert tab.count_label.text() == "3 件"


def test_fees_are_shown_per_year_and_per_expert(
    qtbot, window: MainWindow, world: DispatchWorld, service: DispatchService
) -> None:
    dispatch_id = _decided(service, world, visits=3)
    service.add_visit(dispatch_id, visit(date(2026, 5, 11)), today=LATER)
    service.add_visit(
        dispatch_id, visit(date(2026, 6, 8), expert_id=world.expiring_expert_id), today=LATER
    )
    tab = window.dispatch_page.fees_tab
    tab.refresh()
    tab.year_combo.setCurrentIndex(tab.year_combo.findData(2026))

    assert tab.years_table.item(0, 0).text() == "令和8年度"
    assert tab.years_table.item(0, 1).text() == "2回"
    assert tab.years_table.item(0, 2).text() == "23,100円"
    names = [tab.experts_table.item(r, 0).text() for r in range(tab.experts_table.rowCount())]
    assert names == ["鈴木 花子", "山田 太郎", "合計"]
    assert tab.total_label.text() == "合計 23,100円"


def test_settings_edit_programs_terms_and_report_days_for_administrators_only(
    qtbot,
    db: Database,
    window: MainWindow,
    world: DispatchWorld,
    service: DispatchService,
    consultant: Principal,
    tmp_path: Path,
) -> None:
    tab = window.settings_page.dispatch_programs_tab
    assert "派遣制度" in window.settings_page.tab_titles()
    assert tab.add_terms_button.isEnabled() and tab.due_spin.isEnabled()
    assert tab.terms_table.item(0, 1).text() == "8回"

    dialog = TermsDialog(service, tab.selected_program(), year=2027)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.visits_spin.setValue(6)
    commit_text(dialog.fee_edit, "１万２，０００")
    dialog.save()
    assert service.terms_for(world.program_id, 2027).max_visits_per_business == 6
    assert service.terms_for(world.program_id, 2027).fee_per_visit == 12_000
    tab.due_spin.setValue(45)
    qtbot.mouseClick(tab.due_button, Qt.MouseButton.LeftButton)
    assert service.report_due_days() == 45

    other = app_module.build_window(db, consultant, DraftStore(tmp_path / "c"))
    qtbot.addWidget(other)
    read_only = other.settings_page.dispatch_programs_tab
    assert not read_only.add_terms_button.isEnabled()
    assert not read_only.due_spin.isEnabled()
    assert read_only.due_spin.value() == 45

"""融資あっせん driven like the loan desk uses it: open a case, walk it through its steps with the
buttons and the step forms, leave by every exit, undo, read the history and the schedule; the
pipeline page with its counts and overdue rows; a consultant sees neither amounts nor buttons."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from consult_desk import app as app_module
from consult_desk.db.engine import Database
from consult_desk.db.models import Business, Staff, StaffRole
from consult_desk.domain.consultations import ConsultationInput
from consult_desk.domain.fiscal import fiscal_year, format_yen, japan_today
from consult_desk.domain.loans import (
    ELIGIBILITY_FIELDS,
    LoanCaseInput,
    LoanState,
    StepInput,
    StepName,
)
from consult_desk.domain.permissions import MASK, Principal, Role
from consult_desk.domain.sme import SmeStatus
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.loans import LoanService
from consult_desk.services.reference import ReferenceService
from consult_desk.ui.dialogs.business_record import BusinessRecordDialog
from consult_desk.ui.dialogs.consultation_dialog import ConsultationDialog
from consult_desk.ui.dialogs.loan_case_dialog import LoanCaseDialog, StepForm
from consult_desk.ui.drafts import DraftStore
from consult_desk.ui.main_window import MainWindow
from consult_desk.ui.pages.loan_pipeline import LoanPipelinePage
from tests.gui.helpers import commit_text
from tests.loan_setup import LoanWorld, make_loan_world

pytestmark = pytest.mark.gui

# The dates of tests/db/test_loans.py: received Monday 11/16, interview Friday 11/20, and the
# earliest referral three business days later, 11/26 (Monday 11/23 is a holiday). Every step
# date is typed, so the tests hold on any later day (the fund's terms run to 2027-03-31).
OPENED = date(2026, 11, 16)
ELIGIBLE = {name: True for name in ELIGIBILITY_FIELDS}


@pytest.fixture
def world(db: Database) -> LoanWorld:
    world = make_loan_world(db)
    with db.write() as session:  # loan_setup's "small" is no SmeStatus; the forms read it
        business = session.get(Business, world.business_id)
        assert business is not None
        business.sme_status = SmeStatus.SMALL.value
    return world


@pytest.fixture
def window(qtbot, db: Database, admin: Principal, world: LoanWorld, tmp_path: Path) -> MainWindow:
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


def _dialog(qtbot, window: MainWindow, **kwargs: object) -> LoanCaseDialog:
    s = window._services
    dialog = LoanCaseDialog(
        s.loans,
        s.settings.loan_master,
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


def _fill(qtbot, form: StepForm, on: str, **values: object) -> None:
    _type(qtbot, form.date_edit, on)
    for name, value in values.items():
        widget = form.inputs[name]
        if isinstance(widget, QCheckBox):
            if widget.isChecked() != value:
                widget.click()
        elif isinstance(widget, QComboBox):
            widget.setCurrentIndex(widget.findText(str(value)))
        elif isinstance(widget, QSpinBox):
            widget.setFocus()
            widget.selectAll()
            qtbot.keyClicks(widget, str(value))
        else:
            _type(qtbot, widget, str(value))


def _open_step(qtbot, dialog: LoanCaseDialog, name: StepName) -> StepForm:
    if name in dialog.step_buttons:
        qtbot.mouseClick(dialog.step_buttons[name], Qt.MouseButton.LeftButton)
    else:
        dialog.exit_actions[name].trigger()  # the 「終了…」 menu
    form = dialog.step_form
    assert form is not None and form.isVisible()
    return form


def _step(qtbot, dialog: LoanCaseDialog, name: StepName, on: str, **values: object) -> None:
    """Click the step's button, type into its form, record it; fail with the form's errors."""
    form = _open_step(qtbot, dialog, name)
    _fill(qtbot, form, on, **values)
    with qtbot.waitSignal(dialog.changed, timeout=3000, raising=False) as recorded:
        qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    assert recorded.signal_triggered, form.error_texts()
    assert not form.isVisible()


def _new_case(loans: LoanService, world: LoanWorld, **kwargs: object) -> int:
    return loans.add(
        LoanCaseInput(
            business_id=world.business_id,
            program_id=world.program_id,
            received_on=OPENED,
            requested_amount=5_000_000,
            **kwargs,  # type: ignore[arg-type]
        )
    )


def _advance(loans: LoanService, case_id: int, *steps: StepInput) -> None:
    for step in steps:
        loans.advance(case_id, loans.get(case_id).version, step)


def _take_to(loans: LoanService, world: LoanWorld, case_id: int, state: LoanState) -> None:
    """Steps recorded by someone else through the service (the path itself is tested above)."""
    path = [
        StepInput(StepName.RECEIVE, date(2026, 11, 20), interviewer="山田"),
        StepInput(StepName.START_REVIEW, date(2026, 11, 20), **ELIGIBLE),  # type: ignore[arg-type]
        StepInput(
            StepName.REFER,
            date(2026, 11, 26),
            referral_number="R8-7",
            referral_amount=3_000_000,
            bank_id=world.bank_id,
        ),
        StepInput(StepName.BANK_RECEIVED, date(2026, 11, 27)),
        StepInput(StepName.TO_CGC, date(2026, 11, 27)),
    ]
    order = [
        LoanState.RECEIVED,
        LoanState.WARD_REVIEW,
        LoanState.REFERRAL_ISSUED,
        LoanState.BANK_REVIEW,
        LoanState.CGC_REVIEW,
    ]
    if state != LoanState.INQUIRY:
        _advance(loans, case_id, *path[: order.index(state) + 1])


def test_a_case_is_opened_and_walked_to_its_loan_by_the_step_buttons(
    qtbot, window: MainWindow, world: LoanWorld
) -> None:
    loans = window._services.loans
    dialog = _dialog(qtbot, window, business_id=world.business_id)
    assert dialog.business_picker.business_id == world.business_id
    assert not dialog.tabs.isTabEnabled(1)  # no history before the case exists
    dialog.program_combo.setCurrentIndex(dialog.program_combo.findText("営業資金"))
    _type(qtbot, dialog.received_edit, OPENED.isoformat())
    _type(qtbot, dialog.requested_edit, "５００万")  # full-width, with 万
    assert dialog.requested_hint.text() == "= 5,000,000円"
    _type(qtbot, dialog.purpose_edit, "運転資金（仕入）")
    _type(qtbot, dialog.interviewer_edit, "山田 一郎")
    with qtbot.waitSignal(dialog.changed, timeout=3000) as created:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    case_id = created.args[0]
    case = loans.get(case_id)
    assert (case.state, case.requested_amount, case.purpose) == (
        LoanState.INQUIRY,
        5_000_000,
        "運転資金(仕入)",  # stored NFKC-normalised, as every text
    )
    # Now the dialog shows the case: its state, the steps allowed, the exits apart.
    assert dialog.state_label.text() == "相談"
    assert list(dialog.step_buttons) == [StepName.RECEIVE]
    assert list(dialog.exit_actions) == [StepName.WITHDRAW]
    assert not dialog.business_picker.isEnabled()

    _step(qtbot, dialog, StepName.RECEIVE, "2026-11-20", receipt_number="R8-0012")
    assert loans.get(case_id).interviewer == "山田 一郎"  # defaulted from the card
    _step(qtbot, dialog, StepName.START_REVIEW, "2026-11-20", **ELIGIBLE)

    # あっせん書: two business days after receipt is refused, with the reason, while typing.
    form = _open_step(qtbot, dialog, StepName.REFER)
    assert form.inputs["referral_amount"].text() == "5,000,000"  # the amount wanted
    _fill(qtbot, form, "2026-11-25", referral_number="R8-001", bank_id="みずほ銀行")
    qtbot.waitUntil(lambda: "3営業日" in form.error_texts().get("occurred_on", ""))
    _type(qtbot, form.inputs["referral_amount"], "-100")
    qtbot.waitUntil(lambda: "1円以上" in form.error_texts().get("referral_amount", ""))
    qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    assert form.isVisible() and loans.get(case_id).state == LoanState.WARD_REVIEW
    _fill(qtbot, form, "2026-11-26", referral_amount="５００万", branch_id="神田支店")
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    case = loans.get(case_id)
    assert (case.referral_amount, case.bank_name, case.branch_name) == (
        5_000_000,
        "みずほ銀行",
        "神田支店",
    )
    assert dialog.fact("あっせん額") == "5,000,000円"

    _step(qtbot, dialog, StepName.BANK_RECEIVED, "2026-11-27")
    _step(qtbot, dialog, StepName.TO_CGC, "2026-11-27")
    _step(qtbot, dialog, StepName.GUARANTEE, "2026-11-28", approved_amount="4,000,000")

    # 実行額 defaults to the approval; one yen more is refused.
    form = _open_step(qtbot, dialog, StepName.EXECUTE)
    assert form.inputs["executed_amount"].text() == "4,000,000"
    assert form.inputs["nominal_rate"].text() == "2.1"  # the fund's terms, copied at referral
    _fill(qtbot, form, "2026-11-30", executed_amount="4000001", term_months=60, grace_months=6)
    qtbot.waitUntil(lambda: "承諾額を超えています" in form.error_texts().get("executed_amount", ""))
    qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    assert loans.get(case_id).state == LoanState.GUARANTEED
    _type(qtbot, form.inputs["executed_amount"], "4,000,000")
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    _step(qtbot, dialog, StepName.START_GRACE, "2026-11-30")

    case = loans.get(case_id)
    assert (case.state, case.executed_amount, case.term_months) == (
        LoanState.GRACE,
        4_000_000,
        60,
    )
    # The history shows every step, newest first.
    titles = [row[1] for row in dialog.history_rows()]
    assert titles == [
        "据置期間に入る",
        "融資実行",
        "保証承諾",
        "保証協会へ",
        "金融機関が受付",
        "あっせん書を交付",
        "区審査を開始",
        "受付（面談済み）",
        "案件を登録",
    ]
    assert dialog.history_rows()[1][2] == "保証承諾 → 融資実行"
    # The schedule: 60 instalments, the first six interest only, the subsidy by 年度.
    assert dialog.schedule_table.rowCount() == 60
    assert dialog.schedule_table.item(0, 0).text() == "1（据置）"
    # 4,000,000 × 1.6 % ÷ 12 = 5,333 a month while nothing is repaid.
    assert dialog.schedule_table.item(0, 4).text() == "5,333"
    years = dialog.years_table
    assert years.item(0, 0).text() == "令和8年度"
    assert years.item(0, 1).text() == format_yen(4 * 5_333)
    assert years.item(years.rowCount() - 1, 0).text() == "合計"


def test_unreadable_input_is_shown_next_to_the_field_and_kept(
    qtbot, window: MainWindow, world: LoanWorld
) -> None:
    dialog = _dialog(qtbot, window, business_id=world.business_id)
    _type(qtbot, dialog.requested_edit, "五百万くらい")
    assert (
        dialog.card_errors["requested_amount"].text()
        == "数字で入力してください（例: 1,000,000 / 500万）。"
    )
    _type(qtbot, dialog.received_edit, "2026-13-01")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert dialog.case is None  # nothing saved ...
    assert dialog.requested_edit.text() == "五百万くらい"  # ... and nothing lost
    assert "日付として読み取れません" in dialog.card_errors["received_on"].text()


def test_eligibility_gaps_need_a_confirmation_and_are_recorded(
    qtbot, window: MainWindow, world: LoanWorld
) -> None:
    loans = window._services.loans
    case_id = _new_case(loans, world)
    _take_to(loans, world, case_id, LoanState.RECEIVED)
    dialog = _dialog(qtbot, window, case_id=case_id)

    form = _open_step(qtbot, dialog, StepName.START_REVIEW)
    _fill(qtbot, form, "2026-11-20", **{**ELIGIBLE, "eligible_taxes_paid": False})
    qtbot.waitUntil(lambda: "法人住民税" in form.warning_label.text())
    qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    assert "チェックを入れてください" in form.error_texts()["step"]
    assert loans.get(case_id).state == LoanState.RECEIVED
    form.confirm_check.click()
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)

    assert loans.get(case_id).eligibility["eligible_taxes_paid"] is False
    assert "未充足: 法人住民税・事業税の完納" in dialog.fact("あっせん要件")
    assert "注意" in dialog.history_rows()[0][5]


@pytest.mark.parametrize(
    ("start", "exit_step", "final"),
    [
        (LoanState.INQUIRY, StepName.WITHDRAW, LoanState.WITHDRAWN),
        (LoanState.WARD_REVIEW, StepName.REFUSE, LoanState.REFUSED_BY_WARD),
        (LoanState.BANK_REVIEW, StepName.DECLINE_BANK, LoanState.DECLINED_BANK),
        (LoanState.CGC_REVIEW, StepName.DECLINE_CGC, LoanState.DECLINED_CGC),
        (LoanState.REFERRAL_ISSUED, StepName.EXPIRE, LoanState.EXPIRED),
    ],
)
def test_each_exit_ends_the_case_from_the_menu(
    qtbot,
    window: MainWindow,
    world: LoanWorld,
    start: LoanState,
    exit_step: StepName,
    final: LoanState,
) -> None:
    loans = window._services.loans
    case_id = _new_case(loans, world)
    _take_to(loans, world, case_id, start)
    dialog = _dialog(qtbot, window, case_id=case_id)
    assert exit_step in dialog.exit_actions and exit_step not in dialog.step_buttons

    form = _open_step(qtbot, dialog, exit_step)
    _type(qtbot, form.date_edit, "2026-11-28")
    if exit_step != StepName.EXPIRE:  # the one exit whose reason is optional
        qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
        assert form.error_texts()["reason"] == "入力してください。"
    _type(qtbot, form.inputs["reason"], "資金需要がなくなった")
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)

    case = loans.get(case_id)
    assert (case.state, case.close_reason) == (final, "資金需要がなくなった")
    assert dialog.state_label.text() == final.label
    assert dialog.step_buttons == {} and dialog.exit_actions == {}
    assert dialog.exit_button.isHidden()
    assert dialog.history_rows()[0][4] == "資金需要がなくなった"


def test_undo_asks_for_a_reason_and_strikes_the_step_through(
    qtbot, window: MainWindow, world: LoanWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    loans = window._services.loans
    case_id = _new_case(loans, world)
    _take_to(loans, world, case_id, LoanState.REFERRAL_ISSUED)
    dialog = _dialog(qtbot, window, case_id=case_id)
    asked: list[str] = []

    def answer(_parent: object, _title: str, label: str, *a: object, **k: object):
        asked.append(label)
        return "あっせん額の入力誤り", True

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(answer))
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)

    assert "「あっせん書を交付」を取り消して" in asked[0]
    case = loans.get(case_id)
    assert case.state == LoanState.WARD_REVIEW and case.referral_amount is None
    newest, undone = dialog.history_rows()[:2]
    assert newest[1:5] == ["取消し", "あっせん書交付 → 区審査", "管理 太郎", "あっせん額の入力誤り"]
    assert undone[1] == "あっせん書を交付（取消済）"
    assert dialog.history_table.item(1, 1).font().strikeOut()
    assert StepName.REFER in dialog.step_buttons  # the step can be taken again


def test_a_step_on_a_case_someone_else_changed_reloads_and_keeps_the_input(
    qtbot, window: MainWindow, world: LoanWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    loans = window._services.loans
    case_id = _new_case(loans, world)
    dialog = _dialog(qtbot, window, case_id=case_id)
    form = _open_step(qtbot, dialog, StepName.WITHDRAW)
    _fill(qtbot, form, "2026-11-28", reason="他行で調達")
    _take_to(loans, world, case_id, LoanState.RECEIVED)  # meanwhile, at another desk
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))

    qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)

    assert "他の人がこのデータを先に更新しました" in shown[0]
    assert dialog.state_label.text() == "受付"  # reloaded
    assert form.isVisible() and form.inputs["reason"].toPlainText() == "他行で調達"
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    assert loans.get(case_id).state == LoanState.WITHDRAWN


def test_a_card_saved_after_someone_else_changed_it_keeps_only_the_users_edits(
    qtbot,
    db: Database,
    window: MainWindow,
    world: LoanWorld,
    admin: Principal,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loans = window._services.loans
    case_id = loans.add(
        LoanCaseInput(
            business_id=world.business_id,
            program_id=world.program_id,
            received_on=OPENED,
            requested_amount=3_000_000,
            purpose="運転資金",
        )
    )
    dialog = _dialog(qtbot, window, case_id=case_id)
    _type(qtbot, dialog.purpose_edit, "私の入力：設備資金の相談")
    other = LoanService(db, admin)  # another desk
    stored = other.get(case_id)
    other.update(
        case_id,
        stored.version,
        LoanCaseInput(
            business_id=stored.business_id,
            program_id=stored.program_id,
            received_on=stored.received_on,
            requested_amount=4_000_000,
            purpose="他の人の変更",
        ),
    )
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))

    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    # The colleague's amount shows; the user's purpose stays, named as changed by both.
    assert "他の人がこのデータを先に更新しました" in shown[0]
    assert "「資金使途」" in shown[0] and "希望額" not in shown[0]
    assert "「資金使途」" in dialog.card_error.text()
    assert dialog.requested_edit.text() == "4,000,000"
    assert dialog.purpose_edit.toPlainText() == "私の入力：設備資金の相談"
    assert dialog.has_changes()
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    case = loans.get(case_id)
    assert (case.requested_amount, case.purpose) == (4_000_000, "私の入力:設備資金の相談")

    # A field only the colleague changed is simply taken over, without naming any field.
    _type(qtbot, dialog.interviewer_edit, "山田 一郎")
    stored = other.get(case_id)
    other.update(
        case_id,
        stored.version,
        LoanCaseInput(
            business_id=stored.business_id,
            program_id=stored.program_id,
            received_on=stored.received_on,
            requested_amount=6_000_000,
            purpose=stored.purpose,
        ),
    )
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert len(shown) == 2 and "他の人も変更" not in shown[1]
    assert dialog.requested_edit.text() == "6,000,000"
    assert dialog.interviewer_edit.text() == "山田 一郎"
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    case = loans.get(case_id)
    assert (case.requested_amount, case.interviewer) == (6_000_000, "山田 一郎")


def test_a_step_the_case_no_longer_allows_reloads_the_case_window(
    qtbot,
    db: Database,
    window: MainWindow,
    world: LoanWorld,
    admin: Principal,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loans = window._services.loans
    case_id = _new_case(loans, world)
    _take_to(loans, world, case_id, LoanState.WARD_REVIEW)
    dialog = _dialog(qtbot, window, case_id=case_id)
    form = _open_step(qtbot, dialog, StepName.REFER)
    _fill(qtbot, form, "2026-11-26", referral_number="R8-001", bank_id="みずほ銀行")
    other = LoanService(db, admin)  # meanwhile, at another desk: back to 受付
    other.undo(case_id, other.get(case_id).version, "区審査の開始を取消し")
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))

    qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)

    assert len(shown) == 1 and "他の人がこの案件を先に更新しました" in shown[0]
    assert "「受付」" in shown[0]
    assert dialog.state_label.text() == "受付"  # reloaded
    assert list(dialog.step_buttons) == [StepName.START_REVIEW]
    assert not form.isVisible()
    assert loans.get(case_id).state == LoanState.RECEIVED


def test_the_bold_step_is_the_way_forward_never_the_hold(
    qtbot, window: MainWindow, world: LoanWorld
) -> None:
    loans = window._services.loans
    case_id = _new_case(loans, world)
    _take_to(loans, world, case_id, LoanState.WARD_REVIEW)
    dialog = _dialog(qtbot, window, case_id=case_id)

    assert list(dialog.step_buttons) == [StepName.REFER, StepName.HOLD]
    assert "bold" in dialog.step_buttons[StepName.REFER].styleSheet()
    assert dialog.step_buttons[StepName.HOLD].styleSheet() == ""


def test_the_new_case_card_shows_each_problem_once_and_warns_above_the_limit(
    qtbot, window: MainWindow, world: LoanWorld
) -> None:
    dialog = _dialog(qtbot, window, business_id=world.business_id)
    assert dialog.overdue_label.isHidden()  # no empty red box on a new case
    dialog.program_combo.setCurrentIndex(dialog.program_combo.findText("営業資金"))

    _type(qtbot, dialog.received_edit, "2026-02-30")
    dialog.received_edit.editingFinished.emit()
    error = dialog.card_errors["received_on"]
    assert "日付として読み取れません" in error.text() and dialog.received_hint.text() == ""
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "日付として読み取れません" in error.text() and dialog.received_hint.text() == ""
    assert dialog.card_error.isHidden()

    _type(qtbot, dialog.received_edit, OPENED.isoformat())
    dialog.received_edit.editingFinished.emit()
    assert error.isHidden() and dialog.received_hint.text() == "令和8年11月16日"
    _type(qtbot, dialog.requested_edit, "3000万")  # the fund's limit is 10,000,000
    assert not dialog.limit_warning.isHidden()
    assert "10,000,000円" in dialog.limit_warning.text()
    assert dialog.card_errors["requested_amount"].isHidden()  # a warning, not an error
    _type(qtbot, dialog.requested_edit, "1000万")
    assert dialog.limit_warning.isHidden()
    _type(qtbot, dialog.requested_edit, "3000万")
    with qtbot.waitSignal(dialog.changed, timeout=3000) as created:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert window._services.loans.get(created.args[0]).requested_amount == 30_000_000


def test_a_startup_case_logs_coaching_interviews(
    qtbot, window: MainWindow, world: LoanWorld
) -> None:
    loans = window._services.loans
    case_id = loans.add(
        LoanCaseInput(
            business_id=world.business_id,
            program_id=world.startup_program_id,
            received_on=OPENED,
        )
    )
    dialog = _dialog(qtbot, window, case_id=case_id)
    _step(qtbot, dialog, StepName.START_COACHING, "2026-11-17", interviewer="山田")
    assert not dialog.interview_button.isHidden()

    qtbot.mouseClick(dialog.interview_button, Qt.MouseButton.LeftButton)
    note = dialog.note_form
    assert note is not None
    _type(qtbot, note.inputs["occurred_on"], "2026-11-18")
    _type(qtbot, note.inputs["notes"], "計画書の売上見込を修正")
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        note.buttons.accepted.emit()

    assert dialog.history_rows()[0][1:3] == ["面談記録", "起業計画指導"]
    _step(qtbot, dialog, StepName.RECEIVE, "2026-11-20")
    assert loans.get(case_id).state == LoanState.RECEIVED


def test_prepayment_and_subsidy_stop_are_recorded_from_the_schedule_tab(
    qtbot, window: MainWindow, world: LoanWorld
) -> None:
    loans = window._services.loans
    case_id = _new_case(loans, world)
    _take_to(loans, world, case_id, LoanState.BANK_REVIEW)
    _advance(
        loans,
        case_id,
        StepInput(
            StepName.EXECUTE,
            date(2026, 11, 30),
            executed_amount=3_000_000,
            term_months=60,
            grace_months=6,
            nominal_rate=Decimal("2.1"),
        ),
    )
    dialog = _dialog(qtbot, window, case_id=case_id)
    dialog.tabs.setCurrentIndex(2)
    assert dialog.schedule_table.item(0, 4).text() == "4,000"  # 3,000,000 × 1.6 % ÷ 12

    qtbot.mouseClick(dialog.prepay_button, Qt.MouseButton.LeftButton)
    note = dialog.note_form
    assert note is not None
    _type(qtbot, note.inputs["occurred_on"], "2026-11-30")
    _type(qtbot, note.inputs["amount"], "５００万")
    note.buttons.accepted.emit()
    assert note.errors["amount"].text() == "残高を超えています。"
    _type(qtbot, note.inputs["amount"], "150万")
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        note.buttons.accepted.emit()
    assert dialog.schedule_table.item(0, 4).text() == "2,000"

    qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    note = dialog.note_form
    assert note is not None
    reason = note.inputs["reason"]
    assert isinstance(reason, QComboBox)
    reason.setCurrentIndex(reason.findText("廃業"))
    _type(qtbot, note.inputs["occurred_on"], "2026-11-30")
    with qtbot.waitSignal(dialog.changed, timeout=3000):
        note.buttons.accepted.emit()

    assert "廃業" in dialog.fact("利子補給の停止")
    assert not dialog.stop_button.isEnabled()
    assert [row[1] for row in dialog.history_rows()[:2]] == ["利子補給を停止", "繰上償還"]


def test_a_consultant_sees_the_case_without_amounts_or_buttons(
    qtbot, db: Database, window: MainWindow, world: LoanWorld, consultant: Principal
) -> None:
    loans = window._services.loans
    case_id = _new_case(loans, world)
    _take_to(loans, world, case_id, LoanState.REFERRAL_ISSUED)
    s = window._services
    own = LoanService(db, consultant)
    dialog = LoanCaseDialog(
        own, s.settings.loan_master, s.businesses, s.reference, consultant, case_id=case_id
    )
    qtbot.addWidget(dialog)

    assert dialog.state_label.text() == "あっせん書交付"
    assert dialog.actions_box.isHidden() and dialog.step_buttons == {}
    assert dialog.save_button.isHidden() and not dialog.requested_edit.isEnabled()
    assert dialog.requested_edit.text() == MASK
    assert dialog.fact("あっせん額") == MASK and dialog.fact("金融機関") == "みずほ銀行"
    assert "権限がない" in dialog.schedule_summary.text()
    assert all("円" not in cell for row in dialog.history_rows() for cell in row)

    page = LoanPipelinePage(
        own, s.settings.loan_master, s.settings.settings, s.reference, consultant
    )
    qtbot.addWidget(page)
    page.select_states(frozenset())
    page.model.fetch_all()
    assert page.model.index(0, 6).data() == MASK
    assert page.new_button.isHidden() and page.forecast_box.isHidden()


def test_the_pipeline_counts_filters_and_flags_overdue_cases(
    qtbot, window: MainWindow, world: LoanWorld
) -> None:
    loans = window._services.loans
    waiting = _new_case(loans, world)
    _take_to(loans, world, waiting, LoanState.WARD_REVIEW)  # since 11/20: over the 7 days
    fresh = _new_case(loans, world)
    window.show_page(window.page_names.index("融資あっせん"))
    page = window.page_named("融資あっせん")
    assert isinstance(page, LoanPipelinePage)
    page.refresh()

    review_row = 2 + list(LoanState).index(LoanState.WARD_REVIEW)
    assert page.state_table.item(review_row, 0).text() == "区審査"
    assert [page.state_table.item(review_row, c).text() for c in (1, 2)] == ["1", "1"]
    assert page.state_table.item(0, 1).text() == "2"  # 手続き中, the default
    page.model.fetch_all()
    assert {page.model.row_at(r).id for r in range(page.model.rowCount())} == {waiting, fresh}

    page.select_states(frozenset({LoanState.WARD_REVIEW}))
    page.model.fetch_all()
    assert [page.model.row_at(r).id for r in range(page.model.rowCount())] == [waiting]
    tip = page.model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert "期限超過" in tip and "区審査" in tip and "7日" in tip
    assert page.model.index(0, 1).data(Qt.ItemDataRole.BackgroundRole) is not None

    page.select_states(frozenset())
    page.overdue_check.setChecked(True)
    page.model.fetch_all()
    assert page.model.rowCount() == 1 and page.count_label.text() == "1 件"
    page.overdue_check.setChecked(False)
    page.bank_combo.setCurrentIndex(page.bank_combo.findText("朝日信用金庫"))
    page.model.fetch_all()
    assert page.model.rowCount() == 0


def test_the_pipeline_refuses_a_period_that_ends_before_it_starts(
    qtbot, window: MainWindow, world: LoanWorld
) -> None:
    loans = window._services.loans
    _new_case(loans, world)
    page = window.page_named("融資あっせん")
    assert isinstance(page, LoanPipelinePage)
    page.refresh()
    assert page.period_error.isHidden()
    before = page.model.query

    _type(qtbot, page.from_edit, "2026-12-01")
    _type(qtbot, page.to_edit, "2026-04-01")
    page.to_edit.editingFinished.emit()

    assert page.period_error.text() == "期間の開始が終了より後です。"
    assert not page.period_error.isHidden()
    assert page.model.query == before  # not asked: the list does not turn into "0 件"
    page.model.fetch_all()
    assert page.model.rowCount() == 1
    _type(qtbot, page.to_edit, "2026-12-31")
    page.to_edit.editingFinished.emit()
    assert page.period_error.isHidden()
    assert page.model.query.received_from == date(2026, 12, 1)


def test_the_pipeline_columns_hold_the_fund_and_bank_names(
    qtbot, window: MainWindow, world: LoanWorld
) -> None:
    page = window.page_named("融資あっせん")
    assert isinstance(page, LoanPipelinePage)
    table = page.table
    metrics = table.fontMetrics()
    for column, names in (
        (2, [page.program_combo.itemText(i) for i in range(1, page.program_combo.count())]),
        (5, [page.bank_combo.itemText(i) for i in range(1, page.bank_combo.count())]),
    ):
        widest = max(metrics.horizontalAdvance(name) for name in names)
        assert table.columnWidth(column) >= widest + 8
    assert not table.horizontalHeader().stretchLastSection()  # 事業者 takes the room


def test_the_pipeline_shows_lead_times_and_the_subsidy_forecast(
    qtbot, window: MainWindow, world: LoanWorld
) -> None:
    loans = window._services.loans
    case_id = _new_case(loans, world)
    _take_to(loans, world, case_id, LoanState.BANK_REVIEW)
    _advance(
        loans,
        case_id,
        StepInput(
            StepName.EXECUTE,
            date(2026, 11, 30),
            executed_amount=3_000_000,
            term_months=60,
            grace_months=6,
            nominal_rate=Decimal("2.1"),
        ),
    )
    page = window.page_named("融資あっせん")
    assert isinstance(page, LoanPipelinePage)
    page.refresh()
    page.lead_period.setCurrentIndex(page.lead_period.findText("すべての期間"))

    # Received (interview) 11/20, referred 11/26 (6 days), executed 11/30 (4 days).
    assert [page.bank_times.item(0, c).text() for c in range(4)] == [
        "みずほ銀行",
        "1",
        "6日",
        "4日",
    ]
    assert page.program_times.item(0, 0).text() == "営業資金"
    year = fiscal_year(japan_today())
    expected = loans.forecast(year)
    assert page.year_combo.currentData() == year
    assert page.forecast_total.text() == f"合計 {format_yen(expected.total)}"


def test_main_window_opens_cases_from_the_page_and_ctrl_n(
    qtbot, window: MainWindow, world: LoanWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    loans = window._services.loans
    case_id = _new_case(loans, world)
    opened: list[LoanCaseDialog] = []
    monkeypatch.setattr(LoanCaseDialog, "exec", lambda self: opened.append(self) or 0)
    window.show()
    with qtbot.waitActive(window):  # shortcuts act in the active window only
        window.activateWindow()
    window.show_page(window.page_names.index("融資あっせん"))
    page = window.page_named("融資あっせん")
    assert isinstance(page, LoanPipelinePage)

    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert opened[-1].case is None  # a new case
    page.refresh()
    page.model.fetch_all()
    page.table.selectRow(0)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert opened[-1].case_id == case_id


def test_the_business_record_lists_loan_cases_and_starts_one(
    qtbot, window: MainWindow, world: LoanWorld
) -> None:
    s = window._services
    case_id = _new_case(s.loans, world, purpose="運転資金")
    _take_to(s.loans, world, case_id, LoanState.RECEIVED)
    record = BusinessRecordDialog(s.businesses, s.timeline, s.principal, world.business_id)
    qtbot.addWidget(record)
    record.show()

    assert record.timeline_table.item(0, 1).text() == "融資あっせん 営業資金（受付）"
    assert record.timeline_table.item(0, 2).text() == "5,000,000円"
    with qtbot.waitSignal(record.open_loan_case) as opened:
        record.timeline_table.cellDoubleClicked.emit(0, 1)
    assert opened.args == [case_id]
    with qtbot.waitSignal(record.new_loan_case) as started:
        qtbot.mouseClick(record.loan_button, Qt.MouseButton.LeftButton)
    assert started.args == [world.business_id]


def test_a_case_and_its_consultation_link_both_ways(
    qtbot, db: Database, window: MainWindow, world: LoanWorld, admin: Principal
) -> None:
    s = window._services
    consultation_id = ConsultationService(db, admin).add(
        ConsultationInput(
            consulted_on=OPENED,
            channel_id=int(ReferenceService(db).channels()[0].id),
            staff_id=admin.staff_id or 0,
            business_id=world.business_id,
            summary="仕入資金の相談",
        )
    )
    consultation = ConsultationDialog(
        s.consultations,
        s.businesses,
        s.reference,
        s.principal,
        s.drafts,
        consultation_id=consultation_id,
        loans=s.loans,
    )
    qtbot.addWidget(consultation)
    consultation.show()
    assert consultation.loan_row.isHidden()  # no case yet
    with qtbot.waitSignal(consultation.new_loan_case) as started:
        qtbot.mouseClick(consultation.loan_button, Qt.MouseButton.LeftButton)
    assert started.args == [world.business_id, consultation_id]

    # The main window answers with a case form that keeps the link.
    dialog = _dialog(qtbot, window, business_id=world.business_id, consultation_id=consultation_id)
    assert not dialog.business_picker.isEnabled()
    with qtbot.waitSignal(dialog.changed, timeout=3000) as created:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    case_id = created.args[0]
    assert s.loans.get(case_id).consultation_id == consultation_id
    assert dialog.consultation_button.text() == "相談記録（令和8年11月16日）を開く"
    with qtbot.waitSignal(dialog.open_consultation) as asked:
        qtbot.mouseClick(dialog.consultation_button, Qt.MouseButton.LeftButton)
    assert asked.args == [consultation_id]

    consultation.refresh_loans()
    assert not consultation.loan_row.isHidden()
    assert consultation.loan_list.item(0).text().startswith("営業資金（相談）")
    with qtbot.waitSignal(consultation.open_loan_case) as opened:
        consultation.loan_list.itemActivated.emit(consultation.loan_list.item(0))
    assert opened.args == [case_id]

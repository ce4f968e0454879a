"""The business form: inline validation, duplicates, conflicts, the unsaved-changes guard."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QLineEdit, QMessageBox, QPlainTextEdit

from consult_desk.db.engine import Database
from consult_desk.db.models import Staff, StaffRole
from consult_desk.domain.businesses import BusinessInput, BusinessQuery, Residence
from consult_desk.domain.permissions import MASK, Principal, Role
from consult_desk.services.businesses import BusinessService
from consult_desk.services.reference import ReferenceService
from consult_desk.ui.dialogs.business_dialog import BusinessDialog, DuplicateDialog
from consult_desk.ui.messages import text_for
from tests.gui.helpers import commit_text

pytestmark = pytest.mark.gui

WRONG_NUMBER = "1180301018772"
RIGHT_NUMBER = "1180301018771"
OTHER_NUMBER = "2010001008824"  # a second valid 法人番号
KANDA_NISHIKICHO = 55  # town id in the reference data (postal code 101-0054)


class Boxes:
    """Answers message boxes without showing them, and records what they said.

    Each answer is a standard button or a button's text; a box nobody expected fails the test.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.asked: list[str] = []
        self.answers: list[QMessageBox.StandardButton | str] = []
        monkeypatch.setattr(QMessageBox, "exec", lambda box: self._exec(box))

    def _exec(self, box: QMessageBox) -> int:
        self.asked.append(box.text())
        assert self.answers, f"unexpected message box: {box.text()}"
        answer = self.answers.pop(0)
        for button in box.buttons():
            if answer in (button.text(), box.standardButton(button)):
                button.click()
                return 0
        raise AssertionError(f"no button {answer!r} in: {box.text()}")


class Duplicates:
    """Answers the duplicate warning with one of its buttons, and records the rows it listed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.shown: list[list[tuple[str, str, str]]] = []
        self.answer: str | None = None  # None: the warning was not expected
        self.continue_enabled: bool | None = None
        monkeypatch.setattr(DuplicateDialog, "exec", lambda dialog: self._exec(dialog))

    def _exec(self, dialog: DuplicateDialog) -> int:
        table = dialog.table

        def cell(row: int, column: int) -> str:
            item = table.item(row, column)
            return item.text() if item is not None else ""

        self.shown.append(
            [(cell(row, 0), cell(row, 1), cell(row, 2)) for row in range(table.rowCount())]
        )
        self.continue_enabled = dialog.continue_button.isEnabled()
        assert self.answer is not None, f"unexpected duplicate warning: {self.shown[-1]}"
        button = {
            b.text(): b for b in (dialog.open_button, dialog.continue_button, dialog.back_button)
        }[self.answer]
        assert button.isEnabled()
        button.click()
        return 0


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> Boxes:
    return Boxes(monkeypatch)


@pytest.fixture(autouse=True)
def duplicates(monkeypatch: pytest.MonkeyPatch) -> Duplicates:
    return Duplicates(monkeypatch)


@pytest.fixture
def businesses(db: Database, admin: Principal) -> BusinessService:
    return BusinessService(db, admin)


@pytest.fixture
def reference(db: Database) -> ReferenceService:
    service = ReferenceService(db)
    assert any(t.id == KANDA_NISHIKICHO and t.name == "神田錦町" for t in service.towns())
    return service


@pytest.fixture
def open_dialog(
    qtbot,
    db: Database,
    businesses: BusinessService,
    reference: ReferenceService,
    admin: Principal,
    boxes: Boxes,
) -> Iterator:
    """Opens the dialog as the administrator (or another principal); nothing blocks."""

    def make(business_id: int | None = None, principal: Principal | None = None) -> BusinessDialog:
        service = businesses if principal is None else BusinessService(db, principal)
        dialog = BusinessDialog(service, reference, principal or admin, business_id)
        # Closing at teardown must not ask about unsaved changes: hide it first.
        qtbot.addWidget(dialog, before_close_func=lambda d: QDialog.done(d, 0))
        dialog.show()
        return dialog

    yield make


def _principal_with(db: Database, role: Role) -> Principal:
    with db.write() as session:
        member = Staff(login=f"{role.value}-user", name=role.label)
        member.roles.append(StaffRole(role=role.value))
        session.add(member)
        session.flush()
        return Principal(member.id, member.login, member.name, frozenset({role}))


def _count(businesses: BusinessService) -> int:
    return businesses.count(BusinessQuery(archived=None))


def _leave(qtbot, edit: QLineEdit) -> None:
    """Finish typing in a field the way a user does (Enter; Tab behaves the same)."""
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def _type(qtbot, edit: QLineEdit, text: str) -> None:
    edit.clear()
    if text.isascii():
        qtbot.keyClicks(edit, text)
    else:
        commit_text(edit, text)
    _leave(qtbot, edit)


def _save(dialog: BusinessDialog) -> None:
    dialog.save_button.click()


def _fill_minimum(qtbot, dialog: BusinessDialog, name: str = "神田青果") -> None:
    commit_text(dialog.name_edit, name)
    commit_text(dialog.kana_edit, "カンダセイカ")


def _existing(businesses: BusinessService, **changes: object) -> int:
    value = BusinessInput(
        name="神田青果",
        name_kana="カンダセイカ",
        corporate_number=RIGHT_NUMBER,
        town_id=KANDA_NISHIKICHO,
        postal_code="1010054",
    )
    return businesses.add(replace(value, **changes))  # type: ignore[arg-type]


# --- registering and reopening ---------------------------------------------------------------


def test_wrong_corporate_number_is_shown_at_the_field_and_nothing_is_saved(
    qtbot, open_dialog, businesses: BusinessService
) -> None:
    dialog = open_dialog()
    _fill_minimum(qtbot, dialog)
    _type(qtbot, dialog.corporate_number_edit, WRONG_NUMBER)

    assert dialog.field_error("corporate_number") == text_for("corporate_number.check_digit")
    with qtbot.assertNotEmitted(dialog.saved):
        _save(dialog)
    assert _count(businesses) == 0
    assert dialog.isVisible()
    assert dialog.focusWidget() is dialog.corporate_number_edit

    dialog.corporate_number_edit.clear()
    qtbot.keyClicks(dialog.corporate_number_edit, RIGHT_NUMBER)
    assert dialog.field_error("corporate_number") == ""  # cleared while typing
    with qtbot.waitSignal(dialog.saved) as saved:
        _save(dialog)

    assert _count(businesses) == 1
    assert businesses.get(saved.args[0]).input.corporate_number == RIGHT_NUMBER
    assert dialog.result() == dialog.DialogCode.Accepted


def test_the_form_has_japanese_buttons_and_titles(open_dialog, businesses) -> None:
    new = open_dialog()
    edit = open_dialog(_existing(businesses))

    assert new.windowTitle() == "事業者の登録"
    assert edit.windowTitle() == "事業者の編集: 神田青果"
    assert (new.save_button.text(), new.cancel_button.text()) == ("保存", "キャンセル")
    assert not new.archive_button.isVisible()
    assert edit.archive_button.text() == "アーカイブ"


def test_a_saved_business_reopens_with_its_values_formatted(
    qtbot, open_dialog, businesses: BusinessService
) -> None:
    dialog = open_dialog()
    _fill_minimum(qtbot, dialog)
    commit_text(dialog.town_edit, "神田錦町")
    _leave(qtbot, dialog.town_edit)
    _type(qtbot, dialog.capital_edit, "10000000")
    _type(qtbot, dialog.employees_edit, "1200")
    _type(qtbot, dialog.founded_on_edit, "2020-04-01")
    _type(qtbot, dialog.in_ward_since_edit, "R3.10.1")
    _type(qtbot, dialog.phone_edit, "03-3264-2111")
    dialog.residence_combo.setCurrentIndex(dialog.residence_combo.findData(Residence.RESIDENT))
    dialog.summary_edit.setPlainText("創業5年目。")

    assert dialog.postal_code_edit.text() == "101-0054"  # filled in from the town
    assert dialog.area_label.text() == "神田地域"
    assert dialog.capital_edit.text() == "10,000,000円"  # shown back once the field is left
    assert dialog.founded_on_edit.text() == "令和2年4月1日"
    with qtbot.waitSignal(dialog.saved) as saved:
        _save(dialog)
    again = open_dialog(saved.args[0])

    assert again.name_edit.text() == "神田青果"
    assert again.kana_edit.text() == "カンダセイカ"
    assert again.town_combo.currentText() == "神田錦町"
    assert again.postal_code_edit.text() == "101-0054"
    assert again.capital_edit.text() == "10,000,000円"
    assert again.employees_edit.text() == "1,200"
    assert again.founded_on_edit.text() == "令和2年4月1日"
    assert again.in_ward_since_edit.text() == "令和3年10月1日"
    assert again.founded_on_hint.text() == "西暦 2020/04/01"
    assert again.phone_edit.text() == "03-3264-2111"
    assert again.residence_combo.currentData() == Residence.RESIDENT
    assert again.summary_edit.toPlainText() == "創業5年目。"
    assert not again.has_changes()


@pytest.mark.parametrize("typed", ["１，０００万", "10,000,000", "１０，０００，０００円"])
def test_capital_accepts_full_width_digits_commas_and_units(
    qtbot, open_dialog, businesses: BusinessService, typed: str
) -> None:
    dialog = open_dialog()
    _fill_minimum(qtbot, dialog)
    _type(qtbot, dialog.capital_edit, typed)

    with qtbot.waitSignal(dialog.saved) as saved:
        _save(dialog)

    assert businesses.get(saved.args[0]).input.capital == 10_000_000


def test_an_impossible_date_is_an_error_at_its_field(
    qtbot, open_dialog, businesses: BusinessService
) -> None:
    dialog = open_dialog()
    _fill_minimum(qtbot, dialog)
    _type(qtbot, dialog.founded_on_edit, "2026-02-31")

    assert dialog.field_error("founded_on") == text_for("date.format")
    assert dialog.founded_on_edit.text() == "2026-02-31"  # left as typed
    _save(dialog)
    assert _count(businesses) == 0
    assert dialog.focusWidget() is dialog.founded_on_edit


def test_errors_appear_once_a_field_is_left_and_all_of_them_on_save(qtbot, open_dialog) -> None:
    dialog = open_dialog()

    assert dialog.field_error("name") == ""  # an empty new form is not shouting yet
    qtbot.keyClicks(dialog.capital_edit, "abc")
    assert dialog.field_error("capital") == ""
    _leave(qtbot, dialog.capital_edit)
    assert dialog.field_error("capital") == text_for("number.format")
    qtbot.keyClicks(dialog.email_edit, "info@example")
    _save(dialog)

    assert dialog.field_error("name") == text_for("required")
    assert dialog.field_error("email") == text_for("email.format")
    assert dialog.focusWidget() is dialog.name_edit  # the first bad field, top to bottom


def test_a_sole_proprietor_has_no_corporate_number(qtbot, open_dialog, businesses) -> None:
    dialog = open_dialog(_existing(businesses))
    assert dialog.field_error("corporate_number") == ""

    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("sole_proprietor"))

    assert dialog.field_error("corporate_number") == text_for("corporate_number.not_for_sole")


def test_postal_code_that_contradicts_the_town_is_flagged(qtbot, open_dialog) -> None:
    dialog = open_dialog()
    _fill_minimum(qtbot, dialog)
    _type(qtbot, dialog.postal_code_edit, "1000001")  # 千代田's code
    commit_text(dialog.town_edit, "神田錦町")
    _leave(qtbot, dialog.town_edit)

    assert dialog.postal_code_edit.text() == "100-0001"  # not overwritten
    assert dialog.field_error("postal_code") == text_for("postal_code.town_mismatch")

    _type(qtbot, dialog.postal_code_edit, "1010054")
    assert dialog.field_error("postal_code") == ""


def test_a_town_not_in_the_list_asks_for_a_choice(qtbot, open_dialog) -> None:
    dialog = open_dialog()
    _fill_minimum(qtbot, dialog)
    commit_text(dialog.town_edit, "神田錦")
    _leave(qtbot, dialog.town_edit)

    assert dialog.field_error("town_id") == text_for("invalid_choice")
    dialog.town_edit.clear()
    assert dialog.field_error("town_id") == ""
    assert dialog.area_combo.isVisible()  # no town: the area is chosen by hand


def test_the_derived_sme_status_follows_the_typing(qtbot, open_dialog) -> None:
    dialog = open_dialog()
    dialog.jsic_combo.setCurrentIndex(dialog.jsic_combo.findData("I"))  # 卸売業，小売業 → 小売業
    assert dialog.sme_status_label.text().startswith("判定不可")

    _type(qtbot, dialog.employees_edit, "3")
    assert dialog.sme_status_label.text().startswith("小規模企業者")
    _type(qtbot, dialog.employees_edit, "60")
    assert dialog.sme_status_label.text().startswith("判定不可")  # capital unknown
    _type(qtbot, dialog.capital_edit, "5000万")
    assert dialog.sme_status_label.text().startswith("中小企業者（")
    dialog.sme_category_combo.setCurrentIndex(dialog.sme_category_combo.findData("卸売業"))
    assert "卸売業" in dialog.sme_status_label.text()


def test_a_category_equal_to_the_default_reopens_as_automatic(
    qtbot, open_dialog, businesses: BusinessService
) -> None:
    business_id = _existing(businesses, jsic_major="G", sme_category="製造業その他")
    other_id = _existing(
        businesses, name="秋葉原電機", corporate_number=OTHER_NUMBER, jsic_major="I"
    )

    explicit = open_dialog(business_id)
    automatic = open_dialog(other_id)

    assert explicit.sme_category_combo.currentData() == "製造業その他"
    assert automatic.sme_category_combo.currentData() is None
    assert automatic.sme_category_combo.currentText() == "業種から自動"


# --- keyboard ---------------------------------------------------------------------------------


def test_enter_in_a_field_moves_on_and_does_not_close(
    qtbot, open_dialog, businesses: BusinessService
) -> None:
    dialog = open_dialog()
    with qtbot.waitActive(dialog):
        dialog.activateWindow()  # shortcuts act in the active window only
    _fill_minimum(qtbot, dialog)
    dialog.name_edit.setFocus()

    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)

    assert dialog.isVisible()
    assert _count(businesses) == 0
    assert dialog.focusWidget() is dialog.kana_edit


def test_ctrl_s_saves(qtbot, open_dialog, businesses: BusinessService) -> None:
    dialog = open_dialog()
    with qtbot.waitActive(dialog):
        dialog.activateWindow()  # shortcuts act in the active window only
    _fill_minimum(qtbot, dialog)

    with qtbot.waitSignal(dialog.saved):
        qtbot.keyClick(dialog.kana_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    assert _count(businesses) == 1


def test_tab_order_runs_top_to_bottom(qtbot, open_dialog) -> None:
    dialog = open_dialog()
    with qtbot.waitActive(dialog):
        dialog.activateWindow()
    dialog.kind_combo.setFocus()
    order = [dialog.focusWidget()]
    for _ in range(24):
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
        order.append(dialog.focusWidget())

    assert order == [
        dialog.kind_combo,
        dialog.name_edit,
        dialog.kana_edit,
        dialog.corporate_number_edit,
        dialog.postal_code_edit,
        dialog.town_combo,
        dialog.area_combo,  # no town chosen yet
        dialog.address_edit,
        dialog.phone_edit,
        dialog.email_edit,
        dialog.representative_name_edit,
        dialog.residence_combo,
        dialog.representative_address_edit,
        dialog.representative_phone_edit,
        dialog.jsic_combo,  # then the right-hand column
        dialog.sme_category_combo,
        dialog.capital_edit,
        dialog.employees_edit,
        dialog.founded_on_edit,
        dialog.in_ward_since_edit,
        dialog.chokai_edit,
        dialog.street_combo,
        dialog.summary_edit,
        dialog.save_button,
        dialog.cancel_button,
    ]


# --- duplicates -------------------------------------------------------------------------------


def test_same_corporate_number_offers_the_existing_business(
    qtbot, open_dialog, businesses: BusinessService, duplicates: Duplicates
) -> None:
    existing = _existing(businesses)
    dialog = open_dialog()
    commit_text(dialog.name_edit, "株式会社カンダ")
    _type(qtbot, dialog.corporate_number_edit, RIGHT_NUMBER)

    duplicates.answer = "既存の事業者を開く"
    with qtbot.waitSignal(dialog.open_requested) as requested:
        _save(dialog)

    assert requested.args == [existing]
    assert duplicates.shown == [[("神田青果", "神田錦町", "法人番号が同じ")]]
    assert duplicates.continue_enabled is False  # the database would refuse a second one
    assert not dialog.isVisible()
    assert _count(businesses) == 1


def test_same_name_in_the_same_town_can_be_registered_anyway(
    qtbot, open_dialog, businesses: BusinessService, duplicates: Duplicates
) -> None:
    _existing(businesses, corporate_number="")
    dialog = open_dialog()
    commit_text(dialog.name_edit, "神田 青果")  # the same once normalised
    commit_text(dialog.town_edit, "神田錦町")
    _leave(qtbot, dialog.town_edit)

    duplicates.answer = "戻る"
    _save(dialog)
    assert dialog.isVisible() and _count(businesses) == 1
    assert duplicates.shown[-1] == [("神田青果", "神田錦町", "同じ町名に同じ名前")]

    duplicates.answer = "このまま登録"
    with qtbot.waitSignal(dialog.saved):
        _save(dialog)
    assert _count(businesses) == 2


def test_the_same_name_in_another_town_is_no_duplicate(
    qtbot, open_dialog, businesses: BusinessService, duplicates: Duplicates
) -> None:
    _existing(businesses, corporate_number="")
    dialog = open_dialog()
    commit_text(dialog.name_edit, "神田青果")
    commit_text(dialog.town_edit, "神田小川町")
    _leave(qtbot, dialog.town_edit)

    with qtbot.waitSignal(dialog.saved):
        _save(dialog)

    assert duplicates.shown == []


def test_an_error_the_service_finds_is_shown_at_its_field(
    qtbot, open_dialog, businesses: BusinessService, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = open_dialog()
    commit_text(dialog.name_edit, "株式会社カンダ")
    _type(qtbot, dialog.corporate_number_edit, RIGHT_NUMBER)
    check = businesses.find_duplicates

    def someone_registers_it_meanwhile(value: BusinessInput, exclude_id: int | None = None):
        found = check(value, exclude_id)
        _existing(businesses)  # after the duplicate check, before the save
        return found

    monkeypatch.setattr(businesses, "find_duplicates", someone_registers_it_meanwhile)

    with qtbot.assertNotEmitted(dialog.saved):
        _save(dialog)

    assert dialog.field_error("corporate_number") == text_for("duplicate")
    assert dialog.focusWidget() is dialog.corporate_number_edit
    assert _count(businesses) == 1
    qtbot.keyClicks(dialog.corporate_number_edit, "0")
    assert dialog.field_error("corporate_number") != text_for("duplicate")  # edited: gone


# --- concurrent edits -------------------------------------------------------------------------


def test_a_concurrent_edit_is_a_conflict_and_the_typed_input_stays(
    qtbot, open_dialog, businesses: BusinessService, boxes: Boxes
) -> None:
    business_id = _existing(businesses)
    dialog = open_dialog(business_id)
    meanwhile = businesses.get(business_id)
    businesses.update(
        business_id, meanwhile.version, replace(meanwhile.input, phone="03-1111-2222")
    )
    _type(qtbot, dialog.phone_edit, "03-9999-0000")

    boxes.answers = ["編集を続ける"]
    with qtbot.assertNotEmitted(dialog.saved):
        _save(dialog)

    assert boxes.asked == [text_for("conflict")]
    assert dialog.isVisible()
    assert dialog.phone_edit.text() == "03-9999-0000"
    assert dialog.conflict_bar.isVisible()
    assert businesses.get(business_id).input.phone == "03-1111-2222"

    boxes.answers = ["最新の内容を読み込む"]  # saving again conflicts again, until reloaded
    _save(dialog)
    assert len(boxes.asked) == 2
    assert dialog.phone_edit.text() == "03-1111-2222"
    assert not dialog.conflict_bar.isVisible()

    _type(qtbot, dialog.phone_edit, "03-9999-0000")
    with qtbot.waitSignal(dialog.saved):
        _save(dialog)
    assert businesses.get(business_id).input.phone == "03-9999-0000"


def test_archive_and_restore_from_the_form(qtbot, open_dialog, businesses: BusinessService) -> None:
    business_id = _existing(businesses)
    dialog = open_dialog(business_id)
    _type(qtbot, dialog.phone_edit, "03-5555-0000")

    with qtbot.waitSignal(dialog.saved):
        dialog.archive_button.click()

    assert businesses.get(business_id).archived
    assert dialog.archive_button.text() == "アーカイブ解除"
    assert dialog.archived_banner.isVisible()
    assert dialog.phone_edit.text() == "03-5555-0000"  # typed input kept
    with qtbot.waitSignal(dialog.saved):  # our own archiving is no conflict
        _save(dialog)
    assert businesses.get(business_id).input.phone == "03-5555-0000"

    restore = open_dialog(business_id)
    restore.archive_button.click()
    assert not businesses.get(business_id).archived
    assert restore.archive_button.text() == "アーカイブ"


# --- the unsaved-changes guard ----------------------------------------------------------------


def test_closing_with_changes_asks_and_cancel_keeps_the_form(
    qtbot, open_dialog, businesses: BusinessService, boxes: Boxes
) -> None:
    dialog = open_dialog()
    _fill_minimum(qtbot, dialog)

    boxes.answers = [QMessageBox.StandardButton.Cancel]
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert boxes.asked == ["変更を保存しますか？"]
    assert dialog.isVisible()
    assert dialog.name_edit.text() == "神田青果"

    boxes.answers = [QMessageBox.StandardButton.Discard]
    dialog.cancel_button.click()
    assert not dialog.isVisible()
    assert _count(businesses) == 0


def test_the_window_close_button_asks_too_and_save_saves(
    qtbot, open_dialog, businesses: BusinessService, boxes: Boxes
) -> None:
    dialog = open_dialog()
    _fill_minimum(qtbot, dialog)

    boxes.answers = [QMessageBox.StandardButton.Save]
    with qtbot.waitSignal(dialog.saved):
        dialog.close()

    assert boxes.asked == ["変更を保存しますか？"]
    assert not dialog.isVisible()
    assert _count(businesses) == 1


def test_no_question_when_nothing_changed(
    qtbot, open_dialog, businesses: BusinessService, boxes: Boxes
) -> None:
    dialog = open_dialog(_existing(businesses, capital=10_000_000, founded_on=date(2020, 4, 1)))
    _leave(qtbot, dialog.capital_edit)  # visiting fields changes nothing
    _leave(qtbot, dialog.founded_on_edit)

    assert not dialog.has_changes()
    dialog.cancel_button.click()

    assert boxes.asked == []  # Boxes fails the test on any unexpected box
    assert not dialog.isVisible()


def test_the_same_value_typed_differently_is_no_change(qtbot, open_dialog, businesses) -> None:
    dialog = open_dialog(_existing(businesses, capital=10_000_000))

    _type(qtbot, dialog.capital_edit, "１，０００万")

    assert not dialog.has_changes()
    _type(qtbot, dialog.capital_edit, "１，００１万")
    assert dialog.has_changes()


# --- who may see and change what ----------------------------------------------------------------


def test_an_auditor_gets_a_read_only_form(
    qtbot, open_dialog, db: Database, businesses: BusinessService, boxes: Boxes
) -> None:
    business_id = _existing(businesses)
    auditor = _principal_with(db, Role.AUDITOR)

    dialog = open_dialog(business_id, auditor)

    assert dialog.read_only
    assert dialog.windowTitle() == "事業者の詳細（閲覧のみ）: 神田青果"
    for widget in (dialog.name_edit, dialog.capital_edit, dialog.summary_edit):
        assert isinstance(widget, QLineEdit | QPlainTextEdit) and widget.isReadOnly()
    for combo in (dialog.kind_combo, dialog.town_combo, dialog.jsic_combo):
        assert isinstance(combo, QComboBox) and not combo.isEnabled()
    assert not dialog.save_button.isVisible()
    assert not dialog.archive_button.isEnabled()
    assert dialog.cancel_button.text() == "閉じる"
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    dialog.cancel_button.click()
    assert boxes.asked == [] and not dialog.isVisible()


def test_masked_personal_data_is_not_overwritten(
    qtbot, open_dialog, db: Database, businesses: BusinessService
) -> None:
    business_id = _existing(
        businesses, representative_address="東京都杉並区1-2-3", representative_phone="090-1234-5678"
    )
    consultant = _principal_with(db, Role.CONSULTANT)
    dialog = open_dialog(business_id, consultant)

    assert dialog.representative_address_edit.text() == MASK
    assert dialog.representative_address_edit.isReadOnly()
    assert dialog.representative_phone_edit.text() == MASK
    _type(qtbot, dialog.phone_edit, "03-3264-0000")
    with qtbot.waitSignal(dialog.saved):
        _save(dialog)

    stored = businesses.get(business_id).input  # the administrator sees personal data
    assert stored.phone == "03-3264-0000"
    assert stored.representative_address == "東京都杉並区1-2-3"
    assert stored.representative_phone == "090-1234-5678"


def test_an_administrator_edits_personal_data(qtbot, open_dialog, businesses) -> None:
    dialog = open_dialog()
    _fill_minimum(qtbot, dialog)
    assert not dialog.representative_address_edit.isReadOnly()
    commit_text(dialog.representative_address_edit, "東京都千代田区九段南1-2-1")

    with qtbot.waitSignal(dialog.saved) as saved:
        _save(dialog)

    assert businesses.get(saved.args[0]).input.representative_address == "東京都千代田区九段南1-2-1"

"""商店街支援 driven like the desk uses it: the association list and its record, the association
form (法人番号 rules, member counts), support records and events with their inline checks, the
unsaved-changes guard, and a read-only role that sees no edit buttons."""

from dataclasses import replace
from pathlib import Path

import pytest

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QPlainTextEdit, QWidget

from consult_desk import app as app_module
from consult_desk.db.engine import Database
from consult_desk.db.models import Staff, StaffRole
from consult_desk.domain.businesses import BusinessInput
from consult_desk.domain.permissions import Principal, Role
from consult_desk.domain.streets import AssociationQuery, LegalForm, SupportKindCode
from consult_desk.services.businesses import BusinessService
from consult_desk.services.reference import ReferenceService
from consult_desk.services.streets import StreetService
from consult_desk.ui.dialogs.association_dialog import AssociationDialog
from consult_desk.ui.dialogs.association_record import AssociationRecordDialog
from consult_desk.ui.dialogs.business_dialog import BusinessDialog
from consult_desk.ui.dialogs.street_event_dialog import EventDialog
from consult_desk.ui.dialogs.street_support_dialog import SupportDialog
from consult_desk.ui.drafts import DraftStore
from consult_desk.ui.main_window import MainWindow
from tests.gui.helpers import commit_text
from tests.street_setup import StreetWorld, make_street_world

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
def loan_officer(db: Database) -> Principal:
    return _staff(db, "ito", "伊藤 融資", Role.LOAN_OFFICER)


@pytest.fixture
def world(db: Database, consultant: Principal) -> StreetWorld:
    return make_street_world(db, consultant)


@pytest.fixture
def window(qtbot, db: Database, consultant: Principal, world: StreetWorld, tmp_path: Path):
    window = app_module.build_window(db, consultant, DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window)
    window.show()
    window.show_page(window.page_names.index("商店街支援"))
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


def _leave(widget: QLineEdit) -> None:
    widget.editingFinished.emit()  # what Tab to the next field does


def _names(model: QAbstractItemModel) -> list[str]:
    return [model.index(r, 0).data() for r in range(model.rowCount())]


# --- the list and the record ----------------------------------------------------------------


def test_the_association_list_filters_and_opens_the_record(
    qtbot, window: MainWindow, world: StreetWorld
) -> None:
    page = window.streets_page
    model = page.association_model
    qtbot.waitUntil(lambda: model.rowCount() == 2)
    assert _names(model) == ["神田すずらん通り商店街振興組合", "麹町大通り商店会"]  # by reading
    assert page.association_count.text() == "2 件"
    assert model.index(0, 5).data() == "87人（正75・賛12）R8年度"  # the latest 年度's counts

    page.legal_combo.setCurrentIndex(page.legal_combo.findData(LegalForm.VOLUNTARY.value))
    qtbot.waitUntil(lambda: _names(model) == ["麹町大通り商店会"])
    page.legal_combo.setCurrentIndex(0)
    commit_text(page.search_edit, "すずらん")
    qtbot.waitUntil(lambda: _names(model) == ["神田すずらん通り商店街振興組合"])

    page.association_table.selectRow(0)
    qtbot.keyClick(page.association_table, Qt.Key.Key_Return)
    record = window.street_desk.records[world.association_id]
    assert record.isVisible()
    assert record.windowTitle() == "商店街カルテ: 神田すずらん通り商店街振興組合"
    assert [row[1:3] for row in record.timeline_rows()] == [
        ["イベント", "すずらんまつり（祭り）"],
        ["支援", "イベント開催支援: すずらんまつりの開催相談"],
    ]
    assert record.members_table.item(0, 3).text() == "87"


def test_ctrl_n_on_the_page_makes_a_record_of_the_tab_shown(
    qtbot, window: MainWindow, world: StreetWorld
) -> None:
    with qtbot.waitActive(window):
        window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(window.street_desk.last_dialog, AssociationDialog)
    window.street_desk.last_dialog.reject()

    window.streets_page.tabs.setCurrentIndex(1)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = window.street_desk.last_dialog
    assert isinstance(form, SupportDialog)
    assert not form.association_combo.isHidden()  # from the list: the street is chosen here


def test_timeline_entries_open_their_records(
    qtbot, db: Database, consultant: Principal, world: StreetWorld
) -> None:
    record = AssociationRecordDialog(
        StreetService(db, consultant), consultant, world.association_id
    )
    qtbot.addWidget(record)
    with qtbot.waitSignal(record.open_event) as opened:
        record.timeline_table.cellDoubleClicked.emit(0, 1)
    assert opened.args == [world.event_id]
    with qtbot.waitSignal(record.open_support) as opened:
        record.timeline_table.cellDoubleClicked.emit(1, 1)
    assert opened.args == [world.support_id]


# --- the association form -------------------------------------------------------------------


def _association_dialog(qtbot, db: Database, principal: Principal, **kwargs: object):
    dialog = AssociationDialog(
        StreetService(db, principal),
        ReferenceService(db),
        principal,
        **kwargs,  # type: ignore[arg-type]
    )
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_a_wrong_corporate_number_is_refused_next_to_the_field(
    qtbot, db: Database, consultant: Principal, world: StreetWorld
) -> None:
    streets = StreetService(db, consultant)
    dialog = _association_dialog(qtbot, db, consultant)
    _type(qtbot, dialog.name_edit, "神田駅西口商店街振興組合")
    _type(qtbot, dialog.corporate_number_edit, "1000012050002")  # the check digit should be 7
    _leave(dialog.corporate_number_edit)

    assert "検査用数字" in dialog.field_error("corporate_number")
    assert not dialog.save()
    assert streets.count(AssociationQuery()) == 2  # nothing saved
    assert dialog.name_edit.text() == "神田駅西口商店街振興組合"  # nothing lost

    _type(qtbot, dialog.corporate_number_edit, "７０００－０１２０－５０００２")  # full width
    assert dialog.field_error("corporate_number") == ""
    assert not dialog.save()  # the street of the world holds this number already
    assert "同じ法人番号の商店街" in dialog.field_error("corporate_number")


def test_a_voluntary_association_has_no_corporate_number(
    qtbot, db: Database, consultant: Principal, world: StreetWorld
) -> None:
    dialog = _association_dialog(qtbot, db, consultant)
    _type(qtbot, dialog.name_edit, "神田小川町商店会")
    _type(qtbot, dialog.corporate_number_edit, "7000012050002")
    dialog.legal_combo.setCurrentIndex(dialog.legal_combo.findData(LegalForm.VOLUNTARY.value))

    assert not dialog.corporate_number_edit.isEnabled()
    assert not dialog.incorporated_edit.isEnabled()
    assert "保存すると消去されます" in dialog.corporate_hint.text()
    for row in range(dialog.town_list.count()):
        item = dialog.town_list.item(row)
        if item.text() == "神田小川町":
            item.setCheckState(Qt.CheckState.Checked)
    assert dialog.area_hint.text() == "→ 神田地域"  # from the town
    with qtbot.waitSignal(dialog.saved) as saved:
        assert dialog.save()

    association = StreetService(db, consultant).get(saved.args[0])
    assert association.input.corporate_number == "" and association.area == "神田地域"
    assert association.town_names == ("神田小川町",)


def test_member_counts_are_added_and_corrected_with_the_association(
    qtbot, db: Database, consultant: Principal, world: StreetWorld
) -> None:
    streets = StreetService(db, consultant)
    dialog = _association_dialog(qtbot, db, consultant, association_id=world.association_id)
    assert dialog.members_table.rowCount() == 2
    row = dialog.add_year()
    assert dialog.member_rows()[row].fiscal_year == 2027
    dialog.members_table.item(row, 1).setText("８０")  # full-width digits
    dialog.members_table.item(row, 2).setText("-3")
    assert "0以上" in dialog.field_error("memberships")
    assert not dialog.save()
    assert [m.fiscal_year for m in streets.memberships(world.association_id)] == [2026, 2025]

    dialog.members_table.item(row, 2).setText("11")
    assert dialog.members_table.item(row, 3).text() == "91"
    dialog.members_table.item(1, 1).setText("78")  # correct 2025 (the older line)
    with qtbot.waitSignal(dialog.saved):
        assert dialog.save()

    counts = {
        m.fiscal_year: (m.full_members, m.supporting_members)
        for m in streets.memberships(world.association_id)
    }
    assert counts == {2027: (80, 11), 2026: (75, 12), 2025: (78, 10)}


def test_closing_with_changes_asks_and_cancel_keeps_the_form(
    qtbot, db: Database, consultant: Principal, world: StreetWorld, monkeypatch
) -> None:
    dialog = _association_dialog(qtbot, db, consultant, association_id=world.association_id)
    _type(qtbot, dialog.representative_edit, "鈴木 次郎")
    asked: list[str] = []

    def cancel(*args: object, **kwargs: object) -> QMessageBox.StandardButton:
        asked.append(str(args[2]))
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", staticmethod(cancel))
    dialog.reject()
    assert asked and "保存されていません" in asked[0]
    assert dialog.isVisible() and dialog.representative_edit.text() == "鈴木 次郎"

    monkeypatch.setattr(
        QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Save)
    )
    dialog.reject()
    assert not dialog.isVisible()
    assert StreetService(db, consultant).get(world.association_id).input.representative_name == (
        "鈴木 次郎"
    )


# --- support records and events --------------------------------------------------------------


def test_the_initiative_follows_the_kind_and_university_fields_only_for_that_kind(
    qtbot, db: Database, consultant: Principal, world: StreetWorld
) -> None:
    streets = StreetService(db, consultant)
    reference = ReferenceService(db)
    dialog = SupportDialog(streets, reference, consultant, association_id=world.association_id)
    qtbot.addWidget(dialog)
    dialog.show()
    kinds = dialog.kind_combo

    kinds.setCurrentIndex(kinds.findData(world.kind_ids[SupportKindCode.UNIVERSITY]))
    assert dialog.initiative_combo.currentText().startswith("2-2-3")
    assert not dialog.university_box.isHidden()
    kinds.setCurrentIndex(kinds.findData(world.kind_ids[SupportKindCode.ORGANISATION]))
    assert dialog.initiative_combo.currentText().startswith("2-1-1")
    assert dialog.university_box.isHidden()
    assert "組織強化" in dialog.initiative_hint.text()

    kinds.setCurrentIndex(kinds.findData(world.kind_ids[SupportKindCode.UNIVERSITY]))
    _type(qtbot, dialog.title_edit, "空き店舗調査の打合せ")
    _type(qtbot, dialog.university_edit, "法政大学")
    _type(qtbot, dialog.students_edit, "１２")
    _type(qtbot, dialog.date_edit, "2026-06-03")
    with qtbot.waitSignal(dialog.saved) as saved:
        assert dialog.save()
    support = streets.get_support(saved.args[0])
    assert (support.initiative_code, support.input.university, support.input.student_count) == (
        "2-2-3",
        "法政大学",
        12,
    )
    assert support.staff_name == "加藤 一"  # the signed-in member of staff


def test_an_event_ending_before_it_starts_is_refused_and_the_form_keeps_everything(
    qtbot, db: Database, consultant: Principal, world: StreetWorld
) -> None:
    streets = StreetService(db, consultant)
    dialog = EventDialog(streets, consultant, association_id=world.association_id)
    qtbot.addWidget(dialog)
    dialog.show()
    _type(qtbot, dialog.name_edit, "夏の夜市")
    dialog.type_combo.setEditText("夜市")  # not one of the suggestions: accepted as typed
    _type(qtbot, dialog.starts_edit, "2026-07-25")
    _type(qtbot, dialog.ends_edit, "2026-07-24")
    assert dialog.field_error("ends_on") == "終了日が開始日より前です。"  # at once, while typing
    _type(qtbot, dialog.budget_edit, "５０万")
    assert dialog.budget_edit.hint.text() == "= 500,000円"
    _type(qtbot, dialog.visitors_edit, "-200")
    assert dialog.field_error("visitors") == "0以上の数を入力してください。"
    dialog.partner_checks[0].setChecked(True)  # 町会
    _type(qtbot, dialog.partners_edit, "法政大学、地元NPO")

    assert not dialog.save()
    assert len(streets.events(world.association_id)) == 1  # nothing saved
    assert (dialog.name_edit.text(), dialog.ends_edit.text(), dialog.budget_edit.text()) == (
        "夏の夜市",
        "2026-07-24",
        "５０万",
    )

    _type(qtbot, dialog.ends_edit, "R8.7.26")
    _type(qtbot, dialog.visitors_edit, "３千")
    with qtbot.waitSignal(dialog.saved) as saved:
        assert dialog.save()
    event = streets.get_event(saved.args[0])
    assert (event.input.ends_on.isoformat(), event.input.budget, event.input.visitors) == (
        "2026-07-26",
        500_000,
        3_000,
    )
    assert event.input.partners == "町会\n法政大学\n地元NPO"
    assert event.input.event_type == "夜市"


def test_an_existing_event_shows_its_partners_and_support(
    qtbot, db: Database, consultant: Principal, world: StreetWorld
) -> None:
    dialog = EventDialog(StreetService(db, consultant), consultant, event_id=world.event_id)
    qtbot.addWidget(dialog)
    checked = [c.text() for c in dialog.partner_checks if c.isChecked()]
    assert checked == ["町会", "大学"]
    assert dialog.support_combo.currentData() == world.support_id
    assert not dialog.has_changes()


# --- the business form's 商店街 ----------------------------------------------------------


def test_the_business_form_picks_its_shopping_street(
    qtbot, db: Database, consultant: Principal, world: StreetWorld
) -> None:
    businesses = BusinessService(db, consultant)
    business_id = businesses.add(
        BusinessInput(name="神保町書房", name_kana="ジンボウチョウショボウ")
    )
    reference = ReferenceService(db)
    dialog = BusinessDialog(businesses, reference, consultant, business_id=business_id)
    qtbot.addWidget(dialog)
    combo = dialog.street_combo
    assert combo.itemText(0) == "（なし）" and combo.count() == 3  # both active streets

    combo.setCurrentIndex(combo.findData(world.association_id))
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()

    business = businesses.get(business_id)
    assert business.input.street_association_id == world.association_id
    assert business.street_association_name == "神田すずらん通り商店街振興組合"


# --- roles ---------------------------------------------------------------------------------


def test_a_read_only_role_sees_no_edit_buttons(
    qtbot, db: Database, loan_officer: Principal, world: StreetWorld, tmp_path: Path
) -> None:
    window = app_module.build_window(db, loan_officer, DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window)
    page = window.streets_page
    assert page.new_association_button.isHidden()
    assert page.new_support_button.isHidden()
    assert page.new_subsidy_button.isHidden()
    page.new_for_tab()  # Ctrl+N does nothing either
    assert window.street_desk.last_dialog is None

    window.street_desk.open_association(world.association_id)
    record = window.street_desk.records[world.association_id]
    for button in (
        record.support_button,
        record.event_button,
        record.subsidy_button,
        record.edit_button,
    ):
        assert button.isHidden()

    window.street_desk.open_event(world.event_id)
    form = window.street_desk.last_dialog
    assert isinstance(form, EventDialog)
    assert form.save_button.isHidden() and form.name_edit.isReadOnly()
    assert not form.partner_checks[0].isEnabled()
    form.reject()
    window.street_desk.edit_association(world.association_id)
    form = window.street_desk.last_dialog
    assert isinstance(form, AssociationDialog)
    assert form.save_button.isHidden() and form.archive_button.isHidden()
    assert form.windowTitle().startswith("商店街の詳細（閲覧のみ）")


def test_a_save_after_someone_else_changed_the_event_keeps_the_input(
    qtbot, db: Database, consultant: Principal, world: StreetWorld, monkeypatch
) -> None:
    streets = StreetService(db, consultant)
    dialog = EventDialog(streets, consultant, event_id=world.event_id)
    qtbot.addWidget(dialog)
    dialog.show()
    _type(qtbot, dialog.visitors_edit, "32,000")
    event = streets.get_event(world.event_id)  # meanwhile, at another desk
    streets.update_event(
        event.id,
        event.version,
        replace(event.input, place="神保町交差点"),
    )
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))

    assert not dialog.save()
    assert "他の人がこのデータを先に更新しました" in shown[0]
    assert not dialog.conflict_bar.isHidden()
    assert dialog.visitors_edit.text() == "32,000"  # kept
    dialog.reload_button.click()  # the user chooses to read the other version
    assert dialog.place_edit.text() == "神保町交差点" and dialog.visitors_edit.text() == "30,000"
    assert dialog.conflict_bar.isHidden()


def test_a_reversed_period_on_the_support_list_says_so(
    qtbot, window: MainWindow, world: StreetWorld
) -> None:
    page = window.streets_page
    page.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: page.support_model.rowCount() == 1)
    _type(qtbot, page.from_edit, "2026-05-01")
    page.from_edit.editingFinished.emit()
    qtbot.waitUntil(lambda: page.support_model.rowCount() == 0)  # the April record drops out
    _type(qtbot, page.to_edit, "R8.4.1")
    page.to_edit.editingFinished.emit()
    assert page.period_error.text() == "期間の終わりが始まりより前です。"
    assert page.support_count.text() == "0 件"


def test_an_administrator_adds_a_support_kind_from_the_form(
    qtbot, db: Database, admin: Principal, world: StreetWorld, monkeypatch
) -> None:
    streets = StreetService(db, admin)
    dialog = SupportDialog(
        streets, ReferenceService(db), admin, association_id=world.association_id
    )
    qtbot.addWidget(dialog)
    assert not dialog.add_kind_button.isHidden()
    initiative = dialog.initiative_combo
    initiative.setCurrentIndex(initiative.findText("2-2-2", Qt.MatchFlag.MatchStartsWith))
    monkeypatch.setattr(
        QInputDialog, "getText", staticmethod(lambda *a, **k: ("空き店舗活用支援", True))
    )

    kind_id = dialog.add_kind()

    assert dialog.kind_combo.currentData() == kind_id
    assert dialog.kind_combo.currentText() == "空き店舗活用支援"
    assert dialog.initiative_combo.currentText().startswith("2-2-2")  # the new kind's own
    kind = next(k for k in streets.support_kinds() if k.id == kind_id)
    assert kind.initiative_code == "2-2-2"


def test_archiving_a_street_stops_new_records_from_its_record(
    qtbot, db: Database, consultant: Principal, world: StreetWorld
) -> None:
    streets = StreetService(db, consultant)
    dialog = _association_dialog(qtbot, db, consultant, association_id=world.voluntary_id)
    with qtbot.waitSignal(dialog.saved):
        dialog.archive_button.click()
    assert streets.get(world.voluntary_id).archived
    assert not dialog.archived_banner.isHidden()
    assert dialog.archive_button.text() == "アーカイブ解除"

    record = AssociationRecordDialog(streets, consultant, world.voluntary_id)
    qtbot.addWidget(record)
    assert not record.archived_banner.isHidden()
    assert not record.event_button.isEnabled() and not record.support_button.isEnabled()

"""設定 › 補助金制度 driven like a user: programs and their dated rate / cap rules, typed the
Japanese way, with inline errors that keep the input and a read-only view for the other roles."""

from collections.abc import Callable
from datetime import date
from typing import TypeVar

import pytest

from PySide6.QtWidgets import QDialog, QLineEdit, QMessageBox

from consult_desk import app as app_module
from consult_desk.db.engine import Database
from consult_desk.domain.permissions import PermissionDenied, Principal, Role
from consult_desk.domain.subsidies import ProgramInput, SubsidyTarget
from consult_desk.services.reference import ReferenceService
from consult_desk.services.subsidies import SubsidyService
from consult_desk.ui.messages import text_for
from consult_desk.ui.pages.subsidy_master import (
    ProgramDialog,
    SubsidyProgramsTab,
    TermsDialog,
    parse_fraction,
)
from tests.gui.helpers import commit_text
from tests.subsidy_setup import SubsidyWorld, make_subsidy_world

pytestmark = pytest.mark.gui
D = TypeVar("D", bound=QDialog)


@pytest.fixture
def world(db: Database) -> SubsidyWorld:
    return make_subsidy_world(db)


@pytest.fixture
def service(db: Database, admin: Principal, world: SubsidyWorld) -> SubsidyService:
    return SubsidyService(db, admin)


def replace_text(edit: QLineEdit, text: str) -> None:
    edit.clear()
    commit_text(edit, text)


def answer_dialogs(
    monkeypatch: pytest.MonkeyPatch, cls: type[D], fill: Callable[[D], None]
) -> list[D]:
    """Instead of waiting modally, each dialog the tab opens is filled in by ``fill``."""
    opened: list[D] = []

    def run(dialog: D) -> int:
        opened.append(dialog)
        fill(dialog)
        return dialog.result()

    monkeypatch.setattr(cls, "exec", run)
    return opened


def cells(table, row: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [table.item(row, column).text() for column in range(table.columnCount())]


def select_program(tab: SubsidyProgramsTab, program_id: int) -> None:
    row = next(i for i, p in enumerate(tab._programs) if p.id == program_id)
    tab.programs_table.selectRow(row)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2/3", (2, 3)),
        ("２／３", (2, 3)),
        (" 5 / 6 ", (5, 6)),
        ("3分の2", (2, 3)),
        ("⅔", (2, 3)),
        ("10/10", (10, 10)),
        ("1", (1, 1)),
        ("", None),
    ],
)
def test_rates_are_read_as_typed(typed: str, expected: tuple[int, int] | None) -> None:
    assert parse_fraction(typed) == expected


@pytest.mark.parametrize("typed", ["2/0", "0.66", "2/3/4", "にぶんのいち", "-1/2"])
def test_unreadable_rates_are_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_fraction(typed)


def test_the_tab_lists_programs_and_their_terms(
    qtbot, service: SubsidyService, admin: Principal, world: SubsidyWorld, db: Database
) -> None:
    tab = SubsidyProgramsTab(service, admin, ReferenceService(db).initiatives())
    qtbot.addWidget(tab)

    assert [cells(tab.programs_table, row) for row in range(3)] == [
        ["中小企業販路拡大事業支援補助", "事業者", "1-3-1（自動）", "利用中", ""],
        ["中小企業脱炭素経営支援助成金", "事業者", "1-3-3（自動）", "利用中", ""],
        ["商店街イベント事業補助", "商店街", "2-2-1", "利用中", ""],
    ]
    select_program(tab, world.street_events_id)
    assert cells(tab.terms_table, 0) == [
        "令和7年4月1日",
        "—",
        "2/3",
        "1,000,000円以下は 5/6",
        "1,000円未満切捨て",
        "3,000,000円",
        "2件",
        "終了後 30 日",
    ]


def test_a_program_typed_and_saved_appears_in_the_list(
    qtbot,
    service: SubsidyService,
    admin: Principal,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    initiatives = ReferenceService(db).initiatives()
    tab = SubsidyProgramsTab(service, admin, initiatives)
    qtbot.addWidget(tab)

    def fill(dialog: ProgramDialog) -> None:
        commit_text(dialog.name_edit, "商店街にぎわい創出事業補助")
        dialog.target_combo.setCurrentIndex(dialog.target_combo.findData("street"))
        assert dialog.initiative_combo.itemText(0) == "名称から自動で選ぶ（2-2-1）"
        dialog.initiative_combo.setCurrentIndex(
            dialog.initiative_combo.findData(next(n.id for n in initiatives if n.code == "2-2-2"))
        )
        commit_text(dialog.notes_edit, "令和8年度から")
        dialog.save_button.click()

    opened = answer_dialogs(monkeypatch, ProgramDialog, fill)
    tab.add_program_button.click()

    [dialog] = opened
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert cells(tab.programs_table, 3) == [
        "商店街にぎわい創出事業補助",
        "商店街",
        "2-2-2",
        "利用中",
        "令和8年度から",
    ]
    selected = tab.selected_program()
    assert selected is not None and selected.name == "商店街にぎわい創出事業補助"
    assert selected.target is SubsidyTarget.STREET
    assert tab.terms_table.rowCount() == 0


def test_a_duplicate_or_empty_name_is_shown_at_the_field(qtbot, service: SubsidyService) -> None:
    dialog = ProgramDialog(service)
    qtbot.addWidget(dialog)

    dialog.save_button.click()
    assert dialog.field_error("name") == text_for("required")

    commit_text(dialog.name_edit, "中小企業販路拡大事業支援補助")
    dialog.save_button.click()

    assert dialog.field_error("name") == text_for("duplicate_name")
    assert dialog.name_edit.text() == "中小企業販路拡大事業支援補助"
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert len(service.programs(include_inactive=True)) == 3


def test_terms_for_a_new_year_close_the_open_period(
    qtbot,
    service: SubsidyService,
    admin: Principal,
    world: SubsidyWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tab = SubsidyProgramsTab(service, admin)
    qtbot.addWidget(tab)
    select_program(tab, world.trade_show_id)
    monkeypatch.setattr(
        QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes)
    )

    def fill(dialog: TermsDialog) -> None:
        e = dialog.edits
        # A copy of the newest terms, starting the next 年度.
        assert e["valid_from"].text() == "令和8年4月1日"
        assert e["rate_numerator"].text() == "2/3"
        assert e["cap_amount"].text() == "100,000円"
        assert dialog.example_label.text() == (
            "例: 対象経費 1,200,000円 → 補助額 100,000円（上限額）"
        )
        replace_text(e["rate_numerator"], "３／４")
        replace_text(e["cap_amount"], "１００万")
        commit_text(e["max_per_fiscal_year"], "１")
        assert dialog.example_label.text() == "例: 対象経費 1,200,000円 → 補助額 900,000円"
        dialog.save_button.click()

    opened = answer_dialogs(monkeypatch, TermsDialog, fill)
    tab.add_terms_button.click()

    [dialog] = opened
    assert dialog.result() == QDialog.DialogCode.Accepted
    terms = service.terms(world.trade_show_id)
    assert [(t.valid_from, t.valid_to) for t in terms] == [
        (date(2026, 4, 1), None),
        (date(2025, 4, 1), date(2026, 3, 31)),
    ]
    assert (terms[0].rate_numerator, terms[0].rate_denominator) == (3, 4)
    assert cells(tab.terms_table, 0) == [
        "令和8年4月1日",
        "—",
        "3/4",
        "—",
        "1,000円未満切捨て",
        "1,000,000円",
        "1件",
        "終了後 30 日",
    ]
    assert cells(tab.terms_table, 1)[:2] == ["令和7年4月1日", "令和8年3月31日"]


def test_declining_to_close_the_open_period_shows_the_overlap(
    qtbot, service: SubsidyService, world: SubsidyWorld
) -> None:
    program = next(p for p in service.programs() if p.id == world.decarbonise_id)
    [newest] = service.terms(program.id)
    dialog = TermsDialog(service, program, newest=newest)  # the question gets 'discard'
    qtbot.addWidget(dialog)

    dialog.save_button.click()

    assert dialog.field_error("valid_from") == text_for("subsidy_terms.overlap")
    assert len(service.terms(program.id)) == 1


def test_a_bad_fraction_or_negative_cap_is_shown_and_the_input_kept(
    qtbot, service: SubsidyService, world: SubsidyWorld
) -> None:
    program = next(p for p in service.programs() if p.id == world.trade_show_id)
    dialog = TermsDialog(service, program)
    qtbot.addWidget(dialog)
    e = dialog.edits
    replace_text(e["valid_from"], "2024-04-01")  # the 年度 before the terms in force
    commit_text(e["valid_to"], "2025-03-31")

    commit_text(e["rate_numerator"], "3/2")  # more than the cost
    commit_text(e["cap_amount"], "−10万")
    dialog.save_button.click()

    assert dialog.field_error("rate_numerator") == text_for("subsidy_terms.rate")
    assert dialog.field_error("cap_amount") == text_for("subsidy_terms.positive")
    assert e["rate_numerator"].text() == "3/2"
    assert e["cap_amount"].text() == "−10万"
    assert dialog.example_label.text() == "例: 補助率などを正しく入力すると計算します"
    assert dialog.result() != QDialog.DialogCode.Accepted

    replace_text(e["rate_numerator"], "2分の")  # unreadable
    replace_text(e["cap_amount"], "30万")
    commit_text(e["band_threshold"], "100万")  # a band without its rate
    dialog.save_button.click()

    assert dialog.field_error("rate_numerator") == text_for("subsidy_terms.rate")
    assert e["rate_numerator"].text() == "2分の"
    assert dialog.field_error("cap_amount") == ""
    assert dialog.field_error("band_threshold") == text_for("subsidy_terms.band_incomplete")
    assert len(service.terms(program.id)) == 1

    replace_text(e["rate_numerator"], "3分の2")
    commit_text(e["band_rate_numerator"], "５／６")
    assert dialog.example_label.text() == (
        "例: 対象経費 1,000,000円 → 補助額 300,000円（上限額）\n"
        "　　対象経費 1,200,000円 → 補助額 300,000円（上限額）"
    )
    replace_text(e["cap_amount"], "")
    assert dialog.example_label.text() == (
        "例: 対象経費 1,000,000円 → 補助額 833,000円\n　　対象経費 1,200,000円 → 補助額 800,000円"
    )
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()

    saved = service.terms(program.id)[1]
    assert (saved.valid_from, saved.valid_to) == (date(2024, 4, 1), date(2025, 3, 31))
    assert (saved.band_threshold, saved.band_rate_numerator, saved.band_rate_denominator) == (
        1_000_000,
        5,
        6,
    )
    assert saved.cap_amount is None


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.MANAGER, Role.AUDITOR])
def test_other_roles_read_but_cannot_change(
    qtbot, db: Database, world: SubsidyWorld, role: Role
) -> None:
    reader = Principal(None, "reader", "閲覧 一郎", frozenset({role}))
    service = SubsidyService(db, reader)
    tab = SubsidyProgramsTab(service, reader)
    qtbot.addWidget(tab)

    assert tab.programs_table.rowCount() == 3
    assert tab.terms_table.rowCount() == 1
    for button in (
        tab.add_program_button,
        tab.edit_program_button,
        tab.add_terms_button,
        tab.edit_terms_button,
    ):
        assert not button.isEnabled()
    with pytest.raises(PermissionDenied):
        service.add_program(ProgramInput("読み取り専用の制度", SubsidyTarget.BUSINESS))


def test_the_tab_is_in_settings_for_the_subsidy_desk_only(
    qtbot, db: Database, world: SubsidyWorld
) -> None:
    consultant = Principal(None, "sato", "佐藤 花子", frozenset({Role.CONSULTANT}))
    officer = Principal(None, "tanaka", "田中 健", frozenset({Role.LOAN_OFFICER}))
    window = app_module.build_window(db, consultant)
    qtbot.addWidget(window)
    other = app_module.build_window(db, officer)
    qtbot.addWidget(other)

    assert "補助金制度" in window.settings_page.tab_titles()
    tab = window.settings_page.subsidy_programs_tab
    assert cells(tab.programs_table, 2)[:3] == ["商店街イベント事業補助", "商店街", "2-2-1"]
    assert not tab.add_terms_button.isEnabled()
    assert "補助金制度" not in other.settings_page.tab_titles()

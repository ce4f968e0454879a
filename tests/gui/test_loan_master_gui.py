"""設定 › 資金種別・融資条件 / 金融機関 / 案件の期限, driven like a user."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TypeVar

import pytest

from PySide6.QtWidgets import QDialog, QLineEdit, QMessageBox

from consult_desk import app as app_module
from consult_desk.db.engine import Database
from consult_desk.domain.loan_programs import BankInput, ProgramInput, TermsInput
from consult_desk.domain.permissions import Principal, Role
from consult_desk.services.loan_master import LoanMasterService
from consult_desk.services.settings import SettingsService
from consult_desk.ui.messages import text_for
from consult_desk.ui.pages.loan_master import (
    BanksTab,
    LoanDeadlinesTab,
    LoanProgramsTab,
    NameDialog,
    ProgramDialog,
    TermsDialog,
)
from tests.gui.helpers import commit_text

pytestmark = pytest.mark.gui
OFFICER = Principal(None, "tanaka", "田中 健", frozenset({Role.LOAN_OFFICER}))
D = TypeVar("D", bound=QDialog)


@pytest.fixture
def service(db: Database, admin: Principal) -> LoanMasterService:
    return LoanMasterService(db, admin)


def example_terms(valid_from: date, valid_to: date | None = None) -> TermsInput:
    return TermsInput(
        valid_from=valid_from,
        valid_to=valid_to,
        limit_amount=20_000_000,
        max_term_months=84,
        max_grace_months=12,
        nominal_rate=Decimal("2.1"),
        subsidy_rate_resident=Decimal("1.6"),
        subsidy_rate_general=Decimal("0.6"),
        chokai_bonus_rate=None,
        guarantee_fee_subsidy_ratio=Decimal(100),
        guarantee_fee_subsidy_cap=None,
        max_concurrent_loans=2,
    )


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


# --- programs and terms -------------------------------------------------------------------


def test_a_program_typed_and_saved_appears_in_the_list(
    qtbot, service: LoanMasterService, admin: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = LoanProgramsTab(service, admin)
    qtbot.addWidget(tab)

    def fill(dialog: ProgramDialog) -> None:
        commit_text(dialog.name_edit, "小規模企業特別資金")
        dialog.save_button.click()

    opened = answer_dialogs(monkeypatch, ProgramDialog, fill)
    tab.add_program_button.click()

    [dialog] = opened

    assert dialog.result() == QDialog.DialogCode.Accepted
    assert cells(tab.programs_table, 0)[:3] == ["小規模企業特別資金", "", "利用中"]
    assert tab.selected_program() is not None
    assert tab.selected_program().name == "小規模企業特別資金"


def test_a_duplicate_program_name_is_shown_at_the_field(qtbot, service: LoanMasterService) -> None:
    service.add_program(ProgramInput("営業資金"))
    dialog = ProgramDialog(service)
    qtbot.addWidget(dialog)

    commit_text(dialog.name_edit, "営業資金")
    dialog.save_button.click()

    assert dialog.field_error("name") == text_for("duplicate_name")
    assert dialog.name_edit.text() == "営業資金"
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_terms_typed_the_japanese_way_are_saved_and_listed(
    qtbot, service: LoanMasterService, admin: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.add_program(ProgramInput("起業資金", is_startup=True))
    tab = LoanProgramsTab(service, admin)
    qtbot.addWidget(tab)

    def fill(dialog: TermsDialog) -> None:
        e = dialog.edits
        replace_text(e["valid_from"], "令和8年4月1日")
        commit_text(e["limit_amount"], "２，０００万")
        commit_text(e["max_term_months"], "８４")
        replace_text(e["max_grace_months"], "12")
        commit_text(e["nominal_rate"], "２．１％")
        commit_text(e["subsidy_rate_resident"], "1.6")
        commit_text(e["subsidy_rate_general"], "0.6%")
        commit_text(e["chokai_bonus_rate"], "0.2")
        commit_text(e["guarantee_fee_subsidy_ratio"], "50")
        commit_text(e["guarantee_fee_subsidy_cap"], "26万")
        assert "区民 0.5% ／ 一般 1.5%" in dialog.borrower_label.text()
        dialog.save_button.click()

    opened = answer_dialogs(monkeypatch, TermsDialog, fill)
    tab.add_terms_button.click()

    [dialog] = opened

    assert dialog.result() == QDialog.DialogCode.Accepted
    assert cells(tab.terms_table, 0) == [
        "令和8年4月1日",
        "—",
        "20,000,000円",
        "84",
        "12",
        "2.1%",
        "1.6% / 0.6%",
        "0.5% / 1.5%",
        "0.2%",
        "50%（上限 260,000円）",
        "2",
    ]
    assert dialog.edits["limit_amount"].text() == "20,000,000円"  # shown as understood


def test_bad_input_shows_messages_and_keeps_what_was_typed(
    qtbot, service: LoanMasterService
) -> None:
    program_id = service.add_program(ProgramInput("設備資金"))
    [program] = service.programs()
    dialog = TermsDialog(service, program)
    qtbot.addWidget(dialog)
    e = dialog.edits

    replace_text(e["valid_from"], "2026-04-01")
    commit_text(e["limit_amount"], "たくさん")
    commit_text(e["max_term_months"], "120")
    commit_text(e["nominal_rate"], "1.6")
    commit_text(e["subsidy_rate_resident"], "1.6")
    commit_text(e["subsidy_rate_general"], "0.6")
    dialog.save_button.click()

    assert dialog.field_error("limit_amount") == text_for("number.format")
    assert e["limit_amount"].text() == "たくさん"
    assert dialog.result() != QDialog.DialogCode.Accepted

    replace_text(e["limit_amount"], "1000万")
    replace_text(e["subsidy_rate_general"], "1.8")  # more than the nominal rate
    replace_text(e["max_grace_months"], "-1")
    dialog.save_button.click()

    assert dialog.field_error("limit_amount") == ""
    assert dialog.field_error("subsidy_rate_general") == text_for(
        "loan_terms.subsidy_above_nominal"
    )
    assert dialog.field_error("max_grace_months") == text_for("negative")
    assert e["subsidy_rate_general"].text() == "1.8%"
    assert service.terms(program_id) == []


def test_an_overlapping_period_is_refused_at_the_start_date(
    qtbot, service: LoanMasterService
) -> None:
    program_id = service.add_program(ProgramInput("営業資金"))
    service.add_terms(program_id, example_terms(date(2025, 4, 1), date(2026, 3, 31)))
    [program] = service.programs()
    [newest] = service.terms(program_id)
    dialog = TermsDialog(service, program, newest=newest)
    qtbot.addWidget(dialog)
    assert dialog.edits["valid_from"].text() == "令和8年4月1日"  # the day after the newest

    replace_text(dialog.edits["valid_from"], "2026-03-01")
    dialog.save_button.click()

    assert dialog.field_error("valid_from") == text_for("loan_terms.overlap")
    assert len(service.terms(program_id)) == 1


def test_the_yearly_change_offers_to_end_the_open_terms(
    qtbot, service: LoanMasterService, monkeypatch: pytest.MonkeyPatch
) -> None:
    program_id = service.add_program(ProgramInput("営業資金"))
    service.add_terms(program_id, example_terms(date(2025, 4, 1)))
    [program] = service.programs()
    [newest] = service.terms(program_id)
    monkeypatch.setattr(
        QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes)
    )
    dialog = TermsDialog(service, program, newest=newest)
    qtbot.addWidget(dialog)

    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()

    assert [(t.valid_from, t.valid_to) for t in service.terms(program_id)] == [
        (date(2026, 4, 1), None),
        (date(2025, 4, 1), date(2026, 3, 31)),
    ]


# --- banks --------------------------------------------------------------------------------


def test_banks_and_branches_are_added_and_deactivated(
    qtbot, service: LoanMasterService, admin: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = BanksTab(service, admin)
    qtbot.addWidget(tab)
    names = iter(["みずほ銀行", "神田支店"])

    def fill(dialog: NameDialog) -> None:
        commit_text(dialog.name_edit, next(names))
        dialog.save_button.click()

    answer_dialogs(monkeypatch, NameDialog, fill)
    tab.add_bank_button.click()
    tab.add_branch_button.click()

    assert cells(tab.banks_table, 0) == ["みずほ銀行", "利用中", "1"]
    assert cells(tab.branches_table, 0) == ["神田支店", "利用中"]

    tab.branches_table.selectRow(0)
    tab.toggle_branch_button.click()

    assert cells(tab.branches_table, 0) == ["神田支店", "停止中"]
    assert service.banks()[0].branches == ()


def test_an_empty_bank_name_is_shown_and_nothing_saved(
    qtbot, service: LoanMasterService, admin: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = BanksTab(service, admin)
    qtbot.addWidget(tab)

    def fill(dialog: NameDialog) -> None:
        commit_text(dialog.name_edit, "\u3000")
        dialog.save_button.click()

    opened = answer_dialogs(monkeypatch, NameDialog, fill)
    tab.add_bank_button.click()

    [dialog] = opened

    assert dialog.field_error("name") == text_for("required")
    assert service.banks(include_inactive=True) == []


# --- deadlines and roles ------------------------------------------------------------------


def test_overdue_thresholds_are_saved(qtbot, db: Database, admin: Principal) -> None:
    settings = SettingsService(db, admin)
    tab = LoanDeadlinesTab(settings, admin)
    qtbot.addWidget(tab)
    assert tab.spins["CGC_REVIEW"].value() == 21

    tab.spins["CGC_REVIEW"].setValue(30)
    tab.save_button.click()

    assert settings.loan_overdue_days()["CGC_REVIEW"] == 30


def test_a_loan_officer_reads_but_cannot_change(
    qtbot, db: Database, service: LoanMasterService
) -> None:
    program_id = service.add_program(ProgramInput("営業資金"))
    service.add_terms(program_id, example_terms(date(2026, 4, 1)))
    service.add_bank(BankInput("三菱UFJ銀行"))
    reader = LoanMasterService(db, OFFICER)

    programs = LoanProgramsTab(reader, OFFICER)
    banks = BanksTab(reader, OFFICER)
    deadlines = LoanDeadlinesTab(SettingsService(db, OFFICER), OFFICER)
    for widget in (programs, banks, deadlines):
        qtbot.addWidget(widget)

    assert programs.terms_table.rowCount() == 1
    assert banks.banks_table.rowCount() == 1
    for button in (
        programs.add_program_button,
        programs.edit_program_button,
        programs.add_terms_button,
        programs.edit_terms_button,
        banks.add_bank_button,
        banks.toggle_bank_button,
        banks.add_branch_button,
        deadlines.save_button,
    ):
        assert not button.isEnabled()
    assert not deadlines.spins["BANK_REVIEW"].isEnabled()


def test_the_loan_desk_finds_the_tabs_in_settings(qtbot, db: Database) -> None:
    window = app_module.build_window(db, OFFICER)
    qtbot.addWidget(window)

    assert window.settings_page.tab_titles() == [
        "パスワード変更",
        "資金種別・融資条件",
        "金融機関",
        "案件の期限",
    ]

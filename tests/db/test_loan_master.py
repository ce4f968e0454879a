"""Loan master data: funds with dated terms, banks with branches, the overdue thresholds."""

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from consult_desk.db.engine import Database
from consult_desk.db.models import AuditLog
from consult_desk.domain.errors import Conflict, NotFound, ValidationError
from consult_desk.domain.loan_programs import (
    BankInput,
    BranchInput,
    ProgramInput,
    TermsInput,
    format_rate,
    parse_rate,
)
from consult_desk.domain.permissions import PermissionDenied, Principal, Role
from consult_desk.services.loan_master import LoanMasterService
from consult_desk.services.settings import DEFAULT_LOAN_OVERDUE_DAYS, SettingsService


def terms(valid_from: date, valid_to: date | None = None, **changes: object) -> TermsInput:
    """起業資金 in the shape of Chiyoda's published table (figures are examples)."""
    value = TermsInput(
        valid_from=valid_from,
        valid_to=valid_to,
        limit_amount=20_000_000,
        max_term_months=84,
        max_grace_months=12,
        nominal_rate=Decimal("2.1"),
        subsidy_rate_resident=Decimal("1.6"),
        subsidy_rate_general=Decimal("0.6"),
        chokai_bonus_rate=Decimal("0.2"),
        guarantee_fee_subsidy_ratio=Decimal(100),
        guarantee_fee_subsidy_cap=None,
        max_concurrent_loans=2,
    )
    return replace(value, **changes)  # type: ignore[arg-type]


def codes(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return excinfo.value.codes()


def audit_entries(db: Database, kind: str) -> list[AuditLog]:
    with db.read() as session:
        return list(
            session.scalars(
                select(AuditLog).where(AuditLog.record_kind == kind).order_by(AuditLog.id)
            )
        )


@pytest.fixture
def service(db: Database, admin: Principal) -> LoanMasterService:
    return LoanMasterService(db, admin)


@pytest.fixture
def program_id(service: LoanMasterService) -> int:
    return service.add_program(ProgramInput("起業資金", is_startup=True))


# --- programs -----------------------------------------------------------------------------


def test_a_program_is_stored_normalised_and_listed(service: LoanMasterService) -> None:
    program_id = service.add_program(ProgramInput("  小口営業資金　", notes=" 2口まで \n"))

    [program] = service.programs()
    assert (program.id, program.name, program.notes, program.version) == (
        program_id,
        "小口営業資金",
        "2口まで",
        1,
    )


def test_program_names_are_unique_ignoring_width_and_kana(
    service: LoanMasterService, program_id: int
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        service.add_program(ProgramInput("起業資金 "))
    assert codes(excinfo) == {"name": "duplicate_name"}

    service.add_program(ProgramInput("ｴｲｷﾞｮｳ資金"))  # half-width kana, stored as エイギョウ
    with pytest.raises(ValidationError) as excinfo:
        service.add_program(ProgramInput("えいぎょう資金"))
    assert codes(excinfo) == {"name": "duplicate_name"}


def test_an_empty_name_is_refused(service: LoanMasterService) -> None:
    with pytest.raises(ValidationError) as excinfo:
        service.add_program(ProgramInput("\u3000"))  # a full-width space only
    assert codes(excinfo) == {"name": "required"}
    assert service.programs(include_inactive=True) == []


def test_an_inactive_program_is_listed_only_when_asked_for(
    service: LoanMasterService, program_id: int
) -> None:
    service.update_program(program_id, 1, ProgramInput("起業資金", is_startup=True, active=False))

    assert service.programs() == []
    assert [p.name for p in service.programs(include_inactive=True)] == ["起業資金"]


def test_a_stale_version_is_a_conflict_and_changes_nothing(
    service: LoanMasterService, program_id: int
) -> None:
    assert service.update_program(program_id, 1, ProgramInput("起業資金（新）")) == 2

    with pytest.raises(Conflict):
        service.update_program(program_id, 1, ProgramInput("起業資金（古い画面から）"))
    assert [p.name for p in service.programs()] == ["起業資金(新)"]  # NFKC


def test_an_unknown_initiative_is_refused(service: LoanMasterService) -> None:
    with pytest.raises(ValidationError) as excinfo:
        service.add_program(ProgramInput("設備資金", initiative_id=999_999))
    assert codes(excinfo) == {"initiative_id": "invalid_choice"}


# --- terms --------------------------------------------------------------------------------


def test_overlapping_periods_are_refused(service: LoanMasterService, program_id: int) -> None:
    service.add_terms(program_id, terms(date(2025, 4, 1), date(2026, 3, 31)))

    with pytest.raises(ValidationError) as excinfo:
        service.add_terms(program_id, terms(date(2026, 3, 31)))
    assert codes(excinfo) == {"valid_from": "loan_terms.overlap"}
    with pytest.raises(ValidationError):
        service.add_terms(program_id, terms(date(2024, 4, 1), None))  # open end reaches in

    service.add_terms(program_id, terms(date(2026, 4, 1)))  # the day after: fine
    assert len(service.terms(program_id)) == 2


def test_another_programs_periods_do_not_count(service: LoanMasterService, program_id: int) -> None:
    other = service.add_program(ProgramInput("営業資金"))
    service.add_terms(program_id, terms(date(2026, 4, 1)))

    service.add_terms(other, terms(date(2026, 4, 1)))

    assert len(service.terms(other)) == 1


def test_editing_terms_may_not_make_them_overlap(
    service: LoanMasterService, program_id: int
) -> None:
    service.add_terms(program_id, terms(date(2025, 4, 1), date(2026, 3, 31)))
    later = service.add_terms(program_id, terms(date(2026, 4, 1)))

    with pytest.raises(ValidationError) as excinfo:
        service.update_terms(later, 1, terms(date(2026, 1, 1)))
    assert codes(excinfo) == {"valid_from": "loan_terms.overlap"}

    # Its own period does not count against itself.
    assert service.update_terms(later, 1, terms(date(2026, 4, 1), limit_amount=25_000_000)) == 2


def test_the_yearly_change_can_end_last_years_open_terms(
    db: Database, service: LoanMasterService, program_id: int
) -> None:
    old = service.add_terms(program_id, terms(date(2025, 4, 1)))

    service.add_terms(program_id, terms(date(2026, 4, 1)), close_open_period=True)

    newest, previous = service.terms(program_id)
    assert (newest.valid_from, newest.valid_to) == (date(2026, 4, 1), None)
    assert (previous.id, previous.valid_to) == (old, date(2026, 3, 31))
    changes = [json.loads(e.changes) for e in audit_entries(db, "loan_terms")]
    assert {"valid_to": [None, "2026-03-31"]} in changes


def test_closing_never_reaches_past_a_later_or_closed_period(
    service: LoanMasterService, program_id: int
) -> None:
    service.add_terms(program_id, terms(date(2026, 4, 1)))

    with pytest.raises(ValidationError):  # the open period begins later: nothing to close
        service.add_terms(program_id, terms(date(2025, 4, 1)), close_open_period=True)


def test_terms_in_force_picks_the_period_of_the_day(
    service: LoanMasterService, program_id: int
) -> None:
    service.add_terms(
        program_id, terms(date(2025, 4, 1), date(2026, 3, 31), limit_amount=15_000_000)
    )
    service.add_terms(program_id, terms(date(2026, 4, 1), limit_amount=20_000_000))

    def limit(on: date) -> int | None:
        found = service.terms_in_force(program_id, on)
        return found.limit_amount if found else None

    assert limit(date(2025, 3, 31)) is None
    assert limit(date(2025, 4, 1)) == 15_000_000
    assert limit(date(2026, 3, 31)) == 15_000_000
    assert limit(date(2026, 4, 1)) == 20_000_000
    assert limit(date(2040, 1, 1)) == 20_000_000
    assert [t.valid_from for t in service.terms(program_id)] == [
        date(2026, 4, 1),
        date(2025, 4, 1),
    ]


def test_rates_come_back_exact_and_borrower_rates_are_derived(
    service: LoanMasterService, program_id: int
) -> None:
    service.add_terms(program_id, terms(date(2026, 4, 1), nominal_rate=Decimal("2.1")))

    found = service.terms_in_force(program_id, date(2026, 4, 1))

    assert found is not None
    assert found.nominal_rate == Decimal("2.1")
    assert found.borrower_rate_resident == Decimal("0.5")
    assert found.borrower_rate_general == Decimal("1.5")
    assert found.borrower_rate(resident=True, chokai_member=True) == Decimal("0.3")
    assert found.subsidy_rate(resident=False, chokai_member=True) == Decimal("0.8")
    assert found.as_input() == terms(date(2026, 4, 1))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"limit_amount": -5_000_000}, {"limit_amount": "loan_terms.positive"}),
        ({"limit_amount": 0}, {"limit_amount": "loan_terms.positive"}),
        ({"nominal_rate": Decimal(-1)}, {"nominal_rate": "loan_terms.rate_range"}),
        ({"nominal_rate": Decimal(21)}, {"nominal_rate": "loan_terms.rate_range"}),
        ({"nominal_rate": Decimal("1.23456")}, {"nominal_rate": "loan_terms.rate_precision"}),
        (
            {"subsidy_rate_resident": Decimal("2.2")},
            {"subsidy_rate_resident": "loan_terms.subsidy_above_nominal"},
        ),
        (
            {"chokai_bonus_rate": Decimal("0.6")},
            {"chokai_bonus_rate": "loan_terms.bonus_above_nominal"},
        ),
        ({"max_grace_months": 84}, {"max_grace_months": "loan_terms.grace_too_long"}),
        ({"max_grace_months": -1}, {"max_grace_months": "negative"}),
        ({"max_term_months": 0}, {"max_term_months": "loan_terms.term_range"}),
        ({"max_term_months": 361}, {"max_term_months": "loan_terms.term_range"}),
        (
            {"guarantee_fee_subsidy_ratio": Decimal(101)},
            {"guarantee_fee_subsidy_ratio": "loan_terms.ratio_range"},
        ),
        (
            {"guarantee_fee_subsidy_ratio": None, "guarantee_fee_subsidy_cap": 260_000},
            {"guarantee_fee_subsidy_cap": "loan_terms.cap_without_ratio"},
        ),
        ({"guarantee_fee_subsidy_cap": -1}, {"guarantee_fee_subsidy_cap": "loan_terms.positive"}),
        ({"max_concurrent_loans": 0}, {"max_concurrent_loans": "loan_terms.concurrent_range"}),
        ({"valid_to": date(2026, 3, 31)}, {"valid_to": "loan_terms.period"}),
        ({"repayment_method": "一括"}, {"repayment_method": "invalid_choice"}),
    ],
)
def test_invalid_terms_are_refused_and_nothing_is_stored(
    service: LoanMasterService,
    program_id: int,
    changes: dict[str, object],
    expected: dict[str, str],
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        service.add_terms(program_id, terms(date(2026, 4, 1), **changes))

    assert codes(excinfo) == expected
    assert service.terms(program_id) == []


def test_repayment_method_typed_full_width_is_normalised(
    service: LoanMasterService, program_id: int
) -> None:
    service.add_terms(program_id, terms(date(2026, 4, 1), repayment_method=" 元金均等 "))

    assert service.terms(program_id)[0].repayment_method == "元金均等"


def test_terms_for_a_missing_program_are_not_found(service: LoanMasterService) -> None:
    with pytest.raises(NotFound):
        service.add_terms(999, terms(date(2026, 4, 1)))


def test_rates_and_amounts_typed_as_people_type_them() -> None:
    assert parse_rate("１．６％") == Decimal("1.6")
    assert parse_rate(" 0.45 % ") == Decimal("0.45")
    assert parse_rate("2") == Decimal(2)
    for text in ("", "%", "1e1", "NaN", "1.6.1", "一"):
        with pytest.raises(ValueError):
            parse_rate(text)
    assert format_rate(Decimal("1.6000")) == "1.6%"
    assert format_rate(Decimal(1)) == "1.0%"
    assert format_rate(Decimal(100), min_places=0) == "100%"


# --- banks and branches -------------------------------------------------------------------


def test_banks_come_with_their_branches(service: LoanMasterService) -> None:
    mizuho = service.add_bank(BankInput("みずほ銀行"))
    shinkin = service.add_bank(BankInput("朝日信用金庫"))
    service.add_branch(mizuho, BranchInput("神田支店"))
    closed = service.add_branch(mizuho, BranchInput("九段支店"))
    service.update_branch(closed, 1, BranchInput("九段支店", active=False))
    service.update_bank(shinkin, 1, BankInput("朝日信用金庫", active=False))

    [bank] = service.banks()
    assert (bank.name, [b.name for b in bank.branches]) == ("みずほ銀行", ["神田支店"])
    every = service.banks(include_inactive=True)
    assert [(b.name, b.active, len(b.branches)) for b in every] == [
        ("みずほ銀行", True, 2),
        ("朝日信用金庫", False, 0),
    ]


def test_branch_names_are_unique_within_a_bank_only(service: LoanMasterService) -> None:
    mizuho = service.add_bank(BankInput("みずほ銀行"))
    smbc = service.add_bank(BankInput("三井住友銀行"))
    service.add_branch(mizuho, BranchInput("神田支店"))

    with pytest.raises(ValidationError) as excinfo:
        service.add_branch(mizuho, BranchInput("神田支店"))
    assert codes(excinfo) == {"name": "duplicate_name"}
    service.add_branch(smbc, BranchInput("神田支店"))

    with pytest.raises(ValidationError) as excinfo:
        service.add_bank(BankInput("ミズホ銀行"))
    assert codes(excinfo) == {"name": "duplicate_name"}


def test_renaming_a_branch_to_its_own_name_is_fine(service: LoanMasterService) -> None:
    bank = service.add_bank(BankInput("りそな銀行"))
    branch = service.add_branch(bank, BranchInput("神田支店"))

    assert service.update_branch(branch, 1, BranchInput("神田支店", active=False)) == 2
    with pytest.raises(Conflict):
        service.update_branch(branch, 1, BranchInput("神田駅前支店"))


def test_a_branch_of_a_missing_bank_is_not_found(service: LoanMasterService) -> None:
    with pytest.raises(NotFound):
        service.add_branch(999, BranchInput("本店"))


# --- audit and permissions ----------------------------------------------------------------


def test_every_change_is_audited(db: Database, service: LoanMasterService, admin: Principal):
    program = service.add_program(ProgramInput("設備資金"))
    service.update_program(program, 1, ProgramInput("設備資金", notes="見積書が必要"))
    first = service.add_terms(program, terms(date(2026, 4, 1)))
    service.update_terms(first, 1, terms(date(2026, 4, 1), limit_amount=30_000_000))
    bank = service.add_bank(BankInput("城北信用金庫"))
    service.update_bank(bank, 1, BankInput("城北信用金庫", active=False))
    branch = service.add_branch(bank, BranchInput("本店営業部"))
    service.update_branch(branch, 1, BranchInput("本店"))

    for kind, record_id in [
        ("loan_program", program),
        ("loan_terms", first),
        ("bank", bank),
        ("bank_branch", branch),
    ]:
        entries = audit_entries(db, kind)
        assert [(e.action, e.record_id, e.staff_id) for e in entries] == [
            ("create", record_id, admin.staff_id),
            ("update", record_id, admin.staff_id),
        ]
    [_, terms_update] = audit_entries(db, "loan_terms")
    assert json.loads(terms_update.changes) == {"limit_amount": [20_000_000, 30_000_000]}
    [_, program_update] = audit_entries(db, "loan_program")
    assert json.loads(program_update.changes) == {"notes": ["", "見積書が必要"]}


@pytest.mark.parametrize("role", [Role.LOAN_OFFICER, Role.MANAGER, Role.AUDITOR, Role.CONSULTANT])
def test_only_administrators_change_master_data(
    db: Database, service: LoanMasterService, program_id: int, role: Role
) -> None:
    bank = service.add_bank(BankInput("東京シティ信用金庫"))
    terms_id = service.add_terms(program_id, terms(date(2026, 4, 1)))
    reader = LoanMasterService(db, Principal(None, role.value, "職員", frozenset({role})))

    assert [p.name for p in reader.programs()] == ["起業資金"]
    assert reader.terms_in_force(program_id, date(2026, 5, 1)) is not None
    assert [b.name for b in reader.banks()] == ["東京シティ信用金庫"]
    for attempt in (
        lambda: reader.add_program(ProgramInput("営業資金")),
        lambda: reader.update_program(program_id, 1, ProgramInput("起業資金（改）")),
        lambda: reader.add_terms(program_id, terms(date(2027, 4, 1))),
        lambda: reader.update_terms(terms_id, 1, terms(date(2026, 4, 1))),
        lambda: reader.add_bank(BankInput("さわやか信用金庫")),
        lambda: reader.update_bank(bank, 1, BankInput("東京シティ信用金庫", active=False)),
        lambda: reader.add_branch(bank, BranchInput("本店")),
    ):
        with pytest.raises(PermissionDenied):
            attempt()


def test_a_principal_without_roles_reads_nothing(db: Database) -> None:
    nobody = LoanMasterService(db, Principal(None, "x", "権限なし", frozenset()))

    with pytest.raises(PermissionDenied):
        nobody.programs()
    with pytest.raises(PermissionDenied):
        nobody.banks()


# --- overdue thresholds -------------------------------------------------------------------


def test_overdue_thresholds_default_then_change(db: Database, admin: Principal) -> None:
    settings = SettingsService(db, admin)
    assert settings.loan_overdue_days() == DEFAULT_LOAN_OVERDUE_DAYS

    settings.set_loan_overdue_days({"BANK_REVIEW": 30})

    assert settings.loan_overdue_days() == {**DEFAULT_LOAN_OVERDUE_DAYS, "BANK_REVIEW": 30}
    [entry] = [e for e in audit_entries(db, "setting") if "loan_overdue_days" in e.changes]
    assert entry.action == "update"


@pytest.mark.parametrize(
    "days",
    [{"BANK_REVIEW": 0}, {"BANK_REVIEW": 366}, {"EXECUTED": 10}, {"CGC_REVIEW": True}],
)
def test_bad_overdue_thresholds_are_refused(
    db: Database, admin: Principal, days: dict[str, int]
) -> None:
    settings = SettingsService(db, admin)

    with pytest.raises(ValidationError):
        settings.set_loan_overdue_days(days)
    assert settings.loan_overdue_days() == DEFAULT_LOAN_OVERDUE_DAYS


def test_only_administrators_change_overdue_thresholds(db: Database) -> None:
    officer = Principal(None, "tanaka", "田中 健", frozenset({Role.LOAN_OFFICER}))
    settings = SettingsService(db, officer)

    assert settings.loan_overdue_days()["CGC_REVIEW"] == 21
    with pytest.raises(PermissionDenied):
        settings.set_loan_overdue_days({"CGC_REVIEW": 30})

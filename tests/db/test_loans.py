"""Loan-referral cases on a real SQLite file: the state machine, checks at entry, undo, figures."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from consult_desk.db.engine import Database
from consult_desk.db.models import AuditLog, LoanCase, LoanProgramTerms, Staff, StaffRole
from consult_desk.domain.errors import Conflict, ValidationError
from consult_desk.domain.fiscal import fiscal_year, fiscal_year_range, japan_today
from consult_desk.domain.loans import (
    LoanCaseInput,
    LoanQuery,
    LoanState,
    StepInput,
    StepName,
    SubsidyStopReason,
    add_business_days,
    earliest_referral,
    is_business_day,
)
from consult_desk.domain.permissions import PermissionDenied, Principal, Role
from consult_desk.services.loans import LoanService
from consult_desk.services.reporting import ReportingService, month_range
from tests.loan_setup import LIMIT, LoanWorld, make_loan_world
from tests.report_setup import demo_database, demo_principal

TODAY = date(2026, 11, 30)
RECEIVED = date(2026, 11, 20)  # a Friday; Monday 11/23 is 勤労感謝の日


@pytest.fixture
def world(db: Database) -> LoanWorld:
    return make_loan_world(db)


@pytest.fixture
def service(db: Database, admin: Principal) -> LoanService:
    return LoanService(db, admin)


def _open(service: LoanService, world: LoanWorld, program_id: int | None = None) -> int:
    return service.add(
        LoanCaseInput(
            business_id=world.business_id,
            program_id=program_id or world.program_id,
            received_on=date(2026, 11, 16),
            requested_amount=5_000_000,
            purpose="運転資金（仕入）",
        ),
        today=TODAY,
    )


def _step(service: LoanService, case_id: int, step: StepName, on: date, **values: object) -> None:
    version = service.get(case_id).version
    service.advance(case_id, version, StepInput(step, on, **values), today=TODAY)  # type: ignore[arg-type]


ELIGIBLE = dict(
    eligible_in_ward_year=True,
    eligible_head_office=True,
    eligible_taxes_paid=True,
    eligible_no_virtual_office=True,
    eligible_industry_covered=True,
)


def _to_review(service: LoanService, case_id: int) -> None:
    _step(service, case_id, StepName.RECEIVE, RECEIVED, interviewer="山田 診断士")
    _step(service, case_id, StepName.START_REVIEW, RECEIVED, **ELIGIBLE)


def _to_referral(service: LoanService, world: LoanWorld, case_id: int, amount: int) -> None:
    _to_review(service, case_id)
    _step(
        service,
        case_id,
        StepName.REFER,
        date(2026, 11, 26),
        referral_number="R8-001",
        referral_amount=amount,
        bank_id=world.bank_id,
        branch_id=world.branch_id,
    )


def _execute(service: LoanService, world: LoanWorld, case_id: int, amount: int) -> None:
    _to_referral(service, world, case_id, amount)
    _step(service, case_id, StepName.BANK_RECEIVED, date(2026, 11, 27))
    _step(
        service,
        case_id,
        StepName.EXECUTE,
        date(2026, 11, 30),
        executed_amount=amount,
        term_months=60,
        grace_months=6,
        nominal_rate=Decimal("2.1"),
    )


def test_business_days_skip_weekends_holidays_and_the_new_year() -> None:
    assert not is_business_day(date(2026, 11, 23))  # 勤労感謝の日 (Monday)
    assert not is_business_day(date(2026, 11, 21))  # Saturday
    assert not is_business_day(date(2026, 12, 29))
    assert not is_business_day(date(2027, 1, 2))
    assert is_business_day(date(2026, 11, 24))
    # Friday 11/20 + 3 business days: 11/24, 11/25, 11/26 (Monday 11/23 is a holiday).
    assert earliest_referral(RECEIVED) == date(2026, 11, 26)
    # Over the new year: 12/28 (Mon) → 1/4, 1/5, 1/6.
    assert add_business_days(date(2026, 12, 28), 3) == date(2027, 1, 6)


def test_happy_path_records_every_step_and_copies_the_terms(
    db: Database, service: LoanService, world: LoanWorld
) -> None:
    case_id = _open(service, world)
    _to_referral(service, world, case_id, 5_000_000)
    _step(service, case_id, StepName.BANK_RECEIVED, date(2026, 11, 27))
    _step(service, case_id, StepName.TO_CGC, date(2026, 11, 27))
    _step(service, case_id, StepName.GUARANTEE, date(2026, 11, 28), approved_amount=4_000_000)
    _step(
        service,
        case_id,
        StepName.EXECUTE,
        date(2026, 11, 30),
        executed_amount=4_000_000,
        term_months=60,
        grace_months=6,
        nominal_rate=Decimal("2.1"),
    )
    _step(service, case_id, StepName.START_GRACE, date(2026, 11, 30))

    case = service.get(case_id)
    assert case.state == LoanState.GRACE
    # 区民 representative, no 町会: the resident subsidy rate; borrower pays the rest.
    assert (case.subsidy_rate, case.borrower_rate) == (Decimal("1.6"), Decimal("0.5"))
    assert case.limit_amount == LIMIT and case.referred_on == date(2026, 11, 26)
    states = [e.to_state for e in service.history(case_id)]
    assert states == [
        LoanState.INQUIRY,
        LoanState.RECEIVED,
        LoanState.WARD_REVIEW,
        LoanState.REFERRAL_ISSUED,
        LoanState.BANK_REVIEW,
        LoanState.CGC_REVIEW,
        LoanState.GUARANTEED,
        LoanState.EXECUTED,
        LoanState.GRACE,
    ]
    # Editing the fund's terms later never changes the case.
    with db.write() as session:
        terms = session.get(LoanProgramTerms, world.terms_id)
        assert terms is not None
        terms.subsidy_rate_resident = Decimal("1.0")
    assert service.get(case_id).subsidy_rate == Decimal("1.6")
    schedule = service.schedule(case_id)
    assert len(schedule) == 60 and sum(i.principal for i in schedule) == 4_000_000


@pytest.mark.parametrize(
    ("path", "exit_step", "final"),
    [
        ((), StepName.WITHDRAW, LoanState.WITHDRAWN),
        (("review",), StepName.REFUSE, LoanState.REFUSED_BY_WARD),
        (("review", "refer", "bank"), StepName.DECLINE_BANK, LoanState.DECLINED_BANK),
        (("review", "refer", "bank", "cgc"), StepName.DECLINE_CGC, LoanState.DECLINED_CGC),
        (("review", "refer"), StepName.EXPIRE, LoanState.EXPIRED),
    ],
)
def test_each_exit_ends_the_case_with_its_reason(
    service: LoanService,
    world: LoanWorld,
    path: tuple[str, ...],
    exit_step: StepName,
    final: LoanState,
) -> None:
    case_id = _open(service, world)
    if "review" in path:
        _to_review(service, case_id)
    if "refer" in path:
        _step(
            service,
            case_id,
            StepName.REFER,
            date(2026, 11, 26),
            referral_number="R8-9",
            referral_amount=3_000_000,
            bank_id=world.bank_id,
        )
    if "bank" in path:
        _step(service, case_id, StepName.BANK_RECEIVED, date(2026, 11, 27))
    if "cgc" in path:
        _step(service, case_id, StepName.TO_CGC, date(2026, 11, 27))
    with pytest.raises(ValidationError) as refused:
        _step(service, case_id, exit_step, date(2026, 11, 28)) if final != LoanState.EXPIRED else (
            _step(service, case_id, StepName.REPAY, date(2026, 11, 28))
        )
    expected = (
        {"reason": "required"} if final != LoanState.EXPIRED else {"step": "loan.step_not_allowed"}
    )
    assert refused.value.codes() == expected
    _step(service, case_id, exit_step, date(2026, 11, 28), reason="資金需要がなくなった")
    case = service.get(case_id)
    assert case.state == final and case.closed_on == date(2026, 11, 28)
    assert case.steps == ()  # terminal: nothing more can happen
    assert service.history(case_id)[-1].reason == "資金需要がなくなった"


def test_steps_the_state_does_not_allow_are_refused(service: LoanService, world: LoanWorld) -> None:
    case_id = _open(service, world)
    with pytest.raises(ValidationError) as refused:
        _step(service, case_id, StepName.EXECUTE, TODAY, executed_amount=1, term_months=1)
    assert refused.value.codes() == {"step": "loan.step_not_allowed"}
    # The 起業計画 path is for the startup fund only.
    with pytest.raises(ValidationError):
        _step(service, case_id, StepName.START_COACHING, TODAY, interviewer="山田")
    assert service.get(case_id).state == LoanState.INQUIRY


def test_referral_two_business_days_after_receipt_is_refused(
    service: LoanService, world: LoanWorld
) -> None:
    case_id = _open(service, world)
    _to_review(service, case_id)
    referral = dict(referral_number="R8-2", referral_amount=1_000_000, bank_id=world.bank_id)
    with pytest.raises(ValidationError) as refused:
        _step(service, case_id, StepName.REFER, date(2026, 11, 25), **referral)
    assert refused.value.codes() == {"occurred_on": "loan.referral_too_early"}
    _step(service, case_id, StepName.REFER, date(2026, 11, 26), **referral)


def test_amounts_over_the_limit_or_the_approval_or_not_positive_are_refused(
    service: LoanService, world: LoanWorld
) -> None:
    case_id = _open(service, world)
    _to_review(service, case_id)
    base = dict(referral_number="R8-3", bank_id=world.bank_id)
    for amount, code in ((LIMIT + 1, "loan.above_limit"), (0, "loan.amount_positive")):
        with pytest.raises(ValidationError) as refused:
            _step(service, case_id, StepName.REFER, TODAY, referral_amount=amount, **base)
        assert refused.value.codes()["referral_amount"] == code
    _step(service, case_id, StepName.REFER, TODAY, referral_amount=5_000_000, **base)
    _step(service, case_id, StepName.BANK_RECEIVED, TODAY)
    _step(service, case_id, StepName.TO_CGC, TODAY)
    _step(service, case_id, StepName.GUARANTEE, TODAY, approved_amount=3_000_000)
    execution = dict(term_months=60, grace_months=6, nominal_rate=Decimal("2.1"))
    with pytest.raises(ValidationError) as refused:
        _step(service, case_id, StepName.EXECUTE, TODAY, executed_amount=3_000_001, **execution)
    assert refused.value.codes() == {"executed_amount": "loan.above_approved"}
    with pytest.raises(ValidationError) as refused:
        _step(
            service,
            case_id,
            StepName.EXECUTE,
            TODAY,
            executed_amount=3_000_000,
            term_months=85,
            grace_months=60,
            nominal_rate=Decimal("1.0"),
        )
    assert refused.value.codes() == {
        "term_months": "loan.term_above_max",
        "grace_months": "loan.grace_above_max",
        "nominal_rate": "loan.rate_below_subsidy",
    }
    assert service.get(case_id).state == LoanState.GUARANTEED


def test_a_third_concurrent_loan_is_refused_where_two_are_allowed(
    service: LoanService, world: LoanWorld
) -> None:
    first, second, third = (_open(service, world) for _ in range(3))
    _execute(service, world, first, 2_000_000)
    _to_referral(service, world, second, 2_000_000)
    _to_review(service, third)
    with pytest.raises(ValidationError) as refused:
        _step(
            service,
            third,
            StepName.REFER,
            TODAY,
            referral_number="R8-4",
            referral_amount=1_000_000,
            bank_id=world.bank_id,
        )
    assert refused.value.codes() == {"step": "loan.too_many_loans"}
    # Once the second is withdrawn, the third fits, but not above what the limit leaves.
    _step(service, second, StepName.WITHDRAW, TODAY, reason="他行で調達")
    with pytest.raises(ValidationError) as refused:
        _step(
            service,
            third,
            StepName.REFER,
            TODAY,
            referral_number="R8-4",
            referral_amount=LIMIT - 1_000_000,
            bank_id=world.bank_id,
        )
    assert refused.value.codes() == {"referral_amount": "loan.combined_above_limit"}


def test_startup_fund_needs_a_coaching_interview_before_receipt(
    service: LoanService, world: LoanWorld
) -> None:
    case_id = _open(service, world, world.startup_program_id)
    _step(service, case_id, StepName.START_COACHING, date(2026, 11, 17), interviewer="山田")
    with pytest.raises(ValidationError) as refused:
        _step(service, case_id, StepName.RECEIVE, RECEIVED, interviewer="山田")
    assert refused.value.codes() == {"step": "loan.coaching_needed"}
    version = service.get(case_id).version
    service.log_interview(case_id, version, date(2026, 11, 18), "山田", "計画書の売上見込を修正")
    _step(service, case_id, StepName.RECEIVE, RECEIVED, interviewer="山田")
    kinds = [e.kind for e in service.history(case_id)]
    assert kinds == ["transition", "transition", "interview", "transition"]


def test_undo_takes_back_the_last_step_and_is_recorded(
    service: LoanService, world: LoanWorld
) -> None:
    case_id = _open(service, world)
    _to_referral(service, world, case_id, 5_000_000)
    case = service.get(case_id)
    with pytest.raises(ValidationError) as refused:
        service.undo(case_id, case.version, "  ")
    assert refused.value.codes() == {"reason": "required"}
    version = service.undo(case_id, case.version, "あっせん額の入力誤り")
    case = service.get(case_id)
    assert case.state == LoanState.WARD_REVIEW and case.version == version
    assert (case.referral_amount, case.referred_on, case.bank_id) == (None, None, None)
    history = service.history(case_id)
    assert history[-1].kind == "undo" and history[-1].reason == "あっせん額の入力誤り"
    assert history[-2].undone  # the referral, shown struck through
    # A second undo goes one step further back; the opening cannot be undone.
    service.undo(case_id, version, "区審査の開始も取消し")
    assert service.get(case_id).state == LoanState.RECEIVED
    service.undo(case_id, service.get(case_id).version, "受付も取消し")
    with pytest.raises(ValidationError) as refused:
        service.undo(case_id, service.get(case_id).version, "さらに")
    assert refused.value.codes() == {"step": "loan.nothing_to_undo"}


def test_a_case_changed_by_someone_else_meanwhile_is_a_conflict(
    service: LoanService, world: LoanWorld
) -> None:
    case_id = _open(service, world)
    stale = service.get(case_id).version
    _step(service, case_id, StepName.RECEIVE, RECEIVED, interviewer="山田")
    with pytest.raises(Conflict):
        service.advance(case_id, stale, StepInput(StepName.WITHDRAW, TODAY, reason="x"))
    assert service.get(case_id).state == LoanState.RECEIVED


def test_dates_in_the_future_or_before_the_current_state_are_refused(
    service: LoanService, world: LoanWorld
) -> None:
    case_id = _open(service, world)
    with pytest.raises(ValidationError) as refused:
        _step(service, case_id, StepName.RECEIVE, date(2026, 12, 1), interviewer="山田")
    assert refused.value.codes() == {"occurred_on": "date.future"}
    with pytest.raises(ValidationError) as refused:
        _step(service, case_id, StepName.RECEIVE, date(2026, 11, 1), interviewer="山田")
    assert refused.value.codes() == {"occurred_on": "loan.before_current_status"}


def test_eligibility_gaps_are_warned_and_recorded(service: LoanService, world: LoanWorld) -> None:
    case_id = _open(service, world)
    _step(service, case_id, StepName.RECEIVE, RECEIVED, interviewer="山田")
    version = service.get(case_id).version
    _, warnings = service.advance(
        case_id,
        version,
        StepInput(StepName.START_REVIEW, RECEIVED, **{**ELIGIBLE, "eligible_taxes_paid": False}),  # type: ignore[arg-type]
        today=TODAY,
    )
    assert [(w.field, w.code) for w in warnings] == [("eligible_taxes_paid", "loan.not_eligible")]
    assert service.history(case_id)[-1].data["warnings"] == [
        "eligible_taxes_paid:loan.not_eligible"
    ]
    assert service.get(case_id).eligibility["eligible_taxes_paid"] is False


def test_prepayment_and_subsidy_stop_change_the_forecast(
    service: LoanService, world: LoanWorld
) -> None:
    case_id = _open(service, world)
    _execute(service, world, case_id, 6_000_000)
    # 年度 2026: instalments due 12/30 … 3/30 (4 months, all in the 6-month grace), on
    # 6,000,000 × 1.6 % ÷ 12 = 8,000 a month.
    assert service.forecast(2026).total == 4 * 8_000
    version = service.get(case_id).version
    with pytest.raises(ValidationError) as refused:
        service.record_prepayment(case_id, version, TODAY, 6_000_001)
    assert refused.value.codes() == {"amount": "loan.above_balance"}
    version = service.record_prepayment(case_id, version, TODAY, 3_000_000)
    assert service.forecast(2026).total == 4 * 4_000
    service.stop_subsidy(case_id, version, TODAY, SubsidyStopReason.MOVED_OUT, "区外へ移転")
    forecast = service.forecast(2026)
    assert forecast.total == 0 and forecast.lines[0].stopped_on == TODAY
    assert [e.kind for e in service.history(case_id)][-2:] == ["prepayment", "subsidy_stop"]


def test_a_loan_without_a_term_gets_no_invented_schedule(
    db: Database, service: LoanService, world: LoanWorld
) -> None:
    """A case imported from a ledger without 期間 has no schedule: no forecast line, no
    prepayment check against a guessed balance, and it counts as fully owed for the limit."""
    case_id = _open(service, world)
    _execute(service, world, case_id, 6_000_000)
    with db.write() as session:
        session.get(LoanCase, case_id).term_months = None  # as an import without 期間 leaves it
    assert service.schedule(case_id) == []
    assert service.forecast(2026).total == 0 and service.forecast(2026).lines == []
    with pytest.raises(ValidationError) as refused:
        service.record_prepayment(case_id, service.get(case_id).version, TODAY, 1_000)
    assert refused.value.codes() == {"term_months": "loan.term_unknown"}


def test_pipeline_lists_counts_and_flags_overdue_cases(
    service: LoanService, world: LoanWorld
) -> None:
    waiting, fresh = _open(service, world), _open(service, world)
    _to_referral(service, world, waiting, 1_000_000)
    thresholds = {"REFERRAL_ISSUED": 3, "INQUIRY": 30}
    later = date(2026, 12, 1)
    rows = service.page(LoanQuery(), thresholds=thresholds, today=later)
    assert [(r.id, r.overdue, r.days_in_state) for r in rows] == [
        (fresh, False, 15),
        (waiting, True, 5),
    ]
    overdue = service.page(LoanQuery(overdue_only=True), thresholds=thresholds, today=later)
    assert [r.id for r in overdue] == [waiting]
    counts = service.counts_by_state(LoanQuery(), thresholds=thresholds, today=later)
    assert counts == {LoanState.INQUIRY: (1, 0), LoanState.REFERRAL_ISSUED: (1, 1)}
    assert service.count(LoanQuery(bank_id=world.bank_id)) == 1
    assert service.count(LoanQuery(bank_id=world.other_bank_id)) == 0
    page1 = service.page(LoanQuery(), limit=1)
    assert [r.id for r in service.page(LoanQuery(), after=page1[0])] == [waiting]


def test_lead_times_are_medians_per_bank_and_program(
    service: LoanService, world: LoanWorld
) -> None:
    first, second = _open(service, world), _open(service, world)
    _execute(service, world, first, 1_000_000)
    _to_referral(service, world, second, 1_000_000)
    times = service.lead_times()
    (program,) = times["program"]
    # Received 11/20, referred 11/26 (6 days) for both; executed 11/30 (4 days) for one.
    assert (program.label, program.to_referral, program.to_execution, program.cases) == (
        "営業資金",
        6,
        4,
        2,
    )
    assert [t.label for t in times["bank"]] == ["みずほ銀行"]


def test_roles_without_a_grant_see_cases_without_amounts(
    db: Database, service: LoanService, world: LoanWorld
) -> None:
    case_id = _open(service, world)
    _to_referral(service, world, case_id, 5_000_000)
    with db.write() as session:
        staff = Staff(login="kato", name="加藤", name_kana="カトウ")
        staff.roles.append(StaffRole(role="consultant"))
        session.add(staff)
        session.flush()
        consultant = Principal(staff.id, "kato", "加藤", frozenset({Role.CONSULTANT}))
    view = LoanService(db, consultant)
    case = view.get(case_id)
    assert case.state == LoanState.REFERRAL_ISSUED and not case.amounts_visible
    assert case.referral_amount is None and case.requested_amount is None
    assert view.page(LoanQuery())[0].amount is None
    assert "referral_amount" not in view.history(case_id)[-1].data["values"]
    with pytest.raises(PermissionDenied):
        view.advance(case_id, case.version, StepInput(StepName.WITHDRAW, TODAY, reason="x"))


def test_every_step_and_undo_is_audited(
    db: Database, service: LoanService, world: LoanWorld
) -> None:
    case_id = _open(service, world)
    _step(service, case_id, StepName.RECEIVE, RECEIVED, interviewer="山田")
    service.undo(case_id, service.get(case_id).version, "誤り")
    with db.read() as session:
        actions = session.execute(
            select(AuditLog.action).where(AuditLog.record_kind == "loan_case")
        ).scalars()
        assert list(actions) == ["create", "transition", "undo"]


def test_a_new_case_needs_a_real_business_fund_and_positive_amount(
    service: LoanService, world: LoanWorld
) -> None:
    good = LoanCaseInput(
        business_id=world.business_id, program_id=world.program_id, received_on=TODAY
    )
    bad = replace(good, business_id=9999, program_id=9999, requested_amount=-1)
    with pytest.raises(ValidationError) as refused:
        service.add(bad, today=TODAY)
    assert refused.value.codes() == {
        "requested_amount": "loan.amount_positive",
        "business_id": "required",
        "program_id": "invalid_choice",
    }
    with pytest.raises(ValidationError) as refused:
        service.add(
            replace(good, bank_id=world.other_bank_id, branch_id=world.branch_id), today=TODAY
        )
    assert refused.value.codes() == {"branch_id": "loan.branch_mismatch"}


def test_a_subrogated_loan_ends_its_schedule_and_subsidy_on_that_day(
    service: LoanService, world: LoanWorld
) -> None:
    case_id = _open(service, world)
    _execute(service, world, case_id, 6_000_000)  # executed 11/30, first instalment 12/30
    assert len(service.schedule(case_id)) == 60
    _step(service, case_id, StepName.SUBROGATE, TODAY, reason="保証協会が代位弁済")
    case = service.get(case_id)
    assert case.state == LoanState.SUBROGATED
    assert (case.subsidy_stopped_on, case.subsidy_stop_reason) == (TODAY, "代位弁済")
    # Settled on the day it was paid out: no instalments remain, and the 年度 owes nothing.
    assert service.schedule(case_id) == []
    assert service.forecast(2026).total == 0


def test_referred_and_executed_periods_list_exactly_what_the_report_counts(
    migrated_template: Path, tmp_path: Path
) -> None:
    demo = demo_database(migrated_template, tmp_path)
    principal = demo_principal(demo, "demo-manager")
    loans = LoanService(demo, principal)
    reporting = ReportingService(demo, principal)
    today = japan_today()
    fy_first, _ = fiscal_year_range(fiscal_year(today))
    _, month_last = month_range(today.year, today.month)
    for report, first, last in (
        (reporting.monthly(today.year, today.month), fy_first, month_last),
        # Last 年度 as a whole (its March report's 年度 to date).
        (
            reporting.monthly(fy_first.year, 3),
            fy_first.replace(year=fy_first.year - 1),
            fy_first - timedelta(days=1),
        ),
    ):
        figures = report.fiscal_year_to_date.loans
        assert figures.referred > 0 and figures.executed.count > 0  # so it can fail
        referred = LoanQuery(referred_from=first, referred_to=last)
        executed = LoanQuery(executed_from=first, executed_to=last)
        assert loans.count(referred) == figures.referred
        assert loans.count(executed) == figures.executed.count
        assert sum(n for n, _ in loans.counts_by_state(executed).values()) == (
            figures.executed.count
        )
        rows = loans.page(executed, limit=10_000)
        assert sum(r.amount or 0 for r in rows) == figures.executed.amount
        # Received in the period is another set: the filters do not leak into each other.
        received = LoanQuery(received_from=first, received_to=last)
        assert loans.count(received) == figures.received
    # A period ending before it starts lists nothing.
    assert loans.count(LoanQuery(executed_from=month_last, executed_to=fy_first)) == 0

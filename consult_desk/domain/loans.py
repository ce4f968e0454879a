"""Loan-referral cases (商工融資あっせん): the state machine, what each step demands, the checks.

The state machine follows DOMAIN.md §1.4. Each ``Step`` names the states it may start from, the
state it leads to and the fields it demands; the service applies a step only when ``check_step``
finds no errors. Warnings never block, but they are always returned and shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

import jpholiday

from consult_desk.domain.errors import FieldError


class LoanState(StrEnum):
    INQUIRY = "INQUIRY"
    PLAN_COACHING = "PLAN_COACHING"
    RECEIVED = "RECEIVED"
    WARD_REVIEW = "WARD_REVIEW"
    ON_HOLD = "ON_HOLD"
    REFERRAL_ISSUED = "REFERRAL_ISSUED"
    BANK_REVIEW = "BANK_REVIEW"
    CGC_REVIEW = "CGC_REVIEW"
    GUARANTEED = "GUARANTEED"
    EXECUTED = "EXECUTED"
    GRACE = "GRACE"
    REPAYING = "REPAYING"
    REPAID = "REPAID"
    REFUSED_BY_WARD = "REFUSED_BY_WARD"
    DECLINED_BANK = "DECLINED_BANK"
    DECLINED_CGC = "DECLINED_CGC"
    WITHDRAWN = "WITHDRAWN"
    EXPIRED = "EXPIRED"
    SUBROGATED = "SUBROGATED"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


S = LoanState
STATE_LABELS: dict[LoanState, str] = {
    S.INQUIRY: "相談",
    S.PLAN_COACHING: "起業計画指導",
    S.RECEIVED: "受付",
    S.WARD_REVIEW: "区審査",
    S.ON_HOLD: "書類不備で保留",
    S.REFERRAL_ISSUED: "あっせん書交付",
    S.BANK_REVIEW: "金融機関審査",
    S.CGC_REVIEW: "保証協会審査",
    S.GUARANTEED: "保証承諾",
    S.EXECUTED: "融資実行",
    S.GRACE: "据置",
    S.REPAYING: "返済中",
    S.REPAID: "完済",
    S.REFUSED_BY_WARD: "あっせん不可",
    S.DECLINED_BANK: "金融機関謝絶",
    S.DECLINED_CGC: "保証協会謝絶",
    S.WITHDRAWN: "取下げ",
    S.EXPIRED: "期限切れ",
    S.SUBROGATED: "代位弁済",
}
# The order the pipeline page lists states in.
PIPELINE_ORDER: tuple[LoanState, ...] = tuple(LoanState)
TERMINAL = frozenset(
    {
        S.REPAID,
        S.REFUSED_BY_WARD,
        S.DECLINED_BANK,
        S.DECLINED_CGC,
        S.WITHDRAWN,
        S.EXPIRED,
        S.SUBROGATED,
    }
)
# Loans that were paid out and are still owed: they count against 口数 and the fund limit.
ACTIVE_LOAN = frozenset({S.EXECUTED, S.GRACE, S.REPAYING})
BEFORE_EXECUTION = frozenset(
    {
        S.INQUIRY,
        S.PLAN_COACHING,
        S.RECEIVED,
        S.WARD_REVIEW,
        S.ON_HOLD,
        S.REFERRAL_ISSUED,
        S.BANK_REVIEW,
        S.CGC_REVIEW,
        S.GUARANTEED,
    }
)
# Referred and not yet decided: these also count against the caps, so two referrals for the
# same fund cannot slip past 口数 while the banks review them.
REFERRED_PENDING = frozenset({S.REFERRAL_ISSUED, S.BANK_REVIEW, S.CGC_REVIEW, S.GUARANTEED})


class StepName(StrEnum):
    START_COACHING = "start_coaching"
    RECEIVE = "receive"
    START_REVIEW = "start_review"
    HOLD = "hold"
    RESUME = "resume"
    REFUSE = "refuse"
    REFER = "refer"
    BANK_RECEIVED = "bank_received"
    TO_CGC = "to_cgc"
    GUARANTEE = "guarantee"
    DECLINE_BANK = "decline_bank"
    DECLINE_CGC = "decline_cgc"
    EXECUTE = "execute"
    START_GRACE = "start_grace"
    START_REPAYING = "start_repaying"
    REPAY = "repay"
    SUBROGATE = "subrogate"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"


@dataclass(frozen=True, slots=True)
class Step:
    name: StepName
    label: str  # the button's text
    sources: frozenset[LoanState]
    target: LoanState
    required: tuple[str, ...] = ()  # besides occurred_on, which every step needs
    optional: tuple[str, ...] = ()
    exit: bool = False  # ends the case unsuccessfully: shown apart from the forward steps


def _step(
    name: StepName,
    label: str,
    sources: set[LoanState],
    target: LoanState,
    required: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
    exit: bool = False,
) -> Step:
    return Step(name, label, frozenset(sources), target, required, optional, exit)


ELIGIBILITY_FIELDS = (
    "eligible_in_ward_year",
    "eligible_head_office",
    "eligible_taxes_paid",
    "eligible_no_virtual_office",
    "eligible_industry_covered",
)

STEPS: dict[StepName, Step] = {
    s.name: s
    for s in (
        _step(
            StepName.START_COACHING,
            "起業計画指導へ",
            {S.INQUIRY},
            S.PLAN_COACHING,
            ("interviewer",),
        ),
        _step(
            StepName.RECEIVE,
            "受付（面談済み）",
            {S.INQUIRY, S.PLAN_COACHING},
            S.RECEIVED,
            ("interviewer",),
            ("receipt_number", "requested_amount"),
        ),
        _step(
            StepName.START_REVIEW,
            "区審査を開始",
            {S.RECEIVED},
            S.WARD_REVIEW,
            ELIGIBILITY_FIELDS,
        ),
        _step(
            StepName.HOLD, "書類不備で保留", {S.WARD_REVIEW}, S.ON_HOLD, ("reason",), ("due_on",)
        ),
        _step(StepName.RESUME, "書類がそろった", {S.ON_HOLD}, S.WARD_REVIEW),
        _step(
            StepName.REFER,
            "あっせん書を交付",
            {S.WARD_REVIEW},
            S.REFERRAL_ISSUED,
            ("referral_number", "referral_amount", "bank_id"),
            ("branch_id",),
        ),
        _step(StepName.BANK_RECEIVED, "金融機関が受付", {S.REFERRAL_ISSUED}, S.BANK_REVIEW),
        _step(StepName.TO_CGC, "保証協会へ", {S.BANK_REVIEW}, S.CGC_REVIEW),
        _step(
            StepName.GUARANTEE,
            "保証承諾",
            {S.CGC_REVIEW},
            S.GUARANTEED,
            ("approved_amount",),
            ("guarantee_fee",),
        ),
        _step(
            StepName.EXECUTE,
            "融資実行",
            {S.BANK_REVIEW, S.GUARANTEED},
            S.EXECUTED,
            ("executed_amount", "term_months", "grace_months", "nominal_rate"),
        ),
        _step(StepName.START_GRACE, "据置期間に入る", {S.EXECUTED}, S.GRACE),
        _step(StepName.START_REPAYING, "返済開始", {S.EXECUTED, S.GRACE}, S.REPAYING),
        _step(StepName.REPAY, "完済", {S.GRACE, S.REPAYING}, S.REPAID, (), ("reason",)),
        _step(
            StepName.REFUSE,
            "あっせん不可",
            {S.WARD_REVIEW, S.ON_HOLD},
            S.REFUSED_BY_WARD,
            ("reason",),
            exit=True,
        ),
        _step(
            StepName.DECLINE_BANK,
            "金融機関謝絶",
            {S.BANK_REVIEW, S.GUARANTEED},
            S.DECLINED_BANK,
            ("reason",),
            exit=True,
        ),
        _step(
            StepName.DECLINE_CGC,
            "保証協会謝絶",
            {S.CGC_REVIEW},
            S.DECLINED_CGC,
            ("reason",),
            exit=True,
        ),
        _step(
            StepName.WITHDRAW,
            "取下げ",
            set(BEFORE_EXECUTION),
            S.WITHDRAWN,
            ("reason",),
            exit=True,
        ),
        _step(
            StepName.EXPIRE,
            "期限切れ",
            {S.REFERRAL_ISSUED, S.BANK_REVIEW},
            S.EXPIRED,
            (),
            ("reason",),
            exit=True,
        ),
        _step(
            StepName.SUBROGATE,
            "代位弁済",
            {S.GRACE, S.REPAYING, S.EXECUTED},
            S.SUBROGATED,
            (),
            ("reason",),
            exit=True,
        ),
    )
}


def steps_from(state: LoanState, is_startup: bool = False) -> list[Step]:
    """The steps the case's current state allows, forward steps first."""
    found = [s for s in STEPS.values() if state in s.sources]
    if not is_startup:
        found = [s for s in found if s.name != StepName.START_COACHING]
    return sorted(found, key=lambda s: s.exit)


class SubsidyStopReason(StrEnum):
    MOVED_OUT = "区外転出"
    CLOSED = "廃業"
    SUBROGATED = "代位弁済"
    LEFT_CHOKAI = "町会・商店街振興組合を脱退"
    RESCHEDULED = "条件変更で期間超過"


@dataclass(frozen=True, slots=True)
class StepInput:
    """What the officer typed for one step; fields a step does not use are ignored."""

    step: StepName
    occurred_on: date
    reason: str = ""
    interviewer: str = ""
    receipt_number: str = ""
    requested_amount: int | None = None
    due_on: date | None = None
    eligible_in_ward_year: bool | None = None
    eligible_head_office: bool | None = None
    eligible_taxes_paid: bool | None = None
    eligible_no_virtual_office: bool | None = None
    eligible_industry_covered: bool | None = None
    referral_number: str = ""
    referral_amount: int | None = None
    bank_id: int | None = None
    branch_id: int | None = None
    approved_amount: int | None = None
    guarantee_fee: int | None = None
    executed_amount: int | None = None
    term_months: int | None = None
    grace_months: int | None = None
    nominal_rate: Decimal | None = None

    def values(self) -> dict[str, object]:
        """The fields this step stores (required and optional), by name."""
        step = STEPS[self.step]
        return {name: getattr(self, name) for name in (*step.required, *step.optional)}


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the checks need to know about a case and its business, read by the service."""

    state: LoanState
    is_startup: bool
    received_on: date
    in_ward_since: date | None = None
    founded_on: date | None = None
    referral_amount: int | None = None
    approved_amount: int | None = None
    limit_amount: int | None = None  # the fund's limit in force
    max_term_months: int | None = None
    max_grace_months: int | None = None
    max_concurrent_loans: int | None = None
    # The business's other loans under the same fund that count against the caps.
    other_loans: int = 0
    other_outstanding: int = 0
    coaching_interviews: int = 0
    status_since: date | None = None


@dataclass(frozen=True, slots=True)
class Findings:
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[FieldError] = field(default_factory=list)


REFERRAL_BUSINESS_DAYS = 3
MAX_YEN = 10**12
MAX_TERM_MONTHS = 360
MAX_RATE = Decimal("20")


def is_business_day(day: date) -> bool:
    """Ward offices close on weekends, public holidays and 12/29–1/3 (年末年始)."""
    if day.weekday() >= 5 or jpholiday.is_holiday(day):
        return False
    return not ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3))


def add_business_days(start: date, days: int) -> date:
    """The ``days``-th business day after ``start`` (``start`` itself is not counted)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_business_day(current):
            remaining -= 1
    return current


def earliest_referral(received_on: date) -> date:
    """あっせん書 are handed over no earlier than 3 business days after receipt (DOMAIN §1.3)."""
    return add_business_days(received_on, REFERRAL_BUSINESS_DAYS)


def one_year_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def check_step(facts: CaseFacts, value: StepInput, today: date) -> Findings:
    """Errors block the step; warnings are shown and recorded with it."""
    step = STEPS[value.step]
    errors: list[FieldError] = []
    warnings: list[FieldError] = []
    if facts.state not in step.sources or (
        step.name == StepName.START_COACHING and not facts.is_startup
    ):
        return Findings([FieldError("step", "loan.step_not_allowed")])
    if value.occurred_on > today:
        errors.append(FieldError("occurred_on", "date.future"))
    if facts.status_since and value.occurred_on < facts.status_since:
        errors.append(FieldError("occurred_on", "loan.before_current_status"))
    for name in step.required:
        current = getattr(value, name)
        if current is None or current == "":
            errors.append(FieldError(name, "required"))
    for name in ("requested_amount", "referral_amount", "approved_amount", "executed_amount"):
        amount = getattr(value, name)
        if name in step.required + step.optional and amount is not None:
            if amount <= 0:
                errors.append(FieldError(name, "loan.amount_positive"))
            elif amount > MAX_YEN:
                errors.append(FieldError(name, "too_large"))
    if value.guarantee_fee is not None and value.guarantee_fee < 0:
        errors.append(FieldError("guarantee_fee", "negative"))
    known = {e.field for e in errors}

    if step.name == StepName.RECEIVE:
        if facts.is_startup and facts.coaching_interviews == 0:
            errors.append(FieldError("step", "loan.coaching_needed"))
        if not facts.is_startup and not _year_in_ward(facts, value.occurred_on):
            warnings.append(FieldError("eligible_in_ward_year", "loan.less_than_year"))
    elif step.name == StepName.START_REVIEW:
        for name in ELIGIBILITY_FIELDS:
            if getattr(value, name) is False:
                warnings.append(FieldError(name, "loan.not_eligible"))
        if (
            value.eligible_in_ward_year
            and not facts.is_startup
            and not _year_in_ward(facts, value.occurred_on)
        ):
            warnings.append(FieldError("eligible_in_ward_year", "loan.less_than_year"))
    elif step.name == StepName.REFER:
        earliest = earliest_referral(facts.received_on)
        if value.occurred_on < earliest:
            errors.append(FieldError("occurred_on", "loan.referral_too_early"))
        if facts.limit_amount is None:
            errors.append(FieldError("step", "loan.no_terms_in_force"))
        elif "referral_amount" not in known and value.referral_amount is not None:
            _check_caps(facts, value.referral_amount, "referral_amount", errors)
    elif step.name == StepName.GUARANTEE:
        approved = value.approved_amount
        if (
            approved is not None
            and "approved_amount" not in known
            and facts.referral_amount is not None
            and approved > facts.referral_amount
        ):
            errors.append(FieldError("approved_amount", "loan.above_referral"))
    elif step.name == StepName.EXECUTE:
        _check_execution(facts, value, known, errors)
    return Findings(errors, warnings)


def _year_in_ward(facts: CaseFacts, on: date) -> bool:
    since = facts.in_ward_since or facts.founded_on
    return since is not None and one_year_later(since) <= on


def _check_caps(facts: CaseFacts, amount: int, name: str, errors: list[FieldError]) -> None:
    if facts.limit_amount is not None and amount > facts.limit_amount:
        errors.append(FieldError(name, "loan.above_limit"))
    elif (
        facts.limit_amount is not None
        and facts.other_outstanding + amount > facts.limit_amount
        and facts.other_loans
    ):
        errors.append(FieldError(name, "loan.combined_above_limit"))
    if facts.max_concurrent_loans is not None and facts.other_loans >= facts.max_concurrent_loans:
        errors.append(FieldError("step", "loan.too_many_loans"))


def _check_execution(
    facts: CaseFacts, value: StepInput, known: set[str], errors: list[FieldError]
) -> None:
    amount = value.executed_amount
    if amount is not None and "executed_amount" not in known:
        ceiling = facts.approved_amount or facts.referral_amount
        if ceiling is not None and amount > ceiling:
            errors.append(
                FieldError(
                    "executed_amount",
                    "loan.above_approved" if facts.approved_amount else "loan.above_referral",
                )
            )
        elif facts.limit_amount is not None and amount > facts.limit_amount:
            errors.append(FieldError("executed_amount", "loan.above_limit"))
    term, grace = value.term_months, value.grace_months
    if term is not None:
        if not 1 <= term <= MAX_TERM_MONTHS:
            errors.append(FieldError("term_months", "loan.term_range"))
        elif facts.max_term_months is not None and term > facts.max_term_months:
            errors.append(FieldError("term_months", "loan.term_above_max"))
    if grace is not None:
        if grace < 0:
            errors.append(FieldError("grace_months", "negative"))
        elif term is not None and grace >= term:
            errors.append(FieldError("grace_months", "loan.grace_not_below_term"))
        elif facts.max_grace_months is not None and grace > facts.max_grace_months:
            errors.append(FieldError("grace_months", "loan.grace_above_max"))
    rate = value.nominal_rate
    if rate is not None and not Decimal(0) <= rate <= MAX_RATE:
        errors.append(FieldError("nominal_rate", "loan.rate_range"))


@dataclass(frozen=True, slots=True)
class LoanCaseInput:
    """A new case (相談カード): the business, the fund and what is wanted."""

    business_id: int
    program_id: int
    received_on: date
    officer_id: int | None = None
    consultation_id: int | None = None
    requested_amount: int | None = None
    purpose: str = ""
    interviewer: str = ""
    bank_id: int | None = None
    branch_id: int | None = None

    def errors(self, today: date) -> list[FieldError]:
        found: list[FieldError] = []
        if self.received_on > today:
            found.append(FieldError("received_on", "date.future"))
        if self.requested_amount is not None:
            if self.requested_amount <= 0:
                found.append(FieldError("requested_amount", "loan.amount_positive"))
            elif self.requested_amount > MAX_YEN:
                found.append(FieldError("requested_amount", "too_large"))
        if len(self.purpose) > 2000:
            found.append(FieldError("purpose", "too_long"))
        return found


@dataclass(frozen=True, slots=True)
class LoanQuery:
    states: frozenset[LoanState] = frozenset()  # empty: every state
    program_id: int | None = None
    bank_id: int | None = None
    officer_id: int | None = None
    business_id: int | None = None
    received_from: date | None = None
    received_to: date | None = None
    referred_from: date | None = None  # referred_on in the period (a report's あっせん件数)
    referred_to: date | None = None
    executed_from: date | None = None  # executed_on in the period (a report's 実行件数)
    executed_to: date | None = None
    overdue_only: bool = False


@dataclass(frozen=True, slots=True)
class LoanRow:
    """One line of the pipeline list."""

    id: int
    business_id: int
    business_name: str
    program_name: str
    state: LoanState
    status_since: date
    received_on: date
    bank_name: str
    officer_name: str
    amount: int | None  # the latest known: executed, approved, referred or requested
    days_in_state: int
    overdue: bool


@dataclass(frozen=True, slots=True)
class LoanEvent:
    id: int
    kind: str  # transition / undo / note / prepayment / subsidy_stop / interview
    from_state: LoanState | None
    to_state: LoanState
    occurred_on: date
    staff_name: str
    reason: str
    data: dict[str, object]
    undone: bool = False

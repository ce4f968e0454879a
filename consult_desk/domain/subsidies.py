"""Subsidy applications (補助金): programs' rate rules, the application lifecycle, the checks.

One lifecycle serves businesses (販路拡大, 脱炭素 …) and shopping streets (events):

    申請 → (差戻し ↔ 修正して再申請) → 交付決定 → (変更申請 → 変更承認) → 実績報告 → 額の確定 → 支払
    申請 / 差戻し → 不交付;   any state before 支払 → 取下げ

Amount rules (``SubsidyRule``, from a program's terms in force on the application day):

- the rate is an exact fraction; the amount is cost × rate, rounded DOWN to the rounding unit,
  then limited to the cap;
- a cost band is read as *whole cost at one rate*: a cost of at most ``band_threshold`` is paid
  at the band rate, a larger cost at the normal rate (DOMAIN §4.2: "expense >¥1M → ⅔; ≤¥1M →
  ⅚"). It is not marginal, so the amount can drop just above the threshold (¥1,000,000 →
  ¥833,000; ¥1,000,001 → ¥666,000), as the published rule says;
- ``max_per_fiscal_year`` counts the applicant's live applications to the same program whose
  application day falls in the same 年度 (3/31 and 4/1 are different 年度);
- the 実績報告 is due ``report_due_days`` after the funded activity ends.

Breaking a program rule is a warning (the desk may still record what the applicant filed);
impossible input (negative amounts, an end before the start, a grant above the computed
amount) is an error. ``check_application`` and ``check_step`` return both, never raise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction

from consult_desk.domain.errors import FieldError, ValidationError
from consult_desk.domain.fiscal import fiscal_year
from consult_desk.domain.text import normalize, normalize_lines, parse_int

MAX_YEN = 10**12  # far above any subsidy: catches a cost typed with extra zeros
MAX_NAME = 100  # subsidy_program.name
MAX_TITLE = 200  # subsidy_application.title
MAX_NOTES = 2000
MAX_ROUNDING_UNIT = 1_000_000
MAX_PER_YEAR = 99
MAX_REPORT_DAYS = 730
REPORT_DUE_SOON_DAYS = 14  # the follow-up list shows reports due within this many days


class SubsidyState(StrEnum):
    APPLIED = "applied"
    RETURNED = "returned"
    GRANTED = "granted"
    CHANGE_REQUESTED = "change_requested"
    REPORTED = "reported"
    CONFIRMED = "confirmed"
    PAID = "paid"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


S = SubsidyState
STATE_LABELS: dict[SubsidyState, str] = {
    S.APPLIED: "申請",
    S.RETURNED: "差戻し",
    S.GRANTED: "交付決定",
    S.CHANGE_REQUESTED: "変更申請",
    S.REPORTED: "実績報告",
    S.CONFIRMED: "額の確定",
    S.PAID: "支払済",
    S.WITHDRAWN: "取下げ",
    S.REJECTED: "不交付",
}
TERMINAL = frozenset({S.PAID, S.WITHDRAWN, S.REJECTED})
# Granted and still owing the 実績報告: these feed the follow-up list.
AWAITING_REPORT = frozenset({S.GRANTED, S.CHANGE_REQUESTED})
# Applications that count against max_per_fiscal_year: everything not withdrawn or refused.
COUNTED = frozenset(SubsidyState) - {S.WITHDRAWN, S.REJECTED}
# States whose granted / confirmed / paid amounts are spending of the 年度.
GRANTED_OR_LATER = frozenset({S.GRANTED, S.CHANGE_REQUESTED, S.REPORTED, S.CONFIRMED, S.PAID})


class SubsidyTarget(StrEnum):
    BUSINESS = "business"
    STREET = "street"

    @property
    def label(self) -> str:
        return "事業者" if self is SubsidyTarget.BUSINESS else "商店街"


# --- amount rules -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubsidyRule:
    """The amount rules of one program's terms, as pure values."""

    rate: Fraction
    band_threshold: int | None = None  # cost up to this (inclusive) is paid at band_rate
    band_rate: Fraction | None = None
    rounding_unit: int = 1000
    cap: int | None = None
    max_per_fiscal_year: int | None = None
    report_due_days: int | None = None

    def rate_for(self, cost: int) -> Fraction:
        """The rate the whole cost is paid at (not marginal: see the module docstring)."""
        band, threshold = self.band_rate, self.band_threshold
        if band is not None and threshold is not None and cost <= threshold:
            return band
        return self.rate


def eligible_amount(rule: SubsidyRule, cost: int) -> int:
    """補助対象額: cost × rate, rounded down to the rounding unit, then capped.

    Exact (``Fraction``): ⅔ of ¥149,999 is 99,999⅓, which becomes ¥99,000 with a ¥1,000 unit.
    Raises ValueError for a negative cost.
    """
    if cost < 0:
        raise ValueError(f"negative cost: {cost}")
    exact = Fraction(cost) * rule.rate_for(cost)
    unit = max(rule.rounding_unit, 1)
    amount = int(exact // unit) * unit
    return amount if rule.cap is None else min(amount, rule.cap)


def report_due(rule: SubsidyRule, activity_ends_on: date | None) -> date | None:
    """The 実績報告 due day: ``report_due_days`` after the activity ends (None if either is
    unknown)."""
    if rule.report_due_days is None or activity_ends_on is None:
        return None
    return activity_ends_on + timedelta(days=rule.report_due_days)


def same_fiscal_year(others_applied_on: Iterable[date], applied_on: date) -> int:
    """How many of the other applications were made in the 年度 of ``applied_on``."""
    year = fiscal_year(applied_on)
    return sum(1 for day in others_applied_on if fiscal_year(day) == year)


def over_yearly_limit(rule: SubsidyRule, others_applied_on: Iterable[date], on: date) -> bool:
    """Whether one more application on ``on`` exceeds the program's limit per 年度."""
    if rule.max_per_fiscal_year is None:
        return False
    return same_fiscal_year(others_applied_on, on) + 1 > rule.max_per_fiscal_year


def parse_amount(text: str, field_name: str) -> int | None:
    """An amount as typed (「１５０，０００」, 「15万円」); None when empty.

    Raises ValidationError with ``number.format`` when the text is not a whole number; the sign
    is kept, so the checks can say 「0以上」 for a negative amount.
    """
    if not normalize(text):
        return None
    try:
        return parse_int(text)
    except ValueError as exc:
        raise ValidationError([FieldError(field_name, "number.format")]) from exc


def _amount_error(amount: int | None) -> str | None:
    if amount is None:
        return None
    if amount < 0:
        return "negative"
    if amount > MAX_YEN:
        return "too_large"
    return None


@dataclass(frozen=True, slots=True)
class Findings:
    """Errors block the save or step; warnings are shown (and audited) but never block.

    ``computed_amount`` is the eligible amount the rule gives for the typed cost, for the form
    to show while the user types (None when it cannot be computed yet).
    """

    errors: list[FieldError] = field(default_factory=list)
    warnings: list[FieldError] = field(default_factory=list)
    computed_amount: int | None = None


# --- initiatives --------------------------------------------------------------------------

# The plan's initiatives (migrations/data/0002/plan.json) a program serves when its master
# record names none: matched on the program's name, first match wins.
INITIATIVE_KEYWORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("販路",), "1-3-1"),  # 販路拡大に向けた取組みに対する支援
    (("DX", "デジタル"), "1-3-2"),
    (("SDGs", "脱炭素", "環境"), "1-3-3"),
    (("創業", "起業"), "1-1-1"),
    (("担い手", "若手"), "2-2-2"),
    (("大学",), "2-2-3"),
)
FALLBACK_INITIATIVE = {
    SubsidyTarget.BUSINESS: "1-3-1",
    SubsidyTarget.STREET: "2-2-1",  # 商店街や同業種団体主催のイベント開催支援
}


def initiative_code_for(program_name: str, target: SubsidyTarget) -> str:
    """The plan initiative an application serves when its program names none."""
    name = normalize(program_name).upper()
    for keywords, code in INITIATIVE_KEYWORDS:
        if any(k.upper() in name for k in keywords):
            return code
    return FALLBACK_INITIATIVE[target]


# --- master data ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProgramInput:
    """補助金の制度 as a user enters it."""

    name: str
    target: SubsidyTarget
    initiative_id: int | None = None  # None: chosen from the name (initiative_code_for)
    active: bool = True
    notes: str = ""

    def normalized(self) -> ProgramInput:
        return replace(self, name=normalize(self.name), notes=normalize_lines(self.notes))

    def errors(self) -> list[FieldError]:
        name = normalize(self.name)
        if not name:
            return [FieldError("name", "required")]
        if len(name) > MAX_NAME:
            return [FieldError("name", "too_long")]
        return []


@dataclass(frozen=True, slots=True)
class TermsInput:
    """A program's amount rules for one period (both ends inclusive; ``valid_to`` None: open).

    Rates are fractions: ⅔ is ``rate_numerator=2, rate_denominator=3``. The band is optional;
    when used, all three band fields are set.
    """

    valid_from: date
    valid_to: date | None
    rate_numerator: int
    rate_denominator: int
    band_threshold: int | None = None
    band_rate_numerator: int | None = None
    band_rate_denominator: int | None = None
    rounding_unit: int = 1000
    cap_amount: int | None = None
    max_per_fiscal_year: int | None = None
    report_due_days: int | None = None

    def errors(self) -> list[FieldError]:
        found: list[FieldError] = []
        if self.valid_to is not None and self.valid_to < self.valid_from:
            found.append(FieldError("valid_to", "subsidy_terms.period"))
        if not _fraction_ok(self.rate_numerator, self.rate_denominator):
            found.append(FieldError("rate_numerator", "subsidy_terms.rate"))
        band = (self.band_threshold, self.band_rate_numerator, self.band_rate_denominator)
        if any(v is not None for v in band):
            if any(v is None for v in band):
                found.append(FieldError("band_threshold", "subsidy_terms.band_incomplete"))
            else:
                assert self.band_rate_numerator is not None
                assert self.band_rate_denominator is not None
                if not _fraction_ok(self.band_rate_numerator, self.band_rate_denominator):
                    found.append(FieldError("band_rate_numerator", "subsidy_terms.rate"))
                if (code := _positive_yen(self.band_threshold)) is not None:
                    found.append(FieldError("band_threshold", code))
        if not 1 <= self.rounding_unit <= MAX_ROUNDING_UNIT:
            found.append(FieldError("rounding_unit", "subsidy_terms.rounding_range"))
        if self.cap_amount is not None and (code := _positive_yen(self.cap_amount)) is not None:
            found.append(FieldError("cap_amount", code))
        limit = self.max_per_fiscal_year
        if limit is not None and not 1 <= limit <= MAX_PER_YEAR:
            found.append(FieldError("max_per_fiscal_year", "subsidy_terms.per_year_range"))
        days = self.report_due_days
        if days is not None and not 0 <= days <= MAX_REPORT_DAYS:
            found.append(FieldError("report_due_days", "subsidy_terms.report_days_range"))
        return found

    def rule(self) -> SubsidyRule:
        return _rule(self)


def _fraction_ok(numerator: int, denominator: int) -> bool:
    # A subsidy never pays more than the cost.
    return 0 < numerator <= denominator


def _positive_yen(amount: int | None) -> str | None:
    if amount is None or amount <= 0:
        return "subsidy_terms.positive"
    if amount > MAX_YEN:
        return "too_large"
    return None


def _rule(terms: TermsInput | TermsInfo) -> SubsidyRule:
    band_rate = None
    if terms.band_rate_numerator and terms.band_rate_denominator:
        band_rate = Fraction(terms.band_rate_numerator, terms.band_rate_denominator)
    return SubsidyRule(
        rate=Fraction(terms.rate_numerator, terms.rate_denominator),
        band_threshold=terms.band_threshold if band_rate is not None else None,
        band_rate=band_rate,
        rounding_unit=terms.rounding_unit,
        cap=terms.cap_amount,
        max_per_fiscal_year=terms.max_per_fiscal_year,
        report_due_days=terms.report_due_days,
    )


@dataclass(frozen=True, slots=True)
class ProgramInfo:
    id: int
    version: int
    name: str
    target: SubsidyTarget
    initiative_id: int | None
    active: bool
    notes: str

    def as_input(self) -> ProgramInput:
        return ProgramInput(self.name, self.target, self.initiative_id, self.active, self.notes)


@dataclass(frozen=True, slots=True)
class TermsInfo:
    id: int
    program_id: int
    version: int
    valid_from: date
    valid_to: date | None
    rate_numerator: int
    rate_denominator: int
    band_threshold: int | None
    band_rate_numerator: int | None
    band_rate_denominator: int | None
    rounding_unit: int
    cap_amount: int | None
    max_per_fiscal_year: int | None
    report_due_days: int | None

    def rule(self) -> SubsidyRule:
        return _rule(self)

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def as_input(self) -> TermsInput:
        return TermsInput(
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            rate_numerator=self.rate_numerator,
            rate_denominator=self.rate_denominator,
            band_threshold=self.band_threshold,
            band_rate_numerator=self.band_rate_numerator,
            band_rate_denominator=self.band_rate_denominator,
            rounding_unit=self.rounding_unit,
            cap_amount=self.cap_amount,
            max_per_fiscal_year=self.max_per_fiscal_year,
            report_due_days=self.report_due_days,
        )


# --- applications -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApplicationInput:
    """An application (交付申請) as the desk records it.

    Exactly one applicant: ``business_id`` for a business program, ``association_id`` for a
    street program. ``event_id`` (street programs only) links the funded event; without an
    ``activity_ends_on`` the event's last day is used. Amounts are integer yen: parse typed
    text with ``parse_amount``.
    """

    program_id: int
    applied_on: date
    business_id: int | None = None
    association_id: int | None = None
    event_id: int | None = None
    title: str = ""
    activity_ends_on: date | None = None
    eligible_cost: int | None = None  # 補助対象経費 as applied for
    requested_amount: int | None = None  # 申請額; None: the computed amount
    staff_id: int | None = None  # None: the signed-in member of staff
    notes: str = ""

    def normalized(self) -> ApplicationInput:
        return replace(self, title=normalize(self.title), notes=normalize_lines(self.notes))

    @property
    def target(self) -> SubsidyTarget | None:
        if self.business_id is not None and self.association_id is None:
            return SubsidyTarget.BUSINESS
        if self.association_id is not None and self.business_id is None:
            return SubsidyTarget.STREET
        return None


@dataclass(frozen=True, slots=True)
class ApplicationFacts:
    """What ``check_application`` needs beyond the input, read by the service."""

    program_target: SubsidyTarget | None  # None: no such (active) program
    rule: SubsidyRule | None  # the terms in force on applied_on; None: none registered
    # applied_on of the applicant's other counted applications to the same program.
    others_applied_on: tuple[date, ...] = ()
    event_starts_on: date | None = None
    event_ends_on: date | None = None
    event_association_id: int | None = None


def check_application(value: ApplicationInput, facts: ApplicationFacts, today: date) -> Findings:
    """Errors (cannot be saved) and warnings (a program rule broken) of an application."""
    errors: list[FieldError] = []
    warnings: list[FieldError] = []
    if facts.program_target is None:
        errors.append(FieldError("program_id", "invalid_choice"))
    if value.target is None:
        errors.append(FieldError("business_id", "subsidy.one_applicant"))
    elif facts.program_target is not None and value.target is not facts.program_target:
        field_name = "business_id" if value.target is SubsidyTarget.BUSINESS else "association_id"
        errors.append(FieldError(field_name, "subsidy.target_mismatch"))
    if value.applied_on > today:
        errors.append(FieldError("applied_on", "date.future"))
    if len(normalize(value.title)) > MAX_TITLE:
        errors.append(FieldError("title", "too_long"))
    if len(normalize_lines(value.notes)) > MAX_NOTES:
        errors.append(FieldError("notes", "too_long"))

    if value.event_id is not None:
        if value.association_id is None:
            errors.append(FieldError("event_id", "subsidy.event_for_streets"))
        elif facts.event_association_id != value.association_id:
            errors.append(FieldError("event_id", "subsidy.event_mismatch"))
    ends_on = value.activity_ends_on or facts.event_ends_on
    if (
        ends_on is not None
        and facts.event_starts_on is not None
        and ends_on < facts.event_starts_on
    ):
        errors.append(FieldError("activity_ends_on", "subsidy.ends_before_start"))

    if value.eligible_cost is None:
        errors.append(FieldError("eligible_cost", "required"))
    for name in ("eligible_cost", "requested_amount"):
        if (code := _amount_error(getattr(value, name))) is not None:
            errors.append(FieldError(name, code))

    computed = None
    rule = facts.rule
    if rule is None:
        if facts.program_target is not None:
            errors.append(FieldError("program_id", "subsidy.no_terms_in_force"))
    else:
        cost_ok = not any(e.field == "eligible_cost" for e in errors)
        if cost_ok and value.eligible_cost is not None:
            computed = eligible_amount(rule, value.eligible_cost)
            requested = value.requested_amount
            if requested is not None and requested > computed and requested <= MAX_YEN:
                warnings.append(FieldError("requested_amount", "subsidy.above_computed"))
        if over_yearly_limit(rule, facts.others_applied_on, value.applied_on):
            warnings.append(FieldError("applied_on", "subsidy.over_yearly_limit"))
        if rule.report_due_days is not None and ends_on is None:
            warnings.append(FieldError("activity_ends_on", "subsidy.no_activity_end"))
    if ends_on is not None and value.applied_on > ends_on:
        warnings.append(FieldError("applied_on", "subsidy.applied_after_activity"))
        due = report_due(rule, ends_on) if rule is not None else None
        if due is not None and due < value.applied_on:
            warnings.append(FieldError("activity_ends_on", "subsidy.report_already_overdue"))
    return Findings(errors, warnings, computed)


# --- steps --------------------------------------------------------------------------------


class StepName(StrEnum):
    RETURN = "return"
    RESUBMIT = "resubmit"
    GRANT = "grant"
    REQUEST_CHANGE = "request_change"
    APPROVE_CHANGE = "approve_change"
    REPORT = "report"
    CONFIRM = "confirm"
    PAY = "pay"
    WITHDRAW = "withdraw"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class Step:
    name: StepName
    label: str  # the button's text
    sources: frozenset[SubsidyState]
    target: SubsidyState
    required: tuple[str, ...] = ()  # besides occurred_on, which every step needs
    optional: tuple[str, ...] = ()
    exit: bool = False  # ends the application unsuccessfully: shown apart from the others


def _step(
    name: StepName,
    label: str,
    sources: Iterable[SubsidyState],
    target: SubsidyState,
    required: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
    exit: bool = False,
) -> Step:
    return Step(name, label, frozenset(sources), target, required, optional, exit)


STEPS: dict[StepName, Step] = {
    s.name: s
    for s in (
        _step(StepName.RETURN, "差戻し", {S.APPLIED}, S.RETURNED, ("reason",)),
        # 修正: the corrected cost and amount, when they changed.
        _step(
            StepName.RESUBMIT,
            "修正して再申請",
            {S.RETURNED},
            S.APPLIED,
            (),
            ("eligible_cost", "requested_amount", "reason"),
        ),
        # occurred_on is the 交付決定日.
        _step(StepName.GRANT, "交付決定", {S.APPLIED}, S.GRANTED, ("granted_amount",), ("reason",)),
        _step(StepName.REQUEST_CHANGE, "変更申請", {S.GRANTED}, S.CHANGE_REQUESTED, ("reason",)),
        _step(
            StepName.APPROVE_CHANGE,
            "変更を承認",
            {S.CHANGE_REQUESTED},
            S.GRANTED,
            ("granted_amount",),
            ("eligible_cost", "activity_ends_on", "reason"),
        ),
        # occurred_on is the day the report arrived; actual_cost is the 実績 eligible cost.
        _step(StepName.REPORT, "実績報告", {S.GRANTED}, S.REPORTED, ("actual_cost",), ("reason",)),
        _step(
            StepName.CONFIRM,
            "額の確定",
            {S.REPORTED},
            S.CONFIRMED,
            ("confirmed_amount",),
            ("reason",),
        ),
        _step(StepName.PAY, "支払", {S.CONFIRMED}, S.PAID, ("paid_amount",), ("reason",)),
        _step(
            StepName.WITHDRAW,
            "取下げ",
            frozenset(SubsidyState) - TERMINAL,
            S.WITHDRAWN,
            ("reason",),
            exit=True,
        ),
        _step(
            StepName.REJECT, "不交付", {S.APPLIED, S.RETURNED}, S.REJECTED, ("reason",), exit=True
        ),
    )
}


def steps_from(state: SubsidyState) -> list[Step]:
    """The steps the current state allows, forward steps first."""
    return sorted((s for s in STEPS.values() if state in s.sources), key=lambda s: s.exit)


@dataclass(frozen=True, slots=True)
class StepInput:
    """What the officer typed for one step; fields the step does not use are ignored."""

    step: StepName
    occurred_on: date
    reason: str = ""
    granted_amount: int | None = None
    actual_cost: int | None = None
    confirmed_amount: int | None = None
    paid_amount: int | None = None
    eligible_cost: int | None = None  # resubmit / approve_change: the corrected cost
    requested_amount: int | None = None  # resubmit
    activity_ends_on: date | None = None  # approve_change: a moved end of the activity

    def values(self) -> dict[str, object]:
        """The fields this step uses (required and optional), by name."""
        step = STEPS[self.step]
        return {name: getattr(self, name) for name in (*step.required, *step.optional)}


_STEP_AMOUNTS = (
    "granted_amount",
    "actual_cost",
    "confirmed_amount",
    "paid_amount",
    "eligible_cost",
    "requested_amount",
)


@dataclass(frozen=True, slots=True)
class StepFacts:
    """What ``check_step`` needs to know about the application, read by the service."""

    state: SubsidyState
    applied_on: date
    last_step_on: date  # the day of the latest step (applied_on at first)
    rule: SubsidyRule | None  # the terms in force on applied_on
    eligible_cost: int | None = None  # as applied for; the actual cost after 実績報告
    computed_amount: int | None = None
    granted_amount: int | None = None
    confirmed_amount: int | None = None
    activity_ends_on: date | None = None
    event_starts_on: date | None = None
    report_due_on: date | None = None


def check_step(facts: StepFacts, value: StepInput, today: date) -> Findings:
    """Errors block the step; warnings are shown and audited with it.

    ``computed_amount`` of the result is the ceiling the step's amount is checked against.
    """
    step = STEPS[value.step]
    if facts.state not in step.sources:
        return Findings([FieldError("step", "subsidy.step_not_allowed")])
    errors: list[FieldError] = []
    warnings: list[FieldError] = []
    if value.occurred_on > today:
        errors.append(FieldError("occurred_on", "date.future"))
    elif value.occurred_on < facts.last_step_on:
        errors.append(FieldError("occurred_on", "subsidy.before_last_step"))
    for name in step.required:
        current = getattr(value, name)
        if current is None or (isinstance(current, str) and not normalize_lines(current)):
            errors.append(FieldError(name, "required"))
    used = (*step.required, *step.optional)
    for name in (n for n in _STEP_AMOUNTS if n in used):
        if (code := _amount_error(getattr(value, name))) is not None:
            errors.append(FieldError(name, code))
    if len(normalize_lines(value.reason)) > MAX_NOTES:
        errors.append(FieldError("reason", "too_long"))
    bad = {e.field for e in errors}
    rule = facts.rule
    ceiling: int | None = None

    def amount(name: str) -> int | None:
        return None if name in bad else getattr(value, name)

    name = step.name
    if name is StepName.GRANT:
        ceiling = facts.computed_amount
        granted = amount("granted_amount")
        if granted is not None and ceiling is not None and granted > ceiling:
            errors.append(FieldError("granted_amount", "subsidy.above_computed_grant"))
        if rule is not None and rule.report_due_days is not None and facts.activity_ends_on is None:
            warnings.append(FieldError("activity_ends_on", "subsidy.no_activity_end"))
    elif name is StepName.APPROVE_CHANGE:
        cost = amount("eligible_cost")
        cost = facts.eligible_cost if cost is None else cost
        ceiling = eligible_amount(rule, cost) if rule is not None and cost is not None else None
        granted = amount("granted_amount")
        if granted is not None and ceiling is not None and granted > ceiling:
            errors.append(FieldError("granted_amount", "subsidy.above_computed_grant"))
        ends = value.activity_ends_on
        if ends is not None and facts.event_starts_on is not None and ends < facts.event_starts_on:
            errors.append(FieldError("activity_ends_on", "subsidy.ends_before_start"))
    elif name is StepName.RESUBMIT:
        cost = amount("eligible_cost")
        cost = facts.eligible_cost if cost is None else cost
        ceiling = eligible_amount(rule, cost) if rule is not None and cost is not None else None
        requested = amount("requested_amount")
        if requested is not None and ceiling is not None and requested > ceiling:
            warnings.append(FieldError("requested_amount", "subsidy.above_computed"))
    elif name is StepName.REPORT:
        actual = amount("actual_cost")
        if actual is not None and rule is not None:
            ceiling = eligible_amount(rule, actual)
            if facts.granted_amount is not None and ceiling < facts.granted_amount:
                warnings.append(FieldError("actual_cost", "subsidy.actual_below_granted"))
        if facts.report_due_on is not None and value.occurred_on > facts.report_due_on:
            warnings.append(FieldError("occurred_on", "subsidy.report_late"))
    elif name is StepName.CONFIRM:
        # Recomputed on the actual cost (stored at 実績報告), and never above the grant.
        actual_ceiling = None
        if rule is not None and facts.eligible_cost is not None:
            actual_ceiling = eligible_amount(rule, facts.eligible_cost)
        ceiling = _lowest(facts.granted_amount, actual_ceiling)
        confirmed = amount("confirmed_amount")
        if confirmed is not None:
            if facts.granted_amount is not None and confirmed > facts.granted_amount:
                errors.append(FieldError("confirmed_amount", "subsidy.above_granted"))
            elif actual_ceiling is not None and confirmed > actual_ceiling:
                errors.append(FieldError("confirmed_amount", "subsidy.above_actual"))
    elif name is StepName.PAY:
        ceiling = facts.confirmed_amount
        paid = amount("paid_amount")
        if paid is not None and paid != facts.confirmed_amount:
            errors.append(FieldError("paid_amount", "subsidy.paid_not_confirmed"))
    return Findings(errors, warnings, ceiling)


def _lowest(*amounts: int | None) -> int | None:
    known = [a for a in amounts if a is not None]
    return min(known) if known else None


# --- lists and views ----------------------------------------------------------------------


class ReportDue(StrEnum):
    """The follow-up filter on 実績報告."""

    DUE = "due"  # due within REPORT_DUE_SOON_DAYS, or overdue
    OVERDUE = "overdue"  # the due day has passed


@dataclass(frozen=True, slots=True)
class ApplicationQuery:
    states: frozenset[SubsidyState] = frozenset()  # empty: every state
    program_id: int | None = None
    target: SubsidyTarget | None = None
    business_id: int | None = None
    association_id: int | None = None
    fiscal_year: int | None = None  # the 年度 of the application day
    report: ReportDue | None = None  # only applications awaiting a 実績報告 due soon / overdue
    # Granted in the period: 交付決定日 in it and a 交付決定額 (a report's 交付決定件数 / 額);
    # either end may be open.
    granted_from: date | None = None  # inclusive
    granted_to: date | None = None  # inclusive

    @property
    def grant_period(self) -> bool:
        return self.granted_from is not None or self.granted_to is not None

    def errors(self) -> list[FieldError]:
        if self.granted_from and self.granted_to and self.granted_to < self.granted_from:
            return [FieldError("granted_to", "period.reversed")]
        return []


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    """One line of an application list (newest application first)."""

    id: int
    target: SubsidyTarget
    applicant_id: int  # business or association, by target
    applicant_name: str
    program_id: int
    program_name: str
    fiscal_year: int
    state: SubsidyState
    applied_on: date
    title: str
    amount: int | None  # the latest known: paid, confirmed, granted, requested, computed
    report_due_on: date | None
    days_to_report: int | None  # until the 実績報告 is due (negative: overdue); awaiting only

    @property
    def report_overdue(self) -> bool:
        return self.days_to_report is not None and self.days_to_report < 0


@dataclass(frozen=True, slots=True)
class ApplicationView:
    """One application as its form shows it, with the steps its state allows."""

    id: int
    version: int
    program_id: int
    program_name: str
    target: SubsidyTarget
    business_id: int | None
    association_id: int | None
    applicant_name: str
    event_id: int | None
    event_name: str
    event_starts_on: date | None
    initiative_id: int
    staff_id: int | None
    staff_name: str
    fiscal_year: int
    state: SubsidyState
    title: str
    applied_on: date
    activity_ends_on: date | None
    eligible_cost: int | None  # as applied for; the actual cost once reported
    requested_amount: int | None
    computed_amount: int | None
    granted_amount: int | None
    decided_on: date | None
    report_due_on: date | None
    reported_on: date | None
    confirmed_amount: int | None
    confirmed_on: date | None
    paid_amount: int | None
    paid_on: date | None
    closed_on: date | None
    reason: str
    notes: str
    steps: tuple[Step, ...] = ()

    def as_input(self) -> ApplicationInput:
        return ApplicationInput(
            program_id=self.program_id,
            applied_on=self.applied_on,
            business_id=self.business_id,
            association_id=self.association_id,
            event_id=self.event_id,
            title=self.title,
            activity_ends_on=self.activity_ends_on,
            eligible_cost=self.eligible_cost,
            requested_amount=self.requested_amount,
            staff_id=self.staff_id,
            notes=self.notes,
        )


@dataclass(frozen=True, slots=True)
class SubsidyEventRow:
    """One entry of an application's append-only history."""

    id: int
    from_state: SubsidyState | None  # None: the application was filed
    to_state: SubsidyState
    occurred_on: date
    staff_name: str
    reason: str


@dataclass(frozen=True, slots=True)
class SpendingLine:
    """Sums of one program in one 年度 (the 年度 of the application day, so a payment made in
    the 出納整理期間 of April–May counts for the budget year it belongs to)."""

    fiscal_year: int
    program_id: int
    program_name: str
    applications: int  # granted or later
    granted: int
    confirmed: int
    paid: int

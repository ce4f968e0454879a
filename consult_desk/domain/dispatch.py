"""Expert dispatch (専門家派遣): experts, the dispatch state machine, visits and their checks.

The flow follows DOMAIN.md §2 and issue 6:

    申請 → 審査中 → 派遣決定 (approved number of visits) → 派遣中 → 完了 → 実績報告済 → 支払済
    and 中止 from any state before the end.

Each ``Step`` names the states it may start from, the state it leads to, the fields it demands
and the dispatch column its date goes to (``date_field``); the service applies a step only when
``check_step`` finds no errors. Warnings never block, but they are returned and shown.

Checking a visit, in three layers (the same rules at every layer, only the facts differ):

- ``VisitInput.errors()`` needs nothing from the database (end after start, next date after the
  visit, fee not negative): the form runs it on every keystroke;
- ``check_visit(facts, value, today)`` adds the rules that need the dispatch, the business's
  other visits and the expert (not before the decision, not beyond the approved number, the
  per-business cap of the 年度 of the visit date, the expert's registration on that day). It is
  pure: ``DispatchService.preview_visit`` reads the facts and calls it while the user types;
- the service runs ``check_visit`` again inside the transaction that saves.

Program rules (visit cap, fee per visit) are master data per program and 年度
(``dispatch_program_terms``); ``DEFAULT_MAX_VISITS`` applies only to a 年度 without a row.
Amounts are integer yen; ``read_yen`` turns typed text (full-width digits, 「1万1,550円」) into one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from enum import StrEnum

from consult_desk.domain.errors import FieldError
from consult_desk.domain.fiscal import fiscal_year
from consult_desk.domain.loans import Findings as Findings  # one findings widget serves both
from consult_desk.domain.text import normalize, normalize_lines, parse_int, search_key

# The metropolitan scheme's cap (DOMAIN.md §2: 1 theme, up to 8 visits a year); used only for a
# program and 年度 without a row in dispatch_program_terms.
DEFAULT_MAX_VISITS = 8
# Days from completion to the 実績報告 deadline when the setting was never changed.
DEFAULT_REPORT_DUE_DAYS = 30
MAX_VISITS = 99  # approved visits and caps; far above any scheme, catches typos like 80
MAX_FEE = 10_000_000  # yen per visit
MAX_AMOUNT = 10**9  # yen for a payment
MAX_THEME = 200
MAX_NAME = 100
MAX_PLACE = 200
MAX_QUALIFICATION = 50
MAX_TEXT = 10_000
FISCAL_YEARS = (2000, 2100)

# Suggestions for the qualification box (issue 6, DOMAIN.md §2); any other text is accepted.
QUALIFICATIONS = (
    "中小企業診断士",
    "税理士",
    "公認会計士",
    "社会保険労務士",
    "弁護士",
    "弁理士",
    "技術士",
    "行政書士",
    "ITコーディネータ",
    "デザイナー",
)


class DispatchState(StrEnum):
    APPLIED = "applied"
    REVIEWING = "reviewing"
    APPROVED = "approved"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    REPORTED = "reported"
    PAID = "paid"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


S = DispatchState
STATE_LABELS: dict[DispatchState, str] = {
    S.APPLIED: "申請",
    S.REVIEWING: "審査中",
    S.APPROVED: "派遣決定",
    S.IN_PROGRESS: "派遣中",
    S.COMPLETED: "完了",
    S.REPORTED: "実績報告済",
    S.PAID: "支払済",
    S.CANCELLED: "中止",
}
TERMINAL = frozenset({S.PAID, S.CANCELLED})
# States in which visits may be added (the first one starts the dispatch).
VISITS_OPEN = frozenset({S.APPROVED, S.IN_PROGRESS})
# States in which recorded visits may still be corrected: until the fees are paid.
VISITS_EDITABLE = frozenset({S.APPROVED, S.IN_PROGRESS, S.COMPLETED, S.REPORTED})
BEFORE_DECISION = frozenset({S.APPLIED, S.REVIEWING})


class StepName(StrEnum):
    START_REVIEW = "start_review"
    APPROVE = "approve"
    START = "start"
    COMPLETE = "complete"
    REPORT = "report"
    PAY = "pay"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class Step:
    name: StepName
    label: str  # the button's text
    sources: frozenset[DispatchState]
    target: DispatchState
    required: tuple[str, ...] = ()  # besides occurred_on, which every step needs
    optional: tuple[str, ...] = ()
    # The dispatch column that takes occurred_on (its label names the date box), if any.
    date_field: str | None = None
    exit: bool = False  # ends the dispatch unsuccessfully: shown apart from the forward steps


STEPS: dict[StepName, Step] = {
    s.name: s
    for s in (
        Step(StepName.START_REVIEW, "審査を開始", frozenset({S.APPLIED}), S.REVIEWING),
        Step(
            StepName.APPROVE,
            "派遣決定",
            frozenset({S.REVIEWING}),
            S.APPROVED,
            ("approved_visits",),
            ("expert_id",),
            "decided_on",
        ),
        # Also taken by the service when the first visit is recorded.
        Step(StepName.START, "派遣開始", frozenset({S.APPROVED}), S.IN_PROGRESS),
        Step(
            StepName.COMPLETE,
            "派遣完了",
            frozenset({S.IN_PROGRESS}),
            S.COMPLETED,
            (),
            ("report_due_on",),
            "completed_on",
        ),
        Step(
            StepName.REPORT,
            "実績報告を受理",
            frozenset({S.COMPLETED}),
            S.REPORTED,
            date_field="report_received_on",
        ),
        Step(StepName.PAY, "支払", frozenset({S.REPORTED}), S.PAID, ("amount",), (), "paid_on"),
        Step(
            StepName.CANCEL,
            "中止",
            frozenset(set(DispatchState) - TERMINAL),
            S.CANCELLED,
            ("reason",),
            (),
            "cancelled_on",
            exit=True,
        ),
    )
}


def steps_from(state: DispatchState) -> list[Step]:
    """The steps the dispatch's current state allows, forward steps first."""
    return sorted((s for s in STEPS.values() if state in s.sources), key=lambda s: s.exit)


# --- reading typed values -----------------------------------------------------------------


def read_yen(text: str, field_name: str) -> tuple[int | None, list[FieldError]]:
    """An amount as typed (「１１，５５０」, 「1万1550円」): (yen or None for blank, errors).

    Errors: ``number.format`` for anything that is not a whole number, ``negative`` below 0.
    """
    if not normalize(text):
        return None, []
    try:
        value = parse_int(text)
    except ValueError:
        return None, [FieldError(field_name, "number.format")]
    if value < 0:
        return value, [FieldError(field_name, "negative")]
    return value, []


def _fee_errors(value: int | None, field_name: str, high: int) -> list[FieldError]:
    if value is None:
        return []
    if value < 0:
        return [FieldError(field_name, "negative")]
    if value > high:
        return [FieldError(field_name, "too_large")]
    return []


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- experts ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExpertInput:
    """An expert's registration as the master-data form enters it."""

    name: str
    name_kana: str = ""
    qualifications: tuple[str, ...] = ()  # 中小企業診断士, 税理士 … (QUALIFICATIONS suggests)
    fields: str = ""  # 得意分野, free text
    registered_from: date | None = None
    registered_to: date | None = None  # None: open-ended
    fee_per_visit: int | None = None  # the expert's own rate; the program's fee comes first
    phone: str = ""
    email: str = ""
    active: bool = True

    def normalized(self) -> ExpertInput:
        seen: dict[str, None] = {}  # keeps the typed order, drops repeats
        for name in self.qualifications:
            if cleaned := normalize(name):
                seen.setdefault(cleaned)
        return replace(
            self,
            name=normalize(self.name),
            name_kana=normalize(self.name_kana),
            qualifications=tuple(seen),
            fields=normalize_lines(self.fields),
            phone=normalize(self.phone),
            email=normalize(self.email),
        )

    def errors(self) -> list[FieldError]:
        found: list[FieldError] = []
        name = normalize(self.name)
        if not name:
            found.append(FieldError("name", "required"))
        elif len(name) > MAX_NAME:
            found.append(FieldError("name", "too_long"))
        if len(normalize(self.name_kana)) > MAX_NAME:
            found.append(FieldError("name_kana", "too_long"))
        if any(len(normalize(q)) > MAX_QUALIFICATION for q in self.qualifications):
            found.append(FieldError("qualifications", "too_long"))
        if self.registered_from is None:
            found.append(FieldError("registered_from", "required"))
        elif self.registered_to is not None and self.registered_to < self.registered_from:
            found.append(FieldError("registered_to", "expert.registration_period"))
        found += _fee_errors(self.fee_per_visit, "fee_per_visit", MAX_FEE)
        email = normalize(self.email)
        if email and ("@" not in email or " " in email or len(email) > 200):
            found.append(FieldError("email", "email.format"))
        if len(normalize(self.phone)) > 30:
            found.append(FieldError("phone", "too_long"))
        return found

    def sort_key(self) -> str:
        """The stored sort key: the reading if there is one, else the name (as for businesses)."""
        return search_key(self.name_kana) or search_key(self.name)


@dataclass(frozen=True, slots=True)
class ExpertFacts:
    """What the checks need to know about an expert."""

    id: int
    registered_from: date
    registered_to: date | None
    active: bool

    def assignable_on(self, on: date) -> bool:
        return not expert_errors(self, on)


def expert_errors(expert: ExpertFacts, on: date, field_name: str = "expert_id") -> list[FieldError]:
    """Why the expert cannot be assigned on ``on`` (empty: they can).

    Registration is valid from ``registered_from`` to ``registered_to``, both days included.
    """
    if not expert.active:
        return [FieldError(field_name, "expert.inactive")]
    if on < expert.registered_from:
        return [FieldError(field_name, "expert.not_yet_registered")]
    if expert.registered_to is not None and on > expert.registered_to:
        return [FieldError(field_name, "expert.registration_expired")]
    return []


@dataclass(frozen=True, slots=True)
class ExpertQuery:
    text: str = ""  # every word must appear in the name, reading, fields or a qualification
    qualification: str | None = None  # exactly this qualification
    active: bool | None = True  # None: active and inactive
    valid_on: date | None = None  # registered (and active) on this day


@dataclass(frozen=True, slots=True)
class ExpertRow:
    """An expert as lists and the form show them (``as_input`` fills the form)."""

    id: int
    version: int
    name: str
    name_kana: str
    sort_key: str
    qualifications: tuple[str, ...]
    fields: str
    registered_from: date
    registered_to: date | None
    fee_per_visit: int | None
    phone: str
    email: str
    active: bool

    def facts(self) -> ExpertFacts:
        return ExpertFacts(self.id, self.registered_from, self.registered_to, self.active)

    def assignable_on(self, on: date) -> bool:
        return self.facts().assignable_on(on)

    def as_input(self) -> ExpertInput:
        return ExpertInput(
            name=self.name,
            name_kana=self.name_kana,
            qualifications=self.qualifications,
            fields=self.fields,
            registered_from=self.registered_from,
            registered_to=self.registered_to,
            fee_per_visit=self.fee_per_visit,
            phone=self.phone,
            email=self.email,
            active=self.active,
        )


@dataclass(frozen=True, slots=True)
class ExpertFee:
    """Visits and fees of one expert in one 年度."""

    expert_id: int
    expert_name: str
    visits: int
    total: int


# --- programs and their terms -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProgramInput:
    """A dispatch program (派遣制度), e.g. 「専門家派遣（経営改善）」."""

    name: str
    initiative_id: int | None = None  # the plan's 取組み; None: the service's fallback
    active: bool = True

    def normalized(self) -> ProgramInput:
        return replace(self, name=normalize(self.name))

    def errors(self) -> list[FieldError]:
        name = normalize(self.name)
        if not name:
            return [FieldError("name", "required")]
        if len(name) > MAX_NAME:
            return [FieldError("name", "too_long")]
        return []


@dataclass(frozen=True, slots=True)
class ProgramInfo:
    id: int
    name: str
    initiative_id: int | None
    active: bool
    version: int

    def as_input(self) -> ProgramInput:
        return ProgramInput(self.name, self.initiative_id, self.active)


@dataclass(frozen=True, slots=True)
class TermsInput:
    """A program's rules for one 年度: the visit cap per business and the fee per visit."""

    fiscal_year: int
    max_visits_per_business: int = DEFAULT_MAX_VISITS
    fee_per_visit: int | None = None  # None: each visit's own fee (or the expert's)

    def errors(self) -> list[FieldError]:
        found: list[FieldError] = []
        low, high = FISCAL_YEARS
        if not low <= self.fiscal_year <= high:
            found.append(FieldError("fiscal_year", "dispatch_terms.year_range"))
        if not 1 <= self.max_visits_per_business <= MAX_VISITS:
            found.append(FieldError("max_visits_per_business", "dispatch_terms.visits_range"))
        found += _fee_errors(self.fee_per_visit, "fee_per_visit", MAX_FEE)
        return found


@dataclass(frozen=True, slots=True)
class TermsInfo:
    """The rules in force for a program and 年度. ``id`` None: no row, so the defaults."""

    id: int | None
    program_id: int
    fiscal_year: int
    max_visits_per_business: int
    fee_per_visit: int | None
    version: int | None

    @property
    def is_default(self) -> bool:
        return self.id is None

    def as_input(self) -> TermsInput:
        return TermsInput(self.fiscal_year, self.max_visits_per_business, self.fee_per_visit)


# --- dispatches ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DispatchInput:
    """A new dispatch (申請), or the editable part of an existing one."""

    business_id: int
    program_id: int
    theme: str
    applied_on: date
    consultation_id: int | None = None  # the consultation it was started from; same business
    staff_id: int | None = None  # None: the signed-in member of staff
    expert_id: int | None = None  # proposed expert; fixed by the decision at the latest
    notes: str = ""

    def normalized(self) -> DispatchInput:
        return replace(self, theme=normalize(self.theme), notes=normalize_lines(self.notes))

    def errors(self, today: date) -> list[FieldError]:
        found: list[FieldError] = []
        theme = normalize(self.theme)
        if not theme:
            found.append(FieldError("theme", "required"))
        elif len(theme) > MAX_THEME:
            found.append(FieldError("theme", "too_long"))
        if self.applied_on > today:
            found.append(FieldError("applied_on", "date.future"))
        if len(self.notes) > MAX_TEXT:
            found.append(FieldError("notes", "too_long"))
        return found

    @property
    def fiscal_year(self) -> int:
        """The 年度 of the application (the dispatch's own 年度; visits count by their date)."""
        return fiscal_year(self.applied_on)


@dataclass(frozen=True, slots=True)
class StepInput:
    """What the officer typed for one step; fields a step does not use are ignored."""

    step: StepName
    occurred_on: date  # goes to the step's date_field (decided_on, completed_on, …)
    reason: str = ""
    approved_visits: int | None = None
    expert_id: int | None = None
    report_due_on: date | None = None  # None at completion: completed_on + the set days
    amount: int | None = None  # the payment; the dispatch's fee total is the expectation

    def values(self) -> dict[str, object]:
        """The fields this step uses (required and optional), by name."""
        step = STEPS[self.step]
        return {name: getattr(self, name) for name in (*step.required, *step.optional)}


@dataclass(frozen=True, slots=True)
class DispatchFacts:
    """What ``check_step`` needs to know about a dispatch, read by the service."""

    state: DispatchState
    applied_on: date
    status_since: date | None = None  # the date of the last step
    visits: int = 0
    last_visit_on: date | None = None
    approved_visits: int | None = None
    # For the decision: the cap of the 年度 of the decision and the visits the business has
    # already had in it under the same program.
    year_cap: int = DEFAULT_MAX_VISITS
    year_used: int = 0
    expert: ExpertFacts | None = None  # the expert the step names, if it names one
    fee_total: int = 0  # what the visits cost: the expected payment


def check_step(facts: DispatchFacts, value: StepInput, today: date) -> Findings:
    """Errors block the step; warnings are shown and recorded with it."""
    step = STEPS[value.step]
    if facts.state not in step.sources:
        return Findings([FieldError("step", "dispatch.step_not_allowed")])
    errors: list[FieldError] = []
    warnings: list[FieldError] = []
    if value.occurred_on > today:
        errors.append(FieldError("occurred_on", "date.future"))
    # The application date may have been corrected after the opening event was logged.
    since = max(facts.status_since or facts.applied_on, facts.applied_on)
    if value.occurred_on < since:
        errors.append(FieldError("occurred_on", "dispatch.before_current_status"))
    for name in step.required:
        if _blank(getattr(value, name)):
            errors.append(FieldError(name, "required"))
    known = {e.field for e in errors}

    if step.name == StepName.APPROVE:
        visits = value.approved_visits
        if visits is not None and not 1 <= visits <= MAX_VISITS:
            errors.append(FieldError("approved_visits", "dispatch.approved_visits_range"))
        elif visits is not None and visits > max(facts.year_cap - facts.year_used, 0):
            warnings.append(FieldError("approved_visits", "dispatch.approved_above_cap"))
        if value.expert_id is not None and facts.expert is not None:
            errors += expert_errors(facts.expert, value.occurred_on)
    elif step.name == StepName.COMPLETE:
        if facts.visits == 0:
            errors.append(FieldError("step", "dispatch.no_visits"))
        elif (
            facts.last_visit_on
            and "occurred_on" not in known
            and value.occurred_on < facts.last_visit_on
        ):
            errors.append(FieldError("occurred_on", "dispatch.before_last_visit"))
        if facts.approved_visits and 0 < facts.visits < facts.approved_visits:
            warnings.append(FieldError("step", "dispatch.fewer_visits"))
        if value.report_due_on is not None and value.report_due_on < value.occurred_on:
            errors.append(FieldError("report_due_on", "dispatch.report_due_before_completion"))
    elif step.name == StepName.PAY and value.amount is not None:
        amount_errors = _fee_errors(value.amount, "amount", MAX_AMOUNT)
        errors += amount_errors
        if not amount_errors and value.amount != facts.fee_total:
            warnings.append(FieldError("amount", "dispatch.amount_differs"))
    return Findings(errors, warnings)


def report_due(completed_on: date, due_days: int, given: date | None = None) -> date:
    """The 実績報告 deadline: the date typed at completion, else completed_on + due_days."""
    return given if given is not None else completed_on + timedelta(days=due_days)


# --- visits -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VisitInput:
    """One visit (第n回) as the visit form enters it; the number is given by the service."""

    visited_on: date
    start_time: time | None = None
    end_time: time | None = None
    place: str = ""
    online: bool = False
    expert_id: int | None = None  # None: the dispatch's expert
    attendees: str = ""
    issues: str = ""  # 相談内容・課題
    advice: str = ""
    homework: str = ""  # 宿題: what the business does before the next visit
    next_on: date | None = None
    report_received_on: date | None = None  # the expert's visit report
    fee: int | None = None  # None: the program's fee for the 年度 (else the expert's)

    def normalized(self) -> VisitInput:
        return replace(
            self,
            place=normalize(self.place),
            attendees=normalize_lines(self.attendees),
            issues=normalize_lines(self.issues),
            advice=normalize_lines(self.advice),
            homework=normalize_lines(self.homework),
        )

    def errors(self) -> list[FieldError]:
        """The rules that need nothing but the form: run them on every keystroke."""
        found: list[FieldError] = []
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            found.append(FieldError("end_time", "dispatch.end_not_after_start"))
        if self.next_on is not None and self.next_on <= self.visited_on:
            found.append(FieldError("next_on", "dispatch.next_not_after_visit"))
        if self.report_received_on is not None and self.report_received_on < self.visited_on:
            found.append(FieldError("report_received_on", "dispatch.report_before_visit"))
        found += _fee_errors(self.fee, "fee", MAX_FEE)
        if len(normalize(self.place)) > MAX_PLACE:
            found.append(FieldError("place", "too_long"))
        for name in ("attendees", "issues", "advice", "homework"):
            if len(getattr(self, name)) > MAX_TEXT:
                found.append(FieldError(name, "too_long"))
        return found

    @property
    def fiscal_year(self) -> int:
        """The 年度 this visit counts in: 3/31 and 4/1 belong to different ones."""
        return fiscal_year(self.visited_on)


@dataclass(frozen=True, slots=True)
class SameDayVisit:
    """Another recorded visit of the expert on the visit date (for the double-entry warning)."""

    id: int
    dispatch_id: int
    expert_id: int
    visited_on: date
    start_time: time | None
    end_time: time | None


@dataclass(frozen=True, slots=True)
class VisitFacts:
    """What ``check_visit`` needs to know, read by the service."""

    state: DispatchState
    decided_on: date | None
    approved_visits: int | None
    number: int  # the number this visit has (a new one: the visits so far + 1)
    year_cap: int  # for the program and the 年度 of the visit date
    year_used: int  # the business's other visits under the program in that 年度
    expert: ExpertFacts | None  # the visit's expert (or the dispatch's); None: none named
    is_new: bool = True
    previous_visit_on: date | None = None  # the visit numbered before this one
    next_visit_on: date | None = None  # … and after (when correcting an earlier visit)
    # For the double-entry warning: the dispatch, the visit being corrected (None: a new one)
    # and the expert's other visits on the visit date.
    dispatch_id: int | None = None
    visit_id: int | None = None
    same_day_visits: tuple[SameDayVisit, ...] = ()


def _same_time(other: SameDayVisit, value: VisitInput, dispatch_id: int | None) -> bool:
    """Whether ``other`` looks like the same visit entered twice: the times overlap (touching,
    end = start, does not), or when a time is missing, the same day of the same dispatch."""
    if value.start_time and value.end_time and other.start_time and other.end_time:
        return other.start_time < value.end_time and value.start_time < other.end_time
    return dispatch_id is not None and other.dispatch_id == dispatch_id


def visit_overlaps(facts: VisitFacts, value: VisitInput) -> bool:
    """Whether the expert already has a visit on that day at the same time (see ``_same_time``)."""
    if facts.expert is None:
        return False
    return any(
        other.id != facts.visit_id
        and other.expert_id == facts.expert.id
        and other.visited_on == value.visited_on
        and _same_time(other, value, facts.dispatch_id)
        for other in facts.same_day_visits
    )


def check_visit(facts: VisitFacts, value: VisitInput, today: date) -> Findings:
    """Every rule of a visit: errors block saving, warnings are shown.

    - the dispatch must be decided (and not paid or cancelled), the visit not before the
      decision date and its number not above the approved visits (the last one is warned);
    - the business may have at most ``year_cap`` visits under the program in the 年度 of the
      visit date, counted over all its dispatches (the cap is an error, reaching it a warning);
    - the expert must be active and registered on the visit date;
    - another visit of the same expert at the same time that day is warned (a double entry);
    - plus ``VisitInput.errors()``.
    """
    errors = value.errors()
    warnings: list[FieldError] = []
    if facts.state in BEFORE_DECISION:
        errors.append(FieldError("status", "dispatch.not_approved"))
    elif facts.state not in (VISITS_OPEN if facts.is_new else VISITS_EDITABLE):
        errors.append(FieldError("status", "dispatch.visits_closed"))
    if facts.decided_on is not None and value.visited_on < facts.decided_on:
        errors.append(FieldError("visited_on", "dispatch.visit_before_decision"))
    if facts.approved_visits is not None:
        if facts.number > facts.approved_visits:
            errors.append(FieldError("number", "dispatch.above_approved"))
        elif facts.number == facts.approved_visits and facts.is_new:
            warnings.append(FieldError("number", "dispatch.last_approved_visit"))
    if facts.year_used + 1 > facts.year_cap:
        errors.append(FieldError("visited_on", "dispatch.year_cap_reached"))
    elif facts.year_used + 1 == facts.year_cap:
        warnings.append(FieldError("visited_on", "dispatch.year_cap_last"))
    if facts.expert is None:
        errors.append(FieldError("expert_id", "required"))
    else:
        errors += expert_errors(facts.expert, value.visited_on)
    if value.report_received_on is not None and value.report_received_on > today:
        errors.append(FieldError("report_received_on", "date.future"))
    if value.visited_on > today:
        warnings.append(FieldError("visited_on", "dispatch.visit_in_future"))
    before = facts.previous_visit_on is not None and value.visited_on < facts.previous_visit_on
    after = facts.next_visit_on is not None and value.visited_on > facts.next_visit_on
    if before or after:
        warnings.append(FieldError("visited_on", "dispatch.visit_out_of_order"))
    if visit_overlaps(facts, value):
        warnings.append(FieldError("visited_on", "dispatch.visit_overlaps"))
    if not value.online and not normalize(value.place):
        warnings.append(FieldError("place", "dispatch.place_missing"))
    return Findings(errors, warnings)


# --- what services return -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DispatchQuery:
    states: frozenset[DispatchState] = frozenset()  # empty: every state
    program_id: int | None = None
    expert_id: int | None = None  # the dispatch's expert or the expert of any of its visits
    staff_id: int | None = None
    business_id: int | None = None
    fiscal_year: int | None = None  # the 年度 of the application
    report_overdue: bool = False  # completed, no 実績報告, past its due date
    # Dispatches with at least one visit dated in the period (a report's 訪問回数 counts those
    # visits); either end may be open. The rows then also count their visits in the period.
    visited_from: date | None = None  # inclusive
    visited_to: date | None = None  # inclusive

    @property
    def visit_period(self) -> bool:
        return self.visited_from is not None or self.visited_to is not None

    def errors(self) -> list[FieldError]:
        if self.visited_from and self.visited_to and self.visited_to < self.visited_from:
            return [FieldError("visited_to", "period.reversed")]
        return []


@dataclass(frozen=True, slots=True)
class DispatchRow:
    """One line of the dispatch list (newest application first)."""

    id: int
    business_id: int
    business_name: str
    program_name: str
    theme: str
    state: DispatchState
    fiscal_year: int
    applied_on: date
    decided_on: date | None
    approved_visits: int | None
    visits: int
    expert_name: str
    staff_name: str
    completed_on: date | None
    report_due_on: date | None
    report_received_on: date | None
    report_overdue: bool
    visits_in_period: int | None = None  # with the query's visit period: its visits in it


@dataclass(frozen=True, slots=True)
class DispatchView:
    """One dispatch as its form shows it."""

    id: int
    version: int
    business_id: int
    business_name: str
    program_id: int
    program_name: str
    consultation_id: int | None
    initiative_id: int
    expert_id: int | None
    expert_name: str
    staff_id: int | None
    staff_name: str
    theme: str
    fiscal_year: int
    state: DispatchState
    status_since: date
    applied_on: date
    decided_on: date | None
    approved_visits: int | None
    completed_on: date | None
    report_due_on: date | None
    report_received_on: date | None
    paid_on: date | None
    cancelled_on: date | None
    cancel_reason: str
    notes: str
    visits: int
    fee_total: int  # the visits' fees (each visit's, else the program's, else the expert's)
    steps: tuple[Step, ...] = ()

    def as_input(self) -> DispatchInput:
        return DispatchInput(
            business_id=self.business_id,
            program_id=self.program_id,
            theme=self.theme,
            applied_on=self.applied_on,
            consultation_id=self.consultation_id,
            staff_id=self.staff_id,
            expert_id=self.expert_id,
            notes=self.notes,
        )


@dataclass(frozen=True, slots=True)
class VisitRow:
    """One visit as the visit list and form show it."""

    id: int
    version: int
    dispatch_id: int
    number: int
    visited_on: date
    start_time: time | None
    end_time: time | None
    place: str
    online: bool
    expert_id: int
    expert_name: str
    attendees: str
    issues: str
    advice: str
    homework: str
    next_on: date | None
    report_received_on: date | None
    fee: int | None  # as entered
    effective_fee: int  # what it costs: fee, else the program's for the 年度, else the expert's

    def as_input(self) -> VisitInput:
        return VisitInput(
            visited_on=self.visited_on,
            start_time=self.start_time,
            end_time=self.end_time,
            place=self.place,
            online=self.online,
            expert_id=self.expert_id,
            attendees=self.attendees,
            issues=self.issues,
            advice=self.advice,
            homework=self.homework,
            next_on=self.next_on,
            report_received_on=self.report_received_on,
            fee=self.fee,
        )


@dataclass(frozen=True, slots=True)
class VisitSaved:
    """The result of saving a visit: the visit's id and version, the dispatch's new version
    (the first visit starts the dispatch) and the warnings it was saved with."""

    id: int
    version: int
    number: int
    dispatch_version: int
    warnings: tuple[FieldError, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class YearUsage:
    """Visits a business has had under a program in one 年度, against that 年度's cap."""

    fiscal_year: int
    used: int
    cap: int

    @property
    def remaining(self) -> int:
        return max(self.cap - self.used, 0)


@dataclass(frozen=True, slots=True)
class DispatchEvent:
    id: int
    from_state: DispatchState | None
    to_state: DispatchState
    occurred_on: date
    staff_name: str
    reason: str


@dataclass(frozen=True, slots=True)
class FiscalYearFees:
    """Visits and fees of one 年度 (by visit date), over every program and expert."""

    fiscal_year: int
    visits: int
    total: int

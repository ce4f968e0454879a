"""Loan-referral cases (商工融資あっせん): open, walk through the state machine, undo, list.

The rules live in ``domain/loans.py``; this module reads the facts they need (terms in force,
the business's other loans), applies a step's fields, copies the fund's terms onto the case at
referral, and appends every step and undo to ``loan_case_event``.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from consult_desk.db.base import utcnow
from consult_desk.db.engine import Database
from consult_desk.db.models import (
    Bank,
    BankBranch,
    Business,
    Consultation,
    Initiative,
    LoanCase,
    LoanCaseEvent,
    LoanProgram,
    LoanProgramTerms,
    Staff,
)
from consult_desk.domain import loan_schedule
from consult_desk.domain.errors import Conflict, FieldError, NotFound, ValidationError
from consult_desk.domain.fiscal import fiscal_year_range, japan_today
from consult_desk.domain.loans import (
    ACTIVE_LOAN,
    ELIGIBILITY_FIELDS,
    REFERRED_PENDING,
    STEPS,
    TERMINAL,
    CaseFacts,
    Findings,
    LoanCaseInput,
    LoanEvent,
    LoanQuery,
    LoanRow,
    LoanState,
    Step,
    StepInput,
    StepName,
    SubsidyStopReason,
    check_step,
    steps_from,
)
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.text import normalize, normalize_lines
from consult_desk.services import audit, records
from consult_desk.services.paging import SortKey, after_condition, count_statement

RECORD_KIND = "loan_case"
# A case whose fund names no initiative serves 「資金繰りの支援」.
FALLBACK_INITIATIVE = "1-2-1"
_DATE_FIELDS = frozenset(
    {"received_on", "referred_on", "executed_on", "closed_on", "status_since", "subsidy_stopped_on"}
)
_RATE_FIELDS = frozenset(
    {"nominal_rate", "borrower_rate", "subsidy_rate", "guarantee_fee_subsidy_ratio"}
)
_AMOUNT_FIELDS = (
    "requested_amount",
    "referral_amount",
    "approved_amount",
    "executed_amount",
    "guarantee_fee",
    "limit_amount",
    "guarantee_fee_subsidy_cap",
)


@dataclass(frozen=True, slots=True)
class LoanCaseView:
    """One case as the case form shows it; amounts are None for roles that may not see them."""

    id: int
    version: int
    business_id: int
    business_name: str
    consultation_id: int | None
    program_id: int
    program_name: str
    is_startup: bool
    state: LoanState
    status_since: date
    officer_id: int | None
    officer_name: str
    interviewer: str
    receipt_number: str
    received_on: date
    requested_amount: int | None
    purpose: str
    bank_id: int | None
    bank_name: str
    branch_id: int | None
    branch_name: str
    referral_number: str
    referred_on: date | None
    referral_amount: int | None
    nominal_rate: Decimal | None
    borrower_rate: Decimal | None
    subsidy_rate: Decimal | None
    limit_amount: int | None
    max_term_months: int | None
    max_grace_months: int | None
    representative_residence: str | None
    chokai_member: bool | None
    approved_amount: int | None
    guarantee_fee: int | None
    executed_on: date | None
    executed_amount: int | None
    term_months: int | None
    grace_months: int | None
    closed_on: date | None
    close_reason: str
    subsidy_stopped_on: date | None
    subsidy_stop_reason: str
    eligibility: dict[str, bool | None] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    amounts_visible: bool = True


@dataclass(frozen=True, slots=True)
class LeadTimes:
    """Median days receipt → referral and referral → execution, with how many cases each."""

    label: str
    to_referral: float | None
    to_execution: float | None
    cases: int


@dataclass(frozen=True, slots=True)
class ForecastLine:
    case_id: int
    business_name: str
    program_name: str
    subsidy: int
    stopped_on: date | None


@dataclass(frozen=True, slots=True)
class Forecast:
    """The ward's interest subsidy for one 年度 over every loan that runs in it."""

    fiscal_year: int
    total: int
    by_program: dict[str, int]
    lines: list[ForecastLine]


def _json_value(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _from_json(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _DATE_FIELDS:
        return date.fromisoformat(value)
    if name in _RATE_FIELDS:
        return Decimal(value)
    return value


def _overdue_condition(thresholds: dict[str, int], today: date) -> ColumnElement[bool]:
    parts = [
        and_(LoanCase.status == state, LoanCase.status_since <= today - timedelta(days=days))
        for state, days in thresholds.items()
    ]
    return or_(*parts) if parts else LoanCase.id.is_(None)


def _conditions(
    query: LoanQuery, thresholds: dict[str, int], today: date
) -> list[ColumnElement[bool]]:
    c = LoanCase
    found: list[ColumnElement[bool]] = []
    if query.states:
        found.append(c.status.in_(sorted(query.states)))
    if query.program_id is not None:
        found.append(c.program_id == query.program_id)
    if query.bank_id is not None:
        found.append(c.bank_id == query.bank_id)
    if query.officer_id is not None:
        found.append(c.officer_id == query.officer_id)
    if query.business_id is not None:
        found.append(c.business_id == query.business_id)
    if query.received_from is not None:
        found.append(c.received_on >= query.received_from)
    if query.received_to is not None:
        found.append(c.received_on <= query.received_to)
    if query.referred_from is not None:
        found.append(c.referred_on >= query.referred_from)
    if query.referred_to is not None:
        found.append(c.referred_on <= query.referred_to)
    if query.executed_from is not None:
        found.append(c.executed_on >= query.executed_from)
    if query.executed_to is not None:
        found.append(c.executed_on <= query.executed_to)
    if query.overdue_only:
        found.append(_overdue_condition(thresholds, today))
    return found


def _row_statement() -> Select[*tuple[Any, ...]]:
    """The columns of a pipeline row; the amount is the latest known one."""
    c = LoanCase
    amount = func.coalesce(
        c.executed_amount, c.approved_amount, c.referral_amount, c.requested_amount
    )
    return (
        select(
            c.id,
            c.business_id,
            Business.name.label("business"),
            LoanProgram.name.label("program"),
            c.status,
            c.status_since,
            c.received_on,
            Bank.name.label("bank"),
            Staff.name.label("officer"),
            amount.label("amount"),
        )
        .join(Business, Business.id == c.business_id)
        .join(LoanProgram, LoanProgram.id == c.program_id)
        .outerjoin(Bank, Bank.id == c.bank_id)
        .outerjoin(Staff, Staff.id == c.officer_id)
    )


class LoanService:
    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal

    # --- cases ----------------------------------------------------------------------------

    def add(self, value: LoanCaseInput, *, today: date | None = None) -> int:
        """Open a case at 相談 (the 相談カード)."""
        self._principal.require(Kind.LOAN, Action.CREATE)
        today = today or japan_today()
        with self._db.write() as session:
            if errors := new_case_errors(session, value, today):
                raise ValidationError(errors)
            case = open_case(session, value, self._principal.staff_id)
            audit.record(session, self._principal.staff_id, "create", RECORD_KIND, case.id)
            return case.id

    def update(self, case_id: int, version: int, value: LoanCaseInput) -> int:
        """Correct the 相談カード: officer, interviewer, amount wanted, purpose, chosen bank."""
        self._principal.require(Kind.LOAN, Action.EDIT)
        errors = [e for e in value.errors(japan_today()) if e.field != "received_on"]
        with self._db.write() as session:
            case = _load(session, case_id, version)
            self._check_bank(session, value.bank_id, value.branch_id, errors)
            if errors:
                raise ValidationError(errors)
            before = {
                "officer_id": case.officer_id,
                "interviewer": case.interviewer,
                "requested_amount": case.requested_amount,
                "purpose": case.purpose,
            }
            case.officer_id = value.officer_id
            case.interviewer = normalize(value.interviewer)
            case.requested_amount = value.requested_amount
            case.purpose = normalize_lines(value.purpose)
            if case.referred_on is None:  # after referral the bank is part of the record
                before |= {"bank_id": case.bank_id, "branch_id": case.branch_id}
                case.bank_id, case.branch_id = value.bank_id, value.branch_id
            case.updated_by_id = self._principal.staff_id
            records.flush(session)
            changes = {
                k: [_json_value(v), _json_value(getattr(case, k))]
                for k, v in before.items()
                if v != getattr(case, k)
            }
            audit.record(session, self._principal.staff_id, "update", RECORD_KIND, case.id, changes)
            return case.version

    def get(self, case_id: int) -> LoanCaseView:
        self._principal.require(Kind.LOAN, Action.READ)
        with self._db.read() as session:
            case = session.get(LoanCase, case_id)
            if case is None:
                raise NotFound(f"loan case {case_id}")
            return self._view(session, case)

    def preview(self, case_id: int, value: StepInput, today: date | None = None) -> Findings:
        """The errors and warnings a step would meet, for checking while the officer types."""
        self._principal.require(Kind.LOAN, Action.READ)
        with self._db.read() as session:
            case = session.get(LoanCase, case_id)
            if case is None:
                raise NotFound(f"loan case {case_id}")
            return check_case_step(session, case, value, today or japan_today())

    def advance(
        self, case_id: int, version: int, value: StepInput, *, today: date | None = None
    ) -> tuple[int, list[FieldError]]:
        """Apply one step; returns the new version and the warnings it was taken with."""
        self._principal.require(Kind.LOAN, Action.TRANSITION)
        today = today or japan_today()
        with self._db.write() as session:
            case = _load(session, case_id, version)
            findings = check_case_step(session, case, value, today)
            if findings.errors:
                raise ValidationError(findings.errors)
            step = STEPS[value.step]
            changes = step_changes(session, case, value)
            before = {name: _json_value(getattr(case, name)) for name in changes}
            with session.no_autoflush:
                for name, new in changes.items():
                    setattr(case, name, new)
                case.updated_by_id = self._principal.staff_id
            records.flush(session)
            data = {
                "step": step.name.value,
                "values": {k: _json_value(v) for k, v in value.values().items()},
                "before": before,
                "warnings": [f"{w.field}:{w.code}" for w in findings.warnings],
            }
            session.add(
                LoanCaseEvent(
                    case_id=case.id,
                    kind="transition",
                    from_status=before["status"],
                    to_status=step.target.value,
                    occurred_on=value.occurred_on,
                    staff_id=self._principal.staff_id,
                    reason=normalize_lines(value.reason),
                    data=json.dumps(data, ensure_ascii=False),
                )
            )
            audit.record(
                session,
                self._principal.staff_id,
                "transition",
                RECORD_KIND,
                case.id,
                {k: [before[k], _json_value(v)] for k, v in changes.items() if before[k] != v},
            )
            return case.version, findings.warnings

    def undo(self, case_id: int, version: int, reason: str) -> int:
        """Take back the last step that was not already taken back; the undo is recorded too."""
        self._principal.require(Kind.LOAN, Action.TRANSITION)
        reason = normalize_lines(reason)
        if not reason:
            raise ValidationError([FieldError("reason", "required")])
        with self._db.write() as session:
            case = _load(session, case_id, version)
            event = _last_open_transition(session, case.id)
            if event is None:
                raise ValidationError([FieldError("step", "loan.nothing_to_undo")])
            before = json.loads(event.data).get("before", {})
            restored = {name: _from_json(name, value) for name, value in before.items()}
            current = {name: _json_value(getattr(case, name)) for name in restored}
            with session.no_autoflush:
                for name, value in restored.items():
                    setattr(case, name, value)
                case.updated_by_id = self._principal.staff_id
            records.flush(session)
            session.add(
                LoanCaseEvent(
                    case_id=case.id,
                    kind="undo",
                    from_status=event.to_status,
                    to_status=case.status,
                    occurred_on=japan_today(),
                    staff_id=self._principal.staff_id,
                    reason=reason,
                    data=json.dumps({"undoes": event.id}, ensure_ascii=False),
                )
            )
            audit.record(
                session,
                self._principal.staff_id,
                "undo",
                RECORD_KIND,
                case.id,
                {k: [current[k], before[k]] for k in before if current[k] != before[k]},
            )
            return case.version

    def history(self, case_id: int) -> list[LoanEvent]:
        """Every step, undo and note of a case, oldest first (the append-only log)."""
        self._principal.require(Kind.LOAN, Action.READ)
        with self._db.read() as session:
            rows = session.execute(
                select(LoanCaseEvent, Staff.name)
                .outerjoin(Staff, Staff.id == LoanCaseEvent.staff_id)
                .where(LoanCaseEvent.case_id == case_id)
                .order_by(LoanCaseEvent.id)
            ).all()
            undone = {json.loads(e.data).get("undoes") for e, _ in rows if e.kind == "undo"}
            hide = not self._principal.sees_loan_amounts
            return [
                LoanEvent(
                    id=e.id,
                    kind=e.kind,
                    from_state=LoanState(e.from_status) if e.from_status else None,
                    to_state=LoanState(e.to_status),
                    occurred_on=e.occurred_on,
                    staff_name=name or "",
                    reason=e.reason,
                    data=_mask_event(json.loads(e.data)) if hide else json.loads(e.data),
                    undone=e.id in undone,
                )
                for e, name in rows
            ]

    def log_interview(
        self, case_id: int, version: int, held_on: date, interviewer: str, notes: str
    ) -> int:
        """A 起業計画 coaching interview (PLAN_COACHING), or any 診断士 interview."""
        self._principal.require(Kind.LOAN, Action.EDIT)
        interviewer = normalize(interviewer)
        errors = []
        if not interviewer:
            errors.append(FieldError("interviewer", "required"))
        if held_on > japan_today():
            errors.append(FieldError("occurred_on", "date.future"))
        if errors:
            raise ValidationError(errors)
        return self._append_note(
            case_id,
            version,
            "interview",
            held_on,
            normalize_lines(notes),
            {"interviewer": interviewer},
        )

    def record_prepayment(self, case_id: int, version: int, paid_on: date, amount: int) -> int:
        """繰上償還: part of the loan repaid early; the schedule gets shorter."""
        self._principal.require(Kind.LOAN, Action.EDIT)
        with self._db.read() as session:
            case = session.get(LoanCase, case_id)
            if case is None:
                raise NotFound(f"loan case {case_id}")
            errors = []
            if LoanState(case.status) not in ACTIVE_LOAN:
                errors.append(FieldError("step", "loan.not_active_loan"))
            if amount <= 0:
                errors.append(FieldError("amount", "loan.amount_positive"))
            if paid_on > japan_today():
                errors.append(FieldError("occurred_on", "date.future"))
            if case.executed_on and paid_on < case.executed_on:
                errors.append(FieldError("occurred_on", "loan.before_execution"))
            terms = _terms(session, case)
            if terms is None:
                errors.append(FieldError("term_months", "loan.term_unknown"))
            elif not errors:
                balance = loan_schedule.balance_on(terms, paid_on)
                if amount > balance:
                    errors.append(FieldError("amount", "loan.above_balance"))
            if errors:
                raise ValidationError(errors)
        return self._append_note(case_id, version, "prepayment", paid_on, "", {"amount": amount})

    def stop_subsidy(
        self, case_id: int, version: int, stopped_on: date, reason: SubsidyStopReason, note: str
    ) -> int:
        """The ward stops paying its interest share; the loan itself goes on."""
        self._principal.require(Kind.LOAN, Action.TRANSITION)
        with self._db.write() as session:
            case = _load(session, case_id, version)
            errors = []
            if LoanState(case.status) not in ACTIVE_LOAN:
                errors.append(FieldError("step", "loan.not_active_loan"))
            if case.subsidy_stopped_on is not None:
                errors.append(FieldError("step", "loan.subsidy_already_stopped"))
            if stopped_on > japan_today():
                errors.append(FieldError("occurred_on", "date.future"))
            if case.executed_on and stopped_on < case.executed_on:
                errors.append(FieldError("occurred_on", "loan.before_execution"))
            if errors:
                raise ValidationError(errors)
            case.subsidy_stopped_on = stopped_on
            case.subsidy_stop_reason = reason.value
            case.updated_by_id = self._principal.staff_id
            records.flush(session)
            session.add(
                LoanCaseEvent(
                    case_id=case.id,
                    kind="subsidy_stop",
                    from_status=case.status,
                    to_status=case.status,
                    occurred_on=stopped_on,
                    staff_id=self._principal.staff_id,
                    reason=normalize_lines(note),
                    data=json.dumps({"reason": reason.value}, ensure_ascii=False),
                )
            )
            audit.record(
                session,
                self._principal.staff_id,
                "update",
                RECORD_KIND,
                case.id,
                {"subsidy_stopped_on": [None, stopped_on.isoformat()]},
            )
            return case.version

    # --- lists and figures ----------------------------------------------------------------

    def page(
        self,
        query: LoanQuery,
        after: LoanRow | None = None,
        limit: int = 200,
        *,
        thresholds: dict[str, int] | None = None,
        today: date | None = None,
    ) -> list[LoanRow]:
        """Cases oldest-in-their-state first: who has waited longest shows at the top."""
        self._principal.require(Kind.LOAN, Action.READ)
        today = today or japan_today()
        thresholds = thresholds or {}
        keys: list[SortKey] = [LoanCase.status_since, LoanCase.id]
        stmt = _row_statement().where(*_conditions(query, thresholds, today))
        if after is not None:
            stmt = stmt.where(after_condition(keys, (after.status_since, after.id), False))
        with self._db.read() as session:
            rows = session.execute(stmt.order_by(*keys).limit(limit))
            return [self._row(row, thresholds, today) for row in rows]

    def for_consultation(self, consultation_id: int) -> list[LoanRow]:
        """The cases opened from one consultation, oldest first (the consultation form lists
        them; one consultation rarely leads to more than a couple)."""
        self._principal.require(Kind.LOAN, Action.READ)
        today = japan_today()
        stmt = _row_statement().where(LoanCase.consultation_id == consultation_id)
        with self._db.read() as session:
            rows = session.execute(stmt.order_by(LoanCase.received_on, LoanCase.id))
            return [self._row(row, {}, today) for row in rows]

    def _row(self, row: Any, thresholds: dict[str, int], today: date) -> LoanRow:
        days = (today - row.status_since).days
        return LoanRow(
            id=row.id,
            business_id=row.business_id,
            business_name=row.business,
            program_name=row.program,
            state=LoanState(row.status),
            status_since=row.status_since,
            received_on=row.received_on,
            bank_name=row.bank or "",
            officer_name=row.officer or "",
            amount=row.amount if self._principal.sees_loan_amounts else None,
            days_in_state=days,
            overdue=row.status in thresholds and days >= thresholds[row.status],
        )

    def count(
        self,
        query: LoanQuery,
        cap: int | None = None,
        *,
        thresholds: dict[str, int] | None = None,
        today: date | None = None,
    ) -> int:
        self._principal.require(Kind.LOAN, Action.READ)
        where = _conditions(query, thresholds or {}, today or japan_today())
        stmt = count_statement(select(LoanCase.id).where(*where), cap)
        with self._db.read() as session:
            return session.execute(stmt).scalar_one()

    def counts_by_state(
        self,
        query: LoanQuery,
        *,
        thresholds: dict[str, int] | None = None,
        today: date | None = None,
    ) -> dict[LoanState, tuple[int, int]]:
        """Per state: (cases, of which overdue) for the filters other than the state."""
        self._principal.require(Kind.LOAN, Action.READ)
        today = today or japan_today()
        thresholds = thresholds or {}
        unfiltered = LoanQuery(
            program_id=query.program_id,
            bank_id=query.bank_id,
            officer_id=query.officer_id,
            business_id=query.business_id,
            received_from=query.received_from,
            received_to=query.received_to,
            referred_from=query.referred_from,
            referred_to=query.referred_to,
            executed_from=query.executed_from,
            executed_to=query.executed_to,
        )
        overdue = func.sum(func.cast(_overdue_condition(thresholds, today), LoanCase.version.type))
        stmt = (
            select(LoanCase.status, func.count(), overdue)
            .where(*_conditions(unfiltered, thresholds, today))
            .group_by(LoanCase.status)
        )
        with self._db.read() as session:
            return {
                LoanState(status): (n, int(late or 0)) for status, n, late in session.execute(stmt)
            }

    def lead_times(
        self, date_from: date | None = None, date_to: date | None = None
    ) -> dict[str, list[LeadTimes]]:
        """Median days receipt → referral → execution, by bank and by program (referred in
        the period)."""
        self._principal.require(Kind.LOAN, Action.READ)
        c = LoanCase
        stmt = (
            select(LoanProgram.name, Bank.name, c.received_on, c.referred_on, c.executed_on)
            .join(LoanProgram, LoanProgram.id == c.program_id)
            .outerjoin(Bank, Bank.id == c.bank_id)
            .where(c.referred_on.is_not(None))
        )
        if date_from:
            stmt = stmt.where(c.referred_on >= date_from)
        if date_to:
            stmt = stmt.where(c.referred_on <= date_to)
        by: dict[str, dict[str, list[tuple[int, int | None]]]] = {
            "bank": defaultdict(list),
            "program": defaultdict(list),
        }
        with self._db.read() as session:
            for program, bank, received, referred, executed in session.execute(stmt):
                assert referred is not None  # the query asks for referred cases only
                spans = (
                    (referred - received).days,
                    (executed - referred).days if executed else None,
                )
                by["program"][program].append(spans)
                by["bank"][bank or "（未定）"].append(spans)
        return {
            kind: [_lead_times(label, spans) for label, spans in sorted(groups.items())]
            for kind, groups in by.items()
        }

    def schedule(self, case_id: int) -> list[loan_schedule.Instalment]:
        """The repayment schedule and the ward's monthly subsidy of an executed loan."""
        self._principal.require(Kind.LOAN, Action.READ)
        if not self._principal.sees_loan_amounts:
            return []
        with self._db.read() as session:
            case = session.get(LoanCase, case_id)
            if case is None:
                raise NotFound(f"loan case {case_id}")
            terms = _terms(session, case) if case.executed_on is not None else None
            return loan_schedule.schedule(terms) if terms is not None else []

    def forecast(self, fiscal_year: int) -> Forecast:
        """The 年度's interest subsidy over every loan running in it, for the budget."""
        self._principal.require(Kind.LOAN, Action.READ)
        first, last = fiscal_year_range(fiscal_year)
        c = LoanCase
        stmt = (
            select(c, Business.name, LoanProgram.name)
            .join(Business, Business.id == c.business_id)
            .join(LoanProgram, LoanProgram.id == c.program_id)
            .where(
                c.executed_on.is_not(None),
                c.executed_on <= last,
                or_(c.closed_on.is_(None), c.closed_on >= first),
            )
            .order_by(c.id)
        )
        lines: list[ForecastLine] = []
        by_program: dict[str, int] = defaultdict(int)
        with self._db.read() as session:
            cases = session.execute(stmt).all()
            prepayments = _prepayments(session, [case.id for case, _, _ in cases])
            for case, business, program in cases:
                terms = _terms(session, case, prepayments.get(case.id, ()))
                if terms is None:
                    continue  # imported without 期間: no schedule, so no subsidy can be forecast
                amount = loan_schedule.fiscal_year_subsidy(terms, fiscal_year)
                lines.append(
                    ForecastLine(case.id, business, program, amount, case.subsidy_stopped_on)
                )
                by_program[program] += amount
        if not self._principal.sees_loan_amounts:
            return Forecast(fiscal_year, 0, {}, [])
        return Forecast(fiscal_year, sum(by_program.values()), dict(by_program), lines)

    # --- helpers --------------------------------------------------------------------------

    @staticmethod
    def _check_bank(
        session: Session, bank_id: int | None, branch_id: int | None, errors: list[FieldError]
    ) -> None:
        if bank_id is not None:
            bank = session.get(Bank, bank_id)
            if bank is None or not bank.active:
                errors.append(FieldError("bank_id", "invalid_choice"))
        if branch_id is not None:
            branch = session.get(BankBranch, branch_id)
            if branch is None or branch.bank_id != bank_id:
                errors.append(FieldError("branch_id", "loan.branch_mismatch"))

    @staticmethod
    def _referral(session: Session, case: LoanCase, value: StepInput) -> dict[str, Any]:
        terms = _terms_in_force(session, case.program_id, value.occurred_on)
        assert terms is not None  # check_step refused the step otherwise
        business = session.get(Business, case.business_id)
        assert business is not None
        resident = business.representative_residence == "resident"
        member = bool(business.chokai_name or business.street_association_id)
        subsidy = terms.subsidy_rate_resident if resident else terms.subsidy_rate_general
        if member and terms.chokai_bonus_rate:
            subsidy = min(subsidy + terms.chokai_bonus_rate, terms.nominal_rate)
        return {
            "referral_number": normalize(value.referral_number),
            "referral_amount": value.referral_amount,
            "referred_on": value.occurred_on,
            "bank_id": value.bank_id,
            "branch_id": value.branch_id,
            "terms_id": terms.id,
            "nominal_rate": terms.nominal_rate,
            "subsidy_rate": subsidy,
            "borrower_rate": terms.nominal_rate - subsidy,
            "guarantee_fee_subsidy_ratio": terms.guarantee_fee_subsidy_ratio,
            "guarantee_fee_subsidy_cap": terms.guarantee_fee_subsidy_cap,
            "max_term_months": terms.max_term_months,
            "max_grace_months": terms.max_grace_months,
            "limit_amount": terms.limit_amount,
            "representative_residence": business.representative_residence,
            "chokai_member": member,
        }

    def _append_note(
        self,
        case_id: int,
        version: int,
        kind: str,
        on: date,
        reason: str,
        data: dict[str, object],
    ) -> int:
        with self._db.write() as session:
            case = _load(session, case_id, version)
            # Touch the case so its version moves: two people logging at once see a conflict.
            case.updated_at = utcnow()
            case.updated_by_id = self._principal.staff_id
            records.flush(session)
            session.add(
                LoanCaseEvent(
                    case_id=case.id,
                    kind=kind,
                    from_status=case.status,
                    to_status=case.status,
                    occurred_on=on,
                    staff_id=self._principal.staff_id,
                    reason=reason,
                    data=json.dumps(data, ensure_ascii=False),
                )
            )
            audit.record(
                session,
                self._principal.staff_id,
                "update",
                RECORD_KIND,
                case.id,
                {kind: [None, {"on": on.isoformat(), **data}]},
            )
            return case.version

    def _view(self, session: Session, case: LoanCase) -> LoanCaseView:
        program = session.get(LoanProgram, case.program_id)
        business = session.get(Business, case.business_id)
        bank = session.get(Bank, case.bank_id) if case.bank_id else None
        branch = session.get(BankBranch, case.branch_id) if case.branch_id else None
        officer = session.get(Staff, case.officer_id) if case.officer_id else None
        assert program is not None and business is not None
        visible = self._principal.sees_loan_amounts
        amounts = {name: getattr(case, name) if visible else None for name in _AMOUNT_FIELDS}
        state = LoanState(case.status)
        return LoanCaseView(
            id=case.id,
            version=case.version,
            business_id=case.business_id,
            business_name=business.name,
            consultation_id=case.consultation_id,
            program_id=case.program_id,
            program_name=program.name,
            is_startup=program.is_startup,
            state=state,
            status_since=case.status_since,
            officer_id=case.officer_id,
            officer_name=officer.name if officer else "",
            interviewer=case.interviewer,
            receipt_number=case.receipt_number,
            received_on=case.received_on,
            requested_amount=amounts["requested_amount"],
            purpose=case.purpose,
            bank_id=case.bank_id,
            bank_name=bank.name if bank else "",
            branch_id=case.branch_id,
            branch_name=branch.name if branch else "",
            referral_number=case.referral_number,
            referred_on=case.referred_on,
            referral_amount=amounts["referral_amount"],
            nominal_rate=case.nominal_rate,
            borrower_rate=case.borrower_rate,
            subsidy_rate=case.subsidy_rate,
            limit_amount=amounts["limit_amount"],
            max_term_months=case.max_term_months,
            max_grace_months=case.max_grace_months,
            representative_residence=case.representative_residence,
            chokai_member=case.chokai_member,
            approved_amount=amounts["approved_amount"],
            guarantee_fee=amounts["guarantee_fee"],
            executed_on=case.executed_on,
            executed_amount=amounts["executed_amount"],
            term_months=case.term_months,
            grace_months=case.grace_months,
            closed_on=case.closed_on,
            close_reason=case.close_reason,
            subsidy_stopped_on=case.subsidy_stopped_on,
            subsidy_stop_reason=case.subsidy_stop_reason,
            eligibility={
                name: getattr(case, name)
                for name in (
                    "eligible_in_ward_year",
                    "eligible_head_office",
                    "eligible_taxes_paid",
                    "eligible_no_virtual_office",
                    "eligible_industry_covered",
                )
            },
            steps=tuple(steps_from(state, program.is_startup)),
            amounts_visible=visible,
        )


def new_case_errors(session: Session, value: LoanCaseInput, today: date) -> list[FieldError]:
    """Every rule a new case (相談カード) must meet: the form's on saving, an import's for each
    row."""
    errors = value.errors(today)
    business = session.get(Business, value.business_id)
    if business is None or business.deleted_at is not None:
        errors.append(FieldError("business_id", "required"))
    elif business.archived:
        errors.append(FieldError("business_id", "business.archived"))
    program = session.get(LoanProgram, value.program_id)
    if program is None or not program.active:
        errors.append(FieldError("program_id", "invalid_choice"))
    if value.consultation_id is not None:
        consultation = session.get(Consultation, value.consultation_id)
        if consultation is None or consultation.business_id != value.business_id:
            errors.append(FieldError("consultation_id", "loan.consultation_mismatch"))
    LoanService._check_bank(session, value.bank_id, value.branch_id, errors)
    return errors


def open_case(
    session: Session,
    value: LoanCaseInput,
    actor_id: int | None,
    *,
    note: dict[str, Any] | None = None,
) -> LoanCase:
    """Store a checked new case at 相談 with its opening event (``note`` joins the event's
    data); the caller audits."""
    program = session.get(LoanProgram, value.program_id)
    assert program is not None  # new_case_errors refused the case otherwise
    case = LoanCase(
        business_id=value.business_id,
        consultation_id=value.consultation_id,
        program_id=value.program_id,
        initiative_id=program.initiative_id or _fallback_initiative(session),
        status=LoanState.INQUIRY.value,
        status_since=value.received_on,
        officer_id=value.officer_id or actor_id,
        interviewer=normalize(value.interviewer),
        received_on=value.received_on,
        requested_amount=value.requested_amount,
        purpose=normalize_lines(value.purpose),
        bank_id=value.bank_id,
        branch_id=value.branch_id,
        created_by_id=actor_id,
        updated_by_id=actor_id,
    )
    session.add(case)
    records.flush(session)
    session.add(
        LoanCaseEvent(
            case_id=case.id,
            kind="transition",
            from_status=None,
            to_status=LoanState.INQUIRY.value,
            occurred_on=value.received_on,
            staff_id=actor_id,
            reason="",
            data=json.dumps({"opened": True, **(note or {})}, ensure_ascii=False),
        )
    )
    return case


def check_case_step(session: Session, case: LoanCase, value: StepInput, today: date) -> Findings:
    """What a step on a stored case would meet: the facts ``check_step`` needs read from the
    database (terms in force, other loans, interviews), plus the bank and rate checks."""
    program = session.get(LoanProgram, case.program_id)
    assert program is not None
    business = session.get(Business, case.business_id)
    assert business is not None
    state = LoanState(case.status)
    terms = None
    if value.step == StepName.REFER:
        terms = _terms_in_force(session, case.program_id, value.occurred_on)
    others, outstanding = _other_loans(session, case, today)
    interviews = session.execute(
        select(func.count())
        .select_from(LoanCaseEvent)
        .where(LoanCaseEvent.case_id == case.id, LoanCaseEvent.kind == "interview")
    ).scalar_one()
    facts = CaseFacts(
        state=state,
        is_startup=program.is_startup,
        received_on=case.received_on,
        in_ward_since=business.in_ward_since,
        founded_on=business.founded_on,
        referral_amount=case.referral_amount,
        approved_amount=case.approved_amount,
        limit_amount=terms.limit_amount if terms else case.limit_amount,
        max_term_months=case.max_term_months,
        max_grace_months=case.max_grace_months,
        max_concurrent_loans=terms.max_concurrent_loans if terms else None,
        other_loans=others,
        other_outstanding=outstanding,
        coaching_interviews=interviews,
        status_since=case.status_since,
    )
    findings = check_step(facts, value, today)
    errors, warnings = list(findings.errors), list(findings.warnings)
    if value.step == StepName.REFER:
        LoanService._check_bank(session, value.bank_id, value.branch_id, errors)
        if business.representative_residence is None:
            warnings.append(FieldError("representative_residence", "loan.residence_unknown"))
    rate, subsidy = value.nominal_rate, case.subsidy_rate
    executing = value.step == StepName.EXECUTE
    if executing and rate is not None and subsidy is not None and rate < subsidy:
        errors.append(FieldError("nominal_rate", "loan.rate_below_subsidy"))
    return Findings(errors, warnings)


def step_changes(session: Session, case: LoanCase, value: StepInput) -> dict[str, Any]:
    """The case fields a checked step sets (status and its day, the step's own fields, the
    terms snapshot at referral, closing for an exit)."""
    referral = LoanService._referral(session, case, value) if value.step == StepName.REFER else {}
    return case_changes(
        value,
        referral=referral,
        subsidy_rate=case.subsidy_rate,
        subsidy_stopped=case.subsidy_stopped_on is not None,
    )


def case_changes(
    value: StepInput,
    *,
    referral: dict[str, Any],
    subsidy_rate: Decimal | None,
    subsidy_stopped: bool,
) -> dict[str, Any]:
    """``step_changes`` given what it reads from the database: the referral's terms snapshot
    (for a referral), the case's subsidy rate and whether its subsidy has stopped. The demo
    builder, which keeps cases as plain rows, calls it too."""
    step = STEPS[value.step]
    on = value.occurred_on
    changes: dict[str, Any] = {"status": step.target.value, "status_since": on}
    name = step.name
    if name in (StepName.RECEIVE, StepName.START_COACHING):
        changes["interviewer"] = normalize(value.interviewer)
    if name == StepName.RECEIVE:
        changes["received_on"] = on
        if value.receipt_number:
            changes["receipt_number"] = normalize(value.receipt_number)
        if value.requested_amount is not None:
            changes["requested_amount"] = value.requested_amount
    elif name == StepName.START_REVIEW:
        for field_name in ELIGIBILITY_FIELDS:
            changes[field_name] = getattr(value, field_name)
    elif name == StepName.REFER:
        changes |= referral
    elif name == StepName.GUARANTEE:
        changes["approved_amount"] = value.approved_amount
        changes["guarantee_fee"] = value.guarantee_fee
    elif name == StepName.EXECUTE:
        rate = value.nominal_rate
        subsidy = subsidy_rate or Decimal(0)
        changes |= {
            "executed_on": on,
            "executed_amount": value.executed_amount,
            "term_months": value.term_months,
            "grace_months": value.grace_months,
            "nominal_rate": rate,
            "borrower_rate": rate - subsidy if rate is not None else None,
        }
    if step.target in TERMINAL:
        changes["closed_on"] = on
        changes["close_reason"] = normalize_lines(value.reason)
    if name == StepName.SUBROGATE and not subsidy_stopped:
        changes["subsidy_stopped_on"] = on
        changes["subsidy_stop_reason"] = SubsidyStopReason.SUBROGATED.value
    return changes


def _load(session: Session, case_id: int, version: int) -> LoanCase:
    case = session.get(LoanCase, case_id)
    if case is None:
        raise NotFound(f"loan case {case_id}")
    if case.version != version:
        raise Conflict(f"loan case {case_id}: {version} < {case.version}")
    return case


def _fallback_initiative(session: Session) -> int:
    return session.execute(
        select(Initiative.id).where(Initiative.code == FALLBACK_INITIATIVE)
    ).scalar_one()


def _terms_in_force(session: Session, program_id: int, on: date) -> LoanProgramTerms | None:
    t = LoanProgramTerms
    return session.execute(
        select(t)
        .where(
            t.program_id == program_id,
            t.valid_from <= on,
            or_(t.valid_to.is_(None), t.valid_to >= on),
        )
        .order_by(t.valid_from.desc())
        .limit(1)
    ).scalar_one_or_none()


def _prepayments(
    session: Session, case_ids: list[int]
) -> dict[int, tuple[loan_schedule.Prepayment, ...]]:
    found: dict[int, list[loan_schedule.Prepayment]] = defaultdict(list)
    for chunk in (case_ids[i : i + 500] for i in range(0, len(case_ids), 500)):
        undone = _undone_ids(session, chunk)
        rows = session.execute(
            select(
                LoanCaseEvent.id,
                LoanCaseEvent.case_id,
                LoanCaseEvent.occurred_on,
                LoanCaseEvent.data,
            )
            .where(LoanCaseEvent.case_id.in_(chunk), LoanCaseEvent.kind == "prepayment")
            .order_by(LoanCaseEvent.occurred_on, LoanCaseEvent.id)
        )
        for event_id, case_id, on, data in rows:
            if event_id not in undone:
                found[case_id].append(loan_schedule.Prepayment(on, int(json.loads(data)["amount"])))
    return {k: tuple(v) for k, v in found.items()}


def _undone_ids(session: Session, case_ids: list[int]) -> set[int]:
    rows = session.execute(
        select(LoanCaseEvent.data).where(
            LoanCaseEvent.case_id.in_(case_ids), LoanCaseEvent.kind == "undo"
        )
    ).scalars()
    return {json.loads(data).get("undoes") for data in rows}


def _terms(
    session: Session,
    case: LoanCase,
    prepayments: tuple[loan_schedule.Prepayment, ...] | None = None,
) -> loan_schedule.LoanTerms | None:
    """The loan as the schedule needs it; a loan repaid in full early ends on its closing day.
    None when its term is unknown (a case imported from a ledger without 期間): the app never
    guesses a schedule."""
    assert case.executed_on is not None and case.executed_amount is not None
    if case.term_months is None:
        return None
    if prepayments is None:
        prepayments = _prepayments(session, [case.id]).get(case.id, ())
    # Repaid early, or settled by the guarantee corporation (代位弁済): the bank loan, and with
    # it the ward's schedule, ends on the closing day.
    ended = (LoanState.REPAID, LoanState.SUBROGATED)
    if case.status in ended and case.closed_on is not None:
        prepayments = (*prepayments, loan_schedule.Prepayment(case.closed_on, case.executed_amount))
    return loan_schedule.LoanTerms(
        executed_on=case.executed_on,
        amount=case.executed_amount,
        term_months=case.term_months,
        grace_months=case.grace_months or 0,
        nominal_rate=case.nominal_rate or Decimal(0),
        subsidy_rate=min(case.subsidy_rate or Decimal(0), case.nominal_rate or Decimal(0)),
        prepayments=prepayments,
        subsidy_stopped_on=case.subsidy_stopped_on,
    )


def _other_loans(session: Session, case: LoanCase, today: date) -> tuple[int, int]:
    """The business's other loans under the same fund that count against 口数 and the limit,
    and what they still owe (or the referred amount, before execution)."""
    others = (
        session.execute(
            select(LoanCase).where(
                LoanCase.business_id == case.business_id,
                LoanCase.program_id == case.program_id,
                LoanCase.id != case.id,
                LoanCase.status.in_(sorted(ACTIVE_LOAN | REFERRED_PENDING)),
            )
        )
        .scalars()
        .all()
    )
    outstanding = 0
    for other in others:
        executed = other.executed_on is not None and other.executed_amount is not None
        terms = _terms(session, other) if executed else None
        if terms is not None:
            outstanding += loan_schedule.balance_on(terms, today)
        elif other.executed_amount is not None:  # term unknown: count it as still owed
            outstanding += other.executed_amount
        else:
            outstanding += other.approved_amount or other.referral_amount or 0
    return len(others), outstanding


def _last_open_transition(session: Session, case_id: int) -> LoanCaseEvent | None:
    undone = _undone_ids(session, [case_id])
    events = session.execute(
        select(LoanCaseEvent)
        .where(LoanCaseEvent.case_id == case_id, LoanCaseEvent.kind == "transition")
        .order_by(LoanCaseEvent.id.desc())
    ).scalars()
    for event in events:
        if event.id in undone:
            continue
        # The opening event (to 相談) cannot be undone: withdraw the case instead.
        return event if event.from_status is not None else None
    return None


def _mask_event(data: dict[str, Any]) -> dict[str, Any]:
    """Event data without amounts, for roles that may not see them."""

    def clean(values: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if k not in _AMOUNT_FIELDS and k != "amount"}

    masked = clean(data)
    for key in ("values", "before"):
        if isinstance(data.get(key), dict):
            masked[key] = clean(data[key])
    return masked


def _lead_times(label: str, spans: list[tuple[int, int | None]]) -> LeadTimes:
    to_referral = [a for a, _ in spans]
    to_execution = [b for _, b in spans if b is not None]
    return LeadTimes(
        label=label,
        to_referral=statistics.median(to_referral) if to_referral else None,
        to_execution=statistics.median(to_execution) if to_execution else None,
        cases=len(spans),
    )

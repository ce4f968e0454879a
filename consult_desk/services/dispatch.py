"""Expert dispatch (専門家派遣): programs and their 年度 rules, dispatches, visits, figures.

The rules live in ``domain/dispatch.py``; this module reads the facts they need (the program's
terms for a 年度, the business's visits in it, the expert's registration), applies a step or a
visit, appends every status change to ``dispatch_event`` and writes an audit entry for every
change. See ``DispatchService`` for the permissions and the conventions of each method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    cast,
    exists,
    func,
    null,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consult_desk.db.base import utcnow
from consult_desk.db.engine import Database
from consult_desk.db.models import (
    AppSetting,
    Business,
    Consultation,
    DispatchProgram,
    DispatchProgramTerms,
    DispatchVisit,
    Expert,
    ExpertDispatch,
    Initiative,
    Staff,
)
from consult_desk.db.models import DispatchEvent as EventModel
from consult_desk.domain.dispatch import (
    DEFAULT_MAX_VISITS,
    DEFAULT_REPORT_DUE_DAYS,
    STEPS,
    VISITS_OPEN,
    DispatchEvent,
    DispatchFacts,
    DispatchInput,
    DispatchQuery,
    DispatchRow,
    DispatchState,
    DispatchView,
    ExpertFacts,
    Findings,
    FiscalYearFees,
    ProgramInfo,
    ProgramInput,
    SameDayVisit,
    StepInput,
    StepName,
    TermsInfo,
    TermsInput,
    VisitFacts,
    VisitInput,
    VisitRow,
    VisitSaved,
    YearUsage,
    check_step,
    check_visit,
    report_due,
    steps_from,
)
from consult_desk.domain.errors import Conflict, FieldError, NotFound, ValidationError
from consult_desk.domain.fiscal import fiscal_year, fiscal_year_range, japan_today
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.text import normalize_lines, search_key
from consult_desk.services import audit, records
from consult_desk.services.paging import SortKey, after_condition, count_statement

RECORD_KIND = "expert_dispatch"
VISIT_KIND = "dispatch_visit"
PROGRAM_KIND = "dispatch_program"
TERMS_KIND = "dispatch_terms"
# The plan has no 取組み named 専門家派遣: its policy 1-2 (中小企業の経営安定化支援) lists
# 専門家派遣 next to 経営相談, and 1-2-2 経営相談 is run with まちみらい千代田, which runs the
# visits. A dispatch whose program names no initiative serves that one.
FALLBACK_INITIATIVE = "1-2-2"
REPORT_DUE_KEY = "dispatch_report_due_days"
REPORT_DUE_RANGE = (1, 365)

_DISPATCH_FIELDS = (
    "business_id",
    "program_id",
    "consultation_id",
    "initiative_id",
    "expert_id",
    "staff_id",
    "theme",
    "fiscal_year",
    "status",
    "applied_on",
    "decided_on",
    "approved_visits",
    "completed_on",
    "report_due_on",
    "report_received_on",
    "paid_on",
    "cancelled_on",
    "cancel_reason",
    "notes",
)
_VISIT_FIELDS = tuple(f.name for f in fields(VisitInput))
_TERMS_FIELDS = ("fiscal_year", "max_visits_per_business", "fee_per_visit")
_PROGRAM_FIELDS = ("name", "initiative_id", "active")

T = TypeVar("T", ExpertDispatch, DispatchVisit, DispatchProgram, DispatchProgramTerms)


def _snapshot(record: object, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in names}


# --- fees -----------------------------------------------------------------------------------


def year_fees_statement(year: int, *group: Any) -> Select[Any]:
    """(*group, visits, total yen) over the visits dated in 年度 ``year``, grouped by ``group``.

    A visit costs its own fee, else the program's fee for that 年度, else the expert's fee, else
    nothing. Every visit counts, also those of a dispatch cancelled later: it took place.
    """
    first, last = fiscal_year_range(year)
    terms = DispatchProgramTerms
    fee = func.coalesce(DispatchVisit.fee, terms.fee_per_visit, Expert.fee_per_visit, 0)
    stmt = (
        select(*group, func.count(DispatchVisit.id), func.coalesce(func.sum(fee), 0))
        .select_from(DispatchVisit)
        .join(ExpertDispatch, ExpertDispatch.id == DispatchVisit.dispatch_id)
        .join(Expert, Expert.id == DispatchVisit.expert_id)
        .outerjoin(
            terms,
            and_(terms.program_id == ExpertDispatch.program_id, terms.fiscal_year == year),
        )
        .where(DispatchVisit.visited_on >= first, DispatchVisit.visited_on <= last)
    )
    return stmt.group_by(*group) if group else stmt


def _visit_fees(session: Session, program_id: int, visits: Sequence[DispatchVisit]) -> list[int]:
    """The effective fee of each visit, by the same rule as ``year_fees_statement``."""
    years = {fiscal_year(v.visited_on) for v in visits}
    program_fee = dict(
        session.execute(
            select(DispatchProgramTerms.fiscal_year, DispatchProgramTerms.fee_per_visit).where(
                DispatchProgramTerms.program_id == program_id,
                DispatchProgramTerms.fiscal_year.in_(sorted(years)),
            )
        ).all()
    )
    expert_fee = dict(
        session.execute(
            select(Expert.id, Expert.fee_per_visit).where(
                Expert.id.in_(sorted({v.expert_id for v in visits}))
            )
        ).all()
    )
    found = []
    for visit in visits:
        fee = visit.fee
        if fee is None:
            fee = program_fee.get(fiscal_year(visit.visited_on))
        if fee is None:
            fee = expert_fee.get(visit.expert_id)
        found.append(fee or 0)
    return found


# --- list rows ------------------------------------------------------------------------------


def _visit_count() -> Any:
    return (
        select(func.count(DispatchVisit.id))
        .where(DispatchVisit.dispatch_id == ExpertDispatch.id)
        .correlate(ExpertDispatch)
        .scalar_subquery()
    )


def _visits_in(query: DispatchQuery) -> list[ColumnElement[bool]]:
    """The visits dated in the query's visit period (no condition without one)."""
    found: list[ColumnElement[bool]] = []
    if query.visited_from is not None:
        found.append(DispatchVisit.visited_on >= query.visited_from)
    if query.visited_to is not None:
        found.append(DispatchVisit.visited_on <= query.visited_to)
    return found


def _visits_in_period(query: DispatchQuery | None) -> Any:
    """Each row's visits dated in the query's visit period (NULL without one)."""
    if query is None or not query.visit_period:
        return cast(null(), Integer)
    return (
        select(func.count(DispatchVisit.id))
        .where(DispatchVisit.dispatch_id == ExpertDispatch.id, *_visits_in(query))
        .correlate(ExpertDispatch)
        .scalar_subquery()
    )


def _row_statement(query: DispatchQuery | None = None) -> Select[*tuple[Any, ...]]:
    c = ExpertDispatch
    return (
        select(
            c.id,
            c.business_id,
            Business.name.label("business"),
            DispatchProgram.name.label("program"),
            c.theme,
            c.status,
            c.fiscal_year,
            c.applied_on,
            c.decided_on,
            c.approved_visits,
            _visit_count().label("visits"),
            Expert.name.label("expert"),
            Staff.name.label("staff"),
            c.completed_on,
            c.report_due_on,
            c.report_received_on,
            _visits_in_period(query).label("visits_in_period"),
        )
        .join(Business, Business.id == c.business_id)
        .join(DispatchProgram, DispatchProgram.id == c.program_id)
        .outerjoin(Expert, Expert.id == c.expert_id)
        .outerjoin(Staff, Staff.id == c.staff_id)
    )


def _report_overdue(today: date) -> ColumnElement[bool]:
    c = ExpertDispatch
    return and_(
        c.status == DispatchState.COMPLETED.value,
        c.report_received_on.is_(None),
        c.report_due_on < today,
    )


def _conditions(query: DispatchQuery, today: date) -> list[ColumnElement[bool]]:
    c = ExpertDispatch
    found: list[ColumnElement[bool]] = []
    if query.states:
        found.append(c.status.in_(sorted(s.value for s in query.states)))
    if query.program_id is not None:
        found.append(c.program_id == query.program_id)
    if query.expert_id is not None:
        visited = exists().where(
            DispatchVisit.dispatch_id == c.id, DispatchVisit.expert_id == query.expert_id
        )
        found.append(or_(c.expert_id == query.expert_id, visited))
    if query.staff_id is not None:
        found.append(c.staff_id == query.staff_id)
    if query.business_id is not None:
        found.append(c.business_id == query.business_id)
    if query.fiscal_year is not None:
        found.append(c.fiscal_year == query.fiscal_year)
    if query.report_overdue:
        found.append(_report_overdue(today))
    if query.visit_period:
        found.append(exists().where(DispatchVisit.dispatch_id == c.id, *_visits_in(query)))
    return found


def _row(row: Any, today: date) -> DispatchRow:
    state = DispatchState(row.status)
    overdue = (
        state == DispatchState.COMPLETED
        and row.report_received_on is None
        and row.report_due_on is not None
        and row.report_due_on < today
    )
    return DispatchRow(
        id=row.id,
        business_id=row.business_id,
        business_name=row.business,
        program_name=row.program,
        theme=row.theme,
        state=state,
        fiscal_year=row.fiscal_year,
        applied_on=row.applied_on,
        decided_on=row.decided_on,
        approved_visits=row.approved_visits,
        visits=row.visits,
        expert_name=row.expert or "",
        staff_name=row.staff or "",
        completed_on=row.completed_on,
        report_due_on=row.report_due_on,
        report_received_on=row.report_received_on,
        report_overdue=overdue,
        visits_in_period=row.visits_in_period,
    )


class DispatchService:
    """Dispatch programs with their 年度 rules, dispatches and their visits.

    Permissions (``Kind``, ``Action``), checked before anything is read or written:

    - programs, terms and the report deadline are master data: reading needs
      (MASTER, READ), adding (MASTER, CREATE), changing (MASTER, EDIT);
    - dispatches and visits: reading (DISPATCH, READ), a new dispatch or visit
      (DISPATCH, CREATE), corrections including removing the last visit (DISPATCH, EDIT),
      workflow steps (DISPATCH, TRANSITION).

    Conventions:

    - Every write validates first (``ValidationError`` with field codes; nothing is saved),
      runs in one transaction and writes an audit entry. Methods taking a ``version`` raise
      ``Conflict`` when someone saved the record meanwhile, and change nothing.
    - The visit cap of a program is set per 年度 (``add_terms``/``update_terms``). A 年度
      without a row uses ``DEFAULT_MAX_VISITS`` (8) and no program fee; ``terms_for`` says which.
    - The cap counts the visits of one business under one program dated in the 年度 of the
      visit (1 April – 31 March), over all its dispatches.
    - ``today`` parameters exist for tests; the app leaves them out (Japan's date).
    """

    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal
        self._actor_id = principal.staff_id

    # --- programs and terms (master data) -------------------------------------------------

    def programs(self, include_inactive: bool = False) -> list[ProgramInfo]:
        self._principal.require(Kind.MASTER, Action.READ)
        stmt = select(DispatchProgram).order_by(DispatchProgram.id)
        if not include_inactive:
            stmt = stmt.where(DispatchProgram.active)
        with self._db.read() as session:
            return [_program_info(p) for p in session.scalars(stmt)]

    def add_program(self, value: ProgramInput) -> int:
        self._principal.require(Kind.MASTER, Action.CREATE)
        value = value.normalized()
        with self._db.write() as session:
            self._validate_program(session, value, exclude_id=None)
            program = DispatchProgram(created_by_id=self._actor_id, updated_by_id=self._actor_id)
            for name in _PROGRAM_FIELDS:
                setattr(program, name, getattr(value, name))
            session.add(program)
            self._flush_master(session, "name", "duplicate_name")
            changes = audit.diff({}, _snapshot(program, _PROGRAM_FIELDS))
            audit.record(session, self._actor_id, "create", PROGRAM_KIND, program.id, changes)
            return program.id

    def update_program(self, program_id: int, version: int, value: ProgramInput) -> int:
        """Save the user's edit of ``version``; returns the new version. Deactivating is an
        update with ``active=False`` (dispatches keep referring to the program)."""
        self._principal.require(Kind.MASTER, Action.EDIT)
        value = value.normalized()
        with self._db.write() as session:
            program = _load(session, DispatchProgram, program_id, version)
            self._validate_program(session, value, exclude_id=program_id)
            return self._update_master(session, PROGRAM_KIND, program, value, _PROGRAM_FIELDS)

    def terms(self, program_id: int) -> list[TermsInfo]:
        """The 年度 rows of a program, the newest 年度 first (years without a row are not
        listed: they use the defaults)."""
        self._principal.require(Kind.MASTER, Action.READ)
        stmt = (
            select(DispatchProgramTerms)
            .where(DispatchProgramTerms.program_id == program_id)
            .order_by(DispatchProgramTerms.fiscal_year.desc())
        )
        with self._db.read() as session:
            return [_terms_info(t) for t in session.scalars(stmt)]

    def terms_for(self, program_id: int, year: int) -> TermsInfo:
        """The rules in force for a program in 年度 ``year``: its row, or the defaults (cap 8,
        no program fee) with ``id`` None when the 年度 has no row."""
        self._principal.require(Kind.MASTER, Action.READ)
        with self._db.read() as session:
            return _terms_for(session, program_id, year)

    def add_terms(self, program_id: int, value: TermsInput) -> int:
        """Set a program's rules for a 年度 that has none yet."""
        self._principal.require(Kind.MASTER, Action.CREATE)
        with self._db.write() as session:
            if session.get(DispatchProgram, program_id) is None:
                raise NotFound(f"dispatch_program {program_id}")
            errors = value.errors()
            if not errors and _terms_row(session, program_id, value.fiscal_year) is not None:
                errors.append(FieldError("fiscal_year", "dispatch_terms.duplicate_year"))
            if errors:
                raise ValidationError(errors)
            terms = DispatchProgramTerms(
                program_id=program_id, created_by_id=self._actor_id, updated_by_id=self._actor_id
            )
            for name in _TERMS_FIELDS:
                setattr(terms, name, getattr(value, name))
            session.add(terms)
            self._flush_master(session, "fiscal_year", "dispatch_terms.duplicate_year")
            changes = audit.diff({}, {"program_id": program_id, **_snapshot(terms, _TERMS_FIELDS)})
            audit.record(session, self._actor_id, "create", TERMS_KIND, terms.id, changes)
            return terms.id

    def update_terms(self, terms_id: int, version: int, value: TermsInput) -> int:
        """Save the user's edit of ``version``; returns the new version.

        Visits already recorded stay; a lower cap refuses only further visits. Visits without
        their own fee follow the new program fee in the fee totals.
        """
        self._principal.require(Kind.MASTER, Action.EDIT)
        with self._db.write() as session:
            terms = _load(session, DispatchProgramTerms, terms_id, version)
            errors = value.errors()
            other = _terms_row(session, terms.program_id, value.fiscal_year)
            if not errors and other is not None and other.id != terms_id:
                errors.append(FieldError("fiscal_year", "dispatch_terms.duplicate_year"))
            if errors:
                raise ValidationError(errors)
            return self._update_master(session, TERMS_KIND, terms, value, _TERMS_FIELDS)

    def report_due_days(self) -> int:
        """Days from completion to the 実績報告 deadline (default 30 until changed)."""
        self._principal.require(Kind.MASTER, Action.READ)
        with self._db.read() as session:
            return _report_due_days(session)

    def set_report_due_days(self, days: int) -> None:
        """Change the deadline for dispatches completed from now on (earlier ones keep the
        due date they were given)."""
        self._principal.require(Kind.MASTER, Action.EDIT)
        low, high = REPORT_DUE_RANGE
        if type(days) is not int or not low <= days <= high:  # bool is no day count
            raise ValidationError(
                [FieldError("dispatch_report_due_days", "dispatch.report_due_range")]
            )
        with self._db.write() as session:
            setting = session.get(AppSetting, REPORT_DUE_KEY)
            before = setting.value if setting else None
            if setting is None:
                session.add(AppSetting(key=REPORT_DUE_KEY, value=str(days)))
            else:
                setting.value = str(days)
            audit.record(
                session,
                self._actor_id,
                "update",
                "setting",
                None,
                {REPORT_DUE_KEY: [before, str(days)]},
            )

    # --- dispatches -----------------------------------------------------------------------

    def add(self, value: DispatchInput, *, today: date | None = None) -> int:
        """Record an application (申請); returns the new dispatch's id.

        The initiative is the program's, else 1-2-2 (see ``FALLBACK_INITIATIVE``); the 年度 is
        the application's; the member of staff defaults to the signed-in one.
        """
        self._principal.require(Kind.DISPATCH, Action.CREATE)
        value = value.normalized()
        today = today or japan_today()
        errors = value.errors(today)
        with self._db.write() as session:
            business = session.get(Business, value.business_id)
            if business is None or business.deleted_at is not None:
                errors.append(FieldError("business_id", "required"))
            elif business.archived:
                errors.append(FieldError("business_id", "business.archived"))
            program = session.get(DispatchProgram, value.program_id)
            if program is None or not program.active:
                errors.append(FieldError("program_id", "invalid_choice"))
            self._check_links(session, value, None, errors)
            if errors:
                raise ValidationError(errors)
            assert program is not None
            dispatch = ExpertDispatch(
                business_id=value.business_id,
                program_id=value.program_id,
                consultation_id=value.consultation_id,
                initiative_id=program.initiative_id or _fallback_initiative(session),
                expert_id=value.expert_id,
                staff_id=value.staff_id or self._actor_id,
                theme=value.theme,
                fiscal_year=value.fiscal_year,
                status=DispatchState.APPLIED.value,
                applied_on=value.applied_on,
                notes=value.notes,
                created_by_id=self._actor_id,
                updated_by_id=self._actor_id,
            )
            session.add(dispatch)
            records.flush(session)
            self._event(session, dispatch.id, None, DispatchState.APPLIED, value.applied_on, "")
            audit.record(
                session,
                self._actor_id,
                "create",
                RECORD_KIND,
                dispatch.id,
                audit.diff({}, _snapshot(dispatch, _DISPATCH_FIELDS)),
            )
            return dispatch.id

    def update(
        self,
        dispatch_id: int,
        version: int,
        value: DispatchInput,
        *,
        today: date | None = None,
    ) -> int:
        """Save the user's edit of ``version``; returns the new version.

        Theme, notes, staff, proposed expert and the consultation link can always be
        corrected. The business never changes; program and application date only before the
        decision (and the date not after a step already taken).
        """
        self._principal.require(Kind.DISPATCH, Action.EDIT)
        value = value.normalized()
        today = today or japan_today()
        errors = value.errors(today)
        with self._db.write() as session:
            dispatch = _load(session, ExpertDispatch, dispatch_id, version)
            state = DispatchState(dispatch.status)
            if value.business_id != dispatch.business_id:
                errors.append(FieldError("business_id", "dispatch.business_fixed"))
            decided = state not in (DispatchState.APPLIED, DispatchState.REVIEWING)
            initiative_id = dispatch.initiative_id
            if value.program_id != dispatch.program_id:
                program = session.get(DispatchProgram, value.program_id)
                if decided:
                    errors.append(FieldError("program_id", "dispatch.fixed_after_decision"))
                elif program is None or not program.active:
                    errors.append(FieldError("program_id", "invalid_choice"))
                else:  # another program serves its own initiative
                    initiative_id = program.initiative_id or _fallback_initiative(session)
            if value.applied_on != dispatch.applied_on:
                if decided:
                    errors.append(FieldError("applied_on", "dispatch.fixed_after_decision"))
                elif state == DispatchState.REVIEWING and value.applied_on > _status_since(
                    session, dispatch
                ):
                    errors.append(FieldError("applied_on", "dispatch.applied_after_steps"))
            self._check_links(session, value, dispatch, errors)
            if errors:
                raise ValidationError(errors)
            before = _snapshot(dispatch, _DISPATCH_FIELDS)
            with session.no_autoflush:  # one UPDATE, so the version moves on by one
                dispatch.program_id = value.program_id
                dispatch.initiative_id = initiative_id
                dispatch.applied_on = value.applied_on
                dispatch.fiscal_year = value.fiscal_year
                dispatch.theme = value.theme
                dispatch.notes = value.notes
                dispatch.staff_id = value.staff_id
                dispatch.expert_id = value.expert_id
                dispatch.consultation_id = value.consultation_id
                dispatch.updated_by_id = self._actor_id
                dispatch.updated_at = utcnow()  # a save always moves the version on
            records.flush(session)
            changes = audit.diff(before, _snapshot(dispatch, _DISPATCH_FIELDS))
            audit.record(session, self._actor_id, "update", RECORD_KIND, dispatch.id, changes)
            return dispatch.version

    def get(self, dispatch_id: int) -> DispatchView:
        self._principal.require(Kind.DISPATCH, Action.READ)
        with self._db.read() as session:
            return self._view(session, _get(session, dispatch_id))

    def preview(self, dispatch_id: int, value: StepInput, today: date | None = None) -> Findings:
        """The errors and warnings a step would meet, for checking while the officer types."""
        self._principal.require(Kind.DISPATCH, Action.READ)
        with self._db.read() as session:
            dispatch = _get(session, dispatch_id)
            return self._check_step(session, dispatch, value, today or japan_today())

    def advance(
        self,
        dispatch_id: int,
        version: int,
        value: StepInput,
        *,
        today: date | None = None,
    ) -> tuple[int, list[FieldError]]:
        """Apply one step; returns the new version and the warnings it was taken with.

        The step's date goes to its ``date_field`` (decided_on, completed_on, …). Completing
        sets the 実績報告 due date (typed, else completion + ``report_due_days``). The amount
        paid is kept in the audit entry (the dispatch has no column for it).
        """
        self._principal.require(Kind.DISPATCH, Action.TRANSITION)
        today = today or japan_today()
        with self._db.write() as session:
            dispatch = _load(session, ExpertDispatch, dispatch_id, version)
            findings = self._check_step(session, dispatch, value, today)
            if findings.errors:
                raise ValidationError(findings.errors)
            step = STEPS[value.step]
            source = DispatchState(dispatch.status)
            changes: dict[str, Any] = {"status": step.target.value}
            if step.date_field is not None:
                changes[step.date_field] = value.occurred_on
            if step.name == StepName.APPROVE:
                changes["approved_visits"] = value.approved_visits
                if value.expert_id is not None:
                    changes["expert_id"] = value.expert_id
            elif step.name == StepName.COMPLETE:
                days = _report_due_days(session)
                changes["report_due_on"] = report_due(value.occurred_on, days, value.report_due_on)
            elif step.name == StepName.CANCEL:
                changes["cancel_reason"] = normalize_lines(value.reason)
            before = _snapshot(dispatch, list(changes))
            with session.no_autoflush:
                for name, new in changes.items():
                    setattr(dispatch, name, new)
                dispatch.updated_by_id = self._actor_id
            records.flush(session)
            self._event(
                session,
                dispatch.id,
                source,
                step.target,
                value.occurred_on,
                normalize_lines(value.reason),
            )
            entry = audit.diff(before, changes)
            entry["step"] = [None, step.name.value]
            if step.name == StepName.PAY:
                entry["paid_amount"] = [None, value.amount]
            if findings.warnings:
                entry["warnings"] = [None, [f"{w.field}:{w.code}" for w in findings.warnings]]
            audit.record(session, self._actor_id, "transition", RECORD_KIND, dispatch.id, entry)
            return dispatch.version, list(findings.warnings)

    def history(self, dispatch_id: int) -> list[DispatchEvent]:
        """Every status change of a dispatch, oldest first (the append-only log)."""
        self._principal.require(Kind.DISPATCH, Action.READ)
        e = EventModel
        stmt = (
            select(e, Staff.name)
            .outerjoin(Staff, Staff.id == e.staff_id)
            .where(e.dispatch_id == dispatch_id)
            .order_by(e.id)
        )
        with self._db.read() as session:
            return [
                DispatchEvent(
                    id=event.id,
                    from_state=DispatchState(event.from_status) if event.from_status else None,
                    to_state=DispatchState(event.to_status),
                    occurred_on=event.occurred_on,
                    staff_name=name or "",
                    reason=event.reason,
                )
                for event, name in session.execute(stmt)
            ]

    # --- visits ---------------------------------------------------------------------------

    def visits(self, dispatch_id: int) -> list[VisitRow]:
        """The visits of a dispatch in their order (第1回, 第2回, …)."""
        self._principal.require(Kind.DISPATCH, Action.READ)
        with self._db.read() as session:
            dispatch = _get(session, dispatch_id)
            visits = _visits(session, dispatch_id)
            fees = _visit_fees(session, dispatch.program_id, visits)
            names = dict(
                session.execute(
                    select(Expert.id, Expert.name).where(
                        Expert.id.in_(sorted({v.expert_id for v in visits}))
                    )
                ).all()
            )
            return [
                _visit_row(visit, names.get(visit.expert_id, ""), fee)
                for visit, fee in zip(visits, fees, strict=True)
            ]

    def preview_visit(
        self,
        dispatch_id: int,
        value: VisitInput,
        visit_id: int | None = None,
        *,
        today: date | None = None,
    ) -> Findings:
        """What saving the visit would meet (a new one, or ``visit_id`` corrected), for checks
        while the user types: the cap of the 年度 of the date typed, the decision, the approved
        number, the expert's registration on that day, and the form's own rules."""
        self._principal.require(Kind.DISPATCH, Action.READ)
        with self._db.read() as session:
            dispatch = _get(session, dispatch_id)
            visit = None
            if visit_id is not None:
                visit = session.get(DispatchVisit, visit_id)
                if visit is None or visit.dispatch_id != dispatch_id:
                    raise NotFound(f"dispatch_visit {visit_id}")
            findings, _ = self._check_visit(
                session, dispatch, value.normalized(), visit, today or japan_today()
            )
            return findings

    def add_visit(
        self, dispatch_id: int, value: VisitInput, *, today: date | None = None
    ) -> VisitSaved:
        """Record the next visit (its number is the next one). The first visit of a decided
        dispatch starts it (派遣決定 → 派遣中, logged as a step on the visit date)."""
        self._principal.require(Kind.DISPATCH, Action.CREATE)
        value = value.normalized()
        today = today or japan_today()
        with self._db.write() as session:
            dispatch = _get(session, dispatch_id)
            _lock_business(session, dispatch.business_id)
            findings, facts = self._check_visit(session, dispatch, value, None, today)
            if findings.errors:
                raise ValidationError(findings.errors)
            visit = DispatchVisit(
                dispatch_id=dispatch_id,
                number=facts.number,
                created_by_id=self._actor_id,
                updated_by_id=self._actor_id,
            )
            _apply_visit(visit, value, dispatch)
            session.add(visit)
            if dispatch.status == DispatchState.APPROVED.value:
                dispatch.status = DispatchState.IN_PROGRESS.value
                dispatch.updated_by_id = self._actor_id
                self._event(
                    session,
                    dispatch.id,
                    DispatchState.APPROVED,
                    DispatchState.IN_PROGRESS,
                    value.visited_on,
                    "",
                )
                audit.record(
                    session,
                    self._actor_id,
                    "transition",
                    RECORD_KIND,
                    dispatch.id,
                    {
                        "status": [DispatchState.APPROVED.value, DispatchState.IN_PROGRESS.value],
                        "step": [None, StepName.START.value],
                    },
                )
            _flush_visit(session)
            changes = audit.diff(
                {}, {"dispatch_id": dispatch_id, **_snapshot(visit, ("number", *_VISIT_FIELDS))}
            )
            audit.record(session, self._actor_id, "create", VISIT_KIND, visit.id, changes)
            return VisitSaved(
                visit.id, visit.version, visit.number, dispatch.version, tuple(findings.warnings)
            )

    def update_visit(
        self, visit_id: int, version: int, value: VisitInput, *, today: date | None = None
    ) -> VisitSaved:
        """Correct a visit (until the dispatch is paid or cancelled); its number stays."""
        self._principal.require(Kind.DISPATCH, Action.EDIT)
        value = value.normalized()
        today = today or japan_today()
        with self._db.write() as session:
            visit = _load(session, DispatchVisit, visit_id, version)
            dispatch = _get(session, visit.dispatch_id)
            _lock_business(session, dispatch.business_id)
            findings, _ = self._check_visit(session, dispatch, value, visit, today)
            if findings.errors:
                raise ValidationError(findings.errors)
            before = _snapshot(visit, _VISIT_FIELDS)
            with session.no_autoflush:
                _apply_visit(visit, value, dispatch)
                visit.updated_by_id = self._actor_id
                visit.updated_at = utcnow()  # a save always moves the version on
            _flush_visit(session)
            changes = audit.diff(before, _snapshot(visit, _VISIT_FIELDS))
            audit.record(session, self._actor_id, "update", VISIT_KIND, visit.id, changes)
            return VisitSaved(
                visit.id, visit.version, visit.number, dispatch.version, tuple(findings.warnings)
            )

    def delete_visit(self, visit_id: int, version: int) -> int:
        """Remove a visit entered by mistake: only the last one (numbers stay without gaps),
        and only while visits may be added. Needs (DISPATCH, EDIT): it corrects the dispatch's
        record like an edit, it does not trash a record. Returns the dispatch's version."""
        self._principal.require(Kind.DISPATCH, Action.EDIT)
        with self._db.write() as session:
            visit = _load(session, DispatchVisit, visit_id, version)
            dispatch = _get(session, visit.dispatch_id)
            errors = []
            if DispatchState(dispatch.status) not in VISITS_OPEN:
                errors.append(FieldError("status", "dispatch.visits_closed"))
            last = session.execute(
                select(func.max(DispatchVisit.number)).where(
                    DispatchVisit.dispatch_id == dispatch.id
                )
            ).scalar_one()
            if visit.number != last:
                errors.append(FieldError("number", "dispatch.delete_last_only"))
            if errors:
                raise ValidationError(errors)
            gone = {"dispatch_id": dispatch.id, **_snapshot(visit, ("number", *_VISIT_FIELDS))}
            session.delete(visit)
            records.flush(session)
            audit.record(
                session, self._actor_id, "delete", VISIT_KIND, visit_id, audit.diff(gone, {})
            )
            return dispatch.version

    def year_usage(self, dispatch_id: int, on: date) -> YearUsage:
        """The business's visits under the dispatch's program in the 年度 of ``on``, and that
        年度's cap (for 「今年度 5/8回」 next to the visit form)."""
        self._principal.require(Kind.DISPATCH, Action.READ)
        with self._db.read() as session:
            dispatch = _get(session, dispatch_id)
            year = fiscal_year(on)
            cap = _terms_for(session, dispatch.program_id, year).max_visits_per_business
            used = _year_visits(session, dispatch.business_id, dispatch.program_id, year)
            return YearUsage(year, used, cap)

    # --- lists and figures ----------------------------------------------------------------

    def page(
        self,
        query: DispatchQuery,
        after: DispatchRow | None = None,
        limit: int = 200,
        *,
        today: date | None = None,
    ) -> list[DispatchRow]:
        """Dispatches, the newest application first (keyset paging after ``after``)."""
        self._principal.require(Kind.DISPATCH, Action.READ)
        if errors := query.errors():
            raise ValidationError(errors)
        today = today or japan_today()
        keys: list[SortKey] = [ExpertDispatch.applied_on, ExpertDispatch.id]
        stmt = _row_statement(query).where(*_conditions(query, today))
        if after is not None:
            stmt = stmt.where(after_condition(keys, (after.applied_on, after.id), True))
        stmt = stmt.order_by(*(k.desc() for k in keys)).limit(limit)
        with self._db.read() as session:
            return [_row(row, today) for row in session.execute(stmt)]

    def count(
        self, query: DispatchQuery, cap: int | None = None, *, today: date | None = None
    ) -> int:
        """How many dispatches match (at most cap + 1 with ``cap``: the list shows "cap+")."""
        self._principal.require(Kind.DISPATCH, Action.READ)
        if errors := query.errors():
            raise ValidationError(errors)
        where = _conditions(query, today or japan_today())
        stmt = count_statement(select(ExpertDispatch.id).where(*where), cap)
        with self._db.read() as session:
            return session.execute(stmt).scalar_one()

    def count_visits(self, query: DispatchQuery, *, today: date | None = None) -> int:
        """The visits of the dispatches that match, those dated in the query's visit period
        when it has one (a report's 訪問回数, beside the dispatches that hold them)."""
        self._principal.require(Kind.DISPATCH, Action.READ)
        if errors := query.errors():
            raise ValidationError(errors)
        matching = select(ExpertDispatch.id).where(*_conditions(query, today or japan_today()))
        stmt = select(func.count(DispatchVisit.id)).where(
            DispatchVisit.dispatch_id.in_(matching), *_visits_in(query)
        )
        with self._db.read() as session:
            return int(session.execute(stmt).scalar_one())

    def for_business(self, business_id: int) -> list[DispatchRow]:
        """Every dispatch of one business, newest first (a business has a handful)."""
        self._principal.require(Kind.DISPATCH, Action.READ)
        return self._rows(ExpertDispatch.business_id == business_id)

    def for_consultation(self, consultation_id: int) -> list[DispatchRow]:
        """The dispatches started from one consultation, newest first."""
        self._principal.require(Kind.DISPATCH, Action.READ)
        return self._rows(ExpertDispatch.consultation_id == consultation_id)

    def fees_by_fiscal_year(self) -> list[FiscalYearFees]:
        """Visits and fees per 年度 of the visit date, oldest 年度 first (years with visits)."""
        self._principal.require(Kind.DISPATCH, Action.READ)
        with self._db.read() as session:
            bounds: Any = session.execute(
                select(func.min(DispatchVisit.visited_on), func.max(DispatchVisit.visited_on))
            ).one()
            first, last = bounds  # both None without any visit
            if first is None or last is None:
                return []
            found = []
            for year in range(fiscal_year(first), fiscal_year(last) + 1):
                visits, total = session.execute(year_fees_statement(year)).one()
                if visits:
                    found.append(FiscalYearFees(year, visits, int(total)))
            return found

    def reports_due(self, today: date | None = None, limit: int = 200) -> list[DispatchRow]:
        """Completed dispatches whose 実績報告 has not arrived, the earliest due date first;
        ``report_overdue`` marks those past it (for the follow-up panel)."""
        self._principal.require(Kind.DISPATCH, Action.READ)
        today = today or japan_today()
        c = ExpertDispatch
        stmt = (
            _row_statement()
            .where(c.status == DispatchState.COMPLETED.value, c.report_received_on.is_(None))
            .order_by(func.coalesce(c.report_due_on, c.completed_on), c.id)
            .limit(limit)
        )
        with self._db.read() as session:
            return [_row(row, today) for row in session.execute(stmt)]

    # --- helpers --------------------------------------------------------------------------

    def _rows(self, condition: ColumnElement[bool]) -> list[DispatchRow]:
        today = japan_today()
        c = ExpertDispatch
        stmt = _row_statement().where(condition).order_by(c.applied_on.desc(), c.id.desc())
        with self._db.read() as session:
            return [_row(row, today) for row in session.execute(stmt)]

    def _event(
        self,
        session: Session,
        dispatch_id: int,
        source: DispatchState | None,
        target: DispatchState,
        on: date,
        reason: str,
    ) -> None:
        session.add(
            EventModel(
                dispatch_id=dispatch_id,
                from_status=source.value if source else None,
                to_status=target.value,
                occurred_on=on,
                staff_id=self._actor_id,
                reason=reason,
            )
        )

    @staticmethod
    def _check_links(
        session: Session,
        value: DispatchInput,
        current: ExpertDispatch | None,
        errors: list[FieldError],
    ) -> None:
        """The consultation must be the business's; a newly chosen member of staff or expert
        must be active (one kept from before may have retired since)."""
        if value.consultation_id is not None:
            consultation = session.get(Consultation, value.consultation_id)
            if (
                consultation is None
                or consultation.deleted_at is not None
                or consultation.business_id != value.business_id
            ):
                errors.append(FieldError("consultation_id", "dispatch.consultation_mismatch"))
        if value.staff_id is not None and (current is None or value.staff_id != current.staff_id):
            staff = session.get(Staff, value.staff_id)
            if staff is None:
                errors.append(FieldError("staff_id", "invalid_choice"))
            elif not staff.active:
                errors.append(FieldError("staff_id", "staff.inactive"))
        if value.expert_id is not None and (
            current is None or value.expert_id != current.expert_id
        ):
            expert = session.get(Expert, value.expert_id)
            if expert is None:
                errors.append(FieldError("expert_id", "invalid_choice"))
            elif not expert.active:
                errors.append(FieldError("expert_id", "expert.inactive"))

    def _check_step(
        self, session: Session, dispatch: ExpertDispatch, value: StepInput, today: date
    ) -> Findings:
        visits = _visits(session, dispatch.id)
        expert = None
        errors: list[FieldError] = []
        if value.step == StepName.APPROVE and value.expert_id is not None:
            found = session.get(Expert, value.expert_id)
            if found is None:
                errors.append(FieldError("expert_id", "invalid_choice"))
            else:
                expert = _expert_facts(found)
        year = fiscal_year(value.occurred_on)
        facts = DispatchFacts(
            state=DispatchState(dispatch.status),
            applied_on=dispatch.applied_on,
            status_since=_status_since(session, dispatch),
            visits=len(visits),
            last_visit_on=max((v.visited_on for v in visits), default=None),
            approved_visits=dispatch.approved_visits,
            year_cap=_terms_for(session, dispatch.program_id, year).max_visits_per_business,
            year_used=_year_visits(session, dispatch.business_id, dispatch.program_id, year),
            expert=expert,
            fee_total=sum(_visit_fees(session, dispatch.program_id, visits)),
        )
        findings = check_step(facts, value, today)
        return Findings(findings.errors + errors, findings.warnings)

    def _check_visit(
        self,
        session: Session,
        dispatch: ExpertDispatch,
        value: VisitInput,
        visit: DispatchVisit | None,
        today: date,
    ) -> tuple[Findings, VisitFacts]:
        errors: list[FieldError] = []
        expert_id = value.expert_id or dispatch.expert_id
        expert = None
        if expert_id is not None:
            found = session.get(Expert, expert_id)
            if found is None:
                errors.append(FieldError("expert_id", "invalid_choice"))
            else:
                expert = _expert_facts(found)
        dates = dict(
            session.execute(
                select(DispatchVisit.number, DispatchVisit.visited_on).where(
                    DispatchVisit.dispatch_id == dispatch.id
                )
            ).all()
        )
        number = visit.number if visit is not None else max(dates, default=0) + 1
        year = fiscal_year(value.visited_on)
        facts = VisitFacts(
            state=DispatchState(dispatch.status),
            decided_on=dispatch.decided_on,
            approved_visits=dispatch.approved_visits,
            number=number,
            year_cap=_terms_for(session, dispatch.program_id, year).max_visits_per_business,
            year_used=_year_visits(
                session,
                dispatch.business_id,
                dispatch.program_id,
                year,
                exclude_id=visit.id if visit is not None else None,
            ),
            expert=expert,
            is_new=visit is None,
            previous_visit_on=dates.get(number - 1),
            next_visit_on=dates.get(number + 1),
            dispatch_id=dispatch.id,
            visit_id=visit.id if visit is not None else None,
            same_day_visits=_same_day_visits(
                session, expert_id, value.visited_on, visit.id if visit is not None else None
            ),
        )
        findings = check_visit(facts, value, today)
        if errors:  # an unknown expert is reported as such, not as a missing one
            findings = Findings(
                [e for e in findings.errors if e.field != "expert_id"] + errors,
                findings.warnings,
            )
        return findings, facts

    def _view(self, session: Session, dispatch: ExpertDispatch) -> DispatchView:
        business = session.get(Business, dispatch.business_id)
        program = session.get(DispatchProgram, dispatch.program_id)
        assert business is not None and program is not None
        expert = session.get(Expert, dispatch.expert_id) if dispatch.expert_id else None
        staff = session.get(Staff, dispatch.staff_id) if dispatch.staff_id else None
        visits = _visits(session, dispatch.id)
        state = DispatchState(dispatch.status)
        return DispatchView(
            id=dispatch.id,
            version=dispatch.version,
            business_id=dispatch.business_id,
            business_name=business.name,
            program_id=dispatch.program_id,
            program_name=program.name,
            consultation_id=dispatch.consultation_id,
            initiative_id=dispatch.initiative_id,
            expert_id=dispatch.expert_id,
            expert_name=expert.name if expert else "",
            staff_id=dispatch.staff_id,
            staff_name=staff.name if staff else "",
            theme=dispatch.theme,
            fiscal_year=dispatch.fiscal_year,
            state=state,
            status_since=_status_since(session, dispatch),
            applied_on=dispatch.applied_on,
            decided_on=dispatch.decided_on,
            approved_visits=dispatch.approved_visits,
            completed_on=dispatch.completed_on,
            report_due_on=dispatch.report_due_on,
            report_received_on=dispatch.report_received_on,
            paid_on=dispatch.paid_on,
            cancelled_on=dispatch.cancelled_on,
            cancel_reason=dispatch.cancel_reason,
            notes=dispatch.notes,
            visits=len(visits),
            fee_total=sum(_visit_fees(session, dispatch.program_id, visits)),
            steps=tuple(steps_from(state)),
        )

    def _validate_program(
        self, session: Session, value: ProgramInput, exclude_id: int | None
    ) -> None:
        errors = value.errors()
        if value.initiative_id is not None and session.get(Initiative, value.initiative_id) is None:
            errors.append(FieldError("initiative_id", "invalid_choice"))
        if not any(e.field == "name" for e in errors):
            key = search_key(value.name)
            # Tens of rows: comparing keys in Python keeps the rule identical to search's.
            rows = session.execute(select(DispatchProgram.id, DispatchProgram.name))
            if any(i != exclude_id and search_key(n) == key for i, n in rows):
                errors.append(FieldError("name", "duplicate_name"))
        if errors:
            raise ValidationError(errors)

    def _update_master(
        self,
        session: Session,
        kind: str,
        record: DispatchProgram | DispatchProgramTerms,
        value: object,
        names: Sequence[str],
    ) -> int:
        before = _snapshot(record, names)
        with session.no_autoflush:  # one UPDATE, so the version moves on by one
            for name in names:
                setattr(record, name, getattr(value, name))
            record.updated_by_id = self._actor_id
            record.updated_at = utcnow()  # a save always moves the version on
        self._flush_master(session, names[0], "duplicate_name")
        changes = audit.diff(before, _snapshot(record, names))
        audit.record(session, self._actor_id, "update", kind, record.id, changes)
        return record.version

    @staticmethod
    def _flush_master(session: Session, field_name: str, code: str) -> None:
        try:
            records.flush(session)
        except IntegrityError as exc:  # the schema's last line of defence (a racing save)
            if "unique" in str(exc.orig).lower():
                raise ValidationError([FieldError(field_name, code)]) from exc
            raise


# --- module helpers -------------------------------------------------------------------------


def _load(session: Session, model: type[T], record_id: int, version: int) -> T:
    record = session.get(model, record_id)
    if record is None:
        raise NotFound(f"{model.__tablename__} {record_id}")
    if record.version != version:
        raise Conflict(f"{model.__tablename__} {record_id}: {version} < {record.version}")
    return record


def _get(session: Session, dispatch_id: int) -> ExpertDispatch:
    dispatch = session.get(ExpertDispatch, dispatch_id)
    if dispatch is None:
        raise NotFound(f"expert_dispatch {dispatch_id}")
    return dispatch


def _lock_business(session: Session, business_id: int) -> None:
    """Serialise visit saves per business, so two people cannot both take the last visit of
    the 年度's cap (PostgreSQL; SQLite writers already run one at a time)."""
    session.execute(select(Business.id).where(Business.id == business_id).with_for_update())


def _status_since(session: Session, dispatch: ExpertDispatch) -> date:
    on = session.execute(
        select(EventModel.occurred_on)
        .where(EventModel.dispatch_id == dispatch.id)
        .order_by(EventModel.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return on or dispatch.applied_on


def _visits(session: Session, dispatch_id: int) -> list[DispatchVisit]:
    return list(
        session.scalars(
            select(DispatchVisit)
            .where(DispatchVisit.dispatch_id == dispatch_id)
            .order_by(DispatchVisit.number)
        )
    )


def _year_visits(
    session: Session,
    business_id: int,
    program_id: int,
    year: int,
    exclude_id: int | None = None,
) -> int:
    """Visits of a business under a program dated in 年度 ``year``, over all its dispatches."""
    first, last = fiscal_year_range(year)
    stmt = (
        select(func.count(DispatchVisit.id))
        .join(ExpertDispatch, ExpertDispatch.id == DispatchVisit.dispatch_id)
        .where(
            ExpertDispatch.business_id == business_id,
            ExpertDispatch.program_id == program_id,
            DispatchVisit.visited_on >= first,
            DispatchVisit.visited_on <= last,
        )
    )
    if exclude_id is not None:
        stmt = stmt.where(DispatchVisit.id != exclude_id)
    return session.execute(stmt).scalar_one()


def _terms_row(session: Session, program_id: int, year: int) -> DispatchProgramTerms | None:
    return session.execute(
        select(DispatchProgramTerms).where(
            DispatchProgramTerms.program_id == program_id,
            DispatchProgramTerms.fiscal_year == year,
        )
    ).scalar_one_or_none()


def _terms_for(session: Session, program_id: int, year: int) -> TermsInfo:
    row = _terms_row(session, program_id, year)
    if row is None:
        return TermsInfo(None, program_id, year, DEFAULT_MAX_VISITS, None, None)
    return _terms_info(row)


def _terms_info(terms: DispatchProgramTerms) -> TermsInfo:
    return TermsInfo(
        id=terms.id,
        program_id=terms.program_id,
        fiscal_year=terms.fiscal_year,
        max_visits_per_business=terms.max_visits_per_business,
        fee_per_visit=terms.fee_per_visit,
        version=terms.version,
    )


def _program_info(program: DispatchProgram) -> ProgramInfo:
    return ProgramInfo(
        program.id, program.name, program.initiative_id, program.active, program.version
    )


def _report_due_days(session: Session) -> int:
    setting = session.get(AppSetting, REPORT_DUE_KEY)
    low, high = REPORT_DUE_RANGE
    if setting is not None and setting.value.isdigit() and low <= int(setting.value) <= high:
        return int(setting.value)
    return DEFAULT_REPORT_DUE_DAYS


def _fallback_initiative(session: Session) -> int:
    return session.execute(
        select(Initiative.id).where(Initiative.code == FALLBACK_INITIATIVE)
    ).scalar_one()


def _expert_facts(expert: Expert) -> ExpertFacts:
    return ExpertFacts(expert.id, expert.registered_from, expert.registered_to, expert.active)


def _same_day_visits(
    session: Session, expert_id: int | None, on: date, exclude_id: int | None
) -> tuple[SameDayVisit, ...]:
    """The expert's other visits on ``on`` (any dispatch), the visit being corrected left out."""
    if expert_id is None:
        return ()
    query = select(
        DispatchVisit.id,
        DispatchVisit.dispatch_id,
        DispatchVisit.expert_id,
        DispatchVisit.visited_on,
        DispatchVisit.start_time,
        DispatchVisit.end_time,
    ).where(DispatchVisit.expert_id == expert_id, DispatchVisit.visited_on == on)
    if exclude_id is not None:
        query = query.where(DispatchVisit.id != exclude_id)
    return tuple(SameDayVisit(*row) for row in session.execute(query).all())


def _apply_visit(visit: DispatchVisit, value: VisitInput, dispatch: ExpertDispatch) -> None:
    expert_id = value.expert_id or dispatch.expert_id
    assert expert_id is not None  # check_visit refused a visit without any expert
    for name in _VISIT_FIELDS:
        setattr(visit, name, getattr(value, name))
    visit.expert_id = expert_id


def _flush_visit(session: Session) -> None:
    try:
        records.flush(session)
    except IntegrityError as exc:  # (dispatch, number) taken by a save that raced ours
        raise Conflict(str(exc.orig)) from exc


def _visit_row(visit: DispatchVisit, expert_name: str, fee: int) -> VisitRow:
    return VisitRow(
        id=visit.id,
        version=visit.version,
        dispatch_id=visit.dispatch_id,
        number=visit.number,
        visited_on=visit.visited_on,
        start_time=visit.start_time,
        end_time=visit.end_time,
        place=visit.place,
        online=visit.online,
        expert_id=visit.expert_id,
        expert_name=expert_name,
        attendees=visit.attendees,
        issues=visit.issues,
        advice=visit.advice,
        homework=visit.homework,
        next_on=visit.next_on,
        report_received_on=visit.report_received_on,
        fee=visit.fee,
        effective_fee=fee,
    )

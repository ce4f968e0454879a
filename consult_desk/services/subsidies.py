"""Subsidy applications (補助金) and their programs: file, check, walk the lifecycle, list.

The rules live in ``domain/subsidies.py``; this module reads the facts they need (the terms in
force on the application day, the applicant's other applications in the 年度, the funded
event), stores the computed amount, and appends every step to ``subsidy_event``.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consult_desk.db.base import utcnow
from consult_desk.db.engine import Database
from consult_desk.db.models import (
    Business,
    Initiative,
    Staff,
    StreetAssociation,
    StreetEvent,
    SubsidyApplication,
    SubsidyEvent,
    SubsidyProgram,
    SubsidyProgramTerms,
)
from consult_desk.domain.errors import Conflict, FieldError, NotFound, ValidationError
from consult_desk.domain.fiscal import fiscal_year, japan_today
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.subsidies import (
    AWAITING_REPORT,
    COUNTED,
    FALLBACK_INITIATIVE,
    GRANTED_OR_LATER,
    MAX_NOTES,
    MAX_TITLE,
    REPORT_DUE_SOON_DAYS,
    STEPS,
    TERMINAL,
    ApplicationFacts,
    ApplicationInput,
    ApplicationQuery,
    ApplicationRow,
    ApplicationView,
    Findings,
    ProgramInfo,
    ProgramInput,
    ReportDue,
    SpendingLine,
    StepFacts,
    StepInput,
    StepName,
    SubsidyEventRow,
    SubsidyState,
    SubsidyTarget,
    TermsInfo,
    TermsInput,
    check_application,
    check_step,
    eligible_amount,
    initiative_code_for,
    report_due,
    steps_from,
)
from consult_desk.domain.text import normalize_lines, search_key
from consult_desk.services import audit, records
from consult_desk.services.paging import SortKey, after_condition, count_statement

RECORD_KIND = "subsidy_application"
PROGRAM_KIND = "subsidy_program"
TERMS_KIND = "subsidy_terms"
MAX_ROWS = 500  # per applicant, and in the follow-up list
TERMS_FIELDS = tuple(f.name for f in fields(TermsInput))
PROGRAM_FIELDS = ("name", "target", "initiative_id", "active", "notes")
# What an application's form may change while it is still 申請 / 差戻し; afterwards the steps
# change amounts and dates, and the form edits only the title, the officer and the notes.
OPEN_FIELDS = ("applied_on", "event_id", "activity_ends_on", "eligible_cost", "requested_amount")
FREE_FIELDS = ("title", "staff_id", "notes")
EDITABLE = frozenset({SubsidyState.APPLIED, SubsidyState.RETURNED})
_SNAPSHOT = (
    "status",
    "fiscal_year",
    *OPEN_FIELDS,
    *FREE_FIELDS,
    "computed_amount",
    "granted_amount",
    "decided_on",
    "report_due_on",
    "reported_on",
    "confirmed_amount",
    "confirmed_on",
    "paid_amount",
    "paid_on",
    "closed_on",
    "reason",
)

T = TypeVar("T", SubsidyProgram, SubsidyProgramTerms, SubsidyApplication)


def _terms_info(terms: SubsidyProgramTerms) -> TermsInfo:
    return TermsInfo(
        id=terms.id,
        program_id=terms.program_id,
        version=terms.version,
        **{name: getattr(terms, name) for name in TERMS_FIELDS},
    )


def _program_info(program: SubsidyProgram) -> ProgramInfo:
    return ProgramInfo(
        id=program.id,
        version=program.version,
        name=program.name,
        target=SubsidyTarget(program.target),
        initiative_id=program.initiative_id,
        active=program.active,
        notes=program.notes,
    )


def _snapshot(record: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in names}


def _load(session: Session, model: type[T], record_id: int, version: int) -> T:
    record = session.get(model, record_id)
    if record is None:
        raise NotFound(f"{model.__tablename__} {record_id}")
    if record.version != version:
        raise Conflict(f"{model.__tablename__} {record_id}: {version} < {record.version}")
    return record


def _terms_in_force(session: Session, program_id: int, on: date) -> SubsidyProgramTerms | None:
    t = SubsidyProgramTerms
    return session.scalars(
        select(t)
        .where(t.program_id == program_id, t.valid_from <= on)
        .where(or_(t.valid_to.is_(None), t.valid_to >= on))
        .order_by(t.valid_from.desc(), t.id.desc())
        .limit(1)
    ).first()


def _codes(found: list[FieldError]) -> list[str]:
    return [f"{e.field}:{e.code}" for e in found]


# --- list queries -------------------------------------------------------------------------


def _conditions(query: ApplicationQuery, today: date) -> list[ColumnElement[bool]]:
    a = SubsidyApplication
    found: list[ColumnElement[bool]] = []
    if query.states:
        found.append(a.status.in_(sorted(query.states)))
    if query.program_id is not None:
        found.append(a.program_id == query.program_id)
    if query.target is SubsidyTarget.BUSINESS:
        found.append(a.business_id.is_not(None))
    elif query.target is SubsidyTarget.STREET:
        found.append(a.association_id.is_not(None))
    if query.business_id is not None:
        found.append(a.business_id == query.business_id)
    if query.association_id is not None:
        found.append(a.association_id == query.association_id)
    if query.fiscal_year is not None:
        found.append(a.fiscal_year == query.fiscal_year)
    if query.report is not None:
        found += [a.status.in_(sorted(AWAITING_REPORT)), a.report_due_on.is_not(None)]
        if query.report is ReportDue.OVERDUE:
            found.append(a.report_due_on < today)
        else:
            found.append(a.report_due_on <= today + timedelta(days=REPORT_DUE_SOON_DAYS))
    if query.grant_period:
        found.append(a.granted_amount.is_not(None))
        if query.granted_from is not None:
            found.append(a.decided_on >= query.granted_from)
        if query.granted_to is not None:
            found.append(a.decided_on <= query.granted_to)
    return found


def _row_statement() -> Select[*tuple[Any, ...]]:
    a = SubsidyApplication
    amount = func.coalesce(
        a.paid_amount, a.confirmed_amount, a.granted_amount, a.requested_amount, a.computed_amount
    )
    return (
        select(
            a.id,
            a.business_id,
            a.association_id,
            func.coalesce(Business.name, StreetAssociation.name).label("applicant"),
            a.program_id,
            SubsidyProgram.name.label("program"),
            a.fiscal_year,
            a.status,
            a.applied_on,
            a.title,
            amount.label("amount"),
            a.report_due_on,
        )
        .join(SubsidyProgram, SubsidyProgram.id == a.program_id)
        .outerjoin(Business, Business.id == a.business_id)
        .outerjoin(StreetAssociation, StreetAssociation.id == a.association_id)
    )


def _row(row: Any, today: date) -> ApplicationRow:
    state = SubsidyState(row.status)
    business = row.business_id is not None
    due = row.report_due_on
    return ApplicationRow(
        id=row.id,
        target=SubsidyTarget.BUSINESS if business else SubsidyTarget.STREET,
        applicant_id=row.business_id if business else row.association_id,
        applicant_name=row.applicant or "",
        program_id=row.program_id,
        program_name=row.program,
        fiscal_year=row.fiscal_year,
        state=state,
        applied_on=row.applied_on,
        title=row.title,
        amount=row.amount,
        report_due_on=due,
        days_to_report=(due - today).days if due and state in AWAITING_REPORT else None,
    )


class SubsidyService:
    """Subsidy programs (master data) and applications.

    - Programs and their dated terms need master-data permissions (reading: every role;
      adding / changing: administrators); applications need the SUBSIDY permissions
      (consultants work them, auditors and loan officers only read).
    - Every write is one transaction, checked first, audited, and version-checked: a stale
      ``version`` raises ``Conflict`` and changes nothing.
    - ``add`` / ``update`` / ``advance`` return the new id or version and the warnings the save
      was made with; errors raise ``ValidationError``. ``preview`` / ``preview_step`` give the
      same findings without saving, for checks while the user types.
    - The amount is computed from the terms in force on the application day and stored;
      editing the terms later never changes an application.
    """

    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal
        self._actor_id = principal.staff_id

    # --- programs and terms ---------------------------------------------------------------

    def programs(
        self, include_inactive: bool = False, target: SubsidyTarget | None = None
    ) -> list[ProgramInfo]:
        self._principal.require(Kind.MASTER, Action.READ)
        stmt = select(SubsidyProgram).order_by(SubsidyProgram.id)
        if not include_inactive:
            stmt = stmt.where(SubsidyProgram.active)
        if target is not None:
            stmt = stmt.where(SubsidyProgram.target == target.value)
        with self._db.read() as session:
            return [_program_info(p) for p in session.scalars(stmt)]

    def add_program(self, value: ProgramInput) -> int:
        self._principal.require(Kind.MASTER, Action.CREATE)
        value = value.normalized()
        with self._db.write() as session:
            self._validate_program(session, value, None)
            program = SubsidyProgram(created_by_id=self._actor_id, updated_by_id=self._actor_id)
            self._apply_program(program, value)
            session.add(program)
            self._flush(session)
            changes = audit.diff({}, _snapshot(program, PROGRAM_FIELDS))
            audit.record(session, self._actor_id, "create", PROGRAM_KIND, program.id, changes)
            return program.id

    def update_program(self, program_id: int, version: int, value: ProgramInput) -> int:
        """Save the user's edit of ``version``; returns the new version. The target cannot
        change once applications refer to the program."""
        self._principal.require(Kind.MASTER, Action.EDIT)
        value = value.normalized()
        with self._db.write() as session:
            program = _load(session, SubsidyProgram, program_id, version)
            in_use = value.target.value != program.target and session.scalar(
                select(SubsidyApplication.id)
                .where(SubsidyApplication.program_id == program_id)
                .limit(1)
            )
            extra = [FieldError("target", "subsidy_program.target_in_use")] if in_use else []
            self._validate_program(session, value, program_id, extra)
            before = _snapshot(program, PROGRAM_FIELDS)
            with session.no_autoflush:
                self._apply_program(program, value)
            return self._save(session, PROGRAM_KIND, program, before, PROGRAM_FIELDS)

    def terms(self, program_id: int) -> list[TermsInfo]:
        """Every period of a program's terms, the newest first."""
        self._principal.require(Kind.MASTER, Action.READ)
        t = SubsidyProgramTerms
        stmt = (
            select(t).where(t.program_id == program_id).order_by(t.valid_from.desc(), t.id.desc())
        )
        with self._db.read() as session:
            return [_terms_info(terms) for terms in session.scalars(stmt)]

    def terms_in_force(self, program_id: int, on: date) -> TermsInfo | None:
        """The terms an application made on ``on`` is computed with; None if none apply."""
        self._principal.require(Kind.MASTER, Action.READ)
        with self._db.read() as session:
            terms = _terms_in_force(session, program_id, on)
            return _terms_info(terms) if terms else None

    def add_terms(
        self, program_id: int, value: TermsInput, *, close_open_period: bool = False
    ) -> int:
        """Add a period of terms; periods of one program never overlap.

        With ``close_open_period``, an open-ended period that began earlier (last 年度's terms)
        is ended the day before the new one begins, in the same transaction.
        """
        self._principal.require(Kind.MASTER, Action.CREATE)
        with self._db.write() as session:
            if session.get(SubsidyProgram, program_id) is None:
                raise NotFound(f"subsidy_program {program_id}")
            errors = value.errors()
            if not errors:
                overlapping = self._overlapping(session, program_id, value, None)
                first = overlapping[0] if overlapping else None
                closable = (
                    len(overlapping) == 1
                    and first is not None
                    and first.valid_to is None
                    and first.valid_from < value.valid_from
                )
                if close_open_period and closable and first is not None:
                    before = _snapshot(first, ("valid_to",))
                    first.valid_to = value.valid_from - timedelta(days=1)
                    first.updated_by_id = self._actor_id
                    self._save(session, TERMS_KIND, first, before, ("valid_to",))
                elif overlapping:
                    errors.append(FieldError("valid_from", "subsidy_terms.overlap"))
            if errors:
                raise ValidationError(errors)
            terms = SubsidyProgramTerms(
                program_id=program_id, created_by_id=self._actor_id, updated_by_id=self._actor_id
            )
            for name in TERMS_FIELDS:
                setattr(terms, name, getattr(value, name))
            session.add(terms)
            self._flush(session)
            snapshot = {"program_id": program_id, **_snapshot(terms, TERMS_FIELDS)}
            audit.record(
                session, self._actor_id, "create", TERMS_KIND, terms.id, audit.diff({}, snapshot)
            )
            return terms.id

    def update_terms(self, terms_id: int, version: int, value: TermsInput) -> int:
        """Save the user's edit of ``version``; returns the new version."""
        self._principal.require(Kind.MASTER, Action.EDIT)
        with self._db.write() as session:
            terms = _load(session, SubsidyProgramTerms, terms_id, version)
            errors = value.errors()
            if not errors and self._overlapping(session, terms.program_id, value, terms_id):
                errors.append(FieldError("valid_from", "subsidy_terms.overlap"))
            if errors:
                raise ValidationError(errors)
            before = _snapshot(terms, TERMS_FIELDS)
            with session.no_autoflush:
                for name in TERMS_FIELDS:
                    setattr(terms, name, getattr(value, name))
            return self._save(session, TERMS_KIND, terms, before, TERMS_FIELDS)

    # --- applications ---------------------------------------------------------------------

    def preview(
        self,
        value: ApplicationInput,
        *,
        application_id: int | None = None,
        today: date | None = None,
    ) -> Findings:
        """What saving ``value`` would meet, and the computed amount (for the form, while the
        user types). Give ``application_id`` when editing, so the application does not count
        against its own per-年度 limit."""
        self._principal.require(Kind.SUBSIDY, Action.READ)
        value = value.normalized()
        with self._db.read() as session:
            return self._check_input(session, value, today or japan_today(), application_id)

    def add(
        self, value: ApplicationInput, *, today: date | None = None
    ) -> tuple[int, list[FieldError]]:
        """File an application at 申請; returns its id and the warnings it was saved with."""
        self._principal.require(Kind.SUBSIDY, Action.CREATE)
        value = value.normalized()
        with self._db.write() as session:
            findings = self._check_input(session, value, today or japan_today(), None)
            if findings.errors:
                raise ValidationError(findings.errors)
            program = session.get(SubsidyProgram, value.program_id)
            assert program is not None  # checked above
            application = SubsidyApplication(
                program_id=program.id,
                business_id=value.business_id,
                association_id=value.association_id,
                event_id=value.event_id,
                initiative_id=program.initiative_id or _fallback_initiative(session, program),
                staff_id=value.staff_id or self._actor_id,
                fiscal_year=fiscal_year(value.applied_on),
                status=SubsidyState.APPLIED.value,
                title=value.title,
                applied_on=value.applied_on,
                activity_ends_on=self._activity_end(session, value),
                eligible_cost=value.eligible_cost,
                requested_amount=value.requested_amount,
                computed_amount=findings.computed_amount,
                notes=value.notes,
                created_by_id=self._actor_id,
                updated_by_id=self._actor_id,
            )
            session.add(application)
            records.flush(session)
            session.add(
                SubsidyEvent(
                    application_id=application.id,
                    from_status=None,
                    to_status=SubsidyState.APPLIED.value,
                    occurred_on=value.applied_on,
                    staff_id=self._actor_id,
                )
            )
            changes: dict[str, Any] = audit.diff({}, _snapshot(application, _SNAPSHOT))
            if findings.warnings:
                changes["warnings"] = _codes(findings.warnings)
            audit.record(session, self._actor_id, "create", RECORD_KIND, application.id, changes)
            return application.id, findings.warnings

    def update(
        self,
        application_id: int,
        version: int,
        value: ApplicationInput,
        *,
        today: date | None = None,
    ) -> tuple[int, list[FieldError]]:
        """Correct an application; returns the new version and the warnings.

        The program and the applicant never change (file a new application instead). Dates
        and amounts change here only while the application is 申請 or 差戻し; afterwards the
        steps change them, and this edits the title, the officer and the notes.
        """
        self._principal.require(Kind.SUBSIDY, Action.EDIT)
        value = value.normalized()
        today = today or japan_today()
        with self._db.write() as session:
            application = _load(session, SubsidyApplication, application_id, version)
            state = SubsidyState(application.status)
            errors: list[FieldError] = []
            for name in ("program_id", "business_id", "association_id"):
                if getattr(value, name) != getattr(application, name):
                    errors.append(FieldError(name, "subsidy.applicant_fixed"))
            warnings: list[FieldError] = []
            computed = application.computed_amount
            if state in EDITABLE:
                findings = self._check_input(session, value, today, application_id)
                errors += findings.errors
                warnings, computed = findings.warnings, findings.computed_amount
                ends_on = self._activity_end(session, value)
            else:
                ends_on = value.activity_ends_on
                for name in OPEN_FIELDS:
                    if getattr(value, name) != getattr(application, name):
                        errors.append(FieldError(name, "subsidy.fixed_after_grant"))
                errors += self._free_field_errors(session, value)
            if errors:
                raise ValidationError(errors)
            before = _snapshot(application, _SNAPSHOT)
            with session.no_autoflush:
                if state in EDITABLE:
                    application.applied_on = value.applied_on
                    application.fiscal_year = fiscal_year(value.applied_on)
                    application.event_id = value.event_id
                    application.activity_ends_on = ends_on
                    application.eligible_cost = value.eligible_cost
                    application.requested_amount = value.requested_amount
                    application.computed_amount = computed
                application.title = value.title
                application.staff_id = value.staff_id or application.staff_id
                application.notes = value.notes
                application.updated_by_id = self._actor_id
                application.updated_at = utcnow()  # a save always moves the version on
            records.flush(session)
            changes: dict[str, Any] = audit.diff(before, _snapshot(application, _SNAPSHOT))
            if warnings:
                changes["warnings"] = _codes(warnings)
            audit.record(session, self._actor_id, "update", RECORD_KIND, application.id, changes)
            return application.version, warnings

    def get(self, application_id: int) -> ApplicationView:
        self._principal.require(Kind.SUBSIDY, Action.READ)
        with self._db.read() as session:
            application = session.get(SubsidyApplication, application_id)
            if application is None:
                raise NotFound(f"subsidy application {application_id}")
            return _view(session, application)

    def preview_step(
        self, application_id: int, value: StepInput, *, today: date | None = None
    ) -> Findings:
        """The errors and warnings a step would meet, and the ceiling its amount is checked
        against (``computed_amount``), for checks while the officer types."""
        self._principal.require(Kind.SUBSIDY, Action.READ)
        with self._db.read() as session:
            application = session.get(SubsidyApplication, application_id)
            if application is None:
                raise NotFound(f"subsidy application {application_id}")
            return check_step(_step_facts(session, application), value, today or japan_today())

    def advance(
        self,
        application_id: int,
        version: int,
        value: StepInput,
        *,
        today: date | None = None,
    ) -> tuple[int, list[FieldError]]:
        """Apply one step; returns the new version and the warnings it was taken with.

        Grant sets the 実績報告 due day (activity end + the program's days). Report stores the
        actual cost in ``eligible_cost`` and recomputes ``computed_amount`` from it (the
        applied-for values stay in the audit trail).
        """
        self._principal.require(Kind.SUBSIDY, Action.TRANSITION)
        with self._db.write() as session:
            application = _load(session, SubsidyApplication, application_id, version)
            facts = _step_facts(session, application)
            findings = check_step(facts, value, today or japan_today())
            if findings.errors:
                raise ValidationError(findings.errors)
            changes = _changes(facts, value)
            before = _snapshot(application, _SNAPSHOT)
            with session.no_autoflush:
                for name, new in changes.items():
                    setattr(application, name, new)
                application.updated_by_id = self._actor_id
            records.flush(session)
            session.add(
                SubsidyEvent(
                    application_id=application.id,
                    from_status=before["status"],
                    to_status=STEPS[value.step].target.value,
                    occurred_on=value.occurred_on,
                    staff_id=self._actor_id,
                    reason=normalize_lines(value.reason),
                )
            )
            diff: dict[str, Any] = audit.diff(before, _snapshot(application, _SNAPSHOT))
            diff["step"] = value.step.value
            if findings.warnings:
                diff["warnings"] = _codes(findings.warnings)
            audit.record(session, self._actor_id, "transition", RECORD_KIND, application.id, diff)
            return application.version, findings.warnings

    def history(self, application_id: int) -> list[SubsidyEventRow]:
        """Every step of an application, oldest first (the append-only log)."""
        self._principal.require(Kind.SUBSIDY, Action.READ)
        e = SubsidyEvent
        stmt = (
            select(e, Staff.name)
            .outerjoin(Staff, Staff.id == e.staff_id)
            .where(e.application_id == application_id)
            .order_by(e.id)
        )
        with self._db.read() as session:
            return [
                SubsidyEventRow(
                    id=event.id,
                    from_state=SubsidyState(event.from_status) if event.from_status else None,
                    to_state=SubsidyState(event.to_status),
                    occurred_on=event.occurred_on,
                    staff_name=name or "",
                    reason=event.reason,
                )
                for event, name in session.execute(stmt)
            ]

    # --- lists and figures ----------------------------------------------------------------

    def page(
        self,
        query: ApplicationQuery,
        after: ApplicationRow | None = None,
        limit: int = 200,
        *,
        today: date | None = None,
    ) -> list[ApplicationRow]:
        """Applications newest first (application day, then id), ``limit`` after ``after``."""
        self._principal.require(Kind.SUBSIDY, Action.READ)
        if errors := query.errors():
            raise ValidationError(errors)
        today = today or japan_today()
        a = SubsidyApplication
        keys: list[SortKey] = [a.applied_on, a.id]
        stmt = _row_statement().where(*_conditions(query, today))
        if after is not None:
            stmt = stmt.where(after_condition(keys, (after.applied_on, after.id), True))
        with self._db.read() as session:
            rows = session.execute(stmt.order_by(a.applied_on.desc(), a.id.desc()).limit(limit))
            return [_row(row, today) for row in rows]

    def count(
        self, query: ApplicationQuery, cap: int | None = None, *, today: date | None = None
    ) -> int:
        self._principal.require(Kind.SUBSIDY, Action.READ)
        if errors := query.errors():
            raise ValidationError(errors)
        where = _conditions(query, today or japan_today())
        stmt = count_statement(select(SubsidyApplication.id).where(*where), cap)
        with self._db.read() as session:
            return int(session.execute(stmt).scalar_one())

    def granted_total(self, query: ApplicationQuery, *, today: date | None = None) -> int:
        """The 交付決定額 of the applications that match, added up (those without one add
        nothing): with a grant period, a report's 交付決定額."""
        self._principal.require(Kind.SUBSIDY, Action.READ)
        if errors := query.errors():
            raise ValidationError(errors)
        a = SubsidyApplication
        where = _conditions(query, today or japan_today())
        stmt = select(func.coalesce(func.sum(a.granted_amount), 0)).where(*where)
        with self._db.read() as session:
            return int(session.execute(stmt).scalar_one() or 0)

    def for_business(self, business_id: int) -> list[ApplicationRow]:
        """A business's applications, newest first (the business record lists them)."""
        return self.page(ApplicationQuery(business_id=business_id), limit=MAX_ROWS)

    def for_association(self, association_id: int) -> list[ApplicationRow]:
        """A street association's applications, newest first."""
        return self.page(ApplicationQuery(association_id=association_id), limit=MAX_ROWS)

    def reports_due(
        self, today: date | None = None, *, within_days: int = REPORT_DUE_SOON_DAYS
    ) -> list[ApplicationRow]:
        """Granted applications whose 実績報告 is overdue or due within ``within_days``, the
        earliest due first: the follow-up panel's subsidy lines."""
        self._principal.require(Kind.SUBSIDY, Action.READ)
        today = today or japan_today()
        a = SubsidyApplication
        stmt = (
            _row_statement()
            .where(
                a.status.in_(sorted(AWAITING_REPORT)),
                a.report_due_on.is_not(None),
                a.report_due_on <= today + timedelta(days=within_days),
            )
            .order_by(a.report_due_on, a.id)
            .limit(MAX_ROWS)
        )
        with self._db.read() as session:
            return [_row(row, today) for row in session.execute(stmt)]

    def spending_by_fiscal_year(self, fiscal_year: int | None = None) -> list[SpendingLine]:
        """Granted, confirmed and paid sums per program per 年度 (the application's 年度), over
        applications granted or later; withdrawn ones drop out. Oldest 年度 first."""
        self._principal.require(Kind.SUBSIDY, Action.READ)
        a = SubsidyApplication
        stmt = (
            select(
                a.fiscal_year,
                a.program_id,
                SubsidyProgram.name,
                func.count(),
                func.coalesce(func.sum(a.granted_amount), 0),
                func.coalesce(func.sum(a.confirmed_amount), 0),
                func.coalesce(func.sum(a.paid_amount), 0),
            )
            .join(SubsidyProgram, SubsidyProgram.id == a.program_id)
            .where(a.status.in_(sorted(GRANTED_OR_LATER)))
            .group_by(a.fiscal_year, a.program_id, SubsidyProgram.name)
            .order_by(a.fiscal_year, a.program_id)
        )
        if fiscal_year is not None:
            stmt = stmt.where(a.fiscal_year == fiscal_year)
        with self._db.read() as session:
            return [
                SpendingLine(fy, pid, name, n, granted or 0, confirmed or 0, paid or 0)
                for fy, pid, name, n, granted, confirmed, paid in session.execute(stmt)
            ]

    # --- helpers --------------------------------------------------------------------------

    def _check_input(
        self, session: Session, value: ApplicationInput, today: date, exclude_id: int | None
    ) -> Findings:
        program = session.get(SubsidyProgram, value.program_id)
        usable = program is not None and (program.active or exclude_id is not None)
        target = SubsidyTarget(program.target) if program is not None and usable else None
        terms = _terms_in_force(session, value.program_id, value.applied_on) if target else None
        event = session.get(StreetEvent, value.event_id) if value.event_id is not None else None
        facts = ApplicationFacts(
            program_target=target,
            rule=_terms_info(terms).rule() if terms else None,
            others_applied_on=self._others(session, value, exclude_id),
            event_starts_on=event.starts_on if event else None,
            event_ends_on=event.ends_on if event else None,
            event_association_id=event.association_id if event else None,
        )
        findings = check_application(value, facts, today)
        errors = findings.errors + self._applicant_errors(session, value)
        errors += self._free_field_errors(session, value)
        return Findings(_unique(errors), findings.warnings, findings.computed_amount)

    @staticmethod
    def _others(
        session: Session, value: ApplicationInput, exclude_id: int | None
    ) -> tuple[date, ...]:
        """applied_on of the applicant's other counted applications to the same program."""
        a = SubsidyApplication
        if value.target is None:
            return ()
        applicant = (
            a.business_id == value.business_id
            if value.target is SubsidyTarget.BUSINESS
            else a.association_id == value.association_id
        )
        stmt = select(a.applied_on).where(
            a.program_id == value.program_id, applicant, a.status.in_(sorted(COUNTED))
        )
        if exclude_id is not None:
            stmt = stmt.where(a.id != exclude_id)
        return tuple(session.scalars(stmt))

    @staticmethod
    def _applicant_errors(session: Session, value: ApplicationInput) -> list[FieldError]:
        found: list[FieldError] = []
        if value.business_id is not None:
            business = session.get(Business, value.business_id)
            if business is None or business.deleted_at is not None:
                found.append(FieldError("business_id", "invalid_choice"))
            elif business.archived:
                found.append(FieldError("business_id", "business.archived"))
        if value.association_id is not None:
            association = session.get(StreetAssociation, value.association_id)
            if association is None:
                found.append(FieldError("association_id", "invalid_choice"))
            elif association.archived:
                found.append(FieldError("association_id", "subsidy.association_archived"))
        return found

    @staticmethod
    def _free_field_errors(session: Session, value: ApplicationInput) -> list[FieldError]:
        found: list[FieldError] = []
        if len(value.title) > MAX_TITLE:
            found.append(FieldError("title", "too_long"))
        if len(value.notes) > MAX_NOTES:
            found.append(FieldError("notes", "too_long"))
        if value.staff_id is not None:
            staff = session.get(Staff, value.staff_id)
            if staff is None or not staff.active:
                found.append(FieldError("staff_id", "staff.inactive"))
        return found

    @staticmethod
    def _activity_end(session: Session, value: ApplicationInput) -> date | None:
        """The typed end of the activity, else the funded event's last day."""
        if value.activity_ends_on is not None or value.event_id is None:
            return value.activity_ends_on
        event = session.get(StreetEvent, value.event_id)
        return event.ends_on if event else None

    def _validate_program(
        self,
        session: Session,
        value: ProgramInput,
        exclude_id: int | None,
        extra: list[FieldError] | None = None,
    ) -> None:
        errors = value.errors() + (extra or [])
        if value.initiative_id is not None and session.get(Initiative, value.initiative_id) is None:
            errors.append(FieldError("initiative_id", "invalid_choice"))
        if not any(e.field == "name" for e in errors):
            key = search_key(value.name)
            # A handful of programs: compare keys in Python, with the rule search uses.
            rows = session.execute(select(SubsidyProgram.id, SubsidyProgram.name))
            if any(i != exclude_id and search_key(n) == key for i, n in rows):
                errors.append(FieldError("name", "duplicate_name"))
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _apply_program(program: SubsidyProgram, value: ProgramInput) -> None:
        program.name = value.name
        program.target = value.target.value
        program.initiative_id = value.initiative_id
        program.active = value.active
        program.notes = value.notes

    @staticmethod
    def _overlapping(
        session: Session, program_id: int, value: TermsInput, exclude_id: int | None
    ) -> list[SubsidyProgramTerms]:
        t = SubsidyProgramTerms
        stmt = select(t).where(
            t.program_id == program_id, or_(t.valid_to.is_(None), t.valid_to >= value.valid_from)
        )
        if value.valid_to is not None:
            stmt = stmt.where(t.valid_from <= value.valid_to)
        if exclude_id is not None:
            stmt = stmt.where(t.id != exclude_id)
        return list(session.scalars(stmt.order_by(t.valid_from)))

    def _save(
        self,
        session: Session,
        kind: str,
        record: SubsidyProgram | SubsidyProgramTerms,
        before: dict[str, Any],
        names: tuple[str, ...],
    ) -> int:
        record.updated_by_id = self._actor_id
        record.updated_at = utcnow()  # a save always moves the version on
        self._flush(session)
        changes = audit.diff(before, _snapshot(record, names))
        audit.record(session, self._actor_id, "update", kind, record.id, changes)
        return record.version

    @staticmethod
    def _flush(session: Session) -> None:
        try:
            records.flush(session)
        except IntegrityError as exc:  # a racing save of the same name
            if "unique" in str(exc.orig).lower():
                raise ValidationError([FieldError("name", "duplicate_name")]) from exc
            raise


def _unique(errors: list[FieldError]) -> list[FieldError]:
    return list(dict.fromkeys(errors))


def _fallback_initiative(session: Session, program: SubsidyProgram) -> int:
    target = SubsidyTarget(program.target)
    codes = [initiative_code_for(program.name, target), FALLBACK_INITIATIVE[target]]
    for code in codes:
        found = session.scalar(select(Initiative.id).where(Initiative.code == code))
        if found is not None:
            return found
    raise NotFound(f"initiative {codes}")


def _step_facts(session: Session, application: SubsidyApplication) -> StepFacts:
    terms = _terms_in_force(session, application.program_id, application.applied_on)
    last = session.scalar(
        select(func.max(SubsidyEvent.occurred_on)).where(
            SubsidyEvent.application_id == application.id
        )
    )
    event = session.get(StreetEvent, application.event_id) if application.event_id else None
    return StepFacts(
        state=SubsidyState(application.status),
        applied_on=application.applied_on,
        last_step_on=last or application.applied_on,
        rule=_terms_info(terms).rule() if terms else None,
        eligible_cost=application.eligible_cost,
        computed_amount=application.computed_amount,
        granted_amount=application.granted_amount,
        confirmed_amount=application.confirmed_amount,
        activity_ends_on=application.activity_ends_on,
        event_starts_on=event.starts_on if event else None,
        report_due_on=application.report_due_on,
    )


def _changes(facts: StepFacts, value: StepInput) -> dict[str, Any]:
    """The columns one step sets (check_step has passed)."""
    step = STEPS[value.step]
    on = value.occurred_on
    rule = facts.rule
    # ``reason`` holds the latest step's reason (差戻し, 取下げ …); the events keep them all.
    changes: dict[str, Any] = {"status": step.target.value, "reason": normalize_lines(value.reason)}

    def recompute(cost: int) -> None:
        changes["eligible_cost"] = cost
        if rule is not None:
            changes["computed_amount"] = eligible_amount(rule, cost)

    name = step.name
    if name is StepName.RESUBMIT:
        if value.eligible_cost is not None:
            recompute(value.eligible_cost)
        if value.requested_amount is not None:
            changes["requested_amount"] = value.requested_amount
    elif name is StepName.GRANT:
        changes["decided_on"] = on
        changes["granted_amount"] = value.granted_amount
        if rule is not None:
            changes["report_due_on"] = report_due(rule, facts.activity_ends_on)
    elif name is StepName.APPROVE_CHANGE:
        changes["granted_amount"] = value.granted_amount
        if value.eligible_cost is not None:
            recompute(value.eligible_cost)
        if value.activity_ends_on is not None:
            changes["activity_ends_on"] = value.activity_ends_on
            if rule is not None:
                changes["report_due_on"] = report_due(rule, value.activity_ends_on)
    elif name is StepName.REPORT:
        changes["reported_on"] = on
        assert value.actual_cost is not None
        recompute(value.actual_cost)
    elif name is StepName.CONFIRM:
        changes["confirmed_amount"] = value.confirmed_amount
        changes["confirmed_on"] = on
    elif name is StepName.PAY:
        changes["paid_amount"] = value.paid_amount
        changes["paid_on"] = on
    if step.target in TERMINAL:
        changes["closed_on"] = on
    return changes


def _view(session: Session, application: SubsidyApplication) -> ApplicationView:
    program = session.get(SubsidyProgram, application.program_id)
    assert program is not None
    applicant: Business | StreetAssociation | None
    if application.business_id is not None:
        applicant = session.get(Business, application.business_id)
    else:
        applicant = session.get(StreetAssociation, application.association_id)
    event = session.get(StreetEvent, application.event_id) if application.event_id else None
    staff = session.get(Staff, application.staff_id) if application.staff_id else None
    state = SubsidyState(application.status)
    return ApplicationView(
        id=application.id,
        version=application.version,
        program_id=program.id,
        program_name=program.name,
        target=SubsidyTarget(program.target),
        business_id=application.business_id,
        association_id=application.association_id,
        applicant_name=applicant.name if applicant else "",
        event_id=application.event_id,
        event_name=event.name if event else "",
        event_starts_on=event.starts_on if event else None,
        initiative_id=application.initiative_id,
        staff_id=application.staff_id,
        staff_name=staff.name if staff else "",
        fiscal_year=application.fiscal_year,
        state=state,
        title=application.title,
        applied_on=application.applied_on,
        activity_ends_on=application.activity_ends_on,
        eligible_cost=application.eligible_cost,
        requested_amount=application.requested_amount,
        computed_amount=application.computed_amount,
        granted_amount=application.granted_amount,
        decided_on=application.decided_on,
        report_due_on=application.report_due_on,
        reported_on=application.reported_on,
        confirmed_amount=application.confirmed_amount,
        confirmed_on=application.confirmed_on,
        paid_amount=application.paid_amount,
        paid_on=application.paid_on,
        closed_on=application.closed_on,
        reason=application.reason,
        notes=application.notes,
        steps=tuple(steps_from(state)),
    )

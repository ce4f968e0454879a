"""Loan master data: 資金種別 with their dated terms, and 指定金融機関 with their branches."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from consult_desk.db.base import utcnow
from consult_desk.db.engine import Database
from consult_desk.db.models import Bank, BankBranch, Initiative, LoanProgram, LoanProgramTerms
from consult_desk.domain.errors import Conflict, FieldError, NotFound, ValidationError
from consult_desk.domain.loan_programs import (
    BankInfo,
    BankInput,
    BranchInfo,
    BranchInput,
    ProgramInfo,
    ProgramInput,
    TermsInfo,
    TermsInput,
)
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.text import search_key
from consult_desk.services import audit, records

PROGRAM_KIND = "loan_program"
TERMS_KIND = "loan_terms"
BANK_KIND = "bank"
BRANCH_KIND = "bank_branch"
PROGRAM_FIELDS = tuple(f.name for f in fields(ProgramInput))
TERMS_FIELDS = tuple(f.name for f in fields(TermsInput))
NAME_FIELDS = ("name", "active")

Tracked = LoanProgram | LoanProgramTerms | Bank | BankBranch
T = TypeVar("T", LoanProgram, LoanProgramTerms, Bank, BankBranch)


def _program_info(program: LoanProgram) -> ProgramInfo:
    return ProgramInfo(
        id=program.id,
        name=program.name,
        is_startup=program.is_startup,
        active=program.active,
        notes=program.notes,
        initiative_id=program.initiative_id,
        version=program.version,
    )


def _terms_info(terms: LoanProgramTerms) -> TermsInfo:
    return TermsInfo(
        id=terms.id,
        program_id=terms.program_id,
        version=terms.version,
        **{name: getattr(terms, name) for name in TERMS_FIELDS},
    )


def _branch_info(branch: BankBranch) -> BranchInfo:
    return BranchInfo(branch.id, branch.bank_id, branch.name, branch.active, branch.version)


def _snapshot(record: Tracked, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in names}


class LoanMasterService:
    """Reads and edits of the loan master data.

    - Reading needs master-data reading (every role); adding needs master-data creation and
      changing needs master-data editing (administrators).
    - ``update_*`` take the version the user started from; a newer version in the database
      raises ``Conflict`` and changes nothing. Deactivating is an update with ``active=False``
      (records stay, because cases refer to them).
    - Names are unique per table (per bank for branches) ignoring width, kana and case; the
      periods of one fund never overlap. Every change writes an audit entry.
    - Cases copy the terms when they are referred, so editing terms never changes one.
    """

    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal
        self._actor_id = principal.staff_id

    # --- programs -------------------------------------------------------------------------

    def programs(self, include_inactive: bool = False) -> list[ProgramInfo]:
        self._principal.require(Kind.MASTER, Action.READ)
        stmt = select(LoanProgram).order_by(LoanProgram.id)
        if not include_inactive:
            stmt = stmt.where(LoanProgram.active)
        with self._db.read() as session:
            return [_program_info(p) for p in session.scalars(stmt)]

    def add_program(self, value: ProgramInput) -> int:
        self._principal.require(Kind.MASTER, Action.CREATE)
        value = value.normalized()
        with self._db.write() as session:
            self._validate_program(session, value, exclude_id=None)
            program = LoanProgram(created_by_id=self._actor_id, updated_by_id=self._actor_id)
            self._apply(program, value, PROGRAM_FIELDS)
            session.add(program)
            self._flush(session)
            self._audit_create(session, PROGRAM_KIND, program, PROGRAM_FIELDS)
            return program.id

    def update_program(self, program_id: int, version: int, value: ProgramInput) -> int:
        """Save the user's edit of ``version``; returns the new version."""
        self._principal.require(Kind.MASTER, Action.EDIT)
        value = value.normalized()
        with self._db.write() as session:
            program = self._load(session, LoanProgram, program_id, version)
            self._validate_program(session, value, exclude_id=program_id)
            return self._update(session, PROGRAM_KIND, program, value, PROGRAM_FIELDS)

    # --- terms ----------------------------------------------------------------------------

    def terms(self, program_id: int) -> list[TermsInfo]:
        """Every period of a fund, the newest first."""
        self._principal.require(Kind.MASTER, Action.READ)
        stmt = (
            select(LoanProgramTerms)
            .where(LoanProgramTerms.program_id == program_id)
            .order_by(LoanProgramTerms.valid_from.desc(), LoanProgramTerms.id.desc())
        )
        with self._db.read() as session:
            return [_terms_info(t) for t in session.scalars(stmt)]

    def terms_in_force(self, program_id: int, on: date) -> TermsInfo | None:
        """The terms that apply on a day (what a case copies at referral), None if none do."""
        self._principal.require(Kind.MASTER, Action.READ)
        t = LoanProgramTerms
        stmt = (
            select(t)
            .where(t.program_id == program_id, t.valid_from <= on)
            .where(or_(t.valid_to.is_(None), t.valid_to >= on))
            .order_by(t.valid_from.desc(), t.id.desc())
            .limit(1)
        )
        with self._db.read() as session:
            terms = session.scalars(stmt).first()
            return _terms_info(terms) if terms else None

    def add_terms(
        self, program_id: int, value: TermsInput, *, close_open_period: bool = False
    ) -> int:
        """Add a period of terms.

        With ``close_open_period``, an open-ended period that began earlier (last year's terms)
        is ended the day before the new one begins, in the same transaction; any other overlap
        is refused as usual.
        """
        self._principal.require(Kind.MASTER, Action.CREATE)
        value = value.normalized()
        with self._db.write() as session:
            if session.get(LoanProgram, program_id) is None:
                raise NotFound(f"loan_program {program_id}")
            errors = value.errors()
            if not errors:
                overlapping = self._overlapping(session, program_id, value, exclude_id=None)
                if close_open_period and self._closable(overlapping, value):
                    self._close(session, overlapping[0], value.valid_from - timedelta(days=1))
                elif overlapping:
                    errors.append(FieldError("valid_from", "loan_terms.overlap"))
            if errors:
                raise ValidationError(errors)
            terms = LoanProgramTerms(
                program_id=program_id,
                created_by_id=self._actor_id,
                updated_by_id=self._actor_id,
            )
            self._apply(terms, value, TERMS_FIELDS)
            session.add(terms)
            self._flush(session)
            changes = audit.diff({}, {"program_id": program_id, **_snapshot(terms, TERMS_FIELDS)})
            audit.record(session, self._actor_id, "create", TERMS_KIND, terms.id, changes)
            return terms.id

    def update_terms(self, terms_id: int, version: int, value: TermsInput) -> int:
        """Save the user's edit of ``version``; returns the new version."""
        self._principal.require(Kind.MASTER, Action.EDIT)
        value = value.normalized()
        with self._db.write() as session:
            terms = self._load(session, LoanProgramTerms, terms_id, version)
            errors = value.errors()
            if not errors and self._overlapping(
                session, terms.program_id, value, exclude_id=terms_id
            ):
                errors.append(FieldError("valid_from", "loan_terms.overlap"))
            if errors:
                raise ValidationError(errors)
            return self._update(session, TERMS_KIND, terms, value, TERMS_FIELDS)

    # --- banks and branches ---------------------------------------------------------------

    def banks(self, include_inactive: bool = False) -> list[BankInfo]:
        """Designated banks with their branches (inactive ones only when asked for)."""
        self._principal.require(Kind.MASTER, Action.READ)
        bank_stmt = select(Bank).order_by(Bank.id)
        branch_stmt = select(BankBranch).order_by(BankBranch.bank_id, BankBranch.id)
        if not include_inactive:
            bank_stmt = bank_stmt.where(Bank.active)
            branch_stmt = branch_stmt.where(BankBranch.active)
        with self._db.read() as session:
            branches: dict[int, list[BranchInfo]] = {}
            for branch in session.scalars(branch_stmt):
                branches.setdefault(branch.bank_id, []).append(_branch_info(branch))
            return [
                BankInfo(b.id, b.name, b.active, b.version, tuple(branches.get(b.id, ())))
                for b in session.scalars(bank_stmt)
            ]

    def add_bank(self, value: BankInput) -> int:
        self._principal.require(Kind.MASTER, Action.CREATE)
        value = value.normalized()
        with self._db.write() as session:
            self._validate_name(session, value.errors(), Bank.name, value.name, Bank.id, None)
            bank = Bank(created_by_id=self._actor_id, updated_by_id=self._actor_id)
            self._apply(bank, value, NAME_FIELDS)
            session.add(bank)
            self._flush(session)
            self._audit_create(session, BANK_KIND, bank, NAME_FIELDS)
            return bank.id

    def update_bank(self, bank_id: int, version: int, value: BankInput) -> int:
        self._principal.require(Kind.MASTER, Action.EDIT)
        value = value.normalized()
        with self._db.write() as session:
            bank = self._load(session, Bank, bank_id, version)
            self._validate_name(session, value.errors(), Bank.name, value.name, Bank.id, bank_id)
            return self._update(session, BANK_KIND, bank, value, NAME_FIELDS)

    def add_branch(self, bank_id: int, value: BranchInput) -> int:
        self._principal.require(Kind.MASTER, Action.CREATE)
        value = value.normalized()
        with self._db.write() as session:
            if session.get(Bank, bank_id) is None:
                raise NotFound(f"bank {bank_id}")
            self._validate_name(
                session,
                value.errors(),
                BankBranch.name,
                value.name,
                BankBranch.id,
                None,
                BankBranch.bank_id == bank_id,
            )
            branch = BankBranch(
                bank_id=bank_id, created_by_id=self._actor_id, updated_by_id=self._actor_id
            )
            self._apply(branch, value, NAME_FIELDS)
            session.add(branch)
            self._flush(session)
            self._audit_create(session, BRANCH_KIND, branch, ("bank_id", *NAME_FIELDS))
            return branch.id

    def update_branch(self, branch_id: int, version: int, value: BranchInput) -> int:
        self._principal.require(Kind.MASTER, Action.EDIT)
        value = value.normalized()
        with self._db.write() as session:
            branch = self._load(session, BankBranch, branch_id, version)
            self._validate_name(
                session,
                value.errors(),
                BankBranch.name,
                value.name,
                BankBranch.id,
                branch_id,
                BankBranch.bank_id == branch.bank_id,
            )
            return self._update(session, BRANCH_KIND, branch, value, NAME_FIELDS)

    # --- helpers --------------------------------------------------------------------------

    @staticmethod
    def _load(session: Session, model: type[T], record_id: int, version: int) -> T:
        record = session.get(model, record_id)
        if record is None:
            raise NotFound(f"{model.__tablename__} {record_id}")
        if record.version != version:
            raise Conflict(f"{model.__tablename__} {record_id}: {version} < {record.version}")
        return record

    @staticmethod
    def _apply(record: Tracked, value: object, names: tuple[str, ...]) -> None:
        for name in names:
            setattr(record, name, getattr(value, name))

    def _update(
        self,
        session: Session,
        kind: str,
        record: Tracked,
        value: object,
        names: tuple[str, ...],
    ) -> int:
        before = _snapshot(record, names)
        with session.no_autoflush:  # one UPDATE, so the version moves on by one
            self._apply(record, value, names)
        record.updated_by_id = self._actor_id
        record.updated_at = utcnow()  # a save always moves the version on
        self._flush(session)
        changes = audit.diff(before, _snapshot(record, names))
        audit.record(session, self._actor_id, "update", kind, record.id, changes)
        return record.version

    def _audit_create(
        self, session: Session, kind: str, record: Tracked, names: tuple[str, ...]
    ) -> None:
        changes = audit.diff({}, _snapshot(record, names))
        audit.record(session, self._actor_id, "create", kind, record.id, changes)

    @staticmethod
    def _flush(session: Session) -> None:
        try:
            records.flush(session)
        except IntegrityError as exc:  # the schema's last line of defence (a racing save)
            if "unique" in str(exc.orig).lower():
                raise ValidationError([FieldError("name", "duplicate_name")]) from exc
            raise

    def _validate_program(
        self, session: Session, value: ProgramInput, exclude_id: int | None
    ) -> None:
        errors = value.errors()
        if value.initiative_id is not None and session.get(Initiative, value.initiative_id) is None:
            errors.append(FieldError("initiative_id", "invalid_choice"))
        self._validate_name(
            session, errors, LoanProgram.name, value.name, LoanProgram.id, exclude_id
        )

    @staticmethod
    def _validate_name(
        session: Session,
        errors: list[FieldError],
        name_column: InstrumentedAttribute[str],
        name: str,
        id_column: InstrumentedAttribute[int],
        exclude_id: int | None,
        *scope: ColumnElement[bool],
    ) -> None:
        """Raise the errors found so far, plus ``duplicate_name`` when another record has
        the same name once width, kana and case are ignored (みずほ銀行 = ミズホ銀行)."""
        if not any(e.field == "name" for e in errors):
            key = search_key(name)
            # Master tables hold tens of rows: comparing keys in Python is cheap and keeps
            # the rule identical to the one used for search.
            stmt = select(id_column, name_column).where(*scope)
            if any(i != exclude_id and search_key(n) == key for i, n in session.execute(stmt)):
                errors.append(FieldError("name", "duplicate_name"))
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _overlapping(
        session: Session, program_id: int, value: TermsInput, exclude_id: int | None
    ) -> list[LoanProgramTerms]:
        t = LoanProgramTerms
        stmt = select(t).where(
            t.program_id == program_id, or_(t.valid_to.is_(None), t.valid_to >= value.valid_from)
        )
        if value.valid_to is not None:
            stmt = stmt.where(t.valid_from <= value.valid_to)
        if exclude_id is not None:
            stmt = stmt.where(t.id != exclude_id)
        return list(session.scalars(stmt.order_by(t.valid_from)))

    @staticmethod
    def _closable(overlapping: list[LoanProgramTerms], value: TermsInput) -> bool:
        return (
            len(overlapping) == 1
            and overlapping[0].valid_to is None
            and overlapping[0].valid_from < value.valid_from
        )

    def _close(self, session: Session, terms: LoanProgramTerms, last_day: date) -> None:
        before = terms.valid_to
        terms.valid_to = last_day
        terms.updated_by_id = self._actor_id
        self._flush(session)
        audit.record(
            session,
            self._actor_id,
            "update",
            TERMS_KIND,
            terms.id,
            audit.diff({"valid_to": before}, {"valid_to": last_day}),
        )

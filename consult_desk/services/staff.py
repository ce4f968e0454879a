"""Staff accounts: sign-in, passwords, and the administrator's account management."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from consult_desk.db.base import utcnow
from consult_desk.db.engine import Database
from consult_desk.db.models import Staff, StaffRole
from consult_desk.domain.errors import DomainError, FieldError, NotFound, ValidationError
from consult_desk.domain.permissions import SETUP, Action, Kind, Principal, Role
from consult_desk.domain.reference import StaffMember
from consult_desk.domain.text import normalize
from consult_desk.services import audit

log = logging.getLogger(__name__)

# argon2id with RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes): about
# 0.1–0.2 s to verify on an office PC, which is the point — guessing is slow.
PASSWORD_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)
MIN_PASSWORD_LENGTH = 10
# Three failures are free (typos); then each further one doubles the wait, up to 5 minutes.
FREE_FAILURES = 3
MAX_WAIT = timedelta(minutes=5)
RECORD_KIND = "staff"


class AuthenticationFailed(DomainError):
    """Wrong login or password (the message never says which)."""

    code = "auth.failed"


class SignInLocked(DomainError):
    code = "auth.locked"

    def __init__(self, until: datetime) -> None:
        super().__init__(until.isoformat())
        self.until = until


@dataclass(frozen=True, slots=True)
class NewStaff:
    login: str
    name: str
    roles: tuple[Role, ...]
    password: str
    name_kana: str = ""
    loan_amount_grant: bool = False


def password_errors(password: str, login: str = "") -> list[FieldError]:
    found = []
    if len(password) < MIN_PASSWORD_LENGTH:
        found.append(FieldError("password", "password.too_short"))
    elif login and login.casefold() in password.casefold():
        found.append(FieldError("password", "password.contains_login"))
    return found


def wait_after(failures: int) -> timedelta:
    """How long sign-in stays closed after ``failures`` failures in a row."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - FREE_FAILURES)), MAX_WAIT)


def _principal(staff: Staff) -> Principal:
    return Principal(
        staff_id=staff.id,
        login=staff.login,
        name=staff.name,
        roles=frozenset(Role(r.role) for r in staff.roles),
        loan_amount_grant=staff.loan_amount_grant,
    )


def _member(staff: Staff) -> StaffMember:
    return StaffMember(
        staff.id, staff.login, staff.name, tuple(Role(r.role) for r in staff.roles), staff.active
    )


class StaffService:
    """Accounts and sign-in.

    - ``sign_in`` returns the ``Principal`` every other service acts for; each attempt, good
      or bad, is audited (the password never is). After three failures in a row the account
      waits 1, 2, 4 … seconds (at most five minutes) before the next attempt is even checked.
    - ``add_first_admin`` works only while no account exists; everything else needs a
      principal with the right to administer staff (or to change their own password).
    """

    def __init__(self, db: Database, hasher: PasswordHasher = PASSWORD_HASHER) -> None:
        self._db = db
        self._hasher = hasher
        # Verified against when the login is unknown, so both cases take the same time.
        self._dummy_hash = hasher.hash("consult-desk timing guard")

    # --- sign-in --------------------------------------------------------------------------

    def has_accounts(self) -> bool:
        with self._db.read() as session:
            return bool(session.execute(select(func.count()).select_from(Staff)).scalar_one())

    def sign_in(self, login: str, password: str, *, now: datetime | None = None) -> Principal:
        now = now or utcnow()
        login = normalize(login)
        # A refusal is committed (audit entry, failure count) before it is raised.
        refusal: DomainError | None = None
        with self._db.write() as session:
            staff = session.execute(
                select(Staff).options(selectinload(Staff.roles)).where(Staff.login == login)
            ).scalar_one_or_none()
            if staff is not None and staff.locked_until is not None and staff.locked_until > now:
                audit.record(session, staff.id, "sign_in_refused", RECORD_KIND, staff.id)
                refusal = SignInLocked(staff.locked_until)
            elif staff is None:
                self._verify_dummy(password)
                audit.record(session, None, "sign_in_failed", RECORD_KIND, None, {"login": login})
                refusal = AuthenticationFailed()
            elif not staff.active or not self._verify(staff, password):
                staff.failed_sign_ins += 1
                wait = wait_after(staff.failed_sign_ins)
                staff.locked_until = now + wait if wait else None
                audit.record(
                    session,
                    staff.id,
                    "sign_in_failed",
                    RECORD_KIND,
                    staff.id,
                    {"failures": staff.failed_sign_ins},
                )
                refusal = AuthenticationFailed()
            else:
                staff.failed_sign_ins = 0
                staff.locked_until = None
                if self._hasher.check_needs_rehash(staff.password_hash or ""):
                    staff.password_hash = self._hasher.hash(password)
                audit.record(session, staff.id, "sign_in", RECORD_KIND, staff.id)
                principal = _principal(staff)
        if refusal is not None:
            log.info("sign-in refused: %s", refusal.code)
            raise refusal
        log.info("staff %s signed in", principal.staff_id)
        return principal

    def verify_password(self, principal: Principal, password: str) -> bool:
        """For the idle lock: the signed-in person proves it is still them."""
        try:
            again = self.sign_in(principal.login, password)
        except (AuthenticationFailed, SignInLocked):
            return False
        return again.staff_id == principal.staff_id

    def _verify(self, staff: Staff, password: str) -> bool:
        if not staff.password_hash:
            return False
        try:
            return self._hasher.verify(staff.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _verify_dummy(self, password: str) -> None:
        with contextlib.suppress(VerificationError):
            self._hasher.verify(self._dummy_hash, password)

    # --- accounts -------------------------------------------------------------------------

    def add_first_admin(self, new: NewStaff) -> Principal:
        """Create the first account (an administrator) of a new database."""
        if Role.ADMIN not in new.roles:
            raise ValidationError([FieldError("roles", "staff.first_must_be_admin")])
        with self._db.write() as session:
            if session.execute(select(func.count()).select_from(Staff)).scalar_one():
                raise ValidationError([FieldError("login", "staff.setup_done")])
            staff = self._create(session, SETUP, new)
            return _principal(staff)

    def add(self, principal: Principal, new: NewStaff) -> int:
        principal.require(Kind.STAFF, Action.ADMINISTER)
        with self._db.write() as session:
            return self._create(session, principal, new).id

    def list(self, principal: Principal, *, active_only: bool = False) -> list[StaffMember]:
        principal.require(Kind.STAFF, Action.READ)
        stmt = select(Staff).options(selectinload(Staff.roles)).order_by(Staff.name_kana, Staff.id)
        if active_only:
            stmt = stmt.where(Staff.active)
        with self._db.read() as session:
            return [_member(s) for s in session.scalars(stmt)]

    def set_roles(
        self, principal: Principal, staff_id: int, roles: tuple[Role, ...], *, grant: bool = False
    ) -> None:
        principal.require(Kind.STAFF, Action.ADMINISTER)
        if not roles:
            raise ValidationError([FieldError("roles", "required")])
        with self._db.write() as session:
            staff = self._load(session, staff_id)
            before = sorted(r.role for r in staff.roles), staff.loan_amount_grant
            if staff_id == principal.staff_id and Role.ADMIN not in roles:
                self._keep_an_admin(session, staff_id)
            staff.roles = [StaffRole(role=r.value) for r in dict.fromkeys(roles)]
            staff.loan_amount_grant = grant
            staff.updated_by_id = principal.staff_id
            audit.record(
                session,
                principal.staff_id,
                "update",
                RECORD_KIND,
                staff_id,
                {
                    "roles": [before[0], sorted(r.value for r in roles)],
                    "loan_amount_grant": [before[1], grant],
                },
            )

    def set_active(self, principal: Principal, staff_id: int, active: bool) -> None:
        principal.require(Kind.STAFF, Action.ADMINISTER)
        with self._db.write() as session:
            staff = self._load(session, staff_id)
            if not active:
                self._keep_an_admin(session, staff_id)
            if staff.active != active:
                staff.active = active
                staff.updated_by_id = principal.staff_id
                audit.record(
                    session,
                    principal.staff_id,
                    "update",
                    RECORD_KIND,
                    staff_id,
                    {"active": [not active, active]},
                )

    def change_password(self, principal: Principal, old: str, new: str) -> None:
        """Anyone may change their own password, knowing the current one."""
        if principal.staff_id is None:
            raise NotFound("no account")
        errors = password_errors(new, principal.login)
        if errors:
            raise ValidationError(errors)
        with self._db.write() as session:
            staff = self._load(session, principal.staff_id)
            correct = self._verify(staff, old)
            if correct:
                self._set_password(staff, new)
            action = "password_change" if correct else "password_change_failed"
            audit.record(session, staff.id, action, RECORD_KIND, staff.id)
        if not correct:
            raise AuthenticationFailed()

    def reset_password(self, principal: Principal, staff_id: int, new: str) -> None:
        """An administrator sets a new password for someone who forgot theirs."""
        principal.require(Kind.STAFF, Action.ADMINISTER)
        with self._db.write() as session:
            staff = self._load(session, staff_id)
            errors = password_errors(new, staff.login)
            if errors:
                raise ValidationError(errors)
            self._set_password(staff, new)
            staff.failed_sign_ins = 0
            staff.locked_until = None
            audit.record(session, principal.staff_id, "password_reset", RECORD_KIND, staff_id)

    # --- helpers --------------------------------------------------------------------------

    def _create(self, session: Session, principal: Principal, new: NewStaff) -> Staff:
        login, name = normalize(new.login), normalize(new.name)
        errors = []
        if not login:
            errors.append(FieldError("login", "required"))
        elif not login.isascii() or " " in login:
            errors.append(FieldError("login", "staff.login_format"))
        elif session.execute(select(Staff.id).where(Staff.login == login)).first():
            errors.append(FieldError("login", "staff.login_taken"))
        if not name:
            errors.append(FieldError("name", "required"))
        if not new.roles:
            errors.append(FieldError("roles", "required"))
        errors += password_errors(new.password, login)
        if errors:
            raise ValidationError(errors)
        staff = Staff(
            login=login,
            name=name,
            name_kana=normalize(new.name_kana),
            loan_amount_grant=new.loan_amount_grant,
            created_by_id=principal.staff_id,
            updated_by_id=principal.staff_id,
        )
        staff.roles = [StaffRole(role=r.value) for r in dict.fromkeys(new.roles)]
        self._set_password(staff, new.password)
        session.add(staff)
        session.flush()
        audit.record(
            session,
            principal.staff_id,
            "create",
            RECORD_KIND,
            staff.id,
            {
                "login": [None, login],
                "name": [None, name],
                "roles": [None, sorted(r.value for r in new.roles)],
            },
        )
        return staff

    def _set_password(self, staff: Staff, password: str) -> None:
        staff.password_hash = self._hasher.hash(password)
        staff.password_changed_at = utcnow()

    @staticmethod
    def _load(session: Session, staff_id: int) -> Staff:
        staff = session.get(Staff, staff_id)
        if staff is None:
            raise NotFound(f"staff {staff_id}")
        return staff

    @staticmethod
    def _keep_an_admin(session: Session, leaving_id: int) -> None:
        others = session.execute(
            select(func.count())
            .select_from(Staff)
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(Staff.active, StaffRole.role == Role.ADMIN.value, Staff.id != leaving_id)
        ).scalar_one()
        if not others:
            raise ValidationError([FieldError("roles", "staff.last_admin")])

"""Accounts and sign-in: first administrator, passwords, waiting after failures, audit."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from consult_desk.db.engine import Database
from consult_desk.db.models import AuditLog, Staff
from consult_desk.domain.errors import ValidationError
from consult_desk.domain.permissions import PermissionDenied, Role
from consult_desk.services.staff import (
    AuthenticationFailed,
    NewStaff,
    SignInLocked,
    StaffService,
    wait_after,
)

PASSWORD = "kanda-2026-spring"
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.fixture
def staff(db: Database, fast_hasher: PasswordHasher) -> StaffService:
    return StaffService(db, fast_hasher)


def _first_admin(staff: StaffService) -> None:
    staff.add_first_admin(NewStaff("takahashi", "高橋 誠", (Role.ADMIN,), PASSWORD))


def _actions(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_first_admin_only_while_no_account_exists(staff: StaffService) -> None:
    assert not staff.has_accounts()
    _first_admin(staff)

    with pytest.raises(ValidationError) as raised:
        staff.add_first_admin(NewStaff("second", "二人目", (Role.ADMIN,), PASSWORD))

    assert raised.value.codes() == {"login": "staff.setup_done"}
    assert staff.has_accounts()


def test_first_account_must_be_an_administrator(staff: StaffService) -> None:
    with pytest.raises(ValidationError) as raised:
        staff.add_first_admin(NewStaff("sato", "佐藤", (Role.CONSULTANT,), PASSWORD))
    assert raised.value.codes() == {"roles": "staff.first_must_be_admin"}


def test_sign_in_returns_the_principal_and_is_audited(staff: StaffService, db: Database) -> None:
    _first_admin(staff)

    principal = staff.sign_in(" takahashi ", PASSWORD)

    assert principal.login == "takahashi"
    assert principal.roles == frozenset({Role.ADMIN})
    assert _actions(db)[-1] == "sign_in"


def test_wrong_password_and_unknown_login_give_the_same_error(
    staff: StaffService, db: Database
) -> None:
    _first_admin(staff)

    with pytest.raises(AuthenticationFailed):
        staff.sign_in("takahashi", "wrong-password")
    with pytest.raises(AuthenticationFailed):
        staff.sign_in("nobody", PASSWORD)

    assert _actions(db)[-2:] == ["sign_in_failed", "sign_in_failed"]


def test_failures_make_the_next_attempt_wait_longer(staff: StaffService) -> None:
    _first_admin(staff)
    for attempt in range(3):
        with pytest.raises(AuthenticationFailed):
            staff.sign_in("takahashi", "bad", now=NOW + timedelta(seconds=attempt))

    # Now locked for wait_after(3) = 1 s: even the right password is not checked.
    with pytest.raises(SignInLocked):
        staff.sign_in("takahashi", PASSWORD, now=NOW + timedelta(seconds=2.5))
    principal = staff.sign_in("takahashi", PASSWORD, now=NOW + timedelta(seconds=4))

    assert principal.login == "takahashi"
    assert [wait_after(n).total_seconds() for n in (1, 2, 3, 4, 5, 20)] == [0, 0, 1, 2, 4, 300]


def test_passwords_are_hashed_and_never_logged(staff: StaffService, db: Database, db_path: Path):
    _first_admin(staff)
    staff.sign_in("takahashi", PASSWORD)
    with pytest.raises(AuthenticationFailed):
        staff.sign_in("takahashi", "my-secret-typo")

    with db.read() as session:
        stored = session.scalars(select(Staff.password_hash)).one()
        changes = " ".join(session.scalars(select(AuditLog.changes)))
    db.dispose()
    raw = (
        db_path.read_bytes() + Path(f"{db_path}-wal").read_bytes()
        if Path(f"{db_path}-wal").exists()
        else db_path.read_bytes()
    )

    assert stored is not None and stored.startswith("$argon2id$")
    assert PASSWORD not in changes and "my-secret-typo" not in changes
    assert PASSWORD.encode() not in raw


def test_production_hasher_states_its_cost() -> None:
    from consult_desk.services.staff import PASSWORD_HASHER

    assert (PASSWORD_HASHER.time_cost, PASSWORD_HASHER.memory_cost) == (3, 65536)


def test_password_change_and_reset(staff: StaffService) -> None:
    _first_admin(staff)
    admin = staff.sign_in("takahashi", PASSWORD)
    staff.add(admin, NewStaff("sato", "佐藤 花子", (Role.CONSULTANT,), "hanako-first-1"))
    sato = staff.sign_in("sato", "hanako-first-1")

    with pytest.raises(AuthenticationFailed):
        staff.change_password(sato, "not-the-current", "brand-new-pass-1")
    with pytest.raises(ValidationError):
        staff.change_password(sato, "hanako-first-1", "short")
    staff.change_password(sato, "hanako-first-1", "brand-new-pass-1")
    staff.reset_password(admin, sato.staff_id or 0, "reset-by-admin-9")

    assert staff.sign_in("sato", "reset-by-admin-9").login == "sato"
    with pytest.raises(PermissionDenied):
        staff.reset_password(sato, admin.staff_id or 0, "hijack-attempt-1")


def test_the_last_administrator_cannot_be_removed(staff: StaffService) -> None:
    _first_admin(staff)
    admin = staff.sign_in("takahashi", PASSWORD)

    with pytest.raises(ValidationError) as raised:
        staff.set_roles(admin, admin.staff_id or 0, (Role.CONSULTANT,))
    with pytest.raises(ValidationError):
        staff.set_active(admin, admin.staff_id or 0, False)

    assert raised.value.codes() == {"roles": "staff.last_admin"}


def test_inactive_staff_cannot_sign_in(staff: StaffService) -> None:
    _first_admin(staff)
    admin = staff.sign_in("takahashi", PASSWORD)
    sato_id = staff.add(admin, NewStaff("sato", "佐藤", (Role.CONSULTANT,), "hanako-first-1"))

    staff.set_active(admin, sato_id, False)

    with pytest.raises(AuthenticationFailed):
        staff.sign_in("sato", "hanako-first-1")


def test_bad_new_accounts_are_refused(staff: StaffService) -> None:
    _first_admin(staff)
    admin = staff.sign_in("takahashi", PASSWORD)

    with pytest.raises(ValidationError) as raised:
        staff.add(admin, NewStaff("佐藤", "", (), "sato"))

    assert raised.value.codes() == {
        "login": "staff.login_format",
        "name": "required",
        "roles": "required",
        "password": "password.too_short",
    }

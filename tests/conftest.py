"""Shared fixtures: a real SQLite file per test, built through the migrations."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from consult_desk.db.engine import Database
from consult_desk.db.migrate import upgrade_to_head
from consult_desk.db.models import Staff, StaffRole
from consult_desk.domain.permissions import Principal, Role


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "desk.sqlite"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file built through the migrations (never create_all), copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    database = Database(f"sqlite:///{path}")
    upgrade_to_head(database.engine)
    with database.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return path


@pytest.fixture
def db(db_path: Path, migrated_template: Path) -> Iterator[Database]:
    shutil.copyfile(migrated_template, db_path)
    database = Database(f"sqlite:///{db_path}")
    yield database
    database.dispose()


@pytest.fixture
def staff_id(db: Database) -> int:
    """One active consultant, as most records need a member of staff."""
    with db.write() as session:
        staff = Staff(login="sato", name="佐藤 花子", name_kana="サトウ ハナコ")
        staff.roles.append(StaffRole(role="consultant"))
        session.add(staff)
        session.flush()
        return staff.id


@pytest.fixture
def admin(db: Database) -> Principal:
    """An administrator: allowed everything, for tests about other rules than permissions."""
    with db.write() as session:
        staff = Staff(login="admin", name="管理 太郎", name_kana="カンリ タロウ")
        staff.roles.append(StaffRole(role="admin"))
        session.add(staff)
        session.flush()
        return Principal(staff.id, staff.login, staff.name, frozenset({Role.ADMIN}))


@pytest.fixture(scope="session")
def fast_hasher() -> PasswordHasher:
    """argon2id with tiny costs: the rules under test are the same, the tests stay fast."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

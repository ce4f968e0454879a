"""A small demo database (every kind of record over two 年度 up to today) for the report,
dashboard and plan screens: filled once per test session, copied for each test."""

import shutil
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import select

from consult_desk.db.engine import Database
from consult_desk.db.models import Staff
from consult_desk.domain.fiscal import japan_today
from consult_desk.domain.permissions import SETUP, Principal, Role
from consult_desk.services.demo import DemoService
from tests.engines import TestDatabases

DEMO_BUSINESSES = 40
_filled: dict[Path, Path] = {}  # migrated template → the demo file made from it
_filled_urls: dict[int, str] = {}  # id(TestDatabases) → the demo database made on its engine


def _fill(database: Database) -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    DemoService(database, SETUP, hasher).fill(
        seed=7, businesses=DEMO_BUSINESSES, anchor=japan_today()
    )
    if database.engine.dialect.name == "sqlite":
        with database.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()


def demo_database(migrated_template: Path, folder: Path) -> Database:
    """A copy of the demo file (anchored on today, Japan time) in ``folder`` (SQLite)."""
    filled = _filled.get(migrated_template)
    if filled is None:
        filled = migrated_template.with_name("demo.sqlite")
        shutil.copyfile(migrated_template, filled)
        _fill(Database(f"sqlite:///{filled}"))
        _filled[migrated_template] = filled
    path = folder / "demo.sqlite"
    shutil.copyfile(filled, path)
    return Database(f"sqlite:///{path}")


def demo_on(databases: TestDatabases, folder: Path) -> Database:
    """A copy of the demo database on the engine under test (SQLite or PostgreSQL); hand its
    URL back with ``databases.release`` when done."""
    filled = _filled_urls.get(id(databases))
    if filled is None:
        source = folder.parent / "demo-source"
        source.mkdir(exist_ok=True)
        filled = databases.copy(databases.template(), source, "demo.sqlite")
        _fill(Database(filled))
        _filled_urls[id(databases)] = filled
    return Database(databases.copy(filled, folder, "demo.sqlite"))


def demo_principal(db: Database, login: str) -> Principal:
    """The demo member of staff ``login`` (demo-admin, demo-manager, demo-consultant1 …)."""
    with db.read() as session:
        staff = session.execute(select(Staff).where(Staff.login == login)).scalar_one()
        roles = frozenset(Role(r.role) for r in staff.roles)
        return Principal(staff.id, staff.login, staff.name, roles)

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

DEMO_BUSINESSES = 40
_filled: dict[Path, Path] = {}  # migrated template → the demo file made from it


def demo_database(migrated_template: Path, folder: Path) -> Database:
    """A copy of the demo file (anchored on today, Japan time) in ``folder``."""
    filled = _filled.get(migrated_template)
    if filled is None:
        filled = migrated_template.with_name("demo.sqlite")
        shutil.copyfile(migrated_template, filled)
        database = Database(f"sqlite:///{filled}")
        hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        DemoService(database, SETUP, hasher).fill(
            seed=7, businesses=DEMO_BUSINESSES, anchor=japan_today()
        )
        with database.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        database.dispose()
        _filled[migrated_template] = filled
    path = folder / "demo.sqlite"
    shutil.copyfile(filled, path)
    return Database(f"sqlite:///{path}")


def demo_principal(db: Database, login: str) -> Principal:
    """The demo member of staff ``login`` (demo-admin, demo-manager, demo-consultant1 …)."""
    with db.read() as session:
        staff = session.execute(select(Staff).where(Staff.login == login)).scalar_one()
        roles = frozenset(Role(r.role) for r in staff.roles)
        return Principal(staff.id, staff.login, staff.name, roles)

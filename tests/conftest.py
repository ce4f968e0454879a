"""Shared fixtures: a real database per test, built through the migrations.

SQLite files by default; ``--db-url URL`` (or CONSULT_DESK_TEST_PG) runs the same tests against
a PostgreSQL server (tests/engines.py). Tests that need an SQLite file (they ask for
``db_path`` or ``migrated_template``, or are marked ``sqlite_only``) are skipped there.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists
# No test reads the developer's own saved database connection (設定): a file that never exists.
os.environ["CONSULT_DESK_CONFIG"] = os.path.join(os.devnull, "consult-desk-tests.json")

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url

from consult_desk.db.engine import Database
from consult_desk.db.migrate import upgrade_to_head
from consult_desk.db.models import Staff, StaffRole
from consult_desk.domain.permissions import Principal, Role
from tests.engines import ENV_TEST_PG, TestDatabases

# A test asking for one of these works on an SQLite file.
SQLITE_FIXTURES = frozenset({"db_path", "migrated_template"})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db-url",
        default=os.environ.get(ENV_TEST_PG) or None,
        help="run the tests against this PostgreSQL server (a role that may create databases)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--db-url"):
        return
    skip = pytest.mark.skip(reason="SQLite only")
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("sqlite_only") or fixtures & SQLITE_FIXTURES:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestDatabases]:
    """Fresh or copied databases on the engine under test."""
    made = TestDatabases(request.config.getoption("--db-url"), tmp_path_factory.mktemp("template"))
    yield made
    made.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "desk.sqlite"


@pytest.fixture(scope="session")
def migrated_template(databases: TestDatabases, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file built through the migrations (never create_all), copied for each test."""
    if not databases.is_postgresql:
        return Path(make_url(databases.template()).database or "")
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite"
    database = Database(f"sqlite:///{path}")
    upgrade_to_head(database.engine)
    databases.checkpoint(database)
    return path


@pytest.fixture
def db(
    request: pytest.FixtureRequest, tmp_path: Path, databases: TestDatabases
) -> Iterator[Database]:
    if databases.is_postgresql:
        url = databases.fresh(tmp_path)
    else:
        path: Path = request.getfixturevalue("db_path")
        shutil.copyfile(request.getfixturevalue("migrated_template"), path)
        url = f"sqlite:///{path}"
    database = Database(url)
    yield database
    database.dispose()
    databases.release(url)


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

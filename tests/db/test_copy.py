"""``consult-desk db copy``: an SQLite file moved into a new database of the engine under test
(another SQLite file, or PostgreSQL with --db-url), verified by row counts and checksums."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, text

from consult_desk.cli import main
from consult_desk.db import copy as copy_module
from consult_desk.db.copy import copy_database, table_checksum, tables
from consult_desk.db.engine import Database
from consult_desk.db.migrate import SchemaState, schema_state, upgrade_to_head
from consult_desk.db.models import AuditLog, Business, Staff
from consult_desk.domain.businesses import BusinessInput, BusinessQuery
from consult_desk.domain.consultations import ConsultationQuery
from consult_desk.domain.errors import SchemaError
from consult_desk.domain.permissions import SETUP, Principal, Role
from consult_desk.services import audit
from consult_desk.services.businesses import BusinessService
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.demo import DemoService
from tests.engines import TestDatabases

ANCHOR = date(2026, 11, 30)


@pytest.fixture(scope="module")
def filled_source(
    databases: TestDatabases, tmp_path_factory: pytest.TempPathFactory, fast_hasher: PasswordHasher
) -> Path:
    """An SQLite file a desk has used: demo records of every kind (made once)."""
    folder = tmp_path_factory.mktemp("source")
    url = databases.sqlite(folder, "filled.sqlite")
    source = Database(url)
    DemoService(source, SETUP, fast_hasher).fill(seed=3, businesses=25, anchor=ANCHOR)
    databases.checkpoint(source)
    return folder / "filled.sqlite"


@pytest.fixture
def source(filled_source: Path, tmp_path: Path, databases: TestDatabases) -> str:
    return databases.copy(f"sqlite:///{filled_source}", tmp_path, "source.sqlite")


@pytest.fixture
def target(databases: TestDatabases, tmp_path: Path) -> Iterator[str]:
    """A new, empty database (no tables) on the engine under test."""
    url = databases.empty(tmp_path, "target.sqlite")
    yield url
    databases.drop(url)


def _counts(url: str) -> dict[str, int]:
    database = Database(url)
    try:
        with database.engine.connect() as connection:
            return {
                table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in tables()
            }
    finally:
        database.dispose()


def _admin(db: Database) -> Principal:
    with db.read() as session:
        staff = session.execute(select(Staff).where(Staff.login == "demo-admin")).scalar_one()
        return Principal(staff.id, staff.login, staff.name, frozenset({Role.ADMIN}))


def test_every_table_arrives_with_the_same_rows_and_checksums(source: str, target: str) -> None:
    before = _counts(source)

    results = copy_database(source, target, chunk_rows=37)  # many chunks per table

    assert [r.name for r in results] == [t.name for t in tables()]
    assert all(r.ok for r in results)
    assert _counts(target) == before
    assert before["business"] == 25 and before["consultation"] > 25
    assert before["loan_case"] and before["audit_log"] and before["staff"]
    copied = Database(target)
    try:
        assert schema_state(copied.engine) is SchemaState.CURRENT
        with copied.engine.connect() as connection:
            for table in tables():  # checked again, independently of the copy's own check
                assert table_checksum(connection, table) == next(
                    (r.source_rows, r.source_checksum) for r in results if r.name == table.name
                )
        with copied.read() as session:
            assert audit.verify_chain(session).first_broken_id is None
    finally:
        copied.dispose()


def test_the_copy_is_a_working_database(source: str, target: str) -> None:
    copy_database(source, target)
    db = Database(target)
    try:
        admin = _admin(db)
        businesses = BusinessService(db, admin)
        with db.read() as session:
            name, most = session.execute(
                select(Business.name, func.max(Business.id)).group_by(Business.name).limit(1)
            ).one()
        # The search index knows the copied rows (FTS5 triggers on SQLite, pg_trgm on PG).
        assert any(r.name == name for r in businesses.page(BusinessQuery(text=name)))
        assert ConsultationService(db, admin).count(ConsultationQuery(text="資金繰り")) > 0
        # New rows get fresh ids after the copied ones (PostgreSQL's sequences moved on).
        new_id = businesses.add(BusinessInput(name="移行後の新規事業者"))
        assert new_id > most
        with db.read() as session:
            assert audit.verify_chain(session).first_broken_id is None
    finally:
        db.dispose()


def test_a_used_target_is_refused_and_left_alone(source: str, target: str) -> None:
    used = Database(target)
    try:
        upgrade_to_head(used.engine)
        BusinessService(used, SETUP).add(BusinessInput(name="既存の事業者"))
    finally:
        used.dispose()
    before = _counts(target)

    with pytest.raises(SchemaError) as raised:
        copy_database(source, target)

    assert raised.value.code == "copy.target_not_empty"
    assert _counts(target) == before


def test_the_same_database_on_both_sides_is_refused(source: str) -> None:
    with pytest.raises(SchemaError) as raised:
        copy_database(source, source)
    assert raised.value.code == "copy.same_database"


def test_a_source_behind_this_build_is_refused(tmp_path: Path, target: str) -> None:
    old = Database(f"sqlite:///{tmp_path / 'old.sqlite'}")
    upgrade_to_head(old.engine, "0003")
    old.dispose()

    with pytest.raises(SchemaError) as raised:
        copy_database(f"sqlite:///{tmp_path / 'old.sqlite'}", target)

    assert raised.value.code == "copy.source_not_current"


def test_a_checksum_difference_rolls_the_whole_copy_back(
    source: str, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = copy_module.table_checksum
    calls = {"n": 0}

    def tampered(connection, table):  # type: ignore[no-untyped-def]
        count, checksum = real(connection, table)
        calls["n"] += 1
        if table.name == "consultation" and calls["n"] % 2 == 0:  # the target's side
            return count, "0" * 64
        return count, checksum

    monkeypatch.setattr(copy_module, "table_checksum", tampered)

    with pytest.raises(SchemaError) as raised:
        copy_database(source, target)

    assert raised.value.code == "copy.mismatch"
    assert str(raised.value) == "consultation"
    counts = _counts(target)  # the schema was built, the rows rolled back
    assert counts["business"] == counts["staff"] == counts["audit_log"] == 0


def test_a_row_the_target_refuses_rolls_the_whole_copy_back(
    source: str, target: str, databases: TestDatabases
) -> None:
    if not databases.is_postgresql:
        pytest.skip("SQLite takes any length of text; PostgreSQL checks VARCHAR(n)")
    lite = Database(source)
    with lite.engine.begin() as connection:  # SQLite let an over-long phone in
        connection.execute(text("UPDATE business SET phone = :p WHERE id = 2"), {"p": "0" * 200})
    lite.dispose()

    with pytest.raises(SchemaError) as raised:
        copy_database(source, target)

    assert raised.value.code == "copy.row_refused"
    assert str(raised.value).startswith("business: ")
    assert _counts(target)["business"] == 0


def test_cli_copies_and_reports_each_table(
    source: str, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["db", "copy", "--from", source, "--to", target])

    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert len([line for line in lines if line.startswith("OK ")]) == len(tables())
    assert "件数とチェックサムが一致しました" in lines[-1]
    assert "business: 25 行" in err

    again = main(["db", "copy", "--from", source, "--to", target])

    assert again == 2
    assert "空ではありません" in capsys.readouterr().err


def test_cli_names_a_missing_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nothing.sqlite"

    code = main(["db", "copy", "--from", str(missing), "--to", f"sqlite:///{tmp_path / 't'}"])

    assert code == 2
    assert f"コピー元のデータベースがありません: {missing}" in capsys.readouterr().err
    assert not missing.exists()


def test_audit_entries_keep_their_order_and_ids(source: str, target: str) -> None:
    copy_database(source, target)
    ids = []
    for url in (source, target):
        db = Database(url)
        with db.read() as session:
            ids.append(list(session.scalars(select(AuditLog.id).order_by(AuditLog.id))))
        db.dispose()
    assert ids[0] == ids[1] and ids[0]

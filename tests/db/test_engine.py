"""The engine settings: on SQLite durable commits and waiting writers (R4); on PostgreSQL
writers that queue the same way (issue 9)."""

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from consult_desk.db import engine as engine_module
from consult_desk.db.dialect import WRITE_LOCK
from consult_desk.db.engine import BUSY_TIMEOUT_MS, Database
from consult_desk.domain.errors import StorageError


@pytest.mark.sqlite_only
def test_every_connection_gets_the_durable_settings(db: Database) -> None:
    with db.engine.connect() as connection:
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA synchronous").scalar() == 2  # FULL
        assert pragma("PRAGMA foreign_keys").scalar() == 1
        assert pragma("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS


def test_a_new_database_file_is_private(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'sub' / 'new.sqlite'}")
    with database.engine.connect():
        pass

    mode = os.stat(tmp_path / "sub" / "new.sqlite").st_mode
    assert stat.S_IMODE(mode) == 0o600
    database.dispose()


def _holds_write_lock(session: object) -> bool:
    held = session.execute(  # type: ignore[attr-defined]
        text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :key"
            " AND pid = pg_backend_pid() AND granted"
        ),
        {"key": WRITE_LOCK},
    ).scalar_one()
    return bool(held)


def test_postgresql_write_transactions_take_the_write_lock_and_reads_do_not(
    db: Database,
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL (--db-url) only; SQLite's BEGIN IMMEDIATE does this there")
    with db.write() as session:
        assert _holds_write_lock(session)
    with db.read() as session:
        assert not _holds_write_lock(session)


def test_postgresql_a_second_writer_waits_then_is_told_the_database_is_busy(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL (--db-url) only")
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", 300)
    other = Database(db.url)
    try:
        with db.write() as session:
            session.execute(text("SELECT 1"))
            with pytest.raises(StorageError) as raised, other.write() as waiting:
                waiting.execute(text("SELECT 1"))
            with other.read() as reading:  # readers never wait
                assert reading.execute(text("SELECT 1")).scalar_one() == 1
        assert raised.value.code == "storage.locked"
        with other.write() as session:  # the lock went with the first transaction
            assert _holds_write_lock(session)
    finally:
        other.dispose()

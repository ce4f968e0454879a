"""The SQLite settings that make commits durable and concurrent writers wait (R4)."""

import os
import stat
from pathlib import Path

from consult_desk.db.engine import BUSY_TIMEOUT_MS, Database


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

"""Storage failures reach the user as clear codes, and nothing committed is lost."""

import logging
from pathlib import Path

import pytest

from consult_desk.db.engine import Database
from consult_desk.domain.businesses import BusinessInput, BusinessQuery
from consult_desk.domain.errors import StorageError
from consult_desk.domain.permissions import Principal
from consult_desk.logs import configure_logging
from consult_desk.services.businesses import BusinessService


def test_a_read_only_database_refuses_writes_clearly_and_keeps_its_rows(
    db: Database, db_path: Path, admin: Principal
) -> None:
    BusinessService(db, admin).add(BusinessInput(name="保存済み"))
    db.dispose()
    # Opened read-only (as for a file on a write-protected share; root ignores file modes).
    read_only = Database(f"sqlite:///file:{db_path}?mode=ro&uri=true")

    with pytest.raises(StorageError) as raised:
        BusinessService(read_only, admin).add(BusinessInput(name="新規"))

    assert raised.value.code == "storage.read_only"
    assert [r.name for r in BusinessService(read_only, admin).page(BusinessQuery())] == ["保存済み"]
    read_only.dispose()


def test_logs_rotate_in_a_private_folder_without_sql_parameters(tmp_path: Path) -> None:
    path = configure_logging(tmp_path / "log")

    logging.getLogger("consult_desk.test").info("staff %s signed in", 7)

    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "log").stat().st_mode & 0o777 == 0o700
    assert logging.getLogger("sqlalchemy").getEffectiveLevel() >= logging.WARNING

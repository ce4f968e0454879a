"""The command line on the engine under test, with what differs on PostgreSQL: ``db check``
looks at the collation and the trigram search, and a database behind this build is upgraded
only by ``db upgrade`` after the administrator confirms a server-side backup."""

import pytest

from consult_desk.cli import main
from consult_desk.db.engine import Database
from consult_desk.db.migrate import (
    SchemaState,
    downgrade,
    head_revision,
    open_or_upgrade,
    schema_state,
)
from consult_desk.domain.errors import SchemaError

BEFORE_HEAD = f"{int(head_revision()) - 1:04d}"  # revisions are numbered 0001, 0002, …


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_db_check_reports_what_matters_on_each_engine(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "--db", db.url, "db", "check")

    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0].startswith(f"OK スキーマ: {head_revision()}")
    if db.dialect == "sqlite":
        assert "OK 整合性: ok" in lines and "OK 外部キー" in lines
    else:
        assert "OK 照合順序: C" in lines
        assert "OK 全文検索（pg_trgm）" in lines
        assert not any("整合性" in line for line in lines)


def _behind(db: Database) -> None:
    downgrade(db.engine, BEFORE_HEAD)
    assert schema_state(db.engine) is SchemaState.NEEDS_UPGRADE


def test_the_app_never_upgrades_a_server_database_on_its_own(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite files are backed up and upgraded at start (tests/migrations)")
    _behind(db)

    with pytest.raises(SchemaError) as raised:
        open_or_upgrade(db.engine, allow_upgrade=db.dialect == "sqlite")  # as app.py does

    assert raised.value.code == "schema.needs_upgrade"
    assert str(raised.value).startswith(f"{head_revision()}: ")
    assert schema_state(db.engine) is SchemaState.NEEDS_UPGRADE


def test_other_commands_refuse_a_server_database_behind_this_build(
    db: Database, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite files are backed up and upgraded by any command")
    _behind(db)

    code, _, err = _run(capsys, "--db", db.url, "initiatives")

    assert code == 2
    assert "consult-desk db upgrade" in err and "pg_dump" in err
    assert schema_state(db.engine) is SchemaState.NEEDS_UPGRADE


def test_db_upgrade_names_the_revisions_and_waits_for_the_backup(
    db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL (--db-url) only")
    _behind(db)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)

    code, out, err = _run(capsys, "--db", db.url, "db", "upgrade")  # no --yes, no terminal

    assert code == 2
    assert f"  {head_revision()}: " in out
    assert "pg_dump" in out and "docs/postgresql.md" in out
    assert "--yes" in err
    assert schema_state(db.engine) is SchemaState.NEEDS_UPGRADE

    code, out, err = _run(capsys, "--db", db.url, "db", "upgrade", "--yes")

    assert code == 0, err
    assert "データベースを最新の形式にしました。" in out
    assert schema_state(db.engine) is SchemaState.CURRENT


def test_db_upgrade_asks_at_a_terminal_and_stops_on_no(
    db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL (--db-url) only")
    _behind(db)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["no", "yes"])
    monkeypatch.setattr("builtins.input", lambda _prompt: next(answers))

    code, _, err = _run(capsys, "--db", db.url, "db", "upgrade")

    assert code == 2 and "取りやめました" in err
    assert schema_state(db.engine) is SchemaState.NEEDS_UPGRADE

    code, _, _ = _run(capsys, "--db", db.url, "db", "upgrade")

    assert code == 0
    assert schema_state(db.engine) is SchemaState.CURRENT


def test_backup_commands_point_to_pg_dump_on_a_server(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL (--db-url) only")

    code, _, err = _run(capsys, "--db", db.url, "db", "backup")

    assert code == 2
    assert "pg_dump" in err

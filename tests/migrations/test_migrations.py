"""Migrations against the models, with data, and the start-up decision (open/upgrade/refuse)."""

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from consult_desk.db.base import Base
from consult_desk.db.engine import Database, make_engine
from consult_desk.db.migrate import (
    SchemaState,
    downgrade,
    head_revision,
    include_object,
    open_or_upgrade,
    schema_state,
    upgrade_to_head,
)
from consult_desk.domain.errors import SchemaError


def _diff(db: Database) -> list[object]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": include_object,
            },
        )
        return list(compare_metadata(context, Base.metadata))


def test_migrations_build_the_schema_the_models_describe(db: Database) -> None:
    assert _diff(db) == []
    assert schema_state(db.engine) is SchemaState.CURRENT


def test_downgrade_to_base_and_upgrade_again_round_trips(db: Database) -> None:
    downgrade(db.engine, "base")
    assert schema_state(db.engine) is SchemaState.EMPTY

    upgrade_to_head(db.engine)

    assert _diff(db) == []
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM initiative").scalar() == 24


def _fill_revision_0001(path: Path) -> None:
    """Rows a user could have had at revision 0001, written with plain SQL.

    The consultation names channel 1, which revision 0002 supplies (窓口); the foreign-key
    check after the upgrade proves it.
    """
    raw = sqlite3.connect(path)
    with raw:
        raw.execute(
            "INSERT INTO staff (id, login, name, name_kana, active, created_at, updated_at,"
            " version) VALUES (1, 'sato', '佐藤', 'サトウ', 1, '2026-04-01 00:00:00',"
            " '2026-04-01 00:00:00', 1)"
        )
        raw.execute(
            "INSERT INTO business (id, kind, name, name_kana, sort_key, search_text,"
            " corporate_number, sme_status, postal_code, area, address, phone, email,"
            " representative_name, representative_address, representative_phone, chokai_name,"
            " summary, archived, created_at, updated_at, version) VALUES (1, 'corporation',"
            " '神田青果', 'カンダセイカ', 'カンダセイカ', '', '1180301018771', '判定不可', '',"
            " '未設定', '', '', '', '', '', '', '', '引継ぎメモ', 0, '2026-04-01 00:00:00',"
            " '2026-04-01 00:00:00', 3)"
        )
        raw.execute(
            "INSERT INTO consultation (id, consulted_on, channel_id, staff_id, business_id,"
            " prospect_name, prospect_contact, summary, advice, referrals, next_action, done,"
            " done_note, archived, created_at, updated_at, version) VALUES (1, '2026-05-01', 1,"
            " 1, 1, '', '', '資金繰りの相談', '', '', '', 0, '', 0, '2026-05-01 00:00:00',"
            " '2026-05-01 00:00:00', 1)"
        )
    raw.close()


def test_upgrade_keeps_the_data_of_an_older_database(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine, "0001")
    _fill_revision_0001(path)
    assert schema_state(engine) is SchemaState.NEEDS_UPGRADE

    backup = open_or_upgrade(engine)

    assert schema_state(engine) is SchemaState.CURRENT
    with engine.connect() as connection:
        row = connection.exec_driver_sql(
            "SELECT name, corporate_number, summary, version FROM business"
        ).one()
        assert tuple(row) == ("神田青果", "1180301018771", "引継ぎメモ", 3)
        assert connection.exec_driver_sql("SELECT summary FROM consultation").scalar() == (
            "資金繰りの相談"
        )
    assert backup is not None and backup.exists()
    assert backup.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(backup) as copy:
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert copy.execute("SELECT name FROM business").fetchone() == ("神田青果",)
    engine.dispose()


def _fill_loan_case_0004(path: Path) -> None:
    """A fund, a case and its history as revision 0004 stored them."""
    _fill_revision_0001(path)
    stamp = "'2026-06-01 00:00:00'"
    raw = sqlite3.connect(path)
    with raw:
        raw.execute(
            "INSERT INTO loan_program (id, name, is_startup, active, notes, created_at,"
            f" updated_at, version) VALUES (1, '営業資金', 0, 1, '', {stamp}, {stamp}, 1)"
        )
        raw.execute(
            "INSERT INTO loan_case (id, business_id, program_id, initiative_id, status,"
            " status_since, interviewer, receipt_number, received_on, requested_amount,"
            " purpose, referral_number, close_reason, subsidy_stop_reason, created_at,"
            " updated_at, version) VALUES (1, 1, 1, (SELECT id FROM initiative WHERE code ="
            " '1-2-1'), 'RECEIVED', '2026-06-01', '山田', 'R8-1', '2026-06-01', 5000000,"
            f" '運転資金', '', '', '', {stamp}, {stamp}, 2)"
        )
        raw.execute(
            "INSERT INTO loan_case_event (id, case_id, kind, from_status, to_status,"
            " occurred_on, recorded_at, staff_id, reason, data) VALUES (1, 1, 'transition',"
            f" 'INQUIRY', 'RECEIVED', '2026-06-01', {stamp}, 1, '', '{{}}')"
        )
    raw.close()


def test_0005_keeps_loan_cases_and_allows_the_new_event_kinds(tmp_path: Path) -> None:
    path = tmp_path / "loans.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine, "0004")
    _fill_loan_case_0004(path)

    open_or_upgrade(engine)

    with engine.begin() as connection:
        row = connection.exec_driver_sql(
            "SELECT status, requested_amount, purpose, eligible_taxes_paid, limit_amount, version"
            " FROM loan_case"
        ).one()
        assert tuple(row) == ("RECEIVED", 5000000, "運転資金", None, None, 2)
        connection.exec_driver_sql(
            "INSERT INTO loan_case_event (case_id, kind, from_status, to_status, occurred_on,"
            " recorded_at, reason, data) VALUES (1, 'interview', 'RECEIVED', 'RECEIVED',"
            " '2026-06-02', '2026-06-02 00:00:00', '計画書', '{}')"
        )
    downgrade(engine, "0004")
    with engine.connect() as connection:
        kinds = connection.exec_driver_sql("SELECT kind FROM loan_case_event ORDER BY id")
        assert [k for (k,) in kinds] == ["transition", "note"]
    engine.dispose()


def test_0006_adds_the_paging_indexes_to_a_database_with_loan_cases(tmp_path: Path) -> None:
    path = tmp_path / "loans.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine, "0005")
    _fill_loan_case_0004(path)

    open_or_upgrade(engine)

    with engine.connect() as connection:
        names = {
            name
            for (name,) in connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index'"
            )
        }
        assert connection.exec_driver_sql("SELECT count(*) FROM loan_case").scalar() == 1
    assert {
        "ix_loan_case_consultation_id",
        "ix_expert_dispatch_applied_on_id",
        "ix_safety_net_certification_applied_on_id",
    } <= names
    engine.dispose()


def _indexes(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'")
        return {name for (name,) in rows}


def test_0007_adds_the_report_indexes_to_a_database_with_consultations(tmp_path: Path) -> None:
    path = tmp_path / "consultations.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine, "0006")
    _fill_revision_0001(path)
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO consultation_topic_link (consultation_id, topic_id, is_primary)"
            " VALUES (1, (SELECT min(id) FROM consultation_topic), 1)"
        )
    raw.close()
    report_indexes = {"ix_consultation_figures", "ix_consultation_topic_link_primary"}
    assert not report_indexes & _indexes(engine)

    open_or_upgrade(engine)

    assert report_indexes <= _indexes(engine)
    with engine.connect() as connection:
        count = (
            "SELECT channel_id, count(*) FROM consultation WHERE consulted_on >= '2026-05-01'"
            " AND consulted_on <= '2026-05-31' AND deleted_at IS NULL GROUP BY channel_id"
        )
        assert connection.exec_driver_sql(count).all() == [(1, 1)]
        plan = " ".join(row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {count}"))
        assert "COVERING INDEX ix_consultation_figures" in plan
        assert (
            connection.exec_driver_sql(
                "SELECT count(*) FROM consultation_topic_link WHERE is_primary"
            ).scalar()
            == 1
        )
    downgrade(engine, "0006")
    assert not report_indexes & _indexes(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT summary FROM consultation").scalar() == (
            "資金繰りの相談"
        )
    engine.dispose()


def test_a_new_file_is_built_without_a_backup(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.sqlite'}")

    assert open_or_upgrade(engine) is None

    assert schema_state(engine) is SchemaState.CURRENT
    assert not (tmp_path / "backups").exists()
    engine.dispose()


def test_a_database_from_a_newer_build_is_refused_untouched(db: Database, db_path: Path) -> None:
    with db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")

    with pytest.raises(SchemaError) as raised:
        open_or_upgrade(db.engine)

    assert raised.value.code == "schema.too_new"
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM initiative").scalar() == 24


def test_a_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    engine = make_engine(f"sqlite:///{path}")

    with pytest.raises(SchemaError) as raised:
        open_or_upgrade(engine)

    assert raised.value.code == "schema.foreign"
    engine.dispose()


def test_postgres_style_databases_are_not_upgraded_silently(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    upgrade_to_head(engine, "0001")

    with pytest.raises(SchemaError) as raised:
        open_or_upgrade(engine, allow_upgrade=False)

    assert raised.value.code == "schema.needs_upgrade"
    assert "0002" in str(raised.value)
    engine.dispose()


def test_head_is_the_newest_numbered_revision() -> None:
    versions = Path(__file__).resolve().parents[2] / "migrations" / "versions"
    numbers = sorted(p.name[:4] for p in versions.glob("[0-9][0-9][0-9][0-9]_*.py"))
    assert head_revision() == numbers[-1]

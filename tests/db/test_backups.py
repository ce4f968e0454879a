"""BackupService on real SQLite files: hot backups, daily retention, modes, and safe restore."""

import json
import os
import sqlite3
import stat
import threading
import time
import types
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from consult_desk.db.engine import Database
from consult_desk.db.migrate import backup_sqlite, current_revision, head_revision, upgrade_to_head
from consult_desk.db.models import AuditLog, Staff, StaffRole
from consult_desk.domain.businesses import BusinessInput
from consult_desk.domain.errors import SchemaError, StorageError
from consult_desk.domain.permissions import SETUP, PermissionDenied, Principal, Role
from consult_desk.services import audit, backups
from consult_desk.services.backups import KEEP_DAILY, BackupService
from consult_desk.services.businesses import BusinessService

# Backups are copies of the SQLite file; on PostgreSQL they are the server's (pg_dump).
pytestmark = pytest.mark.sqlite_only

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def _add(db: Database, who: Principal, name: str) -> int:
    return BusinessService(db, who).add(BusinessInput(name=name))


def _names(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as raw:
        return [row[0] for row in raw.execute("SELECT name FROM business ORDER BY id")]


def _names_via(db: Database) -> list[str]:
    with db.engine.connect() as connection:
        return list(connection.exec_driver_sql("SELECT name FROM business ORDER BY id").scalars())


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _replaced(folder: Path) -> list[Path]:
    return sorted(folder.glob("*-replaced-*")) if folder.is_dir() else []


def _audit(db: Database) -> list[tuple[str, int | None, dict[str, Any]]]:
    """(action, staff id, changes) of the backup entries in the trail, oldest first."""
    with db.read() as session:
        rows = session.execute(
            select(AuditLog.action, AuditLog.staff_id, AuditLog.changes)
            .where(AuditLog.record_kind == "backup")
            .order_by(AuditLog.id)
        ).all()
    return [(action, staff_id, json.loads(changes)) for action, staff_id, changes in rows]


def _member(db: Database, role: Role) -> Principal:
    with db.write() as session:
        member = Staff(login=f"{role.value}-user", name=role.label)
        member.roles.append(StaffRole(role=role.value))
        session.add(member)
        session.flush()
        return Principal(member.id, member.login, member.name, frozenset({role}))


def _copy_of(db: Database, tmp_path: Path, name: str) -> Path:
    """A verified copy of the live database outside the backup folder, to be tampered with."""
    return backup_sqlite(db.engine, tmp_path / "elsewhere" / name)


@pytest.fixture
def service(db: Database, admin: Principal) -> BackupService:
    return BackupService(db, admin)


# --- making backups -----------------------------------------------------------------------


def test_make_names_the_file_after_stem_kind_and_time(
    db: Database, db_path: Path, admin: Principal
) -> None:
    _add(db, admin, "神田青果")
    made = BackupService(db, admin).make("manual", now=datetime(2026, 4, 1, 9, 30, 5))

    assert made == db_path.parent / "backups" / "desk-manual-20260401-093005.sqlite"
    assert _names(made) == ["神田青果"]


def test_two_backups_in_the_same_second_both_survive(service: BackupService) -> None:
    moment = datetime(2026, 4, 1, 9, 0, 0)
    first = service.make("manual", now=moment)
    second = service.make("manual", now=moment)

    assert first != second
    assert first.exists() and second.exists()
    assert [f.path for f in service.list()] == [second, first]


def test_make_rejects_an_unknown_kind(service: BackupService) -> None:
    with pytest.raises(ValueError):
        service.make("weekly")


@posix_only
def test_backup_files_and_folder_are_owner_only(
    db: Database, db_path: Path, admin: Principal
) -> None:
    old_umask = os.umask(0o022)  # a typical umask that would leave files world-readable
    try:
        service = BackupService(db, admin)
        made = service.make("manual")
        daily = service.daily_if_due(datetime(2026, 4, 1, 8, 0))
    finally:
        os.umask(old_umask)

    assert daily is not None
    assert _mode(made) == 0o600
    assert _mode(daily) == 0o600
    assert _mode(db_path.parent / "backups") == 0o700


@posix_only
@pytest.mark.parametrize("umask", [0o022, 0o277])
def test_a_configured_folder_is_created_owner_only(
    db: Database, tmp_path: Path, umask: int, admin: Principal
) -> None:
    folder = tmp_path / "share" / "desk-backups"
    (tmp_path / "share").mkdir()
    old_umask = os.umask(umask)
    try:
        made = BackupService(db, admin, folder).make("manual")
    finally:
        os.umask(old_umask)

    assert made.parent == folder
    assert _mode(folder) == 0o700
    assert _mode(made) == 0o600


def test_backup_while_a_second_connection_holds_a_write_transaction(
    db: Database, db_path: Path, admin: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add(db, admin, "committed")
    other = sqlite3.connect(db_path, isolation_level=None, timeout=10)
    real_fsync = backups._fsync_file

    def commit_once_copied(path: Path) -> None:
        # The copy is written: now let the other save finish, so that the audit entry
        # (a write of its own) can follow.
        if other.in_transaction:
            other.execute("COMMIT")
        real_fsync(path)

    monkeypatch.setattr(backups, "_fsync_file", commit_once_copied)
    try:
        other.execute("BEGIN IMMEDIATE")  # holds the write lock with a change not committed
        other.execute("UPDATE business SET name = 'uncommitted' WHERE name = 'committed'")

        made = BackupService(db, admin).make("manual")
    finally:
        other.close()

    assert _names(made) == ["committed"]  # a consistent snapshot: no uncommitted change
    assert _names_via(db) == ["uncommitted"]


def test_backup_while_another_connection_keeps_writing(
    db: Database, db_path: Path, admin: Principal
) -> None:
    _add(db, admin, "before")
    writer = Database(f"sqlite:///{db_path}")
    stop = threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def keep_writing() -> None:
        try:
            while not stop.is_set():
                written.append(_add(writer, admin, f"w{len(written)}"))
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)

    thread = threading.Thread(target=keep_writing)
    thread.start()
    made: list[Path] = []
    try:
        while len(written) < 5:  # the writer is really running before the backups start
            assert not errors, errors
            time.sleep(0.01)
        service = BackupService(db, admin)
        before = len(written)
        # Back up until the writer has committed several times meanwhile: the backups neither
        # block it nor get stuck restarting because of it.
        while len(written) - before < 5 and len(made) < 200:
            made.append(service.make("manual"))
        during = len(written) - before
    finally:
        stop.set()
        thread.join(timeout=30)
        writer.dispose()

    assert not errors, errors
    assert during >= 5
    for path in made:
        with closing(sqlite3.connect(path)) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert _names(path)[0] == "before"


def test_list_reads_kind_and_time_from_names_newest_first(
    service: BackupService, db_path: Path
) -> None:
    folder = db_path.parent / "backups"
    folder.mkdir()
    for name in (
        "desk-daily-20260401-080000.sqlite",
        "desk-pre-0002-20260402-080000.sqlite",  # what migrate.open_or_upgrade writes
        "desk-manual-20260403-080000.sqlite",
        "desk-replaced-20260404-080000.sqlite",
        "other-daily-20260405-080000.sqlite",  # another database's backup
        "desk-daily-notadate.sqlite",
        "notes.txt",
    ):
        (folder / name).write_bytes(b"x" * 3)

    listed = service.list()

    assert [(f.kind, f.created) for f in listed] == [
        ("replaced", datetime(2026, 4, 4, 8)),
        ("manual", datetime(2026, 4, 3, 8)),
        ("pre-migration", datetime(2026, 4, 2, 8)),
        ("daily", datetime(2026, 4, 1, 8)),
    ]
    assert all(f.size == 3 for f in listed)


# --- daily backups and retention ----------------------------------------------------------


def test_daily_backup_is_made_once_per_local_date(service: BackupService) -> None:
    morning = datetime(2026, 4, 1, 8, 0)

    first = service.daily_if_due(morning)
    again = service.daily_if_due(morning + timedelta(hours=9))
    next_day = service.daily_if_due(morning + timedelta(days=1))

    assert first is not None and first.name == "desk-daily-20260401-080000.sqlite"
    assert again is None
    assert next_day is not None and next_day.name == "desk-daily-20260402-080000.sqlite"
    assert [f.kind for f in service.list()] == ["daily", "daily"]


def test_a_manual_backup_today_does_not_count_as_the_daily_one(service: BackupService) -> None:
    service.make("manual", now=datetime(2026, 4, 1, 7, 0))

    assert service.daily_if_due(datetime(2026, 4, 1, 8, 0)) is not None


def test_pruning_keeps_the_newest_daily_backups_and_every_other_kind(
    service: BackupService, db_path: Path
) -> None:
    folder = db_path.parent / "backups"
    folder.mkdir()
    start = datetime(2026, 3, 1, 8, 0)
    for day in range(20):
        stamp = (start + timedelta(days=day)).strftime("%Y%m%d-%H%M%S")
        (folder / f"desk-daily-{stamp}.sqlite").write_bytes(b"old")
    keep = [
        folder / "desk-pre-migration-20250101-000000.sqlite",
        folder / "desk-pre-0002-20250102-000000.sqlite",
        folder / "desk-manual-20250103-000000.sqlite",
        folder / "desk-replaced-20250104-000000.sqlite",
    ]
    for path in keep:
        path.write_bytes(b"keep")

    today = datetime(2026, 3, 25, 8, 0)
    made = service.daily_if_due(today)

    dailies = [f for f in service.list() if f.kind == "daily"]
    assert made is not None
    assert len(dailies) == KEEP_DAILY == 14
    assert dailies[0].path == made
    # the 13 newest fakes plus today's: 2026-03-08 .. 03-20, then 03-25
    assert dailies[-1].created == datetime(2026, 3, 8, 8, 0)
    assert all(path.exists() for path in keep)


def test_daily_if_due_does_nothing_on_postgresql() -> None:
    db = _postgres()
    assert BackupService(db, ADMIN).daily_if_due(datetime(2026, 4, 1)) is None
    assert BackupService(db, ADMIN).list() == []


# --- restore ------------------------------------------------------------------------------


def test_restore_round_trip_keeps_the_replaced_file(
    db: Database, db_path: Path, admin: Principal
) -> None:
    service = BackupService(db, admin)
    _add(db, admin, "A")
    backup = service.make("manual")
    _add(db, admin, "B")

    replaced = service.restore(backup)

    assert _names_via(db) == ["A"]
    assert _add(db, admin, "C")  # the app goes on working on the restored file
    assert replaced.parent == db_path.parent / "backups"
    assert "-replaced-" in replaced.name
    assert _names(replaced) == ["A", "B"]
    assert sorted(f.kind for f in service.list()) == ["manual", "replaced"]
    assert not list(db_path.parent.glob(".restore-*"))  # no temp files left behind


@posix_only
@pytest.mark.parametrize("umask", [0o022, 0o277])  # typical; and one that strips owner bits
def test_restored_and_replaced_files_are_owner_only(
    db: Database, db_path: Path, umask: int, admin: Principal
) -> None:
    service = BackupService(db, admin)
    backup = service.make("manual")
    os.chmod(backup, 0o644)  # as if copied back from a share with looser permissions
    old_umask = os.umask(umask)
    try:
        replaced = service.restore(backup)
    finally:
        os.umask(old_umask)

    assert _mode(db_path) == 0o600
    assert _mode(replaced) == 0o600


@posix_only
def test_a_default_folder_made_by_someone_else_is_tightened(
    db: Database, db_path: Path, admin: Principal
) -> None:
    folder = db_path.parent / "backups"
    folder.mkdir(mode=0o755)  # as migrate.backup_sqlite leaves it under a 022 umask
    os.chmod(folder, 0o755)

    BackupService(db, admin).make("manual")

    assert _mode(folder) == 0o700


def test_restore_leaves_no_stale_wal_behind(db: Database, db_path: Path, admin: Principal) -> None:
    service = BackupService(db, admin)
    _add(db, admin, "A")
    backup = service.make("manual")
    _add(db, admin, "B")
    assert (db_path.parent / "desk.sqlite-wal").exists()  # the live WAL has B's pages

    service.restore(backup)

    assert _names_via(db) == ["A"]
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def _assert_nothing_replaced(db: Database, db_path: Path) -> None:
    assert _names_via(db) == ["A", "B"]
    assert _replaced(db_path.parent / "backups") == []
    assert not list(db_path.parent.glob(".restore-*"))


@pytest.fixture
def a_and_b(db: Database, admin: Principal) -> Iterator[Database]:
    _add(db, admin, "A")
    _add(db, admin, "B")
    yield db


# (An extra page no table owns is not among them: harmless, and SQLite's integrity_check does
# not report unused pages once the schema holds virtual tables such as the FTS5 indexes.)
@pytest.mark.parametrize("damage", ["garbage_page", "truncated", "not_a_database"])
def test_restore_refuses_a_damaged_file(
    a_and_b: Database, db_path: Path, tmp_path: Path, damage: str, admin: Principal
) -> None:
    db = a_and_b
    copy = _copy_of(db, tmp_path, "damaged.sqlite")
    with closing(sqlite3.connect(copy)) as raw:
        page_size = raw.execute("PRAGMA page_size").fetchone()[0]
        (root,) = raw.execute(
            "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'business'"
        ).fetchone()
    data = bytearray(copy.read_bytes())
    if damage == "garbage_page":  # the page holding the rows
        start = (root - 1) * page_size
        data[start : start + page_size] = b"\xa5" * page_size
    elif damage == "truncated":
        del data[len(data) // 2 :]
    else:
        data = bytearray(b"this is a spreadsheet, not a database" * 200)
    copy.write_bytes(bytes(data))

    with pytest.raises(SchemaError) as raised:
        BackupService(db, admin).restore(copy)

    assert raised.value.code == "restore.damaged"
    _assert_nothing_replaced(db, db_path)


def test_restore_refuses_a_file_from_a_newer_schema(
    a_and_b: Database, db_path: Path, tmp_path: Path, admin: Principal
) -> None:
    db = a_and_b
    copy = _copy_of(db, tmp_path, "newer.sqlite")
    with closing(sqlite3.connect(copy)) as raw, raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999'")

    with pytest.raises(SchemaError) as raised:
        BackupService(db, admin).restore(copy)

    assert raised.value.code == "restore.too_new"
    _assert_nothing_replaced(db, db_path)


@pytest.mark.parametrize("variant", ["other_app", "no_revision_row", "empty_file"])
def test_restore_refuses_a_file_that_is_not_a_consult_desk_database(
    a_and_b: Database, db_path: Path, tmp_path: Path, variant: str, admin: Principal
) -> None:
    db = a_and_b
    if variant == "other_app":
        other = tmp_path / "notes.sqlite"
        with closing(sqlite3.connect(other)) as raw, raw:
            raw.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
            raw.execute("INSERT INTO notes (body) VALUES ('hello')")
    elif variant == "no_revision_row":
        other = _copy_of(db, tmp_path, "norev.sqlite")
        with closing(sqlite3.connect(other)) as raw, raw:
            raw.execute("DELETE FROM alembic_version")
    else:
        other = tmp_path / "empty.sqlite"
        other.write_bytes(b"")

    with pytest.raises(SchemaError) as raised:
        BackupService(db, admin).restore(other)

    assert raised.value.code == "restore.not_consult_desk"
    _assert_nothing_replaced(db, db_path)


def test_restore_refuses_a_missing_file_and_the_database_itself(
    a_and_b: Database, db_path: Path, tmp_path: Path, admin: Principal
) -> None:
    service = BackupService(a_and_b, admin)

    with pytest.raises(SchemaError) as missing:
        service.restore(tmp_path / "nowhere.sqlite")
    with pytest.raises(SchemaError) as itself:
        service.restore(db_path)

    assert missing.value.code == "restore.not_found"
    assert itself.value.code == "restore.same_file"
    _assert_nothing_replaced(a_and_b, db_path)


def test_restore_refuses_a_source_whose_wal_still_holds_data(
    a_and_b: Database, db_path: Path, tmp_path: Path, admin: Principal
) -> None:
    copy = _copy_of(a_and_b, tmp_path, "live.sqlite")
    (tmp_path / "elsewhere" / "live.sqlite-wal").write_bytes(b"\0" * 100)

    with pytest.raises(SchemaError) as raised:
        BackupService(a_and_b, admin).restore(copy)

    assert raised.value.code == "restore.source_in_use"
    _assert_nothing_replaced(a_and_b, db_path)


def test_restore_refuses_while_another_connection_is_writing(
    a_and_b: Database, db_path: Path, monkeypatch: pytest.MonkeyPatch, admin: Principal
) -> None:
    monkeypatch.setattr(backups, "CHECKPOINT_WAIT_S", 0.2)
    service = BackupService(a_and_b, admin)
    backup = service.make("manual")
    other = sqlite3.connect(db_path, isolation_level=None, timeout=0.1)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process in the middle of a save

        with pytest.raises(SchemaError) as raised:
            service.restore(backup)

        other.execute("ROLLBACK")
    finally:
        other.close()
    assert raised.value.code == "restore.in_use"
    _assert_nothing_replaced(a_and_b, db_path)


def test_a_failure_at_the_final_rename_leaves_the_original_usable(
    a_and_b: Database, db_path: Path, admin: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = a_and_b
    service = BackupService(db, admin)
    backup = service.make("manual")
    _add(db, admin, "C")
    real_replace = os.replace

    def failing_replace(src: object, dst: object) -> None:
        if Path(str(dst)) == db_path:
            raise OSError(5, "simulated I/O error")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", failing_replace)

    with pytest.raises(StorageError) as raised:
        service.restore(backup)

    monkeypatch.undo()
    assert raised.value.code == "storage.io"
    assert _names_via(db) == ["A", "B", "C"]
    assert _add(db, admin, "D")  # still writable through the same Database
    with closing(sqlite3.connect(db_path)) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert _names(db_path) == ["A", "B", "C", "D"]
    assert _replaced(db_path.parent / "backups") == []
    assert not list(db_path.parent.glob(".restore-*"))


def test_a_failure_while_copying_the_replaced_file_leaves_the_original_usable(
    a_and_b: Database, db_path: Path, monkeypatch: pytest.MonkeyPatch, admin: Principal
) -> None:
    service = BackupService(a_and_b, admin)
    backup = service.make("manual")
    real_copy = backups._copy_file

    def disk_full(source: Path, target: Path) -> None:
        real_copy(source, target)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backups, "_copy_file", disk_full)

    with pytest.raises(StorageError) as raised:
        service.restore(backup)

    assert raised.value.code == "storage.disk_full"
    assert _names_via(a_and_b) == ["A", "B"]
    assert _replaced(db_path.parent / "backups") == []


def test_restoring_an_older_schema_upgrades_it_to_head(
    db: Database, db_path: Path, tmp_path: Path, admin: Principal
) -> None:
    old_path = tmp_path / "old" / "desk-0001.sqlite"
    old_path.parent.mkdir()
    old = Database(f"sqlite:///{old_path}")
    upgrade_to_head(old.engine, "0001")
    old_backup = backup_sqlite(old.engine, tmp_path / "old" / "backup-0001.sqlite")
    old.dispose()
    assert head_revision() != "0001"
    _add(db, admin, "A")

    service = BackupService(db, admin)
    replaced = service.restore(old_backup)

    assert current_revision(db.engine) == head_revision()
    assert _names_via(db) == []
    # The 0001 file has no staff yet: add as the set-up principal, as a fresh install would.
    assert _add(db, SETUP, "after upgrade")
    assert _names(replaced) == ["A"]
    (pre_migration,) = [f.path for f in service.list() if f.kind == "pre-migration"]
    with closing(sqlite3.connect(pre_migration)) as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)


# --- permissions and the audit trail ------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.LOAN_OFFICER, Role.MANAGER, Role.AUDITOR])
def test_only_administrators_make_list_and_restore_backups(
    a_and_b: Database, db_path: Path, admin: Principal, role: Role
) -> None:
    db = a_and_b
    backup = BackupService(db, admin).make("manual")
    files = sorted((db_path.parent / "backups").iterdir())
    entries = _audit(db)
    service = BackupService(db, _member(db, role))

    with pytest.raises(PermissionDenied):
        service.make("manual")
    with pytest.raises(PermissionDenied):
        service.list()
    with pytest.raises(PermissionDenied):
        service.restore(backup)

    assert sorted((db_path.parent / "backups").iterdir()) == files
    assert _audit(db) == entries
    _assert_nothing_replaced(db, db_path)


def test_the_daily_backup_runs_for_whoever_signs_in_and_is_audited(
    db: Database, admin: Principal
) -> None:
    consultant = _member(db, Role.CONSULTANT)

    made = BackupService(db, consultant).daily_if_due(datetime(2026, 4, 1, 8, 0))

    assert made is not None and made.exists()
    assert _audit(db) == [("backup", consultant.staff_id, {"file": made.name, "kind": "daily"})]


def test_making_a_backup_is_audited(db: Database, admin: Principal) -> None:
    made = BackupService(db, admin).make("manual")

    assert _audit(db) == [("backup", admin.staff_id, {"file": made.name, "kind": "manual"})]


def test_a_restore_is_audited_in_the_restored_file(
    db: Database, db_path: Path, admin: Principal
) -> None:
    service = BackupService(db, admin)
    backup = service.make("manual")
    in_backup = _audit(db)[:-1]  # the entry for making it was written after the copy

    replaced = service.restore(backup)

    assert _audit(db) == [
        *in_backup,
        (
            "restore_backup",
            admin.staff_id,
            {"file": backup.name, "replaced": replaced.name, "revision": head_revision()},
        ),
    ]
    with closing(sqlite3.connect(replaced)) as raw:  # the old trail stays in the kept file
        last = raw.execute("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert last == ("backup",)
    with db.read() as session:
        assert audit.verify_chain(session).first_broken_id is None


def test_a_restored_file_without_the_restorers_account_names_them(
    db: Database, tmp_path: Path, admin: Principal
) -> None:
    copy = _copy_of(db, tmp_path, "before-admin.sqlite")  # as if from before the account
    with closing(sqlite3.connect(copy)) as raw, raw:
        raw.execute("DELETE FROM staff_role")
        raw.execute("DELETE FROM staff")

    BackupService(db, admin).restore(copy)

    action, staff_id, changes = _audit(db)[-1]
    assert (action, staff_id, changes["staff"]) == ("restore_backup", None, "admin")


# --- PostgreSQL ---------------------------------------------------------------------------


ADMIN = Principal(1, "admin", "管理 太郎", frozenset({Role.ADMIN}))  # needs no database


def _postgres() -> Database:
    # An engine that never connects: the service must refuse before touching it.
    dbapi = types.SimpleNamespace(__version__="1.31.2", paramstyle="format")
    url = "postgresql+pg8000://desk@db.example/desk"
    return Database(url, engine=create_engine(url, module=dbapi))


def test_make_and_restore_are_sqlite_only(tmp_path: Path) -> None:
    service = BackupService(_postgres(), ADMIN)
    source = tmp_path / "x.sqlite"
    source.write_bytes(b"")

    with pytest.raises(SchemaError) as made:
        service.make("manual")
    with pytest.raises(SchemaError) as restored:
        service.restore(source)

    assert made.value.code == "backup.not_sqlite"
    assert restored.value.code == "backup.not_sqlite"

"""Schema state, backups and upgrades through Alembic; the only way the schema changes."""

from __future__ import annotations

import enum
import importlib.resources
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from consult_desk.db import dialect
from consult_desk.db.engine import sqlite_path
from consult_desk.domain.errors import SchemaError


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Full-text search tables and their shadow tables (SQLite) and the trigram indexes
    (PostgreSQL) are made by hand, not from models: leave them out of autogenerate and of
    model comparisons."""
    if name is None:
        return True
    if type_ == "table" and "_fts" in name:
        return False
    return not (type_ == "index" and name.endswith("_trgm"))


class SchemaState(enum.Enum):
    EMPTY = "empty"  # a new file: build it
    CURRENT = "current"  # open it
    NEEDS_UPGRADE = "needs_upgrade"  # back up, then upgrade
    TOO_NEW = "too_new"  # written by a newer build: refuse
    FOREIGN = "foreign"  # tables but no revision: not ours, refuse


def _package_root() -> Path:
    return Path(str(importlib.resources.files("consult_desk")))


def script_location() -> Path:
    # The packaged copy first: next to an installed package, "the checkout's folder" would be
    # site-packages/migrations, which another distribution may own.
    packaged = _package_root() / "migrations"
    if (packaged / "env.py").exists():
        return packaged
    checkout = _package_root().parent / "migrations"
    if (checkout / "env.py").exists():
        return checkout
    raise FileNotFoundError("migration scripts not found")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_state(engine: Engine) -> SchemaState:
    revision = current_revision(engine)
    if revision is None:
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        return SchemaState.FOREIGN if tables else SchemaState.EMPTY
    if revision == head_revision():
        return SchemaState.CURRENT
    known = {script.revision for script in _scripts().walk_revisions()}
    return SchemaState.NEEDS_UPGRADE if revision in known else SchemaState.TOO_NEW


def pending_revisions(engine: Engine) -> list[str]:
    """Revisions between the database and this build, oldest first, as 'id: message'."""
    current = current_revision(engine)
    scripts = _scripts()
    pending = []
    for script in scripts.iterate_revisions(head_revision(), current):
        pending.append(f"{script.revision}: {script.doc}")
    return list(reversed(pending))


@contextmanager
def sqlite_migration_mode(connection: Connection) -> Iterator[None]:
    # Batch mode recreates tables; with foreign keys on, dropping a parent table would
    # cascade-delete or block on child rows. The pragma only works outside a transaction.
    raw = connection.connection.dbapi_connection
    assert raw is not None
    dialect.sqlite_migration_settings(raw, foreign_keys=False)
    try:
        yield
    finally:
        dialect.sqlite_migration_settings(raw, foreign_keys=True)


def upgrade_to_head(engine: Engine, revision: str = "head") -> None:
    """Run the migrations in one transaction; on SQLite check foreign keys before committing."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            with sqlite_migration_mode(connection), connection.begin():
                command.upgrade(alembic_config(connection), revision)
                check_foreign_keys(connection)
        else:
            with connection.begin():
                command.upgrade(alembic_config(connection), revision)


def check_foreign_keys(connection: Connection) -> None:
    """Inside a migration's transaction on SQLite: refuse (and so roll back) broken links."""
    broken = dialect.sqlite_foreign_key_violations(connection)
    if broken:
        raise SchemaError("schema.foreign_key_check", repr(broken[:5]))


def downgrade(engine: Engine, revision: str) -> None:
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            with sqlite_migration_mode(connection), connection.begin():
                command.downgrade(alembic_config(connection), revision)
                check_foreign_keys(connection)
        else:
            with connection.begin():
                command.downgrade(alembic_config(connection), revision)


def backup_sqlite(engine: Engine, target: Path | None = None, label: str = "backup") -> Path:
    """Write a consistent copy of a live SQLite database with VACUUM INTO (owner-only file).

    Without ``target`` the copy goes to a ``backups`` folder next to the database, named
    ``<stem>-<label>-<YYYYmmdd-HHMMSS>.sqlite``.
    """
    source = sqlite_path(str(engine.url))
    if source is None:
        raise SchemaError("backup.not_sqlite")
    if target is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = source.parent / "backups" / f"{source.stem}-{label}-{stamp}.sqlite"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise SchemaError("backup.target_exists", str(target))
    old_umask = os.umask(0o077)  # the copy holds the same personal data as the original
    try:
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            assert raw is not None
            raw.execute("VACUUM INTO ?", (str(target),))
    finally:
        os.umask(old_umask)
    os.chmod(target, 0o600)
    check = sqlite3.connect(target)
    try:
        result = check.execute("PRAGMA integrity_check").fetchone()
    finally:
        check.close()
    if result is None or result[0] != "ok":
        raise SchemaError("backup.verify_failed", str(target))
    return target


def open_or_upgrade(engine: Engine, *, allow_upgrade: bool = True) -> Path | None:
    """Bring a database to this build's schema at start-up; returns the backup made, if any.

    New file → build it. Behind → back it up (SQLite), then upgrade. Newer or foreign → refuse.
    On PostgreSQL the upgrade is an administrator's step after a server-side backup, so a
    database behind this build raises ``schema.needs_upgrade`` unless ``allow_upgrade``.
    """
    state = schema_state(engine)
    if state is SchemaState.CURRENT:
        return None
    if state is SchemaState.TOO_NEW:
        raise SchemaError("schema.too_new", current_revision(engine) or "")
    if state is SchemaState.FOREIGN:
        raise SchemaError("schema.foreign")
    backup = None
    if state is SchemaState.NEEDS_UPGRADE:
        if not allow_upgrade:
            raise SchemaError("schema.needs_upgrade", "\n".join(pending_revisions(engine)))
        if engine.dialect.name == "sqlite":
            backup = backup_sqlite(engine, label=f"pre-{head_revision()}")
    upgrade_to_head(engine)
    return backup

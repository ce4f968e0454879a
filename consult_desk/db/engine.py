"""Engines and sessions: durable SQLite settings, and read versus write transactions."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from consult_desk.domain.errors import StorageError

# A second writer waits this long before SQLite gives up; longer than any single save takes.
BUSY_TIMEOUT_MS = 10_000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file behind an SQLite URL, or None for another engine or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _prepare_sqlite_file(path: Path) -> None:
    # The file holds personal data: create it readable by its owner only.
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def make_engine(url: str) -> Engine:
    """Create an engine; for SQLite set WAL, synchronous=FULL, foreign keys and busy timeout."""
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True)
    path = sqlite_path(url)
    if path is not None:
        _prepare_sqlite_file(path)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL is a property of the file; switch only files that are ours, so that opening
        # (and refusing) someone else's file leaves it untouched. New files get it in
        # migrate.upgrade_to_head.
        ours = cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if ours:
            cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL may lose the last commits on power loss; FULL still does thousands of commits/s.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A write transaction takes the write lock up front: a deferred one that later tries to
        # upgrade can fail at once with "database is locked" instead of waiting its turn.
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def storage_error(exc: BaseException) -> StorageError | None:
    """The user-facing meaning of a database failure, or None for a bug."""
    if isinstance(exc, NoSuchModuleError | ArgumentError):
        return StorageError("storage.url_invalid", str(exc))
    if isinstance(exc, ImportError):
        return StorageError("storage.driver_missing", str(exc))
    if isinstance(exc, DBAPIError):
        text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    elif isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
    else:
        return None
    if "not a database" in text or "malformed" in text:
        return StorageError("storage.not_database", text)
    if "locked" in text or "busy" in text:
        return StorageError("storage.locked", text)
    if "full" in text:
        return StorageError("storage.disk_full", text)
    if "readonly" in text or "read-only" in text:
        return StorageError("storage.read_only", text)
    if "disk i/o" in text or "unable to open" in text or "could not connect" in text:
        return StorageError("storage.io", text)
    return None


class Database:
    """The one way services reach storage.

    - ``read()`` gives a session for queries; it never writes.
    - ``write()`` gives a session inside one transaction: committed when the block ends,
      rolled back on any exception. Storage failures (locked, disk full, read-only) become a
      ``StorageError`` the user can understand; whatever was committed before stays.
    """

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self._reads = sessionmaker(self.engine, expire_on_commit=False)
        self._writes = sessionmaker(
            self.engine.execution_options(sqlite_immediate=True), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        try:
            with self._reads() as session:
                yield session
        except DBAPIError as exc:
            raise storage_error(exc) or exc from exc

    @contextmanager
    def write(self) -> Iterator[Session]:
        try:
            with self._writes.begin() as session:
                yield session
        except DBAPIError as exc:
            raise storage_error(exc) or exc from exc

    def dispose(self) -> None:
        self.engine.dispose()

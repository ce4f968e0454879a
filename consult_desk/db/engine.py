"""Engines and sessions: per-engine connection settings, and read versus write transactions."""

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

from consult_desk.db import dialect
from consult_desk.domain.errors import StorageError

# A second writer waits this long before giving up; longer than any single save takes.
BUSY_TIMEOUT_MS = 10_000
# The execution option that marks the write sessions' transactions (Database.write).
WRITE_OPTION = "consult_desk_write"


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
    """Create an engine with the engine-specific settings of ``db/dialect.py``.

    SQLite: WAL, synchronous=FULL, foreign keys and a busy timeout on every connection, and
    write transactions that take the write lock up front. PostgreSQL: write transactions
    that queue behind each other the same way (so every service behaves as on SQLite).
    """
    if not is_sqlite(url):
        engine = create_engine(
            url,
            pool_pre_ping=True,  # the server may have restarted or a laptop slept
            connect_args={"application_name": "consult-desk"},
        )
    else:
        path = sqlite_path(url)
        if path is not None:
            _prepare_sqlite_file(path)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
            dialect.configure_sqlite_connection(dbapi_connection, BUSY_TIMEOUT_MS)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        dialect.begin_transaction(connection, write=write, timeout_ms=BUSY_TIMEOUT_MS)

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
    # SQLite's "database is locked"; PostgreSQL's lock timeout, deadlock (the other one won)
    # and serialization failure: in each case nothing was saved and trying again works.
    if any(
        word in text
        for word in ("locked", "busy", "lock timeout", "deadlock", "could not serialize")
    ):
        return StorageError("storage.locked", text)
    # PostgreSQL: the server cannot be reached, refuses the login, or lacks the database.
    if "authentication failed" in text or "no password supplied" in text:
        return StorageError("storage.server_login", text)
    if "connection failed" in text or "connection refused" in text or "could not translate" in text:
        return StorageError("storage.server_unreachable", text)
    if "does not exist" in text and "database" in text:
        return StorageError("storage.server_no_database", text)
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
            self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
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

"""Test databases on either engine: SQLite files (the default) or a PostgreSQL server.

``pytest --db-url postgresql+psycopg://postgres@127.0.0.1:PORT/postgres`` (or the environment
variable ``CONSULT_DESK_TEST_PG``) runs the engine-neutral tests against PostgreSQL:
``scripts/pg start DIR`` starts a throwaway server and prints that URL. The URL names a role
that may create databases. Every test gets a database of its own: a clone of a source
database (the template built once per session through the migrations, or a filled one such
as the permission tests' world) made with ``CREATE DATABASE … TEMPLATE …``. A clone handed
back with :meth:`TestDatabases.release` is emptied and refilled with its source's rows and
reused, which is much quicker than cloning again; one whose schema a test changed is dropped.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from consult_desk.db.base import Base
from consult_desk.db.engine import Database
from consult_desk.db.migrate import upgrade_to_head

ENV_TEST_PG = "CONSULT_DESK_TEST_PG"

Rows = dict[str, list[dict[str, Any]]]


def _quoted(name: str) -> str:
    assert name.replace("_", "").isalnum(), name  # our own names only
    return f'"{name}"'


def _layout(connection: Connection) -> tuple[Any, ...]:
    """The schema's revision and the shape of its tables (PostgreSQL, from the catalog)."""
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    shape = connection.execute(
        text(
            "SELECT count(*), sum(relnatts) FROM pg_class"
            " WHERE relnamespace = 'public'::regnamespace"
        )
    ).one()
    return (tuple(revision), tuple(shape))


class TestDatabases:
    """Fresh databases at this build's schema, and copies of filled ones."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, server: str | None, folder: Path) -> None:
        self.server = server
        self._folder = folder
        self._names = itertools.count(1)
        self._admin: Engine | None = None
        self._template: str | None = None
        self._made: list[str] = []
        # PostgreSQL reuse: source URL → clones reset to it; clone URL → its source; the
        # source's rows and layout, read once.
        self._pools: dict[str, list[str]] = {}
        self._origin: dict[str, str] = {}
        self._snapshots: dict[str, tuple[Rows, tuple[Any, ...]]] = {}

    @property
    def is_postgresql(self) -> bool:
        return self.server is not None

    # --- PostgreSQL -------------------------------------------------------------------------

    def _admin_engine(self) -> Engine:
        if self._admin is None:
            assert self.server is not None
            self._admin = create_engine(
                self.server, isolation_level="AUTOCOMMIT", poolclass=NullPool
            )
        return self._admin

    def _pg_url(self, name: str) -> str:
        assert self.server is not None
        return make_url(self.server).set(database=name).render_as_string(hide_password=False)

    def _pg_create(self, template: str | None) -> str:
        name = f"cdtest_{os.getpid()}_{next(self._names)}"
        clause = f" TEMPLATE {_quoted(template)}" if template else " TEMPLATE template0"
        with self._admin_engine().connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {_quoted(name)}{clause}")
        self._made.append(name)
        return name

    def _snapshot(self, source_url: str) -> tuple[Rows, tuple[Any, ...]]:
        """The source's rows, table by table, and its layout (read once per source)."""
        if source_url not in self._snapshots:
            engine = create_engine(source_url, poolclass=NullPool)
            with engine.connect() as connection:
                rows: Rows = {}
                for table in Base.metadata.sorted_tables:
                    found = [dict(row._mapping) for row in connection.execute(select(table))]
                    if found:
                        rows[table.name] = found
                self._snapshots[source_url] = (rows, _layout(connection))
            engine.dispose()
        return self._snapshots[source_url]

    def _reset(self, url: str, source_url: str) -> bool:
        """Put the source's rows and id sequences back into ``url``; False when a test
        changed the schema (a migration test) or the reset fails."""
        rows, layout = self._snapshot(source_url)
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql("SET LOCAL lock_timeout = 2000")
                if _layout(connection) != layout:
                    return False
                ordered = Base.metadata.sorted_tables
                # One round trip each for emptying the tables and for the id sequences.
                connection.exec_driver_sql(
                    "; ".join(f"DELETE FROM {t.name}" for t in reversed(ordered))
                )
                for table in ordered:
                    if table.name in rows:
                        connection.execute(table.insert(), rows[table.name])
                serial = [t.name for t in ordered if "id" in t.c]
                connection.exec_driver_sql(
                    "SELECT "
                    + ", ".join(
                        f"setval(pg_get_serial_sequence('{name}', 'id'),"
                        f" COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
                        for name in serial
                    )
                )
            return True
        except DBAPIError:
            return False
        finally:
            engine.dispose()

    # --- both -------------------------------------------------------------------------------

    def template(self) -> str:
        """The URL of an empty database built through the migrations (made once)."""
        if self._template is None:
            if self.server is None:
                path = self._folder / "template.sqlite"
                url = f"sqlite:///{path}"
            else:
                url = self._pg_url(self._pg_create(None))
            database = Database(url)
            upgrade_to_head(database.engine)
            self.checkpoint(database)
            self._template = url
        return self._template

    def empty(self, folder: Path, name: str = "desk.sqlite") -> str:
        """A URL for a database with no tables at all (for migration tests)."""
        if self.server is None:
            return f"sqlite:///{folder / name}"
        return self._pg_url(self._pg_create(None))

    def copy(self, source_url: str, folder: Path, name: str = "desk.sqlite") -> str:
        """A new database holding what ``source_url`` holds; nobody may be connected to it.

        SQLite: the file is copied to ``folder/name``. PostgreSQL: a clone reset earlier to
        the same source, else a new clone. Hand it back with :meth:`release`.
        """
        if make_url(source_url).get_backend_name() == "sqlite":
            source = make_url(source_url).database
            assert source
            target = folder / name
            shutil.copyfile(source, target)
            return f"sqlite:///{target}"
        pool = self._pools.setdefault(source_url, [])
        if pool:
            url = pool.pop()
        else:
            source_name = make_url(source_url).database
            assert source_name
            url = self._pg_url(self._pg_create(source_name))
        self._origin[url] = source_url
        return url

    def fresh(self, folder: Path, name: str = "desk.sqlite") -> str:
        """A new database at this build's schema, holding only the reference data."""
        return self.copy(self.template(), folder, name)

    def sqlite(self, folder: Path, name: str = "desk.sqlite") -> str:
        """A new SQLite file at this build's schema, whichever engine is under test (for
        comparing the engines)."""
        template = self._folder / "sqlite-template.sqlite"
        if not template.exists():
            database = Database(f"sqlite:///{template}")
            upgrade_to_head(database.engine)
            self.checkpoint(database)
        shutil.copyfile(template, folder / name)
        return f"sqlite:///{folder / name}"

    def release(self, url: str) -> None:
        """A test is done with ``url`` (nobody is connected any more): on PostgreSQL reuse it
        if it can be reset to its source, else drop it."""
        if self.server is None:
            return
        source = self._origin.pop(url, None)
        if source is not None and self._reset(url, source):
            self._pools[source].append(url)
        else:
            self.drop(url)

    def drop(self, url: str) -> None:
        """Remove a database made here (SQLite files go with the test's folder)."""
        if self.server is None:
            return
        name = make_url(url).database
        assert name
        with self._admin_engine().connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")
        if name in self._made:
            self._made.remove(name)
        self._origin.pop(url, None)

    def close(self) -> None:
        if self.server is not None:
            for name in reversed(list(self._made)):
                self.drop(self._pg_url(name))
        if self._admin is not None:
            self._admin.dispose()

    def checkpoint(self, database: Database) -> None:
        """Make a database safe to copy: SQLite folds its WAL into the file; then close it."""
        if database.dialect == "sqlite":
            with database.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        database.dispose()

"""Alembic environment: the app and tests pass a connection; the CLI passes -x url=..."""

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.types import TypeDecorator

from consult_desk.db import models  # noqa: F401  (registers every table on Base.metadata)
from consult_desk.db.base import Base
from consult_desk.db.engine import make_engine
from consult_desk.db.migrate import check_foreign_keys, include_object, sqlite_migration_mode

target_metadata = Base.metadata


def render_item(type_, obj, autogen_context):  # type: ignore[no-untyped-def]
    # Migrations must not import today's code: render our column types as their storage type.
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl_instance!r}"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
        compare_server_default=True,
        include_object=include_object,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("alembic needs -x url=DATABASE_URL")
    # The developers' `alembic -x url=...` path gets the same SQLite safety as the app:
    # foreign keys off while tables are rebuilt, then checked before the commit.
    engine = make_engine(url)
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            with sqlite_migration_mode(connection), connection.begin():
                _run(connection)
                check_foreign_keys(connection)
        else:
            with connection.begin():
                _run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) mode is not supported")
run_migrations_online()

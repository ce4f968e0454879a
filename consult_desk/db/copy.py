"""Copy a whole database to another engine: how an office moves from one PC's SQLite file to
the section's PostgreSQL server (``consult-desk db copy --from FILE --to URL``).

- The source must be at this build's schema (``db upgrade`` it first); it is only read.
- The target must be new: no tables (it is then built through the migrations, never
  create_all) or at this build's schema and never used by the app (no staff, no audit log,
  no business or consultation). The reference rows the migrations put there are replaced by
  the source's, which may have been edited.
- Every table of the models but the derived ``report_month`` is copied in dependency order
  (parents first), in chunks walked by primary key, inside one transaction on the target;
  PostgreSQL's id sequences are moved past the copied ids; then each table's row count and a
  checksum of its rows (read back from the target) are compared with the source. Any
  difference rolls the whole copy back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Integer, Table, func, select, tuple_
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from consult_desk.db import dialect, models  # noqa: F401  (models registers every table)
from consult_desk.db.base import Base
from consult_desk.db.engine import WRITE_OPTION, Database
from consult_desk.db.migrate import SchemaState, schema_state, upgrade_to_head
from consult_desk.domain.errors import SchemaError

CHUNK_ROWS = 2_000
# A target holding rows in any of these has been used by the app: never overwrite it.
USED_WHEN_ROWS_IN = ("staff", "audit_log", "business", "consultation")


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table: rows and checksum in the source, and as read back from the target."""

    name: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def ok(self) -> bool:
        return (self.source_rows, self.source_checksum) == (
            self.target_rows,
            self.target_checksum,
        )


# Derived data, not copied: the target's own triggers mark its months as changed while the
# consultations are copied, and its next reports count them again (services/report_cache.py).
DERIVED = frozenset({"report_month"})


def tables() -> list[Table]:
    """Every table of the models that holds records, parents before children."""
    return [table for table in Base.metadata.sorted_tables if table.name not in DERIVED]


def _canonical(value: Any) -> str:
    """One value as text that is the same whichever engine returned it."""
    if value is None:
        return "\x00"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _chunks(connection: Connection, table: Table, size: int) -> Iterator[list[Any]]:
    """The table's rows in primary-key order, ``size`` at a time (keyset, never OFFSET)."""
    key = list(table.primary_key.columns)
    last: list[Any] | None = None
    while True:
        stmt = select(table).order_by(*key).limit(size)
        if last is not None:
            if len(key) == 1:
                stmt = stmt.where(key[0] > last[0])
            else:
                stmt = stmt.where(tuple_(*key) > tuple_(*last))
        rows = list(connection.execute(stmt))
        if not rows:
            return
        yield rows
        last = [rows[-1]._mapping[column.name] for column in key]


def table_checksum(connection: Connection, table: Table) -> tuple[int, str]:
    """(row count, SHA-256 over every row in primary-key order)."""
    digest = hashlib.sha256()
    count = 0
    for rows in _chunks(connection, table, CHUNK_ROWS):
        for row in rows:
            for value in row:
                text = _canonical(value)
                digest.update(f"{len(text)}:{text};".encode())
            digest.update(b"\n")
        count += len(rows)
    return count, digest.hexdigest()


def _same_database(source: str, target: str) -> bool:
    a, b = make_url(source), make_url(target)
    return (a.get_backend_name(), a.host, a.port, a.database) == (
        b.get_backend_name(),
        b.host,
        b.port,
        b.database,
    )


def _prepare_target(target: Database) -> None:
    state = schema_state(target.engine)
    if state is SchemaState.EMPTY:
        upgrade_to_head(target.engine)
        return
    if state is not SchemaState.CURRENT:
        raise SchemaError("copy.target_not_empty", state.value)
    by_name = Base.metadata.tables
    with target.engine.connect() as connection:
        for name in USED_WHEN_ROWS_IN:
            if connection.execute(select(func.count()).select_from(by_name[name])).scalar():
                raise SchemaError("copy.target_not_empty", name)


def copy_database(
    source_url: str,
    target_url: str,
    *,
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[str, int], None] | None = None,
) -> list[TableCopy]:
    """Copy every row of ``source_url`` into the new database ``target_url`` and verify it.

    Returns one :class:`TableCopy` per table (all ``ok``); raises ``SchemaError`` with
    ``copy.*`` codes when the source or target is not fit, a row is refused by the target,
    or a count or checksum differs (the target is then left as it was).
    """
    if _same_database(source_url, target_url):
        raise SchemaError("copy.same_database")
    source = Database(source_url)
    target = Database(target_url)
    try:
        if schema_state(source.engine) is not SchemaState.CURRENT:
            raise SchemaError("copy.source_not_current")
        _prepare_target(target)
        ordered = tables()
        writes = target.engine.execution_options(**{WRITE_OPTION: True})
        reads = source.engine
        if reads.dialect.name == "postgresql":  # one snapshot for the copy and its check
            reads = reads.execution_options(isolation_level="REPEATABLE READ")
        with reads.connect() as reading, writes.begin() as writing:
            for table in reversed(ordered):  # the migrations' reference rows
                writing.execute(table.delete())
            for table in ordered:
                copied = 0
                for rows in _chunks(reading, table, chunk_rows):
                    try:
                        writing.execute(table.insert(), [dict(row._mapping) for row in rows])
                    except DBAPIError as exc:
                        raise SchemaError(
                            "copy.row_refused", f"{table.name}: {exc.orig or exc}"
                        ) from exc
                    copied += len(rows)
                if progress is not None:
                    progress(table.name, copied)
            dialect.reset_id_sequences(writing, [t.name for t in ordered if _has_serial_id(t)])
            results = []
            for table in ordered:
                count, checksum = table_checksum(reading, table)
                target_count, target_checksum = table_checksum(writing, table)
                results.append(
                    TableCopy(table.name, count, target_count, checksum, target_checksum)
                )
            if not all(result.ok for result in results):
                bad = ", ".join(r.name for r in results if not r.ok)
                raise SchemaError("copy.mismatch", bad)  # leaving the block rolls back
        return results
    finally:
        source.dispose()
        target.dispose()


def _has_serial_id(table: Table) -> bool:
    key = list(table.primary_key.columns)
    return (
        len(key) == 1
        and key[0].name == "id"
        and isinstance(key[0].type, Integer)
        and key[0].autoincrement in (True, "auto")
    )

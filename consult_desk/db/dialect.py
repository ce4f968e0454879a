"""The few statements only one engine understands, kept in one tested place.

Everything else in the code base is portable SQLAlchemy. What differs between SQLite and
PostgreSQL lives here:

- write transactions that queue (SQLite's BEGIN IMMEDIATE; a PostgreSQL advisory lock), and
  the audit chain's own lock,
- moving id sequences past explicitly given ids (PostgreSQL),
- text matching: SQLite's FTS5 trigram tables (migration 0004) versus PostgreSQL's pg_trgm
  GIN indexes (migration 0008), and LIKE's case rules, which differ between the engines;
  an import batch's businesses indexed in one statement instead of by FTS5's trigger,
- SQLite's connection settings and migration mode, and the checks ``db check`` runs on each
  engine.

Modules that exist only for SQLite files (``services/backups.py``, ``migrate.backup_sqlite``:
copies of the file) use SQLite's statements directly; on PostgreSQL backups are the server's
(pg_dump, docs/postgresql.md).

Conditions that depend on the engine are built as :class:`ByDialect` elements: the choice is
made when the statement is compiled, so services build one statement for both engines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import Grouping
from sqlalchemy.sql.visitors import InternalTraversal

# Any constant works; it names "the audit chain" among PostgreSQL's advisory locks.
AUDIT_CHAIN_LOCK = 727_001

_ASCII_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz"

# The collations whose order is the code-point order SQLite sorts by (BINARY).
BYTE_ORDER_COLLATIONS = frozenset({"C", "POSIX", "C.UTF-8", "C.utf8", "ucs_basic"})


def _name(bind: Connection | Session) -> str:
    connection = bind if isinstance(bind, Connection) else bind.get_bind()
    return connection.dialect.name


# --- connections and transactions ---------------------------------------------------------

# PostgreSQL advisory lock taken by every write transaction (Database.write): writers queue
# as SQLite's BEGIN IMMEDIATE makes them queue. Services read, check (versions, limits,
# next numbers such as max()+1) and then write; under READ COMMITTED two writers could both
# pass the checks. Saves are short and few (people typing), so one at a time costs nothing,
# and readers never wait (MVCC).
WRITE_LOCK = 727_000


def configure_sqlite_connection(raw: Any, busy_timeout_ms: int) -> None:
    """Settings for each new SQLite connection (the sqlite3 module's own connection)."""
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see
    # begin_transaction).
    raw.isolation_level = None
    cursor = raw.cursor()
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
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.close()


def begin_transaction(connection: Connection, *, write: bool, timeout_ms: int) -> None:
    """Start a transaction; a write transaction first waits for its turn to write.

    SQLite: ``BEGIN IMMEDIATE`` takes the write lock up front (a deferred transaction that
    later tries to upgrade can fail at once with "database is locked" instead of waiting).
    PostgreSQL: the transaction takes :data:`WRITE_LOCK`, waiting at most ``timeout_ms``.
    """
    name = connection.dialect.name
    if name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
    elif name == "postgresql" and write:
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(timeout_ms)}")
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})


# --- writes --------------------------------------------------------------------------------


def lock_audit_chain(session: Session) -> None:
    """Serialise appends to the audit chain until the transaction ends.

    SQLite write transactions already run one at a time (BEGIN IMMEDIATE); on PostgreSQL two
    writers could read the same last hash and fork the chain.
    """
    if _name(session) == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_CHAIN_LOCK})


def reset_id_sequences(connection: Connection | Session, tables: Iterable[str]) -> None:
    """After rows were inserted with explicit ids, move PostgreSQL's id sequences past them.

    SQLite takes the next id from the table itself, so there is nothing to do there.
    """
    if _name(connection) != "postgresql":
        return
    for name in tables:
        assert name.isidentifier(), name  # our own table names only
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
            )
        )


# --- conditions chosen when the statement is compiled ---------------------------------------


class ByDialect(ColumnElement[bool]):
    """A condition written one way per engine, ``default`` for an engine not named.

    The engine is only known when the statement is compiled, so the choice is made there.
    """

    inherit_cache = True
    type = Boolean()
    # A comparison, not a boolean column: without this SQLite gets "(… IN (…)) = 1", which
    # hides the IN from the planner (a full scan instead of rowid look-ups).
    _is_implicitly_boolean = True
    _traverse_internals = [  # noqa: RUF012  (SQLAlchemy reads it from the class)
        ("sqlite", InternalTraversal.dp_clauseelement),
        ("postgresql", InternalTraversal.dp_clauseelement),
        ("default", InternalTraversal.dp_clauseelement),
    ]

    def __init__(
        self,
        default: ColumnElement[bool],
        *,
        sqlite: ColumnElement[bool] | None = None,
        postgresql: ColumnElement[bool] | None = None,
    ) -> None:
        self.default = default
        self.sqlite = sqlite if sqlite is not None else default
        self.postgresql = postgresql if postgresql is not None else default

    def choose(self, dialect_name: str) -> ColumnElement[bool]:
        by_name: Mapping[str, ColumnElement[bool]] = {
            "sqlite": self.sqlite,
            "postgresql": self.postgresql,
        }
        return by_name.get(dialect_name, self.default)

    @property
    def _from_objects(self) -> list[Any]:
        return self.default._from_objects


@compiles(ByDialect)
def _compile_by_dialect(element: ByDialect, compiler: SQLCompiler, **kw: Any) -> str:
    # In parentheses: the enclosing AND/NOT cannot see inside, and "a AND b OR c" would
    # bind the other way.
    return compiler.process(Grouping(element.choose(compiler.dialect.name)), **kw)


def _ascii_lower(value: str) -> str:
    return value.translate(str.maketrans(_ASCII_UPPER, _ASCII_LOWER))


def like_ascii_ci(column: Any, pattern: str) -> ColumnElement[bool]:
    """``column LIKE pattern`` (escape ``\\``) with SQLite's rule on every engine: ASCII
    letters match either case, every other character only itself.

    PostgreSQL's LIKE is case-sensitive and its ILIKE folds every alphabet, so there the
    column's ASCII letters are lowered with ``translate`` and so is the pattern.
    """
    plain = column.like(pattern, escape="\\")
    folded = func.translate(column, _ASCII_UPPER, _ASCII_LOWER).like(
        _ascii_lower(pattern), escape="\\"
    )
    return ByDialect(plain, postgresql=folded)


def nfkc(column: Any) -> ColumnElement[str]:
    """PostgreSQL's ``normalize(column, NFKC)`` (the expression the trigram indexes hold)."""
    return func.normalize(column, literal_column("NFKC"))


def trigram_contains(column: Any, pattern: str, *, normalized: bool) -> ColumnElement[bool]:
    """PostgreSQL: the column (NFKC-normalised first unless ``normalized``) contains the LIKE
    ``pattern`` in any letter case: what an FTS5 trigram phrase matches on SQLite. Served by
    the pg_trgm GIN indexes of migration 0008 (the same expression)."""
    value = column if normalized else nfkc(column)
    return value.ilike(pattern, escape="\\")


_FTS_TABLES = {
    "business_fts": table("business_fts", literal_column("rowid")),
    "consultation_fts": table("consultation_fts", literal_column("rowid")),
}


def fts5_hits(fts_table: str, query: str) -> Any:
    """SQLite: ``SELECT rowid FROM <fts_table> WHERE <fts_table> MATCH :query``."""
    source = _FTS_TABLES[fts_table]
    return (
        select(literal_column("rowid"))
        .select_from(source)
        .where(literal_column(fts_table).op("MATCH")(literal(query)))
    )


def fts5_count(session: Session, fts_table: str, query: str) -> int:
    """SQLite: how many rows the FTS5 table matches (the index answers alone)."""
    source = _FTS_TABLES[fts_table]
    stmt = (
        select(func.count())
        .select_from(source)
        .where(literal_column(fts_table).op("MATCH")(literal(query)))
    )
    return int(session.execute(stmt).scalar_one())


def unary_plus(column_sql: str) -> ColumnElement[Any]:
    """SQLite: ``+column`` keeps the planner from using the column as an index key."""
    assert column_sql.replace(".", "").replace("_", "").isalnum(), column_sql
    return literal_column(f"+{column_sql}")


# --- migrations -----------------------------------------------------------------------------


def sqlite_migration_settings(raw: Any, *, foreign_keys: bool) -> None:
    """SQLite, outside a transaction: WAL (persistent, so a file we build is WAL from the
    start) and foreign keys off while batch mode rebuilds tables, on again afterwards."""
    if not foreign_keys:
        raw.execute("PRAGMA journal_mode=WAL")
    raw.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")


def sqlite_foreign_key_violations(connection: Connection) -> list[Any]:
    """SQLite: the rows whose foreign keys point nowhere (PostgreSQL never allows them)."""
    if connection.dialect.name != "sqlite":
        return []
    return list(connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall())


# --- checks ---------------------------------------------------------------------------------


def integrity_check(connection: Connection) -> tuple[list[str], int] | None:
    """SQLite: (what ``integrity_check`` says, ``["ok"]`` when all is well; how many rows
    have broken foreign keys). PostgreSQL keeps its files consistent and its foreign keys
    enforced itself: None there."""
    if connection.dialect.name != "sqlite":
        return None
    rows = [str(row) for row in connection.exec_driver_sql("PRAGMA integrity_check").scalars()]
    return rows, len(sqlite_foreign_key_violations(connection))


def collation(connection: Connection) -> str | None:
    """PostgreSQL: the database's collation (sort order of text); None on SQLite."""
    if connection.dialect.name != "postgresql":
        return None
    return str(
        connection.execute(
            text("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        ).scalar_one()
    )


def trigram_search(connection: Connection) -> str | None:
    """PostgreSQL: whether the trigram indexes can serve Japanese searches. None on SQLite;
    "missing" without the pg_trgm extension; "no_japanese" where the database's character
    classes (LC_CTYPE C) give kanji and kana no trigrams (results stay right, only the index
    is not used); "ok"."""
    if connection.dialect.name != "postgresql":
        return None
    if not connection.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first():
        return "missing"
    grams = connection.execute(text("SELECT show_trgm('資金繰り')")).scalar_one()
    return "ok" if grams else "no_japanese"


# The search index's insert trigger on SQLite (migration 0004), and the same insert for a whole
# batch at once. Filling the index row by row from the trigger takes ten times as long as one
# INSERT … SELECT after the rows (10 s against 1 s for 100,000 businesses).
_FTS_TRIGGER = "business_fts_ai"
_FTS_TRIGGER_SQL = (
    "CREATE TRIGGER business_fts_ai AFTER INSERT ON business BEGIN"
    " INSERT INTO business_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
)
_FTS_FILL_SQL = (
    "INSERT INTO business_fts(rowid, search_text)"
    " SELECT id, search_text FROM business WHERE import_batch_id = :batch"
)


@contextmanager
def business_index_filled_after(session: Session, batch_id: int) -> Iterator[None]:
    """On SQLite, insert the batch's businesses without the index trigger, then index them
    in one statement and put the trigger back, all in the import's transaction (other
    connections never see the trigger gone: they cannot write meanwhile and read the last
    commit). The trigger is left alone unless it is exactly the one this code knows."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    found = session.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
        {"name": _FTS_TRIGGER},
    ).scalar()
    if found is None or " ".join(found.split()) != _FTS_TRIGGER_SQL:
        yield
        return
    session.execute(text(f"DROP TRIGGER {_FTS_TRIGGER}"))
    yield
    session.execute(text(_FTS_FILL_SQL), {"batch": batch_id})
    session.execute(text(found))

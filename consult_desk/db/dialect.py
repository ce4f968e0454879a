"""The few statements only one engine understands, kept in one tested place."""

from collections.abc import Iterable

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

# Any constant works; it names "the audit chain" among PostgreSQL's advisory locks.
AUDIT_CHAIN_LOCK = 727_001


def lock_audit_chain(session: Session) -> None:
    """Serialise appends to the audit chain until the transaction ends.

    SQLite write transactions already run one at a time (BEGIN IMMEDIATE); on PostgreSQL two
    writers could read the same last hash and fork the chain.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_CHAIN_LOCK})


def reset_id_sequences(connection: Connection | Session, tables: Iterable[str]) -> None:
    """After rows were inserted with explicit ids, move PostgreSQL's id sequences past them.

    SQLite takes the next id from the table itself, so there is nothing to do there.
    """
    bind = connection if isinstance(connection, Connection) else connection.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in tables:
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        )

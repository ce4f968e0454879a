"""The engine-specific SQL of db/dialect.py, compiled for each engine (no database needed)."""

from typing import Any

import pytest
from sqlalchemy import column, select, table
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError

from consult_desk.db.dialect import ByDialect, fts5_hits, like_ascii_ci, trigram_contains
from consult_desk.db.engine import storage_error

notes = table("notes", column("id"), column("body"))


def _sql(condition: Any, dialect: Any) -> str:
    stmt = select(notes.c.id).where(condition)
    return str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def test_like_means_what_sqlite_means_on_every_engine() -> None:
    condition = like_ascii_ci(notes.c.body, "%AbÄ\\_%")

    on_sqlite = _sql(condition, sqlite.dialect())
    on_postgresql = _sql(condition, postgresql.dialect())

    assert "notes.body LIKE '%AbÄ\\_%' ESCAPE '\\'" in on_sqlite
    # PostgreSQL: only the ASCII letters folded, on both sides; Ä stays as typed.
    assert (
        "translate(notes.body, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
        " LIKE '%%abÄ\\_%%' ESCAPE '\\'" in on_postgresql  # % doubled for the driver
    )
    assert "translate" not in _sql(condition, mysql.dialect())


def test_long_words_on_postgresql_match_the_trigram_indexes_expression() -> None:
    raw = _sql(trigram_contains(notes.c.body, "%資金繰り%", normalized=False), postgresql.dialect())
    stored = _sql(
        trigram_contains(notes.c.body, "%資金繰り%", normalized=True), postgresql.dialect()
    )

    # (% is doubled for the driver's parameter style)
    assert "normalize(notes.body, NFKC) ILIKE '%%資金繰り%%'" in raw
    assert "notes.body ILIKE '%%資金繰り%%'" in stored and "normalize" not in stored


def test_fts5_hits_select_rowids_by_match() -> None:
    sql = str(fts5_hits("business_fts", '"神田"').compile(dialect=sqlite.dialect()))
    assert " ".join(sql.split()) == "SELECT rowid FROM business_fts WHERE business_fts MATCH ?"
    with pytest.raises(KeyError):
        fts5_hits("business; DROP TABLE business", "x")


def test_by_dialect_chooses_when_compiled_and_stays_one_group() -> None:
    choice = ByDialect(
        notes.c.id == 1, sqlite=notes.c.id == 2, postgresql=(notes.c.id == 3) | (notes.c.id == 4)
    )
    stmt = select(notes.c.id).where(notes.c.body.is_not(None), choice)

    def where(dialect: Any) -> str:
        compiled = stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        return str(compiled).split("WHERE", 1)[1].strip()

    assert where(sqlite.dialect()) == "notes.body IS NOT NULL AND (notes.id = 2)"
    assert where(postgresql.dialect()) == (
        "notes.body IS NOT NULL AND (notes.id = 3 OR notes.id = 4)"
    )
    assert where(mysql.dialect()) == "notes.body IS NOT NULL AND (notes.id = 1)"


class _Orig(Exception):
    pass


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("canceling statement due to lock timeout", "storage.locked"),
        ("deadlock detected", "storage.locked"),
        ("could not serialize access due to concurrent update", "storage.locked"),
        ("database is locked", "storage.locked"),
        (
            'connection failed: connection to server at "192.0.2.1", port 5432 failed:'
            " Connection refused",
            "storage.server_unreachable",
        ),
        (
            'connection failed: could not translate host name "db-server" to address',
            "storage.server_unreachable",
        ),
        (
            'FATAL:  password authentication failed for user "consult_desk"',
            "storage.server_login",
        ),
        ("fe_sendauth: no password supplied", "storage.server_login"),
        ('FATAL:  database "consult_desk" does not exist', "storage.server_no_database"),
    ],
)
def test_server_failures_become_messages_the_user_can_act_on(message: str, code: str) -> None:
    error = OperationalError("SELECT 1", {}, _Orig(message))

    found = storage_error(error)

    assert found is not None and found.code == code


def test_a_bug_is_not_dressed_up_as_a_storage_failure() -> None:
    error = DBAPIError("SELECT x", {}, _Orig('column "x" does not exist'))
    assert storage_error(error) is None

"""full-text search: FTS5 trigram indexes over businesses and consultations (SQLite)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

On SQLite this adds two FTS5 tables with the trigram tokenizer (every 3-character window is a
token, so Japanese needs no dictionary; queries of 1–2 characters cannot use it and fall back
to LIKE in ``consult_desk/services/search.py``):

- ``business_fts(search_text)``: an external-content table over ``business`` (content='business',
  content_rowid='id'). ``business.search_text`` is already normalised (NFKC, kana, case) by the
  app, so the index reads it straight from the table.
- ``consultation_fts(summary, advice)``: a table with its own content, rowid = consultation.id.
  ``summary`` and ``advice`` are saved as typed (only stripped), not NFKC-normalised, so this
  revision fills the index with NFKC-normalised copies of the existing rows; the triggers copy
  new values as the app saves them. A table with its own content deletes by rowid, so the
  index stays consistent even where its text differs from the row's (an external-content
  table's 'delete' needs exactly the indexed values).

AFTER INSERT / UPDATE / DELETE triggers keep both in sync.

WARNING: any later batch migration (``op.batch_alter_table``) that recreates ``business`` or
``consultation`` on SQLite drops these triggers with the old table, and the index then goes
stale without an error. Such a migration must re-create the triggers afterwards (import nothing
from here: copy the statements) and rebuild the index
(``INSERT INTO business_fts(business_fts) VALUES('rebuild')``; for consultation_fts delete
and refill it). ``migrations/env.py`` hides every table whose name contains "_fts" from
autogenerate, so these tables and their shadow tables never show up as differences.

On PostgreSQL this revision does nothing for now: a later revision adds pg_trgm GIN indexes,
and until then the services search with LIKE there.
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5000

_CREATE = (
    # --- business: external content, the app stores search_text normalised ---------------
    "CREATE VIRTUAL TABLE business_fts USING fts5("
    "search_text, content='business', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER business_fts_ai AFTER INSERT ON business BEGIN"
    " INSERT INTO business_fts(rowid, search_text) VALUES (new.id, new.search_text);"
    " END",
    "CREATE TRIGGER business_fts_ad AFTER DELETE ON business BEGIN"
    " INSERT INTO business_fts(business_fts, rowid, search_text)"
    " VALUES ('delete', old.id, old.search_text);"
    " END",
    # Only when the indexed column (or the id) is written: archiving or a version bump
    # leaves the index alone.
    "CREATE TRIGGER business_fts_au AFTER UPDATE OF id, search_text ON business BEGIN"
    " INSERT INTO business_fts(business_fts, rowid, search_text)"
    " VALUES ('delete', old.id, old.search_text);"
    " INSERT INTO business_fts(rowid, search_text) VALUES (new.id, new.search_text);"
    " END",
    # --- consultation: own content (normalised copies), rowid = consultation.id ------------
    "CREATE VIRTUAL TABLE consultation_fts USING fts5(summary, advice, tokenize='trigram')",
    "CREATE TRIGGER consultation_fts_ai AFTER INSERT ON consultation BEGIN"
    " INSERT INTO consultation_fts(rowid, summary, advice)"
    " VALUES (new.id, new.summary, new.advice);"
    " END",
    "CREATE TRIGGER consultation_fts_ad AFTER DELETE ON consultation BEGIN"
    " DELETE FROM consultation_fts WHERE rowid = old.id;"
    " END",
    "CREATE TRIGGER consultation_fts_au AFTER UPDATE OF id, summary, advice ON consultation BEGIN"
    " DELETE FROM consultation_fts WHERE rowid = old.id;"
    " INSERT INTO consultation_fts(rowid, summary, advice)"
    " VALUES (new.id, new.summary, new.advice);"
    " END",
)

_DROP = (
    "DROP TRIGGER IF EXISTS consultation_fts_au",
    "DROP TRIGGER IF EXISTS consultation_fts_ad",
    "DROP TRIGGER IF EXISTS consultation_fts_ai",
    "DROP TABLE IF EXISTS consultation_fts",
    "DROP TRIGGER IF EXISTS business_fts_au",
    "DROP TRIGGER IF EXISTS business_fts_ad",
    "DROP TRIGGER IF EXISTS business_fts_ai",
    "DROP TABLE IF EXISTS business_fts",
)


def _nfkc(text: str | None) -> str:
    # This revision's own copy of the rule (migrations never import today's code).
    return unicodedata.normalize("NFKC", text or "")


def _fill_consultation_fts(connection: sa.Connection) -> None:
    """Index the existing consultations, NFKC-normalised, in id order and in batches."""
    last_id = 0
    while True:
        rows = connection.exec_driver_sql(
            "SELECT id, summary, advice FROM consultation WHERE id > ? ORDER BY id LIMIT ?",
            (last_id, _BATCH),
        ).fetchall()
        if not rows:
            return
        connection.exec_driver_sql(
            "INSERT INTO consultation_fts(rowid, summary, advice) VALUES (?, ?, ?)",
            [(id_, _nfkc(summary), _nfkc(advice)) for id_, summary, advice in rows],
        )
        last_id = rows[-1][0]


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        return  # PostgreSQL: pg_trgm arrives in a later revision; LIKE until then.
    for statement in _CREATE:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql("INSERT INTO business_fts(business_fts) VALUES ('rebuild')")
    _fill_consultation_fts(connection)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        return
    for statement in _DROP:
        connection.exec_driver_sql(statement)

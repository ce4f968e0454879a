"""text search on PostgreSQL: pg_trgm GIN indexes (nothing changes on SQLite)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

PostgreSQL's counterpart of the SQLite FTS5 trigram tables of 0004. The services search with
LIKE/ILIKE (``consult_desk/db/dialect.py``), which pg_trgm's GIN operator class serves for
patterns holding at least one 3-character window:

- ``business.search_text``: already normalised (NFKC, kana, case) by the app, indexed as is.
- ``consultation.summary`` / ``advice``: saved as typed, so the indexes hold
  ``normalize(…, NFKC)`` (PostgreSQL 13+), as the FTS5 table holds NFKC-normalised copies;
  the queries use the same expression.

pg_trgm is a "trusted" extension: the owner of the database may create it without being a
superuser. Japanese text gets trigrams only where the database's character classes know it
(LC_CTYPE of a UTF-8 locale such as C.UTF-8 or ja_JP.UTF-8; docs/postgresql.md); elsewhere the
search still finds the same rows, only without the index.

``migrate.include_object`` hides these indexes (names ending in ``_trgm``) from autogenerate:
the models cannot describe them, and SQLite must not get them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, indexed expression)
INDEXES = (
    ("ix_business_search_text_trgm", "business", "search_text"),
    ("ix_consultation_summary_trgm", "consultation", "normalize(summary, NFKC)"),
    ("ix_consultation_advice_trgm", "consultation", "normalize(advice, NFKC)"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite searches through its FTS5 tables (0004)
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in INDEXES:
        op.execute(f"CREATE INDEX {name} ON {table} USING gin (({expression}) gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _, _ in reversed(INDEXES):
        op.execute(f"DROP INDEX IF EXISTS {name}")
    # The extension stays: other databases' objects or a later upgrade may use it.

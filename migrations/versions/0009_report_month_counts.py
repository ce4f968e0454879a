"""closed months' consultation counts, invalidated by triggers

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 19:40:00

The 月次報告's 年度累計 and the 年度報告 count every consultation of the 年度 by channel,
primary topic, area and 業種; at 500,000 consultations a 年度 that is seconds of work, over
months that rarely change. ``report_month`` keeps one row per calendar month ("2026-04"):
the counts of the month (JSON, written by ``services/report_cache.py``) and a ``generation``
that these triggers bump on every write that could change them:

- ``consultation``: a row inserted or deleted (its month); its date, ``deleted_at`` (trash,
  restore), channel or business changed (the old and the new month);
- ``consultation_topic_link``: a row inserted, deleted or changed (its consultation's month);
- ``business``: area or ``jsic_major`` changed (the months of its consultations).

The stored counts are used only while ``counted_generation`` equals ``generation``. Triggers,
not the services, keep it so that no write path can be missed: the forms, the import and its
undo, the trash, history restore and a hand-typed statement all bump it alike.

SQLite: row triggers (the table is tiny; updating it once per written row is cheap).
PostgreSQL: statement triggers with transition tables, so that a statement writing many rows
bumps each month once (updating one row thousands of times in a transaction would leave a
long chain of row versions behind).

WARNING: as in 0004, a later batch migration that recreates ``consultation``,
``consultation_topic_link`` or ``business`` on SQLite drops these triggers with the old table.
Such a migration must re-create them (copy the statements; import nothing from here) and
empty ``report_month``. ``tests/db/test_report_cache.py`` checks that they exist at head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite_bump(months: str) -> str:
    """Statements bumping the months that the SELECT ``months`` (one column) returns."""
    return (
        f" INSERT OR IGNORE INTO report_month (month, generation) SELECT m, 0 FROM ({months})"
        " WHERE m IS NOT NULL;"
        f" UPDATE report_month SET generation = generation + 1 WHERE month IN ({months});"
    )


_MONTH = "substr({row}.consulted_on, 1, 7)"  # dates are stored as 'YYYY-MM-DD'
_LINKED = (
    "SELECT substr(consulted_on, 1, 7) AS m FROM consultation WHERE id = {row}.consultation_id"
)

SQLITE_TRIGGERS = {
    "report_month_consultation_ai": (
        "AFTER INSERT ON consultation",
        _sqlite_bump(f"SELECT {_MONTH.format(row='new')} AS m"),
    ),
    "report_month_consultation_ad": (
        "AFTER DELETE ON consultation",
        _sqlite_bump(f"SELECT {_MONTH.format(row='old')} AS m"),
    ),
    "report_month_consultation_au": (
        "AFTER UPDATE OF consulted_on, deleted_at, channel_id, business_id ON consultation"
        " WHEN old.consulted_on IS NOT new.consulted_on OR old.deleted_at IS NOT new.deleted_at"
        " OR old.channel_id IS NOT new.channel_id OR old.business_id IS NOT new.business_id",
        _sqlite_bump(
            f"SELECT {_MONTH.format(row='old')} AS m UNION SELECT {_MONTH.format(row='new')}"
        ),
    ),
    "report_month_topic_link_ai": (
        "AFTER INSERT ON consultation_topic_link",
        _sqlite_bump(_LINKED.format(row="new")),
    ),
    "report_month_topic_link_ad": (
        "AFTER DELETE ON consultation_topic_link",
        _sqlite_bump(_LINKED.format(row="old")),
    ),
    "report_month_topic_link_au": (
        "AFTER UPDATE ON consultation_topic_link",
        _sqlite_bump(f"{_LINKED.format(row='old')} UNION {_LINKED.format(row='new')}"),
    ),
    "report_month_business_au": (
        "AFTER UPDATE OF area, jsic_major ON business"
        " WHEN old.area IS NOT new.area OR old.jsic_major IS NOT new.jsic_major",
        _sqlite_bump(
            "SELECT DISTINCT substr(consulted_on, 1, 7) AS m FROM consultation"
            " WHERE business_id = new.id"
        ),
    ),
}

_PG_BUMP = """
CREATE FUNCTION report_month_bump(months text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_month (month, generation)
    SELECT DISTINCT m, 0 FROM unnest(months) AS m WHERE m IS NOT NULL
    ON CONFLICT (month) DO NOTHING;
    UPDATE report_month SET generation = generation + 1 WHERE month = ANY (months);
END $$
"""

# One function per table; each trigger fires once per statement and names only the
# transition tables its event has (plpgsql plans a branch's statement when it first runs it).
_PG_FUNCTIONS = {
    "report_month_consultation": """
CREATE FUNCTION report_month_consultation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM report_month_bump(ARRAY(
            SELECT DISTINCT to_char(consulted_on, 'YYYY-MM') FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM report_month_bump(ARRAY(
            SELECT DISTINCT to_char(consulted_on, 'YYYY-MM') FROM old_rows));
    ELSE
        PERFORM report_month_bump(ARRAY(
            SELECT to_char(o.consulted_on, 'YYYY-MM')
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.consulted_on, o.deleted_at, o.channel_id, o.business_id)
                IS DISTINCT FROM (n.consulted_on, n.deleted_at, n.channel_id, n.business_id)
            UNION
            SELECT to_char(n.consulted_on, 'YYYY-MM')
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.consulted_on, o.deleted_at, o.channel_id, o.business_id)
                IS DISTINCT FROM (n.consulted_on, n.deleted_at, n.channel_id, n.business_id)));
    END IF;
    RETURN NULL;
END $$
""",
    "report_month_topic_link": """
CREATE FUNCTION report_month_topic_link() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM report_month_bump(ARRAY(
            SELECT DISTINCT to_char(c.consulted_on, 'YYYY-MM') FROM consultation c
            WHERE c.id IN (SELECT consultation_id FROM new_rows)));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM report_month_bump(ARRAY(
            SELECT DISTINCT to_char(c.consulted_on, 'YYYY-MM') FROM consultation c
            WHERE c.id IN (SELECT consultation_id FROM old_rows)));
    ELSE
        PERFORM report_month_bump(ARRAY(
            SELECT DISTINCT to_char(c.consulted_on, 'YYYY-MM') FROM consultation c
            WHERE c.id IN (SELECT consultation_id FROM old_rows
                           UNION SELECT consultation_id FROM new_rows)));
    END IF;
    RETURN NULL;
END $$
""",
    "report_month_business": """
CREATE FUNCTION report_month_business() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_month_bump(ARRAY(
        SELECT DISTINCT to_char(c.consulted_on, 'YYYY-MM') FROM consultation c
        WHERE c.business_id IN (
            SELECT n.id FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.area, o.jsic_major) IS DISTINCT FROM (n.area, n.jsic_major))));
    RETURN NULL;
END $$
""",
}

# (trigger, event and table, transition tables, function)
PG_TRIGGERS = (
    ("report_month_consultation_ai", "INSERT ON consultation", "NEW TABLE AS new_rows",
     "report_month_consultation"),
    ("report_month_consultation_ad", "DELETE ON consultation", "OLD TABLE AS old_rows",
     "report_month_consultation"),
    ("report_month_consultation_au", "UPDATE ON consultation",
     "OLD TABLE AS old_rows NEW TABLE AS new_rows", "report_month_consultation"),
    ("report_month_topic_link_ai", "INSERT ON consultation_topic_link",
     "NEW TABLE AS new_rows", "report_month_topic_link"),
    ("report_month_topic_link_ad", "DELETE ON consultation_topic_link",
     "OLD TABLE AS old_rows", "report_month_topic_link"),
    ("report_month_topic_link_au", "UPDATE ON consultation_topic_link",
     "OLD TABLE AS old_rows NEW TABLE AS new_rows", "report_month_topic_link"),
    ("report_month_business_au", "UPDATE ON business",
     "OLD TABLE AS old_rows NEW TABLE AS new_rows", "report_month_business"),
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "report_month",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("generation", sa.Integer(), server_default="0", nullable=False),
        sa.Column("counted_generation", sa.Integer(), nullable=True),
        sa.Column("consultation_counts", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_report_month")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_BUMP)
        for function in _PG_FUNCTIONS.values():
            op.execute(function)
        for name, event, tables, function in PG_TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} REFERENCING {tables}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
    else:
        for name, (event, body) in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {event} BEGIN{body} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, event, _, _ in reversed(PG_TRIGGERS):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {event.split(' ON ')[1]}")
        for function in reversed(_PG_FUNCTIONS):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
        op.execute("DROP FUNCTION IF EXISTS report_month_bump(text[])")
    else:
        for name in reversed(SQLITE_TRIGGERS):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("report_month")

"""covering indexes for the report figures over consultations

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, index name, columns). The 月次報告 and 年度報告 count a period's consultations by
# channel, business (area, 業種), primary topic and initiative: with these the counts read
# the indexes only, never the consultation rows with their long texts (benchmarks/reports.py).
INDEXES = (
    (
        "consultation",
        "ix_consultation_figures",
        ["consulted_on", "deleted_at", "channel_id", "business_id", "prospect_name"],
    ),
    (
        "consultation_topic_link",
        "ix_consultation_topic_link_primary",
        ["consultation_id", "is_primary", "topic_id"],
    ),
)


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for table, name, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)

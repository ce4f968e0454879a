"""indexes for paging dispatches and certifications and for the consultation links

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 14:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, index name, columns): keyset paging seeks on (date, id); the consultation form lists
# the cases and dispatches started from it.
INDEXES = (
    ("loan_case", "ix_loan_case_consultation_id", ["consultation_id"]),
    ("expert_dispatch", "ix_expert_dispatch_applied_on_id", ["applied_on", "id"]),
    ("expert_dispatch", "ix_expert_dispatch_consultation_id", ["consultation_id"]),
    (
        "safety_net_certification",
        "ix_safety_net_certification_applied_on_id",
        ["applied_on", "id"],
    ),
)


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for table, name, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)

"""loan case eligibility checklist, residence snapshot, more event kinds

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = "kind IN ('transition', 'undo', 'note')"
NEW_KINDS = "kind IN ('transition', 'undo', 'note', 'interview', 'prepayment', 'subsidy_stop')"
CHECKLIST = (
    "eligible_in_ward_year",
    "eligible_head_office",
    "eligible_taxes_paid",
    "eligible_no_virtual_office",
    "eligible_industry_covered",
)


def upgrade() -> None:
    with op.batch_alter_table("loan_case", schema=None) as batch_op:
        for name in CHECKLIST:
            batch_op.add_column(sa.Column(name, sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("representative_residence", sa.String(10), nullable=True))
        batch_op.add_column(sa.Column("chokai_member", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("limit_amount", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("loan_case_event", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_loan_case_event_kind"), type_="check")
        batch_op.create_check_constraint("kind", NEW_KINDS)


def downgrade() -> None:
    # Events of the new kinds cannot be expressed in the old schema: keep them as notes.
    op.execute(
        "UPDATE loan_case_event SET kind = 'note' "
        "WHERE kind IN ('interview', 'prepayment', 'subsidy_stop')"
    )
    with op.batch_alter_table("loan_case_event", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_loan_case_event_kind"), type_="check")
        batch_op.create_check_constraint("kind", OLD_KINDS)

    with op.batch_alter_table("loan_case", schema=None) as batch_op:
        batch_op.drop_column("limit_amount")
        batch_op.drop_column("chokai_member")
        batch_op.drop_column("representative_residence")
        for name in reversed(CHECKLIST):
            batch_op.drop_column(name)

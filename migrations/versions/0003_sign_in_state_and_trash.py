"""sign-in state, loan amount grant and trash

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 15:47:46.051912
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("business", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("deleted_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_business_deleted_by_id_staff"), "staff", ["deleted_by_id"], ["id"]
        )
        batch_op.create_index("ix_business_kind_sort_key", ["kind", "sort_key", "id"])

    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("deleted_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_consultation_deleted_by_id_staff"), "staff", ["deleted_by_id"], ["id"]
        )

    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_changed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("failed_sign_ins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("loan_amount_grant", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("loan_amount_grant")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_sign_ins")
        batch_op.drop_column("password_changed_at")

    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_consultation_deleted_by_id_staff"), type_="foreignkey"
        )
        batch_op.drop_column("deleted_by_id")
        batch_op.drop_column("deleted_at")

    with op.batch_alter_table("business", schema=None) as batch_op:
        batch_op.drop_index("ix_business_kind_sort_key")
        batch_op.drop_constraint(batch_op.f("fk_business_deleted_by_id_staff"), type_="foreignkey")
        batch_op.drop_column("deleted_by_id")
        batch_op.drop_column("deleted_at")

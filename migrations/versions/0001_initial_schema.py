"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 15:45:36.245538
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_setting",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_app_setting")),
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_kana", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_staff_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_staff_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("login", name=op.f("uq_staff_login")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("record_kind", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_audit_log_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_occurred_at", ["occurred_at"], unique=False)
        batch_op.create_index("ix_audit_log_record", ["record_kind", "record_id"], unique=False)

    op.create_table(
        "bank",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_bank_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_bank_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank")),
        sa.UniqueConstraint("name", name=op.f("uq_bank_name")),
    )
    op.create_table(
        "basic_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_basic_policy_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_basic_policy_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_basic_policy")),
        sa.UniqueConstraint("code", name=op.f("uq_basic_policy_code")),
    )
    op.create_table(
        "consultation_channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff.id"],
            name=op.f("fk_consultation_channel_created_by_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff.id"],
            name=op.f("fk_consultation_channel_updated_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_channel")),
        sa.UniqueConstraint("name", name=op.f("uq_consultation_channel_name")),
    )
    op.create_table(
        "expert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_kana", sa.String(length=100), nullable=False),
        sa.Column("sort_key", sa.String(length=100), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("registered_from", sa.Date(), nullable=False),
        sa.Column("registered_to", sa.Date(), nullable=True),
        sa.Column("fee_per_visit", sa.BigInteger(), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "fee_per_visit IS NULL OR fee_per_visit >= 0", name=op.f("ck_expert_fee")
        ),
        sa.CheckConstraint(
            "registered_to IS NULL OR registered_to >= registered_from",
            name=op.f("ck_expert_registration"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_expert_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_expert_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expert")),
    )
    with op.batch_alter_table("expert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expert_sort_key"), ["sort_key"], unique=False)

    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_import_batch_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batch")),
    )
    op.create_table(
        "jsic_major",
        sa.Column("code", sa.String(length=1), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_jsic_major_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_jsic_major_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_jsic_major")),
    )
    op.create_table(
        "loan_status",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("terminal", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_loan_status_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_loan_status_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_loan_status")),
    )
    op.create_table(
        "staff_role",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "role IN ('consultant', 'loan_officer', 'manager', 'admin', 'auditor')",
            name=op.f("ck_staff_role_role"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_role_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("staff_id", "role", name=op.f("pk_staff_role")),
    )
    op.create_table(
        "street_association",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_kana", sa.String(length=200), nullable=False),
        sa.Column("sort_key", sa.String(length=200), nullable=False),
        sa.Column("legal_form", sa.String(length=20), nullable=False),
        sa.Column("corporate_number", sa.String(length=13), nullable=True),
        sa.Column("incorporated_on", sa.Date(), nullable=True),
        sa.Column("area", sa.String(length=10), nullable=False),
        sa.Column("representative_name", sa.String(length=100), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("federation_member", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "area IN ('麹町地域', '神田地域', '区外', '未設定')",
            name=op.f("ck_street_association_area"),
        ),
        sa.CheckConstraint(
            "legal_form IN ('商店街振興組合', '事業協同組合', '任意商店会', '連合会', 'その他')",
            name=op.f("ck_street_association_legal_form"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_street_association_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_street_association_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_street_association")),
        sa.UniqueConstraint(
            "corporate_number", name=op.f("uq_street_association_corporate_number")
        ),
    )
    with op.batch_alter_table("street_association", schema=None) as batch_op:
        batch_op.create_index("ix_street_association_sort_key_id", ["sort_key", "id"], unique=False)

    op.create_table(
        "town",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("kana", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=7), nullable=False),
        sa.Column("area", sa.String(length=10), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("area IN ('麹町地域', '神田地域')", name=op.f("ck_town_area")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_town_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_town_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_town")),
        sa.UniqueConstraint("name", name=op.f("uq_town_name")),
    )
    op.create_table(
        "bank_branch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["bank_id"], ["bank.id"], name=op.f("fk_bank_branch_bank_id_bank")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_bank_branch_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_bank_branch_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_branch")),
        sa.UniqueConstraint("bank_id", "name", name=op.f("uq_bank_branch_bank_id_name")),
    )
    op.create_table(
        "business",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_kana", sa.String(length=200), nullable=False),
        sa.Column("sort_key", sa.String(length=200), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("corporate_number", sa.String(length=13), nullable=True),
        sa.Column("jsic_major", sa.String(length=1), nullable=True),
        sa.Column("sme_category", sa.String(length=30), nullable=True),
        sa.Column("sme_status", sa.String(length=20), nullable=False),
        sa.Column("postal_code", sa.String(length=7), nullable=False),
        sa.Column("town_id", sa.Integer(), nullable=True),
        sa.Column("area", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("representative_name", sa.String(length=100), nullable=False),
        sa.Column("representative_residence", sa.String(length=10), nullable=True),
        sa.Column("representative_address", sa.String(length=300), nullable=False),
        sa.Column("representative_phone", sa.String(length=30), nullable=False),
        sa.Column("capital", sa.BigInteger(), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("founded_on", sa.Date(), nullable=True),
        sa.Column("in_ward_since", sa.Date(), nullable=True),
        sa.Column("chokai_name", sa.String(length=100), nullable=False),
        sa.Column("street_association_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("archived_at", sa.DateTime(), nullable=True),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "area IN ('麹町地域', '神田地域', '区外', '未設定')", name=op.f("ck_business_area")
        ),
        sa.CheckConstraint(
            "kind IN ('corporation', 'sole_proprietor', 'prospective')",
            name=op.f("ck_business_kind"),
        ),
        sa.CheckConstraint(
            "representative_residence IS NULL OR representative_residence IN ('resident', 'general')",
            name=op.f("ck_business_residence"),
        ),
        sa.CheckConstraint("capital IS NULL OR capital >= 0", name=op.f("ck_business_capital")),
        sa.CheckConstraint(
            "employees IS NULL OR employees >= 0", name=op.f("ck_business_employees")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_business_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batch.id"],
            name=op.f("fk_business_import_batch_id_import_batch"),
        ),
        sa.ForeignKeyConstraint(
            ["jsic_major"], ["jsic_major.code"], name=op.f("fk_business_jsic_major_jsic_major")
        ),
        sa.ForeignKeyConstraint(
            ["street_association_id"],
            ["street_association.id"],
            name=op.f("fk_business_street_association_id_street_association"),
        ),
        sa.ForeignKeyConstraint(["town_id"], ["town.id"], name=op.f("fk_business_town_id_town")),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_business_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business")),
        sa.UniqueConstraint("corporate_number", name=op.f("uq_business_corporate_number")),
    )
    with op.batch_alter_table("business", schema=None) as batch_op:
        batch_op.create_index("ix_business_area_sort_key", ["area", "sort_key", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_business_import_batch_id"), ["import_batch_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_business_sme_status"), ["sme_status"], unique=False)
        batch_op.create_index("ix_business_sort_key_id", ["sort_key", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_business_street_association_id"), ["street_association_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_business_town_id"), ["town_id"], unique=False)
        batch_op.create_index("ix_business_updated_at_id", ["updated_at", "id"], unique=False)

    op.create_table(
        "expert_qualification",
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["expert.id"], name=op.f("fk_expert_qualification_expert_id_expert")
        ),
        sa.PrimaryKeyConstraint("expert_id", "name", name=op.f("pk_expert_qualification")),
    )
    op.create_table(
        "policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("basic_policy_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["basic_policy_id"],
            ["basic_policy.id"],
            name=op.f("fk_policy_basic_policy_id_basic_policy"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_policy_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_policy_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy")),
        sa.UniqueConstraint("code", name=op.f("uq_policy_code")),
    )
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_policy_basic_policy_id"), ["basic_policy_id"], unique=False
        )

    op.create_table(
        "street_association_town",
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("town_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["street_association.id"],
            name=op.f("fk_street_association_town_association_id_street_association"),
        ),
        sa.ForeignKeyConstraint(
            ["town_id"], ["town.id"], name=op.f("fk_street_association_town_town_id_town")
        ),
        sa.PrimaryKeyConstraint(
            "association_id", "town_id", name=op.f("pk_street_association_town")
        ),
    )
    op.create_table(
        "street_membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("full_members", sa.Integer(), nullable=False),
        sa.Column("supporting_members", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "full_members >= 0 AND supporting_members >= 0",
            name=op.f("ck_street_membership_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["street_association.id"],
            name=op.f("fk_street_membership_association_id_street_association"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_street_membership_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_street_membership_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_street_membership")),
        sa.UniqueConstraint(
            "association_id",
            "fiscal_year",
            name=op.f("uq_street_membership_association_id_fiscal_year"),
        ),
    )
    op.create_table(
        "consultation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consulted_on", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=True),
        sa.Column("prospect_name", sa.String(length=100), nullable=False),
        sa.Column("prospect_contact", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("advice", sa.Text(), nullable=False),
        sa.Column("referrals", sa.Text(), nullable=False),
        sa.Column("next_action", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("done", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("done_note", sa.Text(), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "business_id IS NOT NULL OR prospect_name <> ''",
            name=op.f("ck_consultation_business_or_prospect"),
        ),
        sa.CheckConstraint("minutes IS NULL OR minutes >= 0", name=op.f("ck_consultation_minutes")),
        sa.ForeignKeyConstraint(
            ["business_id"], ["business.id"], name=op.f("fk_consultation_business_id_business")
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["consultation_channel.id"],
            name=op.f("fk_consultation_channel_id_consultation_channel"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_consultation_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batch.id"],
            name=op.f("fk_consultation_import_batch_id_import_batch"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_consultation_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_consultation_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation")),
    )
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consultation_business_id_consulted_on",
            ["business_id", "consulted_on"],
            unique=False,
        )
        batch_op.create_index(
            "ix_consultation_consulted_on_id", ["consulted_on", "id"], unique=False
        )
        batch_op.create_index("ix_consultation_done_due_on", ["done", "due_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_consultation_import_batch_id"), ["import_batch_id"], unique=False
        )
        batch_op.create_index(
            "ix_consultation_staff_id_consulted_on", ["staff_id", "consulted_on"], unique=False
        )

    op.create_table(
        "initiative",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owners_note", sa.String(length=50), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_initiative_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policy.id"], name=op.f("fk_initiative_policy_id_policy")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_initiative_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initiative")),
        sa.UniqueConstraint("code", name=op.f("uq_initiative_code")),
    )
    with op.batch_alter_table("initiative", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_initiative_policy_id"), ["policy_id"], unique=False)

    op.create_table(
        "safety_net_certification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("sales_current", sa.BigInteger(), nullable=False),
        sa.Column("sales_previous", sa.BigInteger(), nullable=False),
        sa.Column("decline_rate", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("certificate_number", sa.String(length=30), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('certified', 'refused')",
            name=op.f("ck_safety_net_certification_decision"),
        ),
        sa.CheckConstraint(
            "kind IN ('4号', '5号', '危機関連')", name=op.f("ck_safety_net_certification_kind")
        ),
        sa.CheckConstraint(
            "sales_current >= 0 AND sales_previous >= 0",
            name=op.f("ck_safety_net_certification_sales"),
        ),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["business.id"],
            name=op.f("fk_safety_net_certification_business_id_business"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff.id"],
            name=op.f("fk_safety_net_certification_created_by_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff.id"],
            name=op.f("fk_safety_net_certification_updated_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_net_certification")),
    )
    with op.batch_alter_table("safety_net_certification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safety_net_certification_business_id"), ["business_id"], unique=False
        )

    op.create_table(
        "consultation_initiative",
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_consultation_initiative_consultation_id_consultation"),
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_consultation_initiative_initiative_id_initiative"),
        ),
        sa.PrimaryKeyConstraint(
            "consultation_id", "initiative_id", name=op.f("pk_consultation_initiative")
        ),
    )
    with op.batch_alter_table("consultation_initiative", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consultation_initiative_initiative_id"), ["initiative_id"], unique=False
        )

    op.create_table(
        "consultation_topic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_consultation_topic_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_consultation_topic_initiative_id_initiative"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_consultation_topic_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_topic")),
        sa.UniqueConstraint("code", name=op.f("uq_consultation_topic_code")),
        sa.UniqueConstraint("name", name=op.f("uq_consultation_topic_name")),
    )
    op.create_table(
        "dispatch_program",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_dispatch_program_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_dispatch_program_initiative_id_initiative"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_dispatch_program_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_program")),
        sa.UniqueConstraint("name", name=op.f("uq_dispatch_program_name")),
    )
    op.create_table(
        "initiative_owner",
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_initiative_owner_initiative_id_initiative"),
        ),
        sa.PrimaryKeyConstraint("initiative_id", "position", name=op.f("pk_initiative_owner")),
    )
    op.create_table(
        "loan_program",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_startup", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_loan_program_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_loan_program_initiative_id_initiative"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_loan_program_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_program")),
        sa.UniqueConstraint("name", name=op.f("uq_loan_program_name")),
    )
    op.create_table(
        "subsidy_program",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("target", sa.String(length=10), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "target IN ('business', 'street')", name=op.f("ck_subsidy_program_target")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_subsidy_program_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_subsidy_program_initiative_id_initiative"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_subsidy_program_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_program")),
        sa.UniqueConstraint("name", name=op.f("uq_subsidy_program_name")),
    )
    op.create_table(
        "support_kind",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_support_kind_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_support_kind_initiative_id_initiative"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_support_kind_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_kind")),
        sa.UniqueConstraint("code", name=op.f("uq_support_kind_code")),
        sa.UniqueConstraint("name", name=op.f("uq_support_kind_name")),
    )
    op.create_table(
        "consultation_topic_link",
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_consultation_topic_link_consultation_id_consultation"),
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["consultation_topic.id"],
            name=op.f("fk_consultation_topic_link_topic_id_consultation_topic"),
        ),
        sa.PrimaryKeyConstraint(
            "consultation_id", "topic_id", name=op.f("pk_consultation_topic_link")
        ),
    )
    op.create_table(
        "dispatch_program_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("max_visits_per_business", sa.Integer(), nullable=False),
        sa.Column("fee_per_visit", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "max_visits_per_business >= 1", name=op.f("ck_dispatch_program_terms_visits")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff.id"],
            name=op.f("fk_dispatch_program_terms_created_by_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["dispatch_program.id"],
            name=op.f("fk_dispatch_program_terms_program_id_dispatch_program"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff.id"],
            name=op.f("fk_dispatch_program_terms_updated_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_program_terms")),
        sa.UniqueConstraint(
            "program_id",
            "fiscal_year",
            name=op.f("uq_dispatch_program_terms_program_id_fiscal_year"),
        ),
    )
    op.create_table(
        "expert_dispatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("theme", sa.String(length=200), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("approved_visits", sa.Integer(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("report_due_on", sa.Date(), nullable=True),
        sa.Column("report_received_on", sa.Date(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('applied', 'reviewing', 'approved', 'in_progress', 'completed', 'reported', 'paid', 'cancelled')",
            name=op.f("ck_expert_dispatch_status"),
        ),
        sa.CheckConstraint(
            "approved_visits IS NULL OR approved_visits >= 0",
            name=op.f("ck_expert_dispatch_visits"),
        ),
        sa.ForeignKeyConstraint(
            ["business_id"], ["business.id"], name=op.f("fk_expert_dispatch_business_id_business")
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_expert_dispatch_consultation_id_consultation"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_expert_dispatch_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["expert.id"], name=op.f("fk_expert_dispatch_expert_id_expert")
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_expert_dispatch_initiative_id_initiative"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["dispatch_program.id"],
            name=op.f("fk_expert_dispatch_program_id_dispatch_program"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_expert_dispatch_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_expert_dispatch_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expert_dispatch")),
    )
    with op.batch_alter_table("expert_dispatch", schema=None) as batch_op:
        batch_op.create_index(
            "ix_expert_dispatch_business_id_fiscal_year",
            ["business_id", "fiscal_year"],
            unique=False,
        )

    op.create_table(
        "loan_program_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("limit_amount", sa.BigInteger(), nullable=False),
        sa.Column("max_term_months", sa.Integer(), nullable=False),
        sa.Column("max_grace_months", sa.Integer(), nullable=False),
        sa.Column("repayment_method", sa.String(length=20), nullable=False),
        sa.Column("nominal_rate", sa.Integer(), nullable=False),
        sa.Column("subsidy_rate_resident", sa.Integer(), nullable=False),
        sa.Column("subsidy_rate_general", sa.Integer(), nullable=False),
        sa.Column("chokai_bonus_rate", sa.Integer(), nullable=True),
        sa.Column("guarantee_fee_subsidy_ratio", sa.Integer(), nullable=True),
        sa.Column("guarantee_fee_subsidy_cap", sa.BigInteger(), nullable=True),
        sa.Column("max_concurrent_loans", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("limit_amount > 0", name=op.f("ck_loan_program_terms_limit")),
        sa.CheckConstraint(
            "max_concurrent_loans >= 1", name=op.f("ck_loan_program_terms_concurrent")
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_loan_program_terms_period")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_loan_program_terms_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["loan_program.id"],
            name=op.f("fk_loan_program_terms_program_id_loan_program"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_loan_program_terms_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_program_terms")),
    )
    with op.batch_alter_table("loan_program_terms", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loan_program_terms_program_id"), ["program_id"], unique=False
        )

    op.create_table(
        "street_support",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("kind_id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("supported_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("university", sa.String(length=100), nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("student_count", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "student_count IS NULL OR student_count >= 0", name=op.f("ck_street_support_students")
        ),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["street_association.id"],
            name=op.f("fk_street_support_association_id_street_association"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_street_support_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_street_support_initiative_id_initiative"),
        ),
        sa.ForeignKeyConstraint(
            ["kind_id"], ["support_kind.id"], name=op.f("fk_street_support_kind_id_support_kind")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_street_support_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_street_support_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_street_support")),
    )
    with op.batch_alter_table("street_support", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_street_support_association_id"), ["association_id"], unique=False
        )
        batch_op.create_index(
            "ix_street_support_supported_on_id", ["supported_on", "id"], unique=False
        )

    op.create_table(
        "subsidy_program_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("rate_numerator", sa.Integer(), nullable=False),
        sa.Column("rate_denominator", sa.Integer(), nullable=False),
        sa.Column("band_threshold", sa.BigInteger(), nullable=True),
        sa.Column("band_rate_numerator", sa.Integer(), nullable=True),
        sa.Column("band_rate_denominator", sa.Integer(), nullable=True),
        sa.Column("rounding_unit", sa.Integer(), nullable=False),
        sa.Column("cap_amount", sa.BigInteger(), nullable=True),
        sa.Column("max_per_fiscal_year", sa.Integer(), nullable=True),
        sa.Column("report_due_days", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "rate_numerator > 0 AND rate_denominator > 0",
            name=op.f("ck_subsidy_program_terms_rate"),
        ),
        sa.CheckConstraint("rounding_unit >= 1", name=op.f("ck_subsidy_program_terms_rounding")),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from",
            name=op.f("ck_subsidy_program_terms_period"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff.id"],
            name=op.f("fk_subsidy_program_terms_created_by_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["subsidy_program.id"],
            name=op.f("fk_subsidy_program_terms_program_id_subsidy_program"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff.id"],
            name=op.f("fk_subsidy_program_terms_updated_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_program_terms")),
    )
    with op.batch_alter_table("subsidy_program_terms", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subsidy_program_terms_program_id"), ["program_id"], unique=False
        )

    op.create_table(
        "dispatch_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispatch_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["expert_dispatch.id"],
            name=op.f("fk_dispatch_event_dispatch_id_expert_dispatch"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_dispatch_event_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_event")),
    )
    with op.batch_alter_table("dispatch_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispatch_event_dispatch_id"), ["dispatch_id"], unique=False
        )

    op.create_table(
        "dispatch_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispatch_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=True),
        sa.Column("end_time", sa.Time(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("attendees", sa.Text(), nullable=False),
        sa.Column("issues", sa.Text(), nullable=False),
        sa.Column("advice", sa.Text(), nullable=False),
        sa.Column("homework", sa.Text(), nullable=False),
        sa.Column("next_on", sa.Date(), nullable=True),
        sa.Column("report_received_on", sa.Date(), nullable=True),
        sa.Column("fee", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "end_time IS NULL OR start_time IS NULL OR end_time > start_time",
            name=op.f("ck_dispatch_visit_times"),
        ),
        sa.CheckConstraint("fee IS NULL OR fee >= 0", name=op.f("ck_dispatch_visit_fee")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_dispatch_visit_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["expert_dispatch.id"],
            name=op.f("fk_dispatch_visit_dispatch_id_expert_dispatch"),
        ),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["expert.id"], name=op.f("fk_dispatch_visit_expert_id_expert")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_dispatch_visit_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_visit")),
        sa.UniqueConstraint(
            "dispatch_id", "number", name=op.f("uq_dispatch_visit_dispatch_id_number")
        ),
    )
    with op.batch_alter_table("dispatch_visit", schema=None) as batch_op:
        batch_op.create_index("ix_dispatch_visit_visited_on", ["visited_on"], unique=False)

    op.create_table(
        "loan_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_since", sa.Date(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("interviewer", sa.String(length=100), nullable=False),
        sa.Column("receipt_number", sa.String(length=30), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("requested_amount", sa.BigInteger(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=True),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("referral_number", sa.String(length=30), nullable=False),
        sa.Column("referred_on", sa.Date(), nullable=True),
        sa.Column("referral_amount", sa.BigInteger(), nullable=True),
        sa.Column("terms_id", sa.Integer(), nullable=True),
        sa.Column("nominal_rate", sa.Integer(), nullable=True),
        sa.Column("borrower_rate", sa.Integer(), nullable=True),
        sa.Column("subsidy_rate", sa.Integer(), nullable=True),
        sa.Column("guarantee_fee_subsidy_ratio", sa.Integer(), nullable=True),
        sa.Column("guarantee_fee_subsidy_cap", sa.BigInteger(), nullable=True),
        sa.Column("max_term_months", sa.Integer(), nullable=True),
        sa.Column("max_grace_months", sa.Integer(), nullable=True),
        sa.Column("approved_amount", sa.BigInteger(), nullable=True),
        sa.Column("guarantee_fee", sa.BigInteger(), nullable=True),
        sa.Column("executed_on", sa.Date(), nullable=True),
        sa.Column("executed_amount", sa.BigInteger(), nullable=True),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("grace_months", sa.Integer(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=False),
        sa.Column("subsidy_stopped_on", sa.Date(), nullable=True),
        sa.Column("subsidy_stop_reason", sa.String(length=100), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "approved_amount IS NULL OR approved_amount > 0", name=op.f("ck_loan_case_approved")
        ),
        sa.CheckConstraint(
            "executed_amount IS NULL OR executed_amount > 0", name=op.f("ck_loan_case_executed")
        ),
        sa.CheckConstraint(
            "referral_amount IS NULL OR referral_amount > 0", name=op.f("ck_loan_case_referral")
        ),
        sa.CheckConstraint(
            "requested_amount IS NULL OR requested_amount > 0", name=op.f("ck_loan_case_requested")
        ),
        sa.ForeignKeyConstraint(["bank_id"], ["bank.id"], name=op.f("fk_loan_case_bank_id_bank")),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["bank_branch.id"], name=op.f("fk_loan_case_branch_id_bank_branch")
        ),
        sa.ForeignKeyConstraint(
            ["business_id"], ["business.id"], name=op.f("fk_loan_case_business_id_business")
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_loan_case_consultation_id_consultation"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_loan_case_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batch.id"],
            name=op.f("fk_loan_case_import_batch_id_import_batch"),
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"], ["initiative.id"], name=op.f("fk_loan_case_initiative_id_initiative")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["staff.id"], name=op.f("fk_loan_case_officer_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["loan_program.id"], name=op.f("fk_loan_case_program_id_loan_program")
        ),
        sa.ForeignKeyConstraint(
            ["status"], ["loan_status.code"], name=op.f("fk_loan_case_status_loan_status")
        ),
        sa.ForeignKeyConstraint(
            ["terms_id"],
            ["loan_program_terms.id"],
            name=op.f("fk_loan_case_terms_id_loan_program_terms"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_loan_case_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_case")),
    )
    with op.batch_alter_table("loan_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_case_bank_id"), ["bank_id"], unique=False)
        batch_op.create_index("ix_loan_case_business_id", ["business_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loan_case_closed_on"), ["closed_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_loan_case_executed_on"), ["executed_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_loan_case_import_batch_id"), ["import_batch_id"], unique=False
        )
        batch_op.create_index("ix_loan_case_received_on_id", ["received_on", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loan_case_referred_on"), ["referred_on"], unique=False)
        batch_op.create_index(
            "ix_loan_case_status_received_on", ["status", "received_on"], unique=False
        )

    op.create_table(
        "street_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("support_id", sa.Integer(), nullable=True),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=50), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("partners", sa.Text(), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=True),
        sa.Column("visitors", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("budget IS NULL OR budget >= 0", name=op.f("ck_street_event_budget")),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_street_event_period")),
        sa.CheckConstraint(
            "visitors IS NULL OR visitors >= 0", name=op.f("ck_street_event_visitors")
        ),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["street_association.id"],
            name=op.f("fk_street_event_association_id_street_association"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_street_event_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_street_event_initiative_id_initiative"),
        ),
        sa.ForeignKeyConstraint(
            ["support_id"],
            ["street_support.id"],
            name=op.f("fk_street_event_support_id_street_support"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_street_event_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_street_event")),
    )
    with op.batch_alter_table("street_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_street_event_association_id"), ["association_id"], unique=False
        )
        batch_op.create_index("ix_street_event_starts_on_id", ["starts_on", "id"], unique=False)

    op.create_table(
        "loan_case_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('transition', 'undo', 'note')", name=op.f("ck_loan_case_event_kind")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["loan_case.id"], name=op.f("fk_loan_case_event_case_id_loan_case")
        ),
        sa.ForeignKeyConstraint(
            ["from_status"],
            ["loan_status.code"],
            name=op.f("fk_loan_case_event_from_status_loan_status"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_loan_case_event_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["to_status"],
            ["loan_status.code"],
            name=op.f("fk_loan_case_event_to_status_loan_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_case_event")),
    )
    with op.batch_alter_table("loan_case_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_case_event_case_id"), ["case_id"], unique=False)

    op.create_table(
        "subsidy_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=True),
        sa.Column("association_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("activity_ends_on", sa.Date(), nullable=True),
        sa.Column("eligible_cost", sa.BigInteger(), nullable=True),
        sa.Column("requested_amount", sa.BigInteger(), nullable=True),
        sa.Column("computed_amount", sa.BigInteger(), nullable=True),
        sa.Column("granted_amount", sa.BigInteger(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("report_due_on", sa.Date(), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=True),
        sa.Column("confirmed_amount", sa.BigInteger(), nullable=True),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("paid_amount", sa.BigInteger(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('applied', 'returned', 'granted', 'change_requested', 'reported', 'confirmed', 'paid', 'withdrawn', 'rejected')",
            name=op.f("ck_subsidy_application_status"),
        ),
        sa.CheckConstraint(
            "(business_id IS NULL) <> (association_id IS NULL)",
            name=op.f("ck_subsidy_application_one_applicant"),
        ),
        sa.CheckConstraint(
            "eligible_cost IS NULL OR eligible_cost >= 0", name=op.f("ck_subsidy_application_cost")
        ),
        sa.CheckConstraint(
            "granted_amount IS NULL OR granted_amount >= 0",
            name=op.f("ck_subsidy_application_granted"),
        ),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["street_association.id"],
            name=op.f("fk_subsidy_application_association_id_street_association"),
        ),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["business.id"],
            name=op.f("fk_subsidy_application_business_id_business"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_subsidy_application_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["street_event.id"],
            name=op.f("fk_subsidy_application_event_id_street_event"),
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_subsidy_application_initiative_id_initiative"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["subsidy_program.id"],
            name=op.f("fk_subsidy_application_program_id_subsidy_program"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_subsidy_application_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_subsidy_application_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_application")),
    )
    with op.batch_alter_table("subsidy_application", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subsidy_application_applied_on_id", ["applied_on", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subsidy_application_association_id"), ["association_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subsidy_application_business_id"), ["business_id"], unique=False
        )
        batch_op.create_index("ix_subsidy_application_decided_on", ["decided_on"], unique=False)

    op.create_table(
        "subsidy_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["subsidy_application.id"],
            name=op.f("fk_subsidy_event_application_id_subsidy_application"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_subsidy_event_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_event")),
    )
    with op.batch_alter_table("subsidy_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subsidy_event_application_id"), ["application_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("subsidy_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subsidy_event_application_id"))

    op.drop_table("subsidy_event")
    with op.batch_alter_table("subsidy_application", schema=None) as batch_op:
        batch_op.drop_index("ix_subsidy_application_decided_on")
        batch_op.drop_index(batch_op.f("ix_subsidy_application_business_id"))
        batch_op.drop_index(batch_op.f("ix_subsidy_application_association_id"))
        batch_op.drop_index("ix_subsidy_application_applied_on_id")

    op.drop_table("subsidy_application")
    with op.batch_alter_table("loan_case_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_case_event_case_id"))

    op.drop_table("loan_case_event")
    with op.batch_alter_table("street_event", schema=None) as batch_op:
        batch_op.drop_index("ix_street_event_starts_on_id")
        batch_op.drop_index(batch_op.f("ix_street_event_association_id"))

    op.drop_table("street_event")
    with op.batch_alter_table("loan_case", schema=None) as batch_op:
        batch_op.drop_index("ix_loan_case_status_received_on")
        batch_op.drop_index(batch_op.f("ix_loan_case_referred_on"))
        batch_op.drop_index("ix_loan_case_received_on_id")
        batch_op.drop_index(batch_op.f("ix_loan_case_import_batch_id"))
        batch_op.drop_index(batch_op.f("ix_loan_case_executed_on"))
        batch_op.drop_index(batch_op.f("ix_loan_case_closed_on"))
        batch_op.drop_index("ix_loan_case_business_id")
        batch_op.drop_index(batch_op.f("ix_loan_case_bank_id"))

    op.drop_table("loan_case")
    with op.batch_alter_table("dispatch_visit", schema=None) as batch_op:
        batch_op.drop_index("ix_dispatch_visit_visited_on")

    op.drop_table("dispatch_visit")
    with op.batch_alter_table("dispatch_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_event_dispatch_id"))

    op.drop_table("dispatch_event")
    with op.batch_alter_table("subsidy_program_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subsidy_program_terms_program_id"))

    op.drop_table("subsidy_program_terms")
    with op.batch_alter_table("street_support", schema=None) as batch_op:
        batch_op.drop_index("ix_street_support_supported_on_id")
        batch_op.drop_index(batch_op.f("ix_street_support_association_id"))

    op.drop_table("street_support")
    with op.batch_alter_table("loan_program_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_program_terms_program_id"))

    op.drop_table("loan_program_terms")
    with op.batch_alter_table("expert_dispatch", schema=None) as batch_op:
        batch_op.drop_index("ix_expert_dispatch_business_id_fiscal_year")

    op.drop_table("expert_dispatch")
    op.drop_table("dispatch_program_terms")
    op.drop_table("consultation_topic_link")
    op.drop_table("support_kind")
    op.drop_table("subsidy_program")
    op.drop_table("loan_program")
    op.drop_table("initiative_owner")
    op.drop_table("dispatch_program")
    op.drop_table("consultation_topic")
    with op.batch_alter_table("consultation_initiative", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_initiative_initiative_id"))

    op.drop_table("consultation_initiative")
    with op.batch_alter_table("safety_net_certification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_net_certification_business_id"))

    op.drop_table("safety_net_certification")
    with op.batch_alter_table("initiative", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_initiative_policy_id"))

    op.drop_table("initiative")
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_index("ix_consultation_staff_id_consulted_on")
        batch_op.drop_index(batch_op.f("ix_consultation_import_batch_id"))
        batch_op.drop_index("ix_consultation_done_due_on")
        batch_op.drop_index("ix_consultation_consulted_on_id")
        batch_op.drop_index("ix_consultation_business_id_consulted_on")

    op.drop_table("consultation")
    op.drop_table("street_membership")
    op.drop_table("street_association_town")
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_basic_policy_id"))

    op.drop_table("policy")
    op.drop_table("expert_qualification")
    with op.batch_alter_table("business", schema=None) as batch_op:
        batch_op.drop_index("ix_business_updated_at_id")
        batch_op.drop_index(batch_op.f("ix_business_town_id"))
        batch_op.drop_index(batch_op.f("ix_business_street_association_id"))
        batch_op.drop_index("ix_business_sort_key_id")
        batch_op.drop_index(batch_op.f("ix_business_sme_status"))
        batch_op.drop_index(batch_op.f("ix_business_import_batch_id"))
        batch_op.drop_index("ix_business_area_sort_key")

    op.drop_table("business")
    op.drop_table("bank_branch")
    op.drop_table("town")
    with op.batch_alter_table("street_association", schema=None) as batch_op:
        batch_op.drop_index("ix_street_association_sort_key_id")

    op.drop_table("street_association")
    op.drop_table("staff_role")
    op.drop_table("loan_status")
    op.drop_table("jsic_major")
    op.drop_table("import_batch")
    with op.batch_alter_table("expert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expert_sort_key"))

    op.drop_table("expert")
    op.drop_table("consultation_channel")
    op.drop_table("basic_policy")
    op.drop_table("bank")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_record")
        batch_op.drop_index("ix_audit_log_occurred_at")

    op.drop_table("audit_log")
    op.drop_table("staff")
    op.drop_table("app_setting")

"""The whole data model of the desk.

Tables, by area:

- people and reference data: ``staff`` and ``staff_role`` (who works the desk and as what),
  ``jsic_major`` (JSIC 大分類), ``town`` (Chiyoda towns with postal code and area),
  ``consultation_channel``, ``consultation_topic``, ``loan_status`` (names of the loan workflow
  states), ``app_setting`` (settings shared by every PC using this database);
- the plan: ``basic_policy`` → ``policy`` → ``initiative`` (+ ``initiative_owner``, its 所管);
- businesses and streets: ``business``, ``street_association`` (+ ``street_association_town``,
  ``street_membership``, member counts per 年度);
- consultations: ``consultation`` (+ ``consultation_topic_link``, ``consultation_initiative``);
- loans: ``loan_program`` with dated ``loan_program_terms``, ``bank`` and ``bank_branch``,
  ``loan_case`` with its append-only ``loan_case_event`` history, ``safety_net_certification``;
- expert dispatch: ``expert`` (+ ``expert_qualification``), ``dispatch_program`` with per-年度
  ``dispatch_program_terms``, ``expert_dispatch`` with ``dispatch_visit`` and ``dispatch_event``;
- shopping-street support: ``support_kind``, ``street_support``, ``street_event``;
- subsidies: ``subsidy_program`` with dated ``subsidy_program_terms``, ``subsidy_application``
  with ``subsidy_event``;
- trust and bookkeeping: ``audit_log`` (append-only, hash-chained), ``import_batch``.

Conventions: money is integer yen (``BigInteger``), rates are exact (``Rate``), timestamps are UTC
(``UtcDateTime``), dates are plain ``Date``. Every editable record carries created/updated at/by and
a ``version`` used for optimistic locking. Codes of small fixed sets are strings with a CHECK
constraint; sets users may extend are reference tables.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from consult_desk.db.base import Base, Rate, UtcDateTime, utcnow

Yen = BigInteger  # money is integer yen, never float


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


BUSINESS_KINDS = ("corporation", "sole_proprietor", "prospective")
AREAS = ("麹町地域", "神田地域", "区外", "未設定")
RESIDENCES = ("resident", "general")  # 代表者区分: 区民 / 一般
ROLES = ("consultant", "loan_officer", "manager", "admin", "auditor")
STREET_LEGAL_FORMS = ("商店街振興組合", "事業協同組合", "任意商店会", "連合会", "その他")
DISPATCH_STATUSES = (
    "applied",
    "reviewing",
    "approved",
    "in_progress",
    "completed",
    "reported",
    "paid",
    "cancelled",
)
SUBSIDY_STATUSES = (
    "applied",
    "returned",
    "granted",
    "change_requested",
    "reported",
    "confirmed",
    "paid",
    "withdrawn",
    "rejected",
)
SUBSIDY_TARGETS = ("business", "street")
SAFETY_NET_KINDS = ("4号", "5号", "危機関連")
# transition/undo: state changes; interview: a 起業計画 coaching session; prepayment: 繰上償還
# (data holds the amount); subsidy_stop: the ward stops its interest share; note: anything else.
LOAN_EVENT_KINDS = ("transition", "undo", "note", "interview", "prepayment", "subsidy_stop")


class Tracked:
    """Created/updated stamps and the optimistic-locking version of an editable record."""

    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("staff.id"))

    @declared_attr
    def updated_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("staff.id"))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, object]:  # noqa: N805
        # SQLAlchemy adds "AND version = :old" to every UPDATE and raises StaleDataError on 0 rows.
        return {"version_id_col": cls.version}


# --- people and reference data ------------------------------------------------------------


class Staff(Tracked, Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_kana: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))  # argon2id, never plain text
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Failed sign-ins in a row; each one beyond the third doubles the wait before the next try.
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A consultant may be granted the right to see loan amounts.
    loan_amount_grant: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    roles: Mapped[list[StaffRole]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", foreign_keys="StaffRole.staff_id"
    )


class StaffRole(Base):
    __tablename__ = "staff_role"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    staff: Mapped[Staff] = relationship(back_populates="roles", foreign_keys=[staff_id])


class JsicMajor(Tracked, Base):
    __tablename__ = "jsic_major"

    code: Mapped[str] = mapped_column(String(1), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class Town(Tracked, Base):
    __tablename__ = "town"
    __table_args__ = (CheckConstraint(_in("area", AREAS[:2]), name="area"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    kana: Mapped[str] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(7))
    area: Mapped[str] = mapped_column(String(10))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class ConsultationChannel(Tracked, Base):
    __tablename__ = "consultation_channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ConsultationTopic(Tracked, Base):
    __tablename__ = "consultation_topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    # The initiative a consultation on this topic serves unless the consultant picks another.
    initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiative.id"))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LoanStatus(Tracked, Base):
    __tablename__ = "loan_status"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    terminal: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class AppSetting(Base):
    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# --- the plan -----------------------------------------------------------------------------


class BasicPolicy(Tracked, Base):
    """基本方針."""

    __tablename__ = "basic_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    policies: Mapped[list[Policy]] = relationship(
        back_populates="basic_policy", order_by="Policy.sort_order"
    )


class Policy(Tracked, Base):
    """個別方針."""

    __tablename__ = "policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    basic_policy_id: Mapped[int] = mapped_column(ForeignKey("basic_policy.id"), index=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    basic_policy: Mapped[BasicPolicy] = relationship(back_populates="policies")
    initiatives: Mapped[list[Initiative]] = relationship(
        back_populates="policy", order_by="Initiative.sort_order"
    )


class Initiative(Tracked, Base):
    """主な取組み: what every record serves."""

    __tablename__ = "initiative"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy.id"), index=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owners_note: Mapped[str] = mapped_column(String(50), default="")  # e.g. the plan's 「、他」
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    policy: Mapped[Policy] = relationship(back_populates="initiatives")
    owners: Mapped[list[InitiativeOwner]] = relationship(
        order_by="InitiativeOwner.position", cascade="all, delete-orphan"
    )


class InitiativeOwner(Base):
    """所管: the section or affiliate responsible for an initiative."""

    __tablename__ = "initiative_owner"

    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiative.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


# --- businesses and shopping streets ------------------------------------------------------


class Business(Tracked, Base):
    __tablename__ = "business"
    __table_args__ = (
        CheckConstraint(_in("kind", BUSINESS_KINDS), name="kind"),
        CheckConstraint(_in("area", AREAS), name="area"),
        CheckConstraint(
            f"representative_residence IS NULL OR {_in('representative_residence', RESIDENCES)}",
            name="residence",
        ),
        CheckConstraint("capital IS NULL OR capital >= 0", name="capital"),
        CheckConstraint("employees IS NULL OR employees >= 0", name="employees"),
        # Keyset paging orders by (key, id); each sortable key has a composite index.
        Index("ix_business_sort_key_id", "sort_key", "id"),
        Index("ix_business_area_sort_key", "area", "sort_key", "id"),
        Index("ix_business_kind_sort_key", "kind", "sort_key", "id"),
        Index("ix_business_updated_at_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    name_kana: Mapped[str] = mapped_column(String(200), default="")
    # Non-null sort key: the normalised reading, else the normalised name.
    sort_key: Mapped[str] = mapped_column(String(200))
    # Normalised name, reading, 法人番号, phone and address: what the search box matches.
    search_text: Mapped[str] = mapped_column(Text, default="")
    corporate_number: Mapped[str | None] = mapped_column(String(13), unique=True)
    jsic_major: Mapped[str | None] = mapped_column(ForeignKey("jsic_major.code"))
    # SME-law industry group (中小企業基本法); defaults from JSIC, may be overridden.
    sme_category: Mapped[str | None] = mapped_column(String(30))
    # Derived from category, capital and employees on every save; stored so lists can filter.
    sme_status: Mapped[str] = mapped_column(String(20), index=True)
    postal_code: Mapped[str] = mapped_column(String(7), default="")
    town_id: Mapped[int | None] = mapped_column(ForeignKey("town.id"), index=True)
    area: Mapped[str] = mapped_column(String(10), default="未設定")
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    representative_name: Mapped[str] = mapped_column(String(100), default="")
    representative_residence: Mapped[str | None] = mapped_column(String(10))
    representative_address: Mapped[str] = mapped_column(String(300), default="")  # personal data
    representative_phone: Mapped[str] = mapped_column(String(30), default="")  # personal data
    capital: Mapped[int | None] = mapped_column(Yen)
    employees: Mapped[int | None] = mapped_column(Integer)
    founded_on: Mapped[date | None] = mapped_column(Date)
    # Since when the business operates in the ward (loan eligibility needs one year).
    in_ward_since: Mapped[date | None] = mapped_column(Date)
    chokai_name: Mapped[str] = mapped_column(String(100), default="")  # 町会, if a member
    street_association_id: Mapped[int | None] = mapped_column(
        ForeignKey("street_association.id"), index=True
    )
    # Running summary kept by the staff for hand-over when staff rotate.
    summary: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # in the trash since
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)


class StreetAssociation(Tracked, Base):
    """商店街 (shopping-street association)."""

    __tablename__ = "street_association"
    __table_args__ = (
        CheckConstraint(_in("legal_form", STREET_LEGAL_FORMS), name="legal_form"),
        CheckConstraint(_in("area", AREAS), name="area"),
        Index("ix_street_association_sort_key_id", "sort_key", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_kana: Mapped[str] = mapped_column(String(200), default="")
    sort_key: Mapped[str] = mapped_column(String(200))
    legal_form: Mapped[str] = mapped_column(String(20))
    corporate_number: Mapped[str | None] = mapped_column(String(13), unique=True)
    incorporated_on: Mapped[date | None] = mapped_column(Date)
    area: Mapped[str] = mapped_column(String(10), default="未設定")
    representative_name: Mapped[str] = mapped_column(String(100), default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    federation_member: Mapped[bool] = mapped_column(Boolean, default=True)  # 商店街連合会
    notes: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class StreetAssociationTown(Base):
    __tablename__ = "street_association_town"

    association_id: Mapped[int] = mapped_column(
        ForeignKey("street_association.id"), primary_key=True
    )
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id"), primary_key=True)


class StreetMembership(Tracked, Base):
    """Member counts of an association in one 年度."""

    __tablename__ = "street_membership"
    __table_args__ = (
        UniqueConstraint("association_id", "fiscal_year"),
        CheckConstraint("full_members >= 0 AND supporting_members >= 0", name="counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("street_association.id"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    full_members: Mapped[int] = mapped_column(Integer, default=0)
    supporting_members: Mapped[int] = mapped_column(Integer, default=0)


# --- consultations ------------------------------------------------------------------------


class Consultation(Tracked, Base):
    """経営相談: one conversation with a business or a prospective founder."""

    __tablename__ = "consultation"
    __table_args__ = (
        CheckConstraint("minutes IS NULL OR minutes >= 0", name="minutes"),
        CheckConstraint(
            "business_id IS NOT NULL OR prospect_name <> ''", name="business_or_prospect"
        ),
        Index("ix_consultation_consulted_on_id", "consulted_on", "id"),
        Index("ix_consultation_business_id_consulted_on", "business_id", "consulted_on"),
        Index("ix_consultation_staff_id_consulted_on", "staff_id", "consulted_on"),
        Index("ix_consultation_done_due_on", "done", "due_on"),
        # Report figures by period read this index only (migration 0007).
        Index(
            "ix_consultation_figures",
            "consulted_on",
            "deleted_at",
            "channel_id",
            "business_id",
            "prospect_name",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consulted_on: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    minutes: Mapped[int | None] = mapped_column(Integer)
    channel_id: Mapped[int] = mapped_column(ForeignKey("consultation_channel.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    business_id: Mapped[int | None] = mapped_column(ForeignKey("business.id"))
    # A prospective founder with no business record yet (convertible into one later).
    prospect_name: Mapped[str] = mapped_column(String(100), default="")
    prospect_contact: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    advice: Mapped[str] = mapped_column(Text, default="")
    referrals: Mapped[str] = mapped_column(Text, default="")
    next_action: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    done_on: Mapped[date | None] = mapped_column(Date)
    done_note: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # in the trash since
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)
    topics: Mapped[list[ConsultationTopicLink]] = relationship(cascade="all, delete-orphan")
    initiatives: Mapped[list[ConsultationInitiative]] = relationship(cascade="all, delete-orphan")


class ConsultationTopicLink(Base):
    __tablename__ = "consultation_topic_link"
    __table_args__ = (
        # A period's consultations by primary topic, from the index alone (migration 0007).
        Index("ix_consultation_topic_link_primary", "consultation_id", "is_primary", "topic_id"),
    )

    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("consultation_topic.id"), primary_key=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)


class ConsultationInitiative(Base):
    __tablename__ = "consultation_initiative"

    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiative.id"), primary_key=True, index=True
    )


# --- loans (商工融資あっせん) ----------------------------------------------------------------


class LoanProgram(Tracked, Base):
    """資金種別: a fund of the ward's loan-referral scheme."""

    __tablename__ = "loan_program"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_startup: Mapped[bool] = mapped_column(Boolean, default=False)  # 起業資金 path
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiative.id"))


class LoanProgramTerms(Tracked, Base):
    """The terms of a fund in force from ``valid_from`` (inclusive) to ``valid_to``."""

    __tablename__ = "loan_program_terms"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="period"),
        CheckConstraint("limit_amount > 0", name="limit"),
        CheckConstraint("max_concurrent_loans >= 1", name="concurrent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("loan_program.id"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    limit_amount: Mapped[int] = mapped_column(Yen)
    max_term_months: Mapped[int] = mapped_column(Integer)
    max_grace_months: Mapped[int] = mapped_column(Integer, default=0)
    repayment_method: Mapped[str] = mapped_column(String(20), default="元金均等")
    nominal_rate: Mapped[Decimal] = mapped_column(Rate)
    subsidy_rate_resident: Mapped[Decimal] = mapped_column(Rate)  # 利子補給率, 区民
    subsidy_rate_general: Mapped[Decimal] = mapped_column(Rate)  # 利子補給率, 一般
    # Extra ward share for members of a 町会 / 商店街振興組合 (優遇措置), if any.
    chokai_bonus_rate: Mapped[Decimal | None] = mapped_column(Rate)
    guarantee_fee_subsidy_ratio: Mapped[Decimal | None] = mapped_column(Rate)
    guarantee_fee_subsidy_cap: Mapped[int | None] = mapped_column(Yen)
    max_concurrent_loans: Mapped[int] = mapped_column(Integer, default=2)  # 口数


class Bank(Tracked, Base):
    """指定金融機関."""

    __tablename__ = "bank"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class BankBranch(Tracked, Base):
    __tablename__ = "bank_branch"
    __table_args__ = (UniqueConstraint("bank_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id"))
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LoanCase(Tracked, Base):
    """A loan-referral case (融資あっせん) with a snapshot of the terms at referral."""

    __tablename__ = "loan_case"
    __table_args__ = (
        CheckConstraint("requested_amount IS NULL OR requested_amount > 0", name="requested"),
        CheckConstraint("referral_amount IS NULL OR referral_amount > 0", name="referral"),
        CheckConstraint("approved_amount IS NULL OR approved_amount > 0", name="approved"),
        CheckConstraint("executed_amount IS NULL OR executed_amount > 0", name="executed"),
        Index("ix_loan_case_status_received_on", "status", "received_on"),
        Index("ix_loan_case_received_on_id", "received_on", "id"),
        Index("ix_loan_case_business_id", "business_id"),
        Index("ix_loan_case_consultation_id", "consultation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id"))
    program_id: Mapped[int] = mapped_column(ForeignKey("loan_program.id"))
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiative.id"))
    status: Mapped[str] = mapped_column(ForeignKey("loan_status.code"))
    status_since: Mapped[date] = mapped_column(Date)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    interviewer: Mapped[str] = mapped_column(String(100), default="")  # 中小企業診断士
    receipt_number: Mapped[str] = mapped_column(String(30), default="")
    received_on: Mapped[date] = mapped_column(Date)
    requested_amount: Mapped[int | None] = mapped_column(Yen)
    purpose: Mapped[str] = mapped_column(Text, default="")
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("bank.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("bank_branch.id"))
    referral_number: Mapped[str] = mapped_column(String(30), default="")
    referred_on: Mapped[date | None] = mapped_column(Date, index=True)
    referral_amount: Mapped[int | None] = mapped_column(Yen)
    # Terms copied at referral, so later edits of the program never change this case.
    terms_id: Mapped[int | None] = mapped_column(ForeignKey("loan_program_terms.id"))
    nominal_rate: Mapped[Decimal | None] = mapped_column(Rate)
    borrower_rate: Mapped[Decimal | None] = mapped_column(Rate)
    subsidy_rate: Mapped[Decimal | None] = mapped_column(Rate)
    guarantee_fee_subsidy_ratio: Mapped[Decimal | None] = mapped_column(Rate)
    guarantee_fee_subsidy_cap: Mapped[int | None] = mapped_column(Yen)
    max_term_months: Mapped[int | None] = mapped_column(Integer)
    max_grace_months: Mapped[int | None] = mapped_column(Integer)
    limit_amount: Mapped[int | None] = mapped_column(Yen)
    approved_amount: Mapped[int | None] = mapped_column(Yen)  # 保証承諾額 / bank approval
    guarantee_fee: Mapped[int | None] = mapped_column(Yen)
    executed_on: Mapped[date | None] = mapped_column(Date, index=True)
    executed_amount: Mapped[int | None] = mapped_column(Yen)
    term_months: Mapped[int | None] = mapped_column(Integer)
    grace_months: Mapped[int | None] = mapped_column(Integer)
    # Eligibility checklist (DOMAIN §1.2) as ticked at the start of the ward review; None: not
    # checked yet.
    eligible_in_ward_year: Mapped[bool | None] = mapped_column(Boolean)
    eligible_head_office: Mapped[bool | None] = mapped_column(Boolean)
    eligible_taxes_paid: Mapped[bool | None] = mapped_column(Boolean)
    eligible_no_virtual_office: Mapped[bool | None] = mapped_column(Boolean)
    eligible_industry_covered: Mapped[bool | None] = mapped_column(Boolean)
    # 代表者区分 and 町会 membership at referral: they chose the subsidy rate in the snapshot.
    representative_residence: Mapped[str | None] = mapped_column(String(10))
    chokai_member: Mapped[bool | None] = mapped_column(Boolean)
    closed_on: Mapped[date | None] = mapped_column(Date, index=True)
    close_reason: Mapped[str] = mapped_column(Text, default="")
    subsidy_stopped_on: Mapped[date | None] = mapped_column(Date)
    subsidy_stop_reason: Mapped[str] = mapped_column(String(100), default="")
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)


class LoanCaseEvent(Base):
    """Append-only history of a loan case: every transition and every undo."""

    __tablename__ = "loan_case_event"
    __table_args__ = (CheckConstraint(_in("kind", LOAN_EVENT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("loan_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="transition")
    from_status: Mapped[str | None] = mapped_column(ForeignKey("loan_status.code"))
    to_status: Mapped[str] = mapped_column(ForeignKey("loan_status.code"))
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[str] = mapped_column(Text, default="{}")  # JSON of the transition's fields


class SafetyNetCertification(Tracked, Base):
    """セーフティネット保証 認定 (4号 / 5号): a small case the loan desk handles."""

    __tablename__ = "safety_net_certification"
    __table_args__ = (
        CheckConstraint(_in("kind", SAFETY_NET_KINDS), name="kind"),
        CheckConstraint(
            "decision IS NULL OR decision IN ('certified', 'refused')", name="decision"
        ),
        CheckConstraint("sales_current >= 0 AND sales_previous >= 0", name="sales"),
        Index("ix_safety_net_certification_applied_on_id", "applied_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    applied_on: Mapped[date] = mapped_column(Date)
    sales_current: Mapped[int] = mapped_column(Yen)
    sales_previous: Mapped[int] = mapped_column(Yen)
    decline_rate: Mapped[Decimal | None] = mapped_column(Rate)
    decision: Mapped[str | None] = mapped_column(String(10))
    certificate_number: Mapped[str] = mapped_column(String(30), default="")
    issued_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")


# --- expert dispatch (専門家派遣) -----------------------------------------------------------


class Expert(Tracked, Base):
    __tablename__ = "expert"
    __table_args__ = (
        CheckConstraint(
            "registered_to IS NULL OR registered_to >= registered_from", name="registration"
        ),
        CheckConstraint("fee_per_visit IS NULL OR fee_per_visit >= 0", name="fee"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_kana: Mapped[str] = mapped_column(String(100), default="")
    sort_key: Mapped[str] = mapped_column(String(100), index=True)
    fields: Mapped[str] = mapped_column(Text, default="")  # 得意分野
    registered_from: Mapped[date] = mapped_column(Date)
    registered_to: Mapped[date | None] = mapped_column(Date)
    fee_per_visit: Mapped[int | None] = mapped_column(Yen)
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    qualifications: Mapped[list[ExpertQualification]] = relationship(cascade="all, delete-orphan")


class ExpertQualification(Base):
    __tablename__ = "expert_qualification"

    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(50), primary_key=True)  # 中小企業診断士, 税理士 …


class DispatchProgram(Tracked, Base):
    __tablename__ = "dispatch_program"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiative.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DispatchProgramTerms(Tracked, Base):
    """Visit cap and fee of a dispatch program in one 年度."""

    __tablename__ = "dispatch_program_terms"
    __table_args__ = (
        UniqueConstraint("program_id", "fiscal_year"),
        CheckConstraint("max_visits_per_business >= 1", name="visits"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("dispatch_program.id"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    max_visits_per_business: Mapped[int] = mapped_column(Integer, default=8)
    fee_per_visit: Mapped[int | None] = mapped_column(Yen)


class ExpertDispatch(Tracked, Base):
    __tablename__ = "expert_dispatch"
    __table_args__ = (
        CheckConstraint(_in("status", DISPATCH_STATUSES), name="status"),
        CheckConstraint("approved_visits IS NULL OR approved_visits >= 0", name="visits"),
        Index("ix_expert_dispatch_business_id_fiscal_year", "business_id", "fiscal_year"),
        Index("ix_expert_dispatch_applied_on_id", "applied_on", "id"),
        Index("ix_expert_dispatch_consultation_id", "consultation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"))
    program_id: Mapped[int] = mapped_column(ForeignKey("dispatch_program.id"))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id"))
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiative.id"))
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    theme: Mapped[str] = mapped_column(String(200))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="applied")
    applied_on: Mapped[date] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    approved_visits: Mapped[int | None] = mapped_column(Integer)
    completed_on: Mapped[date | None] = mapped_column(Date)
    report_due_on: Mapped[date | None] = mapped_column(Date)
    report_received_on: Mapped[date | None] = mapped_column(Date)
    paid_on: Mapped[date | None] = mapped_column(Date)
    cancelled_on: Mapped[date | None] = mapped_column(Date)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")


class DispatchVisit(Tracked, Base):
    __tablename__ = "dispatch_visit"
    __table_args__ = (
        UniqueConstraint("dispatch_id", "number"),
        CheckConstraint(
            "end_time IS NULL OR start_time IS NULL OR end_time > start_time", name="times"
        ),
        CheckConstraint("fee IS NULL OR fee >= 0", name="fee"),
        Index("ix_dispatch_visit_visited_on", "visited_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dispatch_id: Mapped[int] = mapped_column(ForeignKey("expert_dispatch.id"))
    number: Mapped[int] = mapped_column(Integer)
    visited_on: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    place: Mapped[str] = mapped_column(String(200), default="")
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"))
    attendees: Mapped[str] = mapped_column(Text, default="")
    issues: Mapped[str] = mapped_column(Text, default="")
    advice: Mapped[str] = mapped_column(Text, default="")
    homework: Mapped[str] = mapped_column(Text, default="")
    next_on: Mapped[date | None] = mapped_column(Date)
    report_received_on: Mapped[date | None] = mapped_column(Date)
    fee: Mapped[int | None] = mapped_column(Yen)


class DispatchEvent(Base):
    """Append-only status history of a dispatch."""

    __tablename__ = "dispatch_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispatch_id: Mapped[int] = mapped_column(ForeignKey("expert_dispatch.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reason: Mapped[str] = mapped_column(Text, default="")


# --- shopping-street support (商店街支援) ---------------------------------------------------


class SupportKind(Tracked, Base):
    """Kinds of street support; users may add their own."""

    __tablename__ = "support_kind"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiative.id"))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class StreetSupport(Tracked, Base):
    __tablename__ = "street_support"
    __table_args__ = (
        CheckConstraint("student_count IS NULL OR student_count >= 0", name="students"),
        Index("ix_street_support_supported_on_id", "supported_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("street_association.id"), index=True)
    kind_id: Mapped[int] = mapped_column(ForeignKey("support_kind.id"))
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiative.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    supported_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    # 大学連携 details; empty for other kinds.
    university: Mapped[str] = mapped_column(String(100), default="")
    project: Mapped[str] = mapped_column(String(200), default="")
    student_count: Mapped[int | None] = mapped_column(Integer)


class StreetEvent(Tracked, Base):
    __tablename__ = "street_event"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="period"),
        CheckConstraint("budget IS NULL OR budget >= 0", name="budget"),
        CheckConstraint("visitors IS NULL OR visitors >= 0", name="visitors"),
        Index("ix_street_event_starts_on_id", "starts_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("street_association.id"), index=True)
    support_id: Mapped[int | None] = mapped_column(ForeignKey("street_support.id"))
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiative.id"))
    name: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(50), default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    partners: Mapped[str] = mapped_column(Text, default="")  # 町会, 大学, NPO …
    budget: Mapped[int | None] = mapped_column(Yen)
    visitors: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")


# --- subsidies (補助金) ---------------------------------------------------------------------


class SubsidyProgram(Tracked, Base):
    __tablename__ = "subsidy_program"
    __table_args__ = (CheckConstraint(_in("target", SUBSIDY_TARGETS), name="target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    target: Mapped[str] = mapped_column(String(10))
    initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiative.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")


class SubsidyProgramTerms(Tracked, Base):
    """Rate and cap rules of a subsidy program in force over a period.

    Rates are fractions (2/3, 5/6) so that amounts are computed exactly; a cost band lets a
    program pay a higher rate up to ``band_threshold`` (street events: ⅚ up to ¥1M, else ⅔).
    """

    __tablename__ = "subsidy_program_terms"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="period"),
        CheckConstraint("rate_numerator > 0 AND rate_denominator > 0", name="rate"),
        CheckConstraint("rounding_unit >= 1", name="rounding"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("subsidy_program.id"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    rate_numerator: Mapped[int] = mapped_column(Integer)
    rate_denominator: Mapped[int] = mapped_column(Integer)
    band_threshold: Mapped[int | None] = mapped_column(Yen)
    band_rate_numerator: Mapped[int | None] = mapped_column(Integer)
    band_rate_denominator: Mapped[int | None] = mapped_column(Integer)
    rounding_unit: Mapped[int] = mapped_column(Integer, default=1000)
    cap_amount: Mapped[int | None] = mapped_column(Yen)
    max_per_fiscal_year: Mapped[int | None] = mapped_column(Integer)
    report_due_days: Mapped[int | None] = mapped_column(Integer)  # after the funded activity ends


class SubsidyApplication(Tracked, Base):
    __tablename__ = "subsidy_application"
    __table_args__ = (
        CheckConstraint(_in("status", SUBSIDY_STATUSES), name="status"),
        CheckConstraint("(business_id IS NULL) <> (association_id IS NULL)", name="one_applicant"),
        CheckConstraint("eligible_cost IS NULL OR eligible_cost >= 0", name="cost"),
        CheckConstraint("granted_amount IS NULL OR granted_amount >= 0", name="granted"),
        Index("ix_subsidy_application_decided_on", "decided_on"),
        Index("ix_subsidy_application_applied_on_id", "applied_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("subsidy_program.id"))
    business_id: Mapped[int | None] = mapped_column(ForeignKey("business.id"), index=True)
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("street_association.id"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(ForeignKey("street_event.id"))
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiative.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="applied")
    title: Mapped[str] = mapped_column(String(200), default="")
    applied_on: Mapped[date] = mapped_column(Date)
    activity_ends_on: Mapped[date | None] = mapped_column(Date)
    eligible_cost: Mapped[int | None] = mapped_column(Yen)
    requested_amount: Mapped[int | None] = mapped_column(Yen)
    computed_amount: Mapped[int | None] = mapped_column(Yen)
    granted_amount: Mapped[int | None] = mapped_column(Yen)
    decided_on: Mapped[date | None] = mapped_column(Date)
    report_due_on: Mapped[date | None] = mapped_column(Date)
    reported_on: Mapped[date | None] = mapped_column(Date)
    confirmed_amount: Mapped[int | None] = mapped_column(Yen)
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    paid_amount: Mapped[int | None] = mapped_column(Yen)
    paid_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")


class SubsidyEvent(Base):
    """Append-only status history of a subsidy application."""

    __tablename__ = "subsidy_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("subsidy_application.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reason: Mapped[str] = mapped_column(Text, default="")


# --- trust and bookkeeping ------------------------------------------------------------------


class AuditLog(Base):
    """Append-only record of who did what; each row carries the hash of the previous one."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_record", "record_kind", "record_id"),
        Index("ix_audit_log_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    action: Mapped[str] = mapped_column(String(30))
    record_kind: Mapped[str] = mapped_column(String(40), default="")
    record_id: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[str] = mapped_column(Text, default="{}")  # JSON: field → [before, after]
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64))


class ImportBatch(Base):
    """One import run: what it added can be undone as a whole."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    file_name: Mapped[str] = mapped_column(String(300))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    undone_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ReportMonth(Base):
    """A calendar month's consultation counts, kept so that a report need not count a closed
    month again (``services/report_cache.py``).

    Triggers (revision 0009) bump ``generation`` whenever a write could change the month's
    counts: a consultation added, removed, moved, trashed or restored, its channel, business
    or topics changed, or its business's area or 業種 changed. The stored counts are valid
    only while ``counted_generation`` equals ``generation``.
    """

    __tablename__ = "report_month"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-04"
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    counted_generation: Mapped[int | None] = mapped_column(Integer)
    consultation_counts: Mapped[str | None] = mapped_column(Text)  # JSON

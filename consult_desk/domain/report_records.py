"""The data of the record reports: 事業者カルテ (one business) and 施策別実績 (one initiative, or
all of them on one page).

Plain frozen values, built by ``services.report_business`` / ``services.report_initiatives``
and drawn by ``reports.layout_records`` (which may not import services, hence this module).

- Amounts are int yen; ``None`` where the principal may not see them (loan amounts, safety-net
  sales figures), never a figure they could not otherwise read.
- Texts the principal may not see are already masked (``permissions.MASK``) or ``None``:
  internal notes are ``None`` unless the report was asked to include them.
- Every tuple is in the order the report shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

# --- 事業者カルテ -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BusinessProfile:
    id: int
    kind: str  # 法人 / 個人事業主 / 創業予定者
    name: str
    name_kana: str
    corporate_number: str  # "" when none
    industry: str  # "I 卸売業，小売業", "" when not set
    sme_status: str  # 小規模企業者 / 中小企業者 / …
    postal_code: str  # seven digits, "" when not set
    town: str
    area: str
    address: str
    phone: str
    email: str
    representative_name: str
    representative_residence: str  # 区民 / 一般 / ""
    representative_address: str  # personal data: MASK for roles that do not see it
    representative_phone: str  # personal data: MASK for roles that do not see it
    capital: int | None
    employees: int | None
    founded_on: date | None
    in_ward_since: date | None
    chokai_name: str
    street_association: str
    archived: bool


@dataclass(frozen=True, slots=True)
class KarteEntry:
    """One line of the karte's date-ordered list (every kind of record)."""

    on: date
    kind: str  # consultation, loan, safety_net, dispatch, dispatch_visit, subsidy, street_support,
    # street_event
    kind_label: str  # 経営相談, 融資あっせん, …
    record_id: int
    title: str
    detail: str  # never an amount: amounts are in ``amount``
    staff: str
    amount: int | None = None  # yen; None when none or not visible


@dataclass(frozen=True, slots=True)
class ConsultationEntry:
    id: int
    on: date
    start_time: time | None
    minutes: int | None
    channel: str
    topics: tuple[str, ...]  # the primary topic first
    initiatives: tuple[str, ...]  # plan codes ("1-2-2")
    staff: str
    summary: str
    advice: str
    referrals: str
    next_action: str
    due_on: date | None
    done: bool
    done_on: date | None
    done_note: str | None  # internal note; None unless notes were asked for


@dataclass(frozen=True, slots=True)
class LoanHistoryEntry:
    """One line of a loan case's append-only history."""

    on: date
    label: str  # the step (あっせん書交付 …), 取消し, 面談, 繰上償還, 利子補給の停止, メモ
    state: str  # the state label after the entry
    reason: str | None  # None: an internal memo (メモ, 面談) left out
    staff: str
    amount: int | None  # the amount the step recorded; None when none or not visible
    undone: bool  # a later 取消し took this step back


@dataclass(frozen=True, slots=True)
class LoanEntry:
    id: int
    received_on: date
    program: str
    status: str  # label
    status_since: date
    receipt_number: str
    referral_number: str
    officer: str
    interviewer: str
    purpose: str
    bank: str  # "みずほ銀行 神田支店", "" when not chosen yet
    initiative: str  # plan code
    requested_amount: int | None
    referral_amount: int | None
    approved_amount: int | None
    executed_amount: int | None
    guarantee_fee: int | None
    referred_on: date | None
    executed_on: date | None
    term_months: int | None
    grace_months: int | None
    nominal_rate: Decimal | None  # percent
    borrower_rate: Decimal | None  # percent
    closed_on: date | None
    close_reason: str
    subsidy_stopped_on: date | None
    subsidy_stop_reason: str
    history: tuple[LoanHistoryEntry, ...]  # oldest first


@dataclass(frozen=True, slots=True)
class SafetyNetEntry:
    id: int
    applied_on: date
    kind: str  # 4号 / 5号 / 危機関連
    decision: str  # 審査中 / 認定 / 不認定
    decline_rate: Decimal | None  # percent
    sales_current: int | None  # None for roles that may not see loan amounts
    sales_previous: int | None
    certificate_number: str
    issued_on: date | None
    valid_until: date | None
    notes: str | None  # internal; None unless notes were asked for


@dataclass(frozen=True, slots=True)
class VisitEntry:
    number: int
    visited_on: date
    start_time: time | None
    end_time: time | None
    place: str  # "オンライン" for an online visit
    expert: str
    issues: str
    advice: str
    homework: str
    next_on: date | None
    fee: int | None


@dataclass(frozen=True, slots=True)
class DispatchEntry:
    id: int
    applied_on: date
    program: str
    theme: str
    status: str  # label
    expert: str
    staff: str
    fiscal_year: int
    initiative: str  # plan code
    approved_visits: int | None
    decided_on: date | None
    completed_on: date | None
    cancelled_on: date | None
    cancel_reason: str
    fees: int  # the visits' fees, yen
    visits: tuple[VisitEntry, ...]  # by number
    notes: str | None  # internal; None unless notes were asked for


@dataclass(frozen=True, slots=True)
class SubsidyEntry:
    id: int
    applied_on: date
    program: str
    title: str
    status: str  # label
    staff: str
    initiative: str  # plan code
    requested_amount: int | None
    granted_amount: int | None
    decided_on: date | None
    confirmed_amount: int | None
    paid_amount: int | None
    paid_on: date | None
    notes: str | None  # internal; None unless notes were asked for


@dataclass(frozen=True, slots=True)
class StreetEntry:
    """Support given to the business's 商店街, or one of its events."""

    id: int  # of the support record or the event
    record_kind: str  # street_support / street_event
    on: date
    kind: str  # the support kind's name, or イベント
    title: str
    detail: str  # an event's length (「2日間」), place and visitors; a support's 大学連携 details
    staff: str
    notes: str | None  # internal; None unless notes were asked for


@dataclass(frozen=True, slots=True)
class BusinessReport:
    """事業者カルテ: one business and everything recorded for it."""

    profile: BusinessProfile
    summary: str  # the running summary staff keep for hand-over
    entries: tuple[KarteEntry, ...]  # every record, oldest first
    consultations: tuple[ConsultationEntry, ...]  # oldest first
    loans: tuple[LoanEntry, ...]
    safety_net: tuple[SafetyNetEntry, ...]
    dispatches: tuple[DispatchEntry, ...]
    subsidies: tuple[SubsidyEntry, ...]
    street: tuple[StreetEntry, ...]  # the 商店街's support and events, if the business has one
    notes_included: bool
    amounts_visible: bool
    personal_data_visible: bool
    # Kind label → how many of the oldest records were left out (each kind shows at most
    # MAX_RECORDS); empty when nothing was.
    omitted: tuple[tuple[str, int], ...] = ()


# --- 施策別実績 ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InitiativePath:
    """Where an initiative sits in the plan: 基本方針 → 個別方針 → 主な取組み."""

    id: int
    code: str  # "1-1-1"
    title: str
    owners: tuple[str, ...]  # 所管
    owners_note: str  # e.g. the plan's 「、他」
    description: str  # the plan's text for the initiative
    policy_code: str
    policy_title: str
    policy_summary: str
    basic_policy_code: str
    basic_policy_title: str


@dataclass(frozen=True, slots=True)
class InitiativeFigures:
    """What one initiative (or all of them) achieved in a period; each figure counts records
    whose named date falls in the period."""

    consultations: int  # by 相談日 (trash left out)
    businesses: int  # distinct businesses among the records counted here
    prospects: int  # distinct prospective founders (consultations without a business)
    loans_referred: int  # by the day the あっせん書 was issued
    loans_referred_amount: int | None  # yen; None when the principal may not see loan amounts
    loans_executed: int  # by 実行日
    loans_executed_amount: int | None
    dispatch_visits: int  # by 訪問日
    dispatch_fees: int  # the visits' fees, yen
    subsidies_granted: int  # by 交付決定日
    subsidies_granted_amount: int  # yen
    street_supports: int  # by 支援日
    events: int  # by 開始日
    event_visitors: int  # the events' visitors


@dataclass(frozen=True, slots=True)
class MonthFigures:
    """Counts of one calendar month, for the chart."""

    month: date  # its first day
    consultations: int
    loans_referred: int
    loans_executed: int
    dispatch_visits: int
    subsidies_granted: int
    street_supports: int
    events: int


@dataclass(frozen=True, slots=True)
class LinkedRecord:
    """One counted record: a consultation, a referral, an execution, a visit, a grant, a
    support record or an event."""

    on: date
    kind: str  # consultation, loan_referral, loan_execution, dispatch_visit, subsidy_grant,
    # street_support, street_event
    kind_label: str
    record_id: int  # the consultation, loan case, dispatch, application, support or event
    name: str  # the business, prospective founder or 商店街
    title: str
    amount: int | None  # yen; None when none or not visible


@dataclass(frozen=True, slots=True)
class InitiativeReport:
    """施策別実績: one initiative over a period."""

    initiative: InitiativePath
    period_from: date
    period_to: date
    figures: InitiativeFigures
    months: tuple[MonthFigures, ...]  # every month the period touches, in order
    records: tuple[LinkedRecord, ...]  # date order, at most MAX_LINKED
    more: int  # records counted but not listed
    amounts_visible: bool


@dataclass(frozen=True, slots=True)
class OverviewRow:
    code: str
    title: str
    owners: tuple[str, ...]
    figures: InitiativeFigures


@dataclass(frozen=True, slots=True)
class InitiativeOverview:
    """施策別実績一覧: every initiative of the plan over one period, in plan order."""

    period_from: date
    period_to: date
    rows: tuple[OverviewRow, ...]
    # Each record once: a consultation serving two initiatives counts once here, and a
    # business reached through several initiatives too.
    totals: InitiativeFigures
    amounts_visible: bool

"""One timeline of everything recorded for a business (カルテ), newest first.

Each kind of record contributes entries through one small function (consultations, loan cases);
later kinds (dispatches, subsidies, support) add their own source without changing the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult_desk.db.engine import Database
from consult_desk.db.models import (
    Bank,
    BankBranch,
    Consultation,
    ConsultationChannel,
    DispatchProgram,
    DispatchVisit,
    Expert,
    ExpertDispatch,
    LoanCase,
    LoanProgram,
    SafetyNetCertification,
    Staff,
    SubsidyApplication,
    SubsidyProgram,
)
from consult_desk.domain.dispatch import DispatchState
from consult_desk.domain.fiscal import format_date, format_yen
from consult_desk.domain.loans import LoanState
from consult_desk.domain.permissions import MASK, Action, Kind, Principal
from consult_desk.domain.safety_net import SafetyNetDecision
from consult_desk.domain.subsidies import AWAITING_REPORT, SubsidyState
from consult_desk.services.consultations import primary_topic_name

MAX_ENTRIES = 500  # a business with more scrolls through the consultation list instead


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    on: date
    record_kind: str  # "consultation", "loan", later "dispatch", "subsidy", "support"
    record_id: int
    title: str
    detail: str
    staff: str
    open_follow_up: bool = False
    due_on: date | None = None


def _consultations(
    session: Session, business_id: int, _principal: Principal
) -> list[TimelineEntry]:
    c = Consultation
    primary = primary_topic_name()
    stmt = (
        select(
            c.id,
            c.consulted_on,
            ConsultationChannel.name,
            primary,
            c.summary,
            c.due_on,
            c.done,
            Staff.name,
        )
        .join(ConsultationChannel, ConsultationChannel.id == c.channel_id)
        .join(Staff, Staff.id == c.staff_id)
        .where(c.business_id == business_id, c.deleted_at.is_(None))
        .order_by(c.consulted_on.desc(), c.id.desc())
        .limit(MAX_ENTRIES)
    )
    return [
        TimelineEntry(
            on=on,
            record_kind="consultation",
            record_id=cid,
            title=f"経営相談（{channel}）" + (f" {topic}" if topic else ""),
            detail=summary,
            staff=staff,
            open_follow_up=bool(due and not done),
            due_on=due,
        )
        for cid, on, channel, topic, summary, due, done, staff in session.execute(stmt)
    ]


def _loans(session: Session, business_id: int, principal: Principal) -> list[TimelineEntry]:
    """A loan case on its receipt day: 「融資あっせん 営業資金（区審査）」, the bank and the
    latest known amount (masked for roles that may not see amounts)."""
    c = LoanCase
    amount = func.coalesce(
        c.executed_amount, c.approved_amount, c.referral_amount, c.requested_amount
    )
    stmt = (
        select(
            c.id,
            c.received_on,
            c.status,
            LoanProgram.name,
            Bank.name,
            BankBranch.name,
            amount,
            Staff.name,
        )
        .join(LoanProgram, LoanProgram.id == c.program_id)
        .outerjoin(Bank, Bank.id == c.bank_id)
        .outerjoin(BankBranch, BankBranch.id == c.branch_id)
        .outerjoin(Staff, Staff.id == c.officer_id)
        .where(c.business_id == business_id)
        .order_by(c.received_on.desc(), c.id.desc())
        .limit(MAX_ENTRIES)
    )
    entries = []
    for cid, on, status, program, bank, branch, yen, staff in session.execute(stmt):
        parts = [" ".join(p for p in (bank, branch) if p)]
        if yen is not None:
            parts.append(format_yen(yen) if principal.sees_loan_amounts else MASK)
        entries.append(
            TimelineEntry(
                on=on,
                record_kind="loan",
                record_id=cid,
                title=f"融資あっせん {program}（{LoanState(status).label}）",
                detail="・".join(p for p in parts if p),
                staff=staff or "",
            )
        )
    return entries


def _safety_net(session: Session, business_id: int, _principal: Principal) -> list[TimelineEntry]:
    """An application for a セーフティネット認定 on its application day:
    「セーフティネット認定 4号（認定）」, the decline, and for a 認定 its number and last day."""
    c = SafetyNetCertification
    stmt = (
        select(
            c.id,
            c.applied_on,
            c.kind,
            c.decision,
            c.decline_rate,
            c.certificate_number,
            c.valid_until,
            Staff.name,
        )
        .outerjoin(Staff, Staff.id == c.created_by_id)
        .where(c.business_id == business_id)
        .order_by(c.applied_on.desc(), c.id.desc())
        .limit(MAX_ENTRIES)
    )
    entries = []
    for cid, on, kind, decision, rate, number, until, staff in session.execute(stmt):
        label = SafetyNetDecision(decision or SafetyNetDecision.PENDING.value).label
        parts = [f"減少率 {rate.normalize():f}%" if rate is not None else "", number]
        if until is not None:
            parts.append(f"有効期限 {format_date(until)}")
        entries.append(
            TimelineEntry(
                on=on,
                record_kind="safety_net",
                record_id=cid,
                title=f"セーフティネット認定 {kind}（{label}）",
                detail="・".join(p for p in parts if p),
                staff=staff or "",
            )
        )
    return entries


def _subsidies(session: Session, business_id: int, _principal: Principal) -> list[TimelineEntry]:
    """A subsidy application on its application day: 「補助金 販路拡大（交付決定）」 and the
    latest amount; one awaiting its 実績報告 is an open follow-up due on the report day."""
    a = SubsidyApplication
    amount = func.coalesce(
        a.paid_amount, a.confirmed_amount, a.granted_amount, a.requested_amount, a.computed_amount
    )
    stmt = (
        select(
            a.id,
            a.applied_on,
            a.status,
            SubsidyProgram.name,
            a.title,
            amount,
            a.report_due_on,
            Staff.name,
        )
        .join(SubsidyProgram, SubsidyProgram.id == a.program_id)
        .outerjoin(Staff, Staff.id == a.staff_id)
        .where(a.business_id == business_id)
        .order_by(a.applied_on.desc(), a.id.desc())
        .limit(MAX_ENTRIES)
    )
    entries = []
    for aid, on, status, program, title, yen, due, staff in session.execute(stmt):
        state = SubsidyState(status)
        awaiting = state in AWAITING_REPORT and due is not None
        entries.append(
            TimelineEntry(
                on=on,
                record_kind="subsidy",
                record_id=aid,
                title=f"補助金 {program}（{state.label}）",
                detail="・".join(p for p in (title, format_yen(yen)) if p),
                staff=staff or "",
                open_follow_up=awaiting,
                due_on=due if awaiting else None,
            )
        )
    return entries


def _dispatches(session: Session, business_id: int, _principal: Principal) -> list[TimelineEntry]:
    """An expert dispatch on its application day: 「専門家派遣 販路拡大（派遣中）」, the program,
    the expert and visits against the approved number; one awaiting its 実績報告 is an open
    follow-up due on the report day."""
    d = ExpertDispatch
    visits = (
        select(func.count(DispatchVisit.id))
        .where(DispatchVisit.dispatch_id == d.id)
        .correlate(d)
        .scalar_subquery()
    )
    stmt = (
        select(
            d.id,
            d.applied_on,
            d.status,
            d.theme,
            DispatchProgram.name,
            Expert.name,
            visits,
            d.approved_visits,
            d.report_due_on,
            Staff.name,
        )
        .join(DispatchProgram, DispatchProgram.id == d.program_id)
        .outerjoin(Expert, Expert.id == d.expert_id)
        .outerjoin(Staff, Staff.id == d.staff_id)
        .where(d.business_id == business_id)
        .order_by(d.applied_on.desc(), d.id.desc())
        .limit(MAX_ENTRIES)
    )
    entries = []
    for did, on, status, theme, program, expert, done, approved, due, staff in session.execute(
        stmt
    ):
        state = DispatchState(status)
        awaiting = state == DispatchState.COMPLETED and due is not None
        count = f"訪問{done}/{approved}回" if approved else (f"訪問{done}回" if done else "")
        entries.append(
            TimelineEntry(
                on=on,
                record_kind="dispatch",
                record_id=did,
                title=f"専門家派遣 {theme}（{state.label}）",
                detail="・".join(p for p in (program, expert, count) if p),
                staff=staff or "",
                open_follow_up=awaiting,
                due_on=due if awaiting else None,
            )
        )
    return entries


Source = Callable[[Session, int, Principal], list[TimelineEntry]]
# Record kind → (the permission to read it, where its entries come from).
SOURCES: dict[str, tuple[Kind, Source]] = {
    "consultation": (Kind.CONSULTATION, _consultations),
    "loan": (Kind.LOAN, _loans),
    "safety_net": (Kind.LOAN, _safety_net),
    "dispatch": (Kind.DISPATCH, _dispatches),
    "subsidy": (Kind.SUBSIDY, _subsidies),
}


class TimelineService:
    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal

    def for_business(self, business_id: int) -> list[TimelineEntry]:
        """Entries of every kind the principal may read, newest first."""
        self._principal.require(Kind.BUSINESS, Action.READ)
        entries: list[TimelineEntry] = []
        with self._db.read() as session:
            for kind, source in SOURCES.values():
                if self._principal.can(kind, Action.READ):
                    entries += source(session, business_id, self._principal)
        return sorted(entries, key=lambda e: (e.on, e.record_id), reverse=True)[:MAX_ENTRIES]

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
    LoanCase,
    LoanProgram,
    Staff,
)
from consult_desk.domain.fiscal import format_yen
from consult_desk.domain.loans import LoanState
from consult_desk.domain.permissions import MASK, Action, Kind, Principal
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


Source = Callable[[Session, int, Principal], list[TimelineEntry]]
# Record kind → (the permission to read it, where its entries come from).
SOURCES: dict[str, tuple[Kind, Source]] = {
    "consultation": (Kind.CONSULTATION, _consultations),
    "loan": (Kind.LOAN, _loans),
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

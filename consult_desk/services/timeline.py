"""One timeline of everything recorded for a business (カルテ), newest first.

Each kind of record contributes entries through one small function; later kinds (loan cases,
dispatches, subsidies, support) add their own source without changing the page that shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult_desk.db.engine import Database
from consult_desk.db.models import Consultation, ConsultationChannel, Staff
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.services.consultations import primary_topic_name

MAX_ENTRIES = 500  # a business with more scrolls through the consultation list instead


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    on: date
    record_kind: str  # "consultation", later "loan", "dispatch", "subsidy", "support"
    record_id: int
    title: str
    detail: str
    staff: str
    open_follow_up: bool = False
    due_on: date | None = None


def _consultations(session: Session, business_id: int) -> list[TimelineEntry]:
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


# Record kind → (the permission to read it, where its entries come from).
SOURCES: dict[str, tuple[Kind, Callable[[Session, int], list[TimelineEntry]]]] = {
    "consultation": (Kind.CONSULTATION, _consultations),
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
                    entries += source(session, business_id)
        return sorted(entries, key=lambda e: (e.on, e.record_id), reverse=True)[:MAX_ENTRIES]

"""Consultation log use cases: add, update, mark done, archive, get, page, count."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session

from consult_desk.db.base import utcnow
from consult_desk.db.engine import Database
from consult_desk.db.models import Business as BusinessModel
from consult_desk.db.models import Consultation as ConsultationModel
from consult_desk.db.models import (
    ConsultationChannel,
    ConsultationInitiative,
    ConsultationTopic,
    ConsultationTopicLink,
    Initiative,
    Staff,
)
from consult_desk.domain.consultations import (
    Consultation,
    ConsultationInput,
    ConsultationQuery,
    ConsultationRow,
)
from consult_desk.domain.errors import Conflict, FieldError, NotFound, ValidationError
from consult_desk.domain.fiscal import japan_today
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.services import audit, records
from consult_desk.services.paging import SortKey, after_condition, count_statement
from consult_desk.services.search import (
    WALK_DATES_ABOVE,
    consultation_fts_hits,
    consultation_text_condition,
)

RECORD_KIND = "consultation"
# A consultation whose topics name no initiative serves 経営相談.
FALLBACK_INITIATIVE = "1-2-2"
SUMMARY_CHARS = 60

_SCALAR_FIELDS = (
    "consulted_on",
    "channel_id",
    "staff_id",
    "business_id",
    "prospect_name",
    "prospect_contact",
    "start_time",
    "minutes",
    "summary",
    "advice",
    "referrals",
    "next_action",
    "due_on",
)


def _conditions(query: ConsultationQuery, walk_dates: bool = False) -> list[ColumnElement[bool]]:
    c = ConsultationModel
    found: list[ColumnElement[bool]] = [c.deleted_at.is_(None)]
    if query.archived is not None:
        found.append(c.archived.is_(query.archived))
    if query.date_from:
        found.append(c.consulted_on >= query.date_from)
    if query.date_to:
        found.append(c.consulted_on <= query.date_to)
    if query.staff_id is not None:
        found.append(c.staff_id == query.staff_id)
    if query.channel_id is not None:
        found.append(c.channel_id == query.channel_id)
    if query.business_id is not None:
        found.append(c.business_id == query.business_id)
    if query.topic_id is not None:
        found.append(
            exists().where(
                ConsultationTopicLink.consultation_id == c.id,
                ConsultationTopicLink.topic_id == query.topic_id,
            )
        )
    if query.initiative_id is not None:
        found.append(
            exists().where(
                ConsultationInitiative.consultation_id == c.id,
                ConsultationInitiative.initiative_id == query.initiative_id,
            )
        )
    if query.open_follow_ups:
        found.append(and_(c.due_on.is_not(None), c.done.is_(False)))
    if query.due_to is not None:
        found.append(c.due_on <= query.due_to)
    if query.by_due:
        found.append(c.due_on.is_not(None))
    if query.area:
        found.append(
            exists().where(BusinessModel.id == c.business_id, BusinessModel.area == query.area)
        )
    text = consultation_text_condition(query.text, walk_dates=walk_dates)
    if text is not None:
        found.append(text)
    return found


class ConsultationService:
    """The consultation log.

    - A consultation names a business or a prospective founder, never neither.
    - Its initiatives default from the primary topic (資金繰り → 資金繰りの支援 …), else 経営相談.
    - Writes validate first, run in one transaction, write an audit entry, and check the
      version the user started from (``Conflict`` when someone saved in between).
    """

    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal
        self._actor_id = principal.staff_id

    def add(self, value: ConsultationInput, *, today: date | None = None) -> int:
        self._principal.require(Kind.CONSULTATION, Action.CREATE)
        value = value.normalized()
        with self._db.write() as session:
            self._validate(session, value, today)
            consultation = ConsultationModel(
                created_by_id=self._actor_id, updated_by_id=self._actor_id
            )
            self._apply(session, consultation, value)
            session.add(consultation)
            session.flush()
            audit.record(
                session,
                self._actor_id,
                "create",
                RECORD_KIND,
                consultation.id,
                audit.diff({}, _snapshot(consultation)),
            )
            return consultation.id

    def update(
        self,
        consultation_id: int,
        version: int,
        value: ConsultationInput,
        *,
        today: date | None = None,
    ) -> int:
        self._principal.require(Kind.CONSULTATION, Action.EDIT)
        value = value.normalized()
        with self._db.write() as session:
            consultation = self._load(session, consultation_id, version)
            self._validate(session, value, today, existing=consultation)
            before = _snapshot(consultation)
            with session.no_autoflush:  # one UPDATE, so the version moves on by one
                self._apply(session, consultation, value)
            # Topic links live in other tables: touch the row so its version moves on too.
            consultation.updated_at = utcnow()
            return self._save(session, consultation, before)

    def mark_done(
        self, consultation_id: int, version: int, note: str = "", *, on: date | None = None
    ) -> int:
        """Close the follow-up of a consultation, with an optional note."""
        self._principal.require(Kind.CONSULTATION, Action.EDIT)
        with self._db.write() as session:
            consultation = self._load(session, consultation_id, version)
            before = _snapshot(consultation)
            consultation.done = True
            consultation.done_on = on or japan_today()
            consultation.done_note = note.strip()
            return self._save(session, consultation, before)

    def archive(self, consultation_id: int, version: int, archived: bool = True) -> int:
        self._principal.require(Kind.CONSULTATION, Action.EDIT)
        with self._db.write() as session:
            consultation = self._load(session, consultation_id, version)
            return records.set_archived(
                session, consultation, archived, self._actor_id, RECORD_KIND, consultation_id
            )

    def delete(self, consultation_id: int, version: int) -> None:
        """Move to the trash; an administrator can restore it."""
        self._principal.require(Kind.CONSULTATION, Action.DELETE)
        with self._db.write() as session:
            consultation = self._load(session, consultation_id, version)
            records.move_to_trash(
                session, consultation, self._actor_id, RECORD_KIND, consultation_id
            )

    def last_channel(self, staff_id: int) -> int | None:
        """The channel this member of staff used last: the default for the next entry."""
        self._principal.require(Kind.CONSULTATION, Action.READ)
        c = ConsultationModel
        stmt = (
            select(c.channel_id)
            .where(c.staff_id == staff_id, c.deleted_at.is_(None))
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(1)
        )
        with self._db.read() as session:
            return session.execute(stmt).scalar()

    def link_business(self, consultation_id: int, version: int, business_id: int) -> int:
        """A prospective founder has become a business: move the consultation onto it."""
        self._principal.require(Kind.CONSULTATION, Action.EDIT)
        with self._db.write() as session:
            consultation = self._load(session, consultation_id, version)
            business = session.get(BusinessModel, business_id)
            if business is None or business.deleted_at is not None:
                raise ValidationError([FieldError("business_id", "invalid_choice")])
            before = _snapshot(consultation)
            consultation.business_id = business_id
            consultation.prospect_name = ""
            consultation.prospect_contact = ""
            return self._save(session, consultation, before)

    def get(self, consultation_id: int) -> Consultation:
        self._principal.require(Kind.CONSULTATION, Action.READ)
        with self._db.read() as session:
            c = session.get(ConsultationModel, consultation_id)
            if c is None or c.deleted_at is not None:
                raise NotFound(f"consultation {consultation_id}")
            topics = session.execute(
                select(
                    ConsultationTopic.id, ConsultationTopic.name, ConsultationTopicLink.is_primary
                )
                .join(ConsultationTopicLink, ConsultationTopicLink.topic_id == ConsultationTopic.id)
                .where(ConsultationTopicLink.consultation_id == c.id)
                .order_by(ConsultationTopicLink.is_primary.desc(), ConsultationTopic.sort_order)
            ).all()
            initiatives = session.execute(
                select(Initiative.id, Initiative.code)
                .join(ConsultationInitiative, ConsultationInitiative.initiative_id == Initiative.id)
                .where(ConsultationInitiative.consultation_id == c.id)
                .order_by(Initiative.code)
            ).all()
            business = session.get(BusinessModel, c.business_id) if c.business_id else None
            value = ConsultationInput(
                **{name: getattr(c, name) for name in _SCALAR_FIELDS},
                topic_ids=tuple(t.id for t in topics),
                primary_topic_id=next((t.id for t in topics if t.is_primary), None),
                initiative_ids=tuple(i.id for i in initiatives),
            )
            return Consultation(
                id=c.id,
                version=c.version,
                input=value,
                business_name=business.name if business else "",
                channel_name=session.get(ConsultationChannel, c.channel_id).name,  # type: ignore[union-attr]
                staff_name=session.get(Staff, c.staff_id).name,  # type: ignore[union-attr]
                topic_names=tuple(t.name for t in topics),
                initiative_codes=tuple(i.code for i in initiatives),
                done=c.done,
                done_on=c.done_on,
                done_note=c.done_note,
                archived=c.archived,
                created_at=c.created_at,
                updated_at=c.updated_at,
            )

    def page(
        self, query: ConsultationQuery, after: ConsultationRow | None = None, limit: int = 200
    ) -> list[ConsultationRow]:
        self._principal.require(Kind.CONSULTATION, Action.READ)
        c = ConsultationModel
        keys: list[SortKey] = [c.due_on, c.id] if query.by_due else [c.consulted_on, c.id]
        descending = query.descending and not query.by_due
        primary_topic = primary_topic_name()
        stmt = (
            select(
                c.id,
                c.consulted_on,
                ConsultationChannel.name.label("channel"),
                Staff.name.label("staff"),
                BusinessModel.name.label("business_name"),
                c.prospect_name,
                c.business_id,
                primary_topic.label("primary_topic"),
                func.substr(c.summary, 1, SUMMARY_CHARS).label("summary"),
                c.due_on,
                c.done,
            )
            .join(ConsultationChannel, ConsultationChannel.id == c.channel_id)
            .join(Staff, Staff.id == c.staff_id)
            .outerjoin(BusinessModel, BusinessModel.id == c.business_id)
        )
        if after is not None:
            stmt = stmt.where(after_condition(keys, after.cursor, descending))
        order = [k.desc() for k in keys] if descending else keys
        with self._db.read() as session:
            hits = consultation_fts_hits(session, query.text) if query.text.strip() else None
            walk = hits is not None and hits > WALK_DATES_ABOVE and not query.by_due
            stmt = stmt.where(*_conditions(query, walk_dates=walk))
            return [
                ConsultationRow(
                    id=row.id,
                    consulted_on=row.consulted_on,
                    channel=row.channel,
                    staff=row.staff,
                    client=row.business_name or row.prospect_name,
                    business_id=row.business_id,
                    primary_topic=row.primary_topic or "",
                    summary=row.summary or "",
                    due_on=row.due_on,
                    done=row.done,
                    cursor=(row.due_on if query.by_due else row.consulted_on, row.id),
                )
                for row in session.execute(stmt.order_by(*order).limit(limit))
            ]

    def count(self, query: ConsultationQuery, cap: int | None = None) -> int:
        """How many rows match (at most cap + 1 with ``cap``: see ``paging.count_statement``)."""
        self._principal.require(Kind.CONSULTATION, Action.READ)
        stmt = count_statement(select(ConsultationModel.id).where(*_conditions(query)), cap)
        with self._db.read() as session:
            return session.execute(stmt).scalar_one()

    # --- helpers --------------------------------------------------------------------------

    @staticmethod
    def _load(session: Session, consultation_id: int, version: int) -> ConsultationModel:
        consultation = session.get(ConsultationModel, consultation_id)
        if consultation is None or consultation.deleted_at is not None:
            raise NotFound(f"consultation {consultation_id}")
        if consultation.version != version:
            raise Conflict(f"consultation {consultation_id}: {version} < {consultation.version}")
        return consultation

    def _save(
        self, session: Session, consultation: ConsultationModel, before: dict[str, Any]
    ) -> int:
        """Write a change to an existing consultation and audit it; returns the new version."""
        consultation.updated_by_id = self._actor_id
        records.flush(session)
        audit.record(
            session,
            self._actor_id,
            "update",
            RECORD_KIND,
            consultation.id,
            audit.diff(before, _snapshot(consultation)),
        )
        return consultation.version

    @staticmethod
    def _validate(
        session: Session,
        value: ConsultationInput,
        today: date | None,
        existing: ConsultationModel | None = None,
    ) -> None:
        if errors := consultation_errors(session, value, today, existing):
            raise ValidationError(errors)

    @staticmethod
    def _apply(session: Session, c: ConsultationModel, value: ConsultationInput) -> None:
        apply_consultation(session, c, value)


def consultation_errors(
    session: Session,
    value: ConsultationInput,
    today: date | None,
    existing: ConsultationModel | None = None,
) -> list[FieldError]:
    """Every rule a consultation must meet (the form's on saving, an import's for each
    row); ``value`` is normalised. An edit may keep a consultant who has since left, or a
    business archived since (staff rotate; old records stay correctable)."""
    errors = value.errors(today)
    kept_staff = existing is not None and existing.staff_id == value.staff_id
    kept_business = existing is not None and existing.business_id == value.business_id
    channel = session.get(ConsultationChannel, value.channel_id)
    if channel is None:
        errors.append(FieldError("channel_id", "invalid_choice"))
    staff = session.get(Staff, value.staff_id)
    if staff is None:
        errors.append(FieldError("staff_id", "invalid_choice"))
    elif not staff.active and not kept_staff:
        errors.append(FieldError("staff_id", "staff.inactive"))
    if value.business_id is not None:
        business = session.get(BusinessModel, value.business_id)
        if business is None or business.deleted_at is not None:
            errors.append(FieldError("business_id", "invalid_choice"))
        elif business.archived and not kept_business:
            errors.append(FieldError("business_id", "business.archived"))
    if value.topic_ids:
        known = set(
            session.scalars(
                select(ConsultationTopic.id).where(ConsultationTopic.id.in_(value.topic_ids))
            )
        )
        if known != set(value.topic_ids):
            errors.append(FieldError("topic_ids", "invalid_choice"))
    if value.initiative_ids:
        known = set(
            session.scalars(select(Initiative.id).where(Initiative.id.in_(value.initiative_ids)))
        )
        if known != set(value.initiative_ids):
            errors.append(FieldError("initiative_ids", "invalid_choice"))
    return errors


def apply_consultation(session: Session, c: ConsultationModel, value: ConsultationInput) -> None:
    """Copy a validated, normalised value onto the row: fields, topic links (the primary one
    marked) and initiatives (the primary topic's, else 経営相談, unless chosen)."""
    for name in _SCALAR_FIELDS:
        setattr(c, name, getattr(value, name))
    # Keep the link rows that stay: replacing a row by a new one with the same key would
    # make the flush insert before it deletes.
    links = {link.topic_id: link for link in c.topics}
    c.topics = [links.get(t) or ConsultationTopicLink(topic_id=t) for t in value.topic_ids]
    for link in c.topics:
        link.is_primary = link.topic_id == value.primary_topic_id
    initiative_ids = value.initiative_ids or (default_initiative(session, value),)
    kept = {link.initiative_id: link for link in c.initiatives}
    c.initiatives = [kept.get(i) or ConsultationInitiative(initiative_id=i) for i in initiative_ids]


def primary_topic_name() -> Any:
    """The name of a consultation's primary topic, as a subquery for list queries."""
    c = ConsultationModel
    return (
        select(ConsultationTopic.name)
        .join(ConsultationTopicLink, ConsultationTopicLink.topic_id == ConsultationTopic.id)
        .where(ConsultationTopicLink.consultation_id == c.id, ConsultationTopicLink.is_primary)
        .limit(1)
        .scalar_subquery()
    )


def default_initiative(session: Session, value: ConsultationInput) -> int:
    """The initiative of the primary topic, else 経営相談."""
    if value.primary_topic_id is not None:
        topic = session.get(ConsultationTopic, value.primary_topic_id)
        if topic is not None and topic.initiative_id is not None:
            return topic.initiative_id
    fallback = session.execute(
        select(Initiative.id).where(Initiative.code == FALLBACK_INITIATIVE)
    ).scalar_one()
    return fallback


def _snapshot(c: ConsultationModel) -> dict[str, Any]:
    values = {name: getattr(c, name) for name in _SCALAR_FIELDS}
    primary = [link.topic_id for link in c.topics if link.is_primary]
    values["topic_ids"] = sorted(link.topic_id for link in c.topics)
    values["primary_topic_id"] = primary[0] if primary else None
    values["initiative_ids"] = sorted(link.initiative_id for link in c.initiatives)
    values.update(done=c.done, done_on=c.done_on, done_note=c.done_note)
    return values

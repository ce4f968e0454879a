"""Shopping-street support (商店街支援): associations, member counts, support records, events.

The field rules live in ``domain/streets.py``; this module reads the facts they need (the towns'
areas, the chosen kind, the linked support record), derives defaults (area, initiative, staff)
and writes one audited transaction per call.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from dataclasses import fields, replace
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from consult_desk.db.base import utcnow
from consult_desk.db.engine import Database
from consult_desk.db.models import (
    Initiative,
    Staff,
    StreetAssociation,
    StreetAssociationTown,
    StreetEvent,
    StreetMembership,
    StreetSupport,
    SubsidyApplication,
    SubsidyProgram,
    SupportKind,
    Town,
)
from consult_desk.domain.errors import Conflict, FieldError, NotFound, ValidationError
from consult_desk.domain.fiscal import format_date, format_yen
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.streets import (
    EVENT_INITIATIVE_CODE,
    Association,
    AssociationInput,
    AssociationQuery,
    AssociationRow,
    Event,
    EventInput,
    EventRow,
    Membership,
    MembershipInput,
    StreetTimelineEntry,
    Support,
    SupportInput,
    SupportKindCode,
    SupportKindInfo,
    SupportKindInput,
    SupportQuery,
    SupportRow,
    street_area,
)
from consult_desk.domain.subsidies import SubsidyState
from consult_desk.domain.text import digits_only, kana_key, normalize, search_key
from consult_desk.services import audit, records
from consult_desk.services.paging import SortKey, after_condition, count_statement, like_pattern

ASSOCIATION_KIND = "street_association"
MEMBERSHIP_KIND = "street_membership"
SUPPORT_KIND = "street_support"
EVENT_KIND = "street_event"
KIND_KIND = "support_kind"
RECORD_KINDS = (ASSOCIATION_KIND, MEMBERSHIP_KIND, SUPPORT_KIND, EVENT_KIND, KIND_KIND)

# Columns the association's input fills directly (towns and area are derived separately).
_ASSOCIATION_COLUMNS = tuple(
    f.name for f in fields(AssociationInput) if f.name not in ("town_ids", "area")
)
_SUPPORT_COLUMNS = tuple(f.name for f in fields(SupportInput))
_EVENT_COLUMNS = tuple(f.name for f in fields(EventInput))
_KIND_COLUMNS = ("name", "initiative_id", "active", "sort_order")
MAX_TIMELINE = 500

Versioned = StreetAssociation | StreetMembership | StreetSupport | StreetEvent | SupportKind
V = TypeVar("V", StreetAssociation, StreetMembership, StreetSupport, StreetEvent, SupportKind)


def _load(session: Session, model: type[V], record_id: int, version: int | None = None) -> V:
    """The record, checked against the version the user started from (None: no check)."""
    record = session.get(model, record_id)
    if record is None:
        raise NotFound(f"{model.__tablename__} {record_id}")
    if version is not None and record.version != version:
        raise Conflict(f"{model.__tablename__} {record_id}: {version} < {record.version}")
    return record


def _initiative_code(session: Session, initiative_id: int) -> str:
    initiative = session.get(Initiative, initiative_id)
    return initiative.code if initiative else ""


def _state_label(status: str) -> str:
    return SubsidyState(status).label if status in set(SubsidyState) else status


def _snapshot(record: Versioned, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in names}


def _flush(session: Session) -> None:
    try:
        records.flush(session)
    except IntegrityError as exc:  # the schema's last line of defence (a racing save)
        text = str(exc.orig).lower()
        if "corporate_number" in text:
            raise ValidationError(
                [FieldError("corporate_number", "street.duplicate_corporate_number")]
            ) from exc
        if "support_kind" in text and "name" in text:
            raise ValidationError([FieldError("name", "duplicate_name")]) from exc
        if "street_membership" in text and "fiscal_year" in text:
            raise ValidationError([FieldError("fiscal_year", "street.membership_exists")]) from exc
        raise


def _text_condition(text: str) -> ColumnElement[bool] | None:
    """Every typed word must occur in the reading/sort key, the name or the 法人番号.

    A LIKE scan: there are a few hundred associations at most, so no search index is kept.
    """
    a = StreetAssociation
    words = normalize(text).split()
    if not words:
        return None
    conditions = []
    for word in words:
        matches = [
            a.sort_key.like(like_pattern(search_key(word)), escape="\\"),
            a.name.like(like_pattern(word), escape="\\"),
        ]
        if (digits := digits_only(word)).isdigit():
            matches.append(a.corporate_number.like(like_pattern(digits), escape="\\"))
        conditions.append(or_(*matches))
    return and_(*conditions)


def _association_conditions(query: AssociationQuery) -> list[ColumnElement[bool]]:
    a = StreetAssociation
    found: list[ColumnElement[bool]] = []
    if query.archived is not None:
        found.append(a.archived.is_(query.archived))
    if query.area:
        found.append(a.area == query.area)
    if query.legal_form:
        found.append(a.legal_form == query.legal_form)
    if query.federation_member is not None:
        found.append(a.federation_member.is_(query.federation_member))
    if query.town_id is not None:
        t = StreetAssociationTown
        found.append(exists().where(t.association_id == a.id, t.town_id == query.town_id))
    if (text := _text_condition(query.text)) is not None:
        found.append(text)
    return found


def _support_conditions(query: SupportQuery) -> list[ColumnElement[bool]]:
    s = StreetSupport
    found: list[ColumnElement[bool]] = []
    if query.association_id is not None:
        found.append(s.association_id == query.association_id)
    if query.kind_id is not None:
        found.append(s.kind_id == query.kind_id)
    if query.staff_id is not None:
        found.append(s.staff_id == query.staff_id)
    if query.initiative_id is not None:
        found.append(s.initiative_id == query.initiative_id)
    if query.date_from is not None:
        found.append(s.supported_on >= query.date_from)
    if query.date_to is not None:
        found.append(s.supported_on <= query.date_to)
    return found


def _membership(m: StreetMembership) -> Membership:
    return Membership(
        m.id, m.association_id, m.fiscal_year, m.full_members, m.supporting_members, m.version
    )


class StreetService:
    """Shopping-street associations and the desk's support for them.

    - Associations, member counts, support records and events need the street permission
      (``Kind.STREET``): read to list and get, create to add, edit to change. Support kinds are
      master data (``Kind.MASTER``): every role lists them, administrators add and edit them.
    - Every write validates first (``ValidationError`` with field codes, nothing written), runs
      in one transaction and writes an audit entry.
    - ``update*`` calls take the version the user started from; a newer version in the database
      raises ``Conflict`` and changes nothing, so the form keeps the user's input.
    - Defaults: an association's area follows its towns when they share one; a support record's
      initiative is its kind's, its staff the signed-in member; an event's initiative is its
      linked support record's, else 2-2-1. Forms pass None to ask for the default again (e.g.
      after the user picks another kind).
    - New support records, events and 年度 counts are refused for an archived association;
      existing ones stay editable.
    - ``page`` / ``page_supports`` are keyset-paged: pass the last row shown as ``after``.
    """

    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal
        self._actor_id = principal.staff_id

    # --- associations ---------------------------------------------------------------------

    def add(self, value: AssociationInput, *, today: date | None = None) -> int:
        self._principal.require(Kind.STREET, Action.CREATE)
        value = value.normalized()
        with self._db.write() as session:
            areas = self._validate_association(session, value, today, exclude_id=None)
            association = StreetAssociation(
                created_by_id=self._actor_id, updated_by_id=self._actor_id
            )
            self._apply_association(association, value, areas)
            session.add(association)
            _flush(session)
            self._write_towns(session, association.id, value.town_ids)
            audit.record(
                session,
                self._actor_id,
                "create",
                ASSOCIATION_KIND,
                association.id,
                audit.diff({}, self._association_snapshot(session, association)),
            )
            return association.id

    def update(
        self,
        association_id: int,
        version: int,
        value: AssociationInput,
        *,
        today: date | None = None,
    ) -> int:
        """Save the user's edit of ``version`` (towns included); returns the new version."""
        self._principal.require(Kind.STREET, Action.EDIT)
        value = value.normalized()
        with self._db.write() as session:
            association = _load(session, StreetAssociation, association_id, version)
            return self._update_association(session, association, value, today)

    def set_towns(self, association_id: int, version: int, town_ids: Sequence[int]) -> int:
        """Replace the towns a street covers; returns the new version.

        A chosen area that none of the new towns lies in gives way to the towns' area.
        """
        self._principal.require(Kind.STREET, Action.EDIT)
        with self._db.write() as session:
            association = _load(session, StreetAssociation, association_id, version)
            current = self._association_input(session, association)
            areas = set(self._town_areas(session, town_ids).values())
            area = current.area if current.area in areas or not areas else None
            value = replace(current, town_ids=tuple(town_ids), area=area).normalized()
            return self._update_association(session, association, value, today=None)

    def archive(self, association_id: int, version: int, archived: bool = True) -> int:
        """Archive (or bring back) an association; returns its version."""
        self._principal.require(Kind.STREET, Action.EDIT)
        with self._db.write() as session:
            association = _load(session, StreetAssociation, association_id, version)
            if association.archived == archived:
                return association.version
            association.archived = archived
            association.updated_by_id = self._actor_id
            _flush(session)
            audit.record(
                session,
                self._actor_id,
                "archive" if archived else "unarchive",
                ASSOCIATION_KIND,
                association_id,
                {"archived": [not archived, archived]},
            )
            return association.version

    def get(self, association_id: int) -> Association:
        self._principal.require(Kind.STREET, Action.READ)
        with self._db.read() as session:
            association = _load(session, StreetAssociation, association_id)
            value = self._association_input(session, association)
            stmt = select(Town.id, Town.name).where(Town.id.in_(value.town_ids))
            names = dict(session.execute(stmt).all())
            latest = session.scalars(
                select(StreetMembership)
                .where(StreetMembership.association_id == association_id)
                .order_by(StreetMembership.fiscal_year.desc())
                .limit(1)
            ).first()
            return Association(
                id=association.id,
                version=association.version,
                input=value,
                area=association.area,
                town_names=tuple(names[t] for t in value.town_ids),
                latest_membership=_membership(latest) if latest else None,
                archived=association.archived,
                created_at=association.created_at,
                updated_at=association.updated_at,
            )

    def page(
        self, query: AssociationQuery, after: AssociationRow | None = None, limit: int = 200
    ) -> list[AssociationRow]:
        """Associations in reading order (``sort_key``, id), the rows after ``after``."""
        self._principal.require(Kind.STREET, Action.READ)
        a, m = StreetAssociation, StreetMembership
        keys: list[SortKey] = [a.sort_key, a.id]
        inner = aliased(StreetMembership)
        latest_year = (
            select(func.max(inner.fiscal_year))
            .where(inner.association_id == a.id)
            .correlate(a)
            .scalar_subquery()
        )
        stmt = (
            select(
                a.id,
                a.name,
                a.name_kana,
                a.legal_form,
                a.corporate_number,
                a.area,
                a.federation_member,
                a.archived,
                m.fiscal_year,
                m.full_members,
                m.supporting_members,
                *(key.label(f"k{i}") for i, key in enumerate(keys)),
            )
            .outerjoin(m, and_(m.association_id == a.id, m.fiscal_year == latest_year))
            .where(*_association_conditions(query))
        )
        if after is not None:
            stmt = stmt.where(after_condition(keys, after.cursor, query.descending))
        order = [k.desc() for k in keys] if query.descending else keys
        with self._db.read() as session:
            rows = session.execute(stmt.order_by(*order).limit(limit)).all()
            towns = self._town_names(session, [row.id for row in rows])
            return [
                AssociationRow(
                    id=row.id,
                    name=row.name,
                    name_kana=row.name_kana,
                    legal_form=row.legal_form,
                    corporate_number=row.corporate_number or "",
                    area=row.area,
                    town_names=towns.get(row.id, ()),
                    federation_member=row.federation_member,
                    members_fiscal_year=row.fiscal_year,
                    full_members=row.full_members,
                    supporting_members=row.supporting_members,
                    archived=row.archived,
                    cursor=(row.k0, row.k1),
                )
                for row in rows
            ]

    def count(self, query: AssociationQuery, cap: int | None = None) -> int:
        self._principal.require(Kind.STREET, Action.READ)
        matching = select(StreetAssociation.id).where(*_association_conditions(query))
        with self._db.read() as session:
            return session.execute(count_statement(matching, cap)).scalar_one()

    # --- member counts per 年度 -----------------------------------------------------------

    def memberships(self, association_id: int) -> list[Membership]:
        """Member counts of every 年度 entered, the newest first."""
        self._principal.require(Kind.STREET, Action.READ)
        m = StreetMembership
        with self._db.read() as session:
            _load(session, StreetAssociation, association_id)
            stmt = select(m).where(m.association_id == association_id)
            return [
                _membership(row) for row in session.scalars(stmt.order_by(m.fiscal_year.desc()))
            ]

    def set_membership(
        self,
        association_id: int,
        value: MembershipInput,
        version: int | None = None,
        *,
        today: date | None = None,
    ) -> Membership:
        """Enter or correct the counts of one 年度; returns the saved row.

        The 年度 identifies the row (forms keep it read-only when editing). ``version`` None:
        the user enters a 年度 not listed yet (if it exists meanwhile, the error is
        ``street.membership_exists``); otherwise the version of the row being corrected.
        """
        self._principal.require(Kind.STREET, Action.EDIT)
        with self._db.write() as session:
            association = _load(session, StreetAssociation, association_id)
            errors = value.errors(today)
            m = StreetMembership
            row = session.scalars(
                select(m).where(
                    m.association_id == association_id, m.fiscal_year == value.fiscal_year
                )
            ).first()
            if row is None and version is not None:  # the 年度 of an entered row is fixed
                raise NotFound(f"street_membership {association_id}/{value.fiscal_year}")
            if row is not None and version is None:
                errors.append(FieldError("fiscal_year", "street.membership_exists"))
            if row is None and association.archived:
                errors.append(FieldError("association_id", "street.archived"))
            if errors:
                raise ValidationError(errors)
            names = ("association_id", "fiscal_year", "full_members", "supporting_members")
            if row is None:
                row = StreetMembership(
                    association_id=association_id,
                    fiscal_year=value.fiscal_year,
                    created_by_id=self._actor_id,
                )
                before: dict[str, Any] = {}
                action = "create"
                session.add(row)
            else:
                if row.version != version:
                    raise Conflict(f"street_membership {row.id}: {version} < {row.version}")
                before = _snapshot(row, names)
                action = "update"
                row.updated_at = utcnow()  # a save always moves the version on
            row.full_members = value.full_members
            row.supporting_members = value.supporting_members
            row.updated_by_id = self._actor_id
            _flush(session)
            audit.record(
                session,
                self._actor_id,
                action,
                MEMBERSHIP_KIND,
                row.id,
                audit.diff(before, _snapshot(row, names)),
            )
            return _membership(row)

    # --- support records ------------------------------------------------------------------

    def add_support(
        self, association_id: int, value: SupportInput, *, today: date | None = None
    ) -> int:
        self._principal.require(Kind.STREET, Action.CREATE)
        value = value.normalized()
        with self._db.write() as session:
            association = _load(session, StreetAssociation, association_id)
            value = self._validate_support(session, value, today, association, existing=None)
            support = StreetSupport(
                association_id=association_id,
                created_by_id=self._actor_id,
                updated_by_id=self._actor_id,
            )
            for name in _SUPPORT_COLUMNS:
                setattr(support, name, getattr(value, name))
            session.add(support)
            _flush(session)
            changes = audit.diff({}, _snapshot(support, ("association_id", *_SUPPORT_COLUMNS)))
            audit.record(session, self._actor_id, "create", SUPPORT_KIND, support.id, changes)
            return support.id

    def update_support(
        self, support_id: int, version: int, value: SupportInput, *, today: date | None = None
    ) -> int:
        """Save the user's edit of ``version``; returns the new version."""
        self._principal.require(Kind.STREET, Action.EDIT)
        value = value.normalized()
        with self._db.write() as session:
            support = _load(session, StreetSupport, support_id, version)
            association = _load(session, StreetAssociation, support.association_id)
            value = self._validate_support(session, value, today, association, existing=support)
            return self._update_columns(session, SUPPORT_KIND, support, value, _SUPPORT_COLUMNS)

    def get_support(self, support_id: int) -> Support:
        self._principal.require(Kind.STREET, Action.READ)
        with self._db.read() as session:
            s = _load(session, StreetSupport, support_id)
            kind = _load(session, SupportKind, s.kind_id)
            staff = session.get(Staff, s.staff_id) if s.staff_id else None
            event_ids = session.scalars(
                select(StreetEvent.id)
                .where(StreetEvent.support_id == support_id)
                .order_by(StreetEvent.starts_on, StreetEvent.id)
            )
            return Support(
                id=s.id,
                version=s.version,
                association_id=s.association_id,
                association_name=_load(session, StreetAssociation, s.association_id).name,
                input=SupportInput(**{name: getattr(s, name) for name in _SUPPORT_COLUMNS}),
                kind_code=kind.code,
                kind_name=kind.name,
                initiative_code=_initiative_code(session, s.initiative_id),
                staff_name=staff.name if staff else "",
                event_ids=tuple(event_ids),
                created_at=s.created_at,
                updated_at=s.updated_at,
            )

    def supports(self, association_id: int) -> list[SupportRow]:
        """Every support record of one association, the newest first."""
        self._principal.require(Kind.STREET, Action.READ)
        with self._db.read() as session:
            _load(session, StreetAssociation, association_id)
            query = SupportQuery(association_id=association_id)
            return self._support_rows(session, query, None, limit=None)

    def page_supports(
        self, query: SupportQuery, after: SupportRow | None = None, limit: int = 200
    ) -> list[SupportRow]:
        """Support records of all associations in date order (newest first unless the query
        says otherwise), the rows after ``after``."""
        self._principal.require(Kind.STREET, Action.READ)
        if errors := query.errors():
            raise ValidationError(errors)
        with self._db.read() as session:
            return self._support_rows(session, query, after, limit)

    def count_supports(self, query: SupportQuery, cap: int | None = None) -> int:
        self._principal.require(Kind.STREET, Action.READ)
        if errors := query.errors():
            raise ValidationError(errors)
        matching = select(StreetSupport.id).where(*_support_conditions(query))
        with self._db.read() as session:
            return session.execute(count_statement(matching, cap)).scalar_one()

    # --- events ---------------------------------------------------------------------------

    def add_event(self, association_id: int, value: EventInput) -> int:
        self._principal.require(Kind.STREET, Action.CREATE)
        value = value.normalized()
        with self._db.write() as session:
            association = _load(session, StreetAssociation, association_id)
            value = self._validate_event(session, value, association, existing=None)
            event = StreetEvent(
                association_id=association_id,
                created_by_id=self._actor_id,
                updated_by_id=self._actor_id,
            )
            for name in _EVENT_COLUMNS:
                setattr(event, name, getattr(value, name))
            session.add(event)
            _flush(session)
            changes = audit.diff({}, _snapshot(event, ("association_id", *_EVENT_COLUMNS)))
            audit.record(session, self._actor_id, "create", EVENT_KIND, event.id, changes)
            return event.id

    def update_event(self, event_id: int, version: int, value: EventInput) -> int:
        """Save the user's edit of ``version``; returns the new version."""
        self._principal.require(Kind.STREET, Action.EDIT)
        value = value.normalized()
        with self._db.write() as session:
            event = _load(session, StreetEvent, event_id, version)
            association = _load(session, StreetAssociation, event.association_id)
            value = self._validate_event(session, value, association, existing=event)
            return self._update_columns(session, EVENT_KIND, event, value, _EVENT_COLUMNS)

    def get_event(self, event_id: int) -> Event:
        self._principal.require(Kind.STREET, Action.READ)
        with self._db.read() as session:
            e = _load(session, StreetEvent, event_id)
            support = session.get(StreetSupport, e.support_id) if e.support_id else None
            return Event(
                id=e.id,
                version=e.version,
                association_id=e.association_id,
                association_name=_load(session, StreetAssociation, e.association_id).name,
                input=EventInput(**{name: getattr(e, name) for name in _EVENT_COLUMNS}),
                initiative_code=_initiative_code(session, e.initiative_id),
                support_title=support.title if support else "",
                created_at=e.created_at,
                updated_at=e.updated_at,
            )

    def events(self, association_id: int) -> list[EventRow]:
        """Every event of one association, the latest start first."""
        self._principal.require(Kind.STREET, Action.READ)
        e = StreetEvent
        stmt = (
            select(
                e.id,
                e.association_id,
                e.name,
                e.event_type,
                e.starts_on,
                e.ends_on,
                e.place,
                e.budget,
                e.visitors,
                e.support_id,
                Initiative.code,
            )
            .join(Initiative, Initiative.id == e.initiative_id)
            .where(e.association_id == association_id)
            .order_by(e.starts_on.desc(), e.id.desc())
        )
        with self._db.read() as session:
            _load(session, StreetAssociation, association_id)
            return [EventRow(*row) for row in session.execute(stmt)]

    # --- the association's history ----------------------------------------------------------

    def timeline(self, association_id: int) -> list[StreetTimelineEntry]:
        """Support records, events and (for those who may read them) subsidy applications of
        one association, newest first. Read-only."""
        self._principal.require(Kind.STREET, Action.READ)
        with self._db.read() as session:
            _load(session, StreetAssociation, association_id)
            entries = self._support_entries(session, association_id)
            entries += self._event_entries(session, association_id)
            if self._principal.can(Kind.SUBSIDY, Action.READ):
                entries += self._subsidy_entries(session, association_id)
        entries.sort(key=lambda e: (e.on, e.record_kind, e.record_id), reverse=True)
        return entries[:MAX_TIMELINE]

    # --- support kinds (master data) ------------------------------------------------------

    def support_kinds(self, include_inactive: bool = False) -> list[SupportKindInfo]:
        """The kinds in the order the forms list them (inactive ones only when asked for)."""
        self._principal.require(Kind.MASTER, Action.READ)
        k = SupportKind
        stmt = (
            select(k, Initiative.code)
            .outerjoin(Initiative, Initiative.id == k.initiative_id)
            .order_by(k.sort_order, k.id)
        )
        if not include_inactive:
            stmt = stmt.where(k.active)
        with self._db.read() as session:
            return [
                SupportKindInfo(
                    id=kind.id,
                    code=kind.code,
                    name=kind.name,
                    initiative_id=kind.initiative_id,
                    initiative_code=code or "",
                    sort_order=kind.sort_order,
                    active=kind.active,
                    version=kind.version,
                )
                for kind, code in session.execute(stmt)
            ]

    def add_support_kind(self, value: SupportKindInput) -> int:
        """Add a kind; its code is generated (the shipped kinds keep theirs)."""
        self._principal.require(Kind.MASTER, Action.CREATE)
        value = value.normalized()
        with self._db.write() as session:
            self._validate_kind(session, value, exclude_id=None)
            if value.sort_order is None:
                last = session.execute(select(func.max(SupportKind.sort_order))).scalar()
                value = replace(value, sort_order=(last or 0) + 1)
            kind = SupportKind(
                code=f"custom_{secrets.token_hex(4)}",
                created_by_id=self._actor_id,
                updated_by_id=self._actor_id,
            )
            for name in _KIND_COLUMNS:
                setattr(kind, name, getattr(value, name))
            session.add(kind)
            _flush(session)
            changes = audit.diff({}, _snapshot(kind, ("code", *_KIND_COLUMNS)))
            audit.record(session, self._actor_id, "create", KIND_KIND, kind.id, changes)
            return kind.id

    def update_support_kind(self, kind_id: int, version: int, value: SupportKindInput) -> int:
        """Rename, re-assign, reorder or (de)activate a kind; returns the new version.
        Records keep the initiative they were saved with."""
        self._principal.require(Kind.MASTER, Action.EDIT)
        value = value.normalized()
        with self._db.write() as session:
            kind = _load(session, SupportKind, kind_id, version)
            self._validate_kind(session, value, exclude_id=kind_id)
            if value.sort_order is None:
                value = replace(value, sort_order=kind.sort_order)
            return self._update_columns(session, KIND_KIND, kind, value, _KIND_COLUMNS)

    # --- helpers: associations ------------------------------------------------------------

    @staticmethod
    def _town_areas(session: Session, town_ids: Collection[int]) -> dict[int, str]:
        if not town_ids:
            return {}
        stmt = select(Town.id, Town.area).where(Town.id.in_(town_ids))
        return dict(session.execute(stmt).all())

    @staticmethod
    def _town_names(session: Session, association_ids: list[int]) -> dict[int, tuple[str, ...]]:
        if not association_ids:
            return {}
        t = StreetAssociationTown
        stmt = (
            select(t.association_id, Town.name)
            .join(Town, Town.id == t.town_id)
            .where(t.association_id.in_(association_ids))
            .order_by(t.association_id, Town.sort_order, Town.id)
        )
        found: dict[int, list[str]] = {}
        for association_id, name in session.execute(stmt):
            found.setdefault(association_id, []).append(name)
        return {key: tuple(names) for key, names in found.items()}

    @staticmethod
    def _stored_town_ids(session: Session, association_id: int) -> tuple[int, ...]:
        t = StreetAssociationTown
        stmt = (
            select(t.town_id)
            .join(Town, Town.id == t.town_id)
            .where(t.association_id == association_id)
            .order_by(Town.sort_order, Town.id)
        )
        return tuple(session.scalars(stmt))

    def _association_input(
        self, session: Session, association: StreetAssociation
    ) -> AssociationInput:
        """The stored association as the form's input; an area that merely follows the towns
        comes back as None, so changing the towns moves it along."""
        town_ids = self._stored_town_ids(session, association.id)
        derived = street_area(None, self._town_areas(session, town_ids).values())
        values = {name: getattr(association, name) for name in _ASSOCIATION_COLUMNS}
        values["corporate_number"] = association.corporate_number or ""
        return AssociationInput(
            **values,
            town_ids=town_ids,
            area=None if association.area == derived else association.area,
        )

    def _association_snapshot(
        self, session: Session, association: StreetAssociation
    ) -> dict[str, Any]:
        snapshot = _snapshot(association, (*_ASSOCIATION_COLUMNS, "area"))
        snapshot["town_ids"] = list(self._stored_town_ids(session, association.id))
        return snapshot

    def _validate_association(
        self,
        session: Session,
        value: AssociationInput,
        today: date | None,
        exclude_id: int | None,
    ) -> dict[int, str]:
        """Raise the field errors; return the chosen towns' areas by id."""
        areas = self._town_areas(session, value.town_ids)
        errors = value.errors(today, town_areas=set(areas.values()))
        if len(areas) != len(value.town_ids):
            errors.append(FieldError("town_ids", "invalid_choice"))
        a = StreetAssociation
        if value.corporate_number and not any(e.field == "corporate_number" for e in errors):
            stmt = select(a.id).where(a.corporate_number == value.corporate_number)
            if exclude_id is not None:
                stmt = stmt.where(a.id != exclude_id)
            if session.execute(stmt).first() is not None:
                errors.append(FieldError("corporate_number", "street.duplicate_corporate_number"))
        if value.name and not any(e.field == "name" for e in errors):
            # A few hundred names: compare the search keys in Python, the rule search uses.
            key = search_key(value.name)
            others = session.execute(select(a.id, a.name))
            if any(i != exclude_id and search_key(n) == key for i, n in others):
                errors.append(FieldError("name", "duplicate_name"))
        if errors:
            raise ValidationError(errors)
        return areas

    @staticmethod
    def _apply_association(
        association: StreetAssociation, value: AssociationInput, areas: dict[int, str]
    ) -> None:
        for name in _ASSOCIATION_COLUMNS:
            setattr(association, name, getattr(value, name))
        association.corporate_number = value.corporate_number or None
        association.area = street_area(value.area, areas.values())
        association.sort_key = kana_key(value.name_kana) or search_key(value.name)

    @staticmethod
    def _write_towns(session: Session, association_id: int, town_ids: Sequence[int]) -> None:
        t = StreetAssociationTown
        stored = set(session.scalars(select(t.town_id).where(t.association_id == association_id)))
        wanted = set(town_ids)
        if stored - wanted:
            session.execute(
                delete(t).where(t.association_id == association_id, t.town_id.in_(stored - wanted))
            )
        session.add_all(t(association_id=association_id, town_id=i) for i in wanted - stored)
        session.flush()

    def _update_association(
        self,
        session: Session,
        association: StreetAssociation,
        value: AssociationInput,
        today: date | None,
    ) -> int:
        areas = self._validate_association(session, value, today, exclude_id=association.id)
        before = self._association_snapshot(session, association)
        with session.no_autoflush:  # one UPDATE, so the version moves on by one
            self._apply_association(association, value, areas)
        association.updated_by_id = self._actor_id
        association.updated_at = utcnow()  # a save always moves the version on (towns too)
        _flush(session)
        self._write_towns(session, association.id, value.town_ids)
        changes = audit.diff(before, self._association_snapshot(session, association))
        audit.record(session, self._actor_id, "update", ASSOCIATION_KIND, association.id, changes)
        return association.version

    # --- helpers: support records, events, kinds ------------------------------------------

    def _validate_support(
        self,
        session: Session,
        value: SupportInput,
        today: date | None,
        association: StreetAssociation,
        existing: StreetSupport | None,
    ) -> SupportInput:
        """Raise the field errors; return the value with its defaults filled in."""
        kind = session.get(SupportKind, value.kind_id)
        kept_kind = existing is not None and existing.kind_id == value.kind_id
        errors = value.errors(
            today, university_kind=kind is not None and kind.code == SupportKindCode.UNIVERSITY
        )
        if existing is None and association.archived:
            errors.append(FieldError("association_id", "street.archived"))
        if kind is None or not (kind.active or kept_kind):
            errors.append(FieldError("kind_id", "invalid_choice"))
        elif existing is not None and kind.code != SupportKindCode.EVENT:
            linked = select(StreetEvent.id).where(StreetEvent.support_id == existing.id)
            if session.execute(linked.limit(1)).first() is not None:
                errors.append(FieldError("kind_id", "street.support_has_events"))
        initiative_id = value.initiative_id
        if initiative_id is None and kind is not None:
            initiative_id = kind.initiative_id
        if initiative_id is None:
            if kind is not None:
                errors.append(FieldError("initiative_id", "required"))
        elif session.get(Initiative, initiative_id) is None:
            errors.append(FieldError("initiative_id", "invalid_choice"))
        staff_id = self._actor_id if value.staff_id is None else value.staff_id
        if staff_id is not None:
            staff = session.get(Staff, staff_id)
            kept_staff = existing is not None and existing.staff_id == staff_id
            if staff is None:
                errors.append(FieldError("staff_id", "invalid_choice"))
            elif not staff.active and not kept_staff:
                errors.append(FieldError("staff_id", "staff.inactive"))
        if errors:
            raise ValidationError(errors)
        return replace(value, staff_id=staff_id, initiative_id=initiative_id)

    def _validate_event(
        self,
        session: Session,
        value: EventInput,
        association: StreetAssociation,
        existing: StreetEvent | None,
    ) -> EventInput:
        """Raise the field errors; return the value with its initiative filled in."""
        errors = value.errors()
        if existing is None and association.archived:
            errors.append(FieldError("association_id", "street.archived"))
        support = session.get(StreetSupport, value.support_id) if value.support_id else None
        if value.support_id is not None:
            kind = session.get(SupportKind, support.kind_id) if support else None
            if support is None or kind is None:
                errors.append(FieldError("support_id", "invalid_choice"))
            elif support.association_id != association.id:
                errors.append(FieldError("support_id", "street.support_other_street"))
            elif kind.code != SupportKindCode.EVENT:
                errors.append(FieldError("support_id", "street.support_not_event"))
        initiative_id = value.initiative_id
        if initiative_id is None:
            if support is not None:
                initiative_id = support.initiative_id
            else:
                initiative_id = session.execute(
                    select(Initiative.id).where(Initiative.code == EVENT_INITIATIVE_CODE)
                ).scalar()
        if initiative_id is None or session.get(Initiative, initiative_id) is None:
            errors.append(FieldError("initiative_id", "invalid_choice"))
        if errors:
            raise ValidationError(errors)
        return replace(value, initiative_id=initiative_id)

    @staticmethod
    def _validate_kind(session: Session, value: SupportKindInput, exclude_id: int | None) -> None:
        errors = value.errors()
        if value.initiative_id is not None and session.get(Initiative, value.initiative_id) is None:
            errors.append(FieldError("initiative_id", "invalid_choice"))
        if value.name and not any(e.field == "name" for e in errors):
            key = search_key(value.name)
            others = session.execute(select(SupportKind.id, SupportKind.name))
            if any(i != exclude_id and search_key(n) == key for i, n in others):
                errors.append(FieldError("name", "duplicate_name"))
        if errors:
            raise ValidationError(errors)

    def _update_columns(
        self,
        session: Session,
        record_kind: str,
        record: StreetSupport | StreetEvent | SupportKind,
        value: object,
        names: Sequence[str],
    ) -> int:
        before = _snapshot(record, names)
        with session.no_autoflush:  # one UPDATE, so the version moves on by one
            for name in names:
                setattr(record, name, getattr(value, name))
        record.updated_by_id = self._actor_id
        record.updated_at = utcnow()  # a save always moves the version on
        _flush(session)
        changes = audit.diff(before, _snapshot(record, names))
        audit.record(session, self._actor_id, "update", record_kind, record.id, changes)
        return record.version

    @staticmethod
    def _support_rows(
        session: Session, query: SupportQuery, after: SupportRow | None, limit: int | None
    ) -> list[SupportRow]:
        s = StreetSupport
        keys: list[SortKey] = [s.supported_on, s.id]
        stmt = (
            select(
                s.id,
                s.association_id,
                StreetAssociation.name.label("association_name"),
                s.supported_on,
                s.kind_id,
                SupportKind.name.label("kind_name"),
                s.title,
                Initiative.code.label("initiative_code"),
                Staff.name.label("staff_name"),
            )
            .join(StreetAssociation, StreetAssociation.id == s.association_id)
            .join(SupportKind, SupportKind.id == s.kind_id)
            .join(Initiative, Initiative.id == s.initiative_id)
            .outerjoin(Staff, Staff.id == s.staff_id)
            .where(*_support_conditions(query))
        )
        if after is not None:
            stmt = stmt.where(after_condition(keys, after.cursor, query.descending))
        stmt = stmt.order_by(*([k.desc() for k in keys] if query.descending else keys))
        if limit is not None:
            stmt = stmt.limit(limit)
        return [
            SupportRow(
                id=row.id,
                association_id=row.association_id,
                association_name=row.association_name,
                supported_on=row.supported_on,
                kind_id=row.kind_id,
                kind_name=row.kind_name,
                title=row.title,
                initiative_code=row.initiative_code,
                staff_name=row.staff_name or "",
                cursor=(row.supported_on, row.id),
            )
            for row in session.execute(stmt)
        ]

    @staticmethod
    def _support_entries(session: Session, association_id: int) -> list[StreetTimelineEntry]:
        s = StreetSupport
        stmt = (
            select(
                s.id, s.supported_on, SupportKind.name, s.title, s.notes, s.university, Staff.name
            )
            .join(SupportKind, SupportKind.id == s.kind_id)
            .outerjoin(Staff, Staff.id == s.staff_id)
            .where(s.association_id == association_id)
            .order_by(s.supported_on.desc(), s.id.desc())
            .limit(MAX_TIMELINE)
        )
        return [
            StreetTimelineEntry(
                on=on,
                record_kind=SUPPORT_KIND,
                record_id=sid,
                title=f"{kind}: {title}",
                detail="・".join(p for p in (university, notes.split("\n")[0]) if p),
                staff=staff or "",
            )
            for sid, on, kind, title, notes, university, staff in session.execute(stmt)
        ]

    @staticmethod
    def _event_entries(session: Session, association_id: int) -> list[StreetTimelineEntry]:
        e = StreetEvent
        stmt = (
            select(e.id, e.starts_on, e.ends_on, e.name, e.event_type, e.place, e.visitors)
            .where(e.association_id == association_id)
            .order_by(e.starts_on.desc(), e.id.desc())
            .limit(MAX_TIMELINE)
        )
        entries = []
        for eid, starts, ends, name, event_type, place, visitors in session.execute(stmt):
            period = format_date(starts) + (f"〜{format_date(ends)}" if ends != starts else "")
            parts = [period, place, f"来場者 {visitors:,}人" if visitors is not None else ""]
            entries.append(
                StreetTimelineEntry(
                    on=starts,
                    record_kind=EVENT_KIND,
                    record_id=eid,
                    title=f"イベント: {name}" + (f"（{event_type}）" if event_type else ""),
                    detail="・".join(p for p in parts if p),
                    staff="",
                )
            )
        return entries

    @staticmethod
    def _subsidy_entries(session: Session, association_id: int) -> list[StreetTimelineEntry]:
        a = SubsidyApplication
        stmt = (
            select(
                a.id,
                a.applied_on,
                SubsidyProgram.name,
                a.status,
                a.title,
                func.coalesce(
                    a.paid_amount, a.confirmed_amount, a.granted_amount, a.requested_amount
                ),
                Staff.name,
            )
            .join(SubsidyProgram, SubsidyProgram.id == a.program_id)
            .outerjoin(Staff, Staff.id == a.staff_id)
            .where(a.association_id == association_id)
            .order_by(a.applied_on.desc(), a.id.desc())
            .limit(MAX_TIMELINE)
        )
        return [
            StreetTimelineEntry(
                on=on,
                record_kind="subsidy_application",
                record_id=aid,
                title=f"補助金 {program}（{_state_label(status)}）",
                detail="・".join(p for p in (title, format_yen(amount)) if p),
                staff=staff or "",
            )
            for aid, on, program, status, title, amount, staff in session.execute(stmt)
        ]

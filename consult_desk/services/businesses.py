"""Business registry use cases: add, update, archive, get, page, count."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consult_desk.db.base import utcnow
from consult_desk.db.engine import Database
from consult_desk.db.models import Business as BusinessModel
from consult_desk.db.models import Consultation as ConsultationModel
from consult_desk.db.models import StreetAssociation, Town
from consult_desk.domain.businesses import (
    Area,
    Business,
    BusinessInput,
    BusinessQuery,
    BusinessRow,
    BusinessSort,
    Duplicate,
    postal_code_error,
)
from consult_desk.domain.errors import Conflict, FieldError, NotFound, ValidationError
from consult_desk.domain.permissions import MASK, Action, Kind, Principal
from consult_desk.domain.sme import SmeCategory, SmeStatus, default_sme_category, sme_status
from consult_desk.domain.text import digits_only, kana_key, search_key
from consult_desk.services import audit, records
from consult_desk.services.paging import SortKey, after_condition, count_statement, like_pattern
from consult_desk.services.search import business_text_condition

INPUT_FIELDS = tuple(f.name for f in fields(BusinessInput))
RECORD_KIND = "business"


def search_text(value: BusinessInput) -> str:
    """What the search box matches: name, reading, 法人番号, phone digits and address."""
    parts = [
        search_key(value.name),
        kana_key(value.name_kana),
        value.corporate_number,
        digits_only(value.phone),
        search_key(value.address),
    ]
    return " ".join(p for p in parts if p)


def _sort_keys(sort: BusinessSort) -> list[SortKey]:
    b = BusinessModel
    match sort:
        case BusinessSort.KIND:
            return [b.kind, b.sort_key, b.id]
        case BusinessSort.AREA:
            return [b.area, b.sort_key, b.id]
        case BusinessSort.UPDATED:
            return [b.updated_at, b.id]
        case _:
            return [b.sort_key, b.id]


def _conditions(query: BusinessQuery) -> list[ColumnElement[bool]]:
    b = BusinessModel
    found: list[ColumnElement[bool]] = [b.deleted_at.is_(None)]
    if query.archived is not None:
        found.append(b.archived.is_(query.archived))
    if query.kind:
        found.append(b.kind == query.kind)
    if query.area:
        found.append(b.area == query.area)
    if query.town_id is not None:
        found.append(b.town_id == query.town_id)
    if query.jsic_major:
        found.append(b.jsic_major == query.jsic_major)
    if query.sme_statuses:
        found.append(b.sme_status.in_(query.sme_statuses))
    if query.has_open_follow_ups:
        c = ConsultationModel
        found.append(
            exists().where(
                c.business_id == b.id,
                c.due_on.is_not(None),
                c.done.is_(False),
                c.deleted_at.is_(None),
            )
        )
    text = business_text_condition(query.text)
    if text is not None:
        found.append(text)
    return found


class BusinessService:
    """The business registry.

    - Every write validates first, runs in one transaction and writes an audit entry.
    - ``update`` and ``archive`` take the version the user started from; a newer version in
      the database raises ``Conflict`` and changes nothing.
    - ``page`` returns the rows after a cursor row in the query's order (keyset paging).
    """

    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal
        self._actor_id = principal.staff_id

    # --- writes ---------------------------------------------------------------------------

    def add(self, value: BusinessInput, *, today: date | None = None) -> int:
        self._principal.require(Kind.BUSINESS, Action.CREATE)
        value = value.normalized()
        with self._db.write() as session:
            self._validate(session, value, today=today, exclude_id=None)
            business = BusinessModel(created_by_id=self._actor_id, updated_by_id=self._actor_id)
            self._apply(session, business, value)
            session.add(business)
            self._flush(session)
            audit.record(
                session,
                self._actor_id,
                "create",
                RECORD_KIND,
                business.id,
                audit.diff({}, _snapshot(business)),
            )
            return business.id

    def update(
        self, business_id: int, version: int, value: BusinessInput, *, today: date | None = None
    ) -> int:
        """Save the user's edit of ``version``; returns the new version."""
        self._principal.require(Kind.BUSINESS, Action.EDIT)
        value = value.normalized()
        with self._db.write() as session:
            business = self._load(session, business_id)
            if business.version != version:
                raise Conflict(f"business {business_id}: {version} < {business.version}")
            if not self._principal.sees_personal_data:
                # The form showed these masked: keep what is stored, not the mask.
                value = replace(
                    value,
                    representative_address=business.representative_address,
                    representative_phone=business.representative_phone,
                )
            self._validate(session, value, today=today, exclude_id=business_id)
            before = _snapshot(business)
            with session.no_autoflush:  # one UPDATE, so the version moves on by one
                self._apply(session, business, value)
            business.updated_by_id = self._actor_id
            business.updated_at = utcnow()  # a save always moves the version on
            self._flush(session)
            audit.record(
                session,
                self._actor_id,
                "update",
                RECORD_KIND,
                business_id,
                audit.diff(before, _snapshot(business)),
            )
            return business.version

    def archive(self, business_id: int, version: int, archived: bool = True) -> int:
        self._principal.require(Kind.BUSINESS, Action.EDIT)
        with self._db.write() as session:
            business = self._load(session, business_id)
            if business.version != version:
                raise Conflict(f"business {business_id}: {version} < {business.version}")
            return records.set_archived(
                session, business, archived, self._actor_id, RECORD_KIND, business_id
            )

    # --- reads ----------------------------------------------------------------------------

    def delete(self, business_id: int, version: int) -> None:
        """Move to the trash; an administrator can restore it."""
        self._principal.require(Kind.BUSINESS, Action.DELETE)
        with self._db.write() as session:
            business = self._load(session, business_id)
            if business.version != version:
                raise Conflict(f"business {business_id}: {version} < {business.version}")
            records.move_to_trash(session, business, self._actor_id, RECORD_KIND, business_id)

    def find_duplicates(
        self, value: BusinessInput, exclude_id: int | None = None
    ) -> list[Duplicate]:
        """Businesses the user may be registering again: the same 法人番号, or the same
        normalised name in the same town. Shown as a warning before saving."""
        self._principal.require(Kind.BUSINESS, Action.READ)
        value = value.normalized()
        b = BusinessModel
        same: list[ColumnElement[bool]] = []
        if value.corporate_number:
            same.append(b.corporate_number == value.corporate_number)
        name_key = search_key(value.name)
        if name_key:
            town = b.town_id == value.town_id if value.town_id else b.town_id.is_(None)
            same.append(and_(b.search_text.like(like_pattern(name_key), escape="\\"), town))
        if not same:
            return []
        stmt = (
            select(b.id, b.name, b.corporate_number, b.search_text, Town.name.label("town"))
            .outerjoin(Town, Town.id == b.town_id)
            .where(or_(*same), b.deleted_at.is_(None))
            .limit(20)
        )
        if exclude_id is not None:
            stmt = stmt.where(b.id != exclude_id)
        found = []
        with self._db.read() as session:
            for row in session.execute(stmt):
                if value.corporate_number and row.corporate_number == value.corporate_number:
                    found.append(Duplicate(row.id, row.name, row.town or "", "corporate_number"))
                elif search_key(row.name) == name_key:  # the LIKE pre-filter, made exact
                    found.append(Duplicate(row.id, row.name, row.town or "", "name_town"))
        return found

    def update_summary(self, business_id: int, version: int, summary: str) -> int:
        """Save the running summary staff keep for hand-over (カルテ)."""
        self._principal.require(Kind.BUSINESS, Action.EDIT)
        with self._db.write() as session:
            business = self._load(session, business_id)
            if business.version != version:
                raise Conflict(f"business {business_id}: {version} < {business.version}")
            before = business.summary
            business.summary = summary.strip()
            business.updated_by_id = self._actor_id
            self._flush(session)
            audit.record(
                session,
                self._actor_id,
                "update",
                RECORD_KIND,
                business_id,
                {"summary": [before, business.summary]},
            )
            return business.version

    def get(self, business_id: int) -> Business:
        self._principal.require(Kind.BUSINESS, Action.READ)
        with self._db.read() as session:
            business = self._load(session, business_id)
            value = BusinessInput(**{name: _value(business, name) for name in INPUT_FIELDS})
            if not self._principal.sees_personal_data:
                value = masked(value)
            town = session.get(Town, business.town_id) if business.town_id else None
            street = (
                session.get(StreetAssociation, business.street_association_id)
                if business.street_association_id
                else None
            )
            return Business(
                id=business.id,
                version=business.version,
                input=value,
                area=business.area,
                sme_category=business.sme_category or default_sme_category(business.jsic_major),
                sme_status=SmeStatus(business.sme_status),
                town_name=town.name if town else "",
                street_association_name=street.name if street else "",
                archived=business.archived,
                created_at=business.created_at,
                updated_at=business.updated_at,
            )

    def find_by_corporate_number(self, corporate_number: str) -> int | None:
        self._principal.require(Kind.BUSINESS, Action.READ)
        with self._db.read() as session:
            return session.execute(
                select(BusinessModel.id).where(
                    BusinessModel.corporate_number == corporate_number,
                    BusinessModel.deleted_at.is_(None),
                )
            ).scalar()

    def page(
        self, query: BusinessQuery, after: BusinessRow | None = None, limit: int = 200
    ) -> list[BusinessRow]:
        self._principal.require(Kind.BUSINESS, Action.READ)
        keys = _sort_keys(query.sort)
        stmt = self._rows_select(keys).where(*_conditions(query))
        if after is not None:
            stmt = stmt.where(after_condition(keys, after.cursor, query.descending))
        order = [k.desc() for k in keys] if query.descending else keys
        stmt = stmt.order_by(*order).limit(limit)
        with self._db.read() as session:
            return [
                BusinessRow(
                    id=row.id,
                    kind=row.kind,
                    name=row.name,
                    name_kana=row.name_kana,
                    corporate_number=row.corporate_number or "",
                    area=row.area,
                    town_name=row.town_name or "",
                    phone=row.phone,
                    sme_status=row.sme_status,
                    archived=row.archived,
                    updated_at=row.updated_at,
                    cursor=tuple(getattr(row, f"k{i}") for i in range(len(keys))),
                )
                for row in session.execute(stmt)
            ]

    def count(self, query: BusinessQuery, cap: int | None = None) -> int:
        """How many rows match (at most cap + 1 with ``cap``: see ``paging.count_statement``)."""
        self._principal.require(Kind.BUSINESS, Action.READ)
        stmt = count_statement(select(BusinessModel.id).where(*_conditions(query)), cap)
        with self._db.read() as session:
            return session.execute(stmt).scalar_one()

    # --- helpers --------------------------------------------------------------------------

    @staticmethod
    def _rows_select(keys: list[SortKey]) -> Select:
        b = BusinessModel
        # Columns only (no ORM entities): three times faster for lists.
        return select(
            b.id,
            b.kind,
            b.name,
            b.name_kana,
            b.corporate_number,
            b.area,
            Town.name.label("town_name"),
            b.phone,
            b.sme_status,
            b.archived,
            b.updated_at,
            *(key.label(f"k{i}") for i, key in enumerate(keys)),
        ).outerjoin(Town, Town.id == b.town_id)

    @staticmethod
    def _load(session: Session, business_id: int) -> BusinessModel:
        business = session.get(BusinessModel, business_id)
        if business is None or business.deleted_at is not None:
            raise NotFound(f"business {business_id}")
        return business

    @staticmethod
    def _flush(session: Session) -> None:
        try:
            records.flush(session)
        except IntegrityError as exc:  # the schema's last line of defence
            if "corporate_number" in str(exc.orig):
                raise ValidationError([FieldError("corporate_number", "duplicate")]) from exc
            raise

    @staticmethod
    def _validate(
        session: Session, value: BusinessInput, *, today: date | None, exclude_id: int | None
    ) -> None:
        if errors := business_errors(session, value, today=today, exclude_id=exclude_id):
            raise ValidationError(errors)

    @staticmethod
    def _apply(session: Session, business: BusinessModel, value: BusinessInput) -> None:
        apply_business(session, business, value)


def business_errors(
    session: Session,
    value: BusinessInput,
    *,
    today: date | None,
    exclude_id: int | None,
    number_owner: Callable[[str], int | None] | None = None,
) -> list[FieldError]:
    """Every rule a business must meet, the database's included (a taken 法人番号, a town
    and its postal code): what the form checks on saving and an import checks for each row.
    ``value`` is normalised; ``exclude_id`` is the business being edited, if any.
    ``number_owner`` tells which business holds a 法人番号 (default: ask the database; an
    import that has read them all in one query answers from memory)."""
    errors = value.errors(today)
    if value.corporate_number and not any(e.field == "corporate_number" for e in errors):
        if number_owner is not None:
            owner = number_owner(value.corporate_number)
            taken = owner is not None and owner != exclude_id
        else:
            stmt = select(BusinessModel.id).where(
                BusinessModel.corporate_number == value.corporate_number
            )
            if exclude_id is not None:
                stmt = stmt.where(BusinessModel.id != exclude_id)
            taken = session.execute(stmt).first() is not None
        if taken:
            errors.append(FieldError("corporate_number", "duplicate"))
    if value.town_id is not None:
        town = session.get(Town, value.town_id)
        if town is None:
            errors.append(FieldError("town_id", "invalid_choice"))
        elif value.postal_code not in ("", town.postal_code) and not any(
            e.field == "postal_code" for e in errors
        ):  # the town's own code needs no look at the others (a row of an import each time)
            others = set(session.scalars(select(Town.postal_code).where(Town.id != town.id)))
            others.discard(town.postal_code)
            if code := postal_code_error(value.postal_code, town.postal_code, others):
                errors.append(FieldError("postal_code", code))
        if town is not None and value.area not in (None, town.area):
            errors.append(FieldError("area", "area.town_mismatch"))
    if value.street_association_id is not None and (
        session.get(StreetAssociation, value.street_association_id) is None
    ):
        errors.append(FieldError("street_association_id", "invalid_choice"))
    return errors


def apply_business(session: Session, business: BusinessModel, value: BusinessInput) -> None:
    """Copy a validated, normalised value onto the row, with what is derived from it (area,
    SME status, sort key, search text)."""
    for name in INPUT_FIELDS:
        setattr(business, name, getattr(value, name))
    business.corporate_number = value.corporate_number or None
    business.jsic_major = value.jsic_major or None
    # Stored as entered (None: follow the 業種); the derived one decides the status.
    business.sme_category = value.sme_category or None
    category = value.sme_category or default_sme_category(value.jsic_major)
    business.sme_status = sme_status(
        SmeCategory(category) if category else None, value.capital, value.employees
    )
    if value.town_id is not None:
        town = session.get(Town, value.town_id)
        business.area = town.area if town else Area.UNSET
    else:
        business.area = value.area or Area.UNSET
    business.sort_key = kana_key(value.name_kana) or search_key(value.name)
    business.search_text = search_text(value)


def masked(value: BusinessInput) -> BusinessInput:
    """The representative's home address and personal phone hidden (personal data)."""
    return replace(
        value,
        representative_address=MASK if value.representative_address else "",
        representative_phone=MASK if value.representative_phone else "",
    )


def _value(business: BusinessModel, name: str) -> Any:
    """A column as an input field: NULL becomes the field's 'nothing entered' value."""
    value = getattr(business, name)
    return BusinessInput.__dataclass_fields__[name].default if value is None else value


def _snapshot(business: BusinessModel) -> dict[str, Any]:
    return {name: getattr(business, name) for name in (*INPUT_FIELDS, "area", "sme_status")}

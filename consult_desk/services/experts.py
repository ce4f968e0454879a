"""The expert register (専門家): qualifications, fields, registration period, fee per visit.

An expert can be assigned to a visit only on a day within their registration
(``registered_from`` ≤ day ≤ ``registered_to``, an open end never expires) while active; the
rule is ``domain.dispatch.expert_errors``, which ``DispatchService`` applies to every visit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import fields
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from consult_desk.db.base import utcnow
from consult_desk.db.engine import Database
from consult_desk.db.models import Expert, ExpertQualification
from consult_desk.domain.dispatch import (
    QUALIFICATIONS,
    ExpertFee,
    ExpertInput,
    ExpertQuery,
    ExpertRow,
)
from consult_desk.domain.errors import Conflict, NotFound, ValidationError
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.text import normalize, search_key
from consult_desk.services import audit, records
from consult_desk.services.dispatch import year_fees_statement
from consult_desk.services.paging import SortKey, after_condition, count_statement, like_pattern

RECORD_KIND = "expert"
_FIELDS = tuple(f.name for f in fields(ExpertInput) if f.name != "qualifications")


def _qualification_order(name: str) -> tuple[int, str]:
    """The usual qualifications in their customary order, then any other alphabetically."""
    known = QUALIFICATIONS.index(name) if name in QUALIFICATIONS else len(QUALIFICATIONS)
    return known, name


def _valid_on(on: date) -> ColumnElement[bool]:
    e = Expert
    return and_(
        e.active.is_(True),
        e.registered_from <= on,
        or_(e.registered_to.is_(None), e.registered_to >= on),
    )


def _word_condition(word: str) -> ColumnElement[bool]:
    """One typed word anywhere in the name, reading, fields or a qualification.

    Stored text is NFKC-normalised, so the word is too (width); ``ilike`` ignores case and the
    sort key (a search key of the reading) ignores hiragana/katakana.
    """
    e = Expert
    pattern = like_pattern(normalize(word))
    return or_(
        e.name.ilike(pattern, escape="\\"),
        e.name_kana.ilike(pattern, escape="\\"),
        e.sort_key.like(like_pattern(search_key(word)), escape="\\"),
        e.fields.ilike(pattern, escape="\\"),
        exists().where(
            ExpertQualification.expert_id == e.id,
            ExpertQualification.name.ilike(pattern, escape="\\"),
        ),
    )


def _conditions(query: ExpertQuery) -> list[ColumnElement[bool]]:
    e = Expert
    found: list[ColumnElement[bool]] = []
    if query.active is not None:
        found.append(e.active.is_(query.active))
    if query.valid_on is not None:
        found.append(_valid_on(query.valid_on))
    if query.qualification:
        found.append(
            exists().where(
                ExpertQualification.expert_id == e.id,
                ExpertQualification.name == normalize(query.qualification),
            )
        )
    found += [_word_condition(word) for word in normalize(query.text).split()]
    return found


def _snapshot(expert: Expert, qualifications: tuple[str, ...]) -> dict[str, Any]:
    ordered = sorted(qualifications, key=_qualification_order)
    return {name: getattr(expert, name) for name in _FIELDS} | {"qualifications": ordered}


class ExpertService:
    """Reads and edits of the expert register.

    Permissions: reading (MASTER, READ) — every role, since every form picks experts; adding
    (MASTER, CREATE) and changing (MASTER, EDIT) — administrators. ``fees`` is about dispatch
    work and needs (DISPATCH, READ).

    ``update`` takes the version the user started from (``Conflict`` if someone saved since;
    nothing changes). Experts are never deleted, because visits refer to them: end the
    registration (``registered_to``) or set ``active=False``. Every change is audited.
    """

    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal
        self._actor_id = principal.staff_id

    def add(self, value: ExpertInput) -> int:
        self._principal.require(Kind.MASTER, Action.CREATE)
        value = value.normalized()
        if errors := value.errors():
            raise ValidationError(errors)
        with self._db.write() as session:
            expert = Expert(created_by_id=self._actor_id, updated_by_id=self._actor_id)
            self._apply(session, expert, value)
            session.add(expert)
            records.flush(session)
            changes = audit.diff({}, _snapshot(expert, value.qualifications))
            audit.record(session, self._actor_id, "create", RECORD_KIND, expert.id, changes)
            return expert.id

    def update(self, expert_id: int, version: int, value: ExpertInput) -> int:
        """Save the user's edit of ``version``; returns the new version."""
        self._principal.require(Kind.MASTER, Action.EDIT)
        value = value.normalized()
        if errors := value.errors():
            raise ValidationError(errors)
        with self._db.write() as session:
            expert = session.get(Expert, expert_id)
            if expert is None:
                raise NotFound(f"expert {expert_id}")
            if expert.version != version:
                raise Conflict(f"expert {expert_id}: {version} < {expert.version}")
            before = _snapshot(expert, _qualifications(session, [expert_id])[expert_id])
            with session.no_autoflush:  # one UPDATE, so the version moves on by one
                self._apply(session, expert, value)
                expert.updated_by_id = self._actor_id
                expert.updated_at = utcnow()  # qualifications alone would not move it
            records.flush(session)
            changes = audit.diff(before, _snapshot(expert, value.qualifications))
            audit.record(session, self._actor_id, "update", RECORD_KIND, expert.id, changes)
            return expert.version

    def get(self, expert_id: int) -> ExpertRow:
        self._principal.require(Kind.MASTER, Action.READ)
        with self._db.read() as session:
            expert = session.get(Expert, expert_id)
            if expert is None:
                raise NotFound(f"expert {expert_id}")
            return _rows(session, [expert])[0]

    def page(
        self, query: ExpertQuery, after: ExpertRow | None = None, limit: int = 200
    ) -> list[ExpertRow]:
        """Experts in reading order (keyset paging after ``after``)."""
        self._principal.require(Kind.MASTER, Action.READ)
        keys: list[SortKey] = [Expert.sort_key, Expert.id]
        stmt = select(Expert).where(*_conditions(query))
        if after is not None:
            stmt = stmt.where(after_condition(keys, (after.sort_key, after.id), False))
        with self._db.read() as session:
            return _rows(session, list(session.scalars(stmt.order_by(*keys).limit(limit))))

    def count(self, query: ExpertQuery, cap: int | None = None) -> int:
        self._principal.require(Kind.MASTER, Action.READ)
        stmt = count_statement(select(Expert.id).where(*_conditions(query)), cap)
        with self._db.read() as session:
            return session.execute(stmt).scalar_one()

    def assignable(self, on: date) -> list[ExpertRow]:
        """The experts who may be assigned on ``on`` (active, registered that day), in reading
        order: the visit form's choice. A register holds tens to a few hundred people."""
        self._principal.require(Kind.MASTER, Action.READ)
        stmt = select(Expert).where(_valid_on(on)).order_by(Expert.sort_key, Expert.id)
        with self._db.read() as session:
            return _rows(session, list(session.scalars(stmt)))

    def fees(self, fiscal_year: int) -> list[ExpertFee]:
        """Visits and fees per expert in 年度 ``fiscal_year`` (by visit date), in reading order.

        A visit costs its own fee, else its program's fee for the 年度, else the expert's.
        """
        self._principal.require(Kind.DISPATCH, Action.READ)
        stmt = year_fees_statement(fiscal_year, Expert.id, Expert.name, Expert.sort_key)
        with self._db.read() as session:
            rows = session.execute(stmt.order_by(Expert.sort_key, Expert.id)).all()
            return [ExpertFee(i, name, visits, int(total)) for i, name, _, visits, total in rows]

    @staticmethod
    def _apply(session: Session, expert: Expert, value: ExpertInput) -> None:
        for name in _FIELDS:
            setattr(expert, name, getattr(value, name))
        expert.sort_key = value.sort_key()
        wanted = set(value.qualifications)
        # Keep the rows that stay: deleting and re-adding the same key in one flush clashes.
        for row in list(expert.qualifications):
            if row.name not in wanted:
                expert.qualifications.remove(row)
        have = {row.name for row in expert.qualifications}
        for name in value.qualifications:
            if name not in have:
                expert.qualifications.append(ExpertQualification(name=name))


def _qualifications(session: Session, ids: list[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = defaultdict(list)
    if ids:
        rows = session.execute(
            select(ExpertQualification.expert_id, ExpertQualification.name).where(
                ExpertQualification.expert_id.in_(ids)
            )
        )
        for expert_id, name in rows:
            found[expert_id].append(name)
    return {i: tuple(sorted(found[i], key=_qualification_order)) for i in ids}


def _rows(session: Session, experts: list[Expert]) -> list[ExpertRow]:
    qualifications = _qualifications(session, [e.id for e in experts])
    return [
        ExpertRow(
            id=e.id,
            version=e.version,
            name=e.name,
            name_kana=e.name_kana,
            sort_key=e.sort_key,
            qualifications=qualifications[e.id],
            fields=e.fields,
            registered_from=e.registered_from,
            registered_to=e.registered_to,
            fee_per_visit=e.fee_per_visit,
            phone=e.phone,
            email=e.email,
            active=e.active,
        )
        for e in experts
    ]

"""Reference data and the plan catalogue, read for choices, reports and the CLI."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consult_desk.db.engine import Database
from consult_desk.db.models import (
    BasicPolicy,
    ConsultationChannel,
    ConsultationTopic,
    Initiative,
    JsicMajor,
    Policy,
    Staff,
    StreetAssociation,
    Town,
)
from consult_desk.domain.reference import (
    BasicPolicyNode,
    Choice,
    InitiativeNode,
    PolicyNode,
    Role,
    StaffMember,
    TownChoice,
)


class ReferenceService:
    """Read-only lists of master data; small enough to load whole."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def channels(self) -> list[Choice]:
        c = ConsultationChannel
        stmt = select(c.id, c.name).where(c.active).order_by(c.sort_order)
        with self._db.read() as session:
            return [Choice(row.id, row.name) for row in session.execute(stmt)]

    def topics(self) -> list[Choice]:
        t = ConsultationTopic
        stmt = (
            select(t.id, t.name, Initiative.code)
            .outerjoin(Initiative, Initiative.id == t.initiative_id)
            .where(t.active)
            .order_by(t.sort_order)
        )
        with self._db.read() as session:
            return [Choice(row.id, row.name, row.code or "") for row in session.execute(stmt)]

    def towns(self) -> list[TownChoice]:
        t = Town
        stmt = select(t.id, t.name, t.kana, t.postal_code, t.area).order_by(t.sort_order)
        with self._db.read() as session:
            return [TownChoice(*row) for row in session.execute(stmt)]

    def jsic_majors(self) -> list[Choice]:
        with self._db.read() as session:
            rows = session.execute(select(JsicMajor.code, JsicMajor.name).order_by(JsicMajor.code))
            return [Choice(code, name) for code, name in rows]

    def street_associations(self) -> list[Choice]:
        """Active shopping streets in reading order, for the business form's 商店街 field
        (detail: the legal form)."""
        a = StreetAssociation
        stmt = (
            select(a.id, a.name, a.legal_form)
            .where(a.archived.is_(False))
            .order_by(a.sort_key, a.id)
        )
        with self._db.read() as session:
            return [Choice(*row) for row in session.execute(stmt)]

    def staff(self, *, active_only: bool = True) -> list[StaffMember]:
        stmt = select(Staff).options(selectinload(Staff.roles)).order_by(Staff.name_kana, Staff.id)
        if active_only:
            stmt = stmt.where(Staff.active)
        with self._db.read() as session:
            return [
                StaffMember(s.id, s.login, s.name, tuple(Role(r.role) for r in s.roles), s.active)
                for s in session.scalars(stmt)
            ]

    def plan(self) -> list[BasicPolicyNode]:
        stmt = (
            select(BasicPolicy)
            .options(
                selectinload(BasicPolicy.policies)
                .selectinload(Policy.initiatives)
                .selectinload(Initiative.owners)
            )
            .order_by(BasicPolicy.sort_order)
        )
        with self._db.read() as session:
            return [
                BasicPolicyNode(
                    code=b.code,
                    title=b.title,
                    description=b.description,
                    policies=tuple(
                        PolicyNode(
                            code=p.code,
                            title=p.title,
                            description=p.description,
                            summary=p.summary,
                            initiatives=tuple(
                                InitiativeNode(
                                    id=i.id,
                                    code=i.code,
                                    title=i.title,
                                    owners=tuple(o.name for o in i.owners),
                                    owners_note=i.owners_note,
                                    description=i.description,
                                )
                                for i in p.initiatives
                            ),
                        )
                        for p in b.policies
                    ),
                )
                for b in session.scalars(stmt)
            ]

    def initiatives(self) -> list[InitiativeNode]:
        return [i for b in self.plan() for p in b.policies for i in p.initiatives]


def plan_as_json(plan: list[BasicPolicyNode]) -> list[dict[str, Any]]:
    """The plan tree in the CLI's JSON shape: 基本方針 → 個別方針 → 主な取組み."""
    return [
        {
            "code": b.code,
            "title": b.title,
            "policies": [
                {
                    "code": p.code,
                    "title": p.title,
                    "initiatives": [
                        {
                            "code": i.code,
                            "title": i.title,
                            "owners": list(i.owners),
                            **({"owners_note": i.owners_note} if i.owners_note else {}),
                        }
                        for i in p.initiatives
                    ],
                }
                for p in b.policies
            ],
        }
        for b in plan
    ]

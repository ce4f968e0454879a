"""セーフティネット保証 認定: applications, the ward's decision, and the list.

The rules (decline rate, thresholds, the 30-day validity) live in ``domain/safety_net.py``.
Reading needs Kind.LOAN / READ, applying Kind.LOAN / CREATE, deciding Kind.LOAN / TRANSITION;
every change is audited under the record kind ``safety_net``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, select
from sqlalchemy.orm import Session

from consult_desk.db.engine import Database
from consult_desk.db.models import Business, SafetyNetCertification
from consult_desk.domain.errors import Conflict, FieldError, NotFound, ValidationError
from consult_desk.domain.fiscal import japan_today
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.safety_net import (
    THRESHOLDS,
    SafetyNetDecision,
    SafetyNetInput,
    SafetyNetKind,
    SafetyNetQuery,
    SafetyNetRow,
    decline_rate,
    valid_until,
)
from consult_desk.domain.text import normalize, normalize_lines
from consult_desk.services import audit, records
from consult_desk.services.paging import SortKey, after_condition, count_statement

RECORD_KIND = "safety_net"
MAX_CERTIFICATE_NUMBER = 30  # the column's length


def _conditions(query: SafetyNetQuery) -> list[ColumnElement[bool]]:
    c = SafetyNetCertification
    found: list[ColumnElement[bool]] = []
    if query.business_id is not None:
        found.append(c.business_id == query.business_id)
    if query.kind is not None:
        found.append(c.kind == query.kind.value)
    if query.decision == SafetyNetDecision.PENDING:
        found.append(c.decision.is_(None))
    elif query.decision is not None:
        found.append(c.decision == query.decision.value)
    if query.applied_from is not None:
        found.append(c.applied_on >= query.applied_from)
    if query.applied_to is not None:
        found.append(c.applied_on <= query.applied_to)
    return found


def _row(row: Row[Any], today: date, amounts: bool) -> SafetyNetRow:
    """One certification; the sales figures only for roles that may see loan amounts (the
    decline rate and the decision are shown to everyone who may read the case)."""
    kind = SafetyNetKind(row.kind)
    decision = SafetyNetDecision(row.decision or SafetyNetDecision.PENDING.value)
    until = row.valid_until
    return SafetyNetRow(
        id=row.id,
        version=row.version,
        business_id=row.business_id,
        business_name=row.business_name,
        kind=kind,
        applied_on=row.applied_on,
        sales_current=row.sales_current if amounts else None,
        sales_previous=row.sales_previous if amounts else None,
        decline_rate=row.decline_rate,
        qualifies=row.decline_rate >= THRESHOLDS[kind],
        decision=decision,
        certificate_number=row.certificate_number,
        issued_on=row.issued_on,
        valid_until=until,
        valid_today=decision == SafetyNetDecision.CERTIFIED
        and row.issued_on is not None
        and until is not None
        and row.issued_on <= today <= until,
        notes=row.notes,
    )


def _select() -> Any:
    c = SafetyNetCertification
    return select(
        c.id,
        c.version,
        c.business_id,
        Business.name.label("business_name"),
        c.kind,
        c.applied_on,
        c.sales_current,
        c.sales_previous,
        c.decline_rate,
        c.decision,
        c.certificate_number,
        c.issued_on,
        c.valid_until,
        c.notes,
    ).join(Business, Business.id == c.business_id)


def _load(session: Session, cert_id: int, version: int) -> SafetyNetCertification:
    cert = session.get(SafetyNetCertification, cert_id)
    if cert is None:
        raise NotFound(f"safety net certification {cert_id}")
    if cert.version != version:
        raise Conflict(f"safety net certification {cert_id}: {version} < {cert.version}")
    return cert


class SafetyNetService:
    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal

    def add(self, value: SafetyNetInput, *, today: date | None = None) -> int:
        """Record an application; the decline rate is computed and stored with it."""
        self._principal.require(Kind.LOAN, Action.CREATE)
        errors = value.errors(today or japan_today())
        with self._db.write() as session:
            business = session.get(Business, value.business_id)
            if business is None or business.deleted_at is not None:
                errors.append(FieldError("business_id", "required"))
            elif business.archived:
                errors.append(FieldError("business_id", "business.archived"))
            if errors:
                raise ValidationError(errors)
            cert = SafetyNetCertification(
                business_id=value.business_id,
                kind=SafetyNetKind(value.kind).value,
                applied_on=value.applied_on,
                sales_current=value.sales_current,
                sales_previous=value.sales_previous,
                decline_rate=decline_rate(value.sales_current, value.sales_previous),
                notes=normalize_lines(value.notes),
                created_by_id=self._principal.staff_id,
                updated_by_id=self._principal.staff_id,
            )
            session.add(cert)
            records.flush(session)
            audit.record(
                session,
                self._principal.staff_id,
                "create",
                RECORD_KIND,
                cert.id,
                {
                    "kind": [None, cert.kind],
                    "applied_on": [None, cert.applied_on.isoformat()],
                    "decline_rate": [None, str(cert.decline_rate)],
                },
            )
            return cert.id

    def decide(
        self,
        cert_id: int,
        version: int,
        certified: bool,
        issued_on: date,
        certificate_number: str = "",
        *,
        today: date | None = None,
    ) -> int:
        """認定 (only when the decline reaches the kind's threshold) or 不認定 (always allowed).

        A 認定 is valid for 30 days counting ``issued_on``; for a 不認定 ``issued_on`` is the
        day of the decision. Returns the new version.
        """
        self._principal.require(Kind.LOAN, Action.TRANSITION)
        today = today or japan_today()
        number = normalize(certificate_number)
        with self._db.write() as session:
            cert = _load(session, cert_id, version)
            errors: list[FieldError] = []
            if cert.decision is not None:
                errors.append(FieldError("decision", "safety_net.already_decided"))
            if issued_on > today:
                errors.append(FieldError("issued_on", "date.future"))
            elif issued_on < cert.applied_on:
                errors.append(FieldError("issued_on", "safety_net.issued_before_applied"))
            if certified:
                threshold = THRESHOLDS[SafetyNetKind(cert.kind)]
                if cert.decline_rate is None or cert.decline_rate < threshold:
                    errors.append(FieldError("decision", "safety_net.below_threshold"))
                if not number:
                    errors.append(FieldError("certificate_number", "required"))
            if len(number) > MAX_CERTIFICATE_NUMBER:
                errors.append(FieldError("certificate_number", "too_long"))
            if errors:
                raise ValidationError(errors)
            decision = SafetyNetDecision.CERTIFIED if certified else SafetyNetDecision.REFUSED
            cert.decision = decision.value
            cert.issued_on = issued_on
            cert.certificate_number = number
            cert.valid_until = valid_until(issued_on) if certified else None
            cert.updated_by_id = self._principal.staff_id
            records.flush(session)
            audit.record(
                session,
                self._principal.staff_id,
                "transition",
                RECORD_KIND,
                cert.id,
                audit.diff(
                    {},
                    {
                        "decision": cert.decision,
                        "issued_on": cert.issued_on,
                        "certificate_number": cert.certificate_number or None,
                        "valid_until": cert.valid_until,
                    },
                ),
            )
            return cert.version

    def get(self, cert_id: int, *, today: date | None = None) -> SafetyNetRow:
        self._principal.require(Kind.LOAN, Action.READ)
        with self._db.read() as session:
            row = session.execute(
                _select().where(SafetyNetCertification.id == cert_id)
            ).one_or_none()
            if row is None:
                raise NotFound(f"safety net certification {cert_id}")
            return _row(row, today or japan_today(), self._principal.sees_loan_amounts)

    def page(
        self,
        query: SafetyNetQuery,
        after: SafetyNetRow | None = None,
        limit: int = 200,
        *,
        today: date | None = None,
    ) -> list[SafetyNetRow]:
        """Newest application first (by 申請日, then id)."""
        self._principal.require(Kind.LOAN, Action.READ)
        today = today or japan_today()
        c = SafetyNetCertification
        keys: list[SortKey] = [c.applied_on, c.id]
        stmt = _select().where(*_conditions(query))
        if after is not None:
            stmt = stmt.where(after_condition(keys, (after.applied_on, after.id), True))
        stmt = stmt.order_by(c.applied_on.desc(), c.id.desc()).limit(limit)
        with self._db.read() as session:
            amounts = self._principal.sees_loan_amounts
            return [_row(row, today, amounts) for row in session.execute(stmt)]

    def count(self, query: SafetyNetQuery, cap: int | None = None) -> int:
        self._principal.require(Kind.LOAN, Action.READ)
        stmt = count_statement(select(SafetyNetCertification.id).where(*_conditions(query)), cap)
        with self._db.read() as session:
            return session.execute(stmt).scalar_one()

"""A record's history from the audit trail, restoring an earlier version, and the trash."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select

from consult_desk.db.engine import Database
from consult_desk.db.models import AuditLog, Staff
from consult_desk.db.models import Business as BusinessModel
from consult_desk.db.models import Consultation as ConsultationModel
from consult_desk.domain.businesses import BusinessInput
from consult_desk.domain.consultations import ConsultationInput
from consult_desk.domain.errors import NotFound
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.services import audit
from consult_desk.services.businesses import BusinessService
from consult_desk.services.consultations import ConsultationService

# Record kinds as the audit trail names them, with the permission kind that guards them.
KINDS = {"business": Kind.BUSINESS, "consultation": Kind.CONSULTATION}
_DATE_FIELDS = {"founded_on", "in_ward_since", "consulted_on", "due_on"}
_TIME_FIELDS = {"start_time"}
_TUPLE_FIELDS = {"topic_ids", "initiative_ids"}


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    id: int
    occurred_at: datetime
    staff_name: str
    action: str
    changes: dict[str, tuple[Any, Any]]


@dataclass(frozen=True, slots=True)
class TrashItem:
    record_kind: str
    record_id: int
    title: str
    deleted_at: datetime
    deleted_by: str


def _plain_value(name: str, value: Any) -> Any:
    """A value as the audit trail stored it (JSON), back in the input field's type."""
    if value is None:
        return None
    if name in _DATE_FIELDS:
        return date.fromisoformat(value)
    if name in _TIME_FIELDS:
        return time.fromisoformat(value)
    if name in _TUPLE_FIELDS:
        return tuple(value)
    return value


def _input_from(cls: type[Any], state: dict[str, Any]) -> Any:
    values = {}
    for f in fields(cls):
        if f.name in state:
            value = _plain_value(f.name, state[f.name])
            values[f.name] = f.default if value is None and f.default is not None else value
    return cls(**values)


class HistoryService:
    """Versions of a record, rebuilt by replaying its audit entries in order.

    - ``history`` lists every entry (create, update, archive, delete, restore …), newest first.
    - ``restore_version`` saves the record as it was after a chosen entry, through the record's
      own service (so validation, permissions and the version check apply), and audits it.
    - ``trash`` / ``restore_deleted`` are the administrator's undo for deletions.
    """

    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal

    def history(self, record_kind: str, record_id: int) -> list[HistoryEntry]:
        self._principal.require(KINDS[record_kind], Action.READ)
        stmt = (
            select(AuditLog, Staff.name)
            .outerjoin(Staff, Staff.id == AuditLog.staff_id)
            .where(AuditLog.record_kind == record_kind, AuditLog.record_id == record_id)
            .order_by(AuditLog.id.desc())
        )
        with self._db.read() as session:
            return [
                HistoryEntry(
                    id=entry.id,
                    occurred_at=entry.occurred_at,
                    staff_name=name or "",
                    action=entry.action,
                    changes={
                        k: (v[0], v[1])
                        for k, v in json.loads(entry.changes).items()
                        if isinstance(v, list) and len(v) == 2
                    },
                )
                for entry, name in session.execute(stmt)
            ]

    def state_after(self, record_kind: str, record_id: int, entry_id: int) -> dict[str, Any]:
        """Field values of the record right after audit entry ``entry_id``."""
        self._principal.require(KINDS[record_kind], Action.READ)
        stmt = (
            select(AuditLog.id, AuditLog.changes)
            .where(
                AuditLog.record_kind == record_kind,
                AuditLog.record_id == record_id,
                AuditLog.id <= entry_id,
            )
            .order_by(AuditLog.id)
        )
        state: dict[str, Any] = {}
        found = False
        with self._db.read() as session:
            for row_id, changes in session.execute(stmt):
                found = found or row_id == entry_id
                for name, change in json.loads(changes).items():
                    if isinstance(change, list) and len(change) == 2:
                        state[name] = change[1]
        if not found or not state:
            raise NotFound(f"{record_kind} {record_id} entry {entry_id}")
        return state

    def restore_version(
        self, record_kind: str, record_id: int, entry_id: int, current_version: int
    ) -> int:
        """Save the record as it was after ``entry_id``; returns the new version."""
        state = self.state_after(record_kind, record_id, entry_id)
        if record_kind == "business":
            version = BusinessService(self._db, self._principal).update(
                record_id, current_version, _input_from(BusinessInput, state)
            )
        else:
            version = ConsultationService(self._db, self._principal).update(
                record_id, current_version, _input_from(ConsultationInput, state)
            )
        with self._db.write() as session:
            audit.record(
                session,
                self._principal.staff_id,
                "restore_version",
                record_kind,
                record_id,
                {"restored_entry": [None, entry_id]},
            )
        return version

    # --- trash ----------------------------------------------------------------------------

    def trash(self) -> list[TrashItem]:
        for kind in KINDS.values():
            self._principal.require(kind, Action.ADMINISTER)
        b, c = BusinessModel, ConsultationModel
        queries = [
            (
                "business",
                select(b.id, b.name, b.deleted_at, Staff.name)
                .outerjoin(Staff, Staff.id == b.deleted_by_id)
                .where(b.deleted_at.is_not(None)),
            ),
            (
                "consultation",
                select(c.id, c.summary, c.deleted_at, Staff.name)
                .outerjoin(Staff, Staff.id == c.deleted_by_id)
                .where(c.deleted_at.is_not(None)),
            ),
        ]
        items = []
        with self._db.read() as session:
            for record_kind, stmt in queries:
                items += [
                    TrashItem(record_kind, rid, (text or "")[:60], when, who or "")
                    for rid, text, when, who in session.execute(stmt)
                    if when is not None
                ]
        return sorted(items, key=lambda item: item.deleted_at, reverse=True)

    def restore_deleted(self, record_kind: str, record_id: int) -> None:
        self._principal.require(KINDS[record_kind], Action.ADMINISTER)
        with self._db.write() as session:
            record: BusinessModel | ConsultationModel | None = (
                session.get(BusinessModel, record_id)
                if record_kind == "business"
                else session.get(ConsultationModel, record_id)
            )
            if record is None or record.deleted_at is None:
                raise NotFound(f"{record_kind} {record_id} in the trash")
            record.deleted_at = None
            record.deleted_by_id = None
            audit.record(session, self._principal.staff_id, "restore", record_kind, record_id)

"""The audit trail: one append-only, hash-chained entry for every change a service makes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult_desk.db.base import utcnow
from consult_desk.db.dialect import lock_audit_chain
from consult_desk.db.models import AuditLog


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as field → [before, after]."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def _hashed_fields(entry: AuditLog) -> dict[str, Any]:
    return {
        "occurred_at": entry.occurred_at.isoformat(),
        "staff_id": entry.staff_id,
        "action": entry.action,
        "record_kind": entry.record_kind,
        "record_id": entry.record_id,
        "changes": entry.changes,
    }


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    record_kind: str,
    record_id: int | None,
    changes: dict[str, Any] | None = None,
) -> None:
    """Append an entry in the caller's transaction, chained to the previous entry."""
    lock_audit_chain(session)
    last = session.execute(select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)).scalar()
    entry = AuditLog(
        occurred_at=utcnow().replace(microsecond=0),
        staff_id=actor_id,
        action=action,
        record_kind=record_kind,
        record_id=record_id,
        changes=json.dumps(changes or {}, ensure_ascii=False, sort_keys=True, default=_plain),
        prev_hash=last or "",
    )
    entry.hash = entry_hash(entry.prev_hash, _hashed_fields(entry))
    session.add(entry)


@dataclass(frozen=True, slots=True)
class ChainCheck:
    entries: int
    first_broken_id: int | None


def verify_chain(session: Session) -> ChainCheck:
    """Recompute every hash in order; the first entry that does not match is reported."""
    prev = ""
    count = 0
    for entry in session.scalars(select(AuditLog).order_by(AuditLog.id)).yield_per(1000):
        count += 1
        if entry.prev_hash != prev or entry.hash != entry_hash(prev, _hashed_fields(entry)):
            return ChainCheck(count, entry.id)
        prev = entry.hash
    return ChainCheck(count, None)

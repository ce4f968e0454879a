"""Steps every editable record shares: saving with the version check, archiving, the trash."""

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from consult_desk.db.base import utcnow
from consult_desk.db.models import Business, Consultation
from consult_desk.domain.errors import Conflict
from consult_desk.services import audit

# The records that can be archived and deleted to the trash (later kinds join this union).
Record = Business | Consultation


def flush(session: Session) -> None:
    """Write pending changes; a row someone saved meanwhile becomes ``Conflict``."""
    try:
        session.flush()
    except StaleDataError as exc:  # our UPDATE … WHERE version = :old matched no row
        raise Conflict(str(exc)) from exc


def set_archived(
    session: Session,
    record: Record,
    archived: bool,
    actor_id: int | None,
    record_kind: str,
    record_id: int,
) -> int:
    """Archive or bring back a record (audited); returns its version."""
    if record.archived == archived:
        return record.version
    record.archived = archived
    if isinstance(record, Business):
        record.archived_at = utcnow() if archived else None
    record.updated_by_id = actor_id
    flush(session)
    audit.record(
        session,
        actor_id,
        "archive" if archived else "unarchive",
        record_kind,
        record_id,
        {"archived": [not archived, archived]},
    )
    return record.version


def move_to_trash(
    session: Session, record: Record, actor_id: int | None, record_kind: str, record_id: int
) -> None:
    """Delete the way the app deletes: into the trash, from which an administrator restores."""
    record.deleted_at = utcnow()
    record.deleted_by_id = actor_id
    flush(session)
    audit.record(session, actor_id, "delete", record_kind, record_id)

"""History rebuilt from the audit trail, restoring an earlier version, the trash, the chain."""

from datetime import date

import pytest
from sqlalchemy import text

from consult_desk.db.engine import Database
from consult_desk.domain.businesses import BusinessInput, BusinessQuery
from consult_desk.domain.consultations import ConsultationInput, ConsultationQuery
from consult_desk.domain.errors import Conflict, NotFound
from consult_desk.domain.permissions import Principal
from consult_desk.services import audit
from consult_desk.services.businesses import BusinessService
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.history import HistoryService
from consult_desk.services.reference import ReferenceService

TODAY = date(2026, 11, 28)


def test_history_lists_every_change_newest_first(db: Database, admin: Principal) -> None:
    businesses = BusinessService(db, admin)
    business_id = businesses.add(BusinessInput(name="神田青果", capital=1_000_000))
    businesses.update(business_id, 1, BusinessInput(name="神田青果店", capital=3_000_000))
    businesses.archive(business_id, 2)

    entries = HistoryService(db, admin).history("business", business_id)

    assert [e.action for e in entries] == ["archive", "update", "create"]
    assert entries[1].changes["name"] == ("神田青果", "神田青果店")
    assert entries[1].changes["capital"] == (1_000_000, 3_000_000)
    assert entries[1].staff_name == "管理 太郎"


def test_restore_version_saves_the_old_values_and_is_audited(
    db: Database, admin: Principal
) -> None:
    businesses = BusinessService(db, admin)
    business_id = businesses.add(
        BusinessInput(name="神田青果", founded_on=date(1990, 4, 1), phone="03-1111-2222")
    )
    businesses.update(business_id, 1, BusinessInput(name="別の名前", phone=""))
    history = HistoryService(db, admin)
    created = history.history("business", business_id)[-1]

    version = history.restore_version("business", business_id, created.id, 2)

    restored = businesses.get(business_id)
    assert (restored.input.name, restored.input.phone) == ("神田青果", "03-1111-2222")
    assert restored.input.founded_on == date(1990, 4, 1)
    assert version == 3
    assert history.history("business", business_id)[0].action == "restore_version"


def test_restore_version_respects_the_version_check(db: Database, admin: Principal) -> None:
    businesses = BusinessService(db, admin)
    business_id = businesses.add(BusinessInput(name="A"))
    businesses.update(business_id, 1, BusinessInput(name="B"))
    history = HistoryService(db, admin)
    first = history.history("business", business_id)[-1]

    with pytest.raises(Conflict):
        history.restore_version("business", business_id, first.id, 1)


def test_consultation_versions_restore_topics_and_times(db: Database, admin: Principal) -> None:
    refs = ReferenceService(db)
    channel = int(refs.channels()[0].id)
    topics = [int(t.id) for t in refs.topics()[:2]]
    service = ConsultationService(db, admin)
    first = ConsultationInput(
        consulted_on=TODAY,
        channel_id=channel,
        staff_id=admin.staff_id or 0,
        prospect_name="山田",
        topic_ids=tuple(topics),
        summary="最初の記録",
        next_action="電話",
        due_on=date(2026, 12, 1),
    )
    cid = service.add(first, today=TODAY)
    service.update(
        cid,
        1,
        ConsultationInput(
            consulted_on=TODAY,
            channel_id=channel,
            staff_id=admin.staff_id or 0,
            prospect_name="山田",
        ),
        today=TODAY,
    )
    history = HistoryService(db, admin)

    history.restore_version("consultation", cid, history.history("consultation", cid)[-1].id, 2)

    got = service.get(cid).input
    assert got.summary == "最初の記録"
    assert set(got.topic_ids) == set(topics)
    assert got.due_on == date(2026, 12, 1)


def test_deleted_records_go_to_the_trash_and_come_back(db: Database, admin: Principal) -> None:
    businesses = BusinessService(db, admin)
    business_id = businesses.add(BusinessInput(name="消してしまった事業者"))
    businesses.delete(business_id, 1)
    history = HistoryService(db, admin)

    assert businesses.count(BusinessQuery(archived=None)) == 0
    with pytest.raises(NotFound):
        businesses.get(business_id)
    trash = history.trash()
    assert [(t.record_kind, t.record_id) for t in trash] == [("business", business_id)]

    history.restore_deleted("business", business_id)

    assert businesses.get(business_id).input.name == "消してしまった事業者"
    assert history.trash() == []
    assert history.history("business", business_id)[0].action == "restore"


def test_deleted_consultation_leaves_lists(db: Database, admin: Principal) -> None:
    channel = int(ReferenceService(db).channels()[0].id)
    service = ConsultationService(db, admin)
    cid = service.add(
        ConsultationInput(
            consulted_on=TODAY, channel_id=channel, staff_id=admin.staff_id or 0, prospect_name="A"
        ),
        today=TODAY,
    )

    service.delete(cid, 1)

    assert service.count(ConsultationQuery(archived=None)) == 0
    assert [t.record_id for t in HistoryService(db, admin).trash()] == [cid]


def test_the_chain_detects_a_changed_or_removed_entry(db: Database, admin: Principal) -> None:
    businesses = BusinessService(db, admin)
    for name in ("A", "B", "C"):
        businesses.add(BusinessInput(name=name))
    with db.read() as session:
        assert audit.verify_chain(session).first_broken_id is None

    with db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET changes = '{}' WHERE id = 3"))
    with db.read() as session:
        assert audit.verify_chain(session).first_broken_id == 3

    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id = 2"))
    with db.read() as session:
        assert audit.verify_chain(session).first_broken_id == 3

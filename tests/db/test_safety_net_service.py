"""セーフティネット認定 on a real SQLite file: thresholds, validity, versions, audit, roles."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from consult_desk.db.engine import Database
from consult_desk.db.models import AuditLog, Business, Staff, StaffRole
from consult_desk.domain.errors import Conflict, ValidationError
from consult_desk.domain.permissions import PermissionDenied, Principal, Role
from consult_desk.domain.safety_net import (
    SafetyNetDecision,
    SafetyNetInput,
    SafetyNetKind,
    SafetyNetQuery,
)
from consult_desk.services.safety_net import SafetyNetService

TODAY = date(2026, 11, 30)
APPLIED = date(2026, 11, 16)


@pytest.fixture
def business_id(db: Database) -> int:
    with db.write() as session:
        business = Business(
            kind="corporation",
            name="神田青果株式会社",
            sort_key="かんだせいか",
            sme_status="小規模企業者",
        )
        session.add(business)
        session.flush()
        return business.id


@pytest.fixture
def service(db: Database, admin: Principal) -> SafetyNetService:
    return SafetyNetService(db, admin)


def _apply(
    service: SafetyNetService,
    business_id: int,
    current: int,
    previous: int = 1_000_000,
    kind: SafetyNetKind = SafetyNetKind.NO4,
    applied_on: date = APPLIED,
) -> int:
    return service.add(
        SafetyNetInput(business_id, kind, applied_on, current, previous), today=TODAY
    )


def test_a_decline_of_19_99_percent_cannot_be_certified_under_4go(
    service: SafetyNetService, business_id: int
) -> None:
    cert_id = _apply(service, business_id, 800_100)  # 19.99 %
    row = service.get(cert_id, today=TODAY)
    assert (row.decline_rate, row.qualifies) == (Decimal("19.99"), False)

    with pytest.raises(ValidationError) as refused:
        service.decide(cert_id, row.version, True, TODAY, "SN-1", today=TODAY)
    assert refused.value.codes() == {"decision": "safety_net.below_threshold"}
    assert service.get(cert_id, today=TODAY).decision == SafetyNetDecision.PENDING

    # A 不認定 is always possible.
    service.decide(cert_id, row.version, False, TODAY, today=TODAY)
    refused_row = service.get(cert_id, today=TODAY)
    assert refused_row.decision == SafetyNetDecision.REFUSED
    assert (refused_row.valid_until, refused_row.valid_today) == (None, False)


def test_exactly_20_percent_is_certified_with_its_full_validity(
    service: SafetyNetService, business_id: int
) -> None:
    cert_id = _apply(service, business_id, 800_000)
    version = service.get(cert_id, today=TODAY).version

    new_version = service.decide(
        cert_id, version, True, date(2026, 11, 18), " SN第８号 ", today=TODAY
    )

    row = service.get(cert_id, today=TODAY)
    assert row.version == new_version > version
    assert row.decision == SafetyNetDecision.CERTIFIED and row.qualifies
    assert row.decline_rate == Decimal("20.00")
    assert row.certificate_number == "SN第8号"  # normalised like every typed text
    # 30 days counting the day of issue: 11/18 … 12/17.
    assert row.valid_until == date(2026, 12, 17)
    assert row.valid_today
    assert service.get(cert_id, today=date(2026, 12, 17)).valid_today
    assert not service.get(cert_id, today=date(2026, 12, 18)).valid_today
    # Decided once: a second decision is refused.
    with pytest.raises(ValidationError) as again:
        service.decide(cert_id, new_version, False, TODAY, today=TODAY)
    assert again.value.codes() == {"decision": "safety_net.already_decided"}


def test_5go_threshold_and_certificate_number_required(
    service: SafetyNetService, business_id: int
) -> None:
    cert_id = _apply(service, business_id, 950_000, kind=SafetyNetKind.NO5)  # 5.00 %
    version = service.get(cert_id, today=TODAY).version
    with pytest.raises(ValidationError) as missing:
        service.decide(cert_id, version, True, TODAY, "  ", today=TODAY)
    assert missing.value.codes() == {"certificate_number": "required"}
    service.decide(cert_id, version, True, TODAY, "SN-5", today=TODAY)
    assert service.get(cert_id, today=TODAY).valid_until == TODAY + timedelta(days=29)


def test_inputs_are_checked(service: SafetyNetService, business_id: int) -> None:
    with pytest.raises(ValidationError) as refused:
        _apply(service, business_id, 500_000, previous=0)
    assert refused.value.codes() == {"sales_previous": "safety_net.no_previous_sales"}

    with pytest.raises(ValidationError) as refused:
        _apply(service, business_id, -1, applied_on=TODAY + timedelta(days=1))
    assert refused.value.codes() == {"sales_current": "negative", "applied_on": "date.future"}

    with pytest.raises(ValidationError) as refused:
        _apply(service, business_id + 99, 500_000)
    assert refused.value.codes() == {"business_id": "required"}

    cert_id = _apply(service, business_id, 500_000)
    version = service.get(cert_id, today=TODAY).version
    with pytest.raises(ValidationError) as refused:
        service.decide(cert_id, version, True, APPLIED - timedelta(days=1), "SN", today=TODAY)
    assert refused.value.codes() == {"issued_on": "safety_net.issued_before_applied"}
    with pytest.raises(ValidationError) as refused:
        service.decide(cert_id, version, True, TODAY + timedelta(days=1), "SN", today=TODAY)
    assert refused.value.codes() == {"issued_on": "date.future"}


def test_a_stale_version_is_a_conflict(service: SafetyNetService, business_id: int) -> None:
    cert_id = _apply(service, business_id, 500_000)
    version = service.get(cert_id, today=TODAY).version
    service.decide(cert_id, version, False, TODAY, today=TODAY)

    with pytest.raises(Conflict):
        service.decide(cert_id, version, True, TODAY, "SN", today=TODAY)
    assert service.get(cert_id, today=TODAY).decision == SafetyNetDecision.REFUSED


def test_application_and_decision_are_audited(
    db: Database, service: SafetyNetService, business_id: int
) -> None:
    cert_id = _apply(service, business_id, 700_000)
    service.decide(cert_id, 1, True, TODAY, "SN-2", today=TODAY)

    with db.read() as session:
        entries = session.execute(
            select(AuditLog.action, AuditLog.record_id, AuditLog.changes)
            .where(AuditLog.record_kind == "safety_net")
            .order_by(AuditLog.id)
        ).all()
    assert [(a, r) for a, r, _ in entries] == [("create", cert_id), ("transition", cert_id)]
    assert '"decline_rate": [null, "30.00"]' in entries[0][2]
    assert '"decision": [null, "certified"]' in entries[1][2]
    assert '"valid_until": [null, "2026-12-29"]' in entries[1][2]


def test_list_pages_newest_first_and_filters(service: SafetyNetService, business_id: int) -> None:
    ids = [
        _apply(service, business_id, 700_000, applied_on=APPLIED + timedelta(days=n))
        for n in range(5)
    ]
    _apply(service, business_id, 990_000, kind=SafetyNetKind.NO5, applied_on=APPLIED)
    service.decide(ids[0], 1, True, TODAY, "SN-9", today=TODAY)

    first = service.page(SafetyNetQuery(kind=SafetyNetKind.NO4), limit=3, today=TODAY)
    second = service.page(SafetyNetQuery(kind=SafetyNetKind.NO4), first[-1], 3, today=TODAY)
    assert [r.id for r in first + second] == list(reversed(ids))
    assert service.count(SafetyNetQuery()) == 6
    assert service.count(SafetyNetQuery(decision=SafetyNetDecision.PENDING)) == 5
    certified = service.page(SafetyNetQuery(decision=SafetyNetDecision.CERTIFIED), today=TODAY)
    assert [(r.id, r.valid_today, r.business_name) for r in certified] == [
        (ids[0], True, "神田青果株式会社")
    ]
    period = SafetyNetQuery(
        applied_from=APPLIED + timedelta(days=1), applied_to=APPLIED + timedelta(days=2)
    )
    assert [r.id for r in service.page(period, today=TODAY)] == [ids[2], ids[1]]
    assert service.count(SafetyNetQuery(business_id=business_id + 1)) == 0


def test_a_consultant_may_read_but_not_apply_or_decide(
    db: Database, service: SafetyNetService, business_id: int
) -> None:
    cert_id = _apply(service, business_id, 700_000)
    with db.write() as session:
        member = Staff(login="sato", name="佐藤 花子")
        member.roles.append(StaffRole(role="consultant"))
        session.add(member)
        session.flush()
        consultant = Principal(member.id, "sato", "佐藤 花子", frozenset({Role.CONSULTANT}))
    theirs = SafetyNetService(db, consultant)

    seen = theirs.get(cert_id, today=TODAY)
    # The case and its decline, but not the business's sales figures.
    assert (seen.sales_current, seen.sales_previous) == (None, None)
    assert seen.decline_rate == service.get(cert_id, today=TODAY).decline_rate
    assert service.get(cert_id, today=TODAY).sales_current == 700_000
    with pytest.raises(PermissionDenied):
        _apply(theirs, business_id, 700_000)
    with pytest.raises(PermissionDenied):
        theirs.decide(cert_id, 1, True, TODAY, "SN", today=TODAY)
    assert service.get(cert_id, today=TODAY).decision == SafetyNetDecision.PENDING

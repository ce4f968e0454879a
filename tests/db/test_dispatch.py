"""Expert dispatch on a real SQLite file: the full path, the visit rules, master data, lists."""

from dataclasses import replace
from datetime import date, time

import pytest
from sqlalchemy import func, select

from consult_desk.db.engine import Database
from consult_desk.db.models import AuditLog, DispatchEvent, Initiative, Staff, StaffRole
from consult_desk.domain.dispatch import (
    DispatchInput,
    DispatchQuery,
    DispatchState,
    ProgramInput,
    StepInput,
    StepName,
    TermsInput,
    read_yen,
)
from consult_desk.domain.errors import Conflict, ValidationError
from consult_desk.domain.permissions import PermissionDenied, Principal, Role
from consult_desk.services.dispatch import FALLBACK_INITIATIVE, DispatchService
from consult_desk.services.experts import ExpertService
from consult_desk.services.reporting import ReportingService
from consult_desk.services.timeline import TimelineService
from tests.dispatch_setup import (
    APPLIED,
    DECIDED,
    EXPERT_FEE,
    FEE_2026,
    DispatchWorld,
    decide,
    make_dispatch_world,
    open_dispatch,
    step,
    visit,
)

TODAY = date(2027, 4, 30)
S = DispatchState


@pytest.fixture
def world(db: Database) -> DispatchWorld:
    return make_dispatch_world(db)


@pytest.fixture
def service(db: Database, admin: Principal) -> DispatchService:
    return DispatchService(db, admin)


def _principal(db: Database, role: Role) -> Principal:
    with db.write() as session:
        member = Staff(login=f"{role.value}-1", name=role.label)
        member.roles.append(StaffRole(role=role.value))
        session.add(member)
        session.flush()
        return Principal(member.id, member.login, member.name, frozenset({role}))


def _codes(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return error.value.codes()


def _audit_actions(db: Database, kind: str) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(AuditLog.action).where(AuditLog.record_kind == kind).order_by(AuditLog.id)
            )
        )


def _monthly(first: date, count: int) -> list[date]:
    """``count`` dates a month apart from ``first`` (day kept; first days of months are safe)."""
    found = []
    year, month = first.year, first.month
    for _ in range(count):
        found.append(date(year, month, first.day))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def test_the_full_path_from_application_to_payment_with_three_visits(
    db: Database, service: DispatchService, world: DispatchWorld, admin: Principal
) -> None:
    dispatch_id = service.add(
        DispatchInput(
            business_id=world.business_id,
            program_id=world.program_id,
            theme="  販路拡大の計画づくり ",
            applied_on=APPLIED,
            consultation_id=world.consultation_id,
        ),
        today=TODAY,
    )
    case = service.get(dispatch_id)
    assert (case.state, case.fiscal_year, case.theme) == (S.APPLIED, 2026, "販路拡大の計画づくり")
    assert case.staff_id == admin.staff_id  # the signed-in member by default
    with db.read() as session:
        fallback = session.scalars(
            select(Initiative.id).where(Initiative.code == FALLBACK_INITIATIVE)
        ).one()
    assert case.initiative_id == fallback
    assert [s.name for s in case.steps] == [StepName.START_REVIEW, StepName.CANCEL]

    step(service, dispatch_id, StepName.START_REVIEW, date(2026, 4, 15), TODAY)
    step(
        service,
        dispatch_id,
        StepName.APPROVE,
        DECIDED,
        TODAY,
        approved_visits=3,
        expert_id=world.expert_id,
    )
    first = service.add_visit(dispatch_id, visit(date(2026, 5, 11)), today=TODAY)
    assert first.number == 1 and service.get(dispatch_id).state == S.IN_PROGRESS
    service.add_visit(dispatch_id, visit(date(2026, 6, 8), online=True, place=""), today=TODAY)
    third = service.add_visit(
        dispatch_id,
        visit(date(2026, 7, 6), homework="試算表を作る", next_on=date(2026, 8, 3)),
        today=TODAY,
    )
    assert third.number == 3
    assert [(w.field, w.code) for w in third.warnings] == [
        ("number", "dispatch.last_approved_visit")
    ]
    with pytest.raises(ValidationError) as refused:
        service.add_visit(dispatch_id, visit(date(2026, 7, 20)), today=TODAY)
    assert _codes(refused) == {"number": "dispatch.above_approved"}

    step(service, dispatch_id, StepName.COMPLETE, date(2026, 7, 31), TODAY)
    case = service.get(dispatch_id)
    assert case.report_due_on == date(2026, 8, 30)  # 30 days unless the setting says otherwise
    assert service.reports_due(date(2026, 8, 1))[0].id == dispatch_id
    step(service, dispatch_id, StepName.REPORT, date(2026, 8, 20), TODAY)
    assert service.reports_due(date(2026, 9, 1)) == []
    version = service.get(dispatch_id).version
    _, warnings = service.advance(
        dispatch_id, version, StepInput(StepName.PAY, date(2026, 9, 10), amount=3 * FEE_2026)
    )
    assert warnings == []

    case = service.get(dispatch_id)
    assert case.state == S.PAID and case.steps == ()
    assert (case.decided_on, case.completed_on) == (DECIDED, date(2026, 7, 31))
    assert (case.report_received_on, case.paid_on) == (date(2026, 8, 20), date(2026, 9, 10))
    assert (case.visits, case.fee_total, case.expert_name) == (3, 3 * FEE_2026, "山田 太郎")
    assert [e.to_state for e in service.history(dispatch_id)] == [
        S.APPLIED,
        S.REVIEWING,
        S.APPROVED,
        S.IN_PROGRESS,
        S.COMPLETED,
        S.REPORTED,
        S.PAID,
    ]
    assert service.history(dispatch_id)[3].occurred_on == date(2026, 5, 11)  # the first visit
    visits = service.visits(dispatch_id)
    assert [(v.number, v.effective_fee, v.expert_name) for v in visits] == [
        (1, FEE_2026, "山田 太郎"),
        (2, FEE_2026, "山田 太郎"),
        (3, FEE_2026, "山田 太郎"),
    ]
    assert visits[2].homework == "試算表を作る" and visits[1].online
    assert [r.id for r in service.for_consultation(world.consultation_id)] == [dispatch_id]
    # Paid: the visits are closed for corrections too.
    with pytest.raises(ValidationError) as refused:
        service.update_visit(visits[0].id, visits[0].version, visits[0].as_input(), today=TODAY)
    assert _codes(refused) == {"status": "dispatch.visits_closed"}
    timeline = TimelineService(db, admin).for_business(world.business_id)
    (entry,) = [e for e in timeline if e.record_kind == "dispatch"]
    assert entry.title == "専門家派遣 販路拡大の計画づくり（支払済）"
    assert entry.detail == "専門家派遣（経営改善）・山田 太郎・訪問3/3回"
    paid = [a for a in _audit_actions(db, "expert_dispatch") if a == "transition"]
    assert len(paid) == 6  # review, approval, start (by the first visit), completion, report, pay


def test_a_ninth_visit_in_one_year_is_refused_until_the_cap_is_raised(
    db: Database, service: DispatchService, world: DispatchWorld
) -> None:
    dispatch_id = decide(service, world, visits=12)
    for on in _monthly(date(2026, 5, 1), 8):  # May 2026 … December 2026: 年度 2026
        service.add_visit(dispatch_id, visit(on), today=TODAY)
    ninth = visit(date(2027, 3, 31))  # still 年度 2026
    preview = service.preview_visit(dispatch_id, ninth, today=TODAY)
    assert [(e.field, e.code) for e in preview.errors] == [
        ("visited_on", "dispatch.year_cap_reached")
    ]
    with pytest.raises(ValidationError) as refused:
        service.add_visit(dispatch_id, ninth, today=TODAY)
    assert _codes(refused) == {"visited_on": "dispatch.year_cap_reached"}
    assert service.get(dispatch_id).visits == 8  # nothing saved, nothing lost
    usage = service.year_usage(dispatch_id, date(2027, 3, 31))
    assert (usage.fiscal_year, usage.used, usage.cap, usage.remaining) == (2026, 8, 8, 0)

    terms = service.terms_for(world.program_id, 2026)
    service.update_terms(
        terms.id or 0, terms.version or 0, replace(terms.as_input(), max_visits_per_business=9)
    )
    saved = service.add_visit(dispatch_id, ninth, today=TODAY)
    assert saved.number == 9
    assert [w.code for w in saved.warnings] == ["dispatch.year_cap_last"]
    with pytest.raises(ValidationError) as refused:
        service.add_visit(dispatch_id, visit(date(2027, 3, 31)), today=TODAY)
    assert _codes(refused) == {"visited_on": "dispatch.year_cap_reached"}

    # 1 April starts 年度 2027: no row for it, so the default cap of 8, and nothing used yet.
    assert service.terms_for(world.program_id, 2027).is_default
    fresh = service.add_visit(dispatch_id, visit(date(2027, 4, 1)), today=TODAY)
    assert fresh.number == 10 and fresh.warnings == ()
    assert service.year_usage(dispatch_id, date(2027, 4, 1)).used == 1
    assert service.year_usage(dispatch_id, date(2027, 3, 31)).used == 9


def test_the_cap_counts_every_dispatch_of_the_business_under_the_program(
    service: DispatchService, world: DispatchWorld
) -> None:
    first = decide(service, world, visits=5)
    second = decide(service, world, visits=5, theme="事業承継の準備")
    for on in _monthly(date(2026, 5, 1), 5):
        service.add_visit(first, visit(on), today=TODAY)
    for on in _monthly(date(2026, 10, 1), 3):
        service.add_visit(second, visit(on), today=TODAY)
    with pytest.raises(ValidationError) as refused:
        service.add_visit(second, visit(date(2027, 2, 1)), today=TODAY)
    assert _codes(refused) == {"visited_on": "dispatch.year_cap_reached"}
    # Another business, or the same business under another program, counts on its own.
    other = decide(service, world, visits=1, business_id=world.other_business_id)
    service.add_visit(other, visit(date(2027, 2, 1)), today=TODAY)
    it_program = decide(service, world, visits=1, program_id=world.other_program_id)
    service.add_visit(it_program, visit(date(2027, 2, 1)), today=TODAY)


def test_a_visit_before_the_decision_is_refused(
    service: DispatchService, world: DispatchWorld
) -> None:
    dispatch_id = open_dispatch(service, world)
    with pytest.raises(ValidationError) as refused:
        service.add_visit(dispatch_id, visit(date(2026, 4, 12)), today=TODAY)
    assert _codes(refused) == {"status": "dispatch.not_approved"}
    step(service, dispatch_id, StepName.START_REVIEW, APPLIED, TODAY)
    step(service, dispatch_id, StepName.APPROVE, DECIDED, TODAY, approved_visits=4)
    with pytest.raises(ValidationError) as refused:
        service.add_visit(dispatch_id, visit(date(2026, 4, 19)), today=TODAY)
    assert _codes(refused) == {"visited_on": "dispatch.visit_before_decision"}
    case = service.get(dispatch_id)
    assert (case.state, case.visits) == (S.APPROVED, 0)
    service.add_visit(dispatch_id, visit(DECIDED), today=TODAY)


def test_an_expert_whose_registration_ended_cannot_be_assigned(
    db: Database, service: DispatchService, world: DispatchWorld, admin: Principal
) -> None:
    # 鈴木 is registered until 30 September 2026.
    dispatch_id = decide(service, world, visits=4)
    late = visit(date(2026, 10, 1), expert_id=world.expiring_expert_id)
    with pytest.raises(ValidationError) as refused:
        service.add_visit(dispatch_id, late, today=TODAY)
    assert _codes(refused) == {"expert_id": "expert.registration_expired"}
    saved = service.add_visit(dispatch_id, replace(late, visited_on=date(2026, 9, 30)), today=TODAY)
    # Moving that visit past the registration is refused as well, and the visit stays.
    with pytest.raises(ValidationError):
        service.update_visit(saved.id, saved.version, late, today=TODAY)
    assert service.visits(dispatch_id)[0].visited_on == date(2026, 9, 30)
    # Her own fee applies: the program's fee comes first, and this program has one for 2026.
    assert service.visits(dispatch_id)[0].effective_fee == FEE_2026

    names = [e.name for e in ExpertService(db, admin).assignable(date(2026, 10, 1))]
    assert names == ["山田 太郎"]
    second = open_dispatch(service, world)
    step(service, second, StepName.START_REVIEW, date(2026, 10, 1), TODAY)
    with pytest.raises(ValidationError) as refused:
        step(
            service,
            second,
            StepName.APPROVE,
            date(2026, 10, 2),
            TODAY,
            approved_visits=2,
            expert_id=world.expiring_expert_id,
        )
    assert _codes(refused) == {"expert_id": "expert.registration_expired"}
    assert service.get(second).state == S.REVIEWING


def test_wrong_times_and_amounts_get_clear_codes_and_keep_the_saved_visit(
    service: DispatchService, world: DispatchWorld
) -> None:
    dispatch_id = decide(service, world, visits=4)
    fee, errors = read_yen("１１，５５０円", "fee")  # typed full-width: accepted
    assert errors == []
    saved = service.add_visit(dispatch_id, visit(date(2026, 5, 11), fee=fee), today=TODAY)
    bad = visit(date(2026, 5, 11), start_time=time(14), end_time=time(13, 30), fee=-1)
    with pytest.raises(ValidationError) as refused:
        service.update_visit(saved.id, saved.version, bad, today=TODAY)
    assert _codes(refused) == {"end_time": "dispatch.end_not_after_start", "fee": "negative"}
    with pytest.raises(ValidationError) as refused:
        service.add_visit(dispatch_id, bad, today=TODAY)
    assert _codes(refused) == {"end_time": "dispatch.end_not_after_start", "fee": "negative"}
    (stored,) = service.visits(dispatch_id)
    assert (stored.fee, stored.start_time, stored.end_time) == (11_550, time(10), time(12))
    assert stored.version == saved.version
    _, errors = read_yen("－５００", "fee")
    assert [(e.field, e.code) for e in errors] == [("fee", "negative")]


def test_a_stale_version_is_a_conflict_and_keeps_the_stored_data(
    service: DispatchService, world: DispatchWorld
) -> None:
    dispatch_id = decide(service, world, visits=4)
    shown = service.get(dispatch_id)
    service.update(dispatch_id, shown.version, replace(shown.as_input(), theme="新しいテーマ"))
    with pytest.raises(Conflict):
        service.update(dispatch_id, shown.version, replace(shown.as_input(), theme="古い画面から"))
    with pytest.raises(Conflict):
        service.advance(
            dispatch_id, shown.version, StepInput(StepName.CANCEL, DECIDED, reason="重複")
        )
    case = service.get(dispatch_id)
    assert (case.theme, case.state) == ("新しいテーマ", S.APPROVED)

    saved = service.add_visit(dispatch_id, visit(date(2026, 5, 11)), today=TODAY)
    service.update_visit(
        saved.id, saved.version, visit(date(2026, 5, 11), advice="在庫を減らす"), today=TODAY
    )
    with pytest.raises(Conflict):
        service.update_visit(
            saved.id, saved.version, visit(date(2026, 5, 11), advice="古い"), today=TODAY
        )
    with pytest.raises(Conflict):
        service.delete_visit(saved.id, saved.version)
    assert service.visits(dispatch_id)[0].advice == "在庫を減らす"


def test_cancelling_needs_a_reason_and_closes_the_dispatch(
    service: DispatchService, world: DispatchWorld
) -> None:
    dispatch_id = decide(service, world, visits=4)
    service.add_visit(dispatch_id, visit(date(2026, 5, 11)), today=TODAY)
    with pytest.raises(ValidationError) as refused:
        step(service, dispatch_id, StepName.CANCEL, date(2026, 6, 1), TODAY, reason=" ")
    assert _codes(refused) == {"reason": "required"}
    step(service, dispatch_id, StepName.CANCEL, date(2026, 6, 1), TODAY, reason="事業者の都合")
    case = service.get(dispatch_id)
    assert (case.state, case.cancelled_on, case.cancel_reason) == (
        S.CANCELLED,
        date(2026, 6, 1),
        "事業者の都合",
    )
    assert case.steps == () and service.history(dispatch_id)[-1].reason == "事業者の都合"
    with pytest.raises(ValidationError) as refused:
        service.add_visit(dispatch_id, visit(date(2026, 6, 8)), today=TODAY)
    assert _codes(refused) == {"status": "dispatch.visits_closed"}
    with pytest.raises(ValidationError) as refused:
        step(service, dispatch_id, StepName.COMPLETE, date(2026, 6, 2), TODAY)
    assert _codes(refused) == {"step": "dispatch.step_not_allowed"}


def test_the_same_visit_entered_twice_is_warned_and_still_saved(
    service: DispatchService, world: DispatchWorld
) -> None:
    dispatch_id = decide(service, world, visits=8)
    on = date(2026, 11, 30)
    first = service.add_visit(dispatch_id, visit(on), today=TODAY)  # 10:00–12:00
    assert first.warnings == ()
    overlap = [("visited_on", "dispatch.visit_overlaps")]
    for number in (2, 3):  # warnings never block: the reviewer's three entries are all saved
        saved = service.add_visit(dispatch_id, visit(on), today=TODAY)
        assert saved.number == number
        assert [(w.field, w.code) for w in saved.warnings] == overlap
    assert service.get(dispatch_id).visits == 3
    # Right after it (12:00–14:00), or another expert at the same time: no warning.
    later = visit(on, start_time=time(12), end_time=time(14))
    assert service.preview_visit(dispatch_id, later, today=TODAY).warnings == []
    other_expert = visit(on, expert_id=world.expiring_expert_id)
    assert service.preview_visit(dispatch_id, other_expert, today=TODAY).warnings == []
    # Correcting a visit does not compare it with itself, only with the others.
    alone = decide(service, world, visits=8, theme="事業承継の準備")
    only = service.add_visit(alone, visit(date(2026, 12, 1)), today=TODAY)
    corrected = service.update_visit(
        only.id, only.version, visit(date(2026, 12, 1), place="本社"), today=TODAY
    )
    assert corrected.warnings == ()
    moved = service.preview_visit(alone, visit(on, start_time=time(11)), only.id, today=TODAY)
    assert [(w.field, w.code) for w in moved.warnings] == overlap


def test_only_the_last_visit_can_be_deleted_and_it_is_audited(
    db: Database, service: DispatchService, world: DispatchWorld
) -> None:
    dispatch_id = decide(service, world, visits=4)
    first = service.add_visit(dispatch_id, visit(date(2026, 5, 11)), today=TODAY)
    second = service.add_visit(dispatch_id, visit(date(2026, 6, 8)), today=TODAY)
    with pytest.raises(ValidationError) as refused:
        service.delete_visit(first.id, first.version)
    assert _codes(refused) == {"number": "dispatch.delete_last_only"}
    service.delete_visit(second.id, second.version)
    assert [v.number for v in service.visits(dispatch_id)] == [1]
    again = service.add_visit(dispatch_id, visit(date(2026, 6, 9)), today=TODAY)
    assert again.number == 2
    assert _audit_actions(db, "dispatch_visit") == ["create", "create", "delete", "create"]


def test_completion_sets_the_report_due_date_from_the_setting_or_the_typed_date(
    service: DispatchService, world: DispatchWorld
) -> None:
    assert service.report_due_days() == 30
    with pytest.raises(ValidationError) as refused:
        service.set_report_due_days(0)
    assert _codes(refused) == {"dispatch_report_due_days": "dispatch.report_due_range"}
    service.set_report_due_days(14)
    first, second = (decide(service, world, visits=2) for _ in range(2))
    for dispatch_id in (first, second):
        service.add_visit(dispatch_id, visit(date(2026, 5, 11)), today=TODAY)
    with pytest.raises(ValidationError) as refused:
        step(service, first, StepName.COMPLETE, date(2026, 5, 10), TODAY)
    assert _codes(refused) == {"occurred_on": "dispatch.before_current_status"}
    step(service, first, StepName.COMPLETE, date(2026, 5, 31), TODAY)
    step(
        service,
        second,
        StepName.COMPLETE,
        date(2026, 5, 31),
        TODAY,
        report_due_on=date(2027, 3, 31),
    )
    assert service.get(first).report_due_on == date(2026, 6, 14)
    assert service.get(second).report_due_on == date(2027, 3, 31)
    due = service.reports_due(date(2026, 7, 1))
    assert [(r.id, r.report_overdue) for r in due] == [(first, True), (second, False)]
    overdue = service.page(DispatchQuery(report_overdue=True), today=date(2026, 7, 1))
    assert [r.id for r in overdue] == [first]


def test_lists_filter_count_and_page(
    db: Database, service: DispatchService, world: DispatchWorld, staff_id: int
) -> None:
    a = decide(service, world, visits=2)
    b = open_dispatch(
        service, world, applied_on=date(2026, 5, 1), business_id=world.other_business_id
    )
    c = open_dispatch(service, world, applied_on=date(2027, 4, 2), today=TODAY)
    shown = service.get(b)
    service.update(b, shown.version, replace(shown.as_input(), staff_id=staff_id, expert_id=None))
    service.add_visit(a, visit(date(2026, 5, 11), expert_id=world.expiring_expert_id), today=TODAY)

    def ids(query: DispatchQuery) -> list[int]:
        return [r.id for r in service.page(query, today=TODAY)]

    assert ids(DispatchQuery()) == [c, b, a]  # newest application first
    assert ids(DispatchQuery(states=frozenset({S.IN_PROGRESS}))) == [a]
    assert ids(DispatchQuery(fiscal_year=2027)) == [c]
    assert ids(DispatchQuery(business_id=world.other_business_id)) == [b]
    assert ids(DispatchQuery(staff_id=staff_id)) == [b]
    assert ids(DispatchQuery(expert_id=world.expiring_expert_id)) == [a]  # by a visit
    assert ids(DispatchQuery(expert_id=world.expert_id)) == [c, a]
    assert ids(DispatchQuery(program_id=world.other_program_id)) == []
    assert service.count(DispatchQuery()) == 3 and service.count(DispatchQuery(), cap=1) == 2
    first_page = service.page(DispatchQuery(), limit=2, today=TODAY)
    assert [r.id for r in service.page(DispatchQuery(), after=first_page[-1])] == [a]
    row = service.page(DispatchQuery(states=frozenset({S.IN_PROGRESS})))[0]
    assert (row.visits, row.approved_visits, row.state.label) == (1, 2, "派遣中")
    assert [r.id for r in service.for_business(world.business_id)] == [c, a]


def test_a_visit_period_lists_the_dispatches_visited_in_it_and_counts_those_visits(
    db: Database, admin: Principal, service: DispatchService, world: DispatchWorld
) -> None:
    a = decide(service, world)
    b = decide(service, world, business_id=world.other_business_id)
    c = open_dispatch(service, world)  # never visited
    for on in (date(2026, 4, 30), date(2026, 5, 1), date(2026, 5, 31)):
        service.add_visit(a, visit(on), today=TODAY)
    service.add_visit(b, visit(date(2026, 6, 1)), today=TODAY)
    may = DispatchQuery(visited_from=date(2026, 5, 1), visited_to=date(2026, 5, 31))

    def ids(query: DispatchQuery) -> list[int]:
        return [r.id for r in service.page(query, today=TODAY)]

    # The last day of the month is in, the first day of the next (and the day before) out.
    assert ids(may) == [a] and service.count(may) == 1
    assert service.count_visits(may) == 2
    [row] = service.page(may, today=TODAY)
    assert (row.visits_in_period, row.visits) == (2, 3)
    # As the 月次報告 counts them.
    report = ReportingService(db, admin).monthly(2026, 5)
    assert report.dispatch.visits == service.count_visits(may) == 2
    june = DispatchQuery(visited_from=date(2026, 6, 1), visited_to=date(2026, 6, 30))
    assert ids(june) == [b] and service.count_visits(june) == 1
    assert ReportingService(db, admin).monthly(2026, 6).dispatch.visits == 1
    spring = DispatchQuery(visited_from=date(2026, 4, 1), visited_to=date(2026, 6, 30))
    assert ids(spring) == [b, a] and service.count_visits(spring) == 4
    # An open end; the other filters still apply, to the dispatches and so to their visits.
    assert ids(DispatchQuery(visited_from=date(2026, 5, 2))) == [b, a]
    assert service.count_visits(DispatchQuery(visited_from=date(2026, 5, 2))) == 2
    assert service.count_visits(replace(may, business_id=world.other_business_id)) == 0
    assert ids(replace(spring, business_id=world.business_id)) == [a]
    # Without a period: every dispatch, every visit, and no count in a period on the rows.
    assert ids(DispatchQuery()) == [c, b, a]
    assert service.count_visits(DispatchQuery()) == 4
    assert all(r.visits_in_period is None for r in service.page(DispatchQuery()))
    # A period ending before it starts is refused, not shown as an empty list.
    reversed_ = DispatchQuery(visited_from=date(2026, 5, 31), visited_to=date(2026, 5, 1))
    for call in (service.page, service.count, service.count_visits):
        with pytest.raises(ValidationError) as refused:
            call(reversed_)
        assert _codes(refused) == {"visited_to": "period.reversed"}


def test_a_dispatch_needs_a_theme_and_a_consultation_of_the_same_business(
    service: DispatchService, world: DispatchWorld
) -> None:
    good = DispatchInput(
        business_id=world.business_id,
        program_id=world.program_id,
        theme="IT導入",
        applied_on=APPLIED,
        consultation_id=world.consultation_id,
    )
    bad = replace(good, theme=" ", consultation_id=world.other_consultation_id)
    with pytest.raises(ValidationError) as refused:
        service.add(bad, today=TODAY)
    assert _codes(refused) == {
        "theme": "required",
        "consultation_id": "dispatch.consultation_mismatch",
    }
    dispatch_id = service.add(good, today=TODAY)
    shown = service.get(dispatch_id)
    with pytest.raises(ValidationError) as refused:
        service.update(
            dispatch_id, shown.version, replace(good, business_id=world.other_business_id)
        )
    assert _codes(refused)["business_id"] == "dispatch.business_fixed"
    step(service, dispatch_id, StepName.START_REVIEW, APPLIED, TODAY)
    step(service, dispatch_id, StepName.APPROVE, DECIDED, TODAY, approved_visits=2)
    shown = service.get(dispatch_id)
    with pytest.raises(ValidationError) as refused:
        service.update(dispatch_id, shown.version, replace(good, program_id=world.other_program_id))
    assert _codes(refused) == {"program_id": "dispatch.fixed_after_decision"}


def test_programs_and_their_year_terms_are_master_data(
    db: Database, service: DispatchService, world: DispatchWorld
) -> None:
    with db.read() as session:
        dx = session.scalars(select(Initiative.id).where(Initiative.code == "1-3-2")).one()
    program_id = service.add_program(ProgramInput("専門家派遣（DX）", dx))
    with pytest.raises(ValidationError) as refused:
        service.add_program(ProgramInput("専門家派遣（ＤＸ）"))  # the same name, full-width
    assert _codes(refused) == {"name": "duplicate_name"}
    default = service.terms_for(program_id, 2026)
    assert (default.id, default.max_visits_per_business, default.fee_per_visit) == (None, 8, None)
    terms_id = service.add_terms(program_id, TermsInput(2026, 4, 15_000))
    with pytest.raises(ValidationError) as refused:
        service.add_terms(program_id, TermsInput(2026, 6))
    assert _codes(refused) == {"fiscal_year": "dispatch_terms.duplicate_year"}
    with pytest.raises(ValidationError) as refused:
        service.update_terms(terms_id, 1, TermsInput(2026, 0, -5))
    assert _codes(refused) == {
        "max_visits_per_business": "dispatch_terms.visits_range",
        "fee_per_visit": "negative",
    }
    version = service.update_terms(terms_id, 1, TermsInput(2026, 5, 15_000))
    with pytest.raises(Conflict):
        service.update_terms(terms_id, 1, TermsInput(2026, 6, 15_000))
    assert [
        (t.fiscal_year, t.max_visits_per_business, t.version) for t in service.terms(program_id)
    ] == [(2026, 5, version)]
    dispatch_id = decide(service, world, visits=1, program_id=program_id)
    assert service.get(dispatch_id).initiative_id == dx  # the program's, not the fallback
    moved = open_dispatch(service, world)  # under the program without an initiative
    shown = service.get(moved)
    service.update(moved, shown.version, replace(shown.as_input(), program_id=program_id))
    assert service.get(moved).initiative_id == dx  # before the decision it may change program
    info = next(p for p in service.programs() if p.id == program_id)
    service.update_program(program_id, info.version, replace(info.as_input(), active=False))
    assert program_id not in [p.id for p in service.programs()]
    assert program_id in [p.id for p in service.programs(include_inactive=True)]
    with pytest.raises(ValidationError) as refused:
        open_dispatch(service, world, program_id=program_id)
    assert _codes(refused) == {"program_id": "invalid_choice"}
    assert _audit_actions(db, "dispatch_program") == ["create", "update"]
    assert _audit_actions(db, "dispatch_terms") == ["create", "update"]


def test_fees_are_summed_per_year_and_per_expert(
    db: Database, service: DispatchService, world: DispatchWorld, admin: Principal
) -> None:
    dispatch_id = decide(service, world, visits=6)
    service.add_visit(dispatch_id, visit(date(2026, 5, 11)), today=TODAY)  # program fee
    service.add_visit(dispatch_id, visit(date(2026, 6, 8), fee=9_000), today=TODAY)  # own fee
    service.add_visit(
        dispatch_id, visit(date(2026, 7, 6), expert_id=world.expiring_expert_id), today=TODAY
    )
    service.add_visit(dispatch_id, visit(date(2027, 3, 31)), today=TODAY)  # still 2026
    it = decide(service, world, visits=2, program_id=world.other_program_id)  # no program fee
    service.add_visit(it, visit(date(2026, 9, 1), expert_id=world.expiring_expert_id), today=TODAY)
    service.add_visit(it, visit(date(2027, 4, 1)), today=TODAY)  # 年度 2027, no fee at all

    by_year = service.fees_by_fiscal_year()
    expected_2026 = 3 * FEE_2026 + 9_000 + EXPERT_FEE
    assert [(f.fiscal_year, f.visits, f.total) for f in by_year] == [
        (2026, 5, expected_2026),
        (2027, 1, 0),
    ]
    fees = ExpertService(db, admin).fees(2026)
    assert [(f.expert_name, f.visits, f.total) for f in fees] == [
        ("鈴木 花子", 2, FEE_2026 + EXPERT_FEE),
        ("山田 太郎", 3, 2 * FEE_2026 + 9_000),
    ]
    assert service.get(dispatch_id).fee_total == 3 * FEE_2026 + 9_000


def test_consultants_work_dispatches_auditors_only_read(
    db: Database, service: DispatchService, world: DispatchWorld
) -> None:
    consultant = DispatchService(db, _principal(db, Role.CONSULTANT))
    dispatch_id = decide(consultant, world, visits=2)
    saved = consultant.add_visit(dispatch_id, visit(date(2026, 5, 11)), today=TODAY)
    consultant.update_visit(saved.id, saved.version, visit(date(2026, 5, 12)), today=TODAY)
    with pytest.raises(PermissionDenied):
        consultant.add_program(ProgramInput("専門家派遣（販路）"))
    with pytest.raises(PermissionDenied):
        consultant.set_report_due_days(10)

    auditor = DispatchService(db, _principal(db, Role.AUDITOR))
    with db.read() as session:
        before = session.execute(select(func.count()).select_from(AuditLog)).scalar_one()
        events = session.execute(select(func.count()).select_from(DispatchEvent)).scalar_one()
    case = auditor.get(dispatch_id)
    assert auditor.visits(dispatch_id)[0].visited_on == date(2026, 5, 12)
    (visit_row,) = auditor.visits(dispatch_id)
    refused_calls = [
        lambda: auditor.add(case.as_input(), today=TODAY),
        lambda: auditor.update(dispatch_id, case.version, case.as_input()),
        lambda: auditor.advance(
            dispatch_id, case.version, StepInput(StepName.CANCEL, TODAY, reason="x")
        ),
        lambda: auditor.add_visit(dispatch_id, visit(date(2026, 6, 1)), today=TODAY),
        lambda: auditor.update_visit(visit_row.id, visit_row.version, visit(date(2026, 6, 1))),
        lambda: auditor.delete_visit(visit_row.id, visit_row.version),
    ]
    for call in refused_calls:
        with pytest.raises(PermissionDenied):
            call()
    with db.read() as session:
        assert session.execute(select(func.count()).select_from(AuditLog)).scalar_one() == before
        assert (
            session.execute(select(func.count()).select_from(DispatchEvent)).scalar_one() == events
        )


def test_every_change_is_audited_with_who_did_it(
    db: Database, service: DispatchService, world: DispatchWorld, admin: Principal
) -> None:
    dispatch_id = decide(service, world, visits=2)
    saved = service.add_visit(dispatch_id, visit(date(2026, 5, 11)), today=TODAY)
    service.update_visit(saved.id, saved.version, visit(date(2026, 5, 11), fee=5_000))
    shown = service.get(dispatch_id)
    service.update(dispatch_id, shown.version, replace(shown.as_input(), notes="担当交代"))
    assert _audit_actions(db, "expert_dispatch") == [
        "create",
        "transition",  # review
        "transition",  # approval
        "transition",  # started by the first visit
        "update",
    ]
    assert _audit_actions(db, "dispatch_visit") == ["create", "update"]
    with db.read() as session:
        staff = set(
            session.scalars(
                select(AuditLog.staff_id).where(
                    AuditLog.record_kind.in_(("expert_dispatch", "dispatch_visit"))
                )
            )
        )
        fee_change = session.scalars(
            select(AuditLog.changes).where(
                AuditLog.record_kind == "dispatch_visit", AuditLog.action == "update"
            )
        ).one()
    assert staff == {admin.staff_id}
    assert '"fee": [null, 5000]' in fee_change

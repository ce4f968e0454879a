"""Subsidy applications on a real SQLite file: the lifecycle, rule checks, master data, lists."""

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from consult_desk.db.engine import Database
from consult_desk.db.models import AuditLog, Initiative, Staff, StaffRole, SubsidyApplication
from consult_desk.domain.errors import Conflict, ValidationError
from consult_desk.domain.permissions import PermissionDenied, Principal, Role
from consult_desk.domain.subsidies import (
    ApplicationInput,
    ApplicationQuery,
    ProgramInput,
    ReportDue,
    StepInput,
    StepName,
    SubsidyState,
    SubsidyTarget,
    TermsInput,
    parse_amount,
)
from consult_desk.services.reporting import ReportingService, month_range
from consult_desk.services.subsidies import SubsidyService
from consult_desk.services.timeline import TimelineService
from tests.subsidy_setup import SubsidyWorld, make_subsidy_world

TODAY = date(2026, 11, 30)


@pytest.fixture
def world(db: Database) -> SubsidyWorld:
    return make_subsidy_world(db)


@pytest.fixture
def service(db: Database, admin: Principal) -> SubsidyService:
    return SubsidyService(db, admin)


def _street(world: SubsidyWorld, event: int, applied_on: date, cost: int) -> ApplicationInput:
    return ApplicationInput(
        program_id=world.street_events_id,
        applied_on=applied_on,
        association_id=world.association_id,
        event_id=world.event_ids[event],
        eligible_cost=cost,
    )


def _trade_show(world: SubsidyWorld, **values: object) -> ApplicationInput:
    base = ApplicationInput(
        program_id=world.trade_show_id,
        applied_on=date(2026, 6, 1),
        business_id=world.business_id,
        title="東京インターナショナル・ギフト・ショー出展",
        activity_ends_on=date(2026, 5, 29),
        eligible_cost=150_000,
    )
    return replace(base, **values)  # type: ignore[arg-type]


def _step(
    service: SubsidyService, app_id: int, step: StepName, on: date, **values: object
) -> list[str]:
    version = service.get(app_id).version
    _, warnings = service.advance(
        app_id,
        version,
        StepInput(step, on, **values),  # type: ignore[arg-type]
        today=TODAY,
    )
    return [w.code for w in warnings]


def _audit_count(db: Database, app_id: int) -> int:
    with db.read() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.record_kind == "subsidy_application", AuditLog.record_id == app_id)
            )
            or 0
        )


def test_a_street_event_subsidy_runs_to_payment_with_every_step_recorded(
    db: Database, service: SubsidyService, world: SubsidyWorld
) -> None:
    app_id, warnings = service.add(_street(world, 0, date(2026, 4, 20), 1_200_000), today=TODAY)
    assert warnings == []
    view = service.get(app_id)
    # Above the ¥1M band the whole cost is at ⅔: 800,000. The event's last day ends the activity.
    assert view.computed_amount == 800_000
    assert view.activity_ends_on == date(2026, 5, 17)
    assert view.fiscal_year == 2026
    assert view.event_name == "すずらんまつり"
    with db.read() as session:
        code = session.scalar(select(Initiative.code).where(Initiative.id == view.initiative_id))
    assert code == "2-2-1"

    assert _step(service, app_id, StepName.GRANT, date(2026, 5, 1), granted_amount=800_000) == []
    assert service.get(app_id).report_due_on == date(2026, 6, 16)  # 5/17 + 30 days
    _step(service, app_id, StepName.REQUEST_CHANGE, date(2026, 5, 10), reason="規模縮小")
    _step(
        service,
        app_id,
        StepName.APPROVE_CHANGE,
        date(2026, 5, 12),
        granted_amount=750_000,
        eligible_cost=1_125_000,
    )
    warned = _step(service, app_id, StepName.REPORT, date(2026, 6, 10), actual_cost=1_050_000)
    assert warned == ["subsidy.actual_below_granted"]  # ⅔ of 1,050,000 = 700,000
    _step(service, app_id, StepName.CONFIRM, date(2026, 6, 20), confirmed_amount=700_000)
    _step(service, app_id, StepName.PAY, date(2026, 7, 1), paid_amount=700_000)

    done = service.get(app_id)
    assert done.state is SubsidyState.PAID
    assert (done.granted_amount, done.confirmed_amount, done.paid_amount) == (
        750_000,
        700_000,
        700_000,
    )
    assert (done.decided_on, done.reported_on, done.confirmed_on, done.paid_on) == (
        date(2026, 5, 1),
        date(2026, 6, 10),
        date(2026, 6, 20),
        date(2026, 7, 1),
    )
    assert done.closed_on == date(2026, 7, 1)
    assert done.steps == ()
    history = service.history(app_id)
    assert [(e.from_state, e.to_state) for e in history] == [
        (None, SubsidyState.APPLIED),
        (SubsidyState.APPLIED, SubsidyState.GRANTED),
        (SubsidyState.GRANTED, SubsidyState.CHANGE_REQUESTED),
        (SubsidyState.CHANGE_REQUESTED, SubsidyState.GRANTED),
        (SubsidyState.GRANTED, SubsidyState.REPORTED),
        (SubsidyState.REPORTED, SubsidyState.CONFIRMED),
        (SubsidyState.CONFIRMED, SubsidyState.PAID),
    ]
    assert history[2].reason == "規模縮小"
    assert all(e.staff_name == "管理 太郎" for e in history)
    assert _audit_count(db, app_id) == 7

    [line] = service.spending_by_fiscal_year()
    assert (line.fiscal_year, line.program_name, line.applications) == (
        2026,
        "商店街イベント事業補助",
        1,
    )
    assert (line.granted, line.confirmed, line.paid) == (750_000, 700_000, 700_000)


def test_a_returned_business_application_is_resubmitted_and_granted(
    db: Database, admin: Principal, service: SubsidyService, world: SubsidyWorld
) -> None:
    app_id, _ = service.add(_trade_show(world), today=TODAY)
    assert service.get(app_id).computed_amount == 100_000
    _step(service, app_id, StepName.RETURN, date(2026, 6, 5), reason="見積書が不足")
    returned = service.get(app_id)
    assert returned.state is SubsidyState.RETURNED and returned.reason == "見積書が不足"
    assert [s.name for s in returned.steps] == [
        StepName.RESUBMIT,
        StepName.WITHDRAW,
        StepName.REJECT,
    ]

    _step(service, app_id, StepName.RESUBMIT, date(2026, 6, 10), eligible_cost=149_999)
    resubmitted = service.get(app_id)
    assert resubmitted.state is SubsidyState.APPLIED
    assert resubmitted.computed_amount == 99_000  # ⅔ of 149,999 rounded down to ¥1,000
    assert resubmitted.reason == ""
    _step(service, app_id, StepName.GRANT, date(2026, 6, 15), granted_amount=99_000)

    assert [e.to_state for e in service.history(app_id)] == [
        SubsidyState.APPLIED,
        SubsidyState.RETURNED,
        SubsidyState.APPLIED,
        SubsidyState.GRANTED,
    ]
    assert [r.id for r in service.for_business(world.business_id)] == [app_id]
    timeline = TimelineService(db, admin).for_business(world.business_id)
    [entry] = [e for e in timeline if e.record_kind == "subsidy"]
    assert entry.title == "補助金 中小企業販路拡大事業支援補助（交付決定）"
    assert entry.open_follow_up and entry.due_on == date(2026, 6, 28)  # 5/29 + 30


def test_a_third_street_event_in_one_fiscal_year_is_warned_but_not_across_4_1(
    db: Database, service: SubsidyService, world: SubsidyWorld
) -> None:
    today = date(2027, 4, 30)
    service.add(_street(world, 0, date(2026, 4, 1), 900_000), today=today)
    second, _ = service.add(_street(world, 1, date(2026, 6, 1), 900_000), today=today)
    other_street = ApplicationInput(
        program_id=world.street_events_id,
        applied_on=date(2026, 11, 1),
        association_id=world.other_association_id,
        event_id=world.other_event_id,
        eligible_cost=500_000,
    )
    assert service.add(other_street, today=today)[1] == []  # another street has its own two

    # The festival ended on 11/3: filed in March, its 実績報告 is overdue already (warned too).
    late = ["subsidy.applied_after_activity", "subsidy.report_already_overdue"]
    third = _street(world, 2, date(2027, 3, 31), 900_000)
    assert [w.code for w in service.preview(third, today=today).warnings] == [
        "subsidy.over_yearly_limit",
        *late,
    ]
    next_year = replace(third, applied_on=date(2027, 4, 1))
    assert [w.code for w in service.preview(next_year, today=today).warnings] == late

    third_id, warnings = service.add(third, today=today)  # a warning never blocks
    assert [w.code for w in warnings] == ["subsidy.over_yearly_limit", *late]
    assert service.get(third_id).fiscal_year == 2026
    with db.read() as session:
        entry = session.scalars(
            select(AuditLog.changes).where(
                AuditLog.record_kind == "subsidy_application", AuditLog.record_id == third_id
            )
        ).one()
    assert "subsidy.over_yearly_limit" in entry

    # A withdrawn application no longer counts: editing the third one now raises no warning.
    _step(service, second, StepName.WITHDRAW, date(2026, 7, 1), reason="中止")
    version = service.get(third_id).version
    assert [w.code for w in service.update(third_id, version, third, today=today)[1]] == late


def test_an_application_filed_after_its_activity_is_warned_and_an_overdue_report_too(
    db: Database, service: SubsidyService, world: SubsidyWorld
) -> None:
    # Filed 3 days after the show: the report (due 30 days after it) is still ahead.
    after = _trade_show(world, applied_on=date(2026, 11, 2), activity_ends_on=date(2026, 10, 30))
    assert [w.code for w in service.preview(after, today=TODAY).warnings] == [
        "subsidy.applied_after_activity"
    ]
    # Filed a month after: due 11/29, so the 実績報告 is overdue on the day of the application.
    late = replace(after, applied_on=date(2026, 11, 30))
    app_id, warnings = service.add(late, today=TODAY)  # warned, never blocked
    assert [(w.field, w.code) for w in warnings] == [
        ("applied_on", "subsidy.applied_after_activity"),
        ("activity_ends_on", "subsidy.report_already_overdue"),
    ]
    with db.read() as session:
        entry = session.scalars(
            select(AuditLog.changes).where(
                AuditLog.record_kind == "subsidy_application", AuditLog.record_id == app_id
            )
        ).one()
    assert "subsidy.report_already_overdue" in entry
    # The day the report is due is not yet overdue; before the end, nothing is said.
    on_due_day = replace(after, applied_on=date(2026, 11, 29))
    assert [w.code for w in service.preview(on_due_day, today=TODAY).warnings] == [
        "subsidy.applied_after_activity"
    ]
    before = replace(after, applied_on=date(2026, 10, 1))
    assert service.preview(before, today=TODAY).warnings == []


def test_a_grant_above_the_computed_amount_is_refused_and_nothing_changes(
    db: Database, service: SubsidyService, world: SubsidyWorld
) -> None:
    app_id, _ = service.add(_trade_show(world), today=TODAY)
    before = service.get(app_id)

    with pytest.raises(ValidationError) as caught:
        service.advance(
            app_id,
            before.version,
            StepInput(StepName.GRANT, date(2026, 6, 10), granted_amount=100_001),
            today=TODAY,
        )

    assert caught.value.codes() == {"granted_amount": "subsidy.above_computed_grant"}
    assert service.get(app_id) == before
    assert len(service.history(app_id)) == 1
    assert _audit_count(db, app_id) == 1


def test_negative_and_unreadable_amounts_are_refused_and_nothing_is_saved(
    db: Database, service: SubsidyService, world: SubsidyWorld
) -> None:
    with pytest.raises(ValidationError) as caught:
        service.add(_trade_show(world, eligible_cost=-1), today=TODAY)
    assert caught.value.codes() == {"eligible_cost": "negative"}
    with pytest.raises(ValidationError) as unreadable:
        parse_amount("十五万", "eligible_cost")
    assert unreadable.value.codes() == {"eligible_cost": "number.format"}
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(SubsidyApplication)) == 0

    typed = parse_amount("１５０，０００円", "eligible_cost")
    app_id, _ = service.add(_trade_show(world, eligible_cost=typed), today=TODAY)
    assert service.get(app_id).computed_amount == 100_000


def test_an_activity_ending_before_the_event_is_refused_and_the_saved_record_stays(
    service: SubsidyService, world: SubsidyWorld
) -> None:
    value = _street(world, 0, date(2026, 4, 20), 900_000)
    app_id, _ = service.add(value, today=TODAY)
    before = service.get(app_id)

    bad = replace(value, activity_ends_on=date(2026, 5, 15), eligible_cost=-5)
    with pytest.raises(ValidationError) as caught:
        service.update(app_id, before.version, bad, today=TODAY)

    assert caught.value.codes() == {
        "activity_ends_on": "subsidy.ends_before_start",
        "eligible_cost": "negative",
    }
    assert service.get(app_id) == before


def test_a_stale_version_is_a_conflict_and_keeps_the_stored_data(
    service: SubsidyService, world: SubsidyWorld
) -> None:
    app_id, _ = service.add(_trade_show(world), today=TODAY)
    stale = service.get(app_id).version
    _step(service, app_id, StepName.RETURN, date(2026, 6, 5), reason="見積書が不足")
    stored = service.get(app_id)

    with pytest.raises(Conflict):
        service.update(app_id, stale, _trade_show(world, title="別の件名"), today=TODAY)
    with pytest.raises(Conflict):
        service.advance(
            app_id, stale, StepInput(StepName.WITHDRAW, date(2026, 6, 6), reason="x"), today=TODAY
        )

    assert service.get(app_id) == stored


def test_editing_recomputes_while_applied_and_freezes_amounts_after_the_grant(
    service: SubsidyService, world: SubsidyWorld
) -> None:
    app_id, _ = service.add(_trade_show(world), today=TODAY)
    version, _ = service.update(
        app_id, service.get(app_id).version, _trade_show(world, eligible_cost=90_000), today=TODAY
    )
    assert (service.get(app_id).computed_amount, version) == (60_000, 2)
    _step(service, app_id, StepName.GRANT, date(2026, 6, 10), granted_amount=60_000)
    granted = service.get(app_id)

    with pytest.raises(ValidationError) as caught:
        service.update(
            app_id, granted.version, replace(granted.as_input(), eligible_cost=1), today=TODAY
        )
    assert caught.value.codes() == {"eligible_cost": "subsidy.fixed_after_grant"}
    service.update(
        app_id, granted.version, replace(granted.as_input(), title="ギフト・ショー秋"), today=TODAY
    )
    assert service.get(app_id).title == "ギフト・ショー秋"
    with pytest.raises(ValidationError) as moved:
        service.update(
            app_id,
            service.get(app_id).version,
            replace(granted.as_input(), business_id=None, association_id=world.association_id),
            today=TODAY,
        )
    assert moved.value.codes()["association_id"] == "subsidy.applicant_fixed"


def test_reports_due_lists_granted_applications_due_within_14_days_or_overdue(
    service: SubsidyService, world: SubsidyWorld
) -> None:
    # Due 6/28 (5/29 + 30), 7/31 (7/1 + 30) and 8/30 (7/31 + 30); one is reported already.
    ids = []
    for ends in (date(2026, 5, 29), date(2026, 7, 1), date(2026, 7, 31), date(2026, 5, 30)):
        app_id, _ = service.add(_trade_show(world, activity_ends_on=ends), today=TODAY)
        _step(service, app_id, StepName.GRANT, date(2026, 6, 10), granted_amount=100_000)
        ids.append(app_id)
    _step(service, ids[3], StepName.REPORT, date(2026, 6, 20), actual_cost=150_000)

    due = service.reports_due(date(2026, 7, 20))

    assert [(r.id, r.days_to_report) for r in due] == [(ids[0], -22), (ids[1], 11)]
    assert due[0].report_overdue and not due[1].report_overdue
    overdue = ApplicationQuery(report=ReportDue.OVERDUE)
    assert [r.id for r in service.page(overdue, today=date(2026, 7, 20))] == [ids[0]]
    assert service.count(ApplicationQuery(report=ReportDue.DUE), today=date(2026, 7, 20)) == 2


def test_pages_come_newest_first_without_repeats_and_filter_by_target_and_year(
    service: SubsidyService, world: SubsidyWorld
) -> None:
    today = date(2027, 4, 30)
    business = [
        service.add(_trade_show(world, applied_on=day), today=today)[0]
        for day in (date(2026, 5, 1), date(2026, 6, 1), date(2026, 6, 1), date(2027, 4, 1))
    ]
    street, _ = service.add(_street(world, 0, date(2026, 4, 20), 500_000), today=today)

    first = service.page(ApplicationQuery(), limit=2, today=today)
    rest = service.page(ApplicationQuery(), after=first[-1], limit=10, today=today)
    assert [r.id for r in first + rest] == [
        business[3],
        business[2],
        business[1],
        business[0],
        street,
    ]
    streets = service.page(ApplicationQuery(target=SubsidyTarget.STREET), today=today)
    assert [(r.id, r.applicant_name, r.amount) for r in streets] == [
        (street, "神田すずらん通り商店街振興組合", 416_000)  # ⅚ of 500,000 = 416,666.67
    ]
    assert service.count(ApplicationQuery(fiscal_year=2026), today=today) == 4
    assert service.count(ApplicationQuery(fiscal_year=2027), today=today) == 1
    assert [r.id for r in service.for_association(world.association_id)] == [street]


def test_a_grant_period_lists_what_the_monthly_report_counts_and_adds_up_the_grants(
    db: Database, admin: Principal, service: SubsidyService, world: SubsidyWorld
) -> None:
    granted = {}
    for day, amount in (
        (date(2026, 4, 30), 100_000),
        (date(2026, 5, 1), 90_000),
        (date(2026, 5, 31), 80_000),
        (date(2026, 6, 1), 70_000),
        (date(2026, 5, 15), 60_000),  # its 交付決定額 is cleared below: not granted
    ):
        app_id, _ = service.add(_trade_show(world, applied_on=date(2026, 4, 10)), today=TODAY)
        _step(service, app_id, StepName.GRANT, day, granted_amount=amount)
        granted[day] = app_id
    applied_only, _ = service.add(_trade_show(world, applied_on=date(2026, 5, 20)), today=TODAY)
    with db.write() as session:  # as an import can leave it: decided, no amount
        session.get_one(SubsidyApplication, granted[date(2026, 5, 15)]).granted_amount = None
    _step(
        service, granted[date(2026, 5, 1)], StepName.REPORT, date(2026, 6, 20), actual_cost=150_000
    )
    may = ApplicationQuery(granted_from=date(2026, 5, 1), granted_to=date(2026, 5, 31))

    # Whatever the state now; the month's last day in, the next month's first day out.
    rows = service.page(may, today=TODAY)
    assert {r.id for r in rows} == {granted[date(2026, 5, 1)], granted[date(2026, 5, 31)]}
    assert applied_only not in {r.id for r in rows}
    assert service.count(may, today=TODAY) == 2
    assert service.granted_total(may, today=TODAY) == 170_000
    reporting = ReportingService(db, admin)
    for month in (4, 5, 6):
        first, last = month_range(2026, month)
        query = ApplicationQuery(granted_from=first, granted_to=last)
        figures = reporting.monthly(2026, month).subsidies.granted
        assert (service.count(query), service.granted_total(query)) == (
            figures.count,
            figures.amount,
        )
    # An open end, and the other filters still apply.
    since = ApplicationQuery(granted_from=date(2026, 5, 31))
    assert service.count(since) == 2 and service.granted_total(since) == 150_000
    assert service.count(replace(may, states=frozenset({SubsidyState.GRANTED}))) == 1
    assert service.granted_total(ApplicationQuery()) == 340_000  # every 交付決定額
    reversed_ = ApplicationQuery(granted_from=date(2026, 5, 31), granted_to=date(2026, 5, 1))
    for call in (service.page, service.count, service.granted_total):
        with pytest.raises(ValidationError) as refused:
            call(reversed_)
        assert refused.value.codes() == {"granted_to": "period.reversed"}


def test_master_terms_never_overlap_and_new_terms_apply_from_their_first_day(
    service: SubsidyService, world: SubsidyWorld
) -> None:
    raised = TermsInput(date(2027, 4, 1), None, 2, 3, cap_amount=150_000, report_due_days=30)
    with pytest.raises(ValidationError) as caught:
        service.add_terms(world.trade_show_id, raised)
    assert caught.value.codes() == {"valid_from": "subsidy_terms.overlap"}

    service.add_terms(world.trade_show_id, raised, close_open_period=True)

    [new, old] = service.terms(world.trade_show_id)
    assert old.valid_to == date(2027, 3, 31) and new.valid_from == date(2027, 4, 1)
    in_force = service.terms_in_force(world.trade_show_id, date(2027, 3, 31))
    assert in_force is not None and in_force.cap_amount == 100_000
    today = date(2027, 4, 30)
    before, _ = service.add(_trade_show(world, applied_on=date(2027, 3, 31)), today=today)
    after, _ = service.add(
        _trade_show(world, applied_on=date(2027, 4, 1), eligible_cost=300_000), today=today
    )
    assert service.get(before).computed_amount == 100_000
    assert service.get(after).computed_amount == 150_000


def test_programs_are_unique_by_name_and_keep_their_target_once_used(
    db: Database, service: SubsidyService, world: SubsidyWorld
) -> None:
    program_id = service.add_program(ProgramInput("ＤＸ推進助成金", SubsidyTarget.BUSINESS))
    with pytest.raises(ValidationError) as duplicate:
        service.add_program(ProgramInput("DX推進助成金", SubsidyTarget.BUSINESS))
    assert duplicate.value.codes() == {"name": "duplicate_name"}
    assert "DX推進助成金" in [p.name for p in service.programs()]
    service.add_terms(program_id, TermsInput(date(2026, 4, 1), None, 2, 3, cap_amount=3_000_000))
    app_id, _ = service.add(
        ApplicationInput(
            program_id=program_id,
            applied_on=date(2026, 9, 1),
            business_id=world.business_id,
            eligible_cost=1_000_000,
        ),
        today=TODAY,
    )
    view = service.get(app_id)
    assert view.computed_amount == 666_000
    with db.read() as session:
        code = session.scalar(select(Initiative.code).where(Initiative.id == view.initiative_id))
    assert code == "1-3-2"  # DX, chosen from the name

    [info] = [p for p in service.programs() if p.id == program_id]
    with pytest.raises(ValidationError) as in_use:
        service.update_program(
            program_id, info.version, replace(info.as_input(), target=SubsidyTarget.STREET)
        )
    assert in_use.value.codes() == {"target": "subsidy_program.target_in_use"}
    service.update_program(program_id, info.version, replace(info.as_input(), active=False))
    assert program_id not in [p.id for p in service.programs()]


def _principal(db: Database, login: str, role: Role) -> Principal:
    with db.write() as session:
        staff = Staff(login=login, name=login, name_kana="")
        staff.roles.append(StaffRole(role=role.value))
        session.add(staff)
        session.flush()
        return Principal(staff.id, login, login, frozenset({role}))


def test_a_consultant_works_applications_and_an_auditor_only_reads(
    db: Database, service: SubsidyService, world: SubsidyWorld
) -> None:
    suzuki = _principal(db, "suzuki", Role.CONSULTANT)
    consultant = SubsidyService(db, suzuki)
    auditor = SubsidyService(db, _principal(db, "kansa", Role.AUDITOR))

    app_id, _ = consultant.add(_trade_show(world), today=TODAY)
    consultant.advance(
        app_id,
        consultant.get(app_id).version,
        StepInput(StepName.GRANT, date(2026, 6, 10), granted_amount=100_000),
        today=TODAY,
    )
    with pytest.raises(PermissionDenied):
        consultant.add_program(ProgramInput("新しい補助金", SubsidyTarget.BUSINESS))

    assert auditor.get(app_id).state is SubsidyState.GRANTED
    assert len(auditor.history(app_id)) == 2
    with pytest.raises(PermissionDenied):
        auditor.add(_trade_show(world), today=TODAY)
    with pytest.raises(PermissionDenied):
        auditor.advance(
            app_id,
            auditor.get(app_id).version,
            StepInput(StepName.WITHDRAW, TODAY, reason="x"),
            today=TODAY,
        )
    assert service.get(app_id).state is SubsidyState.GRANTED
    with db.read() as session:
        actors = session.scalars(
            select(AuditLog.staff_id)
            .where(AuditLog.record_kind == "subsidy_application")
            .order_by(AuditLog.id)
        ).all()
    assert actors == [suzuki.staff_id] * 2

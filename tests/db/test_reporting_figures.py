"""The breakdowns of the 月次報告・年度報告 from hand-built rows at month and 年度 edges: JSIC,
funds and banks, the month-end pipeline rebuilt from case history, dispatch decisions, street
support and events, subsidy applications and payments."""

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from consult_desk.db.engine import Database
from consult_desk.db.models import (
    Business,
    Consultation,
    ConsultationChannel,
    ExpertDispatch,
    Initiative,
    JsicMajor,
    LoanCase,
    StreetAssociation,
    StreetEvent,
    StreetSupport,
    SubsidyApplication,
    SupportKind,
)
from consult_desk.domain.fiscal import fiscal_year, japan_today
from consult_desk.domain.loans import LoanCaseInput, LoanState, StepInput, StepName
from consult_desk.domain.permissions import Principal, Role
from consult_desk.domain.streets import SupportKindCode
from consult_desk.reports.document import Document, Table
from consult_desk.reports.layout_period import fiscal_year_document, monthly_document
from consult_desk.services.loans import LoanService
from consult_desk.services.reporting import (
    NO_BANK,
    NO_BUSINESS,
    NO_JSIC,
    OPEN_STATES,
    BankLoans,
    Executed,
    ProgramLoans,
    ProgramSubsidies,
    ReportingService,
    Tally,
    to_json,
)
from tests.dispatch_setup import DispatchWorld, make_dispatch_world
from tests.loan_setup import LoanWorld, make_loan_world
from tests.report_setup import demo_database, demo_principal
from tests.subsidy_setup import SubsidyWorld, make_subsidy_world

NOV = (2026, 11)


def _initiative(db: Database) -> int:
    with db.read() as session:
        found = session.scalar(select(Initiative.id).order_by(Initiative.id).limit(1))
    assert found is not None
    return found


def _business(db: Database, name: str, jsic: str | None) -> int:
    with db.write() as session:
        business = Business(
            kind="corporation", name=name, sort_key=name, sme_status="小規模企業者", jsic_major=jsic
        )
        session.add(business)
        session.flush()
        return business.id


def _consult(
    db: Database,
    staff_id: int | None,
    on: date,
    business_id: int | None,
    *,
    deleted: bool = False,
) -> None:
    with db.write() as session:
        channel = session.scalars(select(ConsultationChannel.id).limit(1)).one()
        session.add(
            Consultation(
                consulted_on=on,
                channel_id=channel,
                staff_id=staff_id,
                business_id=business_id,
                prospect_name="" if business_id else "創業 予定",
                deleted_at=datetime(2026, 11, 20, tzinfo=UTC) if deleted else None,
            )
        )


# -- consultations by JSIC ----------------------------------------------------------------------


def test_consultations_by_jsic_in_code_order_with_the_unclassified_last(
    db: Database, admin: Principal
) -> None:
    retail = _business(db, "小売の店", "I")
    maker = _business(db, "町工場", "E")
    unknown = _business(db, "業種不明の会社", None)
    me = admin.staff_id
    _consult(db, me, date(2026, 10, 31), retail)  # the month before
    _consult(db, me, date(2026, 11, 1), retail)
    _consult(db, me, date(2026, 11, 30), retail)
    _consult(db, me, date(2026, 11, 15), maker)
    _consult(db, me, date(2026, 11, 15), maker, deleted=True)  # in the trash
    _consult(db, me, date(2026, 11, 16), unknown)
    _consult(db, me, date(2026, 11, 17), None)  # a prospective founder
    _consult(db, me, date(2026, 12, 1), maker)  # the month after

    report = ReportingService(db, admin).monthly(*NOV)

    by_jsic = report.consultations.by_jsic
    with db.read() as session:
        majors = session.execute(select(JsicMajor.code, JsicMajor.name).order_by(JsicMajor.code))
        labels = [f"{code} {name}" for code, name in majors]
    assert len(labels) == 20 and labels[0].startswith("A ") and labels[-1].startswith("T ")
    assert [label for label, _ in by_jsic] == [*labels, NO_JSIC, NO_BUSINESS]
    counts = dict(by_jsic)
    assert counts["I 卸売業，小売業"] == 2
    assert counts["E 製造業"] == 1
    assert (counts[NO_JSIC], counts[NO_BUSINESS]) == (1, 1)
    assert sum(counts.values()) == report.consultations.total == 5
    # Zeros stay in code order; the two unclassified rows appear only when there are any.
    assert counts["A 農業，林業"] == 0
    december = ReportingService(db, admin).monthly(2026, 12).consultations.by_jsic
    assert [label for label, _ in december] == labels
    assert report.fiscal_year_to_date.consultations.by_jsic == (
        *((label, count + (label == "I 卸売業，小売業")) for label, count in by_jsic[:20]),
        (NO_JSIC, 1),
        (NO_BUSINESS, 1),
    )


def test_the_fiscal_years_months_and_total_match_each_periods_own_count(
    migrated_template: Path, tmp_path: Path
) -> None:
    # The 年度報告 counts its months in one pass and sums them for the 年度; the 月次報告 counts
    # each period on its own. On the demo data (every kind of consultation) they must agree.
    demo = demo_database(migrated_template, tmp_path)
    try:
        manager = demo_principal(demo, "demo-manager")
        service = ReportingService(demo, manager)
        year = fiscal_year(japan_today()) - 1  # complete in the demo data
        unclassified = _business(demo, "業種不明の会社", None)
        for day, business in ((date(year, 4, 1), None), (date(year + 1, 3, 31), unclassified)):
            _consult(demo, manager.staff_id, day, business)  # the 年度's first and last days
            _consult(demo, manager.staff_id, day, business, deleted=True)
        report = service.fiscal_year(year)

        for month in report.months:
            own = service.monthly(month.period_from.year, month.period_from.month)
            assert month.consultations == own.consultations, month.period_from
        march = service.monthly(year + 1, 3).fiscal_year_to_date
        assert (march.period_from, march.period_to) == (report.period_from, report.period_to)
        assert report.totals.consultations == march.consultations
        assert report.totals.consultations.total == sum(
            m.consultations.total for m in report.months
        )
        assert report.totals.consultations.total > 50
        totals = report.totals.consultations
        assert dict(totals.by_area)[NO_BUSINESS] >= 1
        assert dict(totals.by_jsic)[NO_JSIC] >= 1
        assert [label for label, _ in totals.by_jsic][-2:] == [NO_JSIC, NO_BUSINESS]
    finally:
        demo.dispose()


# -- loans by fund and bank -----------------------------------------------------------------


def _loan(db: Database, w: LoanWorld, program_id: int, received: date, **values: Any) -> None:
    with db.write() as session:
        session.add(
            LoanCase(
                initiative_id=session.scalar(select(Initiative.id).limit(1)),
                business_id=w.business_id,
                program_id=program_id,
                status=values.pop("status", "RECEIVED"),
                status_since=received,
                received_on=received,
                **values,
            )
        )


@pytest.fixture
def loans(db: Database) -> LoanWorld:
    w = make_loan_world(db)
    run, start = w.program_id, w.startup_program_id
    _loan(db, w, run, date(2026, 11, 1), referred_on=date(2026, 11, 30), bank_id=w.bank_id)
    _loan(
        db,
        w,
        run,
        date(2026, 11, 30),
        referred_on=date(2026, 12, 1),  # referred the month after
        bank_id=w.other_bank_id,
        executed_on=date(2026, 12, 10),
        executed_amount=9_000_000,
    )
    _loan(
        db,
        w,
        start,
        date(2026, 10, 31),
        referred_on=date(2026, 11, 1),
        bank_id=w.other_bank_id,
        executed_on=date(2026, 11, 30),
        executed_amount=2_000_001,
    )
    _loan(
        db,
        w,
        run,
        date(2026, 9, 1),
        referred_on=date(2026, 10, 1),
        bank_id=w.bank_id,
        executed_on=date(2026, 11, 2),
        executed_amount=3_000_000,
    )
    _loan(db, w, run, date(2026, 11, 15), referred_on=date(2026, 11, 15))  # no bank recorded
    _loan(
        db,
        w,
        run,
        date(2025, 11, 10),
        referred_on=date(2025, 11, 12),
        bank_id=w.bank_id,
        executed_on=date(2025, 11, 28),
        executed_amount=500_000,
    )
    return w


def test_loans_by_fund_and_bank_sum_yen_at_month_edges(
    db: Database, admin: Principal, loans: LoanWorld
) -> None:
    report = ReportingService(db, admin).monthly(*NOV)

    figures = report.loans
    assert figures.by_program == (
        ("営業資金", ProgramLoans(3, 2, Executed(1, 3_000_000))),
        ("起業資金", ProgramLoans(0, 1, Executed(1, 2_000_001))),
    )
    assert figures.by_bank == (
        ("みずほ銀行", BankLoans(1, Executed(1, 3_000_000))),
        ("朝日信用金庫", BankLoans(1, Executed(1, 2_000_001))),
        (NO_BANK, BankLoans(1, Executed(0, 0))),
    )
    # The breakdowns add up to the month's figures.
    assert figures.executed == Executed(2, 5_000_001)
    assert sum(p.received for _, p in figures.by_program) == figures.received == 3
    assert sum(b.referred for _, b in figures.by_bank) == figures.referred == 3
    last_year = dict(report.same_month_last_year.loans.by_bank)
    assert last_year["みずほ銀行"] == BankLoans(1, Executed(1, 500_000))
    assert last_year["朝日信用金庫"] == BankLoans(0, Executed(0, 0))
    assert NO_BANK not in last_year  # only when some case lacks its bank
    to_date = dict(report.fiscal_year_to_date.loans.by_program)
    assert to_date["営業資金"] == ProgramLoans(4, 3, Executed(1, 3_000_000))
    assert to_date["起業資金"] == ProgramLoans(1, 1, Executed(1, 2_000_001))


def test_loan_amounts_by_fund_and_bank_are_withheld_from_roles_without_the_right(
    db: Database, admin: Principal, loans: LoanWorld
) -> None:
    consultant = Principal(admin.staff_id, "c", "相談員", frozenset({Role.CONSULTANT}))

    report = ReportingService(db, consultant).monthly(*NOV)

    assert report.loans.executed == Executed(2, None)
    assert dict(report.loans.by_program)["起業資金"].executed == Executed(1, None)
    assert [b.executed for _, b in report.loans.by_bank] == [
        Executed(1, None),
        Executed(1, None),
        Executed(0, None),
    ]
    data = to_json(report)
    assert data["loans"]["by_bank"]["みずほ銀行"]["executed"] == {"count": 1, "amount": None}
    assert data["fiscal_year_to_date"]["loans"]["executed"]["amount"] is None


# -- the pipeline at month end ------------------------------------------------------------------

TODAY = date(2026, 12, 3)
ELIGIBLE = dict(
    eligible_in_ward_year=True,
    eligible_head_office=True,
    eligible_taxes_paid=True,
    eligible_no_virtual_office=True,
    eligible_industry_covered=True,
)


def _open(service: LoanService, w: LoanWorld, received: date) -> int:
    return service.add(
        LoanCaseInput(
            business_id=w.business_id,
            program_id=w.program_id,
            received_on=received,
            requested_amount=5_000_000,
            purpose="運転資金",
        ),
        today=TODAY,
    )


def _step(service: LoanService, case_id: int, step: StepName, on: date, **values: Any) -> None:
    version = service.get(case_id).version
    service.advance(case_id, version, StepInput(step, on, **values), today=TODAY)


def test_pipeline_at_month_end_is_rebuilt_from_the_case_history(
    db: Database, admin: Principal
) -> None:
    w = make_loan_world(db)
    loans = LoanService(db, admin)
    # Received in October, under review from 2 November.
    a = _open(loans, w, date(2026, 10, 20))
    _step(loans, a, StepName.RECEIVE, date(2026, 10, 31), interviewer="山田 診断士")
    _step(loans, a, StepName.START_REVIEW, date(2026, 11, 2), **ELIGIBLE)
    # Put on hold by mistake and taken back; the referral then entered with its earlier date.
    b = _open(loans, w, date(2026, 11, 16))
    _step(loans, b, StepName.RECEIVE, date(2026, 11, 20), interviewer="山田 診断士")
    _step(loans, b, StepName.START_REVIEW, date(2026, 11, 20), **ELIGIBLE)
    _step(loans, b, StepName.HOLD, date(2026, 11, 27), reason="決算書が足りない")
    loans.undo(b, loans.get(b).version, "別の案件と取り違えた")
    _step(
        loans,
        b,
        StepName.REFER,
        date(2026, 11, 26),
        referral_number="R8-001",
        referral_amount=5_000_000,
        bank_id=w.bank_id,
    )
    # Opened in October, withdrawn in November: open at the end of October only.
    c = _open(loans, w, date(2026, 10, 1))
    _step(loans, c, StepName.WITHDRAW, date(2026, 11, 10), reason="自己資金で対応")
    # Opened on 1 December: not yet there at the end of November.
    _open(loans, w, date(2026, 12, 1))
    assert loans.get(b).state is LoanState.REFERRAL_ISSUED

    service = ReportingService(db, admin)
    november, october = service.monthly(*NOV), service.monthly(2026, 10)

    assert [label for label, _ in november.loans.pipeline] == [s.label for s in OPEN_STATES]
    assert LoanState.WITHDRAWN.label not in dict(november.loans.pipeline)
    assert _nonzero(november.loans.pipeline) == {"区審査": 1, "あっせん書交付": 1}
    assert _nonzero(october.loans.pipeline) == {"相談": 1, "受付": 1}
    # The 年度 to date ends on the same day; a year earlier nothing was open yet.
    assert november.fiscal_year_to_date.loans.pipeline == november.loans.pipeline
    assert _nonzero(november.same_month_last_year.loans.pipeline) == {}
    # The 年度報告's months are the same month ends.
    year = service.fiscal_year(2026)
    assert [m.loans.pipeline for m in year.months[6:8]] == [
        october.loans.pipeline,
        november.loans.pipeline,
    ]


def test_pipeline_counts_active_loans_and_leaves_ended_cases_out(
    db: Database, admin: Principal
) -> None:
    w = make_loan_world(db)
    loans = LoanService(db, admin)
    case_id = _open(loans, w, date(2026, 11, 16))
    _step(loans, case_id, StepName.RECEIVE, date(2026, 11, 16), interviewer="山田 診断士")
    _step(loans, case_id, StepName.START_REVIEW, date(2026, 11, 16), **ELIGIBLE)
    _step(
        loans,
        case_id,
        StepName.REFER,
        date(2026, 11, 19),
        referral_number="R8-002",
        referral_amount=3_000_000,
        bank_id=w.bank_id,
    )
    _step(loans, case_id, StepName.BANK_RECEIVED, date(2026, 11, 20))
    _step(
        loans,
        case_id,
        StepName.EXECUTE,
        date(2026, 11, 30),
        executed_amount=3_000_000,
        term_months=60,
        grace_months=6,
        nominal_rate=Decimal("2.1"),
    )
    refused = _open(loans, w, date(2026, 11, 2))
    _step(loans, refused, StepName.RECEIVE, date(2026, 11, 2), interviewer="山田 診断士")
    _step(loans, refused, StepName.START_REVIEW, date(2026, 11, 2), **ELIGIBLE)
    _step(loans, refused, StepName.REFUSE, date(2026, 11, 30), reason="区内での営業実績なし")

    pipeline = ReportingService(db, admin).monthly(*NOV).loans.pipeline

    assert _nonzero(pipeline) == {"融資実行": 1}


def _nonzero(counts: tuple[tuple[str, int], ...]) -> dict[str, int]:
    return {label: n for label, n in counts if n}


# -- dispatch -----------------------------------------------------------------------------------


def test_dispatches_decided_and_completed_at_month_edges(db: Database, admin: Principal) -> None:
    w: DispatchWorld = make_dispatch_world(db)
    initiative = _initiative(db)
    with db.write() as session:
        for decided, completed in [
            (date(2026, 10, 31), date(2026, 11, 1)),
            (date(2026, 11, 1), date(2026, 11, 30)),
            (date(2026, 11, 30), None),
            (date(2026, 9, 1), date(2026, 12, 1)),
            (None, None),  # still under review
        ]:
            session.add(
                ExpertDispatch(
                    business_id=w.business_id,
                    program_id=w.program_id,
                    initiative_id=initiative,
                    theme="販路",
                    fiscal_year=2026,
                    status="approved",
                    applied_on=date(2026, 9, 1),
                    decided_on=decided,
                    completed_on=completed,
                )
            )

    report = ReportingService(db, admin).monthly(*NOV)

    assert (report.dispatch.decided, report.dispatch.completed) == (2, 2)
    assert (report.dispatch.visits, report.dispatch.fees) == (0, 0)
    to_date = report.fiscal_year_to_date.dispatch
    assert (to_date.decided, to_date.completed) == (4, 2)


# -- shopping streets ---------------------------------------------------------------------------


def test_street_support_by_kind_events_visitors_and_university_projects(
    db: Database, admin: Principal
) -> None:
    initiative = _initiative(db)
    with db.write() as session:
        street = StreetAssociation(
            name="神田すずらん通り商店街振興組合",
            sort_key="かんだすずらん",
            legal_form="任意商店会",
        )
        session.add(street)
        session.flush()
        kinds = dict(session.execute(select(SupportKind.code, SupportKind.id)).all())
        for on, code, students in [
            (date(2026, 10, 31), SupportKindCode.EVENT, None),
            (date(2026, 11, 1), SupportKindCode.EVENT, None),
            (date(2026, 11, 2), SupportKindCode.ORGANISATION, None),
            (date(2026, 11, 10), SupportKindCode.UNIVERSITY, 12),
            (date(2026, 11, 30), SupportKindCode.UNIVERSITY, None),  # students not recorded
            (date(2026, 12, 1), SupportKindCode.UNIVERSITY, 40),
        ]:
            session.add(
                StreetSupport(
                    association_id=street.id,
                    kind_id=kinds[code],
                    initiative_id=initiative,
                    supported_on=on,
                    title="相談",
                    student_count=students,
                )
            )
        for starts, ends, visitors in [
            (date(2026, 10, 31), date(2026, 11, 3), 50_000),  # held in October
            (date(2026, 11, 1), date(2026, 11, 1), 1_200),
            (date(2026, 11, 30), date(2026, 12, 2), None),  # visitors not recorded
            (date(2026, 12, 1), date(2026, 12, 1), 800),
        ]:
            session.add(
                StreetEvent(
                    association_id=street.id,
                    initiative_id=initiative,
                    name="まつり",
                    starts_on=starts,
                    ends_on=ends,
                    visitors=visitors,
                )
            )
        names = dict(
            session.execute(
                select(SupportKind.code, SupportKind.name).order_by(
                    SupportKind.sort_order, SupportKind.id
                )
            ).all()
        )

    streets = ReportingService(db, admin).monthly(*NOV).streets

    assert [label for label, _ in streets.by_kind] == list(names.values())
    assert dict(streets.by_kind) == {
        names[SupportKindCode.ORGANISATION]: 1,
        names[SupportKindCode.EVENT]: 1,
        names[SupportKindCode.SUCCESSOR]: 0,
        names[SupportKindCode.UNIVERSITY]: 2,
        names[SupportKindCode.OTHER]: 0,
    }
    assert streets.supports == 4
    assert (streets.events, streets.visitors) == (2, 1_200)
    assert (streets.university, streets.students) == (2, 12)


# -- subsidies ----------------------------------------------------------------------------------


def test_subsidies_received_granted_and_paid_by_program(db: Database, admin: Principal) -> None:
    sw: SubsidyWorld = make_subsidy_world(db)
    initiative = _initiative(db)
    rows = [
        # program, applied, decided, granted, paid on, paid
        (sw.trade_show_id, date(2026, 11, 1), date(2026, 11, 30), 100_000, None, None),
        (
            sw.trade_show_id,
            date(2026, 10, 31),
            date(2026, 11, 1),
            66_000,
            date(2026, 11, 30),
            65_000,
        ),
        (sw.trade_show_id, date(2026, 11, 30), date(2026, 11, 20), None, None, None),  # rejected
        (
            sw.decarbonise_id,
            date(2026, 6, 1),
            date(2026, 7, 1),
            500_000,
            date(2026, 11, 1),
            499_999,
        ),
        (sw.decarbonise_id, date(2026, 12, 1), date(2026, 12, 1), 1_000, date(2026, 12, 1), 1_000),
    ]
    with db.write() as session:
        for program, applied, decided, granted, paid_on, paid in rows:
            session.add(
                SubsidyApplication(
                    program_id=program,
                    business_id=sw.business_id,
                    initiative_id=initiative,
                    fiscal_year=2026,
                    status="paid" if paid else "granted" if granted else "rejected",
                    applied_on=applied,
                    decided_on=decided,
                    granted_amount=granted,
                    paid_on=paid_on,
                    paid_amount=paid,
                )
            )

    report = ReportingService(db, admin).monthly(*NOV)

    s = report.subsidies
    assert s.received == 2
    assert s.granted == Tally(2, 166_000)
    assert s.paid == Tally(2, 564_999)
    assert s.by_program == (
        ("中小企業販路拡大事業支援補助", ProgramSubsidies(2, Tally(2, 166_000), Tally(1, 65_000))),
        ("中小企業脱炭素経営支援助成金", ProgramSubsidies(0, Tally(0, 0), Tally(1, 499_999))),
        ("商店街イベント事業補助", ProgramSubsidies(0, Tally(0, 0), Tally(0, 0))),
    )
    to_date = report.fiscal_year_to_date.subsidies
    assert (to_date.received, to_date.granted, to_date.paid) == (
        4,
        Tally(3, 666_000),
        Tally(2, 564_999),
    )


# -- the layouts over real figures --------------------------------------------------------------


def test_fiscal_year_document_totals_are_the_sums_of_the_months(
    db: Database, admin: Principal, loans: LoanWorld
) -> None:
    retail = _business(db, "小売の店", "I")
    for day in (date(2026, 3, 31), date(2026, 4, 1), date(2026, 11, 30), date(2027, 3, 31)):
        _consult(db, admin.staff_id, day, retail)
        _consult(db, admin.staff_id, day, None)

    report = ReportingService(db, admin).fiscal_year(2026)
    doc = fiscal_year_document(report)

    # (section, table title without its half, row) → cells of 4月 … 3月 (and 合計)
    rows: dict[tuple[str, str, int], list[Any]] = {}
    for section in doc.sections[:-1]:  # the initiative overview has no months
        for table in (b for b in section.blocks if isinstance(b, Table)):
            titles = [c.title for c in table.columns]
            if "合計" not in titles and "4月" not in titles:
                continue
            first = titles.index("4月") if "4月" in titles else titles.index("10月")
            base = table.title.removesuffix("（4月〜9月）").removesuffix("（10月〜3月・合計）")
            for n, row in enumerate(table.rows):
                rows.setdefault((section.heading, base, n), []).extend(row[first:])
    checked = 0
    for (_, title, _), cells in rows.items():
        if title == "月末の案件数（状態別）":
            assert len(cells) == 12  # a stock at each month's end: no total
            continue
        assert len(cells) == 13, title
        assert cells[-1] == sum(cells[:-1]), title
        checked += 1
    assert checked > 40
    consultations = next(t for t in _tables(doc) if t.title == "相談方法別")
    assert consultations.rows[-1][-1] == 6  # 4 April … 31 March, twice each day but 31/3/2026
    overview = to_json(report)["initiatives"]
    assert overview["period"] == {"from": "2026-04-01", "to": "2027-03-31"}
    assert len(overview["initiatives"]) == len(report.initiatives.rows) == 24
    assert doc.sections[-1].heading == "施策別実績"


def _tables(doc: Document) -> list[Table]:
    return [b for s in doc.sections for b in s.blocks if isinstance(b, Table)]


def test_monthly_document_from_the_database_shows_the_masked_amounts_as_blanks(
    db: Database, admin: Principal, loans: LoanWorld
) -> None:
    consultant = Principal(admin.staff_id, "c", "相談員", frozenset({Role.CONSULTANT}))

    doc = monthly_document(ReportingService(db, consultant).monthly(*NOV))

    loans_table = next(t for t in _tables(doc) if t.title == "件数と金額")
    assert next(r for r in loans_table.rows if r[0] == "融資実行額（円）")[1:] == (None,) * 4
    assert next(r for r in loans_table.rows if r[0] == "融資実行 件数")[1:] == (2, 1, 1, 2)
    banks = next(t for t in _tables(doc) if t.title == "金融機関別")
    assert [r[0] for r in banks.rows if r[0]] == ["みずほ銀行", "朝日信用金庫", NO_BANK]

"""施策別実績: figures per initiative at the edges of a 年度, yen sums, each record once in the
totals, masked loan amounts, the month chart, the record list and the code a user types."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from consult_desk.db.engine import Database
from consult_desk.db.models import (
    Business,
    Consultation,
    ConsultationChannel,
    ConsultationInitiative,
    DispatchProgram,
    DispatchVisit,
    Expert,
    ExpertDispatch,
    Initiative,
    LoanCase,
    StreetAssociation,
    StreetEvent,
    StreetSupport,
    SubsidyApplication,
    SubsidyProgram,
    SupportKind,
)
from consult_desk.domain.errors import ValidationError
from consult_desk.domain.messages import MESSAGES
from consult_desk.domain.permissions import PermissionDenied, Principal, Role
from consult_desk.services import report_initiatives
from consult_desk.services.reference import ReferenceService
from consult_desk.services.report_initiatives import (
    UnknownInitiative,
    build_initiative_report,
    initiative_json,
    overview_figures,
    overview_json,
)
from consult_desk.services.reporting import ReportingService
from tests.loan_setup import LoanWorld, make_loan_world

FY_FIRST, FY_LAST = date(2026, 4, 1), date(2027, 3, 31)
BEFORE, AFTER = date(2026, 3, 31), date(2027, 4, 1)


@dataclass(frozen=True)
class World:
    loans: LoanWorld
    ids: dict[str, int]  # initiative code → id
    business_id: int
    other_business_id: int
    association_id: int
    shared_consultation_id: int  # serves 1-2-1 and 1-2-2


def _build(db: Database, staff_id: int) -> World:
    loans = make_loan_world(db)
    with db.write() as s:
        ids = {code: iid for iid, code in s.execute(select(Initiative.id, Initiative.code))}
        channel = s.scalar(select(ConsultationChannel.id).limit(1))
        other = Business(
            kind="corporation", name="神保町書店", sort_key="じんぼう", sme_status="小規模企業者"
        )
        street = StreetAssociation(
            name="神田すずらん通り商店街振興組合",
            sort_key="かんだすずらん",
            legal_form="商店街振興組合",
            area="神田地域",
        )
        s.add_all([other, street])
        s.flush()

        def consult(on: date, codes: tuple[str, ...], business_id: int | None, **kw: object) -> int:
            row = Consultation(
                consulted_on=on,
                channel_id=channel,
                staff_id=staff_id,
                business_id=business_id,
                prospect_name="" if business_id else str(kw.pop("prospect", "創業 予定")),
                summary=str(kw.pop("summary", "資金繰りの相談")),
                **kw,
            )
            row.initiatives = [ConsultationInitiative(initiative_id=ids[c]) for c in codes]
            s.add(row)
            s.flush()
            return row.id

        b, o = loans.business_id, other.id
        consult(BEFORE, ("1-2-1",), b)  # the 年度 before
        consult(FY_FIRST, ("1-2-1",), b)
        shared = consult(date(2026, 10, 5), ("1-2-1", "1-2-2"), o)
        consult(FY_LAST, ("1-2-2",), b)
        consult(AFTER, ("1-2-2",), b)  # the 年度 after
        consult(date(2026, 6, 1), ("1-2-2",), b, deleted_at=datetime(2026, 6, 2, tzinfo=UTC))
        consult(date(2026, 5, 1), ("1-1-1",), None, prospect="山田 一郎")
        consult(date(2026, 5, 2), ("1-1-1",), None, prospect="山田 一郎")
        consult(date(2026, 5, 3), ("1-1-1",), None, prospect="鈴木 二郎")

        def loan(**kw: object) -> None:
            s.add(
                LoanCase(
                    business_id=kw.pop("business_id", b),
                    program_id=loans.program_id,
                    initiative_id=ids["1-2-1"],
                    status=kw.pop("status", "REFERRAL_ISSUED"),
                    status_since=BEFORE,
                    received_on=date(2026, 3, 1),
                    **kw,
                )
            )

        loan(referred_on=BEFORE, referral_amount=9_000_000)  # before the 年度
        loan(referred_on=FY_FIRST, referral_amount=3_000_000)
        loan(
            business_id=o,
            referred_on=date(2026, 12, 1),
            referral_amount=2_000_000,
            executed_on=FY_LAST,
            executed_amount=1_500_000,
            status="EXECUTED",
        )
        loan(
            referred_on=date(2027, 2, 1),
            referral_amount=1_000_000,
            executed_on=AFTER,
            executed_amount=1_000_000,
        )

        program = DispatchProgram(name="専門家派遣（経営改善）")
        expert = Expert(name="山田 太郎", sort_key="やまだ", registered_from=date(2020, 4, 1))
        s.add_all([program, expert])
        s.flush()
        dispatch = ExpertDispatch(
            business_id=o,
            program_id=program.id,
            initiative_id=ids["1-2-2"],
            expert_id=expert.id,
            theme="販路の見直し",
            fiscal_year=2026,
            status="in_progress",
            applied_on=date(2026, 3, 1),
        )
        s.add(dispatch)
        s.flush()
        s.add_all(
            DispatchVisit(
                dispatch_id=dispatch.id,
                number=n,
                visited_on=on,
                expert_id=expert.id,
                fee=fee,
            )
            for n, on, fee in (
                (1, BEFORE, 11_550),
                (2, FY_FIRST, 11_550),
                (3, FY_LAST, 20_000),
                (4, AFTER, 11_550),
            )
        )
        subsidy_program = SubsidyProgram(name="販路拡大補助", target="business")
        street_program = SubsidyProgram(name="商店街イベント補助", target="street")
        s.add_all([subsidy_program, street_program])
        s.flush()

        def apply(decided: date | None, granted: int | None, **kw: object) -> None:
            s.add(
                SubsidyApplication(
                    program_id=kw.pop("program_id", subsidy_program.id),
                    initiative_id=kw.pop("initiative_id", ids["1-3-1"]),
                    fiscal_year=2026,
                    status="granted" if granted else "applied",
                    applied_on=date(2026, 3, 1),
                    decided_on=decided,
                    granted_amount=granted,
                    **kw,
                )
            )

        apply(FY_FIRST, 100_000, business_id=b, title="展示会")
        apply(date(2026, 8, 1), 66_000, business_id=o)
        apply(BEFORE, 50_000, business_id=b)
        apply(None, None, business_id=o)  # not decided
        apply(
            date(2026, 9, 1),
            800_000,
            association_id=street.id,
            program_id=street_program.id,
            initiative_id=ids["2-2-1"],
        )
        kind = s.scalars(select(SupportKind).order_by(SupportKind.id)).first()
        assert kind is not None
        s.add_all(
            [
                StreetSupport(
                    association_id=street.id,
                    kind_id=kind.id,
                    initiative_id=ids["2-1-1"],
                    supported_on=on,
                    title=f"相談{n}",
                )
                for n, on in enumerate((BEFORE, FY_FIRST, FY_LAST))
            ]
            + [
                StreetEvent(
                    association_id=street.id,
                    initiative_id=ids["2-2-1"],
                    name=name,
                    starts_on=on,
                    ends_on=on,
                    visitors=visitors,
                )
                for name, on, visitors in (
                    ("春まつり", FY_FIRST, 30_000),
                    ("冬まつり", date(2027, 1, 10), None),
                    ("昨年のまつり", BEFORE, 1_000),
                )
            ]
        )
        s.flush()
        return World(loans, ids, b, o, street.id, shared)


@pytest.fixture
def world(db: Database, staff_id: int) -> World:
    return _build(db, staff_id)


def _as(role: Role) -> Principal:
    return Principal(1, role.value, role.label, frozenset({role}))


# --- the overview ------------------------------------------------------------------------------


def test_the_overview_lists_every_initiative_in_plan_order(db: Database, world: World) -> None:
    with db.read() as session:
        overview = overview_figures(session, FY_FIRST, FY_LAST, amounts=True)

    plan = [i.code for i in ReferenceService(db).initiatives()]
    assert [r.code for r in overview.rows] == plan
    assert len(overview.rows) == 24
    assert overview.rows[0].owners == ("商工観光課", "(公財)まちみらい千代田")


def test_figures_count_the_first_and_last_day_of_the_period_and_nothing_outside(
    db: Database, world: World
) -> None:
    with db.read() as session:
        rows = {
            r.code: r.figures
            for r in overview_figures(session, FY_FIRST, FY_LAST, amounts=True).rows
        }

    loans = rows["1-2-1"]
    assert loans.consultations == 2  # 4/1 and the shared one; 3/31 is the year before
    assert (loans.loans_referred, loans.loans_referred_amount) == (3, 6_000_000)
    assert (loans.loans_executed, loans.loans_executed_amount) == (1, 1_500_000)
    assert loans.businesses == 2
    advice = rows["1-2-2"]
    assert advice.consultations == 2  # the shared one and 3/31; the trash and 4/1 left out
    assert (advice.dispatch_visits, advice.dispatch_fees) == (2, 31_550)
    assert advice.businesses == 2
    startup = rows["1-1-1"]
    assert (startup.consultations, startup.prospects, startup.businesses) == (3, 2, 0)
    sales = rows["1-3-1"]
    assert (sales.subsidies_granted, sales.subsidies_granted_amount, sales.businesses) == (
        2,
        166_000,
        2,
    )
    assert rows["2-1-1"].street_supports == 2
    events = rows["2-2-1"]
    assert (events.events, events.event_visitors) == (2, 30_000)
    assert (events.subsidies_granted, events.subsidies_granted_amount) == (1, 800_000)
    assert events.businesses == 0  # a street is no business
    assert rows["4-2-2"].consultations == 0


def test_totals_count_each_record_and_each_business_once(db: Database, world: World) -> None:
    with db.read() as session:
        overview = overview_figures(session, FY_FIRST, FY_LAST, amounts=True)

    rows = [r.figures for r in overview.rows]
    totals = overview.totals
    assert sum(r.consultations for r in rows) == 7  # the shared consultation in two rows
    assert totals.consultations == 6
    assert totals.businesses == 2
    assert totals.prospects == 2
    assert totals.loans_referred == 3 and totals.loans_referred_amount == 6_000_000
    assert totals.loans_executed_amount == 1_500_000
    assert (totals.dispatch_visits, totals.dispatch_fees) == (2, 31_550)
    assert (totals.subsidies_granted, totals.subsidies_granted_amount) == (3, 966_000)
    assert (totals.street_supports, totals.events, totals.event_visitors) == (2, 2, 30_000)


def test_a_period_without_records_has_zero_everywhere_even_in_the_totals(
    db: Database, world: World
) -> None:
    with db.read() as session:
        overview = overview_figures(session, date(2030, 4, 1), date(2030, 4, 30), amounts=True)

    zero = overview.rows[0].figures
    assert all(r.figures == zero for r in overview.rows)
    assert overview.totals == zero
    assert zero.consultations == zero.street_supports == zero.events == 0
    assert zero.loans_executed_amount == 0


def test_the_turn_of_the_year_counts_3_31_and_4_1(db: Database, world: World) -> None:
    with db.read() as session:
        overview = overview_figures(session, BEFORE, FY_FIRST, amounts=True)

    rows = {r.code: r.figures for r in overview.rows}
    assert rows["1-2-1"].consultations == 2
    assert rows["1-2-1"].loans_referred_amount == 12_000_000
    assert rows["1-2-2"].dispatch_visits == 2
    assert rows["2-1-1"].street_supports == 2
    assert rows["1-3-1"].subsidies_granted_amount == 150_000


def test_loan_amounts_are_withheld_without_the_right(db: Database, world: World) -> None:
    with db.read() as session:
        overview = overview_figures(session, FY_FIRST, FY_LAST, amounts=False)

    rows = {r.code: r.figures for r in overview.rows}
    assert rows["1-2-1"].loans_referred == 3  # the counts stay
    assert rows["1-2-1"].loans_referred_amount is None
    assert rows["1-2-1"].loans_executed_amount is None
    assert overview.totals.loans_executed_amount is None
    assert overview.totals.subsidies_granted_amount == 966_000  # subsidies are not loans
    data = overview_json(overview)
    assert data["totals"]["loans"]["referred"] == {"count": 3, "amount": None}


def test_a_reversed_period_is_refused(db: Database, world: World) -> None:
    with db.read() as session, pytest.raises(ValidationError) as caught:
        overview_figures(session, FY_LAST, FY_FIRST, amounts=True)
    assert caught.value.codes() == {"date_to": "period.reversed"}


def test_overview_json_is_plain_json(db: Database, world: World) -> None:
    with db.read() as session:
        data = overview_json(overview_figures(session, FY_FIRST, FY_LAST, amounts=True))

    again = json.loads(json.dumps(data, ensure_ascii=False))
    assert again["report"] == "initiative_overview"
    assert again["period"] == {"from": "2026-04-01", "to": "2027-03-31"}
    assert len(again["initiatives"]) == 24
    first = again["initiatives"][0]
    assert (first["code"], first["prospects"]) == ("1-1-1", 2)
    assert again["totals"]["street"] == {"supports": 2, "events": 2, "visitors": 30_000}


# --- one initiative ----------------------------------------------------------------------------


def test_an_initiative_report_shows_its_place_in_the_plan(db: Database, world: World) -> None:
    with db.read() as session:
        report = build_initiative_report(session, _as(Role.MANAGER), "1-2-1", FY_FIRST, FY_LAST)

    path = report.initiative
    assert (path.code, path.title) == ("1-2-1", "資金繰りの支援")
    assert (path.policy_code, path.basic_policy_code) == ("1-2", "1")
    assert path.basic_policy_title.startswith("千代田区の立地を活かした")
    assert path.owners == ("商工観光課",)
    assert path.description  # the plan's text


@pytest.mark.parametrize("typed", ["1-2-1", "１－２－１", " 1ー2ー1 ", "1‐2‐1"])
def test_a_code_is_read_as_people_type_it(db: Database, world: World, typed: str) -> None:
    with db.read() as session:
        report = build_initiative_report(session, _as(Role.ADMIN), typed, FY_FIRST, FY_LAST)
    assert report.initiative.code == "1-2-1"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("9-9-9", "report.initiative_unknown"),
        ("1-2-9", "report.initiative_unknown"),
        ("1-2", "report.initiative_format"),
        ("創業支援", "report.initiative_format"),
        ("", "report.initiative_format"),
        ("1-2-1x", "report.initiative_format"),
    ],
)
def test_an_unknown_code_says_how_codes_look(
    db: Database, world: World, typed: str, code: str
) -> None:
    with db.read() as session, pytest.raises(UnknownInitiative) as caught:
        build_initiative_report(session, _as(Role.ADMIN), typed, FY_FIRST, FY_LAST)

    assert caught.value.code == code
    assert "1-1-1" in MESSAGES[code]


def test_months_cover_the_period_and_add_up_to_the_figures(db: Database, world: World) -> None:
    with db.read() as session:
        report = build_initiative_report(session, _as(Role.ADMIN), "1-2-1", FY_FIRST, FY_LAST)

    assert [m.month for m in report.months][:2] == [date(2026, 4, 1), date(2026, 5, 1)]
    assert len(report.months) == 12 and report.months[-1].month == date(2027, 3, 1)
    by_month = {m.month: m for m in report.months}
    assert by_month[date(2026, 4, 1)].consultations == 1
    assert by_month[date(2026, 4, 1)].loans_referred == 1
    assert by_month[date(2027, 3, 1)].loans_executed == 1
    assert sum(m.consultations for m in report.months) == report.figures.consultations
    assert sum(m.loans_referred for m in report.months) == report.figures.loans_referred


def test_a_two_day_period_across_the_year_end_has_two_months(db: Database, world: World) -> None:
    with db.read() as session:
        report = build_initiative_report(session, _as(Role.ADMIN), "2-1-1", BEFORE, FY_FIRST)

    assert [(m.month, m.street_supports) for m in report.months] == [
        (date(2026, 3, 1), 1),
        (date(2026, 4, 1), 1),
    ]


def test_the_record_list_is_in_date_order_and_matches_the_figures(
    db: Database, world: World
) -> None:
    with db.read() as session:
        report = build_initiative_report(session, _as(Role.ADMIN), "1-2-1", FY_FIRST, FY_LAST)

    listed = [(r.on, r.kind, r.amount) for r in report.records]
    assert listed == [
        (FY_FIRST, "consultation", None),
        (FY_FIRST, "loan_referral", 3_000_000),
        (date(2026, 10, 5), "consultation", None),
        (date(2026, 12, 1), "loan_referral", 2_000_000),
        (date(2027, 2, 1), "loan_referral", 1_000_000),
        (FY_LAST, "loan_execution", 1_500_000),
    ]
    assert report.more == 0
    assert report.records[2].name == "神保町書店"
    assert report.records[1].name == "神田青果株式会社" and report.records[1].title == "営業資金"
    assert report.records[0].title.endswith("資金繰りの相談")


def test_records_of_streets_events_and_visits_are_listed_with_their_names(
    db: Database, world: World
) -> None:
    with db.read() as session:
        events = build_initiative_report(session, _as(Role.ADMIN), "2-2-1", FY_FIRST, FY_LAST)
        visits = build_initiative_report(session, _as(Role.ADMIN), "1-2-2", FY_FIRST, FY_LAST)

    assert [(r.kind, r.name) for r in events.records] == [
        ("street_event", "神田すずらん通り商店街振興組合"),
        ("subsidy_grant", "神田すずらん通り商店街振興組合"),
        ("street_event", "神田すずらん通り商店街振興組合"),
    ]
    assert events.records[0].title == "春まつり（来場者 30,000人）"
    assert events.records[1].amount == 800_000
    fees = [(r.on, r.amount) for r in visits.records if r.kind == "dispatch_visit"]
    assert fees == [(FY_FIRST, 11_550), (FY_LAST, 20_000)]
    assert "第2回" in visits.records[0].title


def test_a_prospective_founder_is_listed_by_name(db: Database, world: World) -> None:
    with db.read() as session:
        report = build_initiative_report(session, _as(Role.ADMIN), "1-1-1", FY_FIRST, FY_LAST)

    assert [r.name for r in report.records] == ["山田 一郎", "山田 一郎", "鈴木 二郎"]
    assert report.figures.prospects == 2


def test_a_consultant_sees_counts_but_no_loan_amounts(db: Database, world: World) -> None:
    with db.read() as session:
        report = build_initiative_report(session, _as(Role.CONSULTANT), "1-2-1", FY_FIRST, FY_LAST)

    assert not report.amounts_visible
    assert report.figures.loans_referred == 3
    assert report.figures.loans_referred_amount is None
    assert all(r.amount is None for r in report.records)
    assert "3000000" not in json.dumps(initiative_json(report))


def test_the_list_is_capped_and_counts_the_rest(
    db: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_initiatives, "MAX_LINKED", 2)

    with db.read() as session:
        report = build_initiative_report(session, _as(Role.ADMIN), "1-2-1", FY_FIRST, FY_LAST)

    assert [(r.on, r.kind) for r in report.records] == [
        (FY_FIRST, "consultation"),
        (FY_FIRST, "loan_referral"),
    ]
    assert report.more == 4
    assert report.figures.consultations == 2  # the figures are never capped


def test_initiative_json_is_plain_json(db: Database, world: World) -> None:
    with db.read() as session:
        data = initiative_json(
            build_initiative_report(session, _as(Role.ADMIN), "1-2-1", FY_FIRST, FY_LAST)
        )

    again = json.loads(json.dumps(data, ensure_ascii=False))
    assert again["report"] == "initiative"
    assert again["initiative"]["policy"]["code"] == "1-2"
    assert again["figures"]["loans"]["executed"] == {"count": 1, "amount": 1_500_000}
    assert again["months"][0] == {
        "month": "2026-04",
        "consultations": 1,
        "loans_referred": 1,
        "loans_executed": 0,
        "dispatch_visits": 0,
        "subsidies_granted": 0,
        "street_supports": 0,
        "events": 0,
    }
    assert again["records"][1]["amount"] == 3_000_000
    assert again["more"] == 0


def test_the_service_methods_check_the_right_and_pass_the_amount_right(
    db: Database, world: World
) -> None:
    consultant = ReportingService(db, _as(Role.CONSULTANT))
    officer = ReportingService(db, _as(Role.LOAN_OFFICER))

    assert consultant.initiative("1-2-1", FY_FIRST, FY_LAST).figures.loans_referred_amount is None
    assert officer.initiative("1-2-1", FY_FIRST, FY_LAST).figures.loans_referred_amount == 6_000_000
    assert consultant.initiative_overview(FY_FIRST, FY_LAST).totals.loans_referred_amount is None
    assert officer.initiative_overview(FY_FIRST, FY_LAST).totals.loans_referred_amount == 6_000_000
    with pytest.raises(PermissionDenied):
        ReportingService(db, Principal(1, "x", "x", frozenset())).initiative_overview(
            FY_FIRST, FY_LAST
        )

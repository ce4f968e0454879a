"""月次報告・年度報告 figures from hand-built rows at the edges of months and 年度."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from consult_desk.cli import main
from consult_desk.db.engine import Database
from consult_desk.db.models import (
    AuditLog,
    Consultation,
    ConsultationChannel,
    ConsultationTopic,
    ConsultationTopicLink,
    DispatchVisit,
    ExpertDispatch,
    Initiative,
    LoanCase,
    Staff,
    StaffRole,
    StreetAssociation,
    StreetEvent,
    StreetSupport,
    SubsidyApplication,
    SupportKind,
)
from consult_desk.domain.permissions import Principal, Role
from consult_desk.services.reporting import (
    NO_BUSINESS,
    NO_TOPIC,
    ReportingService,
    month_range,
    to_json,
)
from tests.dispatch_setup import DispatchWorld, make_dispatch_world
from tests.loan_setup import LoanWorld, make_loan_world
from tests.subsidy_setup import SubsidyWorld, make_subsidy_world

PASSWORD = "a-password-for-report-tests"


def _channels(db: Database) -> list[tuple[int, str]]:
    with db.read() as session:
        rows = session.execute(
            select(ConsultationChannel.id, ConsultationChannel.name).order_by(
                ConsultationChannel.sort_order, ConsultationChannel.id
            )
        ).all()
    return [(r[0], r[1]) for r in rows]


def _topic(db: Database) -> tuple[int, str]:
    with db.read() as session:
        row = session.execute(
            select(ConsultationTopic.id, ConsultationTopic.name)
            .order_by(ConsultationTopic.sort_order, ConsultationTopic.id)
            .limit(1)
        ).one()
    return row[0], row[1]


def _consult(
    db: Database,
    staff_id: int,
    on: date,
    channel_id: int,
    *,
    business_id: int | None = None,
    topic_id: int | None = None,
    deleted: bool = False,
) -> None:
    with db.write() as session:
        row = Consultation(
            consulted_on=on,
            channel_id=channel_id,
            staff_id=staff_id,
            business_id=business_id,
            prospect_name="" if business_id else "創業 予定",
            deleted_at=datetime(2026, 5, 1, tzinfo=UTC) if deleted else None,
        )
        if topic_id is not None:
            row.topics.append(ConsultationTopicLink(topic_id=topic_id, is_primary=True))
        session.add(row)


def _loan(db: Database, world: LoanWorld, received: date, **values: object) -> None:
    with db.write() as session:
        session.add(
            LoanCase(
                initiative_id=session.scalar(select(Initiative.id).limit(1)),
                business_id=world.business_id,
                program_id=world.program_id,
                status=values.pop("status", "RECEIVED"),
                status_since=received,
                received_on=received,
                **values,
            )
        )


@pytest.fixture
def worlds(db: Database) -> tuple[LoanWorld, DispatchWorld, SubsidyWorld]:
    return make_loan_world(db), make_dispatch_world(db), make_subsidy_world(db)


def test_month_range_handles_december_and_leap_years() -> None:
    assert month_range(2026, 12) == (date(2026, 12, 1), date(2026, 12, 31))
    assert month_range(2028, 2) == (date(2028, 2, 1), date(2028, 2, 29))


def test_consultations_by_channel_topic_and_area_at_month_edges(
    db: Database, admin: Principal
) -> None:
    loan_world = make_loan_world(db)
    (first_channel, first_name), (second_channel, second_name) = _channels(db)[:2]
    topic_id, topic_name = _topic(db)
    _consult(db, admin.staff_id, date(2026, 10, 31), first_channel)  # the month before
    _consult(db, admin.staff_id, date(2026, 11, 1), second_channel, topic_id=topic_id)
    _consult(
        db, admin.staff_id, date(2026, 11, 30), second_channel, business_id=loan_world.business_id
    )
    _consult(db, admin.staff_id, date(2026, 11, 15), first_channel, deleted=True)
    _consult(db, admin.staff_id, date(2026, 12, 1), first_channel)  # the month after

    report = ReportingService(db, admin).monthly(2026, 11)

    assert (report.period_from, report.period_to) == (date(2026, 11, 1), date(2026, 11, 30))
    figures = report.consultations
    assert figures.total == 2
    channels = dict(figures.by_channel)
    assert (channels[first_name], channels[second_name]) == (0, 2)
    assert [name for name, _ in figures.by_channel] == [name for _, name in _channels(db)]
    assert dict(figures.by_topic)[topic_name] == 1
    assert dict(figures.by_topic)[NO_TOPIC] == 1
    assert dict(figures.by_area) == {
        "麹町地域": 0,
        "神田地域": 0,
        "区外": 0,
        "未設定": 1,
        NO_BUSINESS: 1,
    }
    # 年度 to date runs from 1 April: the October consultation counts there.
    assert report.fiscal_year_to_date.consultations.total == 3
    assert report.fiscal_year_to_date.period_from == date(2026, 4, 1)


def test_fiscal_year_boundary_puts_31_march_and_1_april_in_different_years(
    db: Database, admin: Principal
) -> None:
    channel = _channels(db)[0][0]
    _consult(db, admin.staff_id, date(2026, 3, 31), channel)
    _consult(db, admin.staff_id, date(2026, 4, 1), channel)
    _consult(db, admin.staff_id, date(2026, 4, 1), channel)
    _consult(db, admin.staff_id, date(2027, 3, 31), channel)
    _consult(db, admin.staff_id, date(2027, 4, 1), channel)

    service = ReportingService(db, admin)
    fy2025 = service.fiscal_year(2025)
    fy2026 = service.fiscal_year(2026)

    assert fy2025.totals.consultations.total == 1
    assert fy2025.months[-1].consultations.total == 1  # March 2026 is the last month of 2025
    assert fy2026.totals.consultations.total == 3
    assert (fy2026.period_from, fy2026.period_to) == (date(2026, 4, 1), date(2027, 3, 31))
    assert [m.period_from for m in fy2026.months][:2] == [date(2026, 4, 1), date(2026, 5, 1)]
    assert fy2026.months[-1].period_to == date(2027, 3, 31)
    assert [m.consultations.total for m in fy2026.months] == [2] + [0] * 10 + [1]
    # April's 年度 to date starts that very April; March's runs back to the previous April.
    assert service.monthly(2026, 4).fiscal_year_to_date.consultations.total == 2
    assert service.monthly(2027, 3).fiscal_year_to_date.consultations.total == 3


def test_loan_figures_sum_amounts_in_yen_and_compare_with_last_year(
    db: Database, admin: Principal, worlds: tuple[LoanWorld, DispatchWorld, SubsidyWorld]
) -> None:
    w = worlds[0]
    _loan(db, w, date(2026, 10, 31), referred_on=date(2026, 11, 1))
    _loan(
        db,
        w,
        date(2026, 9, 1),
        status="EXECUTED",
        referred_on=date(2026, 10, 1),
        executed_on=date(2026, 11, 30),
        executed_amount=3_000_000,
    )
    _loan(
        db,
        w,
        date(2026, 11, 1),
        status="EXECUTED",
        executed_on=date(2026, 11, 2),
        executed_amount=1_234_567,
    )
    _loan(db, w, date(2026, 8, 1), executed_on=date(2026, 12, 1), executed_amount=9_000_000)
    _loan(db, w, date(2026, 11, 5), status="DECLINED_BANK", closed_on=date(2026, 11, 20))
    _loan(db, w, date(2026, 10, 5), status="REFUSED_BY_WARD", closed_on=date(2026, 11, 30))
    _loan(db, w, date(2026, 10, 5), status="DECLINED_CGC", closed_on=date(2026, 10, 31))
    _loan(db, w, date(2026, 11, 6), status="WITHDRAWN", closed_on=date(2026, 11, 7))
    _loan(db, w, date(2025, 11, 30), executed_on=date(2025, 11, 30), executed_amount=500_000)

    report = ReportingService(db, admin).monthly(2026, 11)

    loans = report.loans
    assert (loans.received, loans.referred) == (3, 1)
    assert (loans.executed.count, loans.executed.amount) == (2, 4_234_567)
    assert (loans.declined, loans.withdrawn) == (2, 1)
    last = report.same_month_last_year
    assert (last.period_from, last.period_to) == (date(2025, 11, 1), date(2025, 11, 30))
    assert (last.loans.received, last.loans.executed.amount) == (1, 500_000)
    assert report.fiscal_year_to_date.loans.executed.amount == 4_234_567


def test_loan_amounts_are_left_out_for_roles_that_may_not_see_them(
    db: Database, admin: Principal, worlds: tuple[LoanWorld, DispatchWorld, SubsidyWorld]
) -> None:
    _loan(db, worlds[0], date(2026, 11, 1), executed_on=date(2026, 11, 2), executed_amount=1000)
    consultant = Principal(admin.staff_id, "c", "相談員", frozenset({Role.CONSULTANT}))

    executed = ReportingService(db, consultant).monthly(2026, 11).loans.executed

    assert (executed.count, executed.amount) == (1, None)


def test_dispatch_visits_and_subsidies_granted(
    db: Database, admin: Principal, worlds: tuple[LoanWorld, DispatchWorld, SubsidyWorld]
) -> None:
    _, dw, sw = worlds
    with db.write() as session:
        initiative_id = session.scalar(select(Initiative.id).limit(1))
        dispatch = ExpertDispatch(
            business_id=dw.business_id,
            program_id=dw.program_id,
            initiative_id=initiative_id or 1,
            theme="販路",
            fiscal_year=2026,
            applied_on=date(2026, 10, 1),
        )
        session.add(dispatch)
        session.flush()
        for number, (on, fee) in enumerate(
            [(date(2026, 10, 31), 11_550), (date(2026, 11, 1), 11_550), (date(2026, 11, 30), None)],
            start=1,
        ):
            session.add(
                DispatchVisit(
                    dispatch_id=dispatch.id,
                    number=number,
                    visited_on=on,
                    expert_id=dw.expert_id,
                    fee=fee,
                )
            )
        for decided, granted in [
            (date(2026, 11, 1), 800_000),
            (date(2026, 11, 30), 250_001),
            (date(2026, 11, 15), None),  # rejected: decided, nothing granted
            (date(2026, 12, 1), 100_000),
        ]:
            session.add(
                SubsidyApplication(
                    program_id=sw.trade_show_id,
                    business_id=sw.business_id,
                    initiative_id=initiative_id or 1,
                    fiscal_year=2026,
                    status="granted" if granted else "rejected",
                    applied_on=date(2026, 10, 1),
                    decided_on=decided,
                    granted_amount=granted,
                )
            )

    report = ReportingService(db, admin).monthly(2026, 11)

    assert (report.dispatch.visits, report.dispatch.fees) == (2, 11_550)
    assert (report.subsidies.granted.count, report.subsidies.granted.amount) == (2, 1_050_001)
    assert report.fiscal_year_to_date.dispatch.visits == 3


def test_to_json_carries_the_required_keys(db: Database, admin: Principal) -> None:
    service = ReportingService(db, admin)
    monthly = json.loads(json.dumps(to_json(service.monthly(2026, 11))))
    yearly = json.loads(json.dumps(to_json(service.fiscal_year(2026))))

    for data in (monthly, yearly):
        _assert_required_keys(data)
    assert monthly["period"] == {"from": "2026-11-01", "to": "2026-11-30"}
    assert monthly["same_month_last_year"]["period"]["from"] == "2025-11-01"
    assert yearly["period"] == {"from": "2026-04-01", "to": "2027-03-31"}
    assert len(yearly["months"]) == 12
    assert set(yearly["initiatives"]) == {"period", "initiatives", "totals"}
    assert yearly["initiatives"]["period"] == yearly["period"]


def _assert_required_keys(data: dict[str, object]) -> None:
    assert set(data["period"]) == {"from", "to"}  # type: ignore[arg-type]
    c, loans = data["consultations"], data["loans"]
    assert isinstance(c, dict) and isinstance(loans, dict)
    assert isinstance(c["total"], int) and isinstance(c["by_channel"], dict)
    for key in ("received", "referred", "declined", "withdrawn"):
        assert isinstance(loans[key], int)
    assert isinstance(loans["executed"]["count"], int)
    assert isinstance(loans["executed"]["amount"], int)
    assert isinstance(data["dispatch"]["visits"], int)  # type: ignore[index]
    assert isinstance(data["subsidies"]["granted"]["amount"], int)  # type: ignore[index]
    # The breakdowns added for the printed reports.
    assert isinstance(c["by_jsic"], dict) and len(c["by_jsic"]) >= 20
    for key in ("by_program", "by_bank", "pipeline"):
        assert isinstance(loans[key], dict)
    dispatch, streets, subsidies = data["dispatch"], data["streets"], data["subsidies"]
    assert isinstance(dispatch, dict) and isinstance(streets, dict)
    assert isinstance(subsidies, dict)
    assert set(dispatch) == {"visits", "fees", "decided", "completed"}
    assert set(streets) == {"supports", "by_kind", "events", "visitors", "university", "students"}
    assert set(subsidies) == {"received", "granted", "paid", "by_program"}


def _leaves(data: object, path: str = "") -> dict[str, int]:
    """Every int of a report's JSON by its dotted path (period and month-end stock left out)."""
    if isinstance(data, dict):
        found: dict[str, int] = {}
        for key, value in data.items():
            if key not in ("period", "pipeline"):
                found.update(_leaves(value, f"{path}.{key}"))
        return found
    return {path: data} if isinstance(data, int) else {}


def test_fiscal_year_totals_are_the_sums_of_its_months_across_the_year_boundary(
    db: Database, admin: Principal, worlds: tuple[LoanWorld, DispatchWorld, SubsidyWorld]
) -> None:
    lw, dw, sw = worlds
    channel = _channels(db)[0][0]
    with db.write() as session:
        initiative = session.scalar(select(Initiative.id).limit(1)) or 1
        kind_id = session.scalar(select(SupportKind.id).limit(1)) or 1
        street = StreetAssociation(name="通り", sort_key="とおり", legal_form="任意商店会")
        dispatch = ExpertDispatch(
            business_id=dw.business_id,
            program_id=dw.program_id,
            initiative_id=initiative,
            theme="販路",
            fiscal_year=2026,
            applied_on=date(2026, 3, 1),
        )
        session.add_all([street, dispatch])
        session.flush()
    days = [
        date(2026, 3, 31),  # the year before
        date(2026, 4, 1),
        date(2026, 4, 30),
        date(2026, 8, 15),
        date(2027, 1, 1),
        date(2027, 3, 31),
        date(2027, 4, 1),  # the year after
    ]
    for number, day in enumerate(days, start=1):
        _consult(db, admin.staff_id, day, channel, business_id=lw.business_id)
        _loan(
            db,
            lw,
            day,
            referred_on=day,
            bank_id=lw.bank_id,
            executed_on=day,
            executed_amount=1_000_000 + number,
        )
        with db.write() as session:
            session.add_all(
                [
                    DispatchVisit(
                        dispatch_id=dispatch.id,
                        number=number,
                        visited_on=day,
                        expert_id=dw.expert_id,
                        fee=10_000 + number,
                    ),
                    StreetSupport(
                        association_id=street.id,
                        kind_id=kind_id,
                        initiative_id=initiative,
                        supported_on=day,
                        title="相談",
                    ),
                    StreetEvent(
                        association_id=street.id,
                        initiative_id=initiative,
                        name="まつり",
                        starts_on=day,
                        ends_on=day,
                        visitors=100 * number,
                    ),
                    SubsidyApplication(
                        program_id=sw.trade_show_id,
                        business_id=sw.business_id,
                        initiative_id=initiative,
                        fiscal_year=2026,
                        status="paid",
                        applied_on=day,
                        decided_on=day,
                        granted_amount=50_000 + number,
                        paid_on=day,
                        paid_amount=40_000 + number,
                    ),
                ]
            )

    report = ReportingService(db, admin).fiscal_year(2026)

    data = to_json(report)
    totals = _leaves(
        {k: v for k, v in data.items() if k not in ("fiscal_year", "months", "initiatives")}
    )
    months = [_leaves(month) for month in data["months"]]
    # Rows such as 主な相談分野なし appear only in the months that have some.
    assert set(totals) == set().union(*months)
    for path, total in totals.items():
        assert total == sum(month.get(path, 0) for month in months), path
    inside = range(2, 7)  # the five days from 1 April 2026 to 31 March 2027
    assert report.totals.consultations.total == 5 + 2  # the dispatch world's two of 3 April
    assert report.totals.loans.executed.amount == sum(1_000_000 + n for n in inside)
    assert report.totals.dispatch.fees == sum(10_000 + n for n in inside)
    assert report.totals.streets.visitors == sum(100 * n for n in inside)
    assert report.totals.subsidies.paid.amount == sum(40_000 + n for n in inside)
    # Ours on 1 and 30 April, 15 August, 1 January and 31 March; the subsidy world's in May,
    # July, October (31st) and December.
    assert [m.streets.events for m in report.months] == [2, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1]
    # The month-end stock of the whole year is the stock at its end.
    assert report.totals.loans.pipeline == report.months[-1].loans.pipeline


def _audit_prints(db: Database) -> int:
    with db.read() as session:
        return session.execute(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "print")
        ).scalar_one()


def test_cli_writes_monthly_and_fiscal_year_json_once_each(
    db: Database,
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fast_hasher: PasswordHasher,
) -> None:
    monkeypatch.delenv("CONSULT_DESK_DB", raising=False)
    monkeypatch.setenv("CONSULT_DESK_PASSWORD", PASSWORD)
    _consult(db, _manager_id(db, fast_hasher), date(2026, 11, 30), _channels(db)[0][0])
    db.dispose()
    monthly, yearly = tmp_path / "m.json", tmp_path / "y.json"
    base = ["--db", str(db_path), "--user", "kacho", "report"]

    assert main([*base, "monthly", "2026-11", "-o", str(monthly)]) == 0
    assert main([*base, "fiscal-year", "2026", "-o", str(yearly)]) == 0

    m = json.loads(monthly.read_text(encoding="utf-8"))
    y = json.loads(yearly.read_text(encoding="utf-8"))
    _assert_required_keys(m)
    _assert_required_keys(y)
    assert m["consultations"]["total"] == y["consultations"]["total"] == 1
    assert y["months"][7]["period"] == {"from": "2026-11-01", "to": "2026-11-30"}
    assert _audit_prints(db) == 2
    assert "月次報告を書き出しました" in capsys.readouterr().out

    # No overwrite without --force; with it, the file is replaced and audited again.
    assert main([*base, "monthly", "2026-11", "-o", str(monthly)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main([*base, "monthly", "2026-10", "-o", str(monthly), "--force"]) == 0
    assert json.loads(monthly.read_text(encoding="utf-8"))["period"]["from"] == "2026-10-01"
    assert _audit_prints(db) == 3


def test_cli_refuses_an_impossible_month(
    db_path: Path, db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--db", str(db_path), "report", "monthly", "2026-13", "-o", str(tmp_path / "x")])

    assert exited.value.code == 2
    assert "YYYY-MM" in capsys.readouterr().err


def _manager_id(db: Database, hasher: PasswordHasher) -> int:
    with db.write() as session:
        staff = Staff(
            login="kacho", name="課長", name_kana="カチョウ", password_hash=hasher.hash(PASSWORD)
        )
        staff.roles.append(StaffRole(role="manager"))
        session.add(staff)
        session.flush()
        return staff.id

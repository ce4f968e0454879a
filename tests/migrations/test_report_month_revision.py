"""Revision 0009 on a database holding consultations: the report_month table and its triggers
arrive empty, the first report stores the closed months, later writes make them stale; going
back removes table and triggers and the consultations can still be written."""

from datetime import date

from sqlalchemy import inspect, select

from consult_desk.db.engine import Database
from consult_desk.db.migrate import downgrade, upgrade_to_head
from consult_desk.db.models import ReportMonth
from consult_desk.domain.consultations import ConsultationInput
from consult_desk.domain.permissions import Principal
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.reference import ReferenceService
from consult_desk.services.reporting import ReportingService


def _add(db: Database, admin: Principal, on: date) -> int:
    channel = int(ReferenceService(db).channels()[0].id)
    return ConsultationService(db, admin).add(
        ConsultationInput(
            consulted_on=on,
            channel_id=channel,
            staff_id=admin.staff_id or 0,
            prospect_name="創業予定者",
            summary="創業の相談",
        ),
        today=date(2026, 11, 30),
    )


def _months(db: Database) -> dict[str, tuple[int, int | None]]:
    with db.read() as session:
        rows = session.execute(
            select(ReportMonth.month, ReportMonth.generation, ReportMonth.counted_generation)
        )
        return {month: (generation, counted) for month, generation, counted in rows}


def test_0009_keeps_consultations_and_counts_them_as_before(db: Database, admin: Principal) -> None:
    downgrade(db.engine, "0008")
    assert "report_month" not in inspect(db.engine).get_table_names()
    for on in (date(2026, 4, 1), date(2026, 9, 30), date(2026, 10, 1), date(2026, 10, 31)):
        _add(db, admin, on)

    upgrade_to_head(db.engine)

    assert _months(db) == {}  # nothing to migrate: the first report counts
    report = ReportingService(db, admin).monthly(2026, 10)
    assert (report.consultations.total, report.fiscal_year_to_date.consultations.total) == (2, 4)
    assert _months(db)["2026-09"] == (0, 0)
    _add(db, admin, date(2026, 9, 1))
    assert _months(db)["2026-09"] == (1, 0)  # stale now
    again = ReportingService(db, admin).monthly(2026, 10)
    assert again.fiscal_year_to_date.consultations.total == 5
    assert _months(db)["2026-09"] == (1, 1)

    downgrade(db.engine, "0008")

    assert "report_month" not in inspect(db.engine).get_table_names()
    _add(db, admin, date(2026, 9, 2))  # no trigger is left behind to fail the write
    upgrade_to_head(db.engine)
    assert (
        ReportingService(db, admin).monthly(2026, 10).fiscal_year_to_date.consultations.total == 6
    )

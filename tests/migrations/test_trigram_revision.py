"""Revision 0008 on a database holding rows: pg_trgm indexes on PostgreSQL, nothing on SQLite;
the same searches find the same rows before, after and after going back."""

from datetime import date

from sqlalchemy import inspect, text

from consult_desk.db.engine import Database
from consult_desk.db.migrate import downgrade, upgrade_to_head
from consult_desk.domain.businesses import BusinessInput, BusinessQuery
from consult_desk.domain.consultations import ConsultationInput, ConsultationQuery
from consult_desk.domain.permissions import Principal
from consult_desk.services.businesses import BusinessService
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.reference import ReferenceService

TRIGRAM_INDEXES = {
    "ix_business_search_text_trgm",
    "ix_consultation_summary_trgm",
    "ix_consultation_advice_trgm",
}


def _trigram_indexes(db: Database) -> set[str]:
    names = set()
    for table in ("business", "consultation"):
        names |= {ix["name"] or "" for ix in inspect(db.engine).get_indexes(table)}
    return names & TRIGRAM_INDEXES


def _found(db: Database, admin: Principal) -> tuple[set[int], set[int]]:
    businesses = BusinessService(db, admin).page(BusinessQuery(text="神田青果"))
    consultations = ConsultationService(db, admin).page(ConsultationQuery(text="資金繰り 融資"))
    return {r.id for r in businesses}, {r.id for r in consultations}


def test_0008_indexes_the_searched_text_on_postgresql_only(db: Database, admin: Principal) -> None:
    downgrade(db.engine, "0007")
    business_id = BusinessService(db, admin).add(BusinessInput(name="神田青果", name_kana="カンダ"))
    channel = int(ReferenceService(db).channels()[0].id)
    consultation_id = ConsultationService(db, admin).add(
        ConsultationInput(
            consulted_on=date(2026, 11, 2),
            channel_id=channel,
            staff_id=admin.staff_id or 0,
            business_id=business_id,
            summary="資金繰りの相談",
            advice="融資制度を案内",
        ),
        today=date(2026, 11, 30),
    )
    expected = ({business_id}, {consultation_id})
    assert _found(db, admin) == expected
    assert _trigram_indexes(db) == set()

    upgrade_to_head(db.engine)

    assert _found(db, admin) == expected
    if db.dialect == "postgresql":
        assert _trigram_indexes(db) == TRIGRAM_INDEXES
        with db.engine.connect() as connection:
            assert connection.execute(
                text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")
            ).scalar_one()
    else:
        assert _trigram_indexes(db) == set()

    downgrade(db.engine, "0007")

    assert _trigram_indexes(db) == set()
    assert _found(db, admin) == expected
    upgrade_to_head(db.engine)  # and up again: the extension is there already
    assert _found(db, admin) == expected

"""Closed months' consultation counts kept between reports (services/report_cache.py): read
back while valid, and made stale by every write that could change them, whatever wrote it.

Each write test warms the store first, then writes, then compares the report with one counted
from scratch, and checks that the write did change the figures (so a missed write fails)."""

import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text, update

from consult_desk.db.engine import Database
from consult_desk.db.models import ConsultationTopicLink, ReportMonth
from consult_desk.domain.businesses import BusinessInput
from consult_desk.domain.consultations import ConsultationInput
from consult_desk.domain.fiscal import japan_today
from consult_desk.domain.permissions import Principal
from consult_desk.services.businesses import BusinessService
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.history import HistoryService
from consult_desk.services.imports import ImportOptions, ImportService
from consult_desk.services.reference import ReferenceService
from consult_desk.services.report_cache import ConsultationCounts, MonthCache, month_key
from consult_desk.services.reporting import ReportingService, month_range, to_json

YEAR, MONTH = 2026, 10  # a closed month: the 月次報告 of 2026-10 counts April–October
SEPTEMBER = month_range(2026, 9)
DATA = Path(__file__).resolve().parent.parent / "data" / "import"
TRIGGERS = {
    "report_month_consultation_ai",
    "report_month_consultation_ad",
    "report_month_consultation_au",
    "report_month_topic_link_ai",
    "report_month_topic_link_ad",
    "report_month_topic_link_au",
    "report_month_business_au",
}


@dataclass
class World:
    db: Database
    admin: Principal
    channels: list[int]
    topics: list[int]
    business: int
    september: int  # a consultation of 2026-09-30 with the business, first channel and topic

    def consultations(self) -> ConsultationService:
        return ConsultationService(self.db, self.admin)

    def edit(self, consultation_id: int, **changes: Any) -> None:
        record = self.consultations().get(consultation_id)
        self.consultations().update(
            consultation_id, record.version, replace(record.input, **changes)
        )


@pytest.fixture
def world(db: Database, admin: Principal, staff_id: int) -> World:
    reference = ReferenceService(db)
    channels = [int(c.id) for c in reference.channels()]
    topics = [int(t.id) for t in reference.topics()]
    business = BusinessService(db, admin).add(
        BusinessInput(name="神田青果", kind="sole_proprietor", area="神田地域", jsic_major="I")
    )
    service = ConsultationService(db, admin)

    def add(on: date, channel: int, *, business_id: int | None = business) -> int:
        return service.add(
            ConsultationInput(
                consulted_on=on,
                channel_id=channel,
                staff_id=staff_id,
                business_id=business_id,
                prospect_name="" if business_id else "創業予定者",
                topic_ids=(topics[0],),
                summary="資金繰りの相談",
            ),
            today=date(2026, 11, 30),
        )

    september = add(date(2026, 9, 30), channels[0])
    add(date(2026, 10, 1), channels[1])
    add(date(2026, 4, 1), channels[0], business_id=None)
    add(date(2025, 10, 31), channels[1])  # the same month last year
    return World(db, admin, channels, topics, business, september)


def _reports(db: Database, admin: Principal) -> tuple[dict[str, Any], dict[str, Any]]:
    service = ReportingService(db, admin)
    return to_json(service.monthly(YEAR, MONTH)), to_json(service.fiscal_year(2026))


def _counted_afresh(db: Database, admin: Principal) -> tuple[dict[str, Any], dict[str, Any]]:
    with db.write() as session:
        session.execute(delete(ReportMonth))
    return _reports(db, admin)


def _stored(db: Database) -> dict[str, tuple[int, int | None]]:
    with db.read() as session:
        rows = session.execute(
            select(ReportMonth.month, ReportMonth.generation, ReportMonth.counted_generation)
        )
        return {month: (generation, counted) for month, generation, counted in rows}


def test_a_closed_month_is_counted_once_then_read_back(world: World) -> None:
    db, admin = world.db, world.admin
    first = ReportingService(db, admin).monthly(YEAR, MONTH)

    stored = _stored(db)
    for month in ("2026-04", "2026-09", "2026-10", "2025-10"):
        generation, counted = stored[month]
        assert counted == generation, month
    # Stored counts are what the next report reads: a planted figure shows through.
    planted = ConsultationCounts(channels={world.channels[2]: 500})
    with db.write() as session:
        session.execute(
            update(ReportMonth)
            .where(ReportMonth.month == "2026-05")
            .values(consultation_counts=planted.dumps())
        )
    second = ReportingService(db, admin).monthly(YEAR, MONTH)
    assert second.fiscal_year_to_date.consultations.total == (
        first.fiscal_year_to_date.consultations.total + 500
    )
    assert second.consultations == first.consultations  # October itself was read back


def test_the_current_month_and_later_ones_are_never_stored(world: World) -> None:
    today = japan_today()
    ReportingService(world.db, world.admin).monthly(today.year, today.month)
    stored = _stored(world.db)
    current = f"{today.year:04d}-{today.month:02d}"
    assert current not in stored or stored[current][1] is None
    assert month_key(*month_range(today.year, today.month)) == current  # a month, not stored


def _add_in_september(w: World) -> None:
    w.consultations().add(
        ConsultationInput(
            consulted_on=date(2026, 9, 1),
            channel_id=w.channels[2],
            staff_id=w.admin.staff_id or 0,
            business_id=w.business,
            topic_ids=(w.topics[1],),
        ),
        today=date(2026, 11, 30),
    )


def _move_to_october(w: World) -> None:
    w.edit(w.september, consulted_on=date(2026, 10, 2))


def _move_to_last_year(w: World) -> None:
    w.edit(w.september, consulted_on=date(2025, 10, 2))


def _change_channel(w: World) -> None:
    w.edit(w.september, channel_id=w.channels[3])


def _change_primary_topic(w: World) -> None:
    w.edit(w.september, topic_ids=(w.topics[0], w.topics[2]), primary_topic_id=w.topics[2])


def _drop_the_business(w: World) -> None:
    w.edit(w.september, business_id=None, prospect_name="創業予定者")


def _trash(w: World) -> None:
    w.consultations().delete(w.september, w.consultations().get(w.september).version)


def _restore_from_the_trash(w: World) -> None:
    HistoryService(w.db, w.admin).restore_deleted("consultation", w.september)


def _restore_an_earlier_version(w: World) -> None:
    history = HistoryService(w.db, w.admin)
    entries = history.history("consultation", w.september)
    created = min(entries, key=lambda entry: entry.id)
    version = w.consultations().get(w.september).version
    history.restore_version("consultation", w.september, created.id, version)


def _edit_business(w: World, **changes: Any) -> None:
    business = BusinessService(w.db, w.admin)
    record = business.get(w.business)
    business.update(w.business, record.version, replace(record.input, **changes))


def _business_area(w: World) -> None:
    _edit_business(w, area="麹町地域")


def _business_industry(w: World) -> None:
    _edit_business(w, jsic_major="M")


def _statement_by_hand(w: World) -> None:
    """A write no service made (a repair in a SQL shell): the triggers still see it."""
    with w.db.write() as session:
        session.execute(
            delete(ConsultationTopicLink).where(
                ConsultationTopicLink.consultation_id == w.september
            )
        )


def _nothing(w: World) -> None:
    pass


# (made before the report that stores the counts, the write under test)
WRITES: dict[str, tuple[Callable[[World], None], Callable[[World], None]]] = {
    "add": (_nothing, _add_in_september),
    "move to another month": (_nothing, _move_to_october),
    "move to last year": (_nothing, _move_to_last_year),
    "channel": (_nothing, _change_channel),
    "primary topic": (_nothing, _change_primary_topic),
    "business unlinked": (_nothing, _drop_the_business),
    "trash": (_nothing, _trash),
    "restore from the trash": (_trash, _restore_from_the_trash),
    "restore an earlier version": (_change_channel, _restore_an_earlier_version),
    "business area": (_nothing, _business_area),
    "business 業種": (_nothing, _business_industry),
    "statement by hand": (_nothing, _statement_by_hand),
}


@pytest.mark.parametrize(("setup", "write"), WRITES.values(), ids=WRITES.keys())
def test_every_write_that_changes_a_closed_month_makes_its_counts_stale(
    world: World, setup: Callable[[World], None], write: Callable[[World], None]
) -> None:
    setup(world)
    before = _reports(world.db, world.admin)  # counts and stores April–October
    assert _reports(world.db, world.admin) == before  # read back, the same

    write(world)

    after = _reports(world.db, world.admin)
    assert after != before  # the write mattered to the figures …
    assert after == _counted_afresh(world.db, world.admin)  # … and the report shows it


def test_an_import_and_its_undo_make_the_counts_stale(
    db: Database, admin: Principal, staff_id: int, tmp_path: Path
) -> None:
    folder = tmp_path / "files"
    shutil.copytree(DATA, folder)
    service = ImportService(db, admin)
    options = ImportOptions(today=date(2026, 11, 30))
    service.run("businesses", folder / "businesses_cp932.csv", options)
    empty = _reports(db, admin)

    batch = service.run("consultations", folder / "consultations_utf8_bom.csv", options)

    imported = _reports(db, admin)
    assert imported[0]["consultations"]["total"] == 3  # the file's October rows
    assert imported == _counted_afresh(db, admin)
    service.undo(batch.batch_id or 0)
    assert _reports(db, admin) == empty == _counted_afresh(db, admin)


def test_counts_counted_before_a_write_are_never_used_after_it(world: World) -> None:
    """A report reads the generation, then counts; a write commits meanwhile; the report
    stores what it counted. Those counts missed the write, so they must not be used."""
    db = world.db
    cache = MonthCache(japan_today())
    with db.read() as session:
        cache.load(session, [SEPTEMBER])
    cache.put(SEPTEMBER, ConsultationCounts(channels={world.channels[0]: 1}))

    _add_in_september(world)  # commits between the count and the store
    cache.store(db)

    generation, counted = _stored(db)["2026-09"]
    assert counted != generation
    again = MonthCache(japan_today())
    with db.read() as session:
        again.load(session, [SEPTEMBER])
    assert again.get(SEPTEMBER) is None


@pytest.mark.parametrize("payload", ["", "{}", "not json", '{"format": 99}', '{"format": 1}'])
def test_unreadable_stored_counts_are_counted_again(world: World, payload: str) -> None:
    expected = _reports(world.db, world.admin)
    with world.db.write() as session:
        session.execute(
            update(ReportMonth)
            .where(ReportMonth.month == "2026-09")
            .values(consultation_counts=payload)
        )
    assert _reports(world.db, world.admin) == expected


def test_counts_survive_their_text_form() -> None:
    counts = ConsultationCounts({3: 2, 1: 5}, {7: 1}, {"神田地域": 4, "区外": 1}, {"I": 3})
    assert ConsultationCounts.loads(counts.dumps()) == counts
    assert ConsultationCounts.loads(None) is None


@pytest.mark.parametrize(
    ("first", "last", "key"),
    [
        (date(2026, 9, 1), date(2026, 9, 30), "2026-09"),
        (date(2024, 2, 1), date(2024, 2, 29), "2024-02"),
        (date(2026, 9, 1), date(2026, 9, 29), None),
        (date(2026, 9, 2), date(2026, 9, 30), None),
        (date(2026, 9, 1), date(2026, 10, 31), None),
        (date(2026, 4, 1), date(2027, 3, 31), None),
    ],
)
def test_only_whole_calendar_months_are_kept(first: date, last: date, key: str | None) -> None:
    assert month_key(first, last) == key


def test_the_triggers_exist_at_head(db: Database) -> None:
    with db.engine.connect() as connection:
        if db.dialect == "postgresql":
            found = connection.execute(
                text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            ).scalars()
        else:
            found = connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).scalars()
        assert set(found) >= TRIGGERS


def test_many_rows_in_one_statement_bump_each_month(world: World) -> None:
    """PostgreSQL's statement triggers see every row of a statement, not only the first."""
    _reports(world.db, world.admin)
    before = _stored(world.db)
    with world.db.write() as session:
        session.execute(text("UPDATE consultation SET channel_id = :c"), {"c": world.channels[4]})
        months = session.execute(select(func.count()).select_from(ReportMonth)).scalar_one()
    after = _stored(world.db)
    assert months >= 4
    for month in ("2025-10", "2026-04", "2026-09", "2026-10"):
        assert after[month][0] > before[month][0], month
    assert _reports(world.db, world.admin) == _counted_afresh(world.db, world.admin)

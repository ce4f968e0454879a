"""ConsultationService on a real SQLite file: rules, default initiatives, follow-ups, paging."""

from datetime import date, time

import pytest

from consult_desk.db.engine import Database
from consult_desk.domain.businesses import BusinessInput
from consult_desk.domain.consultations import ConsultationInput, ConsultationQuery
from consult_desk.domain.errors import Conflict, ValidationError
from consult_desk.domain.permissions import Principal
from consult_desk.services.businesses import BusinessService
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.reference import ReferenceService

TODAY = date(2026, 11, 28)


@pytest.fixture
def refs(db: Database, admin: Principal) -> ReferenceService:
    return ReferenceService(db)


def _channel(refs: ReferenceService, name: str = "窓口") -> int:
    return int(next(c.id for c in refs.channels() if c.name == name))


def _topic(refs: ReferenceService, name: str) -> int:
    return int(next(t.id for t in refs.topics() if t.name.startswith(name)))


def _initiative(refs: ReferenceService, code: str) -> int:
    return next(i.id for i in refs.initiatives() if i.code == code)


def test_initiative_defaults_from_primary_topic(
    db: Database, admin: Principal, refs: ReferenceService, staff_id: int
) -> None:
    service = ConsultationService(db, admin)
    business = BusinessService(db, admin).add(BusinessInput(name="神田青果"))
    finance, sales = _topic(refs, "資金繰り"), _topic(refs, "販路拡大")

    first = service.add(
        ConsultationInput(
            consulted_on=TODAY,
            channel_id=_channel(refs),
            staff_id=staff_id,
            business_id=business,
            topic_ids=(finance, sales),
        ),
        today=TODAY,
    )
    second = service.add(
        ConsultationInput(
            consulted_on=TODAY,
            channel_id=_channel(refs),
            staff_id=staff_id,
            prospect_name="山田 太郎",
            topic_ids=(_topic(refs, "税務"),),
        ),
        today=TODAY,
    )

    assert service.get(first).initiative_codes == ("1-2-1",)
    assert service.get(first).input.primary_topic_id == finance
    assert service.get(second).initiative_codes == ("1-2-2",)


def test_explicit_initiatives_win(
    db: Database, admin: Principal, refs: ReferenceService, staff_id: int
) -> None:
    service = ConsultationService(db, admin)
    chosen = (_initiative(refs, "1-1-1"), _initiative(refs, "1-3-2"))

    cid = service.add(
        ConsultationInput(
            consulted_on=TODAY,
            channel_id=_channel(refs),
            staff_id=staff_id,
            prospect_name="A",
            topic_ids=(_topic(refs, "資金繰り"),),
            initiative_ids=chosen,
        ),
        today=TODAY,
    )

    assert service.get(cid).initiative_codes == ("1-1-1", "1-3-2")


def test_bad_consultation_lists_every_problem_and_saves_nothing(
    db: Database, admin: Principal, refs: ReferenceService, staff_id: int
) -> None:
    service = ConsultationService(db, admin)

    with pytest.raises(ValidationError) as raised:
        service.add(
            ConsultationInput(
                consulted_on=date(2026, 12, 1),
                channel_id=999,
                staff_id=staff_id,
                minutes=-5,
                due_on=date(2026, 11, 30),
            ),
            today=TODAY,
        )

    assert raised.value.codes() == {
        "consulted_on": "date.future",
        "business_id": "consultation.business_or_prospect",
        "minutes": "minutes.range",
        "due_on": "consultation.due_before_consultation",
        "next_action": "consultation.due_without_action",
        "channel_id": "invalid_choice",
    }
    assert service.count(ConsultationQuery(archived=None)) == 0


def test_update_keeps_links_and_detects_conflicts(
    db: Database, admin: Principal, refs: ReferenceService, staff_id: int
) -> None:
    service = ConsultationService(db, admin)
    finance, sales = _topic(refs, "資金繰り"), _topic(refs, "販路拡大")
    value = ConsultationInput(
        consulted_on=TODAY,
        channel_id=_channel(refs),
        staff_id=staff_id,
        prospect_name="A",
        topic_ids=(finance, sales),
        start_time=time(10, 0),
        minutes=45,
    )
    cid = service.add(value, today=TODAY)

    version = service.update(
        cid, 1, ConsultationInput(**{**_fields(value), "primary_topic_id": sales}), today=TODAY
    )
    with pytest.raises(Conflict):
        service.update(cid, 1, value, today=TODAY)

    got = service.get(cid)
    assert version == 2
    assert got.input.primary_topic_id == sales
    assert set(got.input.topic_ids) == {finance, sales}


def test_follow_ups_are_listed_until_done(
    db: Database, admin: Principal, refs: ReferenceService, staff_id: int
) -> None:
    service = ConsultationService(db, admin)
    cid = service.add(
        ConsultationInput(
            consulted_on=TODAY,
            channel_id=_channel(refs),
            staff_id=staff_id,
            prospect_name="A",
            next_action="見積書を確認",
            due_on=date(2026, 12, 5),
        ),
        today=TODAY,
    )
    open_query = ConsultationQuery(open_follow_ups=True)
    assert [r.id for r in service.page(open_query)] == [cid]

    service.mark_done(cid, 1, "確認済み", on=TODAY)

    assert service.page(open_query) == []
    assert service.get(cid).done_note == "確認済み"


def test_pages_newest_first_with_filters(
    db: Database, admin: Principal, refs: ReferenceService, staff_id: int
) -> None:
    service = ConsultationService(db, admin)
    phone = _channel(refs, "電話")
    for day in range(1, 11):
        service.add(
            ConsultationInput(
                consulted_on=date(2026, 11, day),
                channel_id=phone if day % 2 else _channel(refs),
                staff_id=staff_id,
                prospect_name=f"相談者{day}",
                summary=f"資金繰りの相談 {day}",
            ),
            today=TODAY,
        )

    pages, after = [], None
    while page := service.page(ConsultationQuery(), after=after, limit=3):
        pages.append(page)
        after = page[-1]
    days = [r.consulted_on.day for p in pages for r in p]

    assert days == list(range(10, 0, -1))
    assert service.count(ConsultationQuery(channel_id=phone)) == 5
    query = ConsultationQuery(date_from=date(2026, 11, 3), date_to=date(2026, 11, 5))
    assert service.count(query) == 3
    assert service.count(ConsultationQuery(text="相談 7")) == 1


def _fields(value: ConsultationInput) -> dict[str, object]:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


def test_notes_are_stored_nfkc_normalised_with_their_line_breaks(
    db: Database, refs: ReferenceService, staff_id: int, admin: Principal
) -> None:
    service = ConsultationService(db, admin)
    cid = service.add(
        ConsultationInput(
            consulted_on=TODAY,
            channel_id=_channel(refs),
            staff_id=staff_id,
            prospect_name="A",
            summary="  ＡＢＣ商事の　ｶﾀｶﾅ\n２行目  ",
        ),
        today=TODAY,
    )

    assert service.get(cid).input.summary == "ABC商事の カタカナ\n2行目"


def test_counts_stop_at_the_cap(
    db: Database, refs: ReferenceService, staff_id: int, admin: Principal
) -> None:
    service = ConsultationService(db, admin)
    for day in range(1, 6):
        service.add(
            ConsultationInput(
                consulted_on=date(2026, 11, day),
                channel_id=_channel(refs),
                staff_id=staff_id,
                prospect_name="A",
            ),
            today=TODAY,
        )

    assert service.count(ConsultationQuery()) == 5
    assert service.count(ConsultationQuery(), cap=3) == 4  # "3+"
    assert service.count(ConsultationQuery(), cap=10) == 5

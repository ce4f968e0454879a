"""BusinessService on a real SQLite file: validation, duplicates, versions, paging, search."""

from datetime import date

import pytest
from sqlalchemy import func, select

from consult_desk.db.engine import Database
from consult_desk.db.models import AuditLog
from consult_desk.db.models import Business as BusinessModel
from consult_desk.domain.businesses import BusinessInput, BusinessQuery, BusinessSort
from consult_desk.domain.errors import Conflict, NotFound, ValidationError
from consult_desk.domain.permissions import Principal
from consult_desk.domain.sme import SmeStatus
from consult_desk.services.businesses import BusinessService
from consult_desk.services.reference import ReferenceService


def _count(db: Database) -> int:
    with db.read() as session:
        return session.execute(select(func.count()).select_from(BusinessModel)).scalar_one()


def _town(db: Database, name: str) -> int:
    return next(t.id for t in ReferenceService(db).towns() if t.name == name)


def test_add_and_get_round_trip_normalises_input(db: Database, admin: Principal) -> None:
    service = BusinessService(db, admin)
    kanda = _town(db, "神田錦町")

    business_id = service.add(
        BusinessInput(
            name="  株式会社　神田青果 ",
            name_kana="カンダセイカ",
            corporate_number="１１８０-３０１０-１８７７１",
            jsic_major="I",
            postal_code="１０１－００５４",
            town_id=kanda,
            phone="03-1234-5678",
            capital=10_000_000,
            employees=12,
        )
    )
    got = service.get(business_id)

    assert got.input.name == "株式会社 神田青果"
    assert got.input.corporate_number == "1180301018771"
    assert got.input.postal_code == "1010054"
    assert got.area == "神田地域"
    assert got.town_name == "神田錦町"
    assert got.sme_category == "小売業"
    assert got.sme_status == SmeStatus.SME
    assert got.version == 1


def test_invalid_business_is_not_saved(db: Database, admin: Principal) -> None:
    service = BusinessService(db, admin)

    with pytest.raises(ValidationError) as raised:
        service.add(BusinessInput(name=" ", corporate_number="1180301018772", capital=-1))

    assert raised.value.codes() == {
        "name": "required",
        "corporate_number": "corporate_number.check_digit",
        "capital": "negative",
    }
    assert _count(db) == 0


def test_duplicate_corporate_number_is_a_validation_error(db: Database, admin: Principal) -> None:
    service = BusinessService(db, admin)
    service.add(BusinessInput(name="国税庁", corporate_number="7000012050002"))

    with pytest.raises(ValidationError) as raised:
        service.add(BusinessInput(name="別名", corporate_number="7000-0120-50002"))

    assert raised.value.codes() == {"corporate_number": "duplicate"}
    assert _count(db) == 1


def test_postal_code_of_another_town_is_rejected_but_a_building_code_is_not(
    db: Database, admin: Principal
) -> None:
    service = BusinessService(db, admin)
    marunouchi = _town(db, "丸の内")

    with pytest.raises(ValidationError) as raised:
        service.add(BusinessInput(name="A", town_id=marunouchi, postal_code="1010054"))
    building = service.add(BusinessInput(name="B", town_id=marunouchi, postal_code="1006990"))

    assert raised.value.codes() == {"postal_code": "postal_code.town_mismatch"}
    assert service.get(building).input.postal_code == "1006990"


def test_future_founding_date_is_refused(db: Database, admin: Principal) -> None:
    with pytest.raises(ValidationError) as raised:
        BusinessService(db, admin).add(
            BusinessInput(name="A", founded_on=date(2030, 1, 1)), today=date(2026, 11, 28)
        )
    assert raised.value.codes() == {"founded_on": "date.future"}


def test_update_with_a_stale_version_is_a_conflict_and_changes_nothing(
    db: Database, admin: Principal
) -> None:
    service = BusinessService(db, admin)
    business_id = service.add(BusinessInput(name="千代田商店"))
    mine = service.get(business_id)
    theirs = service.get(business_id)
    service.update(business_id, theirs.version, BusinessInput(name="千代田商店（改）"))

    with pytest.raises(Conflict):
        service.update(business_id, mine.version, BusinessInput(name="私の変更"))

    assert service.get(business_id).input.name == "千代田商店(改)"  # stored as NFKC
    assert service.get(business_id).version == 2


def test_update_may_keep_its_own_corporate_number(db: Database, admin: Principal) -> None:
    service = BusinessService(db, admin)
    business_id = service.add(BusinessInput(name="A", corporate_number="7000012050002"))

    version = service.update(
        business_id, 1, BusinessInput(name="A2", corporate_number="7000012050002")
    )

    assert version == 2


def test_archive_hides_from_default_list(db: Database, admin: Principal) -> None:
    service = BusinessService(db, admin)
    kept = service.add(BusinessInput(name="残る"))
    gone = service.add(BusinessInput(name="消える"))

    service.archive(gone, 1)

    assert [r.id for r in service.page(BusinessQuery())] == [kept]
    assert [r.id for r in service.page(BusinessQuery(archived=True))] == [gone]
    assert service.count(BusinessQuery(archived=None)) == 2


def test_missing_business_is_not_found(db: Database, admin: Principal) -> None:
    with pytest.raises(NotFound):
        BusinessService(db, admin).get(999)


def test_every_write_is_audited(db: Database, admin: Principal) -> None:
    service = BusinessService(db, admin)
    business_id = service.add(BusinessInput(name="A"))
    service.update(business_id, 1, BusinessInput(name="B"))
    service.archive(business_id, 2)

    with db.read() as session:
        actions = session.execute(
            select(AuditLog.action, AuditLog.changes).order_by(AuditLog.id)
        ).all()

    assert [a for a, _ in actions] == ["create", "update", "archive"]
    assert '"name": ["A", "B"]' in actions[1][1]


@pytest.mark.parametrize("sort", list(BusinessSort))
@pytest.mark.parametrize("descending", [False, True])
def test_keyset_pages_cover_every_row_once_in_order(
    db: Database, admin: Principal, sort: BusinessSort, descending: bool
) -> None:
    service = BusinessService(db, admin)
    towns = ReferenceService(db).towns()
    for i in range(23):
        service.add(
            BusinessInput(
                name=f"事業者{i:02d}",
                name_kana=["ア", "カ", "サ"][i % 3] + f"{i % 5}",  # many ties on the reading
                kind=["corporation", "sole_proprietor"][i % 2],
                town_id=towns[i % len(towns)].id,
            )
        )
    query = BusinessQuery(sort=sort, descending=descending)

    pages, after = [], None
    while page := service.page(query, after=after, limit=4):
        pages.append(page)
        after = page[-1]
    seen = [row for page in pages for row in page]
    one_go = service.page(query, limit=100)

    assert [r.id for r in seen] == [r.id for r in one_go]
    assert len({r.id for r in seen}) == 23
    cursors = [r.cursor for r in seen]
    assert cursors == sorted(cursors, reverse=descending)


@pytest.mark.parametrize("typed", ["ちよだ", "チヨダ", "ﾁﾖﾀﾞ", "ＣＨＩＹＯＤＡ", "chiyoda"])
def test_search_is_width_and_kana_insensitive(db: Database, admin: Principal, typed: str) -> None:
    service = BusinessService(db, admin)
    service.add(BusinessInput(name="チヨダ物産", name_kana="チヨダブッサン"))
    service.add(BusinessInput(name="Chiyoda Trading", name_kana="チヨダトレーディング"))
    service.add(BusinessInput(name="神田書店", name_kana="カンダショテン"))

    names = {r.name for r in service.page(BusinessQuery(text=typed))}

    if typed.isascii() or typed.startswith("Ｃ"):
        assert names == {"Chiyoda Trading"}
    else:
        assert names == {"チヨダ物産", "Chiyoda Trading"}


def test_search_matches_corporate_number_and_phone_digits(db: Database, admin: Principal) -> None:
    service = BusinessService(db, admin)
    service.add(BusinessInput(name="A", corporate_number="7000012050002", phone="03-3264-2111"))
    service.add(BusinessInput(name="B", phone="03-5211-4111"))

    assert [r.name for r in service.page(BusinessQuery(text="７０００－０１２"))] == ["A"]
    assert [r.name for r in service.page(BusinessQuery(text="3264-2111"))] == ["A"]
    assert service.count(BusinessQuery(text="%")) == 0  # LIKE wildcards are literal


def test_filters_narrow_the_list(db: Database, admin: Principal) -> None:
    service = BusinessService(db, admin)
    kojimachi = _town(db, "麹町")
    service.add(BusinessInput(name="A", town_id=kojimachi, jsic_major="E", capital=1_000_000))
    service.add(BusinessInput(name="B", area="区外", kind="sole_proprietor"))

    assert service.count(BusinessQuery(area="麹町地域")) == 1
    assert service.count(BusinessQuery(town_id=kojimachi)) == 1
    assert service.count(BusinessQuery(jsic_major="E")) == 1
    assert service.count(BusinessQuery(kind="sole_proprietor")) == 1
    assert service.count(BusinessQuery(sme_statuses=("中小企業者",))) == 1
    assert service.count(BusinessQuery(sme_statuses=("判定不可",))) == 1

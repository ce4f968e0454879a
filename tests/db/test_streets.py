"""StreetService on a real SQLite file: associations, counts, support records, events, kinds."""

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from consult_desk.db.engine import Database
from consult_desk.db.models import (
    AuditLog,
    Staff,
    StaffRole,
    StreetAssociation,
    SubsidyApplication,
    SubsidyProgram,
)
from consult_desk.domain.errors import Conflict, NotFound, ValidationError
from consult_desk.domain.permissions import PermissionDenied, Principal, Role
from consult_desk.domain.streets import (
    AssociationInput,
    AssociationQuery,
    EventInput,
    LegalForm,
    MembershipInput,
    SupportInput,
    SupportKindCode,
    SupportKindInput,
    SupportQuery,
    read_numbers,
)
from consult_desk.services.reference import ReferenceService
from consult_desk.services.reporting import ReportingService, month_range
from consult_desk.services.streets import StreetService
from tests.street_setup import CORPORATE_NUMBER, TODAY, StreetWorld, make_street_world


@pytest.fixture
def world(db: Database, admin: Principal) -> StreetWorld:
    return make_street_world(db, admin)


def _principal(db: Database, role: Role) -> Principal:
    with db.write() as session:
        member = Staff(login=f"{role.value}-user", name=role.label)
        member.roles.append(StaffRole(role=role.value))
        session.add(member)
        session.flush()
        return Principal(member.id, member.login, member.name, frozenset({role}))


def _initiative(db: Database, code: str) -> int:
    return next(i.id for i in ReferenceService(db).initiatives() if i.code == code)


def _associations(db: Database) -> int:
    with db.read() as session:
        return session.execute(select(func.count()).select_from(StreetAssociation)).scalar_one()


def _audit(db: Database, record_kind: str, record_id: int) -> list[str]:
    with db.read() as session:
        stmt = (
            select(AuditLog.action)
            .where(AuditLog.record_kind == record_kind, AuditLog.record_id == record_id)
            .order_by(AuditLog.id)
        )
        return list(session.scalars(stmt))


# --- associations ---------------------------------------------------------------------------


def test_an_association_keeps_its_towns_and_counts_per_year(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)

    got = service.get(world.association_id)
    counts = service.memberships(world.association_id)

    assert got.input.name == "神田すずらん通り商店街振興組合"
    assert got.input.corporate_number == CORPORATE_NUMBER
    assert got.town_names == ("神田神保町", "神田錦町")
    assert got.area == "神田地域"
    assert got.input.area is None  # it follows the towns
    assert [(m.fiscal_year, m.full_members, m.supporting_members) for m in counts] == [
        (2026, 75, 12),
        (2025, 79, 10),
    ]
    assert got.latest_membership is not None and got.latest_membership.total == 87
    assert _audit(db, "street_association", world.association_id) == ["create"]


def test_wrong_check_digit_is_refused_and_nothing_saved(db: Database, admin: Principal) -> None:
    service = StreetService(db, admin)

    with pytest.raises(ValidationError) as raised:
        service.add(
            AssociationInput(
                "神田駅西口商店街振興組合",
                LegalForm.PROMOTION_UNION,
                corporate_number="7000012050003",
            )
        )

    assert raised.value.codes() == {"corporate_number": "corporate_number.check_digit"}
    assert _associations(db) == 0


def test_a_voluntary_association_with_a_corporate_number_is_refused(
    db: Database, admin: Principal
) -> None:
    service = StreetService(db, admin)

    with pytest.raises(ValidationError) as raised:
        service.add(
            AssociationInput("岩本町商店会", LegalForm.VOLUNTARY, corporate_number=CORPORATE_NUMBER)
        )

    assert raised.value.codes() == {"corporate_number": "street.voluntary_corporate_number"}
    assert _associations(db) == 0


def test_duplicate_corporate_number_and_name_are_refused(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)

    with pytest.raises(ValidationError) as raised:
        service.add(
            AssociationInput(
                "神田すずらん通り商店街振興組合",  # full-width ｓ would match too
                LegalForm.COOPERATIVE,
                corporate_number="7000-0120-50002",
            )
        )

    assert raised.value.codes() == {
        "corporate_number": "street.duplicate_corporate_number",
        "name": "duplicate_name",
    }


def test_area_that_contradicts_the_towns_is_refused(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)
    got = service.get(world.association_id)

    with pytest.raises(ValidationError) as raised:
        service.update(world.association_id, got.version, replace(got.input, area="麹町地域"))

    assert raised.value.codes() == {"area": "area.town_mismatch"}
    assert service.get(world.association_id) == got


def test_set_towns_moves_a_derived_area_along(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)
    version = service.get(world.association_id).version

    new_version = service.set_towns(
        world.association_id, version, [world.town_ids["麹町"], world.town_ids["平河町"]]
    )

    got = service.get(world.association_id)
    assert new_version == got.version == version + 1
    assert got.town_names == ("麹町", "平河町")
    assert got.area == "麹町地域"
    assert _audit(db, "street_association", world.association_id)[-1] == "update"


def test_stale_version_is_a_conflict_and_changes_nothing(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)
    before = service.get(world.association_id)
    service.update(
        world.association_id, before.version, replace(before.input, phone="03-1111-2222")
    )

    with pytest.raises(Conflict):
        service.update(world.association_id, before.version, replace(before.input, notes="古い版"))
    with pytest.raises(Conflict):
        service.set_towns(world.association_id, before.version, [])
    with pytest.raises(Conflict):
        service.archive(world.association_id, before.version)

    after = service.get(world.association_id)
    assert after.input.phone == "03-1111-2222"
    assert after.input.notes == ""
    assert len(after.town_names) == 2
    assert not after.archived


def test_pages_come_in_reading_order_without_repeats(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)
    for name, kana in [("あ商店会", "ア"), ("い商店会", "イ"), ("う商店会", "ウ")]:
        service.add(AssociationInput(name, LegalForm.VOLUNTARY, name_kana=kana))
    query = AssociationQuery()

    first = service.page(query, limit=2)
    rest = service.page(query, after=first[-1], limit=10)

    names = [r.name for r in first + rest]
    assert names == [
        "あ商店会",
        "い商店会",
        "う商店会",
        "神田すずらん通り商店街振興組合",
        "麹町大通り商店会",
    ]
    assert service.count(query) == 5
    suzuran = rest[1]
    assert (suzuran.members_fiscal_year, suzuran.full_members) == (2026, 75)
    assert suzuran.town_names == ("神田神保町", "神田錦町")
    assert rest[2].full_members is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (AssociationQuery(text="すずらん"), {"神田すずらん通り商店街振興組合"}),
        (AssociationQuery(text="こうじまち"), {"麹町大通り商店会"}),  # the reading, any kana
        (AssociationQuery(text="大通り 商店会"), {"麹町大通り商店会"}),
        (AssociationQuery(text="７０００－０１２"), {"神田すずらん通り商店街振興組合"}),
        (AssociationQuery(text="100%"), set()),
        (AssociationQuery(area="麹町地域"), {"麹町大通り商店会"}),
        (
            AssociationQuery(legal_form=LegalForm.PROMOTION_UNION),
            {"神田すずらん通り商店街振興組合"},
        ),
        (AssociationQuery(federation_member=False), {"麹町大通り商店会"}),
        (AssociationQuery(archived=True), set()),
    ],
)
def test_filters_narrow_the_list(
    db: Database, admin: Principal, world: StreetWorld, query: AssociationQuery, expected: set[str]
) -> None:
    service = StreetService(db, admin)

    assert {r.name for r in service.page(query)} == expected
    assert service.count(query) == len(expected)


def test_town_filter_and_archive(db: Database, admin: Principal, world: StreetWorld) -> None:
    service = StreetService(db, admin)
    by_town = AssociationQuery(town_id=world.town_ids["神田錦町"])
    assert [r.id for r in service.page(by_town)] == [world.association_id]

    service.archive(world.association_id, service.get(world.association_id).version)

    assert service.page(by_town) == []
    assert [r.id for r in service.page(replace(by_town, archived=True))] == [world.association_id]
    assert _audit(db, "street_association", world.association_id)[-1] == "archive"


def test_street_choices_for_the_business_form_leave_out_archived_ones(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)
    service.archive(world.voluntary_id, service.get(world.voluntary_id).version)

    choices = ReferenceService(db).street_associations()

    assert [(c.id, c.name) for c in choices] == [
        (world.association_id, "神田すずらん通り商店街振興組合")
    ]


# --- member counts --------------------------------------------------------------------------


def test_counts_of_a_year_are_corrected_with_their_version(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)
    row = next(m for m in service.memberships(world.association_id) if m.fiscal_year == 2026)

    saved = service.set_membership(world.association_id, MembershipInput(2026, 76, 12), row.version)

    assert (saved.full_members, saved.version) == (76, row.version + 1)
    with pytest.raises(Conflict):
        service.set_membership(world.association_id, MembershipInput(2026, 1, 1), row.version)
    with pytest.raises(ValidationError) as raised:
        service.set_membership(world.association_id, MembershipInput(2026, 1, 1))
    assert raised.value.codes() == {"fiscal_year": "street.membership_exists"}
    with pytest.raises(ValidationError) as raised:
        service.set_membership(
            world.association_id, MembershipInput(2026, -1, 0), saved.version, today=TODAY
        )
    assert raised.value.codes() == {"full_members": "negative"}
    assert service.memberships(world.association_id)[0] == saved
    assert _audit(db, "street_membership", saved.id) == ["create", "update"]


# --- support records ------------------------------------------------------------------------


def test_support_defaults_to_its_kinds_initiative_and_the_signed_in_staff(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)

    support_id = service.add_support(
        world.association_id,
        SupportInput(
            kind_id=world.kind_ids[SupportKindCode.ORGANISATION],
            supported_on=date(2026, 6, 1),
            title="法人化の相談",
        ),
        today=TODAY,
    )

    got = service.get_support(support_id)
    assert got.initiative_code == "2-1-1"
    assert got.input.staff_id == admin.staff_id
    assert got.staff_name == admin.name
    assert got.kind_name == "組織強化・法人化相談"
    assert _audit(db, "street_support", support_id) == ["create"]


def test_university_details_are_kept_for_university_support_only(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)
    value = SupportInput(
        kind_id=world.kind_ids[SupportKindCode.UNIVERSITY],
        supported_on=date(2026, 7, 1),
        title="千代田学の調査",
        university="法政大学",
        project="すずらん通りの回遊調査",
        student_count=12,
    )
    support_id = service.add_support(world.association_id, value, today=TODAY)
    got = service.get_support(support_id)
    assert (got.input.university, got.input.student_count, got.initiative_code) == (
        "法政大学",
        12,
        "2-2-3",
    )

    with pytest.raises(ValidationError) as raised:
        service.update_support(
            support_id,
            got.version,
            replace(got.input, kind_id=world.kind_ids[SupportKindCode.SUCCESSOR]),
            today=TODAY,
        )

    assert set(raised.value.codes().values()) == {"street.university_only"}
    assert service.get_support(support_id) == got


def test_a_user_added_kind_brings_its_initiative(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)
    successor = _initiative(db, "2-2-2")

    kind_id = service.add_support_kind(SupportKindInput("空き店舗活用支援", successor))
    support_id = service.add_support(
        world.association_id,
        SupportInput(kind_id=kind_id, supported_on=date(2026, 8, 3), title="空き店舗の相談"),
        today=TODAY,
    )

    kinds = service.support_kinds()
    added = kinds[-1]
    assert (added.id, added.name, added.initiative_code) == (kind_id, "空き店舗活用支援", "2-2-2")
    assert added.code.startswith("custom_")
    assert added.sort_order > kinds[-2].sort_order
    assert service.get_support(support_id).initiative_code == "2-2-2"
    assert _audit(db, "support_kind", kind_id) == ["create"]


def test_support_kinds_are_unique_and_deactivated_ones_not_offered(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)
    other = next(k for k in service.support_kinds() if k.code == SupportKindCode.OTHER)

    with pytest.raises(ValidationError) as raised:
        service.add_support_kind(SupportKindInput("イベント開催支援", other.initiative_id))
    assert raised.value.codes() == {"name": "duplicate_name"}

    service.update_support_kind(other.id, other.version, replace(other.as_input(), active=False))

    assert other.id not in {k.id for k in service.support_kinds()}
    assert other.id in {k.id for k in service.support_kinds(include_inactive=True)}
    with pytest.raises(ValidationError) as raised:
        service.add_support(
            world.association_id,
            SupportInput(kind_id=other.id, supported_on=TODAY, title="x"),
            today=TODAY,
        )
    assert raised.value.codes() == {"kind_id": "invalid_choice"}


def test_support_pages_filter_by_kind_period_association_and_staff(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)
    consultant = _principal(db, Role.CONSULTANT)
    for day, association_id in [(date(2026, 6, 1), world.voluntary_id), (date(2026, 9, 1), None)]:
        StreetService(db, consultant).add_support(
            association_id or world.association_id,
            SupportInput(
                kind_id=world.kind_ids[SupportKindCode.SUCCESSOR],
                supported_on=day,
                title=f"若手の会 {day.month}月",
            ),
            today=TODAY,
        )

    everything = service.page_supports(SupportQuery(), limit=2)
    everything += service.page_supports(SupportQuery(), after=everything[-1], limit=2)
    by_kind = SupportQuery(kind_id=world.kind_ids[SupportKindCode.SUCCESSOR])
    summer = SupportQuery(date_from=date(2026, 5, 1), date_to=date(2026, 8, 31))

    assert [r.supported_on for r in everything] == [
        date(2026, 9, 1),
        date(2026, 6, 1),
        date(2026, 4, 10),
    ]
    assert service.count_supports(by_kind) == 2
    assert [r.title for r in service.page_supports(summer)] == ["若手の会 6月"]
    assert service.count_supports(SupportQuery(staff_id=consultant.staff_id)) == 2
    assert [r.id for r in service.supports(world.voluntary_id)] == [
        r.id for r in service.page_supports(SupportQuery(association_id=world.voluntary_id))
    ]
    with pytest.raises(ValidationError):
        service.page_supports(SupportQuery(date_from=date(2026, 5, 1), date_to=date(2026, 4, 1)))


def test_a_month_of_support_records_is_what_the_monthly_report_counts(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)
    kinds = [SupportKindCode.SUCCESSOR, SupportKindCode.UNIVERSITY, SupportKindCode.OTHER]
    days = [date(2026, 4, 30), date(2026, 5, 1), date(2026, 5, 31), date(2026, 6, 1)]
    ids = {}
    for n, day in enumerate(days):
        ids[day] = service.add_support(
            world.voluntary_id if n % 2 else world.association_id,
            SupportInput(
                kind_id=world.kind_ids[kinds[n % len(kinds)]],
                supported_on=day,
                title=f"支援 {day.isoformat()}",
            ),
            today=TODAY,
        )
    may = SupportQuery(date_from=date(2026, 5, 1), date_to=date(2026, 5, 31))

    # Every kind and street; the month's last day is in, the next month's first day out.
    assert [r.id for r in service.page_supports(may)] == [
        ids[date(2026, 5, 31)],
        ids[date(2026, 5, 1)],
    ]
    assert service.count_supports(may) == 2
    reporting = ReportingService(db, admin)
    for month in (4, 5, 6):
        first, last = month_range(2026, month)
        query = SupportQuery(date_from=first, date_to=last)
        assert service.count_supports(query) == reporting.monthly(2026, month).streets.supports
    april = SupportQuery(date_from=date(2026, 4, 1), date_to=date(2026, 4, 30))
    assert service.count_supports(april) == 2  # 4/30 and the world's own record of 4/10


def test_an_archived_street_takes_no_new_records(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)
    service.archive(world.association_id, service.get(world.association_id).version)

    with pytest.raises(ValidationError) as raised:
        service.add_event(world.association_id, EventInput("歳末夜警", TODAY, TODAY))
    assert raised.value.codes() == {"association_id": "street.archived"}

    support = service.get_support(world.support_id)  # existing ones stay editable
    service.update_support(
        world.support_id, support.version, replace(support.input, notes="報告書受領"), today=TODAY
    )


# --- events ---------------------------------------------------------------------------------


def test_an_event_linked_to_its_support_record(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)

    event = service.get_event(world.event_id)

    assert event.input.partners == "町会\n大学"
    assert event.input.budget == 1_200_000
    assert event.initiative_code == "2-2-1"
    assert event.support_title == "すずらんまつりの開催相談"
    assert service.get_support(world.support_id).event_ids == (world.event_id,)
    assert [e.id for e in service.events(world.association_id)] == [world.event_id]


def test_an_event_without_support_serves_the_event_initiative(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)

    event_id = service.add_event(world.voluntary_id, EventInput("歳末売出し", TODAY, TODAY))

    assert service.get_event(event_id).initiative_code == "2-2-1"


def test_end_before_start_is_refused_and_the_stored_event_unchanged(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)
    before = service.get_event(world.event_id)

    with pytest.raises(ValidationError) as raised:
        service.update_event(
            world.event_id, before.version, replace(before.input, ends_on=date(2026, 5, 15))
        )

    assert raised.value.codes() == {"ends_on": "street.event_period"}
    assert service.get_event(world.event_id) == before


def test_full_width_budget_is_read_and_a_negative_one_refused(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)
    before = service.get_event(world.event_id)
    typed, errors = read_numbers({"budget": "１５０万円", "visitors": "３２，０００"})
    assert errors == []

    edited = replace(before.input, budget=typed["budget"], visitors=typed["visitors"])
    version = service.update_event(world.event_id, before.version, edited)
    saved = service.get_event(world.event_id)
    assert (saved.input.budget, saved.input.visitors, saved.version) == (1_500_000, 32_000, version)

    typed, _ = read_numbers({"budget": "－２０，０００"})
    with pytest.raises(ValidationError) as raised:
        service.update_event(world.event_id, version, replace(saved.input, budget=typed["budget"]))

    assert raised.value.codes() == {"budget": "negative"}
    assert service.get_event(world.event_id) == saved
    assert _audit(db, "street_event", world.event_id) == ["create", "update"]


def test_an_event_links_only_to_an_event_support_of_its_own_street(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)
    organisation = service.add_support(
        world.association_id,
        SupportInput(world.kind_ids[SupportKindCode.ORGANISATION], TODAY, "総会の助言"),
        today=TODAY,
    )

    with pytest.raises(ValidationError) as raised:
        service.add_event(
            world.association_id, EventInput("総会", TODAY, TODAY, support_id=organisation)
        )
    assert raised.value.codes() == {"support_id": "street.support_not_event"}
    with pytest.raises(ValidationError) as raised:
        service.add_event(
            world.voluntary_id, EventInput("合同売出し", TODAY, TODAY, support_id=world.support_id)
        )
    assert raised.value.codes() == {"support_id": "street.support_other_street"}

    support = service.get_support(world.support_id)
    with pytest.raises(ValidationError) as raised:
        service.update_support(
            world.support_id,
            support.version,
            replace(support.input, kind_id=world.kind_ids[SupportKindCode.OTHER]),
            today=TODAY,
        )
    assert raised.value.codes() == {"kind_id": "street.support_has_events"}


def test_stale_event_and_support_versions_are_conflicts(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    service = StreetService(db, admin)
    event = service.get_event(world.event_id)
    support = service.get_support(world.support_id)
    service.update_event(world.event_id, event.version, replace(event.input, place="神保町"))
    service.update_support(
        world.support_id, support.version, replace(support.input, title="改題"), today=TODAY
    )

    with pytest.raises(Conflict):
        service.update_event(world.event_id, event.version, event.input)
    with pytest.raises(Conflict):
        service.update_support(world.support_id, support.version, support.input, today=TODAY)

    assert service.get_event(world.event_id).input.place == "神保町"
    assert service.get_support(world.support_id).input.title == "改題"


# --- timeline -------------------------------------------------------------------------------


def test_timeline_shows_supports_events_and_subsidies_newest_first(
    db: Database, admin: Principal, world: StreetWorld
) -> None:
    with db.write() as session:
        program = SubsidyProgram(name="商店街チャレンジ戦略支援事業", target="street")
        session.add(program)
        session.flush()
        session.add(
            SubsidyApplication(
                program_id=program.id,
                association_id=world.association_id,
                event_id=world.event_id,
                initiative_id=_initiative(db, "2-2-1"),
                fiscal_year=2026,
                status="granted",
                applied_on=date(2026, 4, 20),
                granted_amount=800_000,
            )
        )

    entries = StreetService(db, admin).timeline(world.association_id)
    officer_view = StreetService(db, _principal(db, Role.LOAN_OFFICER)).timeline(
        world.association_id
    )

    assert [(e.on, e.record_kind) for e in entries] == [
        (date(2026, 5, 16), "street_event"),
        (date(2026, 4, 20), "subsidy_application"),
        (date(2026, 4, 10), "street_support"),
    ]
    assert entries[1].title == "補助金 商店街チャレンジ戦略支援事業（交付決定）"
    assert "800,000円" in entries[1].detail
    assert len(officer_view) == 3  # loan officers read streets and subsidies alike


# --- permissions ----------------------------------------------------------------------------


def test_a_consultant_works_on_streets_but_not_on_kinds(db: Database, world: StreetWorld) -> None:
    consultant = _principal(db, Role.CONSULTANT)
    service = StreetService(db, consultant)

    association_id = service.add(AssociationInput("西神田商店会", LegalForm.VOLUNTARY))
    service.set_membership(association_id, MembershipInput(2026, 20, 0), today=TODAY)
    service.add_event(association_id, EventInput("夏祭り", date(2026, 8, 1), date(2026, 8, 2)))

    assert service.support_kinds()
    with pytest.raises(PermissionDenied):
        service.add_support_kind(SupportKindInput("新しい種類", None))


def test_an_auditor_reads_but_changes_nothing(db: Database, world: StreetWorld) -> None:
    service = StreetService(db, _principal(db, Role.AUDITOR))
    got = service.get(world.association_id)

    assert service.page(AssociationQuery())
    assert service.timeline(world.association_id)
    with pytest.raises(PermissionDenied):
        service.add(AssociationInput("西神田商店会", LegalForm.VOLUNTARY))
    with pytest.raises(PermissionDenied):
        service.update(world.association_id, got.version, got.input)
    with pytest.raises(PermissionDenied):
        service.add_event(world.association_id, EventInput("夏祭り", TODAY, TODAY))
    with pytest.raises(PermissionDenied):
        service.set_membership(world.association_id, MembershipInput(2024, 1, 1))
    assert _associations(db) == 2


def test_missing_records_are_not_found(db: Database, admin: Principal) -> None:
    service = StreetService(db, admin)

    with pytest.raises(NotFound):
        service.get(404)
    with pytest.raises(NotFound):
        service.add_event(404, EventInput("祭り", TODAY, TODAY))
    with pytest.raises(NotFound):
        service.memberships(404)

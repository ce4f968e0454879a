"""A shopping street with towns, member counts, a support record and an event: what street
tests (services and GUI pages alike) start from. Built through ``StreetService``, so every row
is one the app itself could have written."""

from dataclasses import dataclass
from datetime import date

from consult_desk.db.engine import Database
from consult_desk.domain.permissions import Principal
from consult_desk.domain.streets import (
    AssociationInput,
    EventInput,
    LegalForm,
    MembershipInput,
    SupportInput,
    SupportKindCode,
)
from consult_desk.services.reference import ReferenceService
from consult_desk.services.streets import StreetService

TODAY = date(2026, 11, 28)
# 神田すずらん通り商店街振興組合's real 法人番号 is not needed: any number with a valid check
# digit will do (7000012050002 belongs to the National Tax Agency).
CORPORATE_NUMBER = "7000012050002"


@dataclass(frozen=True)
class StreetWorld:
    association_id: int  # 神田すずらん通り商店街振興組合: two towns, counts for 2025 and 2026
    voluntary_id: int  # 麹町大通り商店会 (任意商店会): no towns, no counts
    kind_ids: dict[str, int]  # SupportKindCode → id of the shipped kinds
    support_id: int  # an イベント開催支援 record of the first association
    event_id: int  # すずらんまつり, linked to that record
    town_ids: dict[str, int]  # town name → id, every Chiyoda town


def town_ids(db: Database) -> dict[str, int]:
    return {t.name: t.id for t in ReferenceService(db).towns()}


def make_street_world(db: Database, principal: Principal) -> StreetWorld:
    """The world, created by ``principal`` (an administrator or a consultant)."""
    service = StreetService(db, principal)
    towns = town_ids(db)
    association_id = service.add(
        AssociationInput(
            name="神田すずらん通り商店街振興組合",
            legal_form=LegalForm.PROMOTION_UNION,
            name_kana="カンダスズランドオリショウテンガイシンコウクミアイ",
            corporate_number=CORPORATE_NUMBER,
            incorporated_on=date(1985, 5, 17),
            town_ids=(towns["神田神保町"], towns["神田錦町"]),
            representative_name="鈴木 一郎",
            contact_name="事務局 田中",
            phone="03-3291-0000",
            email="info@example.jp",
        ),
        today=TODAY,
    )
    voluntary_id = service.add(
        AssociationInput(
            name="麹町大通り商店会",
            legal_form=LegalForm.VOLUNTARY,
            name_kana="コウジマチオオドオリショウテンカイ",
            area="麹町地域",
            federation_member=False,
        ),
        today=TODAY,
    )
    service.set_membership(association_id, MembershipInput(2025, 79, 10), today=TODAY)
    service.set_membership(association_id, MembershipInput(2026, 75, 12), today=TODAY)
    kind_ids = {k.code: k.id for k in service.support_kinds()}
    support_id = service.add_support(
        association_id,
        SupportInput(
            kind_id=kind_ids[SupportKindCode.EVENT],
            supported_on=date(2026, 4, 10),
            title="すずらんまつりの開催相談",
        ),
        today=TODAY,
    )
    event_id = service.add_event(
        association_id,
        EventInput(
            name="すずらんまつり",
            starts_on=date(2026, 5, 16),
            ends_on=date(2026, 5, 17),
            event_type="祭り",
            place="すずらん通り",
            partners="町会\n大学",
            budget=1_200_000,
            visitors=30_000,
            support_id=support_id,
        ),
    )
    return StreetWorld(association_id, voluntary_id, kind_ids, support_id, event_id, towns)

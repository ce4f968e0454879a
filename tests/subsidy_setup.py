"""Three subsidy programs with their terms, a business, a street and its events: what every
subsidy test (and the subsidy pages' GUI tests) needs.

The figures are the issue's: 販路拡大 ⅔ rounded down to ¥1,000, cap ¥100,000; 脱炭素 ½, cap
¥500,000, once per 年度; street events ⅚ up to ¥1,000,000 else ⅔, cap ¥3,000,000, at most two
per street per 年度, 実績報告 30 days after the event ends. Streets and events are inserted
directly (their service belongs to another module).
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from consult_desk.db.engine import Database
from consult_desk.db.models import (
    Business,
    Initiative,
    StreetAssociation,
    StreetEvent,
    SubsidyProgram,
    SubsidyProgramTerms,
)

TERMS_FROM = date(2025, 4, 1)
STREET_THRESHOLD = 1_000_000
STREET_CAP = 3_000_000
REPORT_DAYS = 30


@dataclass(frozen=True)
class SubsidyWorld:
    trade_show_id: int  # 販路拡大 (business)
    decarbonise_id: int  # 脱炭素 (business, once per 年度)
    street_events_id: int  # 商店街イベント (street, two per 年度)
    business_id: int
    association_id: int
    other_association_id: int
    event_ids: tuple[int, ...]  # spring, summer, autumn festivals of the first street
    other_event_id: int  # an event of the other street


def make_subsidy_world(db: Database) -> SubsidyWorld:
    with db.write() as session:
        events_initiative = session.scalar(select(Initiative.id).where(Initiative.code == "2-2-1"))
        trade_show = SubsidyProgram(name="中小企業販路拡大事業支援補助", target="business")
        decarbonise = SubsidyProgram(name="中小企業脱炭素経営支援助成金", target="business")
        street_events = SubsidyProgram(
            name="商店街イベント事業補助", target="street", initiative_id=events_initiative
        )
        session.add_all([trade_show, decarbonise, street_events])
        session.flush()
        session.add_all(
            [
                SubsidyProgramTerms(
                    program_id=trade_show.id,
                    valid_from=TERMS_FROM,
                    rate_numerator=2,
                    rate_denominator=3,
                    rounding_unit=1000,
                    cap_amount=100_000,
                    report_due_days=REPORT_DAYS,
                ),
                SubsidyProgramTerms(
                    program_id=decarbonise.id,
                    valid_from=TERMS_FROM,
                    rate_numerator=1,
                    rate_denominator=2,
                    rounding_unit=1,
                    cap_amount=500_000,
                    max_per_fiscal_year=1,
                ),
                SubsidyProgramTerms(
                    program_id=street_events.id,
                    valid_from=TERMS_FROM,
                    rate_numerator=2,
                    rate_denominator=3,
                    band_threshold=STREET_THRESHOLD,
                    band_rate_numerator=5,
                    band_rate_denominator=6,
                    rounding_unit=1000,
                    cap_amount=STREET_CAP,
                    max_per_fiscal_year=2,
                    report_due_days=REPORT_DAYS,
                ),
            ]
        )
        business = Business(
            kind="corporation",
            name="神田青果株式会社",
            sort_key="かんだせいか",
            sme_status="小規模企業者",
        )
        street = StreetAssociation(
            name="神田すずらん通り商店街振興組合",
            sort_key="かんだすずらんどおり",
            legal_form="商店街振興組合",
            area="神田地域",
        )
        other = StreetAssociation(
            name="神田駅西口商店街振興組合",
            sort_key="かんだえきにしぐち",
            legal_form="商店街振興組合",
            area="神田地域",
        )
        session.add_all([business, street, other])
        session.flush()
        assert events_initiative is not None
        events = [
            StreetEvent(
                association_id=street.id,
                initiative_id=events_initiative,
                name=name,
                starts_on=starts,
                ends_on=ends,
            )
            for name, starts, ends in (
                ("すずらんまつり", date(2026, 5, 16), date(2026, 5, 17)),
                ("夏の夜市", date(2026, 7, 25), date(2026, 7, 25)),
                ("神保町ブックフェスティバル", date(2026, 10, 31), date(2026, 11, 3)),
            )
        ]
        other_event = StreetEvent(
            association_id=other.id,
            initiative_id=events_initiative,
            name="西口歳末大売出し",
            starts_on=date(2026, 12, 1),
            ends_on=date(2026, 12, 20),
        )
        session.add_all([*events, other_event])
        session.flush()
        return SubsidyWorld(
            trade_show.id,
            decarbonise.id,
            street_events.id,
            business.id,
            street.id,
            other.id,
            tuple(e.id for e in events),
            other_event.id,
        )

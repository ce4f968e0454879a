"""Realistic, deterministic demo data: staff, businesses in real Chiyoda towns, consultations,
loan funds, banks, loan cases in every state and セーフティネット認定 (``demo_loans``), experts
and dispatches, shopping streets with their support records and events, subsidies
(``demo_support``).

The same seed and anchor date always give the same database. Rows are written with bulk
inserts in one transaction so that large demo sets (100,000 businesses, 1,000,000
consultations for benchmarks) build in reasonable time; derived columns are computed by the
same functions the services use.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import func, insert, select

from consult_desk.db.dialect import reset_id_sequences
from consult_desk.db.engine import Database
from consult_desk.db.models import (
    Business,
    Consultation,
    ConsultationChannel,
    ConsultationInitiative,
    ConsultationTopic,
    ConsultationTopicLink,
    Initiative,
    Staff,
    StaffRole,
    Town,
)
from consult_desk.domain.businesses import BusinessInput, BusinessKind, Residence
from consult_desk.domain.corporate_number import make_corporate_number
from consult_desk.domain.fiscal import fiscal_year, fiscal_year_range, japan_today
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.sme import SmeCategory, default_sme_category, sme_status
from consult_desk.domain.text import kana_key, search_key
from consult_desk.services import audit, demo_loans, demo_support
from consult_desk.services.businesses import search_text
from consult_desk.services.staff import PASSWORD_HASHER

DEMO_STAFF = (
    # login, name, reading, roles
    ("demo-admin", "高橋 誠", "タカハシ マコト", ("admin",)),
    ("demo-manager", "伊藤 恵子", "イトウ ケイコ", ("manager",)),
    ("demo-consultant1", "佐藤 花子", "サトウ ハナコ", ("consultant",)),
    ("demo-consultant2", "鈴木 一郎", "スズキ イチロウ", ("consultant",)),
    ("demo-consultant3", "中村 由美", "ナカムラ ユミ", ("consultant",)),
    ("demo-loan", "田中 健", "タナカ ケン", ("loan_officer",)),
    ("demo-auditor", "小林 直樹", "コバヤシ ナオキ", ("auditor",)),
)

# Place-name stems, with readings, that Chiyoda businesses like to use.
_STEMS = (
    ("神田", "カンダ"),
    ("九段", "クダン"),
    ("麹町", "コウジマチ"),
    ("秋葉原", "アキハバラ"),
    ("神保町", "ジンボウチョウ"),
    ("丸の内", "マルノウチ"),
    ("飯田橋", "イイダバシ"),
    ("錦", "ニシキ"),
    ("駿河台", "スルガダイ"),
    ("有楽", "ユウラク"),
    ("番町", "バンチョウ"),
    ("平河", "ヒラカワ"),
    ("紀尾井", "キオイ"),
    ("小川", "オガワ"),
    ("須田", "スダ"),
    ("岩本", "イワモト"),
    ("淡路", "アワジ"),
    ("千代田", "チヨダ"),
    ("大手", "オオテ"),
    ("和泉", "イズミ"),
    ("富士見", "フジミ"),
    ("三崎", "ミサキ"),
    ("美土代", "ミトシロ"),
    ("さくら", "サクラ"),
    ("みどり", "ミドリ"),
    ("あさひ", "アサヒ"),
    ("ひかり", "ヒカリ"),
)
# Trade words with reading and JSIC 大分類.
_TRADES = (
    ("書店", "ショテン", "I"),
    ("古書店", "コショテン", "I"),
    ("印刷", "インサツ", "E"),
    ("製本", "セイホン", "E"),
    ("電機", "デンキ", "I"),
    ("電子", "デンシ", "E"),
    ("食品", "ショクヒン", "I"),
    ("青果", "セイカ", "I"),
    ("珈琲店", "コーヒーテン", "M"),
    ("食堂", "ショクドウ", "M"),
    ("そば店", "ソバテン", "M"),
    ("設計事務所", "セッケイジムショ", "L"),
    ("ソフトウェア", "ソフトウェア", "G"),
    ("システム", "システム", "G"),
    ("企画", "キカク", "L"),
    ("不動産", "フドウサン", "K"),
    ("建設", "ケンセツ", "D"),
    ("工務店", "コウムテン", "D"),
    ("商事", "ショウジ", "I"),
    ("運輸", "ウンユ", "H"),
    ("楽器", "ガッキ", "I"),
    ("スポーツ", "スポーツ", "I"),
    ("美容室", "ビヨウシツ", "N"),
    ("クリーニング", "クリーニング", "N"),
    ("学習塾", "ガクシュウジュク", "O"),
    ("デザイン", "デザイン", "L"),
    ("翻訳", "ホンヤク", "L"),
    ("ホテル", "ホテル", "M"),
    ("旅館", "リョカン", "M"),
    ("税理士事務所", "ゼイリシジムショ", "L"),
)
_SURNAMES = (
    ("山田", "ヤマダ"),
    ("佐々木", "ササキ"),
    ("渡辺", "ワタナベ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("清水", "シミズ"),
    ("山口", "ヤマグチ"),
    ("森", "モリ"),
    ("池田", "イケダ"),
    ("橋本", "ハシモト"),
    ("石川", "イシカワ"),
    ("前田", "マエダ"),
    ("藤田", "フジタ"),
    ("岡田", "オカダ"),
)
_GIVEN = ("太郎", "花子", "健一", "美咲", "大輔", "陽子", "翔太", "真由美", "浩二", "彩")

# Topic code → what consultants write down for it (summary, advice).
_NOTES: dict[str, tuple[tuple[str, str], ...]] = {
    "finance": (
        (
            "仕入価格の上昇で運転資金が不足。融資制度について相談。",
            "営業資金のあっせん制度を案内し、必要書類を説明した。",
        ),
        ("設備更新のための資金調達を検討中。", "設備資金の要件と見積書の準備を助言した。"),
    ),
    "subsidy": (
        ("展示会出展の補助金を使いたい。", "販路拡大支援補助の要件と申請時期を案内した。"),
    ),
    "management": (
        (
            "売上減少が続き、事業計画を見直したい。",
            "月次の資金繰り表の作成を勧め、次回一緒に確認することにした。",
        ),
        ("原価管理の方法について相談。", "商品別の粗利を把握する簡易な方法を助言した。"),
    ),
    "employment": (("アルバイトの採用が難しい。", "ハローワークと区の就労支援の窓口を紹介した。"),),
    "startup": (
        (
            "神田で飲食店を開業予定。手続きを知りたい。",
            "創業計画書の書き方と起業資金の制度を説明した。",
        ),
        ("ITサービスで起業したい。", "ビジネス起業塾を案内し、事業計画の骨子を一緒に整理した。"),
    ),
    "succession": (
        ("後継者がおらず、今後について悩んでいる。", "事業承継・引継ぎ支援センターを紹介した。"),
    ),
    "sales": (
        ("新しい販路を開拓したい。", "東商千代田ビジネスフェアへの出展を提案した。"),
        ("ECサイトでの販売を始めたい。", "小さく始める方法と費用の目安を説明した。"),
    ),
    "it_dx": (
        (
            "紙の受発注をやめてデジタル化したい。",
            "クラウド受発注サービスの比較ポイントを説明した。",
        ),
    ),
    "tax_accounting": (
        ("インボイス制度への対応を相談。", "登録手続きと請求書の記載事項を説明した。"),
    ),
    "legal_ip": (("商標登録について知りたい。", "知財総合支援窓口を紹介した。"),),
    "overseas": (("海外の展示会に出展したい。", "JETROの相談窓口を案内した。"),),
    "sdgs": (("省エネ設備への更新を検討。", "脱炭素経営支援の助成制度を案内した。"),),
    "bcp": (("災害時の事業継続計画を作りたい。", "簡易BCPのひな形を紹介した。"),),
    "other": (("区の支援制度全般について相談。", "支援メニューのパンフレットを渡して説明した。"),),
}
_TOPIC_WEIGHTS = {
    "finance": 30,
    "management": 18,
    "startup": 12,
    "sales": 10,
    "subsidy": 8,
    "it_dx": 6,
    "employment": 4,
    "succession": 4,
    "tax_accounting": 3,
    "sdgs": 2,
    "legal_ip": 1,
    "overseas": 1,
    "bcp": 1,
    "other": 2,
}
_NEXT_ACTIONS = ("必要書類を持参して再来訪", "見積書を確認", "融資の申込み手続き", "計画書の添削")


@dataclass(frozen=True, slots=True)
class DemoSummary:
    staff: int
    businesses: int
    consultations: int
    loan_cases: int = 0
    certifications: int = 0  # セーフティネット認定
    experts: int = 0
    dispatches: int = 0  # 専門家派遣
    associations: int = 0  # 商店街 created by this run
    street_supports: int = 0
    street_events: int = 0
    subsidy_applications: int = 0


class DemoService:
    """Fills a database with demo rows; only an administrator (or set-up) may."""

    def __init__(
        self, db: Database, principal: Principal, hasher: PasswordHasher = PASSWORD_HASHER
    ) -> None:
        self._db = db
        self._principal = principal
        self._hasher = hasher

    def fill(
        self,
        *,
        seed: int = 1,
        businesses: int = 300,
        consultations_per_business: float = 3.0,
        anchor: date | None = None,
        password: str | None = None,
    ) -> DemoSummary:
        """Add demo staff (one for every role, all with ``password`` if given), businesses,
        consultations, loan cases, SN certifications, dispatches, street support and subsidy
        applications over the last two 年度 up to ``anchor``; funds, banks, experts, programs
        and streets are added unless they exist."""
        self._principal.require(Kind.MASTER, Action.ADMINISTER)
        rng = random.Random(seed)
        anchor = anchor or japan_today()
        start, _ = fiscal_year_range(fiscal_year(anchor) - 1)
        now = datetime.combine(anchor, time(9), tzinfo=UTC)
        with self._db.write() as session:
            staff_ids = self._staff(session, now, password)
            towns = session.execute(select(Town.id, Town.name, Town.postal_code, Town.area)).all()
            channels = dict(
                session.execute(select(ConsultationChannel.name, ConsultationChannel.id)).all()
            )
            topics = {
                code: (tid, ini)
                for code, tid, ini in session.execute(
                    select(
                        ConsultationTopic.code,
                        ConsultationTopic.id,
                        ConsultationTopic.initiative_id,
                    )
                )
            }
            fallback = session.execute(
                select(Initiative.id).where(Initiative.code == "1-2-2")
            ).scalar_one()
            first_id = (session.execute(select(func.max(Business.id))).scalar() or 0) + 1
            used_numbers = set(
                session.scalars(
                    select(Business.corporate_number).where(Business.corporate_number.is_not(None))
                )
            )
            rows = [
                _business(rng, first_id + n, towns, anchor, now, used_numbers)
                for n in range(businesses)
            ]
            for chunk in _chunks(rows, 5000):
                session.execute(insert(Business), chunk)
            consultants = [sid for login, sid in staff_ids.items() if "consultant" in login]
            count = self._consultations(
                session,
                rng,
                rows,
                consultants,
                channels,
                topics,
                fallback,
                start,
                anchor,
                consultations_per_business,
                now,
            )
            loans = demo_loans.fill(session, seed, rows, anchor, start, now, staff_ids["demo-loan"])
            support = demo_support.fill(session, seed, rows, anchor, start, now, staff_ids)
            # Ids were given explicitly (to link rows in bulk): move PostgreSQL's sequences on.
            reset_id_sequences(
                session,
                (
                    "business",
                    "consultation",
                    "loan_case",
                    "loan_case_event",
                    "expert_dispatch",
                    "street_support",
                    "street_event",
                    "subsidy_application",
                ),
            )
            audit.record(
                session,
                self._principal.staff_id,
                "import",
                "demo",
                None,
                {
                    "businesses": businesses,
                    "consultations": count,
                    "loan_cases": loans.cases,
                    "safety_net": loans.certifications,
                    "dispatches": support.dispatches,
                    "street_supports": support.supports,
                    "street_events": support.events,
                    "subsidy_applications": support.applications,
                    "seed": seed,
                },
            )
        return DemoSummary(
            len(staff_ids),
            businesses,
            count,
            loans.cases,
            loans.certifications,
            experts=support.experts,
            dispatches=support.dispatches,
            associations=support.associations,
            street_supports=support.supports,
            street_events=support.events,
            subsidy_applications=support.applications,
        )

    def _staff(self, session: Any, now: datetime, password: str | None) -> dict[str, int]:
        existing = dict(session.execute(select(Staff.login, Staff.id)).all())
        hashed = self._hasher.hash(password) if password else None
        for login, name, kana, roles in DEMO_STAFF:
            if login in existing:
                continue
            staff = Staff(
                login=login,
                name=name,
                name_kana=kana,
                created_at=now,
                updated_at=now,
                password_hash=hashed,
                password_changed_at=now if hashed else None,
            )
            staff.roles = [StaffRole(role=r) for r in roles]
            session.add(staff)
            session.flush()
            existing[login] = staff.id
        return {login: existing[login] for login, *_ in DEMO_STAFF}

    @staticmethod
    def _consultations(
        session: Any,
        rng: random.Random,
        businesses: list[dict[str, Any]],
        consultants: list[int],
        channels: dict[str, int],
        topics: dict[str, tuple[int, int | None]],
        fallback_initiative: int,
        start: date,
        anchor: date,
        per_business: float,
        now: datetime,
    ) -> int:
        days = (anchor - start).days
        channel_names = ["窓口", "訪問", "オンライン", "電話", "メール"]
        channel_weights = [45, 20, 15, 15, 5]
        topic_codes = list(_TOPIC_WEIGHTS)
        topic_weights = [_TOPIC_WEIGHTS[c] for c in topic_codes]
        next_id = (session.execute(select(func.max(Consultation.id))).scalar() or 0) + 1
        rows: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        initiatives: list[dict[str, Any]] = []
        total = 0

        def flush() -> None:
            for table, data in (
                (Consultation, rows),
                (ConsultationTopicLink, links),
                (ConsultationInitiative, initiatives),
            ):
                for chunk in _chunks(data, 5000):
                    session.execute(insert(table), chunk)
                data.clear()

        for business in businesses:
            for _ in range(_poisson(rng, per_business)):
                consulted_on = _weekday_within(
                    start + timedelta(days=rng.randrange(days + 1)), start, anchor
                )
                codes = rng.choices(topic_codes, topic_weights, k=rng.choice((1, 1, 1, 2)))
                codes = list(dict.fromkeys(codes))
                summary, advice = rng.choice(_NOTES[codes[0]])
                follow_up = rng.random() < 0.3
                due_on = (
                    consulted_on + timedelta(days=rng.choice((7, 14, 30))) if follow_up else None
                )
                done = bool(due_on and due_on < anchor and rng.random() < 0.8)
                rows.append(
                    {
                        "id": next_id,
                        "consulted_on": consulted_on,
                        "start_time": time(rng.choice((9, 10, 11, 13, 14, 15, 16))),
                        "minutes": rng.choice((30, 45, 60, 60, 90)),
                        "channel_id": channels[rng.choices(channel_names, channel_weights)[0]],
                        "staff_id": rng.choice(consultants),
                        "business_id": business["id"],
                        "prospect_name": "",
                        "prospect_contact": "",
                        "summary": summary,
                        "advice": advice,
                        "referrals": "融資あっせん"
                        if codes[0] == "finance" and rng.random() < 0.4
                        else "",
                        "next_action": rng.choice(_NEXT_ACTIONS) if follow_up else "",
                        "due_on": due_on,
                        "done": done,
                        "done_on": due_on if done else None,
                        "done_note": "対応済み" if done else "",
                        "archived": False,
                        "created_at": now,
                        "updated_at": now,
                        "version": 1,
                    }
                )
                for n, code in enumerate(codes):
                    links.append(
                        {
                            "consultation_id": next_id,
                            "topic_id": topics[code][0],
                            "is_primary": n == 0,
                        }
                    )
                initiatives.append(
                    {
                        "consultation_id": next_id,
                        "initiative_id": topics[codes[0]][1] or fallback_initiative,
                    }
                )
                next_id += 1
                total += 1
                if len(rows) >= 20_000:
                    flush()
        flush()
        return total


def _business(
    rng: random.Random,
    business_id: int,
    towns: Sequence[Any],
    anchor: date,
    now: datetime,
    used_numbers: set[str | None],
) -> dict[str, Any]:
    stem, stem_kana = rng.choice(_STEMS)
    trade, trade_kana, jsic = rng.choice(_TRADES)
    kind = rng.choices(list(BusinessKind), [70, 25, 5])[0]
    surname, surname_kana = rng.choice(_SURNAMES)
    town = rng.choice(towns)
    if kind is BusinessKind.CORPORATION:
        form, form_code = rng.choice(
            (("株式会社", "01"), ("株式会社", "01"), ("有限会社", "02"), ("合同会社", "03"))
        )
        name, kana = f"{form}{stem}{trade}", f"{stem_kana}{trade_kana}"
        # Tokyo registry office 0100, the company form's code and a serial: a valid, unique
        # 法人番号 shaped like a real one.
        while True:
            number = make_corporate_number(f"0100{form_code}{rng.randrange(1_000_000):06d}")
            if number not in used_numbers:
                used_numbers.add(number)
                break
        capital: int | None = rng.choice((3, 5, 10, 10, 20, 30, 50, 100, 300)) * 1_000_000
    else:
        name, kana = f"{stem}{trade}", f"{stem_kana}{trade_kana}"
        number, capital = None, None
    if kind is BusinessKind.PROSPECTIVE:
        name, kana = f"{surname} {rng.choice(_GIVEN)}（{trade}開業予定）", f"{surname_kana}"
    employees: int | None = rng.choice((0, 1, 2, 3, 5, 8, 12, 20, 35, 60, 120))
    if kind is BusinessKind.PROSPECTIVE:
        employees = None  # not founded yet: no size to judge
    category = default_sme_category(jsic)
    founded = anchor - timedelta(days=rng.randrange(200, 365 * 40))
    address = f"千代田区{town.name}{rng.randint(1, 3)}-{rng.randint(1, 20)}-{rng.randint(1, 12)}"
    phone = f"03-{rng.randint(3200, 6999)}-{rng.randint(0, 9999):04d}"
    value = BusinessInput(
        name=name, name_kana=kana, corporate_number=number or "", phone=phone, address=address
    )
    return {
        "id": business_id,
        "kind": kind.value,
        "name": name,
        "name_kana": kana,
        "sort_key": kana_key(kana) or search_key(name),
        "search_text": search_text(value),
        "corporate_number": number,
        "jsic_major": jsic,
        "sme_category": category.value if category else None,
        "sme_status": sme_status(
            SmeCategory(category) if category else None, capital, employees
        ).value,
        "postal_code": town.postal_code,
        "town_id": town.id,
        "area": town.area,
        "address": address,
        "phone": phone,
        "email": "",
        "representative_name": f"{surname} {rng.choice(_GIVEN)}",
        "representative_residence": rng.choice(list(Residence)).value,
        "representative_address": "",
        "representative_phone": "",
        "capital": capital,
        "employees": employees,
        "founded_on": founded if kind is not BusinessKind.PROSPECTIVE else None,
        "in_ward_since": founded if kind is not BusinessKind.PROSPECTIVE else None,
        "chokai_name": f"{town.name}町会" if rng.random() < 0.4 else "",
        "summary": "",
        "archived": False,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def _weekday_within(day: date, start: date, end: date) -> date:
    """The nearest weekday (the counter's days) to ``day`` that lies in ``start``–``end``."""
    for step in (-1, 1):
        candidate = day
        while start <= candidate <= end:
            if candidate.weekday() < 5:
                return candidate
            candidate += timedelta(days=step)
    return day  # a period of weekend days only: nothing nearer to offer


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method; the means used here are small.
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _chunks(rows: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]

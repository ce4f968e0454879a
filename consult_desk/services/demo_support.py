"""Demo expert dispatch, shopping streets and subsidies (専門家派遣・商店街支援・補助金).

Called by ``DemoService.fill`` inside its transaction, after the loan demo, with generators of
its own (one per area) so the businesses, consultations and loans of a seed stay as they were.

- Master data is got or created by name: experts (some registrations expired), dispatch
  programs with per-年度 terms, street associations with towns and member counts, subsidy
  programs with dated terms. A record someone set up already keeps its own terms, and streets
  that already existed get no demo activity (their real records must not be crowded out).
- Every dispatch and application is planned as a walk over the domain's ``STEPS`` and each step
  (and each visit) is checked with the domain's own ``check_step`` / ``check_visit`` /
  ``check_application`` before anything is written: visits after the decision and within the
  approved number and the per-年度 cap, the expert registered on the visit day, amounts computed
  with ``eligible_amount``, per-年度 limits of subsidy programs, no step before the last one.
- Columns each step sets mirror ``DispatchService.advance`` / ``SubsidyService._changes``.
"""

from __future__ import annotations

import functools
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from consult_desk.db.models import (
    AppSetting,
    Business,
    Consultation,
    DispatchEvent,
    DispatchProgram,
    DispatchProgramTerms,
    DispatchVisit,
    Expert,
    ExpertDispatch,
    ExpertQualification,
    Initiative,
    StreetAssociation,
    StreetAssociationTown,
    StreetEvent,
    StreetMembership,
    StreetSupport,
    SubsidyApplication,
    SubsidyEvent,
    SubsidyProgram,
    SubsidyProgramTerms,
    SupportKind,
    Town,
)
from consult_desk.domain import dispatch as d
from consult_desk.domain import subsidies as s
from consult_desk.domain.corporate_number import make_corporate_number
from consult_desk.domain.dispatch import DispatchState, ExpertFacts, ExpertInput
from consult_desk.domain.fiscal import fiscal_year, fiscal_year_range
from consult_desk.domain.loans import is_business_day
from consult_desk.domain.streets import (
    EVENT_INITIATIVE_CODE,
    AssociationInput,
    EventInput,
    LegalForm,
    MembershipInput,
    SupportInput,
    SupportKindCode,
    street_area,
)
from consult_desk.domain.subsidies import SubsidyState, SubsidyTarget
from consult_desk.domain.text import kana_key, normalize_lines, search_key

DS = DispatchState
SS = SubsidyState
SN = s.StepName

StateT = TypeVar("StateT", DispatchState, SubsidyState)

BUSINESSES_PER_DISPATCH = 12
BUSINESSES_PER_APPLICATION = 15
# Kept in step with services/dispatch.py (the setting the officer may change in 設定).
REPORT_DUE_KEY = "dispatch_report_due_days"
ATTEMPTS = 40

# --- experts and dispatch programs ------------------------------------------------------------

# name, reading, qualifications, 得意分野, own fee per visit (None: the program's only)
_EXPERTS: tuple[tuple[str, str, tuple[str, ...], str, int | None], ...] = (
    ("山本 正樹", "ヤマモト マサキ", ("中小企業診断士",), "事業計画、資金繰り、経営改善", 11_550),
    (
        "小野寺 美穂",
        "オノデラ ミホ",
        ("中小企業診断士", "ITコーディネータ"),
        "IT導入、業務のデジタル化、EC",
        15_000,
    ),
    ("長谷川 健太郎", "ハセガワ ケンタロウ", ("税理士",), "税務、事業承継、資金繰り", 20_000),
    ("藤井 由紀子", "フジイ ユキコ", ("社会保険労務士",), "労務管理、就業規則、人材採用", 16_500),
    (
        "松田 隆",
        "マツダ タカシ",
        ("公認会計士", "税理士"),
        "経営分析、資金調達、事業承継",
        30_000,
    ),
    ("石井 智子", "イシイ トモコ", ("デザイナー",), "店舗・パッケージデザイン、販促物", 13_200),
    ("村上 浩", "ムラカミ ヒロシ", ("技術士",), "生産管理、品質管理、省エネ", 22_000),
    ("近藤 綾", "コンドウ アヤ", ("弁理士",), "商標、意匠、特許の出願", 25_000),
    ("坂本 大介", "サカモト ダイスケ", ("弁護士",), "契約書、債権回収、事業承継の法務", 30_000),
    ("青木 真理", "アオキ マリ", ("行政書士",), "許認可、補助金の申請書類", 11_550),
    (
        "西田 康弘",
        "ニシダ ヤスヒロ",
        ("ITコーディネータ",),
        "クラウド会計、受発注システム、情報セキュリティ",
        18_000,
    ),
    ("岡本 純一", "オカモト ジュンイチ", ("中小企業診断士",), "販路開拓、マーケティング", 11_550),
    (
        "原田 恵美",
        "ハラダ エミ",
        ("中小企業診断士", "社会保険労務士"),
        "人材育成、組織づくり",
        14_300,
    ),
    ("中島 誠一", "ナカジマ セイイチ", ("中小企業診断士",), "飲食店の経営改善、原価管理", None),
    (
        "福田 さやか",
        "フクダ サヤカ",
        ("ITコーディネータ", "デザイナー"),
        "ウェブサイト、SNS発信、EC",
        16_000,
    ),
    ("三浦 和也", "ミウラ カズヤ", ("税理士",), "記帳指導、インボイス対応", 12_100),
    (
        "竹内 隆之",
        "タケウチ タカユキ",
        ("中小企業診断士", "技術士"),
        "製造業の生産性向上、設備投資計画",
        24_000,
    ),
    ("上田 麻衣", "ウエダ マイ", ("中小企業診断士",), "創業計画、小売業の売場づくり", None),
    ("今井 哲也", "イマイ テツヤ", ("公認会計士",), "M&A、企業価値評価", 28_000),
    ("河野 洋子", "コウノ ヨウコ", ("社会保険労務士",), "助成金、労働時間管理", 13_750),
)
# Registrations that are not simply "from some years ago, open-ended", by position above.
_EXPIRED_LAST_YEAR = 2  # ended on 3/31 of the previous 年度
_EXPIRED_MID_YEAR = 8  # ended on 9/30 of the previous 年度
_EXPIRED_LONG_AGO = 13  # ended before the demo's window: never sent
_NEW_THIS_YEAR = 17  # registered from 4/1 of the anchor's 年度
_ENDS_THIS_YEAR = 19  # registered until 3/31 of the anchor's 年度
_RETIRED = 18  # switched off (辞退)


@dataclass(frozen=True, slots=True)
class _DispatchSpec:
    name: str
    initiative: str
    fees: tuple[int | None, int | None]  # fee per visit in the previous and the anchor's 年度
    themes: tuple[tuple[str, tuple[str, ...]], ...]  # theme, qualifications that fit it
    weight: int


_DISPATCH_PROGRAMS = (
    _DispatchSpec(
        "専門家派遣（経営改善）",
        "1-2-2",
        (11_550, 11_750),
        (
            ("事業計画の策定と資金繰りの改善", ("中小企業診断士", "公認会計士")),
            ("原価管理と価格設定の見直し", ("中小企業診断士", "税理士")),
            ("販路開拓と展示会出展の準備", ("中小企業診断士",)),
            ("店舗レイアウトと販促物の見直し", ("デザイナー",)),
            ("就業規則の整備と人材採用", ("社会保険労務士",)),
            ("商標登録とブランドの保護", ("弁理士",)),
            ("取引先との契約書の見直し", ("弁護士", "行政書士")),
            ("生産工程の改善と省エネ", ("技術士",)),
        ),
        6,
    ),
    _DispatchSpec(
        "専門家派遣（IT・DX）",
        "1-3-2",
        (None, None),  # the expert's own fee
        (
            ("受発注のデジタル化", ("ITコーディネータ",)),
            ("ECサイトの立ち上げ", ("ITコーディネータ", "デザイナー")),
            ("クラウド会計の導入", ("ITコーディネータ", "税理士")),
            ("情報セキュリティ対策", ("ITコーディネータ",)),
        ),
        3,
    ),
    _DispatchSpec(
        "専門家派遣（事業承継）",
        "1-2-2",
        (15_000, 15_000),
        (
            ("事業承継計画の策定", ("税理士", "中小企業診断士")),
            ("後継者への株式の移転", ("税理士", "公認会計士")),
            ("親族外承継（M&A）の準備", ("公認会計士", "弁護士")),
        ),
        2,
    ),
)
# How often each final state appears (after one of each, which small demos also get).
DISPATCH_WEIGHTS: dict[DispatchState, int] = {
    DS.APPLIED: 6,
    DS.REVIEWING: 6,
    DS.APPROVED: 8,
    DS.IN_PROGRESS: 15,
    DS.COMPLETED: 10,
    DS.REPORTED: 8,
    DS.PAID: 30,
    DS.CANCELLED: 8,
}
_ORDER = (DS.APPLIED, DS.REVIEWING, DS.APPROVED, DS.IN_PROGRESS, DS.COMPLETED, DS.REPORTED, DS.PAID)
_CANCEL_FROM = ((DS.APPLIED, 2), (DS.REVIEWING, 3), (DS.APPROVED, 2), (DS.IN_PROGRESS, 3))
_CANCEL_REASONS = {
    DS.APPLIED: "事業者から申請の取下げ（自社で対応することになった）",
    DS.REVIEWING: "審査の結果、派遣の対象外と判断（区外へ移転予定）",
    DS.APPROVED: "専門家と日程が合わず、派遣を中止",
    DS.IN_PROGRESS: "代表者の体調不良により派遣の継続が困難",
}
_ISSUES = (
    "現状の聞き取りと課題の整理",
    "前回の宿題の確認と改善策の検討",
    "試算表と資金繰り表の確認",
    "計画の進み具合の確認",
    "取組みの優先順位の見直し",
)
_ADVICE = (
    "課題を三つに絞り、3か月の行動計画にまとめるよう助言した。",
    "月次で粗利と資金残高を確認する仕組みを提案した。",
    "取引先ごとの採算を比べ、条件の見直しを勧めた。",
    "従業員と目標を共有する短い朝礼を提案した。",
    "見積りを2社以上から取り、比較表を作るよう助言した。",
)
_HOMEWORK = (
    "直近3期の決算書と試算表を用意",
    "行動計画の案を作成",
    "見積書を2社から取り寄せる",
    "主要取引先の売上・粗利を一覧にする",
)
_LAST_ISSUES = "成果の確認と今後の進め方"


# --- shopping streets -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _EventSpec:
    name: str  # "{short}" is replaced by the street's short name
    event_type: str
    month: int
    day: int
    days: int
    budget: tuple[int, int]
    visitors: tuple[int, int] | None  # None: a sales campaign, nobody counts visitors
    partners: str  # "{town}" / "{university}" are replaced


@dataclass(frozen=True, slots=True)
class _StreetSpec:
    name: str
    kana: str
    form: LegalForm
    towns: tuple[str, ...]
    short: str
    incorporated: tuple[int, int, int] | None
    federation: bool
    university: str  # "" without a partner university
    events: tuple[_EventSpec, ...]  # its own events besides the common ones


def _ev(
    name: str,
    event_type: str,
    month: int,
    day: int,
    days: int,
    budget: tuple[int, int],
    visitors: tuple[int, int] | None,
    partners: str = "{town}町会",
) -> _EventSpec:
    return _EventSpec(name, event_type, month, day, days, budget, visitors, partners)


_COMMON_EVENTS = (
    _ev("{short}夏まつり", "祭り", 7, 19, 2, (800_000, 2_400_000), (3_000, 15_000)),
    _ev("{short}夜市", "季節イベント", 8, 2, 1, (300_000, 900_000), (1_000, 5_000)),
    _ev("{short}歳末大売出し", "売出し", 12, 1, 20, (400_000, 1_400_000), None, ""),
    _ev(
        "{short}スタンプラリー",
        "スタンプラリー",
        10,
        10,
        23,
        (200_000, 800_000),
        (500, 3_000),
        "{town}町会、{university}",
    ),
    _ev("{short}ハロウィン", "季節イベント", 10, 31, 1, (200_000, 600_000), (800, 4_000)),
    _ev(
        "{short}防災訓練",
        "防災・防犯",
        9,
        6,
        1,
        (50_000, 200_000),
        (100, 400),
        "{town}町会、神田消防署",
    ),
    _ev("{short}一斉清掃", "清掃・美化", 6, 7, 1, (30_000, 100_000), (50, 200)),
)

_STREETS = (
    _StreetSpec(
        "神田すずらん通り商店街振興組合",
        "カンダスズランドオリショウテンガイシンコウクミアイ",
        LegalForm.PROMOTION_UNION,
        ("神田神保町", "神田錦町"),
        "すずらん通り",
        (1966, 10, 1),
        True,
        "専修大学",
        (
            _ev(
                "すずらんまつり",
                "祭り",
                5,
                16,
                2,
                (1_500_000, 3_500_000),
                (20_000, 50_000),
                "{town}町会、{university}",
            ),
            _ev(
                "神保町ブックフェスティバル",
                "季節イベント",
                10,
                31,
                4,
                (2_000_000, 4_500_000),
                (50_000, 120_000),
                "神田古書店連盟、NPO法人 神田学会",
            ),
        ),
    ),
    _StreetSpec(
        "神田駅西口商店街振興組合",
        "カンダエキニシグチショウテンガイシンコウクミアイ",
        LegalForm.PROMOTION_UNION,
        ("内神田", "神田司町", "神田多町"),
        "西口",
        (1985, 5, 17),
        True,
        "",
        (_ev("西口サマーフェスタ", "祭り", 7, 26, 2, (1_200_000, 2_800_000), (8_000, 20_000)),),
    ),
    _StreetSpec(
        "神保町すずらん会",
        "ジンボウチョウスズランカイ",
        LegalForm.VOLUNTARY,
        ("神田神保町",),
        "神保町",
        None,
        False,
        "明治大学",
        (),
    ),
    _StreetSpec(
        "秋葉原電気街振興会",
        "アキハバラデンキガイシンコウカイ",
        LegalForm.VOLUNTARY,
        ("外神田",),
        "電気街",
        None,
        True,
        "",
        (
            _ev(
                "秋葉原電気街まつり",
                "売出し",
                7,
                18,
                10,
                (2_000_000, 4_000_000),
                (30_000, 80_000),
                "千代田区観光協会",
            ),
        ),
    ),
    _StreetSpec(
        "麹町大通り商店会",
        "コウジマチオオドオリショウテンカイ",
        LegalForm.VOLUNTARY,
        ("麹町",),
        "麹町",
        None,
        True,
        "上智大学",
        (),
    ),
    _StreetSpec(
        "神田小川町商店会",
        "カンダオガワマチショウテンカイ",
        LegalForm.VOLUNTARY,
        ("神田小川町",),
        "小川町",
        None,
        True,
        "明治大学",
        (
            _ev(
                "小川町スポーツフェスタ",
                "売出し",
                11,
                14,
                3,
                (600_000, 1_600_000),
                (5_000, 15_000),
                "{town}町会、{university}",
            ),
        ),
    ),
    _StreetSpec(
        "九段商店会",
        "クダンショウテンカイ",
        LegalForm.VOLUNTARY,
        ("九段北", "九段南"),
        "九段",
        None,
        True,
        "二松学舎大学",
        (
            _ev(
                "九段さくらまつり協賛セール",
                "売出し",
                3,
                25,
                10,
                (500_000, 1_200_000),
                (10_000, 30_000),
                "千代田区観光協会",
            ),
        ),
    ),
    _StreetSpec(
        "飯田橋駅東口商店会",
        "イイダバシエキヒガシグチショウテンカイ",
        LegalForm.VOLUNTARY,
        ("飯田橋", "富士見"),
        "飯田橋東口",
        None,
        True,
        "法政大学",
        (),
    ),
    _StreetSpec(
        "番町商店会",
        "バンチョウショウテンカイ",
        LegalForm.VOLUNTARY,
        ("一番町", "二番町", "三番町", "四番町"),
        "番町",
        None,
        True,
        "大妻女子大学",
        (),
    ),
    _StreetSpec(
        "神田中央通り商店街振興組合",
        "カンダチュウオウドオリショウテンガイシンコウクミアイ",
        LegalForm.PROMOTION_UNION,
        ("神田須田町", "神田鍛冶町"),
        "中央通り",
        (1979, 4, 2),
        True,
        "",
        (),
    ),
    _StreetSpec(
        "岩本町商店街協同組合",
        "イワモトチョウショウテンガイキョウドウクミアイ",
        LegalForm.COOPERATIVE,
        ("岩本町", "神田岩本町", "東神田"),
        "岩本町",
        (1972, 6, 1),
        True,
        "",
        (
            _ev(
                "岩本町ふれあいまつり",
                "祭り",
                9,
                20,
                2,
                (900_000, 2_000_000),
                (4_000, 12_000),
            ),
        ),
    ),
    _StreetSpec(
        "神田淡路町商店会",
        "カンダアワジチョウショウテンカイ",
        LegalForm.VOLUNTARY,
        ("神田淡路町",),
        "淡路町",
        None,
        True,
        "",
        (),
    ),
    _StreetSpec(
        "神田錦町商店会",
        "カンダニシキチョウショウテンカイ",
        LegalForm.VOLUNTARY,
        ("神田錦町",),
        "錦町",
        None,
        False,
        "",
        (),
    ),
    _StreetSpec(
        "神田三崎町商店会",
        "カンダミサキチョウショウテンカイ",
        LegalForm.VOLUNTARY,
        ("神田三崎町",),
        "三崎町",
        None,
        True,
        "日本大学",
        (),
    ),
    _StreetSpec(
        "平河町商店会",
        "ヒラカワチョウショウテンカイ",
        LegalForm.VOLUNTARY,
        ("平河町",),
        "平河町",
        None,
        True,
        "",
        (_ev("平河町秋まつり", "祭り", 9, 27, 2, (500_000, 1_200_000), (2_000, 6_000)),),
    ),
    _StreetSpec(
        "有楽町商店会",
        "ユウラクチョウショウテンカイ",
        LegalForm.VOLUNTARY,
        ("有楽町",),
        "有楽町",
        None,
        False,
        "",
        (),
    ),
    _StreetSpec(
        "外神田商店街連合会",
        "ソトカンダショウテンガイレンゴウカイ",
        LegalForm.FEDERATION,
        ("外神田",),
        "外神田",
        None,
        True,
        "",
        (),
    ),
    _StreetSpec(
        "神田駿河台商店街振興組合",
        "カンダスルガダイショウテンガイシンコウクミアイ",
        LegalForm.PROMOTION_UNION,
        ("神田駿河台", "神田小川町"),
        "駿河台",
        (1988, 9, 1),
        True,
        "明治大学",
        (
            _ev(
                "駿河台下まつり",
                "祭り",
                5,
                30,
                2,
                (700_000, 1_800_000),
                (5_000, 14_000),
                "{town}町会、{university}",
            ),
        ),
    ),
    _StreetSpec(
        "内神田一丁目商店会",
        "ウチカンダイッチョウメショウテンカイ",
        LegalForm.VOLUNTARY,
        ("内神田",),
        "内神田",
        None,
        True,
        "",
        (),
    ),
)
_REPRESENTATIVES = (
    ("斉藤", "茂"),
    ("大野", "一男"),
    ("平野", "勝"),
    ("菊地", "正人"),
    ("千葉", "敏夫"),
    ("久保", "和子"),
    ("野口", "清"),
    ("松井", "弘"),
    ("桜井", "悦子"),
    ("工藤", "進"),
)
# (title, notes) by support kind code; 大学連携 and イベント開催支援 are written per record.
_SUPPORT_NOTES: dict[str, tuple[tuple[str, str], ...]] = {
    SupportKindCode.ORGANISATION: (
        (
            "法人化（商店街振興組合）の相談",
            "設立要件（30人以上・3分の2以上の加入）と手続きの流れを説明した。",
        ),
        ("総会資料と役員改選の相談", "定款と総会の議事録の作り方を助言した。"),
        ("会員増強の相談", "新規出店者向けの案内文の作成を提案した。"),
    ),
    SupportKindCode.SUCCESSOR: (
        ("若手会員の勉強会（SNS発信）", "区の講師派遣を案内し、次回の日程を調整した。"),
        ("後継者交流会の企画", "近隣の商店街と合同で開く案を検討した。"),
    ),
    SupportKindCode.OTHER: (
        ("防犯カメラ更新の相談", "都と区の補助制度を案内した。"),
        ("街路灯のLED化の相談", "電気代の削減効果の試算方法を説明した。"),
        ("キャッシュレス決済の導入説明会", "会員店12店が参加。導入手順を説明した。"),
        ("多言語マップの作成相談", "観光協会の既存データの活用を提案した。"),
    ),
}
_UNIVERSITY_PROJECTS = (
    ("千代田学「{short}の回遊調査」", "学生による来街者調査", "学生が平日と休日の来街者を調査"),
    ("学生によるSNS発信プロジェクト", "店舗紹介の動画制作", "学生が会員店を取材し動画を公開"),
    ("空き店舗を活用した学生カフェ", "学生カフェの企画", "週末の学生カフェの運営方法を協議"),
    ("商店街マップの多言語化", "英語・中国語のマップ作成", "学生が翻訳し、店主が内容を確認"),
)


# --- subsidies --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _TermsSpec:
    first: int  # 年度 relative to the anchor's: the terms start on its 4/1
    last: int | None  # … and end on 3/31 of this 年度 (None: open-ended)
    rate: tuple[int, int]
    band: tuple[int, int, int] | None  # threshold, numerator, denominator
    unit: int
    cap: int | None
    per_year: int | None
    report_days: int | None


@dataclass(frozen=True, slots=True)
class _SubsidySpec:
    name: str
    target: SubsidyTarget
    initiative: str
    notes: str
    terms: tuple[_TermsSpec, ...]
    titles: tuple[str, ...]
    cost: tuple[int, int]  # eligible cost drawn between these
    weight: int


_SUBSIDY_PROGRAMS = (
    _SubsidySpec(
        "中小企業販路拡大事業支援補助",
        SubsidyTarget.BUSINESS,
        "1-3-1",
        "展示会出展（オンライン含む）の経費の3分の2（千円未満切捨て）、上限10万円。",
        (_TermsSpec(-1, None, (2, 3), None, 1000, 100_000, None, 30),),
        (
            "東京インターナショナル・ギフトショー出展",
            "千代田ビジネスフェア出展",
            "オンライン展示会への出展",
            "国際食品・飲料展への出展",
        ),
        (90_000, 600_000),
        40,
    ),
    _SubsidySpec(
        "中小企業脱炭素経営支援助成金",
        SubsidyTarget.BUSINESS,
        "1-3-3",
        "コンサルティング・研修費の2分の1、上限50万円。同一年度に1回まで。",
        (_TermsSpec(-1, None, (1, 2), None, 1000, 500_000, 1, None),),
        (
            "省エネ診断とCO2削減計画の策定",
            "脱炭素経営研修の受講",
            "LED照明更新の計画策定",
        ),
        (200_000, 1_400_000),
        15,
    ),
    _SubsidySpec(
        "商店街イベント事業補助",
        SubsidyTarget.STREET,
        "2-2-1",
        "経費100万円以下は6分の5、超える場合は3分の2、上限300万円。1商店街1年度2事業まで。",
        (_TermsSpec(-1, None, (2, 3), (1_000_000, 5, 6), 1000, 3_000_000, 2, 30),),
        (),
        (0, 0),
        0,
    ),
    _SubsidySpec(
        "中小企業DX推進補助金",
        SubsidyTarget.BUSINESS,
        "1-3-2",
        "デジタルツール導入費。今年度から補助率3分の2・上限100万円（前年度は4分の3・上限50万円）。",
        (
            _TermsSpec(-1, -1, (3, 4), None, 1000, 500_000, None, 30),
            _TermsSpec(0, None, (2, 3), None, 1000, 1_000_000, None, 30),
        ),
        (
            "クラウド受発注システムの導入",
            "POSレジとキャッシュレス決済の導入",
            "在庫管理システムの導入",
            "ECサイトの構築",
        ),
        (300_000, 2_400_000),
        25,
    ),
    _SubsidySpec(
        "創業支援補助金",
        SubsidyTarget.BUSINESS,
        "1-1-1",
        "創業5年未満の事業者の開業経費の2分の1、上限30万円。同一年度に1回まで。",
        (_TermsSpec(-1, None, (1, 2), None, 1000, 300_000, 1, 60),),
        ("開業準備（店舗内装・備品）", "創業時のウェブサイト制作", "開業時の広告宣伝"),
        (200_000, 1_200_000),
        20,
    ),
)
SUBSIDY_WEIGHTS: dict[SubsidyState, int] = {
    SS.APPLIED: 6,
    SS.RETURNED: 3,
    SS.GRANTED: 10,
    SS.CHANGE_REQUESTED: 3,
    SS.REPORTED: 6,
    SS.CONFIRMED: 5,
    SS.PAID: 30,
    SS.WITHDRAWN: 4,
    SS.REJECTED: 3,
}
_REASONS: dict[s.StepName, tuple[str, ...]] = {
    SN.RETURN: ("見積書の添付漏れのため差戻し", "対象外の経費が含まれているため差戻し"),
    SN.RESUBMIT: ("見積書を添付して再申請", "対象外の経費を除いて再申請"),
    SN.REQUEST_CHANGE: ("実施内容の一部変更", "事業期間の延長"),
    SN.APPROVE_CHANGE: ("変更の内容を確認し承認",),
    SN.WITHDRAW: ("事業の実施を取りやめたため取下げ", "事業計画の見直しにより取下げ"),
    SN.REJECT: (
        "区内での営業実態が確認できないため不交付",
        "補助対象外の経費のみの申請のため不交付",
    ),
}


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoSupport:
    experts: int  # created by this run
    dispatches: int
    visits: int
    associations: int  # created by this run
    linked_businesses: int  # businesses set to their street's association
    supports: int
    events: int
    applications: int
    dispatch_states: dict[DispatchState, int] = field(default_factory=dict)
    subsidy_states: dict[SubsidyState, int] = field(default_factory=dict)


class _Failed(Exception):
    """A plan that does not fit (dates, caps, experts); the caller tries other choices."""


def dispatch_count(businesses: int) -> int:
    """One dispatch per 12 businesses; small demos get up to two of each state."""
    return max(
        round(businesses / BUSINESSES_PER_DISPATCH),
        min(businesses // 3, 2 * len(DispatchState)),
    )


def application_count(businesses: int) -> int:
    """Business applications: one per 15 businesses; small demos up to two of each state."""
    return max(
        round(businesses / BUSINESSES_PER_APPLICATION),
        min(businesses // 3, 2 * len(SubsidyState)),
    )


def fill(
    session: Session,
    seed: int,
    businesses: Sequence[dict[str, Any]],
    anchor: date,
    window_start: date,
    now: datetime,
    staff_ids: dict[str, int],
) -> DemoSupport:
    """Add experts, dispatches, streets with their support records and events, subsidies.

    ``businesses``: the demo's new business rows (as inserted); those set to a street get
    ``street_association_id`` in the dict as well as in the database.
    """
    ctx = _Context(session, anchor, window_start, now, staff_ids)
    experts = _experts(session, ctx)
    programs = _dispatch_programs(session, ctx)
    planner = _DispatchPlanner(
        random.Random(f"consult-desk demo dispatch {seed}"),
        ctx,
        experts,
        _report_due_days(session),
    )
    dispatches = planner.plan_all(programs, businesses, dispatch_count(len(businesses)))
    _link_consultations(session, planner.rng, dispatches)
    visits = _write_dispatches(session, ctx, dispatches)

    street_rng = random.Random(f"consult-desk demo streets {seed}")
    streets = _associations(session, street_rng, ctx)
    linked = _link_businesses(session, street_rng, streets, businesses)
    supports, events = _street_activity(session, street_rng, ctx, streets)

    subsidy_rng = random.Random(f"consult-desk demo subsidies {seed}")
    subsidy_programs = _subsidy_programs(session, ctx)
    applications = _plan_street_applications(subsidy_rng, ctx, subsidy_programs, events)
    applications += _plan_business_applications(
        subsidy_rng, ctx, subsidy_programs, businesses, application_count(len(businesses))
    )
    _write_applications(session, ctx, applications)

    dispatch_states: dict[DispatchState, int] = defaultdict(int)
    for plan in dispatches:
        dispatch_states[DispatchState(plan.cols["status"])] += 1
    subsidy_states: dict[SubsidyState, int] = defaultdict(int)
    for application in applications:
        subsidy_states[SubsidyState(application.cols["status"])] += 1
    return DemoSupport(
        experts=sum(1 for e in experts if e.new),
        dispatches=len(dispatches),
        visits=visits,
        associations=sum(1 for street in streets if street.new),
        linked_businesses=linked,
        supports=len(supports),
        events=len(events),
        applications=len(applications),
        dispatch_states=dict(dispatch_states),
        subsidy_states=dict(subsidy_states),
    )


# --- shared helpers ---------------------------------------------------------------------------


class _Context:
    """What every part needs: dates, stamps, initiatives and the demo staff."""

    def __init__(
        self,
        session: Session,
        anchor: date,
        window_start: date,
        now: datetime,
        staff_ids: dict[str, int],
    ) -> None:
        self.anchor = anchor
        self.window_start = window_start
        self.year = fiscal_year(anchor)
        self.now = now
        self.initiatives: dict[str, int] = dict(
            session.execute(select(Initiative.code, Initiative.id)).all()
        )
        self.admin = staff_ids.get("demo-admin")
        self.consultants = [i for login, i in staff_ids.items() if "consultant" in login] or list(
            staff_ids.values()
        )
        self.street_staff = self.consultants + [
            i for login, i in staff_ids.items() if login == "demo-manager"
        ]

    def stamps(self, staff_id: int | None) -> dict[str, Any]:
        return {
            "created_at": self.now,
            "updated_at": self.now,
            "created_by_id": staff_id,
            "updated_by_id": staff_id,
            "version": 1,
        }


@functools.lru_cache(maxsize=4096)
def _open_on(day: date) -> bool:
    return is_business_day(day)  # the holiday table lookup is slow: thousands of calls


def _workday(day: date) -> date:
    """The first day the ward office is open on or after ``day``."""
    while not _open_on(day):
        day += timedelta(days=1)
    return day


def _targets(rng: random.Random, weights: dict[StateT, int], count: int) -> list[StateT]:
    """``count`` final states in random order: each once when there is room, the rest in
    proportion to ``weights`` (largest remainders), so every size of demo shows the usual mix."""
    states = list(weights)
    chosen = list(states) if count >= len(states) else rng.sample(states, count)
    rest = count - len(chosen)
    total = sum(weights.values())
    shares = {state: rest * weight / total for state, weight in weights.items()}
    extra = {state: int(share) for state, share in shares.items()}
    by_remainder = sorted(states, key=lambda state: extra[state] - shares[state])
    for state in by_remainder[: rest - sum(extra.values())]:
        extra[state] += 1
    chosen += [state for state in states for _ in range(extra[state])]
    rng.shuffle(chosen)
    return chosen


def _insert(model: type[Any]) -> Any:
    # NULLs sent as NULLs, so rows with different empty columns still go out in one batch.
    return insert(model).execution_options(render_nulls=True)


def _next_id(session: Session, model: Any) -> int:
    return int(session.execute(select(func.max(model.id))).scalar() or 0) + 1


def _round(amount: float, unit: int) -> int:
    return int(amount) // unit * unit


# --- experts and dispatch programs ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Expert:
    id: int
    qualifications: frozenset[str]
    facts: ExpertFacts
    fee: int | None
    new: bool


def _experts(session: Session, ctx: _Context) -> list[_Expert]:
    """The demo's experts: the stored ones of the same name, the others created."""
    existing = {
        e.name: e
        for e in session.scalars(
            select(Expert).where(Expert.name.in_([name for name, *_ in _EXPERTS]))
        )
    }
    _, last_year_end = fiscal_year_range(ctx.year - 1)
    this_year_start, this_year_end = fiscal_year_range(ctx.year)
    made = []
    for n, (name, kana, qualifications, fields, fee) in enumerate(_EXPERTS):
        if name in existing:
            continue
        start = fiscal_year_range(ctx.year - 2 - n % 7)[0]
        end: date | None = None
        if n == _EXPIRED_LAST_YEAR:
            end = last_year_end
        elif n == _EXPIRED_MID_YEAR:
            end = date(ctx.year - 1, 9, 30)
        elif n == _EXPIRED_LONG_AGO:
            start, end = fiscal_year_range(ctx.year - 6)[0], fiscal_year_range(ctx.year - 2)[1]
        elif n == _NEW_THIS_YEAR:
            start = this_year_start
        elif n == _ENDS_THIS_YEAR:
            end = this_year_end
        value = ExpertInput(
            name=name,
            name_kana=kana,
            qualifications=qualifications,
            fields=fields,
            registered_from=start,
            registered_to=end,
            fee_per_visit=fee,
            phone=f"03-{5200 + n * 37}-{1000 + n * 211:04d}",
            email=f"expert{n + 1:02d}@example.jp",
            active=n != _RETIRED,
        ).normalized()
        assert not value.errors(), (name, value.errors())
        expert = Expert(
            name=value.name,
            name_kana=value.name_kana,
            sort_key=value.sort_key(),
            fields=value.fields,
            registered_from=start,
            registered_to=end,
            fee_per_visit=fee,
            phone=value.phone,
            email=value.email,
            active=value.active,
            **_orm_stamps(ctx, ctx.admin),
        )
        expert.qualifications = [ExpertQualification(name=q) for q in value.qualifications]
        session.add(expert)
        made.append(expert)
    session.flush()
    found = []
    for expert in [*existing.values(), *made]:
        found.append(
            _Expert(
                expert.id,
                frozenset(q.name for q in expert.qualifications),
                ExpertFacts(expert.id, expert.registered_from, expert.registered_to, expert.active),
                expert.fee_per_visit,
                new=expert.name not in existing,
            )
        )
    return sorted(found, key=lambda e: e.id)


def _orm_stamps(ctx: _Context, staff_id: int | None) -> dict[str, Any]:
    stamps = ctx.stamps(staff_id)
    del stamps["version"]  # the ORM sets the first version itself
    return stamps


@dataclass(slots=True)
class _DispatchProgram:
    id: int
    spec: _DispatchSpec
    initiative_id: int
    caps: dict[int, tuple[int, int | None]]  # 年度 → (visit cap, program fee)

    def cap(self, year: int) -> int:
        return self.caps.get(year, (d.DEFAULT_MAX_VISITS, None))[0]

    def fee(self, year: int) -> int | None:
        return self.caps.get(year, (d.DEFAULT_MAX_VISITS, None))[1]


def _dispatch_programs(session: Session, ctx: _Context) -> list[_DispatchProgram]:
    found = []
    for spec in _DISPATCH_PROGRAMS:
        program = session.execute(
            select(DispatchProgram).where(DispatchProgram.name == spec.name)
        ).scalar_one_or_none()
        if program is None:
            program = DispatchProgram(
                name=spec.name,
                initiative_id=ctx.initiatives.get(spec.initiative),
                **_orm_stamps(ctx, ctx.admin),
            )
            session.add(program)
            session.flush()
        terms = session.scalars(
            select(DispatchProgramTerms).where(DispatchProgramTerms.program_id == program.id)
        ).all()
        if not terms:  # a program someone set up keeps its own terms
            for offset, fee in zip((-1, 0), spec.fees, strict=True):
                value = d.TermsInput(ctx.year + offset, d.DEFAULT_MAX_VISITS, fee)
                assert not value.errors()
                session.add(
                    DispatchProgramTerms(
                        program_id=program.id,
                        fiscal_year=value.fiscal_year,
                        max_visits_per_business=value.max_visits_per_business,
                        fee_per_visit=value.fee_per_visit,
                        **_orm_stamps(ctx, ctx.admin),
                    )
                )
            session.flush()
            terms = session.scalars(
                select(DispatchProgramTerms).where(DispatchProgramTerms.program_id == program.id)
            ).all()
        if not program.active:
            continue
        initiative = program.initiative_id or ctx.initiatives["1-2-2"]  # DispatchService's
        caps = {t.fiscal_year: (t.max_visits_per_business, t.fee_per_visit) for t in terms}
        found.append(_DispatchProgram(program.id, spec, initiative, caps))
    return found


def _report_due_days(session: Session) -> int:
    setting = session.get(AppSetting, REPORT_DUE_KEY)
    if setting is not None and setting.value.isdigit() and 1 <= int(setting.value) <= 365:
        return int(setting.value)
    return d.DEFAULT_REPORT_DUE_DAYS


# --- dispatches -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Dispatch:
    cols: dict[str, Any]
    visits: list[dict[str, Any]]
    events: list[dict[str, Any]]


@dataclass(slots=True)
class _Dates:
    applied: date
    review: date | None = None
    decided: date | None = None
    visits: list[date] = field(default_factory=list)
    next_planned: date | None = None  # after the last visit of a running dispatch
    reports: list[date] = field(default_factory=list)  # the expert's visit reports
    completed: date | None = None
    reported: date | None = None
    paid: date | None = None
    cancelled: date | None = None

    @property
    def last(self) -> date:
        days = [self.applied, self.review, self.decided, *self.visits]
        days += [self.completed, self.reported, self.paid, self.cancelled]
        return max(day for day in days if day is not None)


class _DispatchPlanner:
    def __init__(
        self, rng: random.Random, ctx: _Context, experts: list[_Expert], report_days: int
    ) -> None:
        self.rng = rng
        self.ctx = ctx
        self.experts = experts
        self.report_days = report_days  # completion → 実績報告 deadline, as set in 設定
        # Visits planned so far per (business, program, 年度 of the visit date).
        self.usage: dict[tuple[int, int, int], int] = defaultdict(int)

    def plan_all(
        self,
        programs: list[_DispatchProgram],
        businesses: Sequence[dict[str, Any]],
        count: int,
    ) -> list[_Dispatch]:
        pool = [b for b in businesses if b["kind"] != "prospective"]
        if not programs or not pool or count == 0:
            return []
        rng = self.rng
        targets = _targets(rng, DISPATCH_WEIGHTS, count)
        per_business: dict[int, int] = defaultdict(int)
        plans = []
        for target in targets:
            for _attempt in range(ATTEMPTS):
                program = rng.choices(programs, [p.spec.weight for p in programs])[0]
                business = rng.choice(pool)
                if per_business[business["id"]] >= 2:
                    continue
                try:
                    plan = self.plan(target, program, business)
                except _Failed:
                    continue
                plans.append(plan)
                per_business[business["id"]] += 1
                break
        plans.sort(key=lambda p: (p.cols["applied_on"], p.cols["business_id"]))
        return plans

    def plan(
        self, target: DispatchState, program: _DispatchProgram, business: dict[str, Any]
    ) -> _Dispatch:
        """A dispatch of ``business`` that ends in ``target``; _Failed when it cannot fit."""
        rng, ctx = self.rng, self.ctx
        reach = target
        if target == DS.CANCELLED:
            reach = rng.choices([s for s, _ in _CANCEL_FROM], [w for _, w in _CANCEL_FROM])[0]
        started = _ORDER.index(reach) >= _ORDER.index(DS.IN_PROGRESS)
        approved = rng.choices(range(2, 9), [2, 4, 5, 5, 3, 2, 3])[0]
        visits = 0
        if reach == DS.IN_PROGRESS:
            visits = rng.randint(1, max(1, approved - 1))
        elif started:
            visits = approved if rng.random() < 0.8 else max(1, approved - rng.randint(1, 2))
        seed = rng.getrandbits(32)
        estimate = _dispatch_dates(seed, reach, visits, ctx.window_start, target, self.report_days)
        span = (estimate.last - ctx.window_start).days
        recent = {DS.APPLIED: 25, DS.REVIEWING: 20, DS.APPROVED: 25, DS.IN_PROGRESS: 30}
        recent |= {DS.COMPLETED: 45, DS.REPORTED: 40}
        if target in recent:
            opened = ctx.anchor - timedelta(days=span + rng.randint(0, recent[target]))
        else:
            latest = ctx.anchor - timedelta(days=span)
            if latest < ctx.window_start:
                raise _Failed
            opened = ctx.window_start + timedelta(
                days=rng.randint(0, (latest - ctx.window_start).days)
            )
        for _ in range(4):  # office days can push the end a little past the anchor
            opened = max(opened, ctx.window_start)
            dates = _dispatch_dates(seed, reach, visits, opened, target, self.report_days)
            overshoot = (dates.last - ctx.anchor).days
            if overshoot <= 0:
                break
            if opened == ctx.window_start:
                raise _Failed
            opened -= timedelta(days=overshoot + 1)
        else:
            raise _Failed
        theme, wanted = rng.choice(program.spec.themes)
        expert = self._expert(program, dates, wanted)
        return self._replay(target, program, business, theme, expert, approved, dates)

    def _expert(
        self, program: _DispatchProgram, dates: _Dates, wanted: tuple[str, ...]
    ) -> _Expert | None:
        """An expert registered on every day they act (the decision and each visit)."""
        days = [day for day in (dates.decided, *dates.visits) if day is not None] or [dates.applied]
        years = {fiscal_year(day) for day in dates.visits}
        needs_fee = any(program.fee(y) is None for y in years)
        valid = [
            e
            for e in self.experts
            if all(e.facts.assignable_on(day) for day in days) and not (needs_fee and e.fee is None)
        ]
        fitting = [e for e in valid if e.qualifications & set(wanted)]
        if fitting or valid:
            return self.rng.choice(fitting or valid)
        if dates.decided is None and self.rng.random() < 0.5:
            return None  # no expert proposed yet
        raise _Failed

    def _replay(
        self,
        target: DispatchState,
        program: _DispatchProgram,
        business: dict[str, Any],
        theme: str,
        expert: _Expert | None,
        approved: int,
        dates: _Dates,
    ) -> _Dispatch:
        """Take every step and visit through the domain's checks, as the service would."""
        rng, ctx = self.rng, self.ctx
        staff = rng.choice(ctx.consultants)
        proposed = expert if dates.decided is not None or rng.random() < 0.6 else None
        cols: dict[str, Any] = {
            "business_id": business["id"],
            "program_id": program.id,
            "consultation_id": None,
            "initiative_id": program.initiative_id,
            "expert_id": proposed.id if proposed else None,
            "staff_id": staff,
            "theme": theme,
            "fiscal_year": fiscal_year(dates.applied),
            "status": DS.APPLIED.value,
            "applied_on": dates.applied,
            "decided_on": None,
            "approved_visits": None,
            "completed_on": None,
            "report_due_on": None,
            "report_received_on": None,
            "paid_on": None,
            "cancelled_on": None,
            "cancel_reason": "",
            "notes": "",
        }
        events = [_dispatch_event(None, DS.APPLIED, dates.applied, "", staff)]
        visits: list[dict[str, Any]] = []
        fees: list[int] = []
        since = dates.applied
        usage = self.usage
        key = (business["id"], program.id)

        def step(name: d.StepName, on: date, **values: Any) -> None:
            nonlocal since
            state = DispatchState(cols["status"])
            year = fiscal_year(on)
            facts = d.DispatchFacts(
                state=state,
                applied_on=dates.applied,
                status_since=since,
                visits=len(visits),
                last_visit_on=visits[-1]["visited_on"] if visits else None,
                approved_visits=cols["approved_visits"],
                year_cap=program.cap(year),
                year_used=usage[(*key, year)],
                expert=expert.facts if expert and values.get("expert_id") else None,
                fee_total=sum(fees),
            )
            value = d.StepInput(name, on, **values)
            findings = d.check_step(facts, value, ctx.anchor)
            if findings.errors:
                raise _Failed(findings.errors)
            target_state = d.STEPS[name].target
            changes: dict[str, Any] = {"status": target_state.value}
            date_field = d.STEPS[name].date_field
            if date_field is not None:
                changes[date_field] = on
            if name == d.StepName.APPROVE:
                changes["approved_visits"] = value.approved_visits
                if value.expert_id is not None:
                    changes["expert_id"] = value.expert_id
            elif name == d.StepName.COMPLETE:
                changes["report_due_on"] = d.report_due(on, self.report_days, None)
            elif name == d.StepName.CANCEL:
                changes["cancel_reason"] = normalize_lines(value.reason)
            cols.update(changes)
            events.append(_dispatch_event(state, target_state, on, value.reason, staff))
            since = on

        reach_cancel = target == DS.CANCELLED
        if dates.review is not None:
            step(d.StepName.START_REVIEW, dates.review)
        if dates.decided is not None:
            if expert is None:
                raise _Failed
            year = fiscal_year(dates.decided)
            room = program.cap(year) - usage[(*key, year)]
            if room < max(len(dates.visits), 1):
                raise _Failed
            step(
                d.StepName.APPROVE,
                dates.decided,
                approved_visits=min(approved, room),
                expert_id=expert.id,
            )
        used_here: dict[int, int] = defaultdict(int)
        for n, day in enumerate(dates.visits, start=1):
            assert expert is not None
            year = fiscal_year(day)
            last = n == len(dates.visits)
            online = rng.random() < 0.2
            start = rng.choice((time(10), time(13, 30), time(14), time(15)))
            next_on = dates.visits[n] if not last else dates.next_planned
            value = d.VisitInput(
                visited_on=day,
                start_time=start,
                end_time=time(start.hour + 2, start.minute),
                place="" if online else "事業所",
                online=online,
                expert_id=expert.id,
                attendees=f"代表者（{business['representative_name']}）",
                issues=_LAST_ISSUES if last and dates.completed else _ISSUES[min(n - 1, 4)],
                advice=rng.choice(_ADVICE),
                homework="" if last and dates.completed else rng.choice(_HOMEWORK),
                next_on=next_on,
                report_received_on=dates.reports[n - 1] if n <= len(dates.reports) else None,
                fee=None,  # the program's fee for the 年度, else the expert's
            ).normalized()
            facts = d.VisitFacts(
                state=DispatchState(cols["status"]),
                decided_on=cols["decided_on"],
                approved_visits=cols["approved_visits"],
                number=n,
                year_cap=program.cap(year),
                year_used=usage[(*key, year)] + used_here[year],
                expert=expert.facts,
                previous_visit_on=dates.visits[n - 2] if n > 1 else None,
            )
            findings = d.check_visit(facts, value, ctx.anchor)
            if findings.errors:
                raise _Failed(findings.errors)
            if cols["status"] == DS.APPROVED.value:  # the first visit starts the dispatch
                events.append(_dispatch_event(DS.APPROVED, DS.IN_PROGRESS, day, "", staff))
                cols["status"] = DS.IN_PROGRESS.value
                since = day
            visits.append({"number": n, **_visit_columns(value, expert.id)})
            fees.append(program.fee(year) or expert.fee or 0)
            used_here[year] += 1
        if dates.completed is not None:
            step(d.StepName.COMPLETE, dates.completed)
        if dates.reported is not None:
            step(d.StepName.REPORT, dates.reported)
        if dates.paid is not None:
            step(d.StepName.PAY, dates.paid, amount=sum(fees))
        if reach_cancel:
            assert dates.cancelled is not None
            reason = _CANCEL_REASONS[DispatchState(cols["status"])]
            step(d.StepName.CANCEL, dates.cancelled, reason=reason)
        if cols["status"] != target.value:
            raise _Failed
        for year, count in used_here.items():
            usage[(*key, year)] += count
        return _Dispatch(cols, visits, events)


def _dispatch_dates(
    seed: int,
    reach: DispatchState,
    visits: int,
    opened: date,
    target: DispatchState,
    report_days: int,
) -> _Dates:
    """The days of a dispatch's steps from ``opened``; the same gaps for every layout of one
    plan (``seed``)."""
    r = random.Random(seed)
    order = _ORDER.index(reach)
    dates = _Dates(_workday(opened))
    day = dates.applied
    if order >= 1:
        day = dates.review = _workday(day + timedelta(days=r.randint(1, 7)))
    if order >= 2:
        day = dates.decided = _workday(day + timedelta(days=r.randint(5, 15)))
    if order >= 3:
        day += timedelta(days=r.randint(7, 25))
        for n in range(visits):
            if n:
                day += timedelta(days=r.randint(14, 35))
            day = _workday(day)
            dates.visits.append(day)
        # The expert's report on each visit, a few days later (the last of a running
        # dispatch may still be out).
        dates.reports = [v + timedelta(days=r.randint(2, 10)) for v in dates.visits]
        if reach == DS.IN_PROGRESS:
            dates.next_planned = day + timedelta(days=r.randint(14, 30))
            dates.reports = dates.reports[:-1]
    if order >= 4:
        day = dates.completed = _workday(max(day, *dates.reports) + timedelta(r.randint(3, 14)))
    if order >= 5:
        day = dates.reported = _workday(day + timedelta(days=r.randint(5, report_days + 5)))
    if order >= 6:
        day = dates.paid = _workday(day + timedelta(days=r.randint(10, 30)))
    if target == DS.CANCELLED:
        if dates.reports:
            day = max(day, *dates.reports)
        dates.cancelled = _workday(day + timedelta(days=r.randint(3, 30)))
    return dates


def _visit_columns(value: d.VisitInput, expert_id: int) -> dict[str, Any]:
    return {
        "visited_on": value.visited_on,
        "start_time": value.start_time,
        "end_time": value.end_time,
        "place": value.place,
        "online": value.online,
        "expert_id": expert_id,
        "attendees": value.attendees,
        "issues": value.issues,
        "advice": value.advice,
        "homework": value.homework,
        "next_on": value.next_on,
        "report_received_on": value.report_received_on,
        "fee": value.fee,
    }


def _dispatch_event(
    source: DispatchState | None, target: DispatchState, on: date, reason: str, staff: int
) -> dict[str, Any]:
    return {
        "from_status": source.value if source else None,
        "to_status": target.value,
        "occurred_on": on,
        "reason": normalize_lines(reason),
        "staff_id": staff,
    }


def _link_consultations(session: Session, rng: random.Random, plans: list[_Dispatch]) -> None:
    """About half the dispatches came out of a consultation of the same business."""
    ids = sorted({p.cols["business_id"] for p in plans})
    found: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Consultation.business_id, Consultation.consulted_on, Consultation.id).where(
                Consultation.business_id.in_(ids[start : start + 500]),
                Consultation.deleted_at.is_(None),
            )
        )
        for business_id, consulted_on, consultation_id in rows:
            if business_id is not None:
                found[business_id].append((consulted_on, consultation_id))
    for plan in plans:
        applied = plan.cols["applied_on"]
        earlier = [x for x in found.get(plan.cols["business_id"], []) if x[0] <= applied]
        if earlier and rng.random() < 0.6:
            plan.cols["consultation_id"] = max(earlier)[1]


def _write_dispatches(session: Session, ctx: _Context, plans: list[_Dispatch]) -> int:
    next_id = _next_id(session, ExpertDispatch)
    dispatches, visits, events = [], [], []
    for plan in plans:
        staff = plan.cols["staff_id"]
        dispatches.append({"id": next_id, **plan.cols, **ctx.stamps(staff)})
        visits += [{"dispatch_id": next_id, **v, **ctx.stamps(staff)} for v in plan.visits]
        events += [{"dispatch_id": next_id, **e, "recorded_at": ctx.now} for e in plan.events]
        next_id += 1
    for model, rows in ((ExpertDispatch, dispatches), (DispatchVisit, visits)):
        if rows:
            session.execute(_insert(model), rows)
    if events:
        session.execute(_insert(DispatchEvent), events)
    return len(visits)


# --- shopping streets -------------------------------------------------------------------------


@dataclass(slots=True)
class _Street:
    id: int
    spec: _StreetSpec
    town_ids: tuple[int, ...]
    new: bool  # created by this run: only these get demo activity


def _associations(session: Session, rng: random.Random, ctx: _Context) -> list[_Street]:
    towns = {
        name: (town_id, area)
        for town_id, name, area in session.execute(select(Town.id, Town.name, Town.area))
    }
    existing: dict[str, int] = {}
    for association_id, name in session.execute(
        select(StreetAssociation.id, StreetAssociation.name)
        .where(StreetAssociation.name.in_([spec.name for spec in _STREETS]))
        .order_by(StreetAssociation.id)
    ):
        existing.setdefault(name, association_id)
    used_numbers = set(
        session.scalars(
            select(StreetAssociation.corporate_number).where(
                StreetAssociation.corporate_number.is_not(None)
            )
        )
    )
    streets: list[_Street] = []
    created: list[tuple[StreetAssociation, _StreetSpec, tuple[int, ...]]] = []
    counts: list[tuple[StreetAssociation, MembershipInput]] = []
    for spec in _STREETS:
        town_ids = tuple(towns[t][0] for t in spec.towns if t in towns)
        if spec.name in existing:
            streets.append(_Street(existing[spec.name], spec, town_ids, new=False))
            continue
        number = ""
        if spec.form.incorporated:
            # Tokyo registry office 0100, 05 for 組合 and a serial: valid, shaped like a real one.
            while not number or number in used_numbers:
                number = make_corporate_number(f"010005{rng.randrange(1_000_000):06d}")
            used_numbers.add(number)
        surname, given = rng.choice(_REPRESENTATIVES)
        town = spec.towns[0]
        value = AssociationInput(
            name=spec.name,
            legal_form=spec.form.value,
            name_kana=spec.kana,
            corporate_number=number,
            incorporated_on=date(*spec.incorporated) if spec.incorporated else None,
            town_ids=town_ids,
            representative_name=f"{surname} {given}",
            contact_name=f"事務局 {rng.choice(_REPRESENTATIVES)[0]}",
            phone=f"03-{rng.randint(3200, 5299)}-{rng.randint(0, 9999):04d}",
            address=f"千代田区{town}{rng.randint(1, 3)}-{rng.randint(1, 20)}-{rng.randint(1, 9)}",
            federation_member=spec.federation,
            notes="役員会は毎月第2火曜日。" if spec.form.incorporated else "",
        ).normalized()
        areas = [towns[t][1] for t in spec.towns if t in towns]
        errors = value.errors(ctx.anchor, town_areas=areas)
        assert not errors, (spec.name, errors)
        association = StreetAssociation(
            name=value.name,
            name_kana=value.name_kana,
            sort_key=kana_key(value.name_kana) or search_key(value.name),
            legal_form=value.legal_form,
            corporate_number=value.corporate_number or None,
            incorporated_on=value.incorporated_on,
            area=street_area(value.area, areas),
            representative_name=value.representative_name,
            contact_name=value.contact_name,
            phone=value.phone,
            email=value.email,
            address=value.address,
            federation_member=value.federation_member,
            notes=value.notes,
            **_orm_stamps(ctx, ctx.admin),
        )
        full = rng.randint(45, 95) if spec.form.incorporated else rng.randint(15, 60)
        supporting = rng.randint(0, 12)
        for year in (ctx.year - 1, ctx.year):
            membership = MembershipInput(year, full, supporting)
            assert not membership.errors(ctx.anchor)
            counts.append((association, membership))
            # Most streets lose a few members a year (closures, redevelopment).
            full = max(7, full - rng.randint(-1, 4))
            supporting = max(0, supporting + rng.randint(-2, 2))
        created.append((association, spec, town_ids))
    session.add_all(association for association, _, _ in created)
    session.flush()  # one flush for all: the ids for the towns and the activity
    session.add_all(
        StreetAssociationTown(association_id=association.id, town_id=t)
        for association, _, town_ids in created
        for t in town_ids
    )
    session.add_all(
        StreetMembership(
            association_id=association.id,
            fiscal_year=m.fiscal_year,
            full_members=m.full_members,
            supporting_members=m.supporting_members,
            **_orm_stamps(ctx, ctx.admin),
        )
        for association, m in counts
    )
    session.flush()
    streets += [_Street(a.id, spec, town_ids, new=True) for a, spec, town_ids in created]
    return sorted(streets, key=lambda street: _STREETS.index(street.spec))


def _link_businesses(
    session: Session,
    rng: random.Random,
    streets: list[_Street],
    businesses: Sequence[dict[str, Any]],
) -> int:
    """Shops and restaurants in a street's towns mostly belong to it; offices less often."""
    by_town: dict[int, list[int]] = defaultdict(list)
    for street in streets:
        for town_id in street.town_ids:
            by_town[town_id].append(street.id)
    members: dict[int, list[int]] = defaultdict(list)
    for business in businesses:
        choices = by_town.get(business.get("town_id") or 0)
        if business["kind"] == "prospective" or not choices:
            continue
        likely = 0.6 if business["jsic_major"] in ("I", "M", "N") else 0.2
        if rng.random() < likely:
            association_id = rng.choice(choices)
            members[association_id].append(business["id"])
            business["street_association_id"] = association_id
    for association_id, ids in members.items():
        for start in range(0, len(ids), 1000):
            session.execute(
                update(Business)
                .where(Business.id.in_(ids[start : start + 1000]))
                .values(street_association_id=association_id)
                .execution_options(synchronize_session=False)
            )
    return sum(len(ids) for ids in members.values())


@dataclass(frozen=True, slots=True)
class _Event:
    """A written street event, for the subsidy applications that fund it."""

    id: int
    association_id: int
    name: str
    starts_on: date
    ends_on: date
    budget: int


def _street_activity(
    session: Session, rng: random.Random, ctx: _Context, streets: list[_Street]
) -> tuple[list[dict[str, Any]], list[_Event]]:
    """Support records of every shipped kind and the streets' events over two 年度."""
    kinds = {
        code: (kind_id, initiative_id)
        for code, kind_id, initiative_id, active in session.execute(
            select(SupportKind.code, SupportKind.id, SupportKind.initiative_id, SupportKind.active)
        )
        if active and initiative_id is not None
    }
    town_names = dict(session.execute(select(Town.id, Town.name)).all())
    event_initiative = ctx.initiatives[EVENT_INITIATIVE_CODE]
    support_id = _next_id(session, StreetSupport)
    event_id = _next_id(session, StreetEvent)
    supports: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    horizon = ctx.anchor + timedelta(days=60)  # events already being planned

    def support(street: _Street, code: str, on: date, title: str, **extra: Any) -> int | None:
        nonlocal support_id
        if code not in kinds or not ctx.window_start <= on <= ctx.anchor:
            return None
        kind_id, initiative_id = kinds[code]
        value = SupportInput(
            kind_id=kind_id,
            supported_on=on,
            title=title,
            staff_id=rng.choice(ctx.street_staff),
            initiative_id=initiative_id,
            **extra,
        ).normalized()
        errors = value.errors(ctx.anchor, university_kind=code == SupportKindCode.UNIVERSITY)
        assert not errors, errors
        supports.append(
            {
                "id": support_id,
                "association_id": street.id,
                "kind_id": kind_id,
                "initiative_id": initiative_id,
                "staff_id": value.staff_id,
                "supported_on": on,
                "title": value.title,
                "notes": value.notes,
                "university": value.university,
                "project": value.project,
                "student_count": value.student_count,
                **ctx.stamps(value.staff_id),
            }
        )
        support_id += 1
        return support_id - 1

    for street in (x for x in streets if x.new):
        spec = street.spec
        town = town_names.get(street.town_ids[0], spec.towns[0]) if street.town_ids else ""
        university = spec.university or "区内の大学"
        templates = list(spec.events) + rng.sample(_COMMON_EVENTS, rng.randint(1, 3))
        for year in (ctx.year - 1, ctx.year):
            for template in templates:
                starts = date(year if template.month >= 4 else year + 1, template.month, 1)
                starts += timedelta(days=template.day - 1 + rng.randint(-3, 3))
                ends = starts + timedelta(days=template.days - 1)
                if not ctx.window_start <= starts <= horizon or rng.random() < 0.15:
                    continue
                name = template.name.replace("{short}", spec.short)
                linked = None
                if rng.random() < 0.8:  # the desk helped plan it: a イベント開催支援 record
                    linked = support(
                        street,
                        SupportKindCode.EVENT,
                        _workday(starts - timedelta(days=rng.randint(20, 60))),
                        f"{name}の開催支援",
                        notes=rng.choice(
                            (
                                "実行委員会に出席し、区の後援名義と広報の協力を説明した。",
                                "会場の使用許可と警察への届出の段取りを確認した。",
                                "補助金の対象経費と申請時期を説明した。",
                            )
                        ),
                    )
                low, high = template.budget
                budget = _round(rng.randint(low, high), 10_000)
                visitors = None
                if template.visitors is not None and ends <= ctx.anchor:
                    visitors = _round(rng.randint(*template.visitors), 10)
                partners = template.partners.replace("{town}", town)
                partners = partners.replace("{university}", university)
                value = EventInput(
                    name=name,
                    starts_on=starts,
                    ends_on=ends,
                    event_type=template.event_type,
                    place="商店街全域" if template.days > 1 else f"{spec.short}の通り一帯",
                    partners=partners,
                    budget=budget,
                    visitors=visitors,
                    notes="" if ends > ctx.anchor else "天候に恵まれ、例年並みの人出。",
                    support_id=linked,
                ).normalized()
                assert not value.errors(), value.errors()
                initiative = kinds[SupportKindCode.EVENT][1] if linked else event_initiative
                events.append(
                    {
                        "id": event_id,
                        "association_id": street.id,
                        "support_id": linked,
                        "initiative_id": initiative,
                        "name": value.name,
                        "event_type": value.event_type,
                        "starts_on": starts,
                        "ends_on": ends,
                        "place": value.place,
                        "partners": value.partners,
                        "budget": value.budget,
                        "visitors": value.visitors,
                        "notes": value.notes,
                        **ctx.stamps(ctx.admin),
                    }
                )
                event_id += 1
        for code, notes in _SUPPORT_NOTES.items():
            if code == SupportKindCode.ORGANISATION and spec.form is LegalForm.VOLUNTARY:
                options = notes[:1]  # a 任意商店会 asks about incorporation
            elif code == SupportKindCode.ORGANISATION:
                options = notes[1:]
            else:
                options = notes
            if rng.random() < 0.55:
                title, text = rng.choice(options)
                on = _random_workday(rng, ctx.window_start, ctx.anchor)
                support(street, code, on, title, notes=text)
        if spec.university:
            for _ in range(rng.randint(1, 2)):
                project, title, text = rng.choice(_UNIVERSITY_PROJECTS)
                support(
                    street,
                    SupportKindCode.UNIVERSITY,
                    _random_workday(rng, ctx.window_start, ctx.anchor),
                    title,
                    notes=text,
                    university=spec.university,
                    project=project.replace("{short}", spec.short),
                    student_count=rng.randint(4, 30),
                )
    # Every shipped kind at least once, so the demo shows them all.
    first = next((s for s in streets if s.new), None)
    if first is not None:
        present = {row["kind_id"] for row in supports}
        for code, notes in _SUPPORT_NOTES.items():
            if code in kinds and kinds[code][0] not in present:
                title, text = notes[-1]
                support(first, code, _workday(ctx.anchor - timedelta(days=30)), title, notes=text)
        if (
            SupportKindCode.UNIVERSITY in kinds
            and kinds[SupportKindCode.UNIVERSITY][0] not in present
        ):
            support(
                first,
                SupportKindCode.UNIVERSITY,
                _workday(ctx.anchor - timedelta(days=20)),
                "学生による来街者調査",
                university="法政大学",
                project="千代田学「商店街の回遊調査」",
                student_count=12,
            )
    _number_by_date(session, supports, events)
    if supports:
        session.execute(_insert(StreetSupport), supports)
    if events:
        session.execute(_insert(StreetEvent), events)
    written = [
        _Event(e["id"], e["association_id"], e["name"], e["starts_on"], e["ends_on"], e["budget"])
        for e in events
    ]
    return supports, written


def _number_by_date(
    session: Session, supports: list[dict[str, Any]], events: list[dict[str, Any]]
) -> None:
    """Ids in date order, as if the records had been entered as things happened."""
    supports.sort(key=lambda row: (row["supported_on"], row["id"]))
    first = _next_id(session, StreetSupport)
    renumbered = {row["id"]: first + n for n, row in enumerate(supports)}
    for row in supports:
        row["id"] = renumbered[row["id"]]
    events.sort(key=lambda row: (row["starts_on"], row["id"]))
    first = _next_id(session, StreetEvent)
    for n, row in enumerate(events):
        row["id"] = first + n
        if row["support_id"] is not None:
            row["support_id"] = renumbered[row["support_id"]]


def _random_workday(rng: random.Random, first: date, last: date) -> date:
    day = first + timedelta(days=rng.randint(0, (last - first).days))
    while not _open_on(day) and day > first:
        day -= timedelta(days=1)
    return day


# --- subsidies --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Terms:
    valid_from: date
    valid_to: date | None
    rule: s.SubsidyRule


@dataclass(slots=True)
class _SubsidyProgram:
    id: int
    spec: _SubsidySpec
    target: SubsidyTarget
    initiative_id: int
    terms: list[_Terms]

    def rule_on(self, day: date) -> s.SubsidyRule | None:
        """The terms in force on ``day``; the latest start wins (as the service reads them)."""
        found = [t for t in self.terms if t.valid_from <= day and (t.valid_to or day) >= day]
        return max(found, key=lambda t: t.valid_from).rule if found else None


_TERMS_FIELDS = (
    "valid_from",
    "valid_to",
    "rate_numerator",
    "rate_denominator",
    "band_threshold",
    "band_rate_numerator",
    "band_rate_denominator",
    "rounding_unit",
    "cap_amount",
    "max_per_fiscal_year",
    "report_due_days",
)


def _subsidy_programs(session: Session, ctx: _Context) -> dict[str, _SubsidyProgram]:
    found: dict[str, _SubsidyProgram] = {}
    for spec in _SUBSIDY_PROGRAMS:
        program = session.execute(
            select(SubsidyProgram).where(SubsidyProgram.name == spec.name)
        ).scalar_one_or_none()
        if program is None:
            value = s.ProgramInput(
                spec.name, spec.target, ctx.initiatives.get(spec.initiative), notes=spec.notes
            ).normalized()
            assert not value.errors()
            program = SubsidyProgram(
                name=value.name,
                target=value.target.value,
                initiative_id=value.initiative_id,
                notes=value.notes,
                **_orm_stamps(ctx, ctx.admin),
            )
            session.add(program)
            session.flush()
        stored = session.scalars(
            select(SubsidyProgramTerms).where(SubsidyProgramTerms.program_id == program.id)
        ).all()
        if not stored:  # a program someone set up keeps its own terms
            for t in spec.terms:
                band = t.band or (None, None, None)
                terms = s.TermsInput(
                    valid_from=fiscal_year_range(ctx.year + t.first)[0],
                    valid_to=None if t.last is None else fiscal_year_range(ctx.year + t.last)[1],
                    rate_numerator=t.rate[0],
                    rate_denominator=t.rate[1],
                    band_threshold=band[0],
                    band_rate_numerator=band[1],
                    band_rate_denominator=band[2],
                    rounding_unit=t.unit,
                    cap_amount=t.cap,
                    max_per_fiscal_year=t.per_year,
                    report_due_days=t.report_days,
                )
                assert not terms.errors(), terms.errors()
                session.add(
                    SubsidyProgramTerms(
                        program_id=program.id,
                        **{name: getattr(terms, name) for name in _TERMS_FIELDS},
                        **_orm_stamps(ctx, ctx.admin),
                    )
                )
            session.flush()
            stored = session.scalars(
                select(SubsidyProgramTerms).where(SubsidyProgramTerms.program_id == program.id)
            ).all()
        if not program.active or program.target != spec.target.value:
            continue  # switched off, or a same-named program of the other kind: no demo rows
        terms_list = [
            _Terms(
                t.valid_from,
                t.valid_to,
                s.TermsInput(**{name: getattr(t, name) for name in _TERMS_FIELDS}).rule(),
            )
            for t in stored
        ]
        target = SubsidyTarget(program.target)
        initiative = program.initiative_id or ctx.initiatives.get(
            s.initiative_code_for(program.name, target)
        )
        if initiative is None:
            initiative = ctx.initiatives[s.FALLBACK_INITIATIVE[target]]
        found[spec.name] = _SubsidyProgram(program.id, spec, target, initiative, terms_list)
    return found


@dataclass(slots=True)
class _Application:
    cols: dict[str, Any]
    events: list[dict[str, Any]]


def _subsidy_path(rng: random.Random, target: SubsidyState) -> list[s.StepName]:
    """A walk over STEPS from 申請 that ends in ``target``."""
    returned = [SN.RETURN, SN.RESUBMIT] if rng.random() < 0.15 else []
    change = [SN.REQUEST_CHANGE, SN.APPROVE_CHANGE] if rng.random() < 0.15 else []
    granted = [*returned, SN.GRANT, *change]
    paths = {
        SS.APPLIED: returned,
        SS.RETURNED: [SN.RETURN],
        SS.GRANTED: granted,
        SS.CHANGE_REQUESTED: [*returned, SN.GRANT, SN.REQUEST_CHANGE],
        SS.REPORTED: [*granted, SN.REPORT],
        SS.CONFIRMED: [*granted, SN.REPORT, SN.CONFIRM],
        SS.PAID: [*granted, SN.REPORT, SN.CONFIRM, SN.PAY],
        SS.WITHDRAWN: [*rng.choice(([], [SN.GRANT])), SN.WITHDRAW],
        SS.REJECTED: rng.choice(([SN.REJECT], [SN.RETURN, SN.REJECT])),
    }
    path = paths[target]
    state = SS.APPLIED
    for name in path:  # the walk is legal by construction; keep it so
        assert state in s.STEPS[name].sources, (target, path)
        state = s.STEPS[name].target
    assert state == target
    return path


class _SubsidyPlanner:
    """Lays an application out in time and takes it through the domain's checks."""

    def __init__(self, rng: random.Random, ctx: _Context) -> None:
        self.rng = rng
        self.ctx = ctx

    def plan(
        self,
        program: _SubsidyProgram,
        path: list[s.StepName],
        applied_on: date,
        activity_ends_on: date,
        cost: int,
        applicant: dict[str, Any],
        title: str,
        *,
        event: _Event | None = None,
        others: tuple[date, ...] = (),
        truncate: bool = False,
    ) -> _Application:
        """``truncate``: stop at the last step the anchor allows instead of failing."""
        rng, ctx = self.rng, self.ctx
        rule = program.rule_on(applied_on)
        if rule is None or applied_on > ctx.anchor or applied_on < ctx.window_start:
            raise _Failed
        value = s.ApplicationInput(
            program_id=program.id,
            applied_on=applied_on,
            title=title,
            activity_ends_on=activity_ends_on,
            eligible_cost=cost,
            event_id=event.id if event else None,
            **applicant,
        ).normalized()
        findings = s.check_application(
            value,
            s.ApplicationFacts(
                program_target=program.target,
                rule=rule,
                others_applied_on=others,
                event_starts_on=event.starts_on if event else None,
                event_ends_on=event.ends_on if event else None,
                event_association_id=event.association_id if event else None,
            ),
            ctx.anchor,
        )
        if findings.errors or findings.warnings:
            raise _Failed(findings.errors + findings.warnings)
        staff = rng.choice(ctx.consultants)
        cols: dict[str, Any] = {
            "program_id": program.id,
            "business_id": value.business_id,
            "association_id": value.association_id,
            "event_id": value.event_id,
            "initiative_id": program.initiative_id,
            "staff_id": staff,
            "fiscal_year": fiscal_year(applied_on),
            "status": SS.APPLIED.value,
            "title": value.title,
            "applied_on": applied_on,
            "activity_ends_on": activity_ends_on,
            "eligible_cost": cost,
            "requested_amount": value.requested_amount,
            "computed_amount": findings.computed_amount,
            "granted_amount": None,
            "decided_on": None,
            "report_due_on": None,
            "reported_on": None,
            "confirmed_amount": None,
            "confirmed_on": None,
            "paid_amount": None,
            "paid_on": None,
            "closed_on": None,
            "reason": "",
            "notes": "",
        }
        events = [_subsidy_event(None, SS.APPLIED, applied_on, "", staff)]
        day = applied_on
        for name in path:
            day = self._next_day(name, day, cols)
            if day > ctx.anchor:
                if truncate:
                    break
                raise _Failed
            value_step = self._step_value(name, day, cols, rule)
            facts = s.StepFacts(
                state=SubsidyState(cols["status"]),
                applied_on=applied_on,
                last_step_on=events[-1]["occurred_on"],
                rule=rule,
                eligible_cost=cols["eligible_cost"],
                computed_amount=cols["computed_amount"],
                granted_amount=cols["granted_amount"],
                confirmed_amount=cols["confirmed_amount"],
                activity_ends_on=cols["activity_ends_on"],
                event_starts_on=event.starts_on if event else None,
                report_due_on=cols["report_due_on"],
            )
            step_findings = s.check_step(facts, value_step, ctx.anchor)
            if step_findings.errors or step_findings.warnings:
                raise _Failed(step_findings.errors + step_findings.warnings)
            source = SubsidyState(cols["status"])
            cols.update(_subsidy_changes(rule, cols, value_step))
            events.append(
                _subsidy_event(source, s.STEPS[name].target, day, value_step.reason, staff)
            )
        return _Application(cols, events)

    def _next_day(self, name: s.StepName, day: date, cols: dict[str, Any]) -> date:
        r = self.rng
        ends: date = cols["activity_ends_on"]
        if name == SN.GRANT:
            # Decided before the activity starts where there is room, never after it ends.
            day = day + timedelta(days=r.randint(10, 25))
            if day >= ends:
                day = max(cols["applied_on"], ends - timedelta(days=r.randint(3, 8)))
        elif name == SN.REPORT:
            due = cols["report_due_on"]
            latest = (due - ends).days if due else 45
            day = max(day, ends) + timedelta(days=r.randint(3, max(3, latest - 2)))
        else:
            gaps = {
                SN.RETURN: (3, 10),
                SN.RESUBMIT: (5, 15),
                SN.REQUEST_CHANGE: (7, 20),
                SN.APPROVE_CHANGE: (3, 10),
                SN.CONFIRM: (7, 21),
                SN.PAY: (7, 20),
                SN.WITHDRAW: (5, 30),
                SN.REJECT: (7, 20),
            }
            low, high = gaps[name]
            day = day + timedelta(days=r.randint(low, high))
        day = _workday(day)
        if name in (SN.REQUEST_CHANGE, SN.APPROVE_CHANGE) and day >= ends:
            raise _Failed  # a change is asked for before the activity ends
        return day

    def _step_value(
        self, name: s.StepName, day: date, cols: dict[str, Any], rule: s.SubsidyRule
    ) -> s.StepInput:
        r = self.rng
        reason = r.choice(_REASONS.get(name, ("",)))
        cost = cols["eligible_cost"]
        if name == SN.RESUBMIT:
            return s.StepInput(name, day, reason, eligible_cost=_round(cost * 0.9, 1000))
        if name == SN.GRANT:
            return s.StepInput(name, day, granted_amount=cols["computed_amount"])
        if name == SN.APPROVE_CHANGE:
            # A smaller plan, and (for a business) a later end of the activity.
            new_cost = _round(cost * r.uniform(0.8, 1.0), 1000)
            moved = None
            if cols["business_id"] is not None:
                moved = cols["activity_ends_on"] + timedelta(days=r.randint(7, 30))
            return s.StepInput(
                name,
                day,
                reason,
                granted_amount=s.eligible_amount(rule, new_cost),
                eligible_cost=new_cost,
                activity_ends_on=moved,
            )
        if name == SN.REPORT:
            # The actual cost usually comes out a little lower than planned.
            actual = _round(cost * r.uniform(0.9, 1.02), 1000)
            if s.eligible_amount(rule, actual) < cols["granted_amount"]:
                actual = cost  # a smaller actual cost is warned about: keep the demo quiet
            return s.StepInput(name, day, actual_cost=actual)
        if name == SN.CONFIRM:
            ceiling = s.eligible_amount(rule, cost)
            return s.StepInput(name, day, confirmed_amount=min(cols["granted_amount"], ceiling))
        if name == SN.PAY:
            return s.StepInput(name, day, paid_amount=cols["confirmed_amount"])
        return s.StepInput(name, day, reason)


def _subsidy_changes(
    rule: s.SubsidyRule, cols: dict[str, Any], value: s.StepInput
) -> dict[str, Any]:
    """The columns one step sets (kept in step with SubsidyService's ``_changes``)."""
    step = s.STEPS[value.step]
    on = value.occurred_on
    changes: dict[str, Any] = {"status": step.target.value, "reason": normalize_lines(value.reason)}

    def recompute(cost: int) -> None:
        changes["eligible_cost"] = cost
        changes["computed_amount"] = s.eligible_amount(rule, cost)

    name = step.name
    if name is SN.RESUBMIT:
        if value.eligible_cost is not None:
            recompute(value.eligible_cost)
        if value.requested_amount is not None:
            changes["requested_amount"] = value.requested_amount
    elif name is SN.GRANT:
        changes["decided_on"] = on
        changes["granted_amount"] = value.granted_amount
        changes["report_due_on"] = s.report_due(rule, cols["activity_ends_on"])
    elif name is SN.APPROVE_CHANGE:
        changes["granted_amount"] = value.granted_amount
        if value.eligible_cost is not None:
            recompute(value.eligible_cost)
        if value.activity_ends_on is not None:
            changes["activity_ends_on"] = value.activity_ends_on
            changes["report_due_on"] = s.report_due(rule, value.activity_ends_on)
    elif name is SN.REPORT:
        changes["reported_on"] = on
        assert value.actual_cost is not None
        recompute(value.actual_cost)
    elif name is SN.CONFIRM:
        changes["confirmed_amount"] = value.confirmed_amount
        changes["confirmed_on"] = on
    elif name is SN.PAY:
        changes["paid_amount"] = value.paid_amount
        changes["paid_on"] = on
    if step.target in s.TERMINAL:
        changes["closed_on"] = on
    return changes


def _subsidy_event(
    source: SubsidyState | None, target: SubsidyState, on: date, reason: str, staff: int
) -> dict[str, Any]:
    return {
        "from_status": source.value if source else None,
        "to_status": target.value,
        "occurred_on": on,
        "reason": normalize_lines(reason),
        "staff_id": staff,
    }


def _street_target(rng: random.Random, event: _Event, anchor: date) -> SubsidyState:
    """What the application for an event has come to by the anchor date."""
    if event.ends_on > anchor:  # not held yet: still being decided, or decided
        return rng.choices(
            [SS.APPLIED, SS.RETURNED, SS.GRANTED, SS.CHANGE_REQUESTED, SS.WITHDRAWN],
            [3, 1, 8, 1, 1],
        )[0]
    if (anchor - event.ends_on).days < 40:  # the report is (nearly) due
        return rng.choices([SS.GRANTED, SS.REPORTED, SS.CONFIRMED], [4, 4, 1])[0]
    return rng.choices(
        [SS.PAID, SS.CONFIRMED, SS.REPORTED, SS.GRANTED, SS.WITHDRAWN, SS.REJECTED],
        [20, 2, 1, 1, 1, 1],
    )[0]


def _plan_street_applications(
    rng: random.Random,
    ctx: _Context,
    programs: dict[str, _SubsidyProgram],
    events: list[_Event],
) -> list[_Application]:
    """Applications to the street-event program for some of the demo's events (at most the
    program's number per street and 年度 of application)."""
    program = next((p for p in programs.values() if p.target is SubsidyTarget.STREET), None)
    if program is None:
        return []
    planner = _SubsidyPlanner(rng, ctx)
    counted: dict[tuple[int, int], list[date]] = defaultdict(list)
    found = []
    for event in sorted(events, key=lambda e: (e.starts_on, e.id)):
        if event.budget < 300_000 or rng.random() < 0.4:
            continue
        applied_on = _workday(event.starts_on - timedelta(days=rng.randint(30, 70)))
        rule = program.rule_on(applied_on)
        year = fiscal_year(applied_on)
        others = counted[(event.association_id, year)]
        limit = rule.max_per_fiscal_year if rule else None
        if rule is None or (limit is not None and len(others) >= limit):
            continue
        cost = _round(event.budget * rng.uniform(0.55, 0.9), 1000)
        target = _street_target(rng, event, ctx.anchor)
        try:
            application = planner.plan(
                program,
                _subsidy_path(rng, target),
                applied_on,
                event.ends_on,
                cost,
                {"association_id": event.association_id},
                f"{event.name}（{event.starts_on.year}年）",
                event=event,
                others=tuple(others),
                truncate=True,
            )
        except _Failed:
            continue
        found.append(application)
        others.append(applied_on)  # withdrawn ones too: the demo stays within the limit
    return found


def _plan_business_applications(
    rng: random.Random,
    ctx: _Context,
    programs: dict[str, _SubsidyProgram],
    businesses: Sequence[dict[str, Any]],
    count: int,
) -> list[_Application]:
    """Business applications in every state (when there are enough), by weight after that."""
    usable = [p for p in programs.values() if p.target is SubsidyTarget.BUSINESS]
    established = [b for b in businesses if b["kind"] != "prospective"]
    recent = ctx.anchor - timedelta(days=5 * 365)
    founders = [
        b
        for b in businesses
        if b["kind"] == "prospective" or (b["founded_on"] or ctx.anchor) >= recent
    ]
    if not usable or not businesses or count == 0:
        return []
    planner = _SubsidyPlanner(rng, ctx)
    targets = _targets(rng, SUBSIDY_WEIGHTS, count)
    counted: dict[tuple[int, int, int], list[date]] = defaultdict(list)
    found = []
    for target in targets:
        for _attempt in range(ATTEMPTS):
            program = rng.choices(usable, [p.spec.weight for p in usable])[0]
            pool = founders if program.spec.initiative == "1-1-1" else established
            if not pool:
                continue
            business = rng.choice(pool)
            path = _subsidy_path(rng, target)
            try:
                application = _place_business_application(
                    rng, ctx, planner, program, path, target, business, counted
                )
            except _Failed:
                continue
            found.append(application)
            key = (business["id"], program.id, fiscal_year(application.cols["applied_on"]))
            counted[key].append(application.cols["applied_on"])
            break
    return found


def _place_business_application(
    rng: random.Random,
    ctx: _Context,
    planner: _SubsidyPlanner,
    program: _SubsidyProgram,
    path: list[s.StepName],
    target: SubsidyState,
    business: dict[str, Any],
    counted: dict[tuple[int, int, int], list[date]],
) -> _Application:
    """Choose the application day so the walk ends by the anchor date (recently for the
    states still being handled), then plan it."""
    low, high = program.spec.cost
    cost = _round(rng.randint(low, high), 1000)
    duration = timedelta(days=rng.randint(40, 120))  # application to the end of the activity
    # The walk's length, roughly: decision, activity, report, confirmation, payment.
    span = {SN.GRANT: 20, SN.REPORT: 30, SN.CONFIRM: 14, SN.PAY: 14, SN.WITHDRAW: 20}
    days = sum(span.get(n, 12) for n in path)
    if SN.REPORT in path:
        days += duration.days
    pending = {SS.APPLIED: 20, SS.RETURNED: 15, SS.GRANTED: 60, SS.CHANGE_REQUESTED: 30}
    pending |= {SS.REPORTED: 20, SS.CONFIRMED: 20}
    if target in pending:
        back = days + rng.randint(0, pending[target])
    else:
        latest = (ctx.anchor - ctx.window_start).days - days - 30
        if latest < 0:
            raise _Failed
        back = days + 30 + rng.randint(0, latest)
    applied_on = _workday(ctx.anchor - timedelta(days=back))
    if applied_on > ctx.anchor:
        raise _Failed
    others = tuple(counted[(business["id"], program.id, fiscal_year(applied_on))])
    rule = program.rule_on(applied_on)
    limit = rule.max_per_fiscal_year if rule is not None else None
    if limit is not None and len(others) >= limit:
        raise _Failed
    return planner.plan(
        program,
        path,
        applied_on,
        applied_on + duration,
        cost,
        {"business_id": business["id"]},
        rng.choice(program.spec.titles),
        others=others,
    )


def _write_applications(session: Session, ctx: _Context, plans: list[_Application]) -> None:
    plans.sort(key=lambda a: (a.cols["applied_on"], a.cols["program_id"]))
    next_id = _next_id(session, SubsidyApplication)
    applications, events = [], []
    for plan in plans:
        staff = plan.cols["staff_id"]
        applications.append({"id": next_id, **plan.cols, **ctx.stamps(staff)})
        events += [{"application_id": next_id, **e, "recorded_at": ctx.now} for e in plan.events]
        next_id += 1
    if applications:
        session.execute(_insert(SubsidyApplication), applications)
    if events:
        session.execute(_insert(SubsidyEvent), events)

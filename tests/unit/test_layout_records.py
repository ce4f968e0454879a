"""Layouts of 事業者カルテ, 施策別実績 and 施策別実績一覧: hand-made report data → Document."""

from dataclasses import replace
from datetime import date, time
from decimal import Decimal

from consult_desk.domain.permissions import MASK
from consult_desk.domain.report_records import (
    BusinessProfile,
    BusinessReport,
    ConsultationEntry,
    DispatchEntry,
    InitiativeFigures,
    InitiativeOverview,
    InitiativePath,
    InitiativeReport,
    KarteEntry,
    LinkedRecord,
    LoanEntry,
    LoanHistoryEntry,
    MonthFigures,
    OverviewRow,
    SafetyNetEntry,
    StreetEntry,
    SubsidyEntry,
    VisitEntry,
)
from consult_desk.reports.document import Chart, Document, Facts, Table, Text
from consult_desk.reports.layout_records import (
    business_document,
    initiative_document,
    overview_document,
    overview_section,
)

PROFILE = BusinessProfile(
    id=125,
    kind="法人",
    name="神田青果株式会社",
    name_kana="カンダセイカ",
    corporate_number="1180301018771",
    industry="I 卸売業，小売業",
    sme_status="小規模企業者",
    postal_code="1010054",
    town="神田錦町",
    area="神田地域",
    address="千代田区神田錦町1-1",
    phone="03-1234-5678",
    email="",
    representative_name="青果 一郎",
    representative_residence="区民",
    representative_address=MASK,
    representative_phone=MASK,
    capital=10_000_000,
    employees=5,
    founded_on=date(2010, 4, 1),
    in_ward_since=None,
    chokai_name="",
    street_association="神田すずらん通り商店街振興組合",
    archived=False,
)
CONSULTATION = ConsultationEntry(
    id=7,
    on=date(2026, 9, 1),
    start_time=time(10, 0),
    minutes=60,
    channel="窓口",
    topics=("資金繰り", "事業承継"),
    initiatives=("1-2-1",),
    staff="佐藤 花子",
    summary="運転資金の相談",
    advice="あっせん制度を案内",
    referrals="融資あっせん",
    next_action="書類をそろえる",
    due_on=date(2026, 9, 15),
    done=False,
    done_on=None,
    done_note=None,
)
LOAN = LoanEntry(
    id=3,
    received_on=date(2026, 9, 12),
    program="営業資金",
    status="あっせん書交付",
    status_since=date(2026, 9, 20),
    receipt_number="2026-1",
    referral_number="R-1",
    officer="田中 健",
    interviewer="小川",
    purpose="仕入",
    bank="みずほ銀行 神田支店",
    initiative="1-2-1",
    requested_amount=None,
    referral_amount=None,
    approved_amount=None,
    executed_amount=None,
    guarantee_fee=None,
    referred_on=date(2026, 9, 20),
    executed_on=None,
    term_months=None,
    grace_months=None,
    nominal_rate=Decimal("2.10"),
    borrower_rate=Decimal("0.5"),
    closed_on=None,
    close_reason="",
    subsidy_stopped_on=None,
    subsidy_stop_reason="",
    history=(
        LoanHistoryEntry(date(2026, 9, 12), "案件の登録", "相談", "", "田中 健", None, False),
        LoanHistoryEntry(date(2026, 9, 14), "メモ", "相談", None, "田中 健", None, False),
    ),
)
KARTE = BusinessReport(
    profile=PROFILE,
    summary="後継者の育成が課題。",
    entries=(
        KarteEntry(date(2026, 9, 1), "consultation", "経営相談", 7, "窓口 資金繰り", "", "佐藤"),
        KarteEntry(date(2026, 9, 12), "loan", "融資あっせん", 3, "営業資金", "", "田中", None),
    ),
    consultations=(CONSULTATION,),
    loans=(LOAN,),
    safety_net=(),
    dispatches=(),
    subsidies=(),
    street=(),
    notes_included=False,
    amounts_visible=False,
    personal_data_visible=False,
)


def _headings(doc: Document) -> list[str]:
    return [s.heading for s in doc.sections]


def _section(doc: Document, heading: str):  # type: ignore[no-untyped-def]
    return next(s for s in doc.sections if s.heading.startswith(heading))


def _figures(n: int = 0, *, amounts: bool = True) -> InitiativeFigures:
    yen = n * 1_000 if amounts else None
    return InitiativeFigures(n, n, 0, n, yen, n, yen, n, n * 100, n, n * 10, n, n, n * 5)


# --- 事業者カルテ -------------------------------------------------------------------------------


def test_a_karte_has_the_profile_summary_and_list_and_only_sections_with_records() -> None:
    doc = business_document(KARTE)

    assert (doc.kind, doc.title, doc.subject) == ("business", "事業者カルテ", "神田青果株式会社")
    assert (doc.period_from, doc.period_to, doc.landscape) == (None, None, False)
    assert _headings(doc) == [
        "事業者の概要",
        "相談の経過（引継ぎメモ）",
        "記録（日付順）",
        "経営相談",
        "融資あっせん",
    ]
    facts = _section(doc, "事業者の概要").blocks[0]
    assert isinstance(facts, Facts)
    items = dict(facts.items)
    assert items["代表者住所"] == MASK
    assert items["資本金（円）"] == 10_000_000  # an int: the renderer formats it
    assert items["設立日"] == date(2010, 4, 1)
    assert items["区内での営業開始日"] is None  # printed as —
    assert items["所在地"] == "〒101-0054 千代田区神田錦町1-1"
    about = _section(doc, "事業者の概要").blocks[1]
    assert isinstance(about, Text) and "載せていません" in about.text and "伏せて" in about.text
    summary = _section(doc, "相談の経過").blocks[0]
    assert isinstance(summary, Text) and summary.text == "後継者の育成が課題。"


def test_the_record_list_keeps_dates_and_amounts_typed() -> None:
    table = _section(business_document(KARTE), "記録").blocks[0]

    assert isinstance(table, Table)
    assert table.rows[0][0] == date(2026, 9, 1)
    assert table.rows[1][-1] is None  # a withheld amount
    assert table.columns[-1].numeric


def test_the_consultation_table_gets_a_notes_column_only_with_notes() -> None:
    plain = _section(business_document(KARTE), "経営相談").blocks[0]
    noted_report = replace(
        KARTE,
        notes_included=True,
        consultations=(replace(CONSULTATION, done_note="内部の事情"),),
    )
    noted = _section(business_document(noted_report), "経営相談").blocks[0]

    assert isinstance(plain, Table) and isinstance(noted, Table)
    assert "完了メモ（内部）" not in [c.title for c in plain.columns]
    assert noted.columns[-1].title == "完了メモ（内部）"
    assert noted.rows[0][-1] == "内部の事情"
    row = plain.rows[0]
    assert row[0] == date(2026, 9, 1) and row[-1] == date(2026, 9, 15)
    assert "助言: あっせん制度を案内" in str(row[3]) and "紹介先: 融資あっせん" in str(row[3])


def test_a_loan_shows_its_facts_and_history_with_withheld_memos() -> None:
    blocks = _section(business_document(KARTE), "融資あっせん").blocks

    facts, history = blocks
    assert isinstance(facts, Facts) and isinstance(history, Table)
    assert facts.title == "営業資金（No.3）"
    items = dict(facts.items)
    assert items["あっせん額（円）"] is None and items["本人負担率"] == "0.5%"
    assert items["名目利率"] == "2.1%"
    assert history.rows[1][3] == "（内部メモ）"
    assert history.rows[0][3] is None


def test_every_kind_of_record_gets_its_section() -> None:
    visit = VisitEntry(
        1,
        date(2026, 5, 1),
        time(10),
        time(12),
        "事業所",
        "山田",
        "課題",
        "助言",
        "宿題",
        None,
        11_550,
    )
    report = replace(
        KARTE,
        notes_included=True,
        safety_net=(
            SafetyNetEntry(
                1,
                date(2026, 5, 10),
                "4号",
                "認定",
                Decimal("30.0"),
                None,
                None,
                "SN-1",
                None,
                None,
                "備考",
            ),
        ),
        dispatches=(
            DispatchEntry(
                2,
                date(2026, 4, 10),
                "経営改善",
                "事業承継",
                "派遣中",
                "山田",
                "佐藤",
                2026,
                "1-2-2",
                3,
                date(2026, 4, 20),
                None,
                None,
                "",
                11_550,
                (visit,),
                "内部",
            ),
        ),
        subsidies=(
            SubsidyEntry(
                4,
                date(2026, 6, 15),
                "販路拡大",
                "展示会",
                "交付決定",
                "",
                "1-3-1",
                100_000,
                100_000,
                date(2026, 7, 1),
                None,
                None,
                None,
                None,
            ),
        ),
        street=(
            StreetEntry(5, "street_event", date(2026, 5, 16), "イベント", "まつり", "", "", None),
        ),
    )

    doc = business_document(report)

    assert _headings(doc)[-4:] == [
        "セーフティネット認定",
        "専門家派遣",
        "補助金",
        "商店街への支援（神田すずらん通り商店街振興組合）",
    ]
    sn = _section(doc, "セーフティネット").blocks[0]
    assert isinstance(sn, Table) and sn.rows[0][1:4] == ("4号\n認定", "30%", None)
    assert sn.columns[-1].title == "備考（内部）"
    facts, visits = _section(doc, "専門家派遣").blocks
    assert isinstance(facts, Facts) and dict(facts.items)["謝金の合計（円）"] == 11_550
    assert isinstance(visits, Table) and visits.rows[0][:2] == (1, date(2026, 5, 1))
    assert visits.rows[0][2] == "10:00〜12:00\n事業所"
    subsidies = _section(doc, "補助金").blocks[0]
    assert isinstance(subsidies, Table) and subsidies.rows[0][4] == 100_000


def test_omitted_records_are_said() -> None:
    doc = business_document(replace(KARTE, omitted=(("経営相談", 1_234),)))

    texts = [b for b in _section(doc, "記録").blocks if isinstance(b, Text)]
    assert texts and "経営相談 1,234件" in texts[0].text


# --- 施策別実績 ---------------------------------------------------------------------------------

PATH = InitiativePath(
    id=3,
    code="1-2-1",
    title="資金繰りの支援",
    owners=("商工観光課",),
    owners_note="他",
    description="中小企業が安定的に経営を行っていくためには…",
    policy_code="1-2",
    policy_title="中小企業の経営安定化支援",
    policy_summary="",
    basic_policy_code="1",
    basic_policy_title="千代田区の立地を活かした中小企業等の振興",
)


def _months(first: date, count: int) -> tuple[MonthFigures, ...]:
    months = []
    for n in range(count):
        y, m = first.year + (first.month - 1 + n) // 12, (first.month - 1 + n) % 12 + 1
        months.append(MonthFigures(date(y, m, 1), n, 1 if n == 0 else 0, 0, 0, 0, 0, 0))
    return tuple(months)


REPORT = InitiativeReport(
    initiative=PATH,
    period_from=date(2026, 4, 1),
    period_to=date(2027, 3, 31),
    figures=_figures(3, amounts=False),
    months=_months(date(2026, 4, 1), 12),
    records=(
        LinkedRecord(date(2026, 4, 1), "consultation", "経営相談", 1, "神田青果", "相談", None),
        LinkedRecord(
            date(2026, 4, 2), "loan_referral", "融資あっせん", 2, "神田青果", "営業資金", None
        ),
    ),
    more=0,
    amounts_visible=False,
)


def test_an_initiative_document_has_place_figures_chart_and_list() -> None:
    doc = initiative_document(REPORT)

    assert (doc.kind, doc.title, doc.subject) == (
        "initiative",
        "施策別実績",
        "1-2-1 資金繰りの支援",
    )
    assert (doc.period_from, doc.period_to) == (date(2026, 4, 1), date(2027, 3, 31))
    assert _headings(doc) == ["施策の位置付け", "実績", "月別の推移", "記録の一覧"]
    place, plan = _section(doc, "施策の位置付け").blocks
    assert isinstance(place, Facts) and isinstance(plan, Text)
    assert dict(place.items) == {
        "基本方針": "1 千代田区の立地を活かした中小企業等の振興",
        "個別方針": "1-2 中小企業の経営安定化支援",
        "主な取組み": "1-2-1 資金繰りの支援",
        "所管": "商工観光課、他",
    }
    assert plan.text.startswith("中小企業が")
    figures, notes = _section(doc, "実績").blocks
    assert isinstance(figures, Table) and isinstance(notes, Text)
    rows = {row[0]: row for row in figures.rows}
    assert rows["融資実行"][1:] == (3, "件", None)  # withheld amount
    assert rows["専門家派遣の訪問（謝金）"][3] == 300
    assert "閲覧の権限がない" in notes.text


def test_the_month_chart_has_one_bar_per_month_and_only_kinds_with_records() -> None:
    chart, table = _section(initiative_document(REPORT), "月別の推移").blocks

    assert isinstance(chart, Chart) and chart.kind == "bar"
    assert chart.categories[:3] == ("4月", "5月", "6月") and len(chart.categories) == 12
    assert [s.name for s in chart.series] == ["経営相談", "融資あっせん"]
    assert chart.series[0].values == tuple(range(12))
    assert isinstance(table, Table) and table.total_row
    assert [row[0] for row in table.rows][:2] == ["4月", "5月"]  # as in the chart
    assert table.rows[-1] == ("合計", sum(range(12)), 1)


def test_months_of_several_years_are_labelled_with_the_year() -> None:
    report = replace(REPORT, months=_months(date(2026, 1, 1), 14))

    chart = _section(initiative_document(report), "月別の推移").blocks[0]

    assert isinstance(chart, Chart) and chart.categories[0] == "2026/1"
    assert chart.categories[-1] == "2027/2"
    table = _section(initiative_document(report), "月別の推移").blocks[1]
    assert isinstance(table, Table)
    assert (table.rows[0][0], table.rows[-2][0]) == ("令和8年1月", "令和9年2月")  # 和暦, as dates


def test_the_record_list_starts_a_page_and_says_how_many_more() -> None:
    section = _section(initiative_document(replace(REPORT, more=1_500)), "記録の一覧")

    assert section.new_page
    table, more = section.blocks
    assert isinstance(table, Table) and table.rows[0][0] == date(2026, 4, 1)
    assert table.rows[1][4] is None
    assert isinstance(more, Text) and "1,500件" in more.text


# --- 施策別実績一覧 -----------------------------------------------------------------------------


def _overview(*, amounts: bool = True) -> InitiativeOverview:
    rows = tuple(
        OverviewRow(
            f"{n // 10 + 1}-1-{n % 10 + 1}",
            f"取組み{n}",
            ("商工観光課",),
            _figures(n, amounts=amounts),
        )
        for n in range(24)
    )
    return InitiativeOverview(
        date(2026, 4, 1), date(2027, 3, 31), rows, _figures(100, amounts=amounts), amounts
    )


def test_the_overview_is_one_landscape_table_of_24_rows_and_a_total() -> None:
    doc = overview_document(_overview())

    assert (doc.kind, doc.title, doc.landscape) == ("initiative_overview", "施策別実績一覧", True)
    assert len(doc.sections) == 1 and len(doc.sections[0].blocks) == 1
    table = doc.sections[0].blocks[0]
    assert isinstance(table, Table) and table.total_row
    assert len(table.rows) == 25
    assert table.rows[0][:3] == ("1-1-1", "取組み0", 0)
    assert table.rows[-1][1] == "合計" and table.rows[-1][2] == 100
    assert all(isinstance(v, int) for row in table.rows for v in row[2:])
    assert all("\n" not in c.title for c in table.columns)  # one-line column titles
    assert len(table.columns) <= 10


def test_withheld_amounts_are_none_in_the_overview() -> None:
    doc = overview_document(_overview(amounts=False))

    table = doc.sections[0].blocks[0]
    assert isinstance(table, Table)
    amount = [c.title for c in table.columns].index("融資実行額（円）")
    assert {row[amount] for row in table.rows} == {None}
    assert "権限" in doc.subject


def test_the_overview_section_carries_the_notes_for_the_fiscal_year_report() -> None:
    section = overview_section(_overview(amounts=False))

    assert (section.heading, section.new_page) == ("施策別実績", True)
    table, notes = section.blocks
    assert isinstance(table, Table) and len(table.rows) == 25
    assert isinstance(notes, Text) and "1回" in notes.text and "権限" in notes.text
